"""The checks of the seed's ``validateOrder`` as pure functions over loaded data.

Everything the checks need (catalog rows, per-hub stock, what each hub can do for this address
and time) is loaded by ``order_service.validate`` and passed in, with ``now``. Each problem is a
``ValidationIssue`` with a stable ``code``, an actionable message and a ``field`` path such as
``items[1].quantity``. The catalog is the source of truth for price and vendor type: a client
value that differs is a warning and the catalog value is what the order uses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from orderflow.kit.money import to_cents, to_dollars
from orderflow.orders.schemas import (
    Address,
    OrderCreation,
    OrderItemIn,
    ValidationIssue,
    ValidationResult,
)

# The 50 states and DC.
_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE "
    "NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
)
US_STATES = frozenset(_STATE_CODES.split())
ZIP_RE = re.compile(r"^\d{5}(-\d{4})?$")
PAYMENT_METHOD_RE = re.compile(r"^(pm|card|tok|src)_[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class CatalogVariant:
    id: str
    sku: str
    title: str
    vendor_id: str
    vendor_type: str
    price_amount: int
    age_restricted: bool
    active: bool
    # False when the configured gateway cannot pay this vendor (Stripe without an account).
    vendor_payable: bool = True


@dataclass(frozen=True)
class HubView:
    """What one hub can do for this order's address and time (computed with routing helpers)."""

    hub_id: str
    serves_address: bool
    distance_km: float | None = None
    open_at_scheduled: bool = True
    express_possible: bool = False


@dataclass(frozen=True)
class Rules:
    max_lines: int = 50
    max_line_quantity: int = 100
    minimum_scheduled_lead_minutes: int = 120
    max_schedule_days: int = 14


@dataclass(frozen=True)
class Facts:
    variants: Mapping[str, CatalogVariant]
    hubs: Sequence[HubView]
    # variant -> hub -> units available (on hand - reserved)
    availability: Mapping[str, Mapping[str, int]]
    address_located: bool = True
    rules: Rules = field(default_factory=Rules)


def _issue(
    code: str, message: str, field_path: str | None = None, **details: Any
) -> ValidationIssue:
    return ValidationIssue(code=code, message=message, field=field_path, details=details or None)


# ---------------------------------------------------------------- items


def check_items(
    items: Sequence[OrderItemIn], facts: Facts
) -> tuple[list[ValidationIssue], list[ValidationIssue]]:
    """Catalog, quantity and duplicate checks. Returns (errors, warnings)."""
    errors: list[ValidationIssue] = []
    warnings: list[ValidationIssue] = []
    rules = facts.rules
    if not items:
        errors.append(_issue("no_items", "add at least one item to the order", "items"))
    if len(items) > rules.max_lines:
        errors.append(
            _issue(
                "too_many_lines",
                f"an order has at most {rules.max_lines} lines; this one has {len(items)}",
                "items",
                maxLines=rules.max_lines,
            )
        )
    first_index: dict[str, int] = {}
    for i, item in enumerate(items):
        path = f"items[{i}]"
        if item.quantity <= 0:
            errors.append(
                _issue("invalid_quantity", "quantity must be at least 1", f"{path}.quantity")
            )
        elif item.quantity > rules.max_line_quantity:
            errors.append(
                _issue(
                    "quantity_too_large",
                    f"at most {rules.max_line_quantity} units of one item per order",
                    f"{path}.quantity",
                    maxQuantity=rules.max_line_quantity,
                )
            )
        if item.variant_id in first_index:
            errors.append(
                _issue(
                    "duplicate_line",
                    f"variant {item.variant_id} is already on line "
                    f"{first_index[item.variant_id]}; put the whole quantity on one line",
                    f"{path}.variantId",
                    firstIndex=first_index[item.variant_id],
                )
            )
        else:
            first_index[item.variant_id] = i
        errors_i, warnings_i = _check_catalog(i, item, facts.variants.get(item.variant_id))
        errors.extend(errors_i)
        warnings.extend(warnings_i)
    return errors, warnings


