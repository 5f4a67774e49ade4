"""Business statistics (经营统计): what `lanshou stats` shows for a period (default the last 30 days) over
the user's shops, each figure set against the period before. The numbers are `stats.report.current_report`,
the function the CLI prints; this module only lays them out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from lanshou.accounts.model import User
from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep
from lanshou.web.charts import bar_chart, value_columns
from lanshou.web.i18n import Translator, translator
from lanshou.web.rendering import language_of, render
from lanshou.web.scope import page_scope, parse_day, today
from lanshou.web.security import page_router, require_page

router = page_router()
MetricsUser = Annotated[User, Depends(require_page(Permission.METRICS_READ))]
Format = Callable[[Any], str]
MORE_IS_BETTER = frozenset({"categories", "products", "provinces"})  # in the others more is worse
LOWER_IS_BETTER = frozenset(
    {"cases", "returns", "return_rate", "refunds", "refunded", "resent", "aftersales_cost"}
)


def count(value: Any) -> str:
    return f"{int(value):,}"


def money(value: Any) -> str:
    return f"¥{Decimal(str(value)):,.2f}"


def rate(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def change(value: float | None) -> str:
    """As the CLI prints it: relative change in percent, signed."""
    return "—" if value is None else f"{value * 100:+.1f}%"


def tone(value: float | None, lower_is_better: bool) -> str:
    if not value:
        return "same"
    return "good" if (value > 0) != lower_is_better else "bad"


def _cards(report: dict[str, Any], t: Translator) -> list[dict[str, Any]]:
    shown: list[tuple[str, str, Format]] = [
        ("orders", t("stats.orders"), count),
        ("sales", t("stats.sales"), money),
        ("avg_order", t("stats.avg_order"), money),
        ("repeat_orders", t("stats.repeat_orders"), count),
        ("repeat_rate", t("stats.repeat_rate"), rate),
        ("cases", t("stats.cases"), count),
        ("returns", t("stats.returns"), count),
        ("return_rate", t("stats.return_rate"), rate),
        ("refunds", t("stats.refunds"), count),
        ("refunded", t("stats.refunded"), money),
        ("resent", t("stats.resent"), money),
        ("aftersales_cost", t("stats.aftersales_cost"), money),
    ]
    totals, before, changed = report["totals"], report["previous_totals"], report["change"]
    return [
        {
            "key": key,
            "label": label,
            "raw": "" if totals[key] is None else str(totals[key]),
            "shown": fmt(totals[key]),
            "before": fmt(before[key]),
            "change": change(changed.get(key)),
            "tone": tone(changed.get(key), key in LOWER_IS_BETTER),
        }
        for key, label, fmt in shown
    ]


def _reason(t: Translator) -> Format:
    def name(code: Any) -> str:
        key = f"stats.reason.{code}"
        text = t(key)
        return str(code) if text == key else text

    return name


Column = tuple[str, str, Format]  # field, header, format


def _sections(t: Translator) -> list[tuple[str, str, list[Column], str]]:
    """(section, title, its columns, the figure its change is of: as in `stats.compare.SECTIONS`)."""
    reason = _reason(t)
    orders: Column = ("orders", t("stats.orders"), count)
    quantity: Column = ("quantity", t("stats.quantity"), count)
    sales: Column = ("sales", t("stats.sales"), money)
    share: Column = ("share", t("stats.share"), rate)
    sku: Column = ("sku", "SKU", str)
    cases: Column = ("cases", t("stats.cases"), count)
    refunded: Column = ("refunded", t("stats.refunded"), money)
    returns: Column = ("returns", t("stats.returns"), count)
    why: Column = ("reason_code", t("stats.reason"), reason)
    return [
        (
            "categories",
            t("stats.categories"),
            [("category", t("stats.category"), str), quantity, sales, share],
            "sales",
        ),
        ("products", t("stats.products"), [sku, quantity, sales, share], "sales"),
        (
            "provinces",
            t("stats.provinces"),
            [("province", t("stats.province"), str), orders, sales, share],
            "orders",
        ),
        (
            "returns_by_sku",
            t("stats.returns_by_sku"),
            [sku, orders, returns, ("return_rate", t("stats.return_rate"), rate)],
            "return_rate",
        ),
        ("returns_by_reason", t("stats.returns_by_reason"), [why, returns, cases, refunded], "cases"),
        (
            "damage_by_carrier",
            t("stats.damage_by_carrier"),
            [("carrier", t("stats.carrier"), str), why, cases, refunded],
            "cases",
        ),
        (
            "feedback_themes",
            t("stats.feedback_themes"),
            [("theme", t("stats.theme"), str), ("count", t("stats.count"), count)],
            "count",
        ),
    ]


def laid_out(report: dict[str, Any], previous: dict[str, Any], t: Translator) -> list[dict[str, Any]]:
    """Each section's rows as the page shows them: cell texts, the raw value, the change."""
    from lanshou.stats.compare import SECTIONS, section_changes

    compared = section_changes(report, previous)
    sections = []
    for name, title, columns, figure in _sections(t):
        change_of = next(label for f, label, _ in columns if f == figure)
        keys = SECTIONS[name][0]
        rows = [
            {
                "key": "/".join(str(item["row"][k]) for k in keys),
                "cells": [
                    {"field": f, "label": label, "shown": fmt(item["row"][f]), "raw": str(item["row"][f])}
                    for f, label, fmt in columns
                ],
                "change": change(item["change"]),
                "tone": tone(item["change"], name not in MORE_IS_BETTER),
            }
            for item in compared[name]
        ]
        sections.append(
            {"name": name, "title": title, "columns": columns, "rows": rows, "change_of": change_of}
        )
    return sections


