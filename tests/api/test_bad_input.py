"""Bad input on every write endpoint is a 4xx problem and changes nothing.

The endpoints are discovered from the OpenAPI document, so a new POST/PUT is covered as soon
as it exists: malformed JSON → 400, a body of the wrong type → 422 with ``errors``, an
oversized body → 413; the row count of every table is the same before and after.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from orderflow.db.base import Base
from orderflow.db.session import Database


def _write_routes(app: FastAPI) -> list[tuple[str, str]]:
    routes = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "put") and "requestBody" in operation:
                routes.append((method.upper(), re.sub(r"\{[^}]+\}", "does-not-exist", path)))
    return sorted(routes)


def _row_counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def _is_problem(response: Any) -> bool:
    body = response.json()
    return response.headers["content-type"].startswith("application/problem+json") and all(
        key in body for key in ("type", "title", "status", "detail")
    )


class TestEveryWriteEndpoint:
    def test_there_are_write_endpoints_to_check(self, app: FastAPI) -> None:
        assert len(_write_routes(app)) >= 12

    def test_malformed_json_is_a_400_problem_and_changes_nothing(
        self, app: FastAPI, admin: TestClient, db: Database
    ) -> None:
        before = _row_counts(db)
        for method, path in _write_routes(app):
            response = admin.request(
                method, path, content=b'{"broken": ', headers={"content-type": "application/json"}
            )
            assert response.status_code in (400, 401, 403, 404), (method, path, response.text)
            assert _is_problem(response), (method, path, response.text)
        assert _row_counts(db) == before

    def test_a_body_of_the_wrong_type_is_a_4xx_problem_and_changes_nothing(
        self, app: FastAPI, admin: TestClient, db: Database
    ) -> None:
        before = _row_counts(db)
        for method, path in _write_routes(app):
            response = admin.request(method, path, json=[1, "two", None])
            assert 400 <= response.status_code < 500, (method, path, response.text)
            assert _is_problem(response), (method, path, response.text)
            if response.status_code == 422:
                assert response.json()["errors"], (method, path)
        assert _row_counts(db) == before

    def test_an_oversized_body_is_a_413_and_changes_nothing(
        self, app: FastAPI, admin: TestClient, db: Database
    ) -> None:
        limit = app.state.settings.max_body_bytes
        before = _row_counts(db)
        big = b'{"notes": "' + b"x" * (limit + 10) + b'"}'
        for method, path in _write_routes(app):
            response = admin.request(
                method, path, content=big, headers={"content-type": "application/json"}
            )
            assert response.status_code == 413, (method, path, response.status_code)
            assert _is_problem(response)
        assert _row_counts(db) == before

    def test_a_streamed_oversized_body_is_a_413(self, admin: TestClient, app: FastAPI) -> None:
        limit = app.state.settings.max_body_bytes

        def chunks() -> Any:
            yield b'{"notes": "'
            for _ in range(limit // 1000 + 2):
                yield b"x" * 1000
            yield b'"}'

        response = admin.post(
            "/v1/orders", content=chunks(), headers={"content-type": "application/json"}
        )
        assert response.status_code == 413
        assert _is_problem(response)
