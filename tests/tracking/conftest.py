"""Fixtures of the tracking tests: a marketplace, a placed order, an in-process live server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from orderflow.api.app import create_app
from orderflow.db.session import Database
from orderflow.kit.clock import utcnow
from orderflow.runtime import Runtime
from orderflow.tracking.repository import append_event
from tests.orders.factories import Marketplace, marketplace, order_payload, place_order


@pytest.fixture
def shop(db: Database) -> Marketplace:
    return marketplace(db)


@pytest.fixture
def order(customer: TestClient, shop: Marketplace) -> dict[str, Any]:
    """An order of ``cus_alice`` placed through the API (its event 1 is ``order.placed``)."""
    return place_order(customer, order_payload(*shop.lines()))


def emit(db: Database, order_id: str, event: str = "order.location", **data: Any) -> dict[str, Any]:
    """Append one tracking event the way every writer does (the shared writer)."""
    with db.write() as session:
        return append_event(
            session,
            order_id=order_id,
            event=event,
            title=event.removeprefix("order.").replace("_", " ").capitalize(),
            description="",
            data=data,
            now=utcnow(),
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    base_url: str
    ws_url: str
    runtime: Runtime


@contextmanager
def start_server(runtime: Runtime) -> Iterator[LiveServer]:
    """A real uvicorn server in a thread, with its lifespan (outbox dispatcher) running."""
    app: FastAPI = create_app(runtime=runtime, background=True)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.01)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", runtime)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(runtime: Runtime) -> Iterator[LiveServer]:
    with start_server(runtime) as live:
        yield live
