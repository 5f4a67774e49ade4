"""Finding orders: one SQL statement (SQLAlchemy Core) for lists and exports.

The filtered orders are picked first (a CTE using the orders indexes, limited when a limit is given); lines
and parcels are then aggregated only for those orders by grouped subqueries, never per row. An order shows
every parcel it travels in (拆单), and a parcel carrying several orders (合并发货) shows on each of them.
Stored times are naive UTC; date filters are local days, in the shop's timezone unless one is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    CTE,
    ColumnElement,
    Connection,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    cast,
    false,
    func,
    or_,
    select,
    union,
)

from lanshou.customers.masking import mask_address, mask_email, mask_name, mask_phone
from lanshou.db.driver_reads import fetch_all
from lanshou.orders import tables as ot
from lanshou.orders.search import search_ids
from lanshou.platforms.values import zone
from lanshou.shops import tables as st
from lanshou.shops.store import name_param, named_by
from lanshou.tracking.queries import order_parcels

STREAM_BATCH = 1000
FIELD, RECORD = "\x1f", "\x1e"  # ASCII unit and record separators: they never occur in carrier names


@dataclass(frozen=True)
class OrderFilter:
    """What to look for. Empty fields do not filter. `timezone` overrides the shops' own for the dates."""

    shop: str | None = None
    platform: str | None = None
    statuses: tuple[str, ...] = ()
    paid_from: date | None = None  # inclusive local day
    paid_to: date | None = None  # inclusive local day
    order_no: str | None = None
    buyer: str | None = None  # substring of the receiver's name or phone
    timezone: str | None = None
    shop_ids: tuple[int, ...] | None = None  # only these shops (a user's grants); None: every shop
    before_id: int | None = None  # keyset paging: orders stored before this row id (newest first)
    search: str | None = None  # one search box: an order number or its start, a tracking number, a SKU …
    search_receivers: bool = False  # … and the receiver's phone or name (roles that may see buyer data)


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One order as listed: its shop, receiver, a summary of its lines and all its parcels."""

    order_no: str
    platform: str
    shop: str
    shop_timezone: str
    status: str
    created_at: datetime
    paid_at: datetime | None
    receiver_name: str
    receiver_phone: str
    province: str
    city: str
    district: str
    address: str
    buyer_message: str
    order_amount: Decimal | None
    line_count: int
    quantity: int
    skus: str
    titles: str
    carrier: str  # each parcel's carrier, in the order of `tracking_no`, joined by ", "
    tracking_no: str  # every tracking number of the order, in the order they were first stored, by ", "
    parcels: tuple[tuple[str, str], ...] = ()  # (carrier, tracking number) of each parcel, in that order
    row_id: int = 0  # the stored row's id: newest first, the key to page by (OrderFilter.before_id)
    buyer_email: str = ""


# the order columns every listing and export shows, read from the orders table or from a subquery of it
DETAIL_COLUMNS = (
    "status", "created_at", "paid_at", "receiver_name", "receiver_phone", "province", "city", "district",
    "address", "buyer_message", "order_amount", "buyer_email",
)  # fmt: skip


def local_day_bounds(first: date | None, last: date | None, timezone: str) -> tuple[datetime, datetime]:
    """[first 00:00, last+1 00:00) local -> naive UTC. Open ends become far bounds."""
    tz = zone(timezone)

    def utc(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)

    low = utc(first) if first else datetime(1, 1, 2)
    high = utc(last + timedelta(days=1)) if last else datetime(9999, 12, 30)
    return low, high


def query_orders(
    conn: Connection, flt: OrderFilter, limit: int | None = None, offset: int = 0
) -> Iterator[OrderRow]:
    """Matching orders, newest imported first, streamed in batches."""
    stmt = build_query(conn, flt, limit, offset)
    result = conn.execution_options(yield_per=STREAM_BATCH).execute(stmt)
    yield from _rows(result)


def line_skus(conn: Connection, shop_ids: Sequence[int]) -> list[tuple[int, str]]:
    """Every (shop id, SKU) the shops' order lines carry, once each: what each shop sells.

    A shop's lines are many and its SKUs few: its distinct SKUs are walked on the (shop_id, sku) index, one
    seek each, instead of reading its lines (3,000,000 lines, SQLite: 3.4 s -> 33 ms). The cost is the
    shop's own SKUs, whatever other shops sell."""
    found: list[tuple[int, str]] = []
    for shop_id in dict.fromkeys(shop_ids):
        rows = conn.execute(SKUS_OF_SHOP, {"shop": shop_id}).scalars()
        found += [(int(shop_id), str(sku)) for sku in rows]
    return found


