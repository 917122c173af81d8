"""The customer tracking page ``GET /track/{orderId}?token=`` (server-rendered, outside /v1).

Jinja2 templates and two static files served from this package: no build step and no network
beyond this server at run time (the map is an inline SVG drawn from coordinates).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from orderflow.api.deps import Db
from orderflow.auth.dependencies import principal_from, token_from
from orderflow.errors import NotFound, OrderflowError, Unauthorized
from orderflow.kit.clock import as_utc, isoformat
from orderflow.tracking.service import TrackingPage, tracking_service

HERE = FsPath(__file__).parent
STATIC = HERE / "static"
ASSETS = {"track.css": "text/css", "track.js": "text/javascript"}
ASSET_BASE = "/track/assets"

STATUS_LABELS = {
    "pending": "Order placed",
    "confirmed": "Confirmed",
    "processing": "Being prepared",
    "packed": "Packed",
    "out_for_delivery": "Out for delivery",
    "delivered": "Delivered",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
}

templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(
    iso=lambda value: isoformat(value),
    human=lambda value: as_utc(value).strftime("%d %b %Y, %H:%M UTC"),
    money=lambda value: f"${Decimal(str(value)).quantize(Decimal('0.01')):,}",
    status_label=lambda value: STATUS_LABELS.get(value, value),
    asset_base=ASSET_BASE,
)

router = APIRouter(tags=["tracking page"])


@router.get(
    "/track/{orderId}",
    response_class=HTMLResponse,
    summary="The customer tracking page (HTML, live without reloading)",
    responses={401: {"description": "Missing or bad token"}, 404: {"description": "Not visible"}},
)
def tracking_page(
    request: Request, order_id: Annotated[str, Path(alias="orderId", max_length=64)], db: Db
) -> Response:
    try:
        principal = principal_from(request)
        with db.read() as session:
            page = tracking_service.page(session, order_id, principal=principal)
    except Unauthorized:
        return _error(
            request,
            401,
            "Please sign in again",
            "This tracking link is missing its access token or the token has expired.",
            "Open the link from your latest order e-mail, or ask the shop for a new one.",
        )
    except NotFound:
        return _error(
            request,
            404,
            "Order not found",
            "We could not find this order for you.",
            "Check that the link is complete and that you are signed in as the right customer.",
        )
    except OrderflowError as exc:
        return _error(request, exc.status, exc.title, exc.detail, "")
    return templates.TemplateResponse(
        request,
        "track.html",
        _context(page, token=token_from(request) or "", order_id=order_id),
        headers=_headers(),
    )


@router.get("/track/assets/{name}", include_in_schema=False)
def tracking_asset(name: str) -> Response:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFound(f"there is no asset {name}")
    return FileResponse(
        STATIC / name, media_type=media_type, headers={"Cache-Control": "public, max-age=300"}
    )


def _context(page: TrackingPage, *, token: str, order_id: str) -> dict[str, Any]:
    order = page.order
    return {
        "order": order,
        "events": page.events,
        "vendors": page.vendors,
        "items_by_vendor": page.items_by_vendor,
        "courier": page.courier,
        "courier_caption": (
            f"at {page.courier.lat:.4f}, {page.courier.lng:.4f}" if page.courier else ""
        ),
        "config": {
            "orderId": order.id,
            "token": token,
            "lastSequence": page.last_sequence,
            "wsPath": f"/v1/orders/{order_id}/ws",
            "ssePath": f"/v1/orders/{order_id}/stream",
            "hubs": [_point(p) for p in page.hubs],
            "destination": _point(page.destination) if page.destination else None,
            "courier": _point(page.courier) if page.courier else None,
            "statusLabels": STATUS_LABELS,
        },
    }


def _point(point: Any) -> dict[str, Any]:
    return {"lat": point.lat, "lng": point.lng, "label": point.label}


def _error(request: Request, status: int, heading: str, message: str, hint: str) -> Response:
    return templates.TemplateResponse(
        request,
        "error.html",
        {"heading": heading, "message": message, "hint": hint},
        status_code=status,
        headers=_headers(),
    )


def _headers() -> dict[str, str]:
    return {
        "Cache-Control": "no-store",
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
        ),
        "Referrer-Policy": "no-referrer",
    }
