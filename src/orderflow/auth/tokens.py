"""HS256 JWTs: ``sub``, ``role`` and ``vendorId`` / ``hubId`` for those roles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt

from orderflow.auth.principal import Principal, Role
from orderflow.errors import Unauthorized
from orderflow.kit.clock import utcnow

ALGORITHM = "HS256"


def issue_token(
    secret: str,
    *,
    role: Role,
    sub: str,
    vendor_id: str | None = None,
    hub_id: str | None = None,
    ttl: timedelta = timedelta(days=1),
) -> str:
    if role == "vendor" and not vendor_id:
        raise ValueError("a vendor token needs --vendor-id")
    if role == "hub" and not hub_id:
        raise ValueError("a hub token needs --hub-id")
    now = utcnow()
    claims: dict[str, Any] = {"sub": sub, "role": role, "iat": now, "exp": now + ttl}
    if vendor_id:
        claims["vendorId"] = vendor_id
    if hub_id:
        claims["hubId"] = hub_id
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "role", "exp"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the token has expired; ask for a new one") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"the bearer token is not valid: {exc}") from exc
    role = claims.get("role")
    sub = claims.get("sub")
    if role not in ("customer", "vendor", "hub", "courier", "admin") or not isinstance(sub, str):
        raise Unauthorized("the token's role or subject is not one this API knows")
    vendor_id = claims.get("vendorId")
    hub_id = claims.get("hubId")
    if role == "vendor" and not isinstance(vendor_id, str):
        raise Unauthorized("a vendor token must carry a vendorId claim")
    if role == "hub" and not isinstance(hub_id, str):
        raise Unauthorized("a hub token must carry a hubId claim")
    return Principal(sub=sub, role=role, vendor_id=vendor_id, hub_id=hub_id)