def _skus_of_shop() -> Select[tuple[str]]:
    """The distinct SKUs of one shop's order lines (parameter `shop`), each found by seeking the next one
    on the (shop_id, sku) index: a recursive "loose index scan", which neither database does on its own."""
    line = ot.order_lines.c
    shop = bindparam("shop", type_=Integer)
    first = select(func.min(line.sku).label("sku")).where(line.shop_id == shop).cte("skus", recursive=True)
    following = select(func.min(line.sku)).where(line.shop_id == shop, line.sku > first.c.sku)
    skus = first.union_all(select(following.scalar_subquery()).where(first.c.sku.is_not(None)))
    return select(skus.c.sku).where(skus.c.sku.is_not(None))


SKUS_OF_SHOP = _skus_of_shop()


def find_order(conn: Connection, order_no: str, shop_ids: Sequence[int], limit: int = 10) -> list[OrderRow]:
    """The orders numbered `order_no` in these shops (one per shop at most): the hot path of an ERP polling
    one order, so its statement is built once, with bound parameters (building the CTEs anew costs ~10x
    running them)."""
    if not shop_ids:
        return []
    params = {"shop_ids": list(shop_ids), "order_no": order_no.strip(), "limit": limit}
    return list(_rows(fetch_all(conn, _one_order_statement(conn.dialect.name), params)))


def find_order_among(
    conn: Connection,
    order_no: str,
    shops: Select[Any],
    params: Mapping[str, Any],
    shop: str | None = None,
    limit: int = 10,
) -> list[OrderRow]:
    """`find_order` among the shops a statement selects (their ids; run as a subquery with `params`, so a
    caller's shops and the order are one round trip), narrowed to the shop `shop` names ("旗舰店" or
    "tmall/旗舰店", as `accounts.model.pick_shops` reads it) when it names one. `shops` must be built once
    (cached): its compiled form is kept per object."""
    values = {**params, "order_no": order_no.strip(), "shop": name_param(shop), "limit": limit}
    return list(_rows(fetch_all(conn, _one_order_among_statement(shops), values)))


@cache
def _one_order_among_statement(shops: Select[Any]) -> Select[Any]:
    o = ot.orders.c
    wanted = [
        o.shop_id.in_(shops.scalar_subquery()),
        o.order_no == bindparam("order_no"),
        named_by(bindparam("shop", type_=String())),
    ]
    return _detailed(_picked_where(wanted).limit(bindparam("limit")).cte("picked"))


def _rows(result: Iterable[Any]) -> Iterator[OrderRow]:
    for row in result:
        values = row._asdict()  # a SQLAlchemy Row or a named tuple (lanshou.db.driver_reads)
        parcels = _parcels(values.pop("parcels"))
        yield OrderRow(
            **values,
            carrier=", ".join(carrier for carrier, _ in parcels),
            tracking_no=", ".join(number for _, number in parcels),
            parcels=parcels,
        )


def _parcels(summary: str | None) -> tuple[tuple[str, str], ...]:
    """The aggregated "id, carrier, tracking number" records, sorted by id (no SQL aggregate keeps order
    on every supported SQLite)."""
    records = [record.split(FIELD) for record in (summary or "").split(RECORD) if record]
    return tuple((carrier, number) for _, carrier, number in sorted(records, key=lambda r: int(r[0])))


def build_query(conn: Connection, flt: OrderFilter, limit: int | None = None, offset: int = 0) -> Select[Any]:
    return _detailed(_picked(conn, flt, limit, offset))


@cache
def _one_order_statement(dialect: str) -> Select[Any]:
    o = ot.orders.c
    if dialect == "postgresql":  # one array parameter: the statement's text is the same for any shops
        in_shops = o.shop_id == any_(bindparam("shop_ids", type_=ARRAY(Integer)))
    else:
        in_shops = o.shop_id.in_(bindparam("shop_ids", expanding=True))
    wanted = [in_shops, o.order_no == bindparam("order_no")]
    return _detailed(_picked_where(wanted).limit(bindparam("limit")).cte("picked"))


