"""The OpenAPI document says what the API really answers: every failure is problem+json.

FastAPI documents its own validation errors as ``application/json``; the problem handler
(api/problems.py) answers every 4xx/5xx as ``application/problem+json``. This rewrites the
generated document to match and adds the failures any operation can give (bad JSON, auth,
unknown ids, conflicts, oversized bodies, validation).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": ["string", "null"]},
                    "details": {},
                },
            },
        },
    },
    "additionalProperties": True,
}

COMMON_FAILURES = {
    "400": "Malformed JSON or a bad parameter",
    "401": "No, bad or expired bearer token",
    "403": "The token's role may not do this",
    "404": "Unknown (or not visible) resource",
    "409": "Conflicts with the resource's current state",
    "413": "Request body too large",
    "422": "The request is well-formed but invalid",
}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        html = {"text/html": {"schema": {"type": "string"}}}
        for path, operations in schema.get("paths", {}).items():
            # The tracking page is for people: its failures are HTML pages (or, for a
            # malformed URL, a problem).
            failure = {**html, **problem} if path.startswith("/track/") else problem
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for code, description in COMMON_FAILURES.items():
                    responses.setdefault(code, {"description": description})
                for code, response in responses.items():
                    if code[0] in "45":
                        response["content"] = failure
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
