"""A small SSE reader for tests: parses ``id:`` / ``data:`` frames from an httpx stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx


def frames(response: httpx.Response) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """(id, data) of each event; comments (heartbeats) are skipped."""
    event_id: str | None = None
    data: list[str] = []
    for line in response.iter_lines():
        if line.startswith(":"):
            continue
        if line.startswith("id:"):
            event_id = line[3:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            yield event_id, json.loads("\n".join(data))
            event_id, data = None, []


def read(
    stream: Iterator[tuple[str | None, dict[str, Any]]], n: int
) -> list[tuple[str | None, dict[str, Any]]]:
    """The next ``n`` events of ``stream`` (a :func:`frames` iterator)."""
    return [next(stream) for _ in range(n)]
