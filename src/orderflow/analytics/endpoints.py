"""HTTP endpoints of the analytics domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from orderflow.analytics.schemas import AnalyticsSummary
from orderflow.analytics.service import analytics_service
from orderflow.api.deps import Db
from orderflow.auth.dependencies import AdminPrincipal
from orderflow.kit.clock import utcnow

router = APIRouter()


@router.get(
    "/analytics/summary",
    response_model=AnalyticsSummary,
    response_model_by_alias=True,
    summary="Order analytics for a period (admin)",
)
def summary(
    _admin: AdminPrincipal,
    db: Db,
    start: Annotated[
        datetime | None, Query(alias="from", description="Start (inclusive); default to - 30 days")
    ] = None,
    end: Annotated[
        datetime | None, Query(alias="to", description="End (exclusive); default now")
    ] = None,
) -> AnalyticsSummary:
    with db.read() as session:
        return analytics_service.summary(session, start=start, end=end, now=utcnow())
