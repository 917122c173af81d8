"""HS256 JWTs: ``sub``, ``role`` and ``vendorId`` / ``hubId`` for those roles."""

from __future__ import annotations

import time
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


# Decoded tokens, briefly: a client sends the same bearer token with every request, and HS256
# verification plus claim checks cost more than the rest of a small request. Only successful
# decodes are kept, each until its ``exp`` or _CACHE_SECONDS, whichever comes first; a failure is
# never cached, so every invalid token gets its full check and message.
_CACHE_SECONDS = 30.0
_CACHE_MAX = 4096
_decoded: dict[tuple[str, str], tuple[float, Principal]] = {}


def decode_token(secret: str, token: str) -> Principal:
    key = (secret, token)
    hit = _decoded.get(key)
    if hit is not None:
        valid_until, principal = hit
        if time.time() < valid_until:
            return principal
        _decoded.pop(key, None)
    principal, exp = _decode(secret, token)
    if len(_decoded) >= _CACHE_MAX:
        _decoded.clear()
    _decoded[key] = (min(exp, time.time() + _CACHE_SECONDS), principal)
    return principal


def _decode(secret: str, token: str) -> tuple[Principal, float]:
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
    return Principal(sub=sub, role=role, vendor_id=vendor_id, hub_id=hub_id), float(claims["exp"])
