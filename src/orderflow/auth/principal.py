"""Who is calling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["customer", "vendor", "hub", "courier", "admin"]
ROLES: tuple[Role, ...] = ("customer", "vendor", "hub", "courier", "admin")


@dataclass(frozen=True)
class Principal:
    sub: str
    role: Role
    vendor_id: str | None = None
    hub_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def scope(self) -> str:
        """Identity used to scope idempotency keys."""
        return f"{self.role}:{self.sub}"