def _check_catalog(
    i: int, item: OrderItemIn, variant: CatalogVariant | None
) -> tuple[list[ValidationIssue], list[ValidationIssue]]:
    path = f"items[{i}]"
    if variant is None:
        return [
            _issue(
                "unknown_variant",
                f"there is no product variant {item.variant_id!r}; remove it from the order",
                f"{path}.variantId",
            )
        ], []
    errors: list[ValidationIssue] = []
    warnings: list[ValidationIssue] = []
    if not variant.active:
        errors.append(
            _issue(
                "inactive_variant",
                f"{variant.title} ({variant.sku}) is no longer sold; remove it from the order",
                f"{path}.variantId",
            )
        )
    if item.vendor_id != variant.vendor_id:
        errors.append(
            _issue(
                "vendor_mismatch",
                f"{variant.title} is sold by vendor {variant.vendor_id}, not {item.vendor_id}",
                f"{path}.vendorId",
                catalogVendorId=variant.vendor_id,
            )
        )
    elif not variant.vendor_payable:
        errors.append(
            _issue(
                "vendor_not_payable",
                f"vendor {variant.vendor_id} cannot receive payouts yet; "
                "remove its items or try again later",
                f"{path}.vendorId",
            )
        )
    if to_cents(item.price) != variant.price_amount:
        warnings.append(
            _issue(
                "price_changed",
                f"the price of {variant.title} is {to_dollars(variant.price_amount)}; "
                "the order uses the catalog price",
                f"{path}.price",
                clientPrice=float(to_dollars(to_cents(item.price))),
                catalogPrice=float(to_dollars(variant.price_amount)),
            )
        )
    if item.vendor_type != variant.vendor_type:
        warnings.append(
            _issue(
                "vendor_type_changed",
                f"vendor {variant.vendor_id} is a {variant.vendor_type}; "
                "the order uses the catalog value",
                f"{path}.vendorType",
                catalogVendorType=variant.vendor_type,
            )
        )
    return errors, warnings


# ---------------------------------------------------------------- inventory


def check_inventory(items: Sequence[OrderItemIn], facts: Facts) -> list[ValidationIssue]:
    """Each line must be coverable by the stock at the hubs that deliver to the address."""
    serving = [h.hub_id for h in facts.hubs if h.serves_address]
    hubs = serving or [h.hub_id for h in facts.hubs]
    errors: list[ValidationIssue] = []
    for i, item in enumerate(items):
        variant = facts.variants.get(item.variant_id)
        if variant is None or not variant.active or item.quantity <= 0:
            continue
        per_hub = facts.availability.get(item.variant_id, {})
        stocked = {hub: per_hub[hub] for hub in hubs if per_hub.get(hub, 0) > 0}
        locations = [{"hubId": hub, "available": n} for hub, n in stocked.items()]
        available = sum(stocked.values())
        if available < item.quantity:
            errors.append(
                _issue(
                    "insufficient_stock",
                    f"only {available} of {variant.title} available for this address; "
                    f"{item.quantity} requested",
                    f"items[{i}].quantity",
                    variantId=item.variant_id,
                    requested=item.quantity,
                    available=available,
                    locations=locations,
                )
            )
    return errors


# ---------------------------------------------------------------- addresses


def check_address_format(address: Address, prefix: str) -> list[ValidationIssue]:
    errors: list[ValidationIssue] = []
    for name, wire in (("line1", "line1"), ("city", "city"), ("state", "state")):
        if not getattr(address, name).strip():
            errors.append(_issue("address_incomplete", f"{wire} is required", f"{prefix}.{wire}"))
    if not address.postal_code.strip():
        errors.append(
            _issue("address_incomplete", "postalCode is required", f"{prefix}.postalCode")
        )
    elif not ZIP_RE.match(address.postal_code.strip()):
        errors.append(
            _issue(
                "invalid_postal_code",
                f"{address.postal_code!r} is not a US ZIP code (12345 or 12345-6789)",
                f"{prefix}.postalCode",
            )
        )
    if address.state.strip() and address.state.strip().upper() not in US_STATES:
        errors.append(
            _issue(
                "invalid_state",
                f"{address.state!r} is not a two-letter US state code such as IL",
                f"{prefix}.state",
            )
        )
    if address.country.strip().upper() not in ("US", "USA"):
        errors.append(
            _issue(
                "unsupported_country",
                "we deliver within the United States only (country US)",
                f"{prefix}.country",
            )
        )
    return errors


