"""Business statistics 经营统计: exactly the JSON of `lanshou stats --json`, over the caller's shops (or the
one `?shop=` names among them)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query

from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep, ShopScope, require_in_scope
from lanshou.api.errors import ApiError, ErrorBody
from lanshou.api.v1.orders import IsoDay, clamp_day
from lanshou.config import DEFAULT_TIMEZONE
from lanshou.stats.report import DEFAULT_DAYS, LONGEST_PERIOD

router = APIRouter(tags=["metrics"])

MetricsScope = Annotated[ShopScope, Depends(require_in_scope(Permission.METRICS_READ))]


def period(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """The CLI's defaults (the last 30 days up to today); 400 for a period backwards or too long (each day
    alone is valid: the two together are not)."""
    end = clamp_day(last) or today
    start = clamp_day(first) or end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise ApiError(400, "bad_period", f"结束日期早于开始日期 to {end} is before from {start}")
    if (end - start).days + 1 > LONGEST_PERIOD:
        message = f"统计期过长 the period is longer than {LONGEST_PERIOD} days: {start} – {end}"
        raise ApiError(400, "bad_period", message)
    return start, end


BAD_PERIOD: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": f"to before from, or over {LONGEST_PERIOD} days 统计期无效"}
}


@router.get("/stats", summary="Business statistics 经营统计 (lanshou stats --json)", responses=BAD_PERIOD)
def stats(
    scope: MetricsScope,
    engine: EngineDep,
    first: Annotated[
        IsoDay | None, Query(alias="from", description="first local day (default: 29 days before `to`)")
    ] = None,
    last: Annotated[
        IsoDay | None, Query(alias="to", description="last local day, inclusive (default: today, Shanghai)")
    ] = None,
) -> dict[str, Any]:
    from lanshou.stats.report import current_report

    start, end = period(first, last, datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date())
    return current_report(engine, start, end, scope.shop_ids)
