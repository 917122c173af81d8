"""Request-scoped dependencies shared by every domain's endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from orderflow.config import Settings
from orderflow.db.session import Database
from orderflow.errors import BadRequest
from orderflow.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_db(request: Request) -> Database:
    db: Database = request.app.state.runtime.db
    return db


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Retry-safe key: a retry with the same key returns the first result.",
        ),
    ] = None,
) -> str | None:
    if key is None:
        return None
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise BadRequest("Idempotency-Key must be 1 to 200 printable characters")
    return key


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Db = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]
