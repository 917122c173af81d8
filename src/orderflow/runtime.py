"""Everything a process needs, built once from settings: database, cache, pub/sub, queue.

The API lifespan and the worker each build one ``Runtime``; nothing else holds global state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orderflow.config import Settings
from orderflow.db.session import Database
from orderflow.infra.cache import Cache, MemoryCache
from orderflow.infra.pubsub import MemoryPubSub, PubSub


@dataclass
class Runtime:
    settings: Settings
    db: Database
    cache: Cache
    pubsub: PubSub
    # Filled by workers/ when the queue is set up (saq Queue); Any keeps saq out of typing here.
    queue: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        self.cache.close()
        self.db.dispose()


def build_runtime(settings: Settings, *, db: Database | None = None) -> Runtime:
    return Runtime(
        settings=settings,
        db=db or Database(settings),
        cache=MemoryCache(),
        pubsub=MemoryPubSub(),
    )
