"""orderflow: the whole life of an order in a multi-vendor marketplace."""

__version__ = "0.1.0"
