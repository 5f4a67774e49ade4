"""The statistics report for a period and the one before it, read from the rollups only. JSON shape here."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Float, and_, func, select, type_coerce

from lanshou.stats import tables as t
from lanshou.stats.spans import period_rows

TOP = 20
LONGEST_PERIOD = 366  # days the API and the page report at once (the CLI has no limit)
DEFAULT_DAYS = 30  # the period when none is given: the last 30 days, today included
TOTALS = ("orders", "sales", "repeat_orders", "cases", "returns", "refunds", "refunded", "resent")


def _where(table: Any, first: date, last: date, shop_ids: Sequence[int] | None) -> Any:
    condition = and_(table.c.day >= first, table.c.day <= last)
    return condition if shop_ids is None else and_(condition, table.c.shop_id.in_(shop_ids))


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def _rate(part: Decimal | int, whole: Decimal | int) -> float | None:
    return None if not whole else round(float(Decimal(part) / Decimal(whole)), 4)


def totals(conn: Connection, first: date, last: date, shop_ids: Sequence[int] | None) -> dict[str, Any]:
    d = t.stats_daily
    row = conn.execute(
        select(*(func.sum(d.c[name]) for name in TOTALS)).where(_where(d, first, last, shop_ids))
    ).one()
    values: dict[str, Any] = dict(zip(TOTALS, row, strict=True))
    for name in ("orders", "repeat_orders", "cases", "returns", "refunds"):
        values[name] = int(values[name] or 0)
    for name in ("sales", "refunded", "resent"):
        values[name] = _money(values[name])
    values["aftersales_cost"] = values["refunded"] + values["resent"]
    values["avg_order"] = _money(values["sales"] / values["orders"]) if values["orders"] else _money(0)
    values["repeat_rate"] = _rate(values["repeat_orders"], values["orders"])
    values["return_rate"] = _rate(values["returns"], values["orders"])
    return values


def _change(now: dict[str, Any], before: dict[str, Any]) -> dict[str, float | None]:
    """Relative change of each figure against the previous period (None when it was zero there)."""
    changed: dict[str, float | None] = {}
    for name, value in now.items():
        old = before.get(name)
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool) and old:
            changed[name] = round(float((Decimal(str(value)) - Decimal(str(old))) / Decimal(str(old))), 4)
        else:
            changed[name] = None
    return changed


def _shares(
    rows: list[tuple[str, int, Decimal]], total: Decimal, names: tuple[str, str, str]
) -> list[dict[str, Any]]:
    return [
        {names[0]: key, names[1]: count, names[2]: str(_money(amount)), "share": _rate(_money(amount), total)}
        for key, count, amount in rows
    ]


def stats_report(
    conn: Connection, first: date, last: date, shop_ids: Sequence[int] | None = None
) -> dict[str, Any]:
    if last < first:
        raise ValueError(f"--to {last} is before --from {first}")
    days = (last - first).days + 1
    prev_last = first - timedelta(days=1)
    prev_first = prev_last - timedelta(days=days - 1)
    now, before = totals(conn, first, last, shop_ids), totals(conn, prev_first, prev_last, shop_ids)
    d = t.stats_daily
    series: dict[date, tuple[int, Decimal]] = {}
    query = (
        select(d.c.day, func.sum(d.c.orders), func.sum(d.c.sales))
        .where(_where(d, first, last, shop_ids))
        .group_by(d.c.day)
    )
    for day, orders, sales in conn.execute(query):
        series[day] = (int(orders), _money(sales))
    daily = [
        {
            "day": (first + timedelta(days=i)).isoformat(),
            "orders": series.get(first + timedelta(days=i), (0, Decimal(0)))[0],
            "sales": str(series.get(first + timedelta(days=i), (0, Decimal(0)))[1]),
        }
        for i in range(days)
    ]
    c = period_rows(t.stats_category_span, first, last, shop_ids)
    categories = conn.execute(
        select(c.c.category, func.sum(c.c.quantity), func.sum(c.c.sales))
        .group_by(c.c.category)
        .order_by(_cents(c.c.sales).desc(), c.c.category)  # equal sales by name, whatever the float noise
    ).all()
    products, sku_orders = _products(conn, first, last, shop_ids)
    p = period_rows(t.stats_province_span, first, last, shop_ids)
    provinces = conn.execute(
        select(p.c.province, func.sum(p.c.orders), func.sum(p.c.sales))
        .group_by(p.c.province)
        .order_by(func.sum(p.c.orders).desc(), p.c.province)
    ).all()
    by_sku, reasons = _returns(conn, first, last, shop_ids, sku_orders)
    themes_now = feedback_themes(conn, first, last, shop_ids)
    g = t.stats_carrier_damage
    damage = conn.execute(
        select(g.c.carrier, g.c.reason_code, func.sum(g.c.cases), func.sum(g.c.refunded))
        .where(_where(g, first, last, shop_ids))
        .group_by(g.c.carrier, g.c.reason_code)
        .order_by(func.sum(g.c.cases).desc(), g.c.carrier, g.c.reason_code)
    ).all()
    return {
        "period": {"from": first.isoformat(), "to": last.isoformat(), "days": days},
        "previous": {"from": prev_first.isoformat(), "to": prev_last.isoformat()},
        "totals": _json(now),
        "previous_totals": _json(before),
        "change": _change(now, before),
        "daily": daily,
        "categories": _shares(
            [(a, int(b), _money(s)) for a, b, s in categories],
            now["sales"],
            ("category", "quantity", "sales"),
        ),
        "products": _shares(
            [(a, int(b), _money(s)) for a, b, s in products], now["sales"], ("sku", "quantity", "sales")
        ),
        "provinces": _shares(
            [(a, int(b), _money(s)) for a, b, s in provinces], now["sales"], ("province", "orders", "sales")
        ),
        "returns_by_sku": by_sku,
        "damage_by_carrier": [
            {"carrier": carrier or "-", "reason_code": reason, "cases": int(n), "refunded": str(_money(m))}
            for carrier, reason, n, m in damage
        ],
        "feedback_themes": [{"theme": theme, "count": count} for theme, count in themes_now],
        "returns_by_reason": [
            {"reason_code": code, "returns": v[0], "cases": v[1], "refunded": str(v[2])}
            for code, v in sorted(reasons.items(), key=lambda kv: (-kv[1][1], kv[0]))
        ],
    }


def _cents(money: Any) -> Any:
    """A sum of money as whole cents, a float: SQLite sums floats (exact to far below a cent here), and a
    float is read without the Decimal conversion that costs most of a report of ~10,000 SKUs."""
    return type_coerce(func.round(func.sum(money) * 100), Float)


def _products(
    conn: Connection, first: date, last: date, shop_ids: Sequence[int] | None
) -> tuple[list[tuple[str, int, Decimal]], dict[str, int]]:
    """The top products by sales, and every SKU's orders (the return rates' denominators): one pass over
    the SKU rollup's days and blocks. Sales come as whole cents, so ordering ~10,000 SKUs needs no Decimal."""
    k = period_rows(t.stats_sku_span, first, last, shop_ids)
    per_sku = conn.execute(
        select(k.c.sku, func.sum(k.c.orders), func.sum(k.c.quantity), _cents(k.c.sales)).group_by(k.c.sku)
    ).all()
    top = heapq.nsmallest(TOP, ((-int(m or 0), sku, int(q)) for sku, _, q, m in per_sku))
    products = [(sku, q, _money(Decimal(-m) / 100)) for m, sku, q in top]
    return products, {sku: int(orders or 0) for sku, orders, _, _ in per_sku}


