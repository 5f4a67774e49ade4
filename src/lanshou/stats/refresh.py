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

from sqlalchemy import Connection, Engine, and_, case, delete, func, select, update

from lanshou.aftersales.store import cases_of_orders
from lanshou.buyers.store import links_of, orders_of_profiles
from lanshou.db.bulk import insert_rows
from lanshou.db.engine import lock_exclusively, run_transaction
from lanshou.db.marks import catch_up
from lanshou.orders.facts import order_facts
from lanshou.orders.keys import CHUNK, OrderKey, by_shop
from lanshou.shops.store import load_shops
from lanshou.stats import tables as t
from lanshou.stats.derive import DAMAGE_REASONS, CaseIn, LineIn, OrderIn, derive, purchases, repeats
from lanshou.stats.spans import regroup_spans
from lanshou.stats.tables import stats_dirty
from lanshou.tracking.queries import parcels_of

LOCK = "lanshou.stats"
BATCH = 2000
Groups = dict[int, set[date]]  # shop id -> local days


def buyers_other_orders(conn: Connection, keys: Sequence[OrderKey]) -> dict[OrderKey, str]:
    """The other orders of these orders' buyers, with their buyer."""
    links = links_of(conn, keys)
    wanted = set(keys)
    siblings = orders_of_profiles(conn, sorted(set(links.values())))
    return {key: buyer for buyer, keys_ in siblings.items() for key in keys_ if key not in wanted}


def load_inputs(conn: Connection, keys: Sequence[OrderKey]) -> list[OrderIn]:
    shops = load_shops(conn)
    facts = order_facts(conn, keys)
    cases = cases_of_orders(conn, keys)
    links = links_of(conn, keys)
    carriers = _first_carriers(conn, keys)
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
                carrier=carriers.get(key, ""),
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


def _first_carriers(conn: Connection, keys: Sequence[OrderKey]) -> dict[OrderKey, str]:
    found: dict[OrderKey, str] = {}
    for shop_id, numbers in by_shop(keys):
        for order_no, parcels in parcels_of(conn, shop_id, numbers).items():
            if parcels:
                found[(shop_id, order_no)] = parcels[0].carrier
    return found


def refresh(conn: Connection, keys: Sequence[OrderKey]) -> int:
    """Derive these orders again, settle the repeat flag of their buyers' other orders (from their stored
    facts: only the flag can move), and regroup every day touched; returns the orders derived."""
    lock_exclusively(conn, LOCK)
    keys = sorted(set(keys))
    groups = _fact_groups(conn, keys)
    _delete_facts(conn, keys)
    inputs = load_inputs(conn, keys)
    order_rows, line_rows, case_rows = derive(inputs)
    others = buyers_other_orders(conn, keys)
    stored = _stored_purchases(conn, others)
    repeat = repeats([*purchases(inputs), *((at, k[0], k[1], others[k]) for k, (at, _) in stored.items())])
    for row in order_rows:
        row["repeat"] = (row["shop_id"], row["order_no"]) in repeat
    flipped = [(key, not was) for key, (_, was) in stored.items() if (key in repeat) != was]
    _set_repeat(conn, flipped, groups)
    insert_rows(conn, t.stats_order_facts, order_rows)
    insert_rows(conn, t.stats_line_facts, line_rows)
    insert_rows(conn, t.stats_case_facts, case_rows)
    for row in (*order_rows, *case_rows):
        groups[row["shop_id"]].add(row["day"])
    regroup(conn, groups)
    return len(order_rows)


def _stored_purchases(conn: Connection, keys: Iterable[OrderKey]) -> dict[OrderKey, tuple[Any, bool]]:
    """(time, repeat flag) of the counted orders among `keys` whose facts are stored (one derived later
    settles its buyer's flags itself)."""
    o = t.stats_order_facts.c
    found: dict[OrderKey, tuple[Any, bool]] = {}
    for shop_id, numbers in by_shop(sorted(keys)):
        query = select(o.order_no, o.at, o.repeat).where(
            o.shop_id == shop_id, o.order_no.in_(numbers), o.counted.is_(True)
        )
        found.update(((shop_id, r.order_no), (r.at, bool(r.repeat))) for r in conn.execute(query))
    return found


def _set_repeat(conn: Connection, flipped: list[tuple[OrderKey, bool]], groups: Groups) -> None:
    o = t.stats_order_facts
    for value in (True, False):
        keys = [key for key, now in flipped if now is value]
        for shop_id, numbers in by_shop(keys):
            conn.execute(
                update(o).where(o.c.shop_id == shop_id, o.c.order_no.in_(numbers)).values(repeat=value)
            )
            days = select(o.c.day).where(o.c.shop_id == shop_id, o.c.order_no.in_(numbers)).distinct()
            groups[shop_id].update(conn.execute(days).scalars())


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
        regroup_spans(conn, shop_id, days)


def _regroup(conn: Connection, shop_id: int, days: Sequence[date]) -> None:
    for table in t.DAILY_ROLLUPS:
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
    damage = (
        select(cs.c.day, cs.c.carrier, cs.c.reason_code, func.count(), func.sum(cs.c.refunded))
        .where(_in_groups(cs, shop_id, days), cs.c.reason_code.in_(sorted(DAMAGE_REASONS)))
        .group_by(cs.c.day, cs.c.carrier, cs.c.reason_code)
    )
    insert_rows(
        conn,
        t.stats_carrier_damage,
        [
            {"shop_id": shop_id, "day": d, "carrier": c, "reason_code": r, "cases": n, "refunded": _money(m)}
            for d, c, r, n, m in conn.execute(damage)
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


def catch_up_stats(engine: Engine) -> int:
    """Derive again every order marked since the last catch-up (after the buyer profiles catch up: their
    links tell repeat purchases); every report runs it first."""
    from lanshou.buyers.store import catch_up_buyers

    catch_up_buyers(engine)
    return catch_up(engine, stats_dirty, LOCK, refresh)
