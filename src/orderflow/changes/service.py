"""Changes to placed orders: cancel (order or sub-order), change sets, returns.

Every flow locks the order row first (``changes.repository.lock_order``), so a cancel racing
a change set, a return or a hub step on the same order runs after it, on fresh data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from orderflow.auth.principal import Principal
from orderflow.changes import cancellation, returns
from orderflow.changes import modifications as change_sets
from orderflow.changes.schemas import (
    CancellationResult,
    ModificationRequest,
    ModificationResult,
    OrderVersionOut,
    ReturnOut,
    ReturnRequest,
)
from orderflow.config import Settings


class ChangesService:
    def cancel(
        self, session: Session, order_id: str, *, principal: Principal, reason: str, now: datetime
    ) -> CancellationResult:
        """Cancel the whole order (seed ``cancelOrder``); see changes/cancellation.py."""
        return cancellation.cancel_order(
            session, order_id, principal=principal, reason=reason, now=now
        )

    def cancel_sub_order(
        self,
        session: Session,
        order_id: str,
        sub_order_id: str,
        *,
        principal: Principal,
        reason: str,
        now: datetime,
    ) -> CancellationResult:
        """Cancel one vendor's part of the order, refunding only that part."""
        return cancellation.cancel_sub_order(
            session, order_id, sub_order_id, principal=principal, reason=reason, now=now
        )

    def modify(
        self,
        session: Session,
        order_id: str,
        *,
        principal: Principal,
        request: ModificationRequest,
        preview: bool,
        settings: Settings,
        now: datetime,
    ) -> ModificationResult:
        """Apply a change set (all or nothing); ``preview`` computes it and stores nothing."""
        return change_sets.modify(
            session,
            order_id,
            principal=principal,
            request=request,
            preview=preview,
            settings=settings,
            now=now,
        )

    def versions(
        self, session: Session, order_id: str, *, principal: Principal
    ) -> list[OrderVersionOut]:
        """The order's confirmed change sets, oldest first."""
        return change_sets.versions(session, order_id, principal=principal)

    def create_return(
        self,
        session: Session,
        order_id: str,
        *,
        principal: Principal,
        request: ReturnRequest,
        settings: Settings,
        now: datetime,
    ) -> ReturnOut:
        """Take delivered items back and refund them (changes/returns.py)."""
        return returns.create_return(
            session,
            order_id,
            principal=principal,
            request=request,
            window_days=settings.return_window_days,
            now=now,
        )


changes_service = ChangesService()
