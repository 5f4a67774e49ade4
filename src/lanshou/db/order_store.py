"""Persist imported orders in batches: compare with what is stored, write only what changed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, select

from lanshou.config import DEFAULT_TIMEZONE
from lanshou.db import schema as s
from lanshou.db.bulk import insert_rows, upsert
from lanshou.db.keys import by_shop
from lanshou.orders.records import OrderRecord, RowError
from lanshou.orders.status import OrderStatus, can_transition

ORDER_FIELDS = (
    "status",
    "created_at",
    "paid_at",
    "is_presale",
    "promised_ship_by",
    "buyer_key",
    "receiver_name",
    "receiver_phone",
    "province",
    "city",
    "district",
    "address",
    "buyer_message",
    "order_amount",
    "buyer_data_masked",
)


@dataclass
class BatchResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    lines: int = 0
    rejected: list[RowError] = field(default_factory=list)


class ShopDirectory:
    """Shop ids by (platform, name), created on first sight."""

    def __init__(self, conn: Connection) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self.timezones: dict[tuple[str, str], str] = {}
        for row in conn.execute(select(s.shops.c.id, s.shops.c.platform, s.shops.c.name, s.shops.c.timezone)):
            self.ids[(row.platform, row.name)] = row.id
            self.timezones[(row.platform, row.name)] = row.timezone

    def ensure(self, conn: Connection, platform: str, name: str, timezone: str | None = None) -> int:
        key = (platform, name)
        if key not in self.ids:
            tz = timezone or DEFAULT_TIMEZONE
            upsert(
                conn, s.shops, [{"platform": platform, "name": name, "timezone": tz}], ["platform", "name"]
            )
            shop_id = conn.execute(
                select(s.shops.c.id).where(s.shops.c.platform == platform, s.shops.c.name == name)
            ).scalar_one()
            self.ids[key] = shop_id
            self.timezones[key] = tz
        return self.ids[key]


def merge_records(records: Iterable[OrderRecord]) -> list[OrderRecord]:
    """Rows of one order (one per line in most exports) -> one record; the last order-level values win."""
    merged: dict[tuple[str, str, str], OrderRecord] = {}
    for record in records:
        seen = merged.get(record.key)
        if seen is None:
            merged[record.key] = record
            continue
        for line in record.lines:
            seen.add_line(line)
        for parcel in record.parcels:
            seen.add_parcel(parcel)
        if record.status != seen.status and can_transition(seen.status, record.status):
            seen.status = record.status
    return list(merged.values())


def _order_row(record: OrderRecord, shop_id: int) -> dict[str, Any]:
    return {
        "shop_id": shop_id,
        "order_no": record.order_no,
        "status": record.status.value,
        "created_at": record.created_at,
        "paid_at": record.paid_at,
        "is_presale": record.is_presale,
        "promised_ship_by": record.promised_ship_by,
        "buyer_key": buyer_key(record),
        "receiver_name": record.buyer_name,
        "receiver_phone": record.buyer_phone,
        "province": record.province,
        "city": record.city,
        "district": record.district,
        "address": record.address,
        "buyer_message": record.buyer_message,
        "order_amount": record.order_amount,
        "buyer_data_masked": record.buyer_data_masked,
    }


def buyer_key(record: OrderRecord) -> str:
    if record.buyer_id:
        return record.buyer_id
    if record.buyer_phone and not record.buyer_data_masked:
        return "phone:" + record.buyer_phone
    return ""


def _changed(old: Any, new: dict[str, Any]) -> bool:
    for name in ORDER_FIELDS:
        before, after = getattr(old, name), new[name]
        if name == "order_amount" and before is not None and after is not None:
            if before.compare(after) != 0:
                return True
        elif before != after:
            return True
    return False


def _keep_stored(old: Any, row: dict[str, Any]) -> dict[str, Any]:
    """A lines-only record (e.g. Taobao 宝贝报表) on a stored order must not blank what another file brought:
    keep every stored field, take the status only as a legal forward change, the pay time only if none."""
    kept = {name: getattr(old, name) for name in ORDER_FIELDS}
    if can_transition(OrderStatus(old.status), OrderStatus(row["status"])):
        kept["status"] = row["status"]
    if kept["paid_at"] is None:
        kept["paid_at"] = row["paid_at"]
    return {**row, **kept}


class OrderStore:
    def __init__(self, conn: Connection, shops: ShopDirectory | None = None) -> None:
        self.conn = conn
        self.shops = shops or ShopDirectory(conn)

    def save(self, records: Sequence[OrderRecord], source: str = "") -> BatchResult:
        result = BatchResult()
        orders = merge_records(records)
        keyed = [(self.shops.ensure(self.conn, r.platform, r.shop), r) for r in orders]
        existing = self._existing([(shop_id, r.order_no) for shop_id, r in keyed])
        now = datetime.now(UTC).replace(tzinfo=None)
        new_rows, changed_rows, events, lines, parcels, buyers = [], [], [], [], [], []
        for shop_id, record in keyed:
            row = _order_row(record, shop_id)
            row["updated_at"] = now
            old = existing.get((shop_id, record.order_no))
            unchanged = False
            if old is not None and record.lines_only:
                row = _keep_stored(old, row)
                record.status = OrderStatus(row["status"])  # an older status is kept, not rejected
            if old is None:
                new_rows.append(row)
            else:
                current = OrderStatus(old.status)
                if not can_transition(current, record.status):
                    result.rejected.append(
                        RowError(
                            source,
                            record.source_line,
                            "status",
                            f"order {record.order_no}: illegal status change {current.value} -> "
                            f"{record.status.value}; the order was left as it was",
                        )
                    )
                    continue
                if _changed(old, row):
                    changed_rows.append(row)
                    if current != record.status:
                        events.append(
                            {
                                "shop_id": shop_id,
                                "order_no": record.order_no,
                                "at": now,
                                "kind": "status",
                                "detail": f"{current.value} -> {record.status.value} (import {source} line "
                                f"{record.source_line})",
                            }
                        )
                else:
                    result.unchanged += 1
                    unchanged = True
            lines.extend(_line_rows(record, shop_id))
            parcels.extend(_parcel_rows(record, shop_id))
            key = row["buyer_key"]
            # a lines-only record knows no buyer; an unchanged order's buyer was stored with it
            if key and not record.lines_only and not unchanged:
                buyers.append(
                    {
                        "platform": record.platform,
                        "buyer_key": key,
                        "name": record.buyer_name,
                        "phone": record.buyer_phone,
                        "address": _full_address(record),
                        "masked": record.buyer_data_masked,
                    }
                )
        insert_rows(self.conn, s.orders, new_rows)
        upsert(self.conn, s.orders, changed_rows, ["shop_id", "order_no"], [*ORDER_FIELDS, "updated_at"])
        upsert(
            self.conn,
            s.order_lines,
            lines,  # unique already: merge_records gave each order's lines distinct keys
            ["shop_id", "order_no", "line_key"],
            ["sku", "title", "category", "quantity", "unit_price"],
        )
        upsert(
            self.conn,
            s.parcels,
            _dedupe(parcels, ("tracking_no",)),
            ["tracking_no"],
            ["carrier", "shipped_at"],
        )
        upsert(
            self.conn,
            s.buyers,
            _dedupe(buyers, ("platform", "buyer_key")),
            ["platform", "buyer_key"],
            ["name", "phone", "address", "masked"],
        )
        insert_rows(self.conn, s.order_events, events)
        result.inserted, result.updated, result.lines = len(new_rows), len(changed_rows), len(lines)
        return result

    def _existing(self, keys: list[tuple[int, str]]) -> dict[tuple[int, str], Any]:
        if not keys:
            return {}
        cols = [s.orders.c.shop_id, s.orders.c.order_no] + [s.orders.c[name] for name in ORDER_FIELDS]
        found: dict[tuple[int, str], Any] = {}
        for shop_id, numbers in by_shop(keys):
            query = select(*cols).where(and_(s.orders.c.shop_id == shop_id, s.orders.c.order_no.in_(numbers)))
            for row in self.conn.execute(query):
                found[(row.shop_id, row.order_no)] = row
        return found


def _line_rows(record: OrderRecord, shop_id: int) -> list[dict[str, Any]]:
    return [
        {
            "shop_id": shop_id,
            "order_no": record.order_no,
            "line_key": line.line_key,
            "sku": line.sku,
            "title": line.title,
            "category": line.category,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
        }
        for line in record.lines
    ]


def _parcel_rows(record: OrderRecord, shop_id: int) -> list[dict[str, Any]]:
    return [
        {
            "shop_id": shop_id,
            "order_no": record.order_no,
            "carrier": p.carrier,
            "tracking_no": p.tracking_no,
            "shipped_at": p.shipped_at,
        }
        for p in record.parcels
    ]


def _full_address(record: OrderRecord) -> str:
    return " ".join(part for part in (record.province, record.city, record.district, record.address) if part)


def _dedupe(rows: list[dict[str, Any]], key: tuple[str, ...]) -> list[dict[str, Any]]:
    """ON CONFLICT cannot touch one row twice in a statement (PostgreSQL refuses): the last one wins."""
    unique: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        unique[tuple(row[k] for k in key)] = row
    return list(unique.values())
