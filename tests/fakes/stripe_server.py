"""A small, stateful fake of the Stripe API endpoints orderflow uses, served over real HTTP.

It speaks Stripe's wire format (form-encoded bodies with bracket notation, JSON objects with
``object`` fields, ``{"error": {...}}`` bodies), so the official SDK drives it unchanged:

* ``POST/GET /v1/payment_intents``, ``/{id}/confirm``, ``/{id}/capture``, ``/{id}/cancel``
* ``POST /v1/refunds``; ``POST/GET /v1/transfers``, ``POST /v1/transfers/{id}/reversals``
* ``POST/GET /v1/accounts``
* ``Idempotency-Key`` replay: the same key returns the first response; the same key with other
  parameters is a 400 ``idempotency_error``.
* Card outcomes by payment method id (``pm_card_visa`` succeeds, ``pm_card_declined``,
  ``pm_card_insufficient_funds``, ``pm_card_requires_action`` ...).
* Fault injection: ``fail_next(n, status=503)`` answers the next n requests with a 5xx without
  doing anything; ``fail_next(n, after_processing=True)`` does the work, stores it under the
  idempotency key, and still answers 5xx (a lost response); ``delay_next(n, seconds)`` does the
  work and answers late (a client timeout).
* ``signed(event)``: a body and ``Stripe-Signature`` header for posting a webhook to our endpoint.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DECLINES = {
    "pm_card_declined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_insufficient_funds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_expired": ("expired_card", "expired_card", "Your card has expired."),
}
REQUIRES_ACTION = {"pm_card_requires_action", "pm_card_authenticationRequired"}


def parse_form(body: bytes) -> dict[str, Any]:
    """Stripe's form encoding (``metadata[orderId]=x&expand[0]=y``) to nested dicts/lists."""
    result: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = result
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append(None)
                if last:
                    node[index] = value
                else:
                    if node[index] is None:
                        node[index] = [] if parts[i + 1].isdigit() else {}
                    node = node[index]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, [] if parts[i + 1].isdigit() else {})
    return result


class StripeFail(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        self.status = status
        self.error = error


def _invalid(message: str, code: str = "parameter_invalid", param: str | None = None) -> StripeFail:
    error = {"type": "invalid_request_error", "code": code, "message": message}
    if param:
        error["param"] = param
    return StripeFail(400, error)


@dataclass
class Fault:
    status: int
    after_processing: bool
    delay: float = 0.0
    path: str = ""


@dataclass
class StripeState:
    payment_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    reversals: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)