def _detailed(picked: CTE) -> Select[Any]:
    """The picked orders as OrderRow columns: their lines summarised, their parcels listed."""
    lines = _line_summary(picked)
    parcels = _parcel_summary(picked)
    o = picked.c
    return (
        select(
            o.id.label("row_id"),
            o.order_no,
            o.platform,
            o.shop,
            o.shop_timezone,
            *(o[name] for name in DETAIL_COLUMNS),
            func.coalesce(lines.c.line_count, 0).label("line_count"),
            func.coalesce(lines.c.quantity, 0).label("quantity"),
            func.coalesce(lines.c.skus, "").label("skus"),
            func.coalesce(lines.c.titles, "").label("titles"),
            parcels.c.parcels,
        )
        .select_from(picked)
        .outerjoin(lines, and_(lines.c.shop_id == o.shop_id, lines.c.order_no == o.order_no))
        .outerjoin(parcels, and_(parcels.c.shop_id == o.shop_id, parcels.c.order_no == o.order_no))
        .order_by(o.id.desc())
    )


def _picked(conn: Connection, flt: OrderFilter, limit: int | None, offset: int) -> CTE:
    conditions = _conditions(conn, flt)
    if flt.search and flt.search.strip():
        wanted = None if limit is None else limit + offset
        conditions.append(ot.orders.c.id.in_(_searched(flt, conditions, wanted)))
    stmt = _picked_where(conditions).offset(offset or None)
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt.cte("picked")


def _searched(flt: OrderFilter, conditions: Sequence[ColumnElement[bool]], limit: int | None) -> Any:
    """The ids each kind of search finds (lanshou.orders.search) under the other filters, each kind's newest
    `limit` at most: the newest `limit` of their union are among them."""
    o = ot.orders.c
    pages = []
    for found in search_ids(flt.search or "", flt.search_receivers):
        stmt = found.join(st.shops, st.shops.c.id == o.shop_id).where(*conditions).order_by(o.id.desc())
        pages.append(select(stmt.limit(limit).subquery().c.id))
    return union(*pages)


def _picked_where(conditions: Sequence[ColumnElement[bool]]) -> Select[Any]:
    o, sh = ot.orders.c, st.shops.c
    return (
        select(
            o.id,
            o.shop_id,
            o.order_no,
            sh.platform,
            sh.name.label("shop"),
            sh.timezone.label("shop_timezone"),
            *(o[name] for name in DETAIL_COLUMNS),
        )
        .join(st.shops, sh.id == o.shop_id)
        .where(*conditions)
        .order_by(o.id.desc())
    )


def _conditions(conn: Connection, flt: OrderFilter) -> list[ColumnElement[bool]]:
    o, sh = ot.orders.c, st.shops.c
    found: list[ColumnElement[bool]] = []
    if flt.shop_ids is not None:
        found.append(_in_shops(conn, o.shop_id, flt.shop_ids))
    if flt.before_id is not None:
        found.append(o.id < flt.before_id)
    if flt.shop:
        found.append(sh.name == flt.shop)
    if flt.platform:
        found.append(sh.platform == flt.platform.strip().lower())
    if flt.statuses:
        found.append(o.status.in_(flt.statuses))
    if flt.order_no:
        # the unique index is (shop_id, order_no): naming the shops lets it serve a search by number alone
        found += [o.order_no == flt.order_no.strip(), o.shop_id.in_(select(st.shops.c.id).scalar_subquery())]
    if flt.buyer and flt.buyer.strip():
        text = flt.buyer.strip()
        found.append(
            or_(
                o.receiver_name.icontains(text, autoescape=True),
                o.receiver_phone.contains(text, autoescape=True),
            )
        )
    if flt.paid_from or flt.paid_to:
        found.append(_paid_between(conn, flt))
    return found


def _in_shops(conn: Connection, shop_id: Any, shop_ids: Sequence[int]) -> ColumnElement[bool]:
    """`shop_id IN (...)`; on SQLite as `shop_id + 0`, which keeps its planner off the (shop_id, order_no)
    index: that index made it collect and sort every order of the shops before taking a page (3 s on 200k
    orders) instead of walking the ids newest first and stopping after one page. A search by order number
    still uses the index (see `order_no` above). PostgreSQL chooses by its statistics."""
    column = shop_id + 0 if conn.dialect.name == "sqlite" else shop_id
    return column.in_(list(shop_ids))


def _paid_between(conn: Connection, flt: OrderFilter) -> ColumnElement[bool]:
    """Local days -> UTC ranges: one range, or one per shop timezone (looked up once, not per order)."""
    paid = ot.orders.c.paid_at
    if flt.timezone:
        low, high = local_day_bounds(flt.paid_from, flt.paid_to, flt.timezone)
        return and_(paid >= low, paid < high)
    shops_by_zone: dict[str, list[int]] = {}
    for shop_id, timezone in conn.execute(select(st.shops.c.id, st.shops.c.timezone)):
        shops_by_zone.setdefault(timezone, []).append(shop_id)
    ranges = []
    for timezone, shop_ids in shops_by_zone.items():
        low, high = local_day_bounds(flt.paid_from, flt.paid_to, timezone)
        ranges.append(and_(ot.orders.c.shop_id.in_(shop_ids), paid >= low, paid < high))
    return or_(false(), *ranges)


