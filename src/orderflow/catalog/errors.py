"""Catalog errors, each with a fixed status and a stable code."""

from __future__ import annotations

from orderflow.errors import Conflict, Invalid, NotFound


class VendorNotFound(NotFound):
    code = "vendor_not_found"
    title = "Vendor not found"


class HubNotFound(NotFound):
    code = "hub_not_found"
    title = "Hub not found"


class VariantNotFound(NotFound):
    code = "variant_not_found"
    title = "Variant not found"


class UnknownVendor(Invalid):
    """A variant names a vendor that does not exist (the body is wrong, not the path)."""

    code = "unknown_vendor"
    title = "Unknown vendor"


class DuplicateSku(Conflict):
    code = "duplicate_sku"
    title = "SKU already used by another variant"
