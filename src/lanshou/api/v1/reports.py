"""Metrics, misses and the at-risk queue: each exactly the JSON of its CLI command (`lanshou metrics
--json`, `lanshou metrics misses --json`, `lanshou queue --json`), over the caller's shops (or the one
`?shop=` names among them)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query

from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep, ShopScope, require_in_scope, timezone_param
from lanshou.api.v1.orders import TIMEZONES, IsoDay, clamp_day
from lanshou.config import DEFAULT_TIMEZONE

router = APIRouter(tags=["metrics"])

MetricsScope = Annotated[ShopScope, Depends(require_in_scope(Permission.METRICS_READ))]
ReadScope = Annotated[ShopScope, Depends(require_in_scope(Permission.ORDERS_READ))]
AsOf = Annotated[IsoDay | None, Query(description="report day D, YYYY-MM-DD (default: today, Shanghai)")]
WindowDays = Annotated[int, Query(ge=1, le=366, description="days in the window / 统计天数")]
Timezone = Annotated[
    str | None,
    Query(
        max_length=64,
        description="evaluate in this IANA timezone (default: each shop's own)",
        json_schema_extra={"enum": TIMEZONES},
    ),
]


def _as_of(day: date | None) -> date:
    """The day asked for, or today in Shanghai as the CLI's default."""
    return clamp_day(day) or datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date()


@router.get("/metrics", summary="Logistics metrics 物流指标 (lanshou metrics --json)")
def metrics(
    scope: MetricsScope,
    engine: EngineDep,
    as_of: AsOf = None,
    window_days: WindowDays = 30,
    timezone: Timezone = None,
) -> dict[str, Any]:
    from lanshou.metrics.report import metrics_report

    zone = timezone_param(timezone)
    return metrics_report(engine, _as_of(as_of), window_days, zone, shop_ids=scope.shop_ids)


@router.get("/misses", summary="Misses with their reasons 未达标订单 (lanshou metrics misses --json)")
def misses(
    scope: MetricsScope,
    engine: EngineDep,
    as_of: AsOf = None,
    window_days: WindowDays = 30,
    timezone: Timezone = None,
    by: Literal["reason", "carrier", "sku", "warehouse", "pay_hour", "province"] = "reason",
    metric: Literal[
        "pay_to_pickup", "late_shipment", "tracking_freshness", "shipping_negative_feedback", "all"
    ] = "pay_to_pickup",
    limit: Annotated[int, Query(ge=1, le=10_000, description="misses to list")] = 50,
) -> dict[str, Any]:
    from lanshou.metrics.misses import miss_report, miss_report_json

    zone = timezone_param(timezone)
    day = _as_of(as_of)
    result = miss_report(engine, day, window_days, zone, None, by, metric, shop_ids=scope.shop_ids)
    return miss_report_json(result, limit)


@router.get("/queue", summary="Orders awaiting pickup, most urgent first 待揽收队列 (lanshou queue --json)")
def queue(
    scope: ReadScope,
    engine: EngineDep,
    now: Annotated[
        datetime | None,
        Query(description="ISO time; without an offset it is read in `timezone` (default: now)"),
    ] = None,
    within: Annotated[float, Query(ge=0, le=24 * 30, description="flag orders due within N hours")] = 6.0,
    timezone: Timezone = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="orders to list")] = 100,
) -> dict[str, Any]:
    from lanshou.sla.queue_json import queue_json
    from lanshou.sla.queue_report import queue_report

    zone = ZoneInfo(timezone_param(timezone) or DEFAULT_TIMEZONE)
    at = _utc(now, zone) if now else datetime.now(UTC).replace(tzinfo=None)
    return queue_json(queue_report(engine, at, within, None, shop_ids=scope.shop_ids), zone, limit)


FIRST, LAST = datetime(1970, 1, 2), datetime(2999, 12, 30)


def _utc(moment: datetime, zone: ZoneInfo) -> datetime:
    """`now` in naive UTC, clamped (as days are) to the years orders can have: converting year 1 or 9999
    between zones would leave datetime's range."""
    naive = moment.replace(tzinfo=None)
    if not FIRST <= naive <= LAST:
        return min(max(naive, FIRST), LAST)
    aware = moment if moment.tzinfo else moment.replace(tzinfo=zone)
    return aware.astimezone(UTC).replace(tzinfo=None)
