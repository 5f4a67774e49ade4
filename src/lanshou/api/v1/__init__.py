"""API version 1. To add a resource: write `v1/<name>.py` with `router = APIRouter(tags=[...])`, protect
each route with `ApiUser`, `require(...)` or `Scope` from `lanshou.api.deps`, and list it in ROUTERS.
Public routes (no token) go in PUBLIC_ROUTERS and in `app.PUBLIC_PATHS`; tests hold the two together."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from lanshou.api.deps import known_query_only
from lanshou.api.errors import ERROR_RESPONSES
from lanshou.api.v1 import alerts, health, ingest, me, orders, reports, review, shipping, shops
from lanshou.api.v1.more_routes import MORE_ROUTERS

PREFIX = "/api/v1"
PUBLIC_ROUTERS = (health.router,)
ROUTERS = (
    me.router,
    shops.router,
    ingest.router,
    orders.router,
    reports.router,
    alerts.router,
    review.router,
    shipping.router,
    *MORE_ROUTERS,
)


def api_router() -> APIRouter:
    router = APIRouter(
        prefix=PREFIX, dependencies=[Depends(known_query_only)], responses={422: ERROR_RESPONSES[422]}
    )
    for public in PUBLIC_ROUTERS:
        router.include_router(public)
    for resource in ROUTERS:
        router.include_router(resource, responses=ERROR_RESPONSES)
    return router