class FakeStripe:
    """The fake's state and behaviour; ``app`` is its ASGI application."""

    def __init__(
        self, api_key: str = "sk_test_orderflow", webhook_secret: str = "whsec_test"
    ) -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.state = StripeState()
        self.url = ""
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.app = Starlette(
            routes=[
                Route("/v1/{path:path}", self._endpoint, methods=["GET", "POST", "DELETE"]),
            ]
        )

    # ------------------------------------------------------------------ test controls

    def fail_next(
        self, n: int = 1, *, status: int = 503, after_processing: bool = False, path: str = ""
    ) -> None:
        """Answer the next ``n`` requests (whose path starts with ``path``) with ``status``."""
        self._faults += [Fault(status, after_processing, path=path) for _ in range(n)]

    def delay_next(self, n: int, seconds: float, *, path: str = "") -> None:
        self._faults += [Fault(200, True, delay=seconds, path=path) for _ in range(n)]

    def _take_fault(self, path: str) -> Fault | None:
        for i, fault in enumerate(self._faults):
            if path.startswith(fault.path):
                return self._faults.pop(i)
        return None

    def complete_authentication(self, intent_id: str) -> dict[str, Any]:
        """The customer passed 3-D Secure: the intent succeeds (as Stripe would after it)."""
        with self._lock:
            return self._succeed(self.state.payment_intents[intent_id])

    def calls(self, method: str, path_prefix: str) -> list[dict[str, Any]]:
        return [
            r
            for r in self.state.requests
            if r["method"] == method and r["path"].startswith(path_prefix)
        ]

    def signed(
        self, event: dict[str, Any], *, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        payload = json.dumps(event).encode()
        timestamp = int(time.time())
        signature = hmac.new(
            (secret or self.webhook_secret).encode(),
            f"{timestamp}.".encode() + payload,
            hashlib.sha256,
        ).hexdigest()
        return payload, {
            "Stripe-Signature": f"t={timestamp},v1={signature}",
            "Content-Type": "application/json",
        }

    def event(self, type_: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self._id("evt"),
            "object": "event",
            "type": type_,
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }

    # ------------------------------------------------------------------ HTTP

    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    async def _endpoint(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse(
                {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}},
                status_code=401,
            )
        params = (
            parse_form(await request.body())
            if request.method == "POST"
            else dict(request.query_params)
        )
        path = "/" + request.path_params["path"]
        key = request.headers.get("idempotency-key")
        with self._lock:
            fault = self._take_fault(path)
            self.state.requests.append(
                {"method": request.method, "path": path, "params": params, "idempotencyKey": key}
            )
            if fault is not None and not fault.after_processing:
                return self._error(fault.status, {"type": "api_error", "message": "injected"})
            status, body = self._idempotent(request.method, path, params, key)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.status >= 500:
            return self._error(fault.status, {"type": "api_error", "message": "injected"})
        return JSONResponse(body, status_code=status, headers=self._headers(key))

    def _headers(self, key: str | None) -> dict[str, str]:
        return {"Idempotency-Key": key} if key else {}

    def _error(self, status: int, error: dict[str, Any]) -> JSONResponse:
        return JSONResponse({"error": error}, status_code=status)

    def _idempotent(
        self, method: str, path: str, params: dict[str, Any], key: str | None
    ) -> tuple[int, dict[str, Any]]:
        if method != "POST" or key is None:
            return self._dispatch(method, path, params)
        fingerprint = hashlib.sha256(
            json.dumps([path, params], sort_keys=True).encode()
        ).hexdigest()
        stored = self.state.idempotency.get(key)
        if stored is not None:
            if stored[0] != fingerprint:
                return 400, {
                    "error": {
                        "type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the same "
                        f"parameters they were first used with. Try using a key other than "
                        f"'{key}' if you meant to execute a different request.",
                    }
                }
            return stored[1], stored[2]
        status, body = self._dispatch(method, path, params)
        if not (status == 400 and body["error"].get("type") == "invalid_request_error"):
            self.state.idempotency[key] = (fingerprint, status, body)
        return status, body

    def _dispatch(
        self, method: str, path: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        routes = [
            ("POST", r"/payment_intents", self._create_intent),
            ("GET", r"/payment_intents/(?P<id>[^/]+)", self._get_intent),
            ("POST", r"/payment_intents/(?P<id>[^/]+)/confirm", self._confirm_intent),
            ("POST", r"/payment_intents/(?P<id>[^/]+)/capture", self._capture_intent),
            ("POST", r"/payment_intents/(?P<id>[^/]+)/cancel", self._cancel_intent),
            ("POST", r"/refunds", self._create_refund),
            ("POST", r"/transfers", self._create_transfer),
            ("GET", r"/transfers/(?P<id>[^/]+)", self._get_transfer),
            ("POST", r"/transfers/(?P<id>[^/]+)/reversals", self._create_reversal),
            ("POST", r"/accounts", self._create_account),
            ("GET", r"/accounts/(?P<id>[^/]+)", self._get_account),
        ]
        for route_method, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match and route_method == method:
                try:
                    return 200, handler(params, **match.groupdict())
                except StripeFail as fail:
                    return fail.status, {"error": fail.error}
        return 404, {"error": {"type": "invalid_request_error", "message": f"no route {path}"}}

    # ------------------------------------------------------------------ payment intents

    def _intent(self, intent_id: str) -> dict[str, Any]:
        intent = self.state.payment_intents.get(intent_id)
        if intent is None:
            raise _invalid(f"No such payment_intent: '{intent_id}'", "resource_missing", "intent")
        return intent

    def _create_intent(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            amount = int(params["amount"])
        except (KeyError, ValueError) as exc:
            raise _invalid(
                "Missing required param: amount.", "parameter_missing", "amount"
            ) from exc
        if amount < 50:
            raise _invalid("Amount must be at least $0.50 usd", "amount_too_small", "amount")
        intent = {
            "id": self._id("pi"),
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "currency": params.get("currency", "usd"),
            "capture_method": params.get("capture_method", "automatic"),
            "status": "requires_payment_method",
            "payment_method": params.get("payment_method"),
            "transfer_group": params.get("transfer_group"),
            "metadata": params.get("metadata", {}),
            "latest_charge": None,
            "last_payment_error": None,
            "livemode": False,
        }
        if intent["payment_method"]:
            intent["status"] = "requires_confirmation"
        self.state.payment_intents[intent["id"]] = intent
        if params.get("confirm") == "true":
            return self._confirm(intent)
        return dict(intent)

    def _get_intent(self, params: dict[str, Any], id: str) -> dict[str, Any]:
        return dict(self._intent(id))

    def _confirm_intent(self, params: dict[str, Any], id: str) -> dict[str, Any]:
        intent = self._intent(id)
        if params.get("payment_method"):
            intent["payment_method"] = params["payment_method"]
        if intent["status"] == "requires_action":
            return self._succeed(intent)  # the customer completed authentication
        if intent["status"] not in ("requires_confirmation", "requires_payment_method"):
            raise _invalid(
                "This PaymentIntent cannot be confirmed.", "payment_intent_unexpected_state"
            )
        return self._confirm(intent)

    def _confirm(self, intent: dict[str, Any]) -> dict[str, Any]:
        method = intent["payment_method"] or ""
        if method in DECLINES:
            code, decline_code, message = DECLINES[method]
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {
                "type": "card_error",
                "code": code,
                "decline_code": decline_code,
                "message": message,
            }
            raise StripeFail(
                402,
                {
                    "type": "card_error",
                    "code": code,
                    "decline_code": decline_code,
                    "message": message,
                    "payment_intent": dict(intent),
                },
            )
        if method in REQUIRES_ACTION:
            intent["status"] = "requires_action"
            intent["next_action"] = {"type": "use_stripe_sdk"}
            return dict(intent)
        return self._succeed(intent)

    def _succeed(self, intent: dict[str, Any]) -> dict[str, Any]:
        charge = {
            "id": self._id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": 0,
            "amount_refunded": 0,
            "captured": False,
            "payment_intent": intent["id"],
            "transfer_group": intent["transfer_group"],
            "status": "succeeded",
        }
        self.state.charges[charge["id"]] = charge
        intent["latest_charge"] = charge["id"]
        intent.pop("next_action", None)
        if intent["capture_method"] == "manual":
            intent["status"] = "requires_capture"
        else:
            self._capture(intent, intent["amount"])
        return dict(intent)

    def _capture(self, intent: dict[str, Any], amount: int) -> None:
        charge = self.state.charges[intent["latest_charge"]]
        charge.update(amount_captured=amount, captured=True)
        intent.update(status="succeeded", amount_received=amount)

    def _capture_intent(self, params: dict[str, Any], id: str) -> dict[str, Any]:
        intent = self._intent(id)
        if intent["status"] != "requires_capture":
            raise _invalid(
                f"This PaymentIntent could not be captured because it has a status of "
                f"{intent['status']}.",
                "payment_intent_unexpected_state",
            )
        amount = int(params.get("amount_to_capture", intent["amount"]))
        if amount > intent["amount"]:
            raise _invalid("amount_to_capture is greater than the amount", "amount_too_large")
        self._capture(intent, amount)
        return dict(intent)

    def _cancel_intent(self, params: dict[str, Any], id: str) -> dict[str, Any]:
        intent = self._intent(id)
        if intent["status"] in ("succeeded", "canceled"):
            raise _invalid(
                f"You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}.",
                "payment_intent_unexpected_state",
            )
        intent["status"] = "canceled"
        return dict(intent)

    # ------------------------------------------------------------------ refunds

    def _create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        intent = self._intent(params.get("payment_intent", ""))
        charge = self.state.charges.get(intent["latest_charge"] or "")
        if charge is None or not charge["captured"]:
            raise _invalid(
                "This PaymentIntent has no captured charge to refund.", "charge_not_captured"
            )
        left = charge["amount_captured"] - charge["amount_refunded"]
        amount = int(params.get("amount", left))
        if amount <= 0 or amount > left:
            raise _invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                "amount_too_large",
                "amount",
            )
        charge["amount_refunded"] += amount
        refund = {
            "id": self._id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "payment_intent": intent["id"],
            "status": "succeeded",
            "metadata": params.get("metadata", {}),
        }
        self.state.refunds[refund["id"]] = refund
        return dict(refund)

    # ------------------------------------------------------------------ transfers

    def _create_transfer(self, params: dict[str, Any]) -> dict[str, Any]:
        destination = params.get("destination", "")
        if not destination.startswith("acct_"):
            raise _invalid(
                f"No such destination: '{destination}'", "resource_missing", "destination"
            )
        amount = int(params.get("amount", 0))
        if amount <= 0:
            raise _invalid("Invalid positive integer", "parameter_invalid_integer", "amount")
        source = params.get("source_transaction")
        if source is not None:
            charge = self.state.charges.get(source)
            if charge is None:
                raise _invalid(
                    f"No such charge: '{source}'", "resource_missing", "source_transaction"
                )
            sent = sum(
                t["amount"]
                for t in self.state.transfers.values()
                if t["source_transaction"] == source
            )
            if sent + amount > charge["amount_captured"]:
                raise _invalid(
                    "Transfers exceed the source transaction's amount", "amount_too_large"
                )
        transfer = {
            "id": self._id("tr"),
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "currency": params.get("currency", "usd"),
            "destination": destination,
            "transfer_group": params.get("transfer_group"),
            "source_transaction": source,
            "metadata": params.get("metadata", {}),
            "reversed": False,
        }
        self.state.transfers[transfer["id"]] = transfer
        return dict(transfer)

    def _get_transfer(self, params: dict[str, Any], id: str) -> dict[str, Any]:
        transfer = self.state.transfers.get(id)
        if transfer is None:
            raise _invalid(f"No such transfer: '{id}'", "resource_missing")
        return dict(transfer)

    def _create_reversal(self, params: dict[str, Any], id: str) -> dict[str, Any]:
        transfer = self.state.transfers.get(id)
        if transfer is None:
            raise _invalid(f"No such transfer: '{id}'", "resource_missing")
        left = transfer["amount"] - transfer["amount_reversed"]
        amount = int(params.get("amount", left))
        if amount <= 0 or amount > left:
            raise _invalid(
                "Reversal amount exceeds the transfer's unreversed amount", "amount_too_large"
            )
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        reversal = {
            "id": self._id("trr"),
            "object": "transfer_reversal",
            "amount": amount,
            "transfer": id,
            "metadata": params.get("metadata", {}),
        }
        self.state.reversals[reversal["id"]] = reversal
        return dict(reversal)

    # ------------------------------------------------------------------ accounts

    def _create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        account = {
            "id": self._id("acct"),
            "object": "account",
            "type": params.get("type", "express"),
        }
        self.state.accounts[account["id"]] = account
        return dict(account)

    def _get_account(self, params: dict[str, Any], id: str) -> dict[str, Any]:
        if id not in self.state.accounts:
            raise _invalid(f"No such account: '{id}'", "resource_missing")
        return dict(self.state.accounts[id])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(fake: FakeStripe) -> Iterator[FakeStripe]:
    """Run ``fake`` on 127.0.0.1 in a thread until the generator is closed."""
    port = _free_port()
    config = uvicorn.Config(
        fake.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the fake Stripe server did not start")
        time.sleep(0.01)
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        server.should_exit = True
        server.force_exit = True  # do not wait for the SDK's keep-alive connections
        thread.join(timeout=5)


@pytest.fixture
def stripe_fake() -> Iterator[FakeStripe]:
    """A fake Stripe on 127.0.0.1 for one test (``stripe_fake.url``, ``stripe_fake.state``)."""
    yield from serve(FakeStripe())
