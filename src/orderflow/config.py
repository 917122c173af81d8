"""Settings: the only place that reads the environment (prefix ``ORDERFLOW_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "orderflow-dev-secret-change-me-0123456789"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERFLOW_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    database_url: str = "sqlite:///./orderflow.db"
    redis_url: str | None = None
    redis_prefix: str = "orderflow"
    jwt_secret: str = DEV_JWT_SECRET
    jwt_ttl_seconds: int = 3600 * 24
    currency: str = "USD"
    max_body_bytes: int = 64 * 1024
    log_level: str = "INFO"
    log_json: bool = True

    # Fees (basis points: 1500 = 15 %)
    brand_fee_bps: int = 1500
    distributor_fee_bps: int = 800

    # Orders
    max_line_quantity: int = 100
    max_lines: int = 50
    minimum_scheduled_lead_minutes: int = 120
    max_schedule_days: int = 14
    return_window_days: int = 30

    # Routing weights (each hub score is a weighted sum of normalised terms)
    routing_weight_distance: float = 1.0
    routing_weight_coverage: float = 3.0
    routing_weight_processing: float = 0.5
    routing_weight_capacity: float = 0.5
    routing_weight_cost: float = 1.0
    # Fulfillment cost model: handling time at the hub, in cents per processing minute
    routing_handling_amount_per_minute: int = 50
    courier_speed_kmh: float = 30.0
    express_max_minutes: int = 120

    # Payments
    payment_gateway: Literal["builtin", "stripe"] = "builtin"
    capture_policy: Literal["automatic", "manual"] = "automatic"
    stripe_api_key: str | None = None
    stripe_api_base: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_max_network_retries: int = 2
    stripe_timeout_seconds: float = 10.0
    # A payment waiting for customer authentication (3-D Secure) fails the order after this long.
    payment_action_timeout_seconds: int = 900

    # Pipeline
    job_attempts: int = 3
    job_backoff_base_ms: int = 2000
    run_worker_in_process: bool = True
    worker_concurrency: int = 10
    outbox_poll_ms: int = 200
    reconcile_after_seconds: int = 300
    reconcile_interval_seconds: int = 60
    # A running job refreshes its heartbeat; one silent for this long (its worker died) is swept
    # and retried. A job running longer than the timeout is cancelled and retried.
    job_heartbeat_seconds: int = 10
    job_timeout_seconds: int = 300
    worker_sweep_seconds: int = 5
    worker_drain_seconds: int = 30

    # Cache TTLs (seconds), as in the seed
    cache_ttl_active: int = 3600
    cache_ttl_delivered: int = 86400
    cache_ttl_default: int = 1800

    # Notifications
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "orders@orderflow.local"
    webhook_timeout_seconds: float = 5.0
    allow_private_webhooks: bool = True

    # Tracking
    ws_heartbeat_seconds: float = 15.0
    ws_send_queue: int = 256

    @model_validator(mode="after")
    def _refuse_dev_secret_outside_dev(self) -> Settings:
        if self.env == "prod" and self.jwt_secret == DEV_JWT_SECRET:
            raise ValueError(
                "ORDERFLOW_JWT_SECRET is the development default; set a secret of your own "
                "(at least 32 random characters) before running with ORDERFLOW_ENV=prod"
            )
        if self.env == "prod" and len(self.jwt_secret) < 32:
            raise ValueError("ORDERFLOW_JWT_SECRET must be at least 32 characters in prod")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def job_backoff_delays(self) -> list[float]:
        """Delays (s) before attempt 2, 3, ...: base, 2*base, 4*base."""
        base = self.job_backoff_base_ms / 1000
        return [base * 2**i for i in range(max(self.job_attempts - 1, 0))]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
