"""A believable Chicago marketplace for trying orderflow: `orderflow demo`.

Loaded through the services (the same rules as the admin API), idempotently: every row has a
fixed id, so loading twice leaves the same catalog. Stock is spread so that some baskets must
split across hubs (Loop has no wine, Hyde Park no spirits, Evanston only beer and mixers).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table
from sqlalchemy.orm import Session

from orderflow.auth.principal import Principal, Role
from orderflow.auth.tokens import issue_token
from orderflow.catalog.schemas import HubAddress, HubUpsert, Location, VariantUpsert, VendorUpsert
from orderflow.catalog.service import catalog_service
from orderflow.config import Settings
from orderflow.db.session import Database
from orderflow.errors import OrderflowError
from orderflow.inventory.errors import StockBelowReserved
from orderflow.inventory.service import inventory_service

CUSTOMER_ID = "cus_demo"
COURIER_ID = "courier_demo"

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hours(weekday: tuple[str, str], weekend: tuple[str, str]) -> dict[str, list[str]]:
    return {day: list(weekend if day in ("sat", "sun") else weekday) for day in WEEK}


@dataclass(frozen=True)
class DemoVendor:
    id: str
    name: str
    type: str
    stripe_account_id: str
    fee_percent: str | None = None


@dataclass(frozen=True)
class DemoHub:
    id: str
    name: str
    lat: float
    lng: float
    line1: str
    city: str
    postal_code: str
    hours: dict[str, list[str]]
    daily_capacity: int
    processing_minutes: int
    base_fee: str
    per_km_fee: str
    radius_km: float


@dataclass(frozen=True)
class DemoVariant:
    id: str
    sku: str
    title: str
    vendor_id: str
    price: str
    category: str
    # hub id -> units on hand
    stock: dict[str, int]

    @property
    def age_restricted(self) -> bool:
        return self.category != "mixers"


VENDORS = [
    DemoVendor("ven_lakeshore", "Lakeshore Brewing Co.", "brand", "acct_1DemoLakeshore"),
    DemoVendor("ven_prairie", "Prairie State Distilling", "brand", "acct_1DemoPrairie", "12.50"),
    DemoVendor("ven_windycellars", "Windy City Cellars", "brand", "acct_1DemoWindyCellars"),
    DemoVendor(
        "ven_greatlakes", "Great Lakes Beverage Distributors", "distributor", "acct_1DemoGreatLakes"
    ),
    DemoVendor("ven_midwest", "Midwest Spirits Supply", "distributor", "acct_1DemoMidwest"),
]

# fmt: off
HUBS = [
    DemoHub("hub_loop", "Loop", 41.8832, -87.6324, "30 N LaSalle St", "Chicago", "60602",
            _hours(("08:00", "23:00"), ("10:00", "23:00")), 600, 25, "4.99", "0.60", 15.0),
    DemoHub("hub_wicker", "Wicker Park", 41.9088, -87.6776, "1550 N Milwaukee Ave", "Chicago",
            "60622", _hours(("10:00", "23:30"), ("10:00", "23:59")), 400, 30, "4.49", "0.55",
            14.0),
    DemoHub("hub_hydepark", "Hyde Park", 41.7995, -87.5889, "1500 E 53rd St", "Chicago",
            "60615", _hours(("09:00", "22:00"), ("10:00", "21:00")), 300, 35, "3.99", "0.50",
            16.0),
    DemoHub("hub_evanston", "Evanston", 42.0464, -87.6819, "1600 Sherman Ave", "Evanston",
            "60201", _hours(("09:00", "22:00"), ("11:00", "20:00")), 250, 40, "5.49", "0.65",
            18.0),
]

# Stock patterns (hub id -> units on hand).
ALL = {"hub_loop": 40, "hub_wicker": 30, "hub_hydepark": 20, "hub_evanston": 25}
WINE = {"hub_wicker": 18, "hub_hydepark": 12}  # no wine at the Loop
SPIRITS = {"hub_loop": 15, "hub_wicker": 8}  # no spirits in Hyde Park or Evanston
SCARCE = {"hub_loop": 2, "hub_hydepark": 3}

# vendor id -> (variant id, sku, title, price, category, stock)
_CATALOG: dict[str, list[tuple[str, str, str, str, str, dict[str, int]]]] = {
    "ven_lakeshore": [
        ("var_ls_pale_6", "LS-PALE-6", "Lakefront Pale Ale 6-pack", "11.99", "beer", ALL),
        ("var_ls_ipa_6", "LS-IPA-6", "Cloud Gate IPA 6-pack", "12.99", "beer", ALL),
        ("var_ls_lager_12", "LS-LAGER-12", "El Train Lager 12-pack", "17.99", "beer", ALL),
        ("var_ls_stout_4", "LS-STOUT-4", "Deep Tunnel Imperial Stout 4-pack", "15.49", "beer",
         {"hub_loop": 6, "hub_evanston": 4}),
        ("var_ls_wit_6", "LS-WIT-6", "Montrose Beach Witbier 6-pack", "11.49", "beer",
         {"hub_wicker": 24, "hub_evanston": 20}),
        ("var_ls_sour_4", "LS-SOUR-4", "Green Line Cherry Sour 4-pack", "14.99", "beer", SCARCE),
        ("var_ls_pils_6", "LS-PILS-6", "Pilsen Pilsner 6-pack", "10.99", "beer",
         {"hub_hydepark": 30, "hub_loop": 10}),
    ],
    "ven_prairie": [
        ("var_ps_bourbon", "PS-BOURBON-750", "Prairie State Straight Bourbon 750 ml", "44.99",
         "spirits", SPIRITS),
        ("var_ps_rye", "PS-RYE-750", "Prairie State Rye Whiskey 750 ml", "42.99", "spirits",
         SPIRITS),
        ("var_ps_gin", "PS-GIN-750", "Lakeside Dry Gin 750 ml", "32.99", "spirits",
         {"hub_loop": 12, "hub_evanston": 6}),
        ("var_ps_vodka", "PS-VODKA-750", "Prairie State Wheat Vodka 750 ml", "27.99", "spirits",
         {"hub_loop": 20, "hub_wicker": 15}),
        ("var_ps_amaro", "PS-AMARO-375", "Bitter Wormwood Liqueur 375 ml", "21.99", "spirits",
         {"hub_wicker": 10}),
    ],
    "ven_windycellars": [
        ("var_wc_cab", "WC-CAB-750", "Windy City Cabernet Sauvignon 750 ml", "24.99", "wine",
         WINE),
        ("var_wc_chard", "WC-CHARD-750", "Windy City Chardonnay 750 ml", "19.99", "wine", WINE),
        ("var_wc_rose", "WC-ROSE-750", "Lake Michigan Rosé 750 ml", "17.99", "wine",
         {"hub_wicker": 14}),
        ("var_wc_riesling", "WC-RIES-750", "North Shore Riesling 750 ml", "18.49", "wine",
         {"hub_hydepark": 10}),
        ("var_wc_bubbly", "WC-BRUT-750", "Magnificent Mile Brut 750 ml", "29.99", "wine",
         {"hub_wicker": 6, "hub_hydepark": 4}),
    ],
    "ven_greatlakes": [
        ("var_gl_pilsner_12", "GL-PILS-12", "Bohemian Pilsner 12-pack", "19.99", "beer", ALL),
        ("var_gl_hefe_6", "GL-HEFE-6", "Bavarian Hefeweizen 6-pack", "13.99", "beer",
         {"hub_loop": 12, "hub_hydepark": 12}),
        ("var_gl_cider_6", "GL-CIDER-6", "Orchard Dry Cider 6-pack", "12.49", "beer",
         {"hub_wicker": 16, "hub_evanston": 16}),
        ("var_gl_malbec", "GL-MALBEC-750", "Mendoza Malbec 750 ml", "15.99", "wine", WINE),
        ("var_gl_prosecco", "GL-PROSECCO-750", "Prosecco DOC 750 ml", "16.99", "wine",
         {"hub_wicker": 20, "hub_hydepark": 20}),
        ("var_gl_sauvblanc", "GL-SB-750", "Marlborough Sauvignon Blanc 750 ml", "17.49", "wine",
         {"hub_hydepark": 15}),
        ("var_gl_tonic_4", "GL-TONIC-4", "Premium Tonic Water 4-pack", "5.99", "mixers", ALL),
        ("var_gl_soda_12", "GL-SODA-12", "Club Soda 12-pack", "6.49", "mixers", ALL),
        ("var_gl_ginger_4", "GL-GINGER-4", "Spicy Ginger Beer 4-pack (non-alcoholic)", "6.99",
         "mixers", {"hub_loop": 30, "hub_wicker": 30}),
    ],
    "ven_midwest": [
        ("var_mw_tequila", "MW-TEQ-750", "Blanco Tequila 750 ml", "34.99", "spirits", SPIRITS),
        ("var_mw_rum", "MW-RUM-750", "Aged Caribbean Rum 750 ml", "26.99", "spirits",
         {"hub_loop": 10, "hub_wicker": 10, "hub_evanston": 5}),
        ("var_mw_scotch", "MW-SCOTCH-750", "Speyside Single Malt 12 yr 750 ml", "59.99",
         "spirits", {"hub_loop": 4}),
        ("var_mw_mezcal", "MW-MEZCAL-750", "Espadín Mezcal 750 ml", "46.99", "spirits",
         {"hub_wicker": 5}),
        ("var_mw_bitters", "MW-BITTERS", "Aromatic Cocktail Bitters 148 ml", "9.99", "mixers",
         {"hub_loop": 25, "hub_wicker": 25}),
        ("var_mw_lime", "MW-LIME-1L", "Fresh Lime Cordial 1 L", "7.49", "mixers", ALL),
    ],
}
# fmt: on

VARIANTS = [
    DemoVariant(variant_id, sku, title, vendor_id, price, category, stock)
    for vendor_id, rows in _CATALOG.items()
    for variant_id, sku, title, price, category, stock in rows
]


@dataclass
class DemoCounts:
    vendors: int = 0
    hubs: int = 0
    variants: int = 0
    stock_levels: int = 0
    orders: list[str] = field(default_factory=list)
    skipped_orders: str | None = None


Report = Callable[[str], None]


def load(db: Database, *, now: datetime, progress: Report | None = None) -> DemoCounts:
    """Upsert the demo catalog, network and stock; safe to run again (same rows after)."""
    report = progress or (lambda _message: None)
    counts = DemoCounts()

    def catalog(session: Session) -> None:
        for vendor in VENDORS:
            catalog_service.upsert_vendor(
                session,
                vendor.id,
                data=VendorUpsert(
                    name=vendor.name,
                    type=vendor.type,  # type: ignore[arg-type]
                    platform_fee_percent=Decimal(vendor.fee_percent)
                    if vendor.fee_percent
                    else None,
                    stripe_account_id=vendor.stripe_account_id,
                ),
                now=now,
            )
            counts.vendors += 1
        report(f"{counts.vendors} vendors")
        for hub in HUBS:
            catalog_service.upsert_hub(session, hub.id, data=_hub_upsert(hub), now=now)
            counts.hubs += 1
        report(f"{counts.hubs} hubs")
        for variant in VARIANTS:
            catalog_service.upsert_variant(
                session,
                variant.id,
                data=VariantUpsert(
                    sku=variant.sku,
                    title=variant.title,
                    vendor_id=variant.vendor_id,
                    price=Decimal(variant.price),
                    age_restricted=variant.age_restricted,
                    category=variant.category,
                ),
                now=now,
            )
            counts.variants += 1
        report(f"{counts.variants} variants")

    def stock(session: Session) -> None:
        for variant in VARIANTS:
            for hub_id, on_hand in sorted(variant.stock.items()):
                # Orders may hold more than the demo count: then the live count stays.
                with suppress(StockBelowReserved):
                    inventory_service.set_on_hand(
                        session, hub_id=hub_id, variant_id=variant.id, quantity=on_hand, now=now
                    )
                counts.stock_levels += 1
        report(f"{counts.stock_levels} stock levels")

    db.run_write(catalog)
    db.run_write(stock)
    return counts


def _hub_upsert(hub: DemoHub) -> HubUpsert:
    return HubUpsert(
        name=hub.name,
        location=Location(lat=hub.lat, lng=hub.lng),
        address=HubAddress(
            line1=hub.line1, city=hub.city, state="IL", postal_code=hub.postal_code, country="US"
        ),
        timezone="America/Chicago",
        opening_hours=hub.hours,
        daily_capacity=hub.daily_capacity,
        processing_minutes=hub.processing_minutes,
        delivery_base_fee=Decimal(hub.base_fee),
        delivery_per_km_fee=Decimal(hub.per_km_fee),
        express_surcharge=Decimal("6.00"),
        service_radius_km=hub.radius_km,
        express_cutoff="21:00",
        active=True,
    )


# ---------------------------------------------------------------- sample orders


def _sample_address(line1: str, postal_code: str, lat: float, lng: float) -> dict[str, Any]:
    return {
        "name": "Dana Demo",
        "line1": line1,
        "city": "Chicago",
        "state": "IL",
        "postalCode": postal_code,
        "country": "US",
        "phone": "+13125550101",
        "lat": lat,
        "lng": lng,
    }


SAMPLE_ADDRESSES = [
    _sample_address("875 N Michigan Ave", "60611", 41.8989, -87.6231),
    _sample_address("2000 W Division St", "60622", 41.9030, -87.6776),
    _sample_address("5700 S Lake Shore Dr", "60637", 41.7906, -87.5831),
]

# Each basket: (address index, [(variant id, quantity)]). The first needs wine (not at the
# Loop) and single malt (only at the Loop): it splits across hubs.
SAMPLE_BASKETS: list[tuple[int, list[tuple[str, int]]]] = [
    (0, [("var_ls_ipa_6", 2), ("var_wc_cab", 1), ("var_mw_scotch", 1), ("var_gl_tonic_4", 2)]),
    (1, [("var_gl_pilsner_12", 1), ("var_mw_mezcal", 1), ("var_mw_lime", 1)]),
    (2, [("var_ls_pils_6", 2), ("var_wc_riesling", 1)]),
]


def place_sample_orders(
    db: Database, settings: Settings, *, now: datetime, progress: Report | None = None
) -> tuple[list[str], str | None]:
    """Place the sample orders for ``cus_demo`` once (none are placed if it has orders).

    Returns (order ids, why nothing was placed or None).
    """
    report = progress or (lambda _message: None)
    try:
        from orderflow.orders.schemas import OrderCreation
        from orderflow.orders.service import order_service
    except ImportError as exc:  # the orders domain is not there yet
        return [], f"orders are not available ({exc})"
    customer = Principal(sub=CUSTOMER_ID, role="customer")
    with db.read() as session:
        existing = order_service.list(session, principal=customer, limit=10)
    if existing.items:
        return [o.id for o in existing.items], None
    placed: list[str] = []
    problems: list[str] = []
    for address_index, basket in SAMPLE_BASKETS:
        try:
            creation = OrderCreation.model_validate(_sample_creation(address_index, basket))
        except ValidationError as exc:  # the order schema moved on: say so, do not crash
            problems.append(f"sample order does not fit OrderCreation: {exc.errors()[0]['msg']}")
            continue
        try:
            document = db.run_write(
                lambda s, c=creation: order_service.place(  # type: ignore[misc]
                    s, c, principal=customer, now=now, settings=settings
                )
            )
        except OrderflowError as exc:
            problems.append(exc.detail)
            continue
        placed.append(document.id)
        report(f"order {document.display_id} placed")
    return placed, ("; ".join(problems) or None)


def _sample_creation(address_index: int, basket: list[tuple[str, int]]) -> dict[str, Any]:
    variants = {v.id: v for v in VARIANTS}
    vendor_types = {v.id: v.type for v in VENDORS}
    return {
        "customerId": CUSTOMER_ID,
        "shippingAddress": SAMPLE_ADDRESSES[address_index],
        "billingAddress": SAMPLE_ADDRESSES[0],
        "items": [
            {
                "variantId": variant_id,
                "quantity": quantity,
                "price": Decimal(variants[variant_id].price),
                "vendorId": variants[variant_id].vendor_id,
                "vendorType": vendor_types[variants[variant_id].vendor_id],
            }
            for variant_id, quantity in basket
        ],
        "deliveryType": "standard",
        "paymentMethodId": "pm_card_visa",
        "ageVerified": True,
        "notes": "Demo order: leave it with the doorman",
    }


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class DemoToken:
    role: Role
    sub: str
    token: str
    note: str


def tokens(settings: Settings, *, ttl: timedelta = timedelta(days=7)) -> list[DemoToken]:
    """One bearer token per role for the demo marketplace."""
    secret = settings.jwt_secret
    specs: list[tuple[Role, str, str | None, str | None, str]] = [
        ("customer", CUSTOMER_ID, None, None, "places and tracks orders"),
        ("vendor", "vendor_demo", "ven_lakeshore", None, "Lakeshore Brewing Co."),
        ("hub", "hub_demo", None, "hub_loop", "the Loop hub's queue"),
        ("courier", COURIER_ID, None, None, "deliveries assigned to it"),
        ("admin", "admin_demo", None, None, "everything"),
    ]
    return [
        DemoToken(
            role,
            sub,
            issue_token(secret, role=role, sub=sub, vendor_id=vendor, hub_id=hub, ttl=ttl),
            note,
        )
        for role, sub, vendor, hub, note in specs
    ]


def describe(counts: DemoCounts) -> dict[str, Any]:
    return {
        "vendors": counts.vendors,
        "hubs": counts.hubs,
        "variants": counts.variants,
        "stockLevels": counts.stock_levels,
    }


# ---------------------------------------------------------------- the `orderflow demo` command


def run(settings: Settings, *, console: Console, reset: bool, base_url: str) -> None:
    """Migrate (after wiping, with ``reset``), load the marketplace, place sample orders and
    print how to use it."""
    from orderflow.db.migrate import downgrade, upgrade
    from orderflow.kit.clock import utcnow

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=False
    ) as progress:
        if reset:
            step = progress.add_task("wiping the database ...", total=None)
            downgrade(settings.database_url, "base")
            progress.update(step, description="[green]database wiped[/green]", total=1, completed=1)
        step = progress.add_task("migrating the database ...", total=None)
        upgrade(settings.database_url)
        progress.update(step, description="[green]database migrated[/green]", total=1, completed=1)
        db = Database(settings)
        try:
            step = progress.add_task("loading the Chicago marketplace ...", total=None)
            counts = load(
                db,
                now=utcnow(),
                progress=lambda m: progress.update(step, description=f"loaded {m} ..."),
            )
            progress.update(
                step,
                description=(
                    f"[green]{counts.vendors} vendors, {counts.hubs} hubs, {counts.variants} "
                    f"variants, {counts.stock_levels} stock levels[/green]"
                ),
                total=1,
                completed=1,
            )
            step = progress.add_task("placing sample orders for cus_demo ...", total=None)
            orders, skipped = place_sample_orders(
                db,
                settings,
                now=utcnow(),
                progress=lambda m: progress.update(step, description=f"{m} ..."),
            )
            progress.update(
                step,
                description=f"[green]{len(orders)} sample orders for {CUSTOMER_ID}[/green]",
                total=1,
                completed=1,
            )
        finally:
            db.dispose()
    counts.orders, counts.skipped_orders = orders, skipped
    print_welcome(console, settings, counts, base_url=base_url)


def print_welcome(
    console: Console, settings: Settings, counts: DemoCounts, *, base_url: str
) -> None:
    links = Table(title="orderflow demo", show_header=False, box=None, padding=(0, 2))
    links.add_row("API docs", f"{base_url}/docs")
    links.add_row("OpenAPI", f"{base_url}/openapi.json")
    links.add_row("Health", f"{base_url}/healthz  ·  {base_url}/readyz")
    links.add_row("Metrics", f"{base_url}/metrics")
    links.add_row("Tracking page", f"{base_url}/track/{{orderId}}?token=<customer token>")
    console.print(links)

    # Tokens and token URLs are printed unwrapped so that they can be copied whole.
    console.rule("Bearer tokens (valid 7 days)")
    customer_token = ""
    for item in tokens(settings):
        if item.role == "customer":
            customer_token = item.token
        console.print(f"[bold]{item.role}[/bold] {item.sub} [dim]({item.note})[/dim]")
        console.print(item.token, soft_wrap=True, highlight=False)
    if counts.orders:
        console.rule(f"Sample orders of {CUSTOMER_ID}: tracking pages")
        for order_id in counts.orders:
            console.print(
                f"{base_url}/track/{order_id}?token={customer_token}",
                soft_wrap=True,
                highlight=False,
            )
    if counts.skipped_orders:
        console.print(f"[yellow]sample orders skipped: {counts.skipped_orders}[/yellow]")
    console.print(
        f"Try: [bold]curl -H 'Authorization: Bearer <admin token>' {base_url}/v1/hubs[/bold]"
    )