def _returns(
    conn: Connection, first: date, last: date, shop_ids: Sequence[int] | None, sku_orders: dict[str, int]
) -> tuple[list[dict[str, Any]], dict[str, tuple[int, int, Decimal]]]:
    """Returns by SKU (with their rate) and by reason, each summed by the database from its own blocks (the
    ~30,000 (SKU, reason) groups of all shops are never formed)."""
    r = period_rows(t.stats_returns_span, first, last, shop_ids)
    returns = func.sum(r.c.returns)
    returned = conn.execute(select(r.c.sku, returns).group_by(r.c.sku).having(returns != 0)).all()
    ordered = sorted(((sku, int(n)) for sku, n in returned), key=lambda x: (-x[1], x[0]))
    by_sku = [
        {
            "sku": sku,
            "orders": sku_orders.get(sku, 0),
            "returns": n,
            "return_rate": _rate(n, sku_orders.get(sku, 0)),
        }
        for sku, n in ordered
    ]
    g = period_rows(t.stats_reason_span, first, last, shop_ids)
    per_reason = select(g.c.reason_code, func.sum(g.c.returns), func.sum(g.c.cases), _cents(g.c.refunded))
    reasons = {
        code: (int(n), int(cases), _money(Decimal(cents) / 100))
        for code, n, cases, cents in conn.execute(per_reason.group_by(g.c.reason_code))
    }
    return by_sku, reasons


def _json(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}


def feedback_themes(
    conn: Connection, first: date, last: date, shop_ids: Sequence[int] | None
) -> list[tuple[str, int]]:
    """Top shipping problems named in negative feedback of the period (each shop's local days), from the
    follow-ups: few rows (negative feedback only), so read directly."""
    from lanshou.followups.store import theme_counts
    from lanshou.orders.queries import local_day_bounds
    from lanshou.shops.store import load_shops

    shops = load_shops(conn)
    chosen = shops if shop_ids is None else {i: shops[i] for i in shop_ids if i in shops}
    bounds = {i: local_day_bounds(first, last, shop.timezone) for i, shop in chosen.items()}
    return theme_counts(conn, bounds)


def current_report(
    engine: Engine, first: date, last: date, shop_ids: Sequence[int] | None = None
) -> dict[str, Any]:
    """`stats_report` after catching up what the last imports marked: what the CLI, the API and the page
    all show (one computation, three faces)."""
    from lanshou.stats.refresh import catch_up_stats

    catch_up_stats(engine)
    with engine.connect() as conn:
        return stats_report(conn, first, last, shop_ids)
