"""Shared fixtures: a migrated database per test on SQLite and PostgreSQL, apps and clients.

Databases are built by the Alembic migrations, never ``create_all``. SQLite: the migrated file is
copied per test. PostgreSQL: one database per test process, migrated once, truncated per test.
A service that is down skips its tests locally and FAILS them on CI (``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from orderflow.api.app import create_app
from orderflow.auth.tokens import issue_token
from orderflow.config import Settings
from orderflow.db.base import Base
from orderflow.db.migrate import upgrade
from orderflow.db.session import Database
from orderflow.runtime import Runtime, build_runtime
from tests.fakes.stripe_server import stripe_fake  # noqa: F401  (fixture)

TEST_SECRET = "orderflow-test-secret-0123456789abcdef0123456789"
PG_HOST = os.environ.get("ORDERFLOW_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("ORDERFLOW_TEST_PG_PORT", "5432"))
PG_ADMIN_URL = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/postgres"
REDIS_URL = os.environ.get("ORDERFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ON_CI = os.environ.get("CI", "").lower() == "true"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}; start it (see README, 'Tests')"
    if ON_CI:
        pytest.fail(message)
    pytest.skip(message)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        default=os.environ.get("ORDERFLOW_TEST_BACKENDS", "sqlite,postgres"),
        help="comma-separated database backends to run database tests on",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    own = [m for m in metafunc.definition.iter_markers("parametrize") if "backend" in m.args[0]]
    if "backend" in metafunc.fixturenames and not own:
        backends = metafunc.config.getoption("--backend").split(",")
        metafunc.parametrize(
            "backend", [b.strip() for b in backends if b.strip()], scope="function"
        )


# ---------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of this test process, migrated once."""
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"orderflow_test_{worker}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    upgrade(url)
    yield url
    engine = _reset_engines.pop(url, None)
    if engine is not None:
        engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_reset_engines: dict[str, Engine] = {}


def _reset_postgres(url: str) -> None:
    """Empty every table. DELETE (children first) is far cheaper than TRUNCATE on tiny tables."""
    engine = _reset_engines.get(url)
    if engine is None:
        engine = _reset_engines[url] = create_engine(url, pool_size=1)
    statements = ";".join(f'DELETE FROM "{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        conn.exec_driver_sql(statements)


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, sqlite_template: Path
) -> str:
    if backend == "sqlite":
        path = tmp_path / "orderflow.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    if backend == "postgres":
        url: str = request.getfixturevalue("pg_database")
        _reset_postgres(url)
        return url
    raise ValueError(f"unknown backend {backend}")


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "database_url": database_url,
        "jwt_secret": TEST_SECRET,
        "log_json": False,
        "run_worker_in_process": False,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(settings, db=Database(settings))
    yield rt
    rt.close()


@pytest.fixture
def db(runtime: Runtime) -> Database:
    return runtime.db


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime=runtime, background=False)


# ---------------------------------------------------------------- auth and clients

TokenFactory = Callable[..., str]


@pytest.fixture
def make_token() -> TokenFactory:
    def factory(
        role: str, sub: str = "user-1", *, vendor_id: str | None = None, hub_id: str | None = None
    ) -> str:
        return issue_token(TEST_SECRET, role=role, sub=sub, vendor_id=vendor_id, hub_id=hub_id)  # type: ignore[arg-type]

    return factory


ClientFactory = Callable[..., TestClient]


@pytest.fixture
def client_for(app: FastAPI, make_token: TokenFactory) -> ClientFactory:
    """``client_for("customer", "cus_1")``: a client whose requests carry that role's token."""

    def factory(
        role: str | None,
        sub: str = "user-1",
        *,
        vendor_id: str | None = None,
        hub_id: str | None = None,
    ) -> TestClient:
        headers = {}
        if role is not None:
            token = make_token(role, sub, vendor_id=vendor_id, hub_id=hub_id)
            headers["Authorization"] = f"Bearer {token}"
        return TestClient(app, headers=headers, raise_server_exceptions=False)

    return factory


@pytest.fixture
def admin(client_for: ClientFactory) -> TestClient:
    return client_for("admin", "admin-1")


@pytest.fixture
def anonymous(client_for: ClientFactory) -> TestClient:
    return client_for(None)


@pytest.fixture
def customer(client_for: ClientFactory) -> TestClient:
    return client_for("customer", "cus_alice")


# ---------------------------------------------------------------- redis


@pytest.fixture
def redis_url() -> str:
    host_port = REDIS_URL.split("://", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    require_service("Redis", host, int(port or 6379))
    return REDIS_URL


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = f"oftest:{uuid.uuid4().hex[:10]}"
    yield prefix
    if _reachable("127.0.0.1", 6379):
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()
