"""The OpenAPI document covers the HTTP surface fixed by /work/shared/spec/api.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

SPEC = Path("/work/shared/spec/api.md")
_OPERATION = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE)\s+(/v1/[^\s`?,)]*)")


def _normalize(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/.:"))


def _spec_paths() -> set[str]:
    # WebSocket routes (``.../ws``) are not part of OpenAPI by design.
    paths = {_normalize(m.group(2)) for m in _OPERATION.finditer(SPEC.read_text())}
    return {p for p in paths if not p.endswith("/ws")}


@pytest.fixture
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


@pytest.mark.skipif(not SPEC.exists(), reason="the shared spec is not on this machine")
class TestTheDocumentListsTheSpecifiedSurface:
    def test_every_path_of_the_spec_is_documented(self, document: dict[str, Any]) -> None:
        documented = {_normalize(p) for p in document["paths"]}
        assert _spec_paths(), "no paths parsed from api.md"
        assert sorted(_spec_paths() - documented) == []


class TestEveryOperationDeclaresItsResponses:
    def test_every_operation_declares_a_success_response(self, document: dict[str, Any]) -> None:
        missing = [
            f"{method.upper()} {path}"
            for path, item in document["paths"].items()
            for method, op in item.items()
            if not any(code.startswith("2") for code in op.get("responses", {}))
        ]
        assert missing == []
