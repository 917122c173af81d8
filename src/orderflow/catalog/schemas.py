"""Catalog and network payloads (api.md "Catalog and network (admin)")."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AnyHttpUrl, Field, PlainSerializer, field_validator, model_validator

from orderflow.db.models import Hub, Variant, Vendor
from orderflow.kit.money import NonNegativeDollars, to_dollars
from orderflow.kit.schema import ApiModel, ApiResponse

Identifier = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$",
        description="Letters, digits and _ . : - (at most 64 characters)",
    ),
]
# No control characters (PostgreSQL refuses NUL in text; none belong in a name or address).
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


def _text(min_length: int, max_length: int) -> object:
    return Field(min_length=min_length, max_length=max_length, pattern=_PRINTABLE)


Name = Annotated[str, _text(1, 200)]
# Prices and fees are stored as 32-bit integer cents: bounded well inside that.
Price = Annotated[NonNegativeDollars, Field(le=Decimal("1000000"))]
Fee = Annotated[NonNegativeDollars, Field(le=Decimal("10000"))]
ClockTime = Annotated[
    str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Local time HH:MM (24 h)")
]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
VendorType = Literal["brand", "distributor"]
# A JSON number (like money): float(Decimal("12.5")) is exact on the wire.
Percent = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


# ---------------------------------------------------------------- vendors


class VendorUpsert(ApiModel):
    name: Name
    type: VendorType
    platform_fee_percent: Annotated[
        Percent | None,
        Field(
            ge=0,
            le=100,
            max_digits=5,
            decimal_places=2,
            description="Overrides the default fee of the type (brand 15 %, distributor 8 %)",
        ),
    ] = None
    stripe_account_id: Annotated[
        str | None, Field(pattern=r"^acct_[A-Za-z0-9]{1,58}$", description="Stripe Connect account")
    ] = None


class VendorOut(ApiResponse):
    id: str
    name: str
    type: VendorType
    platform_fee_percent: Percent | None
    stripe_account_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, vendor: Vendor) -> VendorOut:
        fee = vendor.platform_fee_bps
        return cls(
            id=vendor.id,
            name=vendor.name,
            type=vendor.type,  # type: ignore[arg-type]
            platform_fee_percent=None
            if fee is None
            else (Decimal(fee) / 100).quantize(Decimal("0.01")),
            stripe_account_id=vendor.stripe_account_id,
            created_at=vendor.created_at,
            updated_at=vendor.updated_at,
        )


# ---------------------------------------------------------------- hubs


class Location(ApiModel):
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    lng: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class HubAddress(ApiModel):
    line1: Annotated[str, _text(1, 200)]
    line2: Annotated[str | None, _text(0, 200)] = None
    city: Annotated[str, _text(1, 100)]
    state: Annotated[str, _text(1, 100)]
    postal_code: Annotated[str, _text(1, 20)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]


OpeningRange = Annotated[
    list[ClockTime], Field(min_length=2, max_length=2, description='["09:00", "21:00"]')
]


class HubUpsert(ApiModel):
    name: Name
    location: Location
    address: HubAddress
    timezone: Annotated[
        str, Field(max_length=64, description="IANA zone, e.g. America/Chicago")
    ] = "America/Chicago"
    opening_hours: Annotated[
        dict[Weekday, OpeningRange],
        Field(description="Open and close time per weekday; a missing day is closed"),
    ]
    daily_capacity: Annotated[int, Field(ge=0, le=1_000_000)] = 500
    processing_minutes: Annotated[int, Field(ge=0, le=1440)] = 45
    delivery_base_fee: Fee = Decimal("4.99")
    delivery_per_km_fee: Fee = Decimal("0.50")
    express_surcharge: Fee = Decimal("5.00")
    service_radius_km: Annotated[float, Field(gt=0, le=500, allow_inf_nan=False)] = 40.0
    express_cutoff: ClockTime = "20:00"
    webhook_url: AnyHttpUrl | None = None
    webhook_secret: Annotated[
        str | None,
        Field(
            min_length=16,
            max_length=128,
            pattern=_PRINTABLE,
            description="Signs hub webhooks; write-only (kept when omitted, never returned)",
        ),
    ] = None
    active: bool = True

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name") from exc
        return value

    @field_validator("opening_hours")
    @classmethod
    def _opens_before_closing(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, (opens, closes) in value.items():
            if opens >= closes:
                raise ValueError(f"{day}: opening time {opens} must be before closing {closes}")
        return value

    @model_validator(mode="after")
    def _secret_needs_url(self) -> HubUpsert:
        if self.webhook_secret is not None and self.webhook_url is None:
            raise ValueError("webhookSecret needs a webhookUrl")
        return self


class HubOut(ApiResponse):
    id: str
    name: str
    location: Location
    address: HubAddress
    timezone: str
    opening_hours: dict[str, list[str]]
    daily_capacity: int
    processing_minutes: int
    delivery_base_fee: NonNegativeDollars
    delivery_per_km_fee: NonNegativeDollars
    express_surcharge: NonNegativeDollars
    service_radius_km: float
    express_cutoff: str
    active: bool
    webhook_url: str | None = Field(default=None, description="Shown to admins only")
    webhook_secret_set: bool | None = Field(default=None, description="Shown to admins only")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, hub: Hub, *, admin: bool) -> HubOut:
        return cls(
            id=hub.id,
            name=hub.name,
            location=Location(lat=hub.lat, lng=hub.lng),
            address=HubAddress.model_validate(hub.address),
            timezone=hub.timezone,
            opening_hours=hub.opening_hours,
            daily_capacity=hub.daily_capacity,
            processing_minutes=hub.processing_minutes,
            delivery_base_fee=to_dollars(hub.delivery_base_amount),
            delivery_per_km_fee=to_dollars(hub.delivery_per_km_amount),
            express_surcharge=to_dollars(hub.express_surcharge_amount),
            service_radius_km=hub.service_radius_km,
            express_cutoff=hub.express_cutoff,
            active=hub.active,
            webhook_url=hub.webhook_url if admin else None,
            webhook_secret_set=(hub.webhook_secret is not None) if admin else None,
            created_at=hub.created_at,
            updated_at=hub.updated_at,
        )


# ---------------------------------------------------------------- variants


class VariantUpsert(ApiModel):
    sku: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    title: Annotated[str, _text(1, 300)]
    vendor_id: Identifier
    price: Price
    age_restricted: bool
    minimum_age: Annotated[int, Field(ge=18, le=99)] = 21
    category: Annotated[str | None, _text(1, 32)] = None
    active: bool = True


class VariantOut(ApiResponse):
    id: str
    sku: str
    title: str
    vendor_id: str
    price: NonNegativeDollars
    age_restricted: bool
    minimum_age: int
    category: str | None
    active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, variant: Variant) -> VariantOut:
        return cls(
            id=variant.id,
            sku=variant.sku,
            title=variant.title,
            vendor_id=variant.vendor_id,
            price=to_dollars(variant.price_amount),
            age_restricted=variant.age_restricted,
            minimum_age=variant.minimum_age,
            category=variant.category,
            active=variant.active,
            created_at=variant.created_at,
            updated_at=variant.updated_at,
        )
