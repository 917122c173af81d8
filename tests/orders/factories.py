"""Order factories other domains' tests can reuse.

``order_payload(line(variant, 2), line(other, 1))`` builds an ``OrderCreation`` body from catalog
rows (catalog price, vendor); ``place_order(client, payload)`` POSTs it and returns the body.
``marketplace(db)`` builds a small catalog: one hub in Chicago, two vendors (a brand and a
distributor), one variant each, stock at the hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from orderflow.db.models import Hub, Variant, Vendor
from orderflow.db.session import Database
from orderflow.kit.money import to_dollars
from tests.factories import address, create_hub, create_variant, create_vendor, set_stock


def line(
    variant: Variant, quantity: int = 1, *, vendor_type: str = "brand", **overrides: Any
) -> dict[str, Any]:
    """One ``items[]`` entry for ``variant`` at its catalog price."""
    values: dict[str, Any] = {
        "variantId": variant.id,
        "quantity": quantity,
        "price": float(to_dollars(variant.price_amount)),
        "vendorId": variant.vendor_id,
        "vendorType": vendor_type,
    }
    values.update(overrides)
    return values


def order_payload(*items: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """An ``OrderCreation`` body (camelCase); ``overrides`` replace top-level fields."""
    values: dict[str, Any] = {
        "customerId": "cus_alice",
        "shippingAddress": address(),
        "billingAddress": address(),
        "items": list(items),
        "deliveryType": "standard",
        "paymentMethodId": "pm_card_visa",
        "notes": "Leave at the front desk",
        "ageVerified": True,
    }
    values.update(overrides)
    return values


def place_order(
    client: TestClient,
    payload: dict[str, Any],
    *,
    key: str | None = None,
    expect: int | None = 201,
) -> dict[str, Any]:
    """POST /v1/orders; checks the status when ``expect`` is given and returns the JSON body."""
    headers = {"Idempotency-Key": key} if key else {}
    response = client.post("/v1/orders", json=payload, headers=headers)
    if expect is not None:
        assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


@dataclass
class Marketplace:
    hub: Hub
    brand: Vendor
    distributor: Vendor
    beer: Variant  # sold by the brand, 12.99
    wine: Variant  # sold by the distributor, 24.50

    def lines(self, beer: int = 2, wine: int = 1) -> list[dict[str, Any]]:
        return [line(self.beer, beer), line(self.wine, wine, vendor_type="distributor")]


def marketplace(db: Database, *, beer_stock: int = 10, wine_stock: int = 10) -> Marketplace:
    hub = create_hub(db)
    brand = create_vendor(db, type="brand")
    distributor = create_vendor(db, type="distributor")
    beer = create_variant(db, vendor_id=brand.id, price_amount=1299, title="Pale Ale 6-pack")
    wine = create_variant(db, vendor_id=distributor.id, price_amount=2450, title="Rioja 750ml")
    set_stock(db, hub.id, beer.id, beer_stock)
    set_stock(db, hub.id, wine.id, wine_stock)
    return Marketplace(hub, brand, distributor, beer, wine)