@router.get("/stats", response_class=HTMLResponse)
def stats_page(
    request: Request,
    user: MetricsUser,
    engine: EngineDep,
    shop: str = "",
    first: Annotated[str, Query(alias="from")] = "",
    last: Annotated[str, Query(alias="to")] = "",
) -> Response:
    from lanshou.stats.report import DEFAULT_DAYS, LONGEST_PERIOD, current_report

    scope = page_scope(engine, user, shop)
    t = translator(language_of(request))
    end = parse_day(last) or today()
    start = parse_day(first) or end - timedelta(days=DEFAULT_DAYS - 1)
    context: dict[str, Any] = {"scope": scope, "first": start.isoformat(), "last": end.isoformat()}
    error = ""
    if end < start:
        error = t("stats.backwards", first=start.isoformat(), last=end.isoformat())
    elif (end - start).days + 1 > LONGEST_PERIOD:
        error = t("stats.too_long", days=LONGEST_PERIOD)
    if error:
        return render(request, "stats.html", {**context, "error": error, "report": None}, status=400)
    report = current_report(engine, start, end, scope.shop_ids)
    prev_first, prev_last = (parse_day(report["previous"][k]) or start for k in ("from", "to"))
    previous = current_report(engine, prev_first, prev_last, scope.shop_ids)
    daily = report["daily"]
    context |= {
        "error": "",
        "report": report,
        "cards": _cards(report, t),
        "sections": laid_out(report, previous, t),
        "daily": [{**d, "shown": money(d["sales"])} for d in daily],
        "orders_chart": value_columns([(d["day"][5:], d["orders"]) for d in daily], t("stats.daily_orders")),
        "sales_chart": value_columns(
            [(d["day"][5:], float(d["sales"])) for d in daily], t("stats.daily_sales")
        ),
        "category_chart": bar_chart(
            [(c["category"], float(c["sales"])) for c in report["categories"][:15]], t("stats.categories")
        )
        if report["categories"]
        else None,
        "province_chart": bar_chart(
            [(p["province"], p["orders"]) for p in report["provinces"][:15]], t("stats.provinces")
        )
        if report["provinces"]
        else None,
    }
    return render(request, "stats.html", context)
