"""Keep the metric rollups current: re-derive changed orders and apply the difference as count deltas.

Importers mark orders dirty (cheap, batched); `refresh` re-derives them in batches. For each order the old
derived keys count -1 and the new ones +1, so the rollups always equal a GROUP BY over the derived rows —
and those equal a recompute from the raw tables (tests/test_rollups.py proves it with hypothesis).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Table, and_, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from lanshou.db.bulk import insert_new, insert_rows
from lanshou.db.metadata import metadata
from lanshou.metrics import tables as mt
from lanshou.metrics.derive import NEVER, derive_order, derive_parcel
from lanshou.metrics.packs import RulePack
from lanshou.metrics.rollup_sql import MAIN_RULE
from lanshou.metrics.source import iter_all_keys, load_facts
from lanshou.orders.keys import OrderKey, by_shop
from lanshou.platforms.values import zone
from lanshou.shops.model import ShopInfo
from lanshou.shops.store import load_shops

BATCH = 2000

ROLLUP_KEYS: dict[str, tuple[str, ...]] = {
    "rollup_pickup": (
        "rule",
        "pay_day",
        "carrier",
        "limit_hours",
        "pickup_eday",
        "pickup_on_time",
        "deadline_day",
        "closed",
    ),
    "rollup_promise": ("promise_day", "carrier", "pickup_eday", "by_promise", "closed"),
    "rollup_feedback": ("pay_day", "negative_eday"),
    "rollup_delivery": ("delivered_day", "returned_eday", "bucket"),
    "rollup_delivery_carrier": ("delivered_day", "carrier", "returned_eday"),
    "rollup_delivery_province": ("delivered_day", "province", "returned_eday"),
    "rollup_freshness": ("pickup_day", "carrier", "stale_day"),
}
# these also sum delivery seconds
WITH_SECONDS = ("rollup_delivery", "rollup_delivery_carrier", "rollup_delivery_province")
RulesFor = Callable[[ShopInfo], RulePack]  # the shop's rule pack (lanshou.metrics.packs.pack_for)


def mark_dirty(conn: Connection, keys: Iterable[OrderKey]) -> None:
    rows = list(set(keys))
    columns = ("shop_id", "order_no")
    for start in range(0, len(rows), 5000):
        insert_new(conn, mt.metric_dirty, rows[start : start + 5000], columns, columns)


def clear_dirty(conn: Connection, keys: Sequence[OrderKey]) -> None:
    for shop_id, numbers in by_shop(keys):
        conn.execute(delete(mt.metric_dirty).where(_keyed(mt.metric_dirty, shop_id, numbers)))


def refresh(engine: Engine, rules_for: RulesFor, progress: Callable[[int], None] | None = None) -> int:
    """Re-derive every dirty order; returns how many were processed."""
    done = 0
    with engine.connect() as conn:  # nothing derived yet (a first build): no old rows to look up or delete
        fresh = conn.execute(select(mt.metric_orders.c.shop_id).limit(1)).first() is None
    while True:
        with engine.begin() as conn:
            keys = [(r.shop_id, r.order_no) for r in conn.execute(select(mt.metric_dirty).limit(BATCH))]
            if not keys:
                return done
            apply_orders(conn, keys, rules_for, fresh)
            clear_dirty(conn, keys)
        done += len(keys)
        if progress is not None:
            progress(done)


def rebuild(engine: Engine, rules_for: RulesFor, progress: Callable[[int], None] | None = None) -> int:
    """Drop every derived row and rollup, then derive all orders again (after a rule or timezone change)."""
    with engine.begin() as conn:
        for table in (mt.metric_orders, mt.metric_parcels, *rollup_tables().values(), mt.metric_dirty):
            conn.execute(delete(table))
    done = 0
    with engine.connect() as reader:
        for keys in iter_all_keys(reader, batch=BATCH):
            with engine.begin() as conn:
                apply_orders(conn, keys, rules_for, fresh=True)
            done += len(keys)
            if progress is not None:
                progress(done)
    return done


def rollup_tables() -> dict[str, Table]:
    return {name: metadata.tables[name] for name in ROLLUP_KEYS}


def apply_orders(
    conn: Connection, keys: Sequence[OrderKey], rules_for: RulesFor, fresh: bool = False
) -> None:
    """Re-derive these orders and move the rollups by the difference (fresh: nothing stored for them yet)."""
    write_derived(conn, derive_orders(conn, keys, rules_for, fresh))


@dataclass
class Derived:
    """A batch's derived rows and the rollup deltas they make: computed by reading, then written."""

    keys: Sequence[OrderKey]
    fresh: bool
    orders: list[dict[str, Any]] = field(default_factory=list)
    parcels: list[dict[str, Any]] = field(default_factory=list)
    deltas: dict[str, Counter[tuple[Any, ...]]] = field(default_factory=dict)
    sums: dict[str, Counter[tuple[Any, ...]]] = field(default_factory=dict)


