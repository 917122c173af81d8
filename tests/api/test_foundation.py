"""The frame every endpoint relies on: problems, body limits, auth, migrations."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import inspect

from orderflow.db.base import Base
from orderflow.db.session import Database


class TestHealth:
    def test_healthz_answers_ok(self, anonymous: TestClient) -> None:
        assert anonymous.get("/healthz").json() == {"status": "ok"}

    def test_readyz_checks_the_database(self, anonymous: TestClient) -> None:
        response = anonymous.get("/readyz")
        assert response.status_code == 200
        assert response.json()["checks"]["database"] == "ok"


class TestProblems:
    def test_unknown_route_is_a_404_problem(self, anonymous: TestClient) -> None:
        response = anonymous.get("/v1/does-not-exist")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 404


class TestMigrations:
    def test_the_migrated_schema_has_every_model_table(self, db: Database) -> None:
        tables = set(inspect(db.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