def _line_summary(picked: CTE) -> Any:
    ln = ot.order_lines.c
    item = ln.sku + "×" + cast(ln.quantity, String)
    return (
        select(
            picked.c.shop_id,
            picked.c.order_no,
            func.count().label("line_count"),
            cast(func.sum(ln.quantity), Integer).label("quantity"),
            func.aggregate_strings(item, ", ").label("skus"),
            func.aggregate_strings(ln.title, " | ").label("titles"),
        )
        .select_from(picked)  # driven by the picked orders, each probing the (shop_id, order_no, …) index
        .join(ot.order_lines, and_(ln.shop_id == picked.c.shop_id, ln.order_no == picked.c.order_no))
        .group_by(picked.c.shop_id, picked.c.order_no)
        .subquery("lines")
    )


def _parcel_summary(picked: CTE) -> Any:
    """Every parcel of each picked order as one text of "id, carrier, tracking number" records."""
    p = order_parcels().subquery("order_parcels")
    record = cast(p.c.parcel_id, String) + FIELD + p.c.carrier + FIELD + p.c.tracking_no
    return (
        select(picked.c.shop_id, picked.c.order_no, func.aggregate_strings(record, RECORD).label("parcels"))
        .select_from(picked)
        .join(p, and_(p.c.shop_id == picked.c.shop_id, p.c.order_no == picked.c.order_no))
        .group_by(picked.c.shop_id, picked.c.order_no)
        .subquery("parcels")
    )


# ---------------------------------------------------------------------------------------------------------
# Presentation shared by the terminal table and the exports.

EXPORT_HEADERS: tuple[str, ...] = (
    "订单号 Order",
    "平台 Platform",
    "店铺 Shop",
    "状态 Status",
    "下单时间 Created",
    "付款时间 Paid",
    "时区 Timezone",
    "收件人 Receiver",
    "电话 Phone",
    "邮箱 Email",
    "省 Province",
    "市 City",
    "区 District",
    "地址 Address",
    "买家留言 Buyer message",
    "金额 Amount",
    "行数 Lines",
    "件数 Quantity",
    "SKU",
    "商品 Titles",
    "快递 Carrier",
    "运单号 Tracking",
)


def to_local(moment: datetime | None, timezone: str) -> datetime | None:
    """Naive UTC (as stored), or an aware time (as an area's JSON gives it) -> naive local time in
    `timezone`."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone(timezone)).replace(tzinfo=None)


def email_of(row: OrderRow, unmask: bool) -> str:
    """The buyer's e-mail, masked (z***@example.com) unless asked otherwise."""
    return row.buyer_email if unmask else mask_email(row.buyer_email)


def receiver(row: OrderRow, unmask: bool) -> tuple[str, str, str]:
    """(name, phone, address), masked unless asked otherwise."""
    if unmask:
        return row.receiver_name, row.receiver_phone, row.address
    return mask_name(row.receiver_name), mask_phone(row.receiver_phone), mask_address(row.address)


def export_rows(
    conn: Connection, flt: OrderFilter, unmask: bool = False, limit: int | None = None
) -> Iterator[Sequence[Any]]:
    """The matching orders as export rows (EXPORT_HEADERS), streamed: receivers masked unless asked; times in
    `flt.timezone`, else each shop's own."""
    return (export_cells(row, unmask, flt.timezone) for row in query_orders(conn, flt, limit))


def export_cells(row: OrderRow, unmask: bool = False, timezone: str | None = None) -> Sequence[Any]:
    """The export row matching EXPORT_HEADERS; times are local (the shop's zone unless one is given)."""
    tz = timezone or row.shop_timezone
    name, phone, address = receiver(row, unmask)
    return (
        row.order_no,
        row.platform,
        row.shop,
        row.status,
        to_local(row.created_at, tz),
        to_local(row.paid_at, tz),
        tz,
        name,
        phone,
        email_of(row, unmask),
        row.province,
        row.city,
        row.district,
        address,
        row.buyer_message,
        row.order_amount,
        row.line_count,
        row.quantity,
        row.skus,
        row.titles,
        row.carrier,
        row.tracking_no,
    )
