"""FastAPI dependencies: the caller's principal, and role gates.

``Authorization: Bearer <jwt>``; WebSocket/SSE clients in a browser may pass ``?token=``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from orderflow.auth.principal import Principal, Role
from orderflow.auth.tokens import decode_token
from orderflow.errors import Forbidden, Unauthorized


def token_from(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("use 'Authorization: Bearer <token>'")
        return value.strip()
    return conn.query_params.get("token")


def principal_from(conn: HTTPConnection) -> Principal:
    token = token_from(conn)
    if not token:
        raise Unauthorized("send 'Authorization: Bearer <token>'; `orderflow token` makes one")
    return decode_token(conn.app.state.settings.jwt_secret, token)


async def get_principal(request: Request) -> Principal:
    return principal_from(request)


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in roles:
            raise Forbidden(
                f"this action needs the role {' or '.join(roles)}; your token has {principal.role}"
            )
        return principal

    return check


AnyPrincipal = Annotated[Principal, Depends(get_principal)]
AdminPrincipal = Annotated[Principal, Depends(require("admin"))]
CustomerPrincipal = Annotated[Principal, Depends(require("customer", "admin"))]
VendorPrincipal = Annotated[Principal, Depends(require("vendor", "admin"))]
HubPrincipal = Annotated[Principal, Depends(require("hub", "admin"))]
CourierPrincipal = Annotated[Principal, Depends(require("courier", "admin"))]
FulfillmentActor = Annotated[Principal, Depends(require("hub", "courier", "admin"))]