def check_shipping_address(creation: OrderCreation, facts: Facts) -> list[ValidationIssue]:
    errors = check_address_format(creation.shipping_address, "shippingAddress")
    errors += check_address_format(creation.billing_address, "billingAddress")
    if errors:
        return errors
    if not facts.address_located:
        return [
            _issue(
                "address_not_located",
                "we could not place this address on the map; check the street and ZIP "
                "or send lat/lng",
                "shippingAddress",
            )
        ]
    if not any(h.serves_address for h in facts.hubs):
        nearest = min(
            (h.distance_km for h in facts.hubs if h.distance_km is not None), default=None
        )
        return [
            _issue(
                "address_not_serviceable",
                "no fulfillment hub delivers to this address yet",
                "shippingAddress",
                nearestHubKm=None if nearest is None else round(nearest, 1),
            )
        ]
    return []


# ---------------------------------------------------------------- payment, age, window


def check_payment_method(payment_method_id: str) -> list[ValidationIssue]:
    if not payment_method_id.strip():
        return [_issue("payment_method_missing", "choose a payment method", "paymentMethodId")]
    if not PAYMENT_METHOD_RE.match(payment_method_id):
        return [
            _issue(
                "payment_method_unknown",
                f"{payment_method_id!r} is not a payment method id this store accepts "
                "(pm_..., card_..., tok_... or src_...)",
                "paymentMethodId",
            )
        ]
    return []


def check_age(creation: OrderCreation, facts: Facts) -> list[ValidationIssue]:
    restricted = [
        item.variant_id
        for item in creation.items
        if (v := facts.variants.get(item.variant_id)) is not None and v.age_restricted
    ]
    if restricted and not creation.age_verified:
        return [
            _issue(
                "age_verification_required",
                "this order has age-restricted items; confirm the customer's age "
                "(ageVerified: true) before ordering",
                "ageVerified",
                variantIds=restricted,
            )
        ]
    return []


def check_delivery_window(
    creation: OrderCreation, facts: Facts, *, now: datetime
) -> list[ValidationIssue]:
    rules = facts.rules
    when = creation.scheduled_delivery
    serving = [h for h in facts.hubs if h.serves_address]
    if creation.delivery_type != "scheduled":
        if when is not None:
            return [
                _issue(
                    "scheduled_delivery_not_allowed",
                    f"scheduledDelivery is only for deliveryType 'scheduled'; remove it or "
                    f"change the type (this is {creation.delivery_type!r})",
                    "scheduledDelivery",
                )
            ]
        if (
            creation.delivery_type == "express"
            and serving
            and not any(h.express_possible for h in serving)
        ):
            return [
                _issue(
                    "express_unavailable",
                    "no hub near this address can deliver express right now; "
                    "choose standard or scheduled delivery",
                    "deliveryType",
                )
            ]
        return []
    if when is None:
        return [
            _issue(
                "scheduled_delivery_required",
                "a scheduled delivery needs scheduledDelivery (an ISO 8601 time)",
                "scheduledDelivery",
            )
        ]
    earliest = now + timedelta(minutes=rules.minimum_scheduled_lead_minutes)
    latest = now + timedelta(days=rules.max_schedule_days)
    if when <= now:
        return [
            _issue(
                "scheduled_delivery_in_past",
                "scheduledDelivery is in the past; pick a future time",
                "scheduledDelivery",
                earliest=earliest.isoformat(),
            )
        ]
    if when < earliest:
        return [
            _issue(
                "scheduled_delivery_too_soon",
                f"scheduled deliveries need at least {rules.minimum_scheduled_lead_minutes} "
                "minutes' notice",
                "scheduledDelivery",
                earliest=earliest.isoformat(),
            )
        ]
    if when > latest:
        return [
            _issue(
                "scheduled_delivery_too_far",
                f"deliveries can be scheduled at most {rules.max_schedule_days} days ahead",
                "scheduledDelivery",
                latest=latest.isoformat(),
            )
        ]
    if serving and not any(h.open_at_scheduled for h in serving):
        return [
            _issue(
                "scheduled_delivery_outside_hours",
                "no hub delivering to this address is open at that time; pick another time",
                "scheduledDelivery",
            )
        ]
    return []


def validate_order(creation: OrderCreation, facts: Facts, *, now: datetime) -> ValidationResult:
    item_errors, warnings = check_items(creation.items, facts)
    errors = [
        *item_errors,
        *check_inventory(creation.items, facts),
        *check_shipping_address(creation, facts),
        *check_payment_method(creation.payment_method_id),
        *check_age(creation, facts),
        *check_delivery_window(creation, facts, now=now),
    ]
    return ValidationResult(valid=not errors, errors=errors, warnings=warnings)
