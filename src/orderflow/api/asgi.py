"""ASGI entry point for uvicorn: ``orderflow.api.asgi:app``."""

from orderflow.api.app import create_app

app = create_app()
