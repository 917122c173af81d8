"""The pure order checks (orders/validation.py): the seed's validateOrder and what it missed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from orderflow.orders.schemas import OrderCreation
from orderflow.orders.validation import (
    CatalogVariant,
    Facts,
    HubView,
    Rules,
    check_address_format,
    check_payment_method,
    validate_order,
)
from tests.factories import address

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def variant(id: str = "var_a", **overrides: Any) -> CatalogVariant:
    values: dict[str, Any] = {
        "id": id,
        "sku": f"SKU-{id}",
        "title": f"Product {id}",
        "vendor_id": "ven_1",
        "vendor_type": "brand",
        "price_amount": 1299,
        "age_restricted": True,
        "active": True,
    }
    values.update(overrides)
    return CatalogVariant(**values)


def creation(**overrides: Any) -> OrderCreation:
    values: dict[str, Any] = {
        "customerId": "cus_alice",
        "shippingAddress": address(),
        "billingAddress": address(),
        "items": [
            {
                "variantId": "var_a",
                "quantity": 2,
                "price": 12.99,
                "vendorId": "ven_1",
                "vendorType": "brand",
            }
        ],
        "deliveryType": "standard",
        "paymentMethodId": "pm_card_visa",
        "ageVerified": True,
    }
    values.update(overrides)
    return OrderCreation.model_validate(values)


def facts(**overrides: Any) -> Facts:
    values: dict[str, Any] = {
        "variants": {"var_a": variant()},
        "hubs": [HubView("hub_1", serves_address=True, distance_km=2.0, express_possible=True)],
        "availability": {"var_a": {"hub_1": 10}},
        "rules": Rules(),
    }
    values.update(overrides)
    return Facts(**values)


def codes(result: Any) -> list[str]:
    return [e.code for e in result.errors]


def item(variant_id: str = "var_a", **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "variantId": variant_id,
        "quantity": 1,
        "price": 12.99,
        "vendorId": "ven_1",
        "vendorType": "brand",
    }
    values.update(overrides)
    return values


class TestAValidOrder:
    def test_passes_with_no_errors_or_warnings(self) -> None:
        result = validate_order(creation(), facts(), now=NOW)
        assert result.valid
        assert result.errors == [] and result.warnings == []


class TestInventory:
    def test_more_than_the_stock_at_all_serving_hubs_is_insufficient_stock(self) -> None:
        f = facts(
            hubs=[HubView("hub_1", True), HubView("hub_2", True)],
            availability={"var_a": {"hub_1": 3, "hub_2": 2}},
        )
        result = validate_order(creation(items=[item(quantity=6)]), f, now=NOW)
        (error,) = result.errors
        assert error.code == "insufficient_stock"
        assert error.field == "items[0].quantity"
        assert error.details is not None
        assert error.details["available"] == 5
        assert error.details["locations"] == [
            {"hubId": "hub_1", "available": 3},
            {"hubId": "hub_2", "available": 2},
        ]

    def test_stock_split_across_hubs_covers_a_line(self) -> None:
        f = facts(
            hubs=[HubView("hub_1", True), HubView("hub_2", True)],
            availability={"var_a": {"hub_1": 3, "hub_2": 2}},
        )
        assert validate_order(creation(items=[item(quantity=5)]), f, now=NOW).valid

    def test_stock_at_a_hub_that_does_not_reach_the_address_does_not_count(self) -> None:
        f = facts(
            hubs=[HubView("hub_1", True), HubView("hub_far", False)],
            availability={"var_a": {"hub_1": 1, "hub_far": 50}},
        )
        result = validate_order(creation(items=[item(quantity=2)]), f, now=NOW)
        assert codes(result) == ["insufficient_stock"]

    @given(
        stock=st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=4),
        quantity=st.integers(min_value=1, max_value=100),
    )
    def test_a_line_is_in_stock_exactly_when_serving_hubs_hold_enough(
        self, stock: list[int], quantity: int
    ) -> None:
        hubs = [HubView(f"hub_{i}", True) for i in range(len(stock))]
        f = facts(
            hubs=hubs,
            availability={"var_a": {h.hub_id: n for h, n in zip(hubs, stock, strict=True)}},
        )
        result = validate_order(creation(items=[item(quantity=quantity)]), f, now=NOW)
        assert ("insufficient_stock" in codes(result)) == (sum(stock) < quantity)


class TestCatalogIsTheSourceOfTruth:
    def test_a_different_client_price_is_a_warning_not_an_error(self) -> None:
        result = validate_order(creation(items=[item(price=1.00)]), facts(), now=NOW)
        assert result.valid
        (warning,) = result.warnings
        assert warning.code == "price_changed"
        assert warning.field == "items[0].price"
        assert warning.details == {"clientPrice": 1.0, "catalogPrice": 12.99}

    def test_a_different_vendor_type_is_a_warning(self) -> None:
        result = validate_order(creation(items=[item(vendorType="distributor")]), facts(), now=NOW)
        assert result.valid
        assert [w.code for w in result.warnings] == ["vendor_type_changed"]

    def test_an_unknown_variant_is_an_error_on_its_line(self) -> None:
        result = validate_order(creation(items=[item(), item("var_x")]), facts(), now=NOW)
        assert codes(result) == ["unknown_variant"]
        assert result.errors[0].field == "items[1].variantId"

    def test_an_inactive_variant_is_an_error(self) -> None:
        f = facts(variants={"var_a": variant(active=False)})
        assert "inactive_variant" in codes(validate_order(creation(), f, now=NOW))

    def test_a_line_naming_another_vendor_is_a_vendor_mismatch(self) -> None:
        result = validate_order(creation(items=[item(vendorId="ven_2")]), facts(), now=NOW)
        assert codes(result) == ["vendor_mismatch"]
        assert result.errors[0].field == "items[0].vendorId"

    def test_a_vendor_the_gateway_cannot_pay_is_an_error(self) -> None:
        f = facts(variants={"var_a": variant(vendor_payable=False)})
        assert codes(validate_order(creation(), f, now=NOW)) == ["vendor_not_payable"]

    @given(st.decimals(min_value=Decimal("0.00"), max_value=Decimal("999.99"), places=2))
    def test_any_client_price_yields_the_same_verdict(self, price: Decimal) -> None:
        result = validate_order(creation(items=[item(price=price)]), facts(), now=NOW)
        assert result.valid
        assert [w.code for w in result.warnings] == (
            [] if price == Decimal("12.99") else ["price_changed"]
        )


class TestLines:
    @given(st.integers(min_value=-1000, max_value=1000))
    def test_quantity_must_be_between_one_and_the_line_maximum(self, quantity: int) -> None:
        f = facts(availability={"var_a": {"hub_1": 10_000}})
        result = validate_order(creation(items=[item(quantity=quantity)]), f, now=NOW)
        expected = (
            ["invalid_quantity"]
            if quantity <= 0
            else ["quantity_too_large"]
            if quantity > Rules().max_line_quantity
            else []
        )
        assert codes(result) == expected
        if expected:
            assert result.errors[0].field == "items[0].quantity"

    def test_the_same_variant_on_two_lines_is_a_duplicate(self) -> None:
        result = validate_order(creation(items=[item(), item()]), facts(), now=NOW)
        assert codes(result) == ["duplicate_line"]
        assert result.errors[0].field == "items[1].variantId"

    def test_an_order_without_items_is_refused(self) -> None:
        assert codes(validate_order(creation(items=[]), facts(), now=NOW)) == ["no_items"]

    def test_more_lines_than_allowed_is_refused(self) -> None:
        f = facts(rules=Rules(max_lines=1))
        variants = {"var_a": variant(), "var_b": variant("var_b")}
        f = facts(
            rules=Rules(max_lines=1),
            variants=variants,
            availability={"var_a": {"hub_1": 5}, "var_b": {"hub_1": 5}},
        )
        result = validate_order(creation(items=[item(), item("var_b")]), f, now=NOW)
        assert codes(result) == ["too_many_lines"]


class TestShippingAddress:
    def test_blank_required_fields_are_named(self) -> None:
        errors = check_address_format(
            creation(shippingAddress=address(line1=" ", city="")).shipping_address,
            "shippingAddress",
        )
        assert [(e.code, e.field) for e in errors] == [
            ("address_incomplete", "shippingAddress.line1"),
            ("address_incomplete", "shippingAddress.city"),
        ]

    @given(st.text(max_size=8))
    def test_a_zip_is_five_digits_optionally_plus_four(self, value: str) -> None:
        errors = check_address_format(
            creation(shippingAddress=address(postalCode=value)).shipping_address, "s"
        )
        valid = (
            len(value) in (5, 10)
            and value[:5].isascii()
            and value[:5].isdigit()
            and (
                len(value) == 5 or (value[5] == "-" and value[6:].isascii() and value[6:].isdigit())
            )
        )
        assert (not any(e.field == "s.postalCode" for e in errors)) == valid

    def test_an_unknown_state_code_is_refused(self) -> None:
        result = validate_order(creation(shippingAddress=address(state="ZZ")), facts(), now=NOW)
        assert codes(result) == ["invalid_state"]
        assert result.errors[0].field == "shippingAddress.state"

    def test_a_billing_address_is_checked_too(self) -> None:
        result = validate_order(
            creation(billingAddress=address(postalCode="6060")), facts(), now=NOW
        )
        assert [(e.code, e.field) for e in result.errors] == [
            ("invalid_postal_code", "billingAddress.postalCode")
        ]

    def test_only_us_addresses_are_served(self) -> None:
        result = validate_order(creation(shippingAddress=address(country="CA")), facts(), now=NOW)
        assert codes(result) == ["unsupported_country"]

    def test_an_address_no_hub_reaches_is_not_serviceable(self) -> None:
        f = facts(hubs=[HubView("hub_1", serves_address=False, distance_km=120.04)])
        result = validate_order(creation(), f, now=NOW)
        assert "address_not_serviceable" in codes(result)
        error = next(e for e in result.errors if e.code == "address_not_serviceable")
        assert error.details == {"nearestHubKm": 120.0}

    def test_an_address_that_cannot_be_located_is_refused(self) -> None:
        result = validate_order(creation(), facts(address_located=False), now=NOW)
        assert codes(result) == ["address_not_located"]


class TestPaymentMethod:
    def test_a_missing_payment_method_is_refused(self) -> None:
        assert [e.code for e in check_payment_method("")] == ["payment_method_missing"]

    def test_known_kinds_of_ids_are_accepted(self) -> None:
        for value in ("pm_card_visa", "card_123", "tok_visa", "src_abc"):
            assert check_payment_method(value) == []

    @given(st.text(max_size=30))
    def test_anything_else_is_an_unknown_kind(self, value: str) -> None:
        errors = check_payment_method(value)
        prefix, _, rest = value.partition("_")
        known = (
            prefix in ("pm", "card", "tok", "src")
            and rest != ""
            and all(c.isascii() and (c.isalnum() or c == "_") for c in rest)
        )
        assert (errors == []) == known


class TestAgeRestriction:
    def test_age_restricted_items_need_age_verification(self) -> None:
        result = validate_order(creation(ageVerified=False), facts(), now=NOW)
        assert codes(result) == ["age_verification_required"]
        assert result.errors[0].field == "ageVerified"
        assert result.errors[0].details == {"variantIds": ["var_a"]}

    def test_unrestricted_items_need_none(self) -> None:
        f = facts(variants={"var_a": variant(age_restricted=False)})
        assert validate_order(creation(ageVerified=False), f, now=NOW).valid


class TestDeliveryWindow:
    def test_scheduled_delivery_needs_a_time(self) -> None:
        result = validate_order(creation(deliveryType="scheduled"), facts(), now=NOW)
        assert codes(result) == ["scheduled_delivery_required"]

    def test_a_time_with_a_non_scheduled_type_is_refused(self) -> None:
        when = (NOW + timedelta(days=1)).isoformat()
        result = validate_order(creation(scheduledDelivery=when), facts(), now=NOW)
        assert codes(result) == ["scheduled_delivery_not_allowed"]

    @given(st.integers(min_value=-3 * 24 * 60, max_value=20 * 24 * 60))
    def test_a_scheduled_time_must_be_in_the_allowed_window(self, minutes: int) -> None:
        rules = Rules()
        when = NOW + timedelta(minutes=minutes)
        result = validate_order(
            creation(deliveryType="scheduled", scheduledDelivery=when.isoformat()),
            facts(),
            now=NOW,
        )
        if minutes <= 0:
            expected = ["scheduled_delivery_in_past"]
        elif minutes < rules.minimum_scheduled_lead_minutes:
            expected = ["scheduled_delivery_too_soon"]
        elif minutes > rules.max_schedule_days * 24 * 60:
            expected = ["scheduled_delivery_too_far"]
        else:
            expected = []
        assert codes(result) == expected

    def test_a_time_when_no_serving_hub_is_open_is_refused(self) -> None:
        when = (NOW + timedelta(days=1)).isoformat()
        f = facts(hubs=[HubView("hub_1", True, open_at_scheduled=False)])
        result = validate_order(
            creation(deliveryType="scheduled", scheduledDelivery=when), f, now=NOW
        )
        assert codes(result) == ["scheduled_delivery_outside_hours"]

    def test_express_needs_a_hub_that_can_make_it(self) -> None:
        f = facts(hubs=[HubView("hub_1", True, express_possible=False)])
        result = validate_order(creation(deliveryType="express"), f, now=NOW)
        assert codes(result) == ["express_unavailable"]
        assert result.errors[0].field == "deliveryType"


class TestEveryIssueIsActionable:
    @given(
        quantity=st.integers(min_value=-5, max_value=500),
        state=st.sampled_from(["IL", "ZZ", ""]),
        payment=st.sampled_from(["pm_card_visa", "", "paypal"]),
        age_verified=st.booleans(),
        delivery=st.sampled_from(["standard", "express", "scheduled"]),
    )
    def test_each_error_has_a_code_a_message_and_a_field(
        self, quantity: int, state: str, payment: str, age_verified: bool, delivery: str
    ) -> None:
        result = validate_order(
            creation(
                items=[item(quantity=quantity)],
                shippingAddress=address(state=state),
                paymentMethodId=payment,
                ageVerified=age_verified,
                deliveryType=delivery,
            ),
            facts(),
            now=NOW,
        )
        assert result.valid == (not result.errors)
        for issue in result.errors:
            assert issue.code and issue.code == issue.code.lower()
            assert len(issue.message) > 10
            assert issue.field
