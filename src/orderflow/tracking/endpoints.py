"""Real-time tracking: WebSocket ``/v1/orders/{orderId}/ws``, SSE ``/v1/orders/{orderId}/stream``.

Both: authorize like the REST API, subscribe, replay what the client missed (``after`` /
``Last-Event-ID``), then stream live events. See docs/tracking.md for the protocol.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import anyio.to_thread
import orjson
from fastapi import APIRouter, Header, Path, Query, Request, WebSocket
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.websockets import WebSocketDisconnect, WebSocketState

from orderflow.auth.dependencies import AnyPrincipal, principal_from
from orderflow.auth.principal import Principal
from orderflow.errors import NotFound, OrderflowError, Unauthorized
from orderflow.kit.clock import isoformat, utcnow
from orderflow.runtime import Runtime
from orderflow.tracking.fanout import Dropped, Fanout, Message, Subscription, fanout_for
from orderflow.tracking.service import resume_point, tracking_service
from orderflow.tracking.stream import Heartbeat, events

router = APIRouter()

# WebSocket close codes (docs/tracking.md).
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_SLOW = 4408
CLOSE_GOING_AWAY = 1001

OrderId = Annotated[str, Path(alias="orderId", max_length=64)]


def _fanout(runtime: Runtime) -> Fanout:
    return fanout_for(runtime.extras, runtime.pubsub, queue_size=runtime.settings.ws_send_queue)


def _loader(runtime: Runtime, order_id: str) -> Any:
    def load(after: int, upto: int | None) -> list[Message]:
        with runtime.db.read() as session:
            return tracking_service.history(session, order_id, after=after, upto=upto)

    return load


def _authorize(runtime: Runtime, order_id: str, principal: Principal) -> int:
    with runtime.db.read() as session:
        return tracking_service.authorize(session, order_id, principal=principal)


@router.websocket("/orders/{orderId}/ws", name="order_socket")
async def order_socket(
    websocket: WebSocket,
    order_id: OrderId,
    after: Annotated[str | None, Query(description="Replay events after this sequence")] = None,
) -> None:
    """Push the order's tracking events as JSON ``{orderId, timestamp, event, data, sequence}``.

    Close codes: 4400 bad ``after``, 4401 missing/bad token, 4404 unknown or not visible order,
    4408 the client read too slowly, 1001 server going away.
    """
    runtime: Runtime = websocket.app.state.runtime
    await websocket.accept()
    try:
        principal = principal_from(websocket)
        start = resume_point(after)
        # A resume point beyond the latest event means "from now on".
        start = min(start, await anyio.to_thread.run_sync(_authorize, runtime, order_id, principal))
    except Unauthorized as exc:
        await _close(websocket, CLOSE_UNAUTHORIZED, exc.detail)
        return
    except NotFound as exc:
        await _close(websocket, CLOSE_NOT_FOUND, exc.detail)
        return
    except OrderflowError as exc:
        await _close(websocket, CLOSE_BAD_REQUEST, exc.detail)
        return
    sub = _fanout(runtime).subscribe(order_id)
    code, reason = CLOSE_GOING_AWAY, "server closing"
    try:
        async with anyio.create_task_group() as tg:

            async def pump() -> None:
                nonlocal code, reason
                try:
                    await _pump(websocket, sub, runtime, order_id, start)
                except Dropped:
                    code, reason = CLOSE_TOO_SLOW, "client too slow: send queue overflowed"
                tg.cancel_scope.cancel()

            async def watch_drop() -> None:
                nonlocal code, reason
                await sub.dropped_event.wait()
                code, reason = CLOSE_TOO_SLOW, "client too slow: send queue overflowed"
                tg.cancel_scope.cancel()

            async def watch_client() -> None:
                nonlocal code
                with contextlib.suppress(WebSocketDisconnect):
                    while True:
                        message = await websocket.receive()
                        if message["type"] == "websocket.disconnect":
                            break
                code = 0
                tg.cancel_scope.cancel()

            tg.start_soon(pump)
            tg.start_soon(watch_drop)
            tg.start_soon(watch_client)
    finally:
        sub.close()
        if code:
            with anyio.move_on_after(1, shield=True):
                await _close(websocket, code, reason)


async def _pump(
    websocket: WebSocket, sub: Subscription, runtime: Runtime, order_id: str, start: int
) -> None:
    heartbeat = runtime.settings.ws_heartbeat_seconds
    async for item in events(
        sub, after=start, load=_loader(runtime, order_id), heartbeat=heartbeat
    ):
        if isinstance(item, Heartbeat):
            text = orjson.dumps({"event": "heartbeat", "timestamp": isoformat(utcnow())}).decode()
        else:
            text = item.text
        await websocket.send_text(text)


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state == WebSocketState.DISCONNECTED:
        return
    with contextlib.suppress(Exception):
        await websocket.close(code, reason=reason.encode()[:120].decode(errors="ignore"))


@router.get(
    "/orders/{orderId}/stream",
    summary="Server-sent tracking events (id = sequence; resumes from Last-Event-ID)",
    response_class=EventSourceResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The event stream"},
        401: {"description": "No or bad token"},
        404: {"description": "Unknown order, or not yours"},
    },
)
async def order_stream(
    request: Request,
    order_id: OrderId,
    principal: AnyPrincipal,
    after: Annotated[str | None, Query(description="Replay events after this sequence")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> EventSourceResponse:
    runtime: Runtime = request.app.state.runtime
    start = resume_point(after, last_event_id)
    start = min(start, await anyio.to_thread.run_sync(_authorize, runtime, order_id, principal))
    sub = _fanout(runtime).subscribe(order_id)
    heartbeat = runtime.settings.ws_heartbeat_seconds

    async def stream() -> AsyncIterator[ServerSentEvent]:
        try:
            async for item in events(
                sub, after=start, load=_loader(runtime, order_id), heartbeat=heartbeat
            ):
                if isinstance(item, Heartbeat):
                    yield ServerSentEvent(comment="heartbeat")
                else:
                    yield ServerSentEvent(data=item.text, id=str(item.sequence))
        except Dropped:
            return
        finally:
            sub.close()

    return EventSourceResponse(
        stream(),
        send_timeout=max(heartbeat, 5.0),
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
