"""Jobs of the changes domain (see docs/architecture.md, 'Jobs contract')."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TASKS: dict[str, Callable[..., Any]] = {}
COMPENSATIONS: dict[str, Callable[..., Any]] = {}
