"""The carrier scorecard (线路表现): the JSON of `lanshou carriers scorecard --json`, measured over the
caller's shops' parcels only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep, ShopScope, require_in_scope
from lanshou.api.pagination import Page

router = APIRouter(tags=["carriers"])

MetricsScope = Annotated[ShopScope, Depends(require_in_scope(Permission.METRICS_READ))]


@router.get("/carriers/scorecard", response_model=Page[dict[str, Any]], summary="Lane scorecard 线路表现")
def scorecard(
    scope: MetricsScope,
    engine: EngineDep,
    days: Annotated[int, Query(ge=1, le=3650, description="history window / 统计天数")] = 60,
) -> Page[dict[str, Any]]:
    """`items` is the list `lanshou carriers scorecard --json` prints (carrier × destination province:
    delivered parcels, pickup on-time rate, median and p90 pickup-to-delivery hours);
    `next` is always null."""
    from lanshou.shipping.store import measured_lanes

    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.connect() as conn:
        lanes = measured_lanes(conn, now, days, scope.shop_ids)
    return Page[dict[str, Any]](items=[lane.as_json() for lane in lanes], next=None)
