"""The unit of work: the only place that commits.

``db.write()`` opens a write transaction. On SQLite all writers in a process take one lock and
the transaction begins IMMEDIATE, so there is exactly one writer at a time (no busy retries, no
lock-upgrade deadlocks); other processes wait on SQLite's own lock. ``db.read()`` is a plain
read transaction (WAL lets readers run beside the writer).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from orderflow.config import Settings
from orderflow.db.engine import make_engine
from orderflow.errors import RetryableConflict

T = TypeVar("T")

AFTER_COMMIT = "orderflow.after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the unit of work has committed (never after a rollback).

    For best-effort, in-process follow-ups only (cache drops, waking the dispatcher); anything
    that must not be lost goes to the outbox instead.
    """
    session.info.setdefault(AFTER_COMMIT, []).append(callback)


class Database:
    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._factory = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._writer_lock = threading.RLock()
        self._after_commit: list[Callable[[], None]] = []

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction, committed on success and rolled back on any error."""
        if self.is_sqlite:
            with self._writer_lock:
                yield from self._transaction("IMMEDIATE")
        else:
            yield from self._transaction(None)

    @contextmanager
    def read(self) -> Iterator[Session]:
        session = self._factory()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def _transaction(self, sqlite_begin: str | None) -> Iterator[Session]:
        session = self._factory()
        if sqlite_begin:
            session.connection(execution_options={"sqlite_begin": sqlite_begin})
        try:
            yield session
            callbacks = session.info.pop(AFTER_COMMIT, [])
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        for callback in callbacks:
            callback()

    def run_write(
        self, fn: Callable[[Session], T], *, retries: int = 3, conflict_retries: int = 10
    ) -> T:
        """Run ``fn`` in a write transaction; re-run it on serialization failures, deadlocks and
        lost races (``RetryableConflict``), each time on fresh data."""
        attempt = conflicts = 0
        while True:
            try:
                with self.write() as session:
                    return fn(session)
            except OperationalError as exc:
                attempt += 1
                if attempt > retries or not _is_retryable(exc):
                    raise
            except RetryableConflict:
                conflicts += 1
                if conflicts > conflict_retries:
                    raise

    def dispose(self) -> None:
        self.engine.dispose()


def _is_retryable(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code in {"40001", "40P01"} or "database is locked" in str(exc)
