"""Property-based API fuzzing: every operation of /openapi.json, driven with an admin token.

Schemathesis generates valid and invalid requests from the OpenAPI document and checks that no
response is a 5xx and that each one matches the documented schema (status, content type,
body). It runs on SQLite only: these are schema-level checks, and the behaviour tests already
run every endpoint on both databases.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from orderflow.api.app import create_app
from orderflow.auth.tokens import issue_token
from orderflow.db.migrate import upgrade
from orderflow.db.session import Database
from orderflow.runtime import build_runtime
from tests.conftest import TEST_SECRET, make_settings
from tests.factories import create_hub, create_variant, create_vendor, set_stock

pytestmark = pytest.mark.slow


def _fuzz_app() -> Any:
    """An app on its own migrated SQLite file with a little catalog, built at collection."""
    path = Path(tempfile.mkdtemp(prefix="orderflow-fuzz-")) / "fuzz.db"
    upgrade(f"sqlite:///{path}")
    app_settings = make_settings(f"sqlite:///{path}")
    runtime = build_runtime(app_settings, db=Database(app_settings))
    vendor = create_vendor(runtime.db, id="ven_fuzz")
    hub = create_hub(runtime.db, id="hub_fuzz")
    variant = create_variant(runtime.db, vendor_id=vendor.id, id="var_fuzz")
    set_stock(runtime.db, hub.id, variant.id, 1000)
    return create_app(runtime=runtime, background=False)


# (schemathesis' fixture-based loader does not work with this pytest; build at import instead.)
schema = schemathesis.openapi.from_asgi("/openapi.json", _fuzz_app())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ADMIN = {"Authorization": "Bearer " + issue_token(TEST_SECRET, role="admin", sub="fuzz-admin")}


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_5xx_or_breaks_its_schema(case: Any) -> None:
    # Business rules may refuse schema-valid input (an unknown variant is a 422), and FastAPI is
    # laxer than the schema in places; what must hold is: no 5xx, and every response (status,
    # content type, headers, body) is one the document describes.
    case.call_and_validate(headers=ADMIN, checks=CHECKS)
