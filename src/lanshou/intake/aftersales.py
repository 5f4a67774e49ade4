"""Import after-sales cases: `lanshou import aftersales FILE --format generic|taobao|douyin`.

One case per (shop, platform case id): importing the same file again changes nothing; a newer status moves
the case along the state machine (a step the machine cannot take is a rejected row); a refund over what the
order's cases together may claim, a return outside the shop's window, a case of an order not imported yet:
each is a rejected row, and nothing of it is stored.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from lanshou.aftersales.book import CaseBook, Incoming
from lanshou.aftersales.states import AfterSaleRefused, CaseStatus, CaseType
from lanshou.carriers.registry import carrier_code
from lanshou.events import EventBus, bus
from lanshou.files.tabular import FileRefused, open_table
from lanshou.intake import pipeline
from lanshou.intake.pipeline import Batch, Opened, Parsed, Progress, Stored
from lanshou.intake.report import ImportReport
from lanshou.orders.records import RowError
from lanshou.platforms.aftersales import READERS
from lanshou.platforms.base import ReadContext
from lanshou.shops.store import ShopDirectory

BATCH_CASES = 1000
# the rejects file's column saying why a row was refused: the cases' own `reason` (退款原因) keeps its name
REJECT_REASON = "reject_reason"


def import_aftersales(
    engine: Engine,
    path: str | Path,
    fmt: str = "generic",
    shop: str | None = None,
    timezone: str | None = None,
    rejects: Path | None = None,
    progress: Progress | None = None,
    events: EventBus = bus,
) -> ImportReport:
    if fmt not in READERS:
        raise FileRefused(f"unknown after-sales format {fmt!r} (expected one of {', '.join(READERS)})")
    path = Path(path)
    report = ImportReport(file=str(path), kind="aftersales", fmt=fmt)
    with engine.connect() as conn:
        shops = ShopDirectory(conn)
    ctx = ReadContext(shop=shop, timezone=timezone, shop_timezones=dict(shops.timezones))
    parsed = pipeline.batches(parse_batches, path, fmt, ctx)
    store = partial(_store, shops=shops, source=path.name, events=events)
    return pipeline.run(engine, report, parsed, store, rejects, progress, events, reason_column=REJECT_REASON)


def parse_batches(path: Path, fmt: str, ctx: ReadContext) -> Parsed:
    table = open_table(path)
    distinct = pipeline.open_rows(table)
    read = READERS[fmt](table, ctx)
    first = next(read, None)  # the reader checks the header before its first item
    yield Opened(table.header, table.sheet)
    batch: list[dict[str, Any]] = []
    errors: list[RowError] = []

    def done() -> Batch:
        bad = pipeline.undecodable(table)
        distinct.undecodable += len(bad)
        rows = distinct.count + distinct.undecodable
        return Batch(rows, batch, errors + bad, distinct.next_batch())

    for item in itertools.chain([first] if first is not None else [], read):
        if isinstance(item, RowError):
            errors.append(item)
            continue
        batch.append(item)
        if len(batch) >= BATCH_CASES:
            yield done()
            batch, errors = [], []
    yield done()


def _shop_id(shops: ShopDirectory, platform: str, name: str) -> int:
    # a Tmall shop's refund export reads as Taobao: the same seller centre
    for candidate in (platform, "tmall") if platform == "taobao" else (platform,):
        if (candidate, name) in shops.ids:
            return shops.ids[(candidate, name)]
    raise AfterSaleRefused(f"拒绝 refused: 未知店铺 unknown shop {platform}:{name}; import its orders first")


def _store(
    conn: Connection, batch: list[dict[str, Any]], shops: ShopDirectory, source: str, events: EventBus
) -> Stored:
    stored = Stored()
    incoming: list[tuple[dict[str, Any], Incoming | None, str]] = []
    for row in batch:
        try:
            shop_id = _shop_id(shops, row["platform"], row["shop"])
        except AfterSaleRefused as exc:
            incoming.append((row, None, str(exc)))
            continue
        case_type = CaseType(row["case_type"]) if row["case_type"] else None
        item = Incoming(
            shop_id=shop_id,
            case_no=row["case_no"],
            order_no=row["order_no"],
            case_type=case_type,
            status=CaseStatus(row["status"]),
            raw_status=row["raw_status"],
            reason=row["reason"],
            reason_code=row["reason_code"],
            amount=Decimal(row["amount"]),
            requested_at=row["requested_at"],
            # one code for every spelling (中通快递, ZTO → zto), as the orders' parcels: the tracking poller
            # and the push-carrier setting name carriers by code
            return_carrier=carrier_code(row["return_carrier"]) if row["return_carrier"] else "",
            return_tracking_no=row["return_tracking_no"],
            sku=row["sku"],
            quantity=row["quantity"],
        )
        incoming.append((row, item, ""))
    book = CaseBook(conn, [(i.shop_id, i.order_no) for _, i, _ in incoming if i is not None])
    for row, pending, problem in incoming:
        if pending is not None:
            try:
                outcome = book.take(pending, source=f" (import {source} line {row['line']})")
            except AfterSaleRefused as exc:
                problem = str(exc)
            else:
                if outcome == "new":
                    stored.inserted += 1
                elif outcome == "updated":
                    stored.updated += 1
                else:
                    stored.unchanged += 1
                continue
        stored.rejected.append(RowError(source, row["line"], "", problem, row["raw"]))
    book.flush(events)
    return stored
