"""The statistics report for a period and the one before it, read from the rollups only. JSON shape here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select

from lanshou.stats import tables as t

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
    c, k, p, r = t.stats_category, t.stats_sku, t.stats_province, t.stats_returns
    categories = conn.execute(
        select(c.c.category, func.sum(c.c.quantity), func.sum(c.c.sales))
        .where(_where(c, first, last, shop_ids))
        .group_by(c.c.category)
        .order_by(func.sum(c.c.sales).desc(), c.c.category)
    ).all()
    # one pass over the SKU rollup gives the products' share and the return-rate denominators
    per_sku = conn.execute(
        select(k.c.sku, func.sum(k.c.orders), func.sum(k.c.quantity), func.sum(k.c.sales))
        .where(_where(k, first, last, shop_ids))
        .group_by(k.c.sku)
    ).all()
    sku_orders = {sku: int(orders or 0) for sku, orders, _, _ in per_sku}
    products = sorted(((sku, q, _money(m)) for sku, _, q, m in per_sku), key=lambda x: (-x[2], x[0]))[:TOP]
    provinces = conn.execute(
        select(p.c.province, func.sum(p.c.orders), func.sum(p.c.sales))
        .where(_where(p, first, last, shop_ids))
        .group_by(p.c.province)
        .order_by(func.sum(p.c.orders).desc(), p.c.province)
    ).all()
    returned: dict[str, int] = defaultdict(int)
    reasons: dict[str, list[Any]] = defaultdict(lambda: [0, 0, Decimal(0)])
    per_reason = select(
        r.c.sku, r.c.reason_code, func.sum(r.c.returns), func.sum(r.c.cases), func.sum(r.c.refunded)
    )
    for sku, reason, returns, cases, refunded in conn.execute(
        per_reason.where(_where(r, first, last, shop_ids)).group_by(r.c.sku, r.c.reason_code)
    ):
        returned[sku] += int(returns or 0)
        reasons[reason][0] += int(returns or 0)
        reasons[reason][1] += int(cases or 0)
        reasons[reason][2] += _money(refunded)
    by_sku: list[dict[str, Any]] = sorted(
        (
            {
                "sku": sku,
                "orders": int(sku_orders.get(sku) or 0),
                "returns": n,
                "return_rate": _rate(n, int(sku_orders.get(sku) or 0)),
            }
            for sku, n in returned.items()
            if n
        ),
        key=lambda x: (-int(x["returns"]), str(x["sku"])),
    )
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
