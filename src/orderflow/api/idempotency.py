"""Idempotency-Key for POSTs that create or move money or stock.

The first response is stored in the same transaction as the effect, keyed by caller, route and
key. A retry with the same key and body gets the stored response; with another body, a 422.
Two racing first attempts: the loser's insert collides, its whole transaction (effect included)
rolls back, and it answers with the winner's stored response.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orderflow.db.models import IdempotencyRecord
from orderflow.db.session import Database
from orderflow.errors import IdempotencyKeyReused


def request_hash(body: Any) -> str:
    raw = json.dumps(jsonable_encoder(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def _dump(result: BaseModel | dict[str, Any]) -> dict[str, Any]:
    if isinstance(result, BaseModel):
        dumped: dict[str, Any] = result.model_dump(mode="json", by_alias=True)
        return dumped
    return jsonable_encoder(result)  # type: ignore[no-any-return]


def run_idempotent(
    db: Database,
    *,
    scope: str,
    key: str | None,
    body: Any,
    action: Callable[[Session], BaseModel | dict[str, Any]],
    status_code: int = 200,
) -> JSONResponse:
    """Run ``action`` in one write transaction, at most once per (scope, key)."""
    if key is None:
        content = db.run_write(lambda s: _dump(action(s)))
        return JSONResponse(content, status_code=status_code)
    digest = request_hash(body)

    def attempt(session: Session) -> tuple[int, dict[str, Any]]:
        stored = _lookup(session, scope, key, digest)
        if stored is not None:
            return stored
        content = _dump(action(session))
        session.add(
            IdempotencyRecord(
                scope=scope,
                key=key,
                request_hash=digest,
                status_code=status_code,
                response_body=content,
            )
        )
        session.flush()
        return status_code, content

    for _ in range(3):
        try:
            code, content = db.run_write(attempt)
            return JSONResponse(content, status_code=code, headers={"Idempotency-Key": key})
        except IntegrityError:
            with db.read() as session:
                stored = _lookup(session, scope, key, digest)
            if stored is None:
                raise
            return JSONResponse(stored[1], status_code=stored[0])
    raise RuntimeError("idempotency record could be neither written nor read")


def _lookup(
    session: Session, scope: str, key: str, digest: str
) -> tuple[int, dict[str, Any]] | None:
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
        )
    )
    if record is None:
        return None
    if record.request_hash != digest:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different request body; "
            "use a new key for a new request"
        )
    return record.status_code, record.response_body or {}
