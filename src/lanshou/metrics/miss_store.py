"""Misses kept current (docs/misses-rollup.md): why each order missed M1 / M5, written by the rollup upkeep
beside its `metric_orders` row, and read back for any as-of day without judging raw rows.

What depends on the as-of day D is decided from the derived days (lanshou.metrics.derive), exactly as the
explainer decides it at D 00:00 local:
- M1 late at D: not picked up on time, paid in [F, D), deadline passed by D (`deadline_day` < D), and not
  closed before a pickup by D (closed with `pickup_eday` >= D: out of M1).
- M5 late at D: not picked up by the promise, promised in [F, D), not closed before a pickup by D.
- M4 at D: paid in [F, D) with a counting negative feedback by D; its reason is M1's when M1 is late at D,
  else M5's when M5 is late at D, else `unknown`.
- The reason is stored as if every scan had happened; when the order's first scan comes after D
  (`pickup_eday` >= D) a scan-dependent reason (late pickup, calendar) reads as `shipped_no_scan`, which is
  what `explain.reason_for` says when no scan is known by the evaluation time.
Orders changed since the last refresh (marked, not derived yet) are left to the caller, who judges them.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, case, func, select

from lanshou.metrics.derive import local_hour
from lanshou.metrics.explain import FIXED_DETAILS, Context, Miss, reason_for
from lanshou.metrics.facts import OrderFact
from lanshou.metrics.packs import RulePack
from lanshou.metrics.rules import pickup_deadline, promised_ship_time
from lanshou.metrics.tables import M1_CAN_MISS, M5_CAN_MISS, metric_misses, metric_orders
from lanshou.orders.keys import OrderKey
from lanshou.shops.model import ShopInfo

NEGATIVE = "shipping_negative_feedback"
NO_SCAN = ("shipped_no_scan", FIXED_DETAILS["shipped_no_scan"])
NEVER_SCANNED = tuple(FIXED_DETAILS)  # need no scan time
ON_TIME_NEGATIVE = ("unknown", "shipped on time; see the feedback")
ANY_TIME = datetime.max  # an evaluation time after every scan


def strings_json(values: Iterable[str]) -> str:
    """`json.dumps(list(values), ensure_ascii=False)`, the same text: each string encoded by json's own C
    encoder, without the encoder json.dumps builds on every call (~9 µs a call, most of writing a list of
    SKUs; a miss row and a queue row each write one or two)."""
    return "[" + ", ".join(map(encode_basestring, values)) + "]"


def derive_misses(
    order: OrderFact, derived: Mapping[str, Any], pack: RulePack, tz: tzinfo
) -> dict[str, Any] | None:
    """The metric_misses row (minus its key) of one order, given its metric_orders row; None when the order
    can miss none of M1, M5, M4."""
    if order.paid_at is None:
        return None
    ctx = Context(pack, ANY_TIME, cast(ZoneInfo, tz))
    m1 = m5 = None
    if derived["limit_hours"] is not None and not derived["pickup_on_time"]:
        deadline = pickup_deadline(order, pack)
        assert deadline is not None
        m1 = reason_for(order, deadline, ctx)
    if derived["promise_day"] is not None and not derived["by_promise"]:
        promised = promised_ship_time(order, pack)
        assert promised is not None
        m5 = reason_for(order, promised, ctx)
    if m1 is None and m5 is None and derived["negative_eday"] == date(9999, 12, 31):
        return None
    return {
        "m1_reason": m1 and m1[0],
        "m1_detail": m1 and _kept_detail(m1),
        "m5_reason": m5 and m5[0],
        "m5_detail": m5 and _kept_detail(m5),
        "carrier": next((p.carrier for p in order.parcels), ""),
        "skus": strings_json(order.skus),
        "warehouse": order.warehouse,
        "pay_hour": local_hour(order.paid_at, tz),
        "province": order.province,
    }


def _kept_detail(reason: tuple[str, str]) -> str | None:
    """None for a reason whose detail never varies (most rows: ~85 bytes less each)."""
    return None if FIXED_DETAILS.get(reason[0]) == reason[1] else reason[1]


def stored_misses(
    conn: Connection,
    shops: Mapping[int, ShopInfo],
    metric: str,
    as_of: date,
    window_days: int,
    skip: Collection[OrderKey] = (),
) -> tuple[list[Miss], set[OrderKey]]:
    """The misses of `metric` (pay_to_pickup, late_shipment or shipping_negative_feedback) as of `as_of`, from
    the kept rows of the shops' orders, less the orders in `skip` (the caller judges those); and the orders
    that can miss it in the window but have no kept row (derived before revision 0022 and not since), which
    the caller judges too. The as-of decisions are made in SQL (module docstring)."""
    rows, missing = kept_rows(conn, shops, metric, as_of, window_days, skip)
    return [row_miss(row, shops[row.shop_id], metric) for row in rows], missing


def kept_rows(
    conn: Connection,
    shops: Mapping[int, ShopInfo],
    metric: str,
    as_of: date,
    window_days: int,
    skip: Collection[OrderKey] = (),
) -> tuple[list[Any], set[OrderKey]]:
    """The kept rows behind `stored_misses` (`row_miss` makes each one's Miss), less the orders in `skip`;
    and the orders that can miss `metric` in the window but have no kept row."""
    rows: list[Any] = []
    missing: set[OrderKey] = set()
    for row in stored_rows(conn, shops, metric, as_of, window_days):
        key = (row.shop_id, row.order_no)
        if key in skip:
            continue
        if row.kept is None:
            missing.add(key)
            continue
        rows.append(row)
    return rows, missing


def stored_rows(
    conn: Connection, shops: Mapping[int, ShopInfo], metric: str, as_of: date, window_days: int
) -> Iterable[Any]:
    """The rows behind `stored_misses`, in (shop_id, order_no) order: `kept` is None for an order that can
    miss `metric` in the window but has no kept row; `row_miss` makes the others' Miss."""
    flags, where = _window(shops, metric, as_of, window_days)
    query = (
        select(*_columns(flags))
        .select_from(_joined())
        .where(*where)
        .order_by(metric_orders.c.shop_id, metric_orders.c.order_no)  # the groups list their orders so
    )
    return conn.execute(query)


def _window(
    shops: Mapping[int, ShopInfo], metric: str, as_of: date, window_days: int
) -> tuple[dict[str, ColumnElement[bool]], list[ColumnElement[bool]]]:
    """The as-of conditions (scanned, M1 late, M5 late) and the WHERE of the window's orders that can miss
    `metric` (those without a kept row, and the kept rows late or negative as of the day)."""
    first = as_of - timedelta(days=window_days)
    mm, mo = metric_misses.c, metric_orders.c
    paid_in = (mo.pay_day >= first) & (mo.pay_day < as_of)
    closed_unpicked = mo.closed.is_(True) & (mo.pickup_eday >= as_of)
    m1_late = (
        mm.m1_reason.is_not(None)
        & paid_in
        & ~closed_unpicked
        & ((mo.pickup_eday < as_of) | (mo.deadline_day < as_of))
    )
    m5_late = (
        mm.m5_reason.is_not(None) & (mo.promise_day >= first) & (mo.promise_day < as_of) & ~closed_unpicked
    )
    window, can_miss, late = {
        "pay_to_pickup": (paid_in, M1_CAN_MISS, m1_late),  # the partial indexes' own predicates
        "late_shipment": ((mo.promise_day >= first) & (mo.promise_day < as_of), M5_CAN_MISS, m5_late),
        NEGATIVE: (paid_in, mo.negative_eday < as_of, paid_in),
    }[metric]
    flags = {"scanned": mo.pickup_eday < as_of, "m1_late": m1_late, "m5_late": m5_late}
    return flags, [mo.shop_id.in_(list(shops)), window, can_miss, mm.order_no.is_(None) | late]


def _joined() -> Any:
    mm, mo = metric_misses.c, metric_orders.c
    return metric_orders.outerjoin(metric_misses, (mm.shop_id == mo.shop_id) & (mm.order_no == mo.order_no))


def _columns(flags: Mapping[str, ColumnElement[bool]]) -> list[ColumnElement[Any]]:
    mo = metric_orders.c
    return [
        mo.shop_id,
        mo.order_no,
        metric_misses.c.order_no.label("kept"),
        *(column for column in metric_misses.c if column.name not in ("shop_id", "order_no")),
        *(_flag(condition).label(name) for name, condition in flags.items()),
    ]


def stored_group_counts(
    conn: Connection, shops: Mapping[int, ShopInfo], metric: str, as_of: date, window_days: int, by: str
) -> tuple[dict[str, int], int]:
    """How many kept misses each group (`by`: reason, carrier or province) holds, counted in SQL; and how
    many orders of the window have no kept row (the caller must judge those from raw rows)."""
    flags, where = _window(shops, metric, as_of, window_days)
    key = _group_key(flags, metric, by)
    unkept = metric_misses.c.order_no.is_(None)
    query = (
        select(key, _flag(unkept), func.count()).select_from(_joined()).where(*where).group_by(key, unkept)
    )
    counts: dict[str, int] = {}
    missing = 0
    for group, no_row, n in conn.execute(query):
        if no_row:
            missing += n
        else:
            counts[group] = n
    return counts, missing


def stored_first(
    conn: Connection,
    shops: Mapping[int, ShopInfo],
    metric: str,
    as_of: date,
    window_days: int,
    by: str,
    ranks: Mapping[str, int],
    limit: int,
) -> list[Any]:
    """The first `limit` kept rows by their group's rank, the shop's name, the order number (then the
    shop id, as a stable sort of the rows in key order would leave them): what the page lists."""
    flags, where = _window(shops, metric, as_of, window_days)
    by_name = sorted(shops, key=lambda shop_id: shops[shop_id].shop)
    order_no: ColumnElement[Any] = metric_orders.c.order_no
    if conn.dialect.name == "postgresql":
        order_no = order_no.collate("C")  # code point order, as Python compares strings (SQLite: bytes)
    query = (
        select(*_columns(flags))
        .select_from(_joined())
        .where(*where, metric_misses.c.order_no.is_not(None))
        .order_by(
            # an order number's rank is its first group's, whichever shop (as `misses._by_impact` ranks)
            func.min(case(dict(ranks), value=_group_key(flags, metric, by), else_=len(ranks))).over(
                partition_by=metric_orders.c.order_no
            ),
            case({shop_id: rank for rank, shop_id in enumerate(by_name)}, value=metric_orders.c.shop_id),
            order_no,
            metric_orders.c.shop_id,
        )
        .limit(limit)
    )
    return list(conn.execute(query))


def _group_key(flags: Mapping[str, ColumnElement[bool]], metric: str, by: str) -> ColumnElement[str]:
    """The group key of a kept row in SQL, as `explain.group_keys` gives it for its Miss."""
    mm = metric_misses.c
    if by != "reason":
        return {"carrier": mm.carrier, "province": mm.province}[by]
    m1 = _reason_as_of(mm.m1_reason, flags["scanned"])
    m5 = _reason_as_of(mm.m5_reason, flags["scanned"])
    if metric == "pay_to_pickup":
        return m1
    if metric == "late_shipment":
        return m5
    return case((flags["m1_late"], m1), (flags["m5_late"], m5), else_=ON_TIME_NEGATIVE[0])


def _reason_as_of(reason: ColumnElement[str], scanned: ColumnElement[bool]) -> ColumnElement[str]:
    """`_as_of` in SQL."""
    return case((scanned | reason.in_(NEVER_SCANNED), reason), else_=NO_SCAN[0])


def row_miss(row: Any, shop: ShopInfo, metric: str) -> Miss:
    """The Miss of a kept row `stored_rows` returned."""
    return _miss(row, shop, metric, row_reason(row, metric))


def row_skus(row: Any) -> tuple[str, ...]:
    return _skus(row.skus)


@lru_cache(maxsize=4096)
def _skus(stored: str) -> tuple[str, ...]:
    return tuple(json.loads(stored))  # many orders share a list: parse each once


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def row_reason(row: Any, metric: str) -> tuple[str, str]:
    """The reason of a row the query found late (or negative) as of its day."""
    if metric == "pay_to_pickup" or (metric == NEGATIVE and row.m1_late):
        return _as_of(row.m1_reason, row.m1_detail, row.scanned)
    if metric == "late_shipment" or row.m5_late:
        return _as_of(row.m5_reason, row.m5_detail, row.scanned)
    return ON_TIME_NEGATIVE


def _as_of(reason: str, detail: str | None, scanned: int) -> tuple[str, str]:
    """A reason found with every scan known, as the explainer gives it at D: no scan by D, no scan reason.
    A row keeps no detail for a reason whose detail never varies (rows written before keep the text)."""
    if not (scanned or reason in NEVER_SCANNED):
        return NO_SCAN
    return reason, FIXED_DETAILS.get(reason, "") if detail is None else detail


def _miss(row: Any, shop: ShopInfo, metric: str, reason: tuple[str, str]) -> Miss:
    return Miss(
        platform=shop.platform,
        shop=shop.shop,
        order_no=row.order_no,
        metric=metric,
        reason=reason[0],
        carrier=row.carrier,
        skus=_skus(row.skus),
        warehouse=row.warehouse or str(shop.settings.get("warehouse", "")),
        pay_hour=row.pay_hour,
        detail=reason[1],
        province=row.province,
    )
