"""The /v1 router: one include per domain."""

from __future__ import annotations

from fastapi import APIRouter

from orderflow.analytics.endpoints import router as analytics_router
from orderflow.catalog.endpoints import router as catalog_router
from orderflow.changes.endpoints import router as changes_router
from orderflow.fulfillment.endpoints import router as fulfillment_router
from orderflow.inventory.endpoints import router as inventory_router
from orderflow.notifications.endpoints import router as notifications_router
from orderflow.orders.endpoints import router as orders_router
from orderflow.payments.endpoints import router as payments_router
from orderflow.routing.endpoints import router as routing_router
from orderflow.tracking.endpoints import router as tracking_router
from orderflow.workers.endpoints import router as jobs_router

v1 = APIRouter(prefix="/v1")
v1.include_router(catalog_router, tags=["catalog"])
v1.include_router(inventory_router, tags=["inventory"])
v1.include_router(orders_router, tags=["orders"])
v1.include_router(routing_router, tags=["routing"])
v1.include_router(fulfillment_router, tags=["fulfillment"])
v1.include_router(payments_router, tags=["payments"])
v1.include_router(changes_router, tags=["changes"])
v1.include_router(tracking_router, tags=["tracking"])
v1.include_router(notifications_router, tags=["notifications"])
v1.include_router(analytics_router, tags=["analytics"])
v1.include_router(jobs_router, tags=["jobs"])
