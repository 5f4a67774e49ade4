"""Generic orders, tracking and feedback files from the demo generator, for tests with real processes.

The orders are cut into overlapping slices (one file each), so concurrent imports store some of the same
orders at once; the tracking events into two overlapping files. Merged shipments (one tracking number on
two orders) and split ones come from the generator.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from lanshou.demo.generator import DemoConfig, DemoOrder, demo_orders

END = date(2026, 11, 21)
ORDER_HEADER = (
    "platform", "shop", "order_id", "status", "created_at", "paid_at", "is_presale", "promised_ship_by",
    "buyer_id", "buyer_name", "buyer_phone", "province", "city", "district", "address", "buyer_message",
    "sku", "title", "category", "quantity", "unit_price", "order_amount", "carrier", "tracking_no",
    "shipped_at",
)  # fmt: skip
OrderId = tuple[str, str, str]  # platform, shop, order number


@dataclass
class Files:
    orders: list[Path] = field(default_factory=list)
    tracking: list[Path] = field(default_factory=list)
    feedback: Path | None = None
    lines: dict[OrderId, int] = field(default_factory=dict)  # every order in the files: its line count


def _t(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def order_rows(o: DemoOrder, categories: bool = True) -> Iterator[list[str]]:
    """One row per order line, order columns repeated; line i names parcel i (the last one past it).
    `categories` False: as an older export that had no categories (the lines' facts differ)."""
    f, b = o.fate, o.buyer
    head = [o.shop.platform, o.shop.name, o.order_no, f.status, _t(o.created), _t(f.paid_at),
            "1" if f.presale else "0", _t(f.promised), b.key, b.name, b.phone, b.province, b.city,
            b.district, b.address, o.message]  # fmt: skip
    for i, (product, qty) in enumerate(o.lines):
        parcel = f.parcels[min(i, len(f.parcels) - 1)] if f.parcels else None
        ship = [parcel.carrier, parcel.tracking_no, _t(parcel.waybill)] if parcel else ["", "", ""]
        category = product.category if categories else ""
        yield [*head, product.sku, product.title, category, str(qty), str(product.price),
               str(o.amount), *ship]  # fmt: skip


def write_files(folder: Path, orders: int, seed: int = 5, slices: int = 3) -> Files:
    generated = list(demo_orders(DemoConfig(orders=orders, days=30, seed=seed, end=END)))
    files = Files()
    n = len(generated)
    step = n // slices
    overlap = step // 4
    # each slice reaches a quarter into the next one: those orders come twice, in this file as an older
    # export without the lines' categories, so whichever import stores them last changes their facts
    for k in range(slices):
        last = k == slices - 1
        own = generated[k * step :] if last else generated[k * step : (k + 1) * step]
        older = [] if last else generated[(k + 1) * step : min(n, (k + 1) * step + overlap)]
        rows = [row for o in own for row in order_rows(o)]
        rows += [row for o in older for row in order_rows(o, categories=False)]
        path = folder / f"orders_{k}.csv"
        _write(path, ORDER_HEADER, rows)
        files.orders.append(path)
    for o in generated:
        files.lines[(o.shop.platform, o.shop.name, o.order_no)] = len(o.lines)
    events = _events(generated)
    third = len(events) // 3
    for k, part in enumerate((events[: 2 * third], events[third:])):  # the middle third in both files
        path = folder / f"tracking_{k}.csv"
        _write(path, ("carrier", "tracking_no", "event_time", "status", "location", "description"), part)
        files.tracking.append(path)
    files.feedback = folder / "feedback.csv"
    feedback = [
        [o.shop.platform, o.shop.name, o.order_no, _t(at), "" if rating is None else str(rating), tags, text]
        for o in generated
        for at, rating, tags, text in o.fate.feedback
    ]
    _write(
        files.feedback, ("platform", "shop", "order_id", "created_at", "rating", "tags", "content"), feedback
    )
    return files


def _events(generated: list[DemoOrder]) -> list[list[str]]:
    seen: set[str] = set()
    rows = []
    for o in generated:
        for p in o.fate.parcels:
            if p.tracking_no in seen:  # a merged parcel: its events once
                continue
            seen.add(p.tracking_no)
            rows += [
                [p.carrier, p.tracking_no, _t(e.time), e.status.value, e.location, e.description]
                for e in p.journey.events
            ]
    return rows


def _write(path: Path, header: tuple[str, ...], rows: Iterator[list[str]] | list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)
