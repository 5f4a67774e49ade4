"""The waybill number pool in the database: a `NumberPool` (see waybills.py) bound to one connection.

Claiming is one conditional UPDATE per batch: `… SET status = 'used' WHERE id IN (the oldest available
ids, FOR UPDATE SKIP LOCKED on PostgreSQL) AND status = 'available' RETURNING …`. Two processes claiming at
once skip each other's locked rows instead of waiting, and the `status = 'available'` condition makes a
number handed out twice impossible whatever the isolation level. On SQLite the write transaction is
exclusive (BEGIN IMMEDIATE), so the same statement is safe there too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, func, select, update

from lanshou.db.bulk import insert_new
from lanshou.orders.keys import CHUNK
from lanshou.shipping.tables import waybill_numbers

AVAILABLE, USED, CANCELLED = "available", "used", "cancelled"
STATUSES = (AVAILABLE, USED, CANCELLED)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class DbNumberPool:
    """The pool's numbers in `waybill_numbers`, read and written on the caller's connection (and
    transaction): a claim commits or rolls back with the shipment that took the number."""

    def __init__(self, conn: Connection, source: str = "") -> None:
        self.conn = conn
        self.source = source

    def add(self, carrier: str, numbers: Sequence[str]) -> list[str]:
        """Load numbers; returns those already in the pool (for this carrier), which are left as they are."""
        fresh = list(dict.fromkeys(numbers))
        known = self._known(carrier, fresh)
        now = utc_now()
        rows = [
            {
                "carrier": carrier,
                "tracking_no": n,
                "status": AVAILABLE,
                "source": self.source,
                "loaded_at": now,
            }
            for n in fresh
            if n not in known
        ]
        insert_new(self.conn, waybill_numbers, rows, ["carrier", "tracking_no"])
        return [n for n in numbers if n in known]

    def _known(self, carrier: str, numbers: Sequence[str]) -> set[str]:
        t = waybill_numbers.c
        found: set[str] = set()
        for start in range(0, len(numbers), CHUNK):
            query = select(t.tracking_no).where(
                t.carrier == carrier, t.tracking_no.in_(numbers[start : start + CHUNK])
            )
            found.update(self.conn.execute(query).scalars())
        return found

    def held(self, carrier: str, holders: Sequence[str]) -> dict[str, str]:
        """The used number each holder already has."""
        t = waybill_numbers.c
        found: dict[str, str] = {}
        for start in range(0, len(holders), CHUNK):
            query = select(t.holder, t.tracking_no).where(
                t.carrier == carrier, t.status == USED, t.holder.in_(holders[start : start + CHUNK])
            )
            found.update({holder: number for holder, number in self.conn.execute(query)})
        return found

    def claim(self, carrier: str, object_ids: Sequence[str]) -> dict[str, str]:
        """A free number for each object id (oldest loaded first); an id holding one gets it again. Ids
        left out of the answer: the pool ran dry."""
        wanted = list(dict.fromkeys(object_ids))
        given = self.held(carrier, wanted)
        need = [object_id for object_id in wanted if object_id not in given]
        if not need:
            return given
        t = waybill_numbers
        free = waybill_numbers.alias("free")
        # A CTE is evaluated once: as an IN (subquery) PostgreSQL may run the LIMIT again per row
        picked = (
            select(free.c.id)
            .where(free.c.carrier == carrier, free.c.status == AVAILABLE)
            .order_by(free.c.id)
            .limit(len(need))
            .with_for_update(skip_locked=True)
            .cte("picked")
        )
        now = utc_now()
        returned = self.conn.execute(
            update(t)
            .where(t.c.id == picked.c.id, t.c.status == AVAILABLE)
            .values(status=USED, changed_at=now)
            .returning(t.c.id, t.c.tracking_no)
        ).all()
        taken = sorted(
            (row.id, row.tracking_no) for row in returned
        )  # RETURNING gives no order; the oldest number goes to the first shipment
        assert len(taken) <= len(need)
        pairs = list(zip(need, taken, strict=False))
        if pairs:
            self.conn.execute(
                update(t).where(t.c.id == bindparam("number_id")).values(holder=bindparam("new_holder")),
                [{"number_id": number_id, "new_holder": holder} for holder, (number_id, _) in pairs],
            )
        given.update({holder: number for holder, (_, number) in pairs})
        return given

    def release(self, carrier: str, waybill_no: str) -> bool:
        """Give back a number this transaction took but will not use (another process already holds a
        waybill for the shipment): no label was drawn with it, so it is available again."""
        t = waybill_numbers.c
        result = self.conn.execute(
            update(waybill_numbers)
            .where(t.carrier == carrier, t.tracking_no == waybill_no, t.status == USED)
            .values(status=AVAILABLE, holder=None, changed_at=utc_now())
        )
        return result.rowcount == 1

    def void(self, carrier: str, waybill_no: str) -> bool:
        """Retire an issued number for good (its label may exist)."""
        t = waybill_numbers.c
        result = self.conn.execute(
            update(waybill_numbers)
            .where(t.carrier == carrier, t.tracking_no == waybill_no, t.status == USED)
            .values(status=CANCELLED, changed_at=utc_now())
        )
        return result.rowcount == 1

    def cancel_unused(self, carrier: str, waybill_no: str) -> bool:
        """Retire a number nobody took (a number the carrier withdrew, a misprint)."""
        t = waybill_numbers.c
        result = self.conn.execute(
            update(waybill_numbers)
            .where(t.carrier == carrier, t.tracking_no == waybill_no, t.status == AVAILABLE)
            .values(status=CANCELLED, changed_at=utc_now())
        )
        return result.rowcount == 1

    def is_issued(self, carrier: str, waybill_no: str) -> bool:
        return self.status_of(carrier, waybill_no) == USED

    def status_of(self, carrier: str, waybill_no: str) -> str | None:
        t = waybill_numbers.c
        query = select(t.status).where(t.carrier == carrier, t.tracking_no == waybill_no)
        return self.conn.execute(query).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class PoolCount:
    carrier: str
    available: int
    used: int
    cancelled: int

    def as_json(self) -> dict[str, object]:
        return {
            "carrier": self.carrier,
            "available": self.available,
            "used": self.used,
            "cancelled": self.cancelled,
        }


def pool_counts(conn: Connection, carrier: str | None = None) -> list[PoolCount]:
    t = waybill_numbers.c
    query = select(t.carrier, t.status, func.count()).group_by(t.carrier, t.status).order_by(t.carrier)
    if carrier:
        query = query.where(t.carrier == carrier)
    counts: dict[str, dict[str, int]] = {}
    for code, status, n in conn.execute(query):
        counts.setdefault(code, dict.fromkeys(STATUSES, 0))[status] = n
    return [PoolCount(code, c[AVAILABLE], c[USED], c[CANCELLED]) for code, c in counts.items()]


@dataclass(frozen=True, slots=True)
class PoolNumber:
    carrier: str
    tracking_no: str
    status: str
    holder: str
    loaded_at: datetime
    changed_at: datetime | None

    def as_json(self) -> dict[str, object]:
        return {
            "carrier": self.carrier,
            "tracking_no": self.tracking_no,
            "status": self.status,
            "holder": self.holder,
            "loaded_at": self.loaded_at.isoformat(),
            "changed_at": self.changed_at.isoformat() if self.changed_at else None,
        }


def pool_numbers(
    conn: Connection, carrier: str | None = None, status: str | None = None, limit: int = 100
) -> list[PoolNumber]:
    t = waybill_numbers.c
    query = select(t.carrier, t.tracking_no, t.status, t.holder, t.loaded_at, t.changed_at)
    if carrier:
        query = query.where(t.carrier == carrier)
    if status:
        query = query.where(t.status == status)
    rows = conn.execute(query.order_by(t.carrier, t.id).limit(limit))
    return [
        PoolNumber(r.carrier, r.tracking_no, r.status, r.holder or "", r.loaded_at, r.changed_at)
        for r in rows
    ]
