"""The at-risk queue (live countdowns: orders that can still make their deadline first, then the overdue)
and the misses of a window by reason, carrier, SKU or province: the numbers of `lanshou queue` and
`lanshou metrics misses` over the user's shops."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep
from lanshou.config import DEFAULT_TIMEZONE
from lanshou.metrics.explain import GroupBy
from lanshou.web.charts import bar_chart
from lanshou.web.i18n import translator
from lanshou.web.rendering import language_of, render
from lanshou.web.scope import page_scope, parse_day, today
from lanshou.web.security import PageUser, page_router, require_page

router = page_router()

MISS_GROUPS = ("reason", "carrier", "sku", "province")
MISS_METRICS = ("pay_to_pickup", "late_shipment", "tracking_freshness", "shipping_negative_feedback")
SHOWN = 200  # rows a page lists


def _utc_iso(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def _parse_now(text: str, zone: ZoneInfo) -> datetime | None:
    """'YYYY-MM-DDTHH:MM' local (the CLI's --now), as naive UTC; None when absent or unreadable."""
    try:
        local = datetime.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None
    if local is None or not 1970 < local.year < 2999:
        return None
    aware = local if local.tzinfo else local.replace(tzinfo=zone)
    return aware.astimezone(UTC).replace(tzinfo=None)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request, user: PageUser, engine: EngineDep, shop: str = "", within: str = "6", now: str = ""
) -> Response:
    from lanshou.sla.queue_json import entry_json, flag
    from lanshou.sla.queue_report import queue_report

    scope = page_scope(engine, user, shop)
    zone = ZoneInfo(DEFAULT_TIMEZONE)
    at = _parse_now(now, zone) or datetime.now(UTC).replace(tzinfo=None)
    hours = _hours(within)
    report = queue_report(engine, at, hours, None, shop_ids=scope.shop_ids)
    ids = {shop_ref.label: shop_ref.id for shop_ref in scope.granted}

    def row(entry: Any) -> dict[str, Any]:
        data = entry_json(entry, zone)
        data["due_utc"] = _utc_iso(at + timedelta(hours=entry.hours_left))
        data["shop_id"] = ids.get(f"{entry.platform}/{entry.shop}", 0)
        data["flag"] = flag(entry)
        return data

    # what can still be saved comes first (most urgent first), then what is already late
    can_make = [row(e) for e in report.entries if not e.overdue][:SHOWN]
    overdue = [row(e) for e in report.entries if e.overdue][:SHOWN]
    context = {
        "scope": scope,
        "now_utc": _utc_iso(at),
        "now_local": at.replace(tzinfo=UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "within": hours,
        "can_make": can_make,
        "overdue": overdue,
        "counts": {"total": len(report.entries), "overdue": report.overdue, "at_risk": report.at_risk},
        "stalled": report.stalled[:SHOWN],
    }
    return render(request, "queue.html", context)


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        return 6.0
    return min(max(value, 0.0), 720.0) if value == value else 6.0  # NaN is not a number of hours


@router.get("/misses", response_class=HTMLResponse)
def misses_page(
    request: Request,
    user: PageUser,
    engine: EngineDep,
    shop: str = "",
    by: str = "reason",
    metric: str = "pay_to_pickup",
    as_of: str = "",
) -> Response:
    from lanshou.metrics.miss_page import miss_page

    require_page(Permission.METRICS_READ)(user)
    scope = page_scope(engine, user, shop)
    by = by if by in MISS_GROUPS else "reason"
    metric = metric if metric in MISS_METRICS else "pay_to_pickup"
    day = parse_day(as_of) or today()
    grouping = cast(GroupBy, by)
    result = miss_page(engine, day, 30, grouping, metric, scope.shop_ids, SHOWN)  # only what is shown
    ids = {shop_ref.label: shop_ref.id for shop_ref in scope.granted}
    groups = result.groups
    t = translator(language_of(request))
    bars = [(_group_label(t, by, g.key), g.count) for g in groups[:15]]
    chart = bar_chart(bars, t(f"misses.by.{by}")) if groups else None
    misses = [{"miss": m, "shop_id": ids.get(f"{m.platform}/{m.shop}", 0)} for m in result.misses]
    context = {
        "scope": scope,
        "by": by,
        "metric": metric,
        "as_of": day.isoformat(),
        "groups": groups,
        "chart": chart,
        "misses": misses,
        "total": result.total,
        "decided": result.decided,
        "group_names": MISS_GROUPS,
        "metric_names": MISS_METRICS,
    }
    return render(request, "misses.html", context)


def _group_label(t: Callable[..., str], by: str, key: str) -> str:
    """A bar's label as the table below names the group: a reason in the reader's language, else the key."""
    if by == "reason":
        return t(f"reason.{key}")
    return key or "—"