def derive_orders(conn: Connection, keys: Sequence[OrderKey], rules_for: RulesFor, fresh: bool) -> Derived:
    """Only reads: a bulk job may derive in a read transaction and write in a short one after."""
    shops = load_shops(conn)
    out = Derived(keys, fresh)
    deltas = out.deltas = {name: Counter() for name in ROLLUP_KEYS}
    sums = out.sums = {name: Counter() for name in WITH_SECONDS}
    old_orders, old_parcels = ([], []) if fresh else _stored(conn, keys)
    for shop_id, row in old_orders:
        _count(deltas, sums, shop_id, row, None, -1)
    for row in old_parcels:
        _count(deltas, sums, row["shop_id"], None, row, -1)
    shop_rules = {shop_id: (rules_for(shop), zone(shop.timezone)) for shop_id, shop in shops.items()}
    for (shop_id, order_no), fact in load_facts(conn, keys, shops):
        rules, tz = shop_rules[shop_id]
        order_row = derive_order(fact, rules, tz)
        out.orders.append(
            {
                "shop_id": shop_id,
                "order_no": order_no,
                **order_row,
                "extra_m1": json.dumps(order_row["extra_m1"]),
            }
        )
        _count(deltas, sums, shop_id, order_row, None, +1)
        for parcel in fact.parcels if fact.paid_at is not None else ():  # unpaid: counts nowhere
            parcel_row = {
                "tracking_no": parcel.tracking_no,
                "shop_id": shop_id,
                "order_no": order_no,
                **derive_parcel(parcel, rules, tz),
            }
            out.parcels.append(parcel_row)
            _count(deltas, sums, shop_id, None, parcel_row, +1)
    return out


def write_derived(conn: Connection, derived: Derived) -> None:
    _replace_derived(conn, derived.keys, derived.orders, derived.parcels, derived.fresh)
    _apply_deltas(conn, derived.deltas, derived.sums)


def _stored(
    conn: Connection, keys: Sequence[OrderKey]
) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    orders: list[tuple[int, dict[str, Any]]] = []
    parcels: list[dict[str, Any]] = []
    mo, mp = mt.metric_orders, mt.metric_parcels
    for shop_id, numbers in by_shop(keys):
        for row in conn.execute(select(mo).where(_keyed(mo, shop_id, numbers))).mappings():
            orders.append((row["shop_id"], {**row, "extra_m1": json.loads(row["extra_m1"])}))
        for row in conn.execute(select(mp).where(_keyed(mp, shop_id, numbers))).mappings():
            parcels.append(dict(row))
    return orders, parcels


def _keyed(table: Table, shop_id: int, numbers: list[str]) -> ColumnElement[bool]:
    return and_(table.c.shop_id == shop_id, table.c.order_no.in_(numbers))


def _pickup_rules(order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's M1 row under the pack's limit, and one per extra limit (e.g. Taobao's 48 h block)."""
    rules = [{**order, "rule": MAIN_RULE}]
    for name, (limit, on_time, deadline) in order["extra_m1"].items():
        rules.append(
            {
                **order,
                "rule": name,
                "limit_hours": limit,
                "pickup_on_time": on_time,
                "deadline_day": date.fromisoformat(deadline),
            }
        )
    return rules


def _count(
    deltas: dict[str, Counter[tuple[Any, ...]]],
    sums: dict[str, Counter[tuple[Any, ...]]],
    shop_id: int,
    order: dict[str, Any] | None,
    parcel: dict[str, Any] | None,
    sign: int,
) -> None:
    if order is not None and order["pay_day"] is not None:
        deltas["rollup_feedback"][(shop_id, order["pay_day"], order["negative_eday"] or NEVER)] += sign
        if order["limit_hours"] is not None:
            for rule in _pickup_rules(order):
                deltas["rollup_pickup"][(shop_id, *(rule[k] for k in ROLLUP_KEYS["rollup_pickup"]))] += sign
        if order["promise_day"] is not None:
            deltas["rollup_promise"][(shop_id, *(order[k] for k in ROLLUP_KEYS["rollup_promise"]))] += sign
    if parcel is not None and parcel["pickup_day"] is not None:
        deltas["rollup_freshness"][(shop_id, *(parcel[k] for k in ROLLUP_KEYS["rollup_freshness"]))] += sign
        if parcel["delivered_day"] is not None:
            for name in WITH_SECONDS:
                key = (shop_id, *(parcel[k] for k in ROLLUP_KEYS[name]))
                deltas[name][key] += sign
                sums[name][key] += sign * parcel["duration_s"]


def _replace_derived(
    conn: Connection,
    keys: Sequence[OrderKey],
    orders: list[dict[str, Any]],
    parcels: list[dict[str, Any]],
    fresh: bool,
) -> None:
    if not fresh:
        for shop_id, numbers in by_shop(keys):
            for table in (mt.metric_orders, mt.metric_parcels):
                conn.execute(delete(table).where(_keyed(table, shop_id, numbers)))
    # a tracking number moved to another order in this batch would appear twice: the last one wins
    unique_parcels = list({p["tracking_no"]: p for p in parcels}.values())
    if unique_parcels and not fresh:
        numbers = [p["tracking_no"] for p in unique_parcels]
        for start in range(0, len(numbers), 500):
            conn.execute(
                delete(mt.metric_parcels).where(
                    mt.metric_parcels.c.tracking_no.in_(numbers[start : start + 500])
                )
            )
    insert_rows(conn, mt.metric_parcels, unique_parcels)
    insert_rows(conn, mt.metric_orders, orders)


def _apply_deltas(
    conn: Connection, deltas: dict[str, Counter[tuple[Any, ...]]], sums: dict[str, Counter[tuple[Any, ...]]]
) -> None:
    for name, counter in deltas.items():
        table = metadata.tables[name]
        columns = ("shop_id", *ROLLUP_KEYS[name])
        rows = []
        for key, n in counter.items():
            total = sums[name].get(key, 0.0) if name in WITH_SECONDS else None
            if n == 0 and not total:
                continue
            row = dict(zip(columns, key, strict=True))
            row["n"] = n
            if name in WITH_SECONDS:
                row["sum_s"] = total
            rows.append(row)
        if not rows:
            continue
        insert = postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)
        update = {"n": table.c.n + insert.excluded.n}
        if name in WITH_SECONDS:
            update["sum_s"] = table.c.sum_s + insert.excluded.sum_s
        conn.execute(insert.on_conflict_do_update(index_elements=list(columns), set_=update), rows)
