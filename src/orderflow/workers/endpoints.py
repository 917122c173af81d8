"""HTTP endpoints of the workers domain: the dead-letter view (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from saq.job import Status

from orderflow.api.deps import Db, SettingsDep
from orderflow.auth.dependencies import AdminPrincipal
from orderflow.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from orderflow.workers.schemas import JobView
from orderflow.workers.service import job_service

router = APIRouter()

JobId = Annotated[
    str,
    Path(
        description="The job key, e.g. payment:ord_01J... (URL-encode the colon if you like)",
        max_length=300,
    ),
]


@router.get("/jobs", response_model=Page[JobView], summary="List jobs (the dead-letter view)")
def list_jobs(
    _: AdminPrincipal,
    db: Db,
    status: Annotated[
        Status | None, Query(description="Only jobs in this state, e.g. failed")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="nextCursor of the previous page")] = None,
) -> Page[JobView]:
    """Jobs ordered by id. ``?status=failed`` lists the dead letters: jobs that failed their
    last attempt (or a permanent error), with the error and the attempts made."""
    with db.read() as session:
        return job_service.list(session, status=status, limit=limit, cursor=cursor)


@router.post(
    "/jobs/{job_id}/retry",
    response_model=JobView,
    summary="Retry a failed job",
    responses={404: {"description": "No such job"}, 409: {"description": "Job not failed"}},
)
def retry_job(_: AdminPrincipal, db: Db, settings: SettingsDep, job_id: JobId) -> JobView:
    """Queue a failed (or aborted) job again, due now, with a fresh set of attempts."""
    return db.run_write(lambda s: job_service.retry(s, job_id, settings=settings))
