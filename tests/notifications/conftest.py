"""A local SMTP server (aiosmtpd) and a local webhook receiver that checks signatures."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from orderflow.config import Settings
from orderflow.kit.signing import verify
from tests.conftest import make_settings
from tests.tracking.conftest import free_port

WEBHOOK_SECRET = "whsec_test_0123456789abcdef"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.received = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        self.received.set()
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[Inbox, int]]:
    """One SMTP server for the session; ``inbox`` empties it per test."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def settings(database_url: str, smtp: tuple[Inbox, int]) -> Settings:
    return make_settings(database_url, smtp_host="127.0.0.1", smtp_port=smtp[1])


@pytest.fixture
def inbox(smtp: tuple[Inbox, int]) -> Inbox:
    smtp[0].messages.clear()
    smtp[0].received.clear()
    return smtp[0]


@dataclass
class Delivery:
    body: dict[str, Any]
    signature: str
    genuine: bool


@dataclass
class Receiver:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    port = free_port()
    state = Receiver(url=f"http://127.0.0.1:{port}/hooks/orders")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            signature = self.headers.get("Orderflow-Signature", "")
            genuine = verify(WEBHOOK_SECRET, raw, signature)
            state.deliveries.append(Delivery(json.loads(raw), signature, genuine))
            self.send_response(state.status if genuine else 400)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
