"""The overview: the M1–M6 cards of each of the user's shops and of all of them, with the change against
the previous window (the numbers of `lanshou metrics --json` for the same shops and day), and their orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection, func, select

from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep
from lanshou.orders.tables import orders
from lanshou.web.charts import bar_chart, column_chart
from lanshou.web.i18n import shop_namer, translator
from lanshou.web.rendering import language_of, render
from lanshou.web.scope import page_scope, parse_day, today
from lanshou.web.security import PageUser, page_router

router = page_router()
WINDOW_DAYS = 30


@dataclass(frozen=True)
class Card:
    key: str  # "block.field" in the metrics JSON
    label: str  # message key
    kind: str  # rate | hours | score
    higher_is_better: bool


CARDS = (
    Card("pay_to_pickup.rate", "metric.m1", "rate", True),
    Card("delivery_hours.median", "metric.m2", "hours", False),
    Card("tracking_freshness.rate", "metric.m3", "rate", True),
    Card("shipping_negative_feedback.rate", "metric.m4", "rate", False),
    Card("late_shipment.rate", "metric.m5", "rate", True),
    Card("experience_score.score", "metric.m6", "score", True),
)


def value_at(entry: dict[str, Any] | None, key: str) -> float | None:
    if entry is None:
        return None
    block, field = key.split(".")
    value = entry.get(block, {}).get(field)
    return None if value is None else float(value)


def shown(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "hours":
        return f"{value:.1f} h"
    return f"{value:.2f}"


def change(now: float | None, then: float | None, card: Card) -> tuple[str, str]:
    """(text, good|bad|same) of the change against the previous window."""
    if now is None or then is None:
        return "—", "same"
    delta = now - then
    amount = {"rate": f"{abs(delta) * 100:.1f} pts", "hours": f"{abs(delta):.1f} h"}.get(
        card.kind, f"{abs(delta):.2f}"
    )
    if not any(c in "123456789" for c in amount):
        return f"= {amount}", "same"
    good = (delta > 0) == card.higher_is_better
    return f"{'▲' if delta > 0 else '▼'} {amount}", "good" if good else "bad"


def cards_of(entry: dict[str, Any], before: dict[str, Any] | None) -> list[dict[str, Any]]:
    found = []
    for card in CARDS:
        now, then = value_at(entry, card.key), value_at(before, card.key)
        text, tone = change(now, then, card)
        found.append(
            {
                "key": card.key,
                "label": card.label,
                "raw": "" if now is None else repr(now),
                "shown": shown(now, card.kind),
                "change": text,
                "tone": tone,
            }
        )
    return found


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request, user: PageUser, engine: EngineDep, shop: str = "", as_of: str = ""
) -> Response:
    from lanshou.metrics.report import metrics_report

    scope = page_scope(engine, user, shop)
    day = parse_day(as_of) or today()
    ids = scope.shop_ids
    trend = None
    t = translator(language_of(request))
    if user.may(Permission.METRICS_READ):
        from lanshou.metrics.trend import pickup_trend

        report = metrics_report(engine, day, WINDOW_DAYS, shop_ids=ids)
        previous = metrics_report(engine, day - timedelta(days=WINDOW_DAYS), WINDOW_DAYS, shop_ids=ids)
        points = pickup_trend(engine, day, WINDOW_DAYS, ids)
        trend = column_chart(
            [(f"{p.day:%m-%d}", None if p.rate is None else p.rate * 100) for p in points],
            t("overview.trend"),
        )
    else:  # the warehouse and customer service see their shops, not the scores
        report = previous = {"shops": [], "all": None}
    before = {(e["platform"], e["shop"]): e for e in previous["shops"]}
    panels = [
        {
            "label": f"{e['platform']}/{e['shop']}",
            "cards": cards_of(e, before.get((e["platform"], e["shop"]))),
            "estimate": e["experience_score"].get("method", ""),
        }
        for e in report["shops"]
    ]
    everything = (
        {"label": "", "cards": cards_of(report["all"], previous["all"]), "estimate": ""}
        if report["all"] is not None
        else None
    )
    with engine.connect() as conn:
        counts = order_counts(conn, list(ids))
    rows = [(s, counts.get(s.id, 0)) for s in scope.selected]
    shop_name = shop_namer(language_of(request))  # the charts name shops as the tables do
    m1 = [
        (shop_name(p["label"]), (value_at(e, "pay_to_pickup.rate") or 0) * 100)
        for p, e in zip(panels, report["shops"], strict=True)
    ]
    context = {
        "rows": rows,
        "scope": scope,
        "as_of": day.isoformat(),
        "window_days": WINDOW_DAYS,
        "panels": panels,
        "everything": everything,
        "chart": bar_chart([(shop_name(s.label), n) for s, n in rows], t("overview.chart")) if rows else None,
        "m1_chart": bar_chart(m1, t("overview.m1_chart")) if m1 else None,
        "trend": trend,
    }
    return render(request, "overview.html", context)


def order_counts(conn: Connection, shop_ids: list[int]) -> dict[int, int]:
    """shop id -> orders, counted on the (shop_id, order_no) index alone (a count by status would read
    every order row: 2 s on 200k orders)."""
    if not shop_ids:
        return {}
    o = orders.c
    stmt = select(o.shop_id, func.count()).where(o.shop_id.in_(shop_ids)).group_by(o.shop_id)
    return {shop_id: int(total) for shop_id, total in conn.execute(stmt)}
