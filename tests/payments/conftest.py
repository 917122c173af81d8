"""Payment tests run against the built-in gateway, or Stripe through the fake server."""

from __future__ import annotations

import pytest

from orderflow.config import Settings
from tests.conftest import make_settings

WEBHOOK_SECRET = "whsec_test"


@pytest.fixture
def gateway_name() -> str:
    """Override with ``@pytest.mark.parametrize("gateway_name", ["builtin", "stripe"])``."""
    return "builtin"


@pytest.fixture
def settings(request: pytest.FixtureRequest, database_url: str, gateway_name: str) -> Settings:
    if gateway_name == "stripe":
        fake = request.getfixturevalue("stripe_fake")
        return make_settings(
            database_url,
            payment_gateway="stripe",
            stripe_api_key=fake.api_key,
            stripe_api_base=fake.url,
            stripe_webhook_secret=fake.webhook_secret,
            stripe_max_network_retries=0,
            stripe_timeout_seconds=5.0,
        )
    return make_settings(database_url, stripe_webhook_secret=WEBHOOK_SECRET)
