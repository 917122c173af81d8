"""Production settings smoke: real `orderflow` processes on PostgreSQL + Redis (127.0.0.1 only)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PG_ADMIN_URL, PG_HOST, PG_PORT, require_service

pytestmark = pytest.mark.slow

ORDERFLOW = str(Path(sys.executable).with_name("orderflow"))
TEST_SECRET = "scaleout-test-secret-" + "x" * 32


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def fresh_pg() -> Iterator[str]:
    """An empty (unmigrated) PostgreSQL database, dropped afterwards."""
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    name = f"orderflow_smoke_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERFLOW_")}
    env.update(ORDERFLOW_JWT_SECRET=TEST_SECRET, ORDERFLOW_LOG_LEVEL="WARNING")
    env.update(overrides)
    return env


def _wait_ready(proc: subprocess.Popen[bytes], base: str, deadline_s: float = 30) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not come up in time")


def _serve(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [ORDERFLOW, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, base)
    except AssertionError:
        proc.kill()
        raise
    return proc, base


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class TestProductionSettings:
    def test_prod_with_the_development_secret_refuses_to_start_with_a_clear_message(
        self, fresh_pg: str
    ) -> None:
        from orderflow.config import DEV_JWT_SECRET

        env = _env(
            ORDERFLOW_ENV="prod",
            ORDERFLOW_JWT_SECRET=DEV_JWT_SECRET,
            ORDERFLOW_DATABASE_URL=fresh_pg,
        )
        result = subprocess.run(
            [ORDERFLOW, "serve", "--port", str(_free_port())],
            env=env,
            capture_output=True,
            timeout=30,
        )
        assert result.returncode != 0
        assert b"ORDERFLOW_JWT_SECRET" in result.stdout + result.stderr

    def test_migrate_on_a_fresh_database_can_run_twice(self, fresh_pg: str) -> None:
        env = _env(ORDERFLOW_DATABASE_URL=fresh_pg)
        for _ in range(2):
            result = subprocess.run(
                [ORDERFLOW, "migrate"], env=env, capture_output=True, timeout=60
            )
            assert result.returncode == 0, result.stderr.decode()
        engine = create_engine(fresh_pg)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
        engine.dispose()


class TestReadiness:
    def test_readyz_reports_database_and_redis_ok(
        self, fresh_pg: str, redis_url: str, redis_prefix: str
    ) -> None:
        env = _env(
            ORDERFLOW_ENV="prod",
            ORDERFLOW_DATABASE_URL=fresh_pg,
            ORDERFLOW_REDIS_URL=redis_url,
            ORDERFLOW_REDIS_PREFIX=redis_prefix,
            ORDERFLOW_RUN_WORKER_IN_PROCESS="false",
        )
        proc, base = _serve(env)
        try:
            response = httpx.get(f"{base}/readyz", timeout=5)
        finally:
            _stop(proc)
        assert response.status_code == 200, response.text
        assert response.json()["checks"] == {"database": "ok", "redis": "ok"}

    def test_readyz_is_503_when_redis_is_unreachable(
        self, fresh_pg: str, redis_prefix: str
    ) -> None:
        env = _env(
            ORDERFLOW_ENV="prod",
            ORDERFLOW_DATABASE_URL=fresh_pg,
            ORDERFLOW_REDIS_URL=f"redis://127.0.0.1:{_free_port()}/0",
            ORDERFLOW_REDIS_PREFIX=redis_prefix,
            ORDERFLOW_RUN_WORKER_IN_PROCESS="false",
        )
        proc, base = _serve(env)
        try:
            response = httpx.get(f"{base}/readyz", timeout=10)
        finally:
            _stop(proc)
        assert response.status_code == 503, response.text
        body = response.json()
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["redis"].startswith("unreachable")
