"""Keeping the statistics current: re-derive the changed orders (and every order of their buyers, whose
repeat flags may move), then recompute the rollup rows of every (shop, day) the old or new facts touch.

One lock (`LOCK`) serialises refreshes across processes, so each regroup reads facts no other refresh is
rewriting; each batch is one transaction, so readers see whole batches only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, delete, func, select

from lanshou.aftersales.store import cases_of_orders
from lanshou.buyers.store import links_of, orders_of_profiles
from lanshou.db.bulk import insert_rows
from lanshou.db.engine import lock_exclusively, run_transaction
from lanshou.orders.facts import order_facts
from lanshou.orders.keys import CHUNK, OrderKey, by_shop
from lanshou.shops.store import load_shops
from lanshou.stats import tables as t
from lanshou.stats.derive import CaseIn, LineIn, OrderIn, derive

LOCK = "lanshou.stats"
BATCH = 2000
Groups = dict[int, set[date]]  # shop id -> local days


def with_buyers_orders(conn: Connection, keys: Sequence[OrderKey]) -> list[OrderKey]:
    """These orders and every other order of their buyers."""
    links = links_of(conn, keys)
    siblings = orders_of_profiles(conn, sorted(set(links.values())))
    return sorted(set(keys) | {key for keys_ in siblings.values() for key in keys_})


def load_inputs(conn: Connection, keys: Sequence[OrderKey]) -> list[OrderIn]:
    shops = load_shops(conn)
    facts = order_facts(conn, keys)
    cases = cases_of_orders(conn, keys)
    links = links_of(conn, keys)
    inputs = []
    for key, order in facts.items():
        at = order.paid_at or order.created_at
        assert at is not None
        inputs.append(
            OrderIn(
                shop_id=key[0],
                order_no=key[1],
                timezone=shops[key[0]].timezone,
                at=at,
                status=order.status,
                amount=order.order_amount,
                province=order.province,
                buyer=links.get(key),
                lines=tuple(LineIn(x.sku, x.category, x.quantity, x.unit_price) for x in order.lines),
                cases=tuple(
                    CaseIn(
                        c.case_no,
                        c.case_type.value,
                        c.status.value,
                        c.reason_code,
                        c.amount,
                        c.sku,
                        c.quantity,
                        c.requested_at,
                        bool(c.outbound_order_no),
                    )
                    for c in cases.get(key, [])
                ),
            )
        )
    return inputs


def refresh(conn: Connection, keys: Sequence[OrderKey]) -> int:
    """Re-derive these orders (with their buyers' others) and regroup the days touched; returns orders."""
    lock_exclusively(conn, LOCK)
    every = with_buyers_orders(conn, keys)
    groups = _fact_groups(conn, every)
    _delete_facts(conn, every)
    order_rows, line_rows, case_rows = derive(load_inputs(conn, every))
    insert_rows(conn, t.stats_order_facts, order_rows)
    insert_rows(conn, t.stats_line_facts, line_rows)
    insert_rows(conn, t.stats_case_facts, case_rows)
    for row in (*order_rows, *case_rows):
        groups[row["shop_id"]].add(row["day"])
    regroup(conn, groups)
    return len(order_rows)


def refresh_in_batches(engine: Engine, keys: Iterable[OrderKey]) -> int:
    wanted = sorted(set(keys))
    done = 0
    for start in range(0, len(wanted), BATCH):
        part = wanted[start : start + BATCH]
        done += run_transaction(engine, lambda conn, part=part: refresh(conn, part))  # type: ignore[misc]
    return done


def rebuild(engine: Engine) -> int:
    """Every fact and rollup again from the raw tables (the recompute the incremental path must equal)."""
    from lanshou.orders.tables import orders

    def clear(conn: Connection) -> None:
        lock_exclusively(conn, LOCK)
        for table in (*t.FACTS, *t.ROLLUPS):
            conn.execute(delete(table))

    run_transaction(engine, clear)
    with engine.connect() as conn:
        keys = [(r.shop_id, r.order_no) for r in conn.execute(select(orders.c.shop_id, orders.c.order_no))]
    return refresh_in_batches(engine, keys)


def _fact_groups(conn: Connection, keys: Sequence[OrderKey]) -> Groups:
    groups: Groups = defaultdict(set)
    for table in (t.stats_order_facts, t.stats_case_facts):
        c = table.c
        for shop_id, numbers in by_shop(keys):
            query = select(c.day).where(c.shop_id == shop_id, c.order_no.in_(numbers)).distinct()
            groups[shop_id].update(conn.execute(query).scalars())
    return groups


def _delete_facts(conn: Connection, keys: Sequence[OrderKey]) -> None:
    for table in t.FACTS:
        for shop_id, numbers in by_shop(keys):
            conn.execute(delete(table).where(table.c.shop_id == shop_id, table.c.order_no.in_(numbers)))


def _in_groups(table: Any, shop_id: int, days: Sequence[date]) -> Any:
    return and_(table.c.shop_id == shop_id, table.c.day.in_(days))


def _int(flag: Any) -> Any:
    return func.sum(case((flag, 1), else_=0))


def regroup(conn: Connection, groups: Groups) -> None:
    """The rollup rows of these (shop, day) groups again, from the facts."""
    for shop_id, day_set in groups.items():
        days = sorted(day_set)
        for start in range(0, len(days), CHUNK):
            _regroup(conn, shop_id, days[start : start + CHUNK])


def _regroup(conn: Connection, shop_id: int, days: Sequence[date]) -> None:
    for table in t.ROLLUPS:
        conn.execute(delete(table).where(_in_groups(table, shop_id, days)))
    o, ln, cs = t.stats_order_facts, t.stats_line_facts, t.stats_case_facts
    counted = and_(_in_groups(o, shop_id, days), o.c.counted.is_(True))
    daily: dict[date, dict[str, Any]] = defaultdict(dict)
    sold = (
        select(o.c.day, func.count(), func.sum(o.c.amount), _int(o.c.repeat)).where(counted).group_by(o.c.day)
    )
    for day, orders, sales, repeat in conn.execute(sold):
        daily[day].update(orders=orders, sales=_money(sales), repeat_orders=int(repeat or 0))
    cases = (
        select(
            cs.c.day,
            func.count(),
            _int(cs.c.is_return),
            _int(cs.c.is_refund),
            func.sum(cs.c.refunded),
            func.sum(cs.c.resent),
        )
        .where(_in_groups(cs, shop_id, days))
        .group_by(cs.c.day)
    )
    for day, count, returns, refunds, refunded, resent in conn.execute(cases):
        daily[day].update(
            cases=count,
            returns=int(returns or 0),
            refunds=int(refunds or 0),
            refunded=_money(refunded),
            resent=_money(resent),
        )
    insert_rows(
        conn,
        t.stats_daily,
        [{**_DAILY_ZERO, **values, "shop_id": shop_id, "day": day} for day, values in daily.items()],
    )

    lines = _in_groups(ln, shop_id, days)
    by_category = (
        select(ln.c.day, ln.c.category, func.sum(ln.c.quantity), func.sum(ln.c.sales))
        .where(lines)
        .group_by(ln.c.day, ln.c.category)
    )
    insert_rows(
        conn,
        t.stats_category,
        [
            {"shop_id": shop_id, "day": d, "category": c, "quantity": int(q), "sales": _money(s)}
            for d, c, q, s in conn.execute(by_category)
        ],
    )
    by_sku = (
        select(
            ln.c.day,
            ln.c.sku,
            func.count(func.distinct(ln.c.order_no)),
            func.sum(ln.c.quantity),
            func.sum(ln.c.sales),
        )
        .where(lines)
        .group_by(ln.c.day, ln.c.sku)
    )
    insert_rows(
        conn,
        t.stats_sku,
        [
            {"shop_id": shop_id, "day": d, "sku": k, "orders": n, "quantity": int(q), "sales": _money(s)}
            for d, k, n, q, s in conn.execute(by_sku)
        ],
    )
    by_province = (
        select(o.c.day, o.c.province, func.count(), func.sum(o.c.amount))
        .where(counted)
        .group_by(o.c.day, o.c.province)
    )
    insert_rows(
        conn,
        t.stats_province,
        [
            {"shop_id": shop_id, "day": d, "province": p, "orders": n, "sales": _money(s)}
            for d, p, n, s in conn.execute(by_province)
        ],
    )
    by_reason = (
        select(
            cs.c.day, cs.c.sku, cs.c.reason_code, _int(cs.c.is_return), func.count(), func.sum(cs.c.refunded)
        )
        .where(_in_groups(cs, shop_id, days))
        .group_by(cs.c.day, cs.c.sku, cs.c.reason_code)
    )
    insert_rows(
        conn,
        t.stats_returns,
        [
            {
                "shop_id": shop_id,
                "day": d,
                "sku": k,
                "reason_code": r,
                "returns": int(n or 0),
                "cases": c,
                "refunded": _money(m),
            }
            for d, k, r, n, c, m in conn.execute(by_reason)
        ],
    )


_DAILY_ZERO = {
    "orders": 0,
    "sales": Decimal(0),
    "repeat_orders": 0,
    "cases": 0,
    "returns": 0,
    "refunds": 0,
    "refunded": Decimal(0),
    "resent": Decimal(0),
}


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))
