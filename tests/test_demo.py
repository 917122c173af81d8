"""`orderflow demo`: a believable Chicago marketplace, loaded idempotently."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from rich.console import Console
from sqlalchemy import func, select

from orderflow import demo
from orderflow.auth.tokens import decode_token
from orderflow.config import Settings
from orderflow.db.models import Hub, Order, StockLevel, Variant, Vendor
from orderflow.db.session import Database
from orderflow.inventory.service import inventory_service
from orderflow.kit.clock import utcnow
from tests.conftest import make_settings


def row_counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Vendor, Hub, Variant, StockLevel)
        }


def order_count(db: Database) -> int:
    with db.read() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Order).where(Order.customer_id == demo.CUSTOMER_ID)
            )
            or 0
        )


class TestLoading:
    def test_loading_twice_leaves_the_same_rows(self, db: Database) -> None:
        demo.load(db, now=utcnow())
        first = row_counts(db)

        demo.load(db, now=utcnow())

        assert row_counts(db) == first
        assert first == {
            "vendors": len(demo.VENDORS),
            "hubs": 4,
            "variants": len(demo.VARIANTS),
            "stock_levels": sum(len(v.stock) for v in demo.VARIANTS),
        }

    def test_the_marketplace_has_brands_distributors_and_mixers(self, db: Database) -> None:
        demo.load(db, now=utcnow())

        with db.read() as session:
            vendors = list(session.scalars(select(Vendor)))
            variants = list(session.scalars(select(Variant)))
            hubs = {h.name for h in session.scalars(select(Hub))}
            brands = sum(v.type == "brand" for v in vendors)
            distributors = sum(v.type == "distributor" for v in vendors)
            assert all(v.stripe_account_id for v in vendors)
            categories = {v.category for v in variants}
            assert any(not v.age_restricted for v in variants)
        assert (brands >= 3, distributors >= 2) == (True, True)
        assert hubs == {"Loop", "Wicker Park", "Hyde Park", "Evanston"}
        assert len(variants) >= 30
        assert categories == {"beer", "wine", "spirits", "mixers"}

    def test_the_first_sample_basket_cannot_ship_from_one_hub(self, db: Database) -> None:
        demo.load(db, now=utcnow())
        _, basket = demo.SAMPLE_BASKETS[0]

        with db.read() as session:
            stock = inventory_service.availability(session, [v for v, _ in basket])

        hubs_with_everything = set.intersection(
            *({hub for hub, free in stock[v].items() if free >= q} for v, q in basket)
        )
        assert hubs_with_everything == set()
        assert all(stock[v] for v, _ in basket)


class TestCommand:
    def test_prints_the_docs_url_and_a_token_per_role(self, settings: Settings) -> None:
        out = StringIO()

        demo.run(
            settings,
            console=Console(file=out, width=120),
            reset=False,
            base_url="http://127.0.0.1:8000",
        )

        text = out.getvalue()
        assert "http://127.0.0.1:8000/docs" in text
        assert "/track/{orderId}?token=" in text
        roles = {
            decode_token(settings.jwt_secret, token).role
            for token in (t.token for t in demo.tokens(settings))
        }
        assert roles == {"customer", "vendor", "hub", "courier", "admin"}

    def test_running_twice_places_the_sample_orders_once(self, settings: Settings) -> None:
        quiet = Console(file=StringIO())
        db = Database(settings)

        demo.run(settings, console=quiet, reset=False, base_url="http://x")
        first = order_count(db)
        demo.run(settings, console=quiet, reset=False, base_url="http://x")

        assert order_count(db) == first <= len(demo.SAMPLE_BASKETS)
        db.dispose()

    def test_reset_wipes_and_reloads_to_the_same_marketplace(self, tmp_path: Path) -> None:
        settings = make_settings(f"sqlite:///{tmp_path / 'demo.db'}")
        quiet = Console(file=StringIO())
        demo.run(settings, console=quiet, reset=False, base_url="http://x")
        db = Database(settings)
        before = row_counts(db)

        demo.run(settings, console=quiet, reset=True, base_url="http://x")

        assert row_counts(db) == before
        db.dispose()
