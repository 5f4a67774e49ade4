"""API version 1. To add a resource: write `v1/<name>.py` with `router = APIRouter(tags=[...])`, protect
each route with `ApiUser`, `require(...)` or `Scope` from `lanshou.api.deps`, and list it in ROUTERS."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from lanshou.api.deps import known_query_only
from lanshou.api.errors import ERROR_RESPONSES
from lanshou.api.v1 import health, me, orders, shops

PREFIX = "/api/v1"
ROUTERS = (health.router, me.router, shops.router, orders.router)


def api_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX, responses=ERROR_RESPONSES, dependencies=[Depends(known_query_only)])
    for resource in ROUTERS:
        router.include_router(resource)
    return router
