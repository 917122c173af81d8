"""Changes tests run on the built-in gateway, or on Stripe through the fake server, and with
either capture policy."""

from __future__ import annotations

import pytest

from orderflow.config import Settings
from tests.conftest import make_settings


@pytest.fixture
def gateway_name() -> str:
    """Override with ``@pytest.mark.parametrize("gateway_name", ["builtin", "stripe"])``."""
    return "builtin"


@pytest.fixture
def capture_policy() -> str:
    return "automatic"


@pytest.fixture
def settings(
    request: pytest.FixtureRequest, database_url: str, gateway_name: str, capture_policy: str
) -> Settings:
    if gateway_name == "stripe":
        fake = request.getfixturevalue("stripe_fake")
        return make_settings(
            database_url,
            payment_gateway="stripe",
            capture_policy=capture_policy,
            stripe_api_key=fake.api_key,
            stripe_api_base=fake.url,
            stripe_webhook_secret=fake.webhook_secret,
            stripe_max_network_retries=0,
            stripe_timeout_seconds=5.0,
        )
    return make_settings(database_url, capture_policy=capture_policy)
