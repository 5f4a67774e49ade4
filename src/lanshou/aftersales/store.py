"""Reading and writing after-sales cases and their history (SQLAlchemy Core, batched)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, and_, func, or_, select

from lanshou.aftersales.states import FINAL, CaseStatus, CaseType
from lanshou.aftersales.tables import aftersale_cases, aftersale_history
from lanshou.db.bulk import insert_rows, upsert
from lanshou.db.keyset import TRACKING_NO, keyset
from lanshou.db.paging import MOMENT_CURSOR, Moment
from lanshou.orders.keys import OrderKey, by_shop


@dataclass(slots=True)
class Case:
    """One case as stored; the use cases change a copy and write it back whole."""

    shop_id: int
    case_no: str
    order_no: str
    case_type: CaseType
    reason_code: str
    reason: str
    status: CaseStatus
    raw_status: str
    amount: Decimal
    sku: str
    quantity: int
    return_carrier: str
    return_tracking_no: str
    return_shipping_payer: str
    disposition: str
    outbound_order_no: str
    requested_at: datetime
    updated_at: datetime

    @property
    def order_key(self) -> OrderKey:
        return (self.shop_id, self.order_no)


CASE_COLUMNS = tuple(f.name for f in fields(Case))
HISTORY_COLUMNS = ("shop_id", "case_no", "at", "actor", "action", "from_status", "to_status", "detail")


def _case(row: Sequence[object]) -> Case:
    case = Case(*row)  # type: ignore[arg-type]
    case.case_type, case.status = CaseType(case.case_type), CaseStatus(case.status)
    case.amount = Decimal(case.amount).quantize(Decimal("0.01"))
    return case


def _columns() -> list[Any]:
    return [aftersale_cases.c[name] for name in CASE_COLUMNS]


def cases_of_orders(
    conn: Connection, keys: Iterable[OrderKey], lock: bool = False
) -> dict[OrderKey, list[Case]]:
    """Every case of these orders, oldest first; `lock` holds them (PostgreSQL) until the commit."""
    c = aftersale_cases.c
    found: dict[OrderKey, list[Case]] = {}
    for shop_id, numbers in by_shop(sorted(set(keys))):
        query = select(*_columns()).where(c.shop_id == shop_id, c.order_no.in_(numbers)).order_by(c.id)
        if lock and conn.dialect.name == "postgresql":
            query = query.with_for_update()
        for row in conn.execute(query):
            case = _case(row)
            found.setdefault(case.order_key, []).append(case)
    return found


def find_cases(conn: Connection, case_no: str, shop_ids: Sequence[int] | None = None) -> list[Case]:
    c = aftersale_cases.c
    query = select(*_columns()).where(c.case_no == case_no).order_by(c.shop_id)
    if shop_ids is not None:
        query = query.where(c.shop_id.in_(shop_ids))
    return [_case(row) for row in conn.execute(query)]


@dataclass(frozen=True)
class CaseFilter:
    shop_ids: tuple[int, ...] | None = None
    statuses: tuple[str, ...] = ()
    order_no: str | None = None
    open_only: bool = False
    case_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class CasePosition:
    """Where a page of the list ends: the last case's request time and row id, the list's own order (a
    page never skips or repeats a case when newer ones arrive, as an offset would)."""

    requested_at: datetime
    id: int

    def as_cursor(self) -> dict[str, Any]:
        return {"at": self.requested_at.isoformat(), "id": self.id}

    @classmethod
    def from_cursor(cls, value: dict[str, Any]) -> CasePosition | None:
        """The position a decoded cursor holds; None when it is not one (lanshou.db.paging.Moment)."""
        found = Moment.from_cursor(value)
        return None if found is None else cls(found.at, found.id)


CASE_CURSOR = MOMENT_CURSOR


def list_cases(conn: Connection, flt: CaseFilter, limit: int | None = None) -> list[Case]:
    """Matching cases, newest first."""
    return [case for _, case in list_case_page(conn, flt, limit)]


def list_case_page(
    conn: Connection, flt: CaseFilter, limit: int | None = None, after: CasePosition | None = None
) -> list[tuple[CasePosition, Case]]:
    """Matching cases newest first, each with its position; `after`: only those that follow it."""
    c = aftersale_cases.c
    query = select(c.id, *_columns()).order_by(c.requested_at.desc(), c.id.desc())
    if flt.shop_ids is not None:
        query = query.where(c.shop_id.in_(flt.shop_ids))
    if flt.statuses:
        query = query.where(c.status.in_(flt.statuses))
    if flt.case_types:
        query = query.where(c.case_type.in_(flt.case_types))
    if flt.order_no:
        query = query.where(c.order_no == flt.order_no)
    if flt.open_only:
        query = query.where(c.status.not_in([s.value for s in FINAL]))
    if after is not None:
        at = after.requested_at
        query = query.where(or_(c.requested_at < at, and_(c.requested_at == at, c.id < after.id)))
    if limit is not None:
        query = query.limit(limit)
    found = []
    for row in conn.execute(query):
        case = _case(row[1:])
        found.append((CasePosition(case.requested_at, row[0]), case))
    return found


def cases_sending(conn: Connection, outbound: Iterable[OrderKey]) -> list[Case]:
    """The cases whose replacement or reshipment goes out as these outbound orders (exchanges, reships)."""
    c = aftersale_cases.c
    found: list[Case] = []
    for shop_id, numbers in by_shop(sorted(set(outbound))):
        query = select(*_columns()).where(c.shop_id == shop_id, c.outbound_order_no.in_(numbers))
        found += [_case(row) for row in conn.execute(query.order_by(c.id))]
    return found


# a case waits for its goods to come back until they are received: until then its parcel is followed
AWAITING_RETURN = (CaseStatus.WAITING_RETURN.value, CaseStatus.RETURNED.value)


def cases_returning(conn: Connection, tracking_no: str) -> list[OrderKey]:
    """The orders of the unfinished cases whose goods come back in this parcel."""
    c = aftersale_cases.c
    query = select(c.shop_id, c.order_no).where(
        c.return_tracking_no == tracking_no, c.status.in_(AWAITING_RETURN)
    )
    return [(row.shop_id, row.order_no) for row in conn.execute(query)]


def awaited_return_parcels() -> Select[str, str, datetime]:
    """(tracking_no, carrier, since) of the return parcels still awaited, for the tracking poller and
    subscriber (lanshou.tracking.followed); `since` is the case's last step. A number without a carrier is
    left out: Kuaidi100 is asked about a company's number, never a bare one."""
    c = aftersale_cases.c
    return select(
        c.return_tracking_no.label("tracking_no"),
        c.return_carrier.label("carrier"),
        c.updated_at.label("since"),
    ).where(c.status.in_(AWAITING_RETURN), c.return_tracking_no != "", c.return_carrier != "")


def return_parcel_shops(conn: Connection, tracking_no: str) -> set[int]:
    """The shops with a case whose goods come back, or came back, in this parcel."""
    if not tracking_no:
        return set()  # "" is every case without a return parcel
    c = aftersale_cases.c
    query = select(c.shop_id).where(c.return_tracking_no == tracking_no).distinct()
    return set(conn.execute(query).scalars())


def parcels_returning(conn: Connection, tracking_nos: Iterable[str]) -> set[str]:
    """Which of these parcels bring back goods of an unfinished case (one look-up for a whole batch)."""
    c = aftersale_cases.c
    k = keyset(conn, ((number,) for number in tracking_nos), TRACKING_NO)
    query = (
        select(c.return_tracking_no)
        .select_from(aftersale_cases.join(k, c.return_tracking_no == k.c.tracking_no))
        .where(c.status.in_(AWAITING_RETURN))
    )
    return set(conn.execute(query).scalars())


def history_of(conn: Connection, shop_id: int, case_no: str) -> list[dict[str, object]]:
    h = aftersale_history.c
    query = (
        select(h.at, h.actor, h.action, h.from_status, h.to_status, h.detail)
        .where(h.shop_id == shop_id, h.case_no == case_no)
        .order_by(h.at, h.id)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def save_cases(conn: Connection, cases: Sequence[Case]) -> None:
    rows = [astuple(case) for case in cases]
    rows = [(*row[:3], str(row[3]), *row[4:6], str(row[6]), *row[7:]) for row in rows]
    upsert(conn, aftersale_cases, rows, CASE_COLUMNS[:2], CASE_COLUMNS[2:], CASE_COLUMNS)


def save_history(conn: Connection, rows: Sequence[tuple[object, ...]]) -> None:
    insert_rows(conn, aftersale_history, rows, HISTORY_COLUMNS)


def refunds_by_order(conn: Connection, keys: Iterable[OrderKey]) -> dict[OrderKey, tuple[int, Decimal]]:
    """How many refunds each order got and how much they came to (cases that reached 退款成功)."""
    c = aftersale_cases.c
    found: dict[OrderKey, tuple[int, Decimal]] = {}
    for shop_id, numbers in by_shop(sorted(set(keys))):
        query = (
            select(c.order_no, func.count(), func.coalesce(func.sum(c.amount), 0))
            .where(c.shop_id == shop_id, c.order_no.in_(numbers), c.status == CaseStatus.REFUNDED.value)
            .group_by(c.order_no)
        )
        for order_no, count, amount in conn.execute(query):
            found[(shop_id, order_no)] = (int(count), Decimal(amount).quantize(Decimal("0.01")))
    return found
