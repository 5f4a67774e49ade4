"""Stock counts from a file and manual adjustments.

A count SETS on-hand (what is on the shelf now), so importing the same file twice changes nothing the second
time. A file is checked whole before anything is written: one bad row (a negative or non-integer quantity, a
missing SKU or warehouse, a duplicate, a count below what is reserved) refuses the file with every bad line
and its reason, and nothing is half-done.

A warehouse comes into being with the first count naming it (`lanshou stock import`, the demo's stock): a
count is the inventory of a place. An adjustment names a warehouse that exists, or none when the SKU is
stocked in exactly one; a misspelt or default name (`main`) is refused with the known warehouses, never
made into a new, empty warehouse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, select, text

from lanshou.bilingual import Bilingual
from lanshou.db.bulk import insert_new, insert_rows
from lanshou.db.engine import write_transaction
from lanshou.events import StockArrived, bus
from lanshou.files.tabular import FileRefused, open_table
from lanshou.inventory.scope import EVERY_SKU, StockScope
from lanshou.inventory.tables import stock, stock_ledger, warehouses
from lanshou.orders.timeline import SYSTEM

REQUIRED = ("sku", "warehouse", "on_hand")
MAX_QUANTITY = 1_000_000_000


class StockError(ValueError):
    """Stock input that cannot be applied; `problems` lists (line, reason) when it came from a file."""

    def __init__(self, message: str, problems: Sequence[tuple[int, str]] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Count:
    line: int
    sku: str
    warehouse: str
    on_hand: int
    safety_stock: int | None
    location: str | None = None  # warehouse bin, for the pick list (optional `location` column)


@dataclass(frozen=True, slots=True)
class CountReport:
    rows: int
    changed: int  # stock rows whose on-hand or safety level changed
    created: int  # new stock rows


def parse_quantity(text_value: str, name: str) -> int:
    """A whole number ≥ 0 (a file's "12" or "12.0"); ValueError with the reason otherwise."""
    value = text_value.strip().replace(",", "")
    if not value:
        raise ValueError(f"{name} is empty 数量为空")
    try:
        number = float(value) if "." in value else int(value)
    except ValueError:
        raise ValueError(f"{name} {text_value!r} is not a whole number 不是整数") from None
    if isinstance(number, float):
        if not number.is_integer():
            raise ValueError(f"{name} {text_value!r} is not a whole number 不是整数")
        number = int(number)
    if number < 0:
        raise ValueError(f"{name} {text_value!r} is negative 不能为负数")
    if number > MAX_QUANTITY:
        raise ValueError(f"{name} {text_value!r} is too large 数量过大")
    return number


def read_counts(path: Path) -> list[Count]:
    """Every row of the file, or StockError listing each bad line and why."""
    table = open_table(path)
    index = table.column_index()
    missing = [name for name in REQUIRED if name not in index]
    if missing:
        raise FileRefused(f"{path}: missing column(s) {', '.join(missing)} (need sku,warehouse,on_hand)")
    safety = index.get("safety_stock")
    counts: list[Count] = []
    problems: list[tuple[int, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for line, cells in table.rows:

        def cell(name: str, cells: list[str] = cells) -> str:
            position = index[name]
            return cells[position].strip() if position < len(cells) else ""

        sku, site = cell("sku"), cell("warehouse")
        try:
            if not sku or not site:
                raise ValueError("sku and warehouse are required 缺少 SKU 或仓库")
            on_hand = parse_quantity(cell("on_hand"), "on_hand")
            safety_text = cell("safety_stock") if safety is not None else ""
            level = parse_quantity(safety_text, "safety_stock") if safety_text else None
            if (sku, site) in seen:
                raise ValueError(f"duplicate of line {seen[(sku, site)]} 重复")
        except ValueError as exc:
            problems.append((line, str(exc)))
            continue
        seen[(sku, site)] = line
        location = cell("location")[:64] if "location" in index else None
        counts.append(Count(line, sku, site, on_hand, level, location))
    if problems:
        raise StockError(f"{path}: {len(problems)} bad row(s), nothing imported 未导入", problems)
    return counts


def import_counts(engine: Engine, path: Path, now: datetime, actor: str = SYSTEM) -> CountReport:
    counts = read_counts(path)
    with write_transaction(engine) as conn:
        report, arrived = apply_counts(conn, counts, now, actor)
        if arrived:
            bus.publish(conn, StockArrived(tuple(sorted(arrived))))
    bus.settle(engine)
    return report


def ensure_warehouses(conn: Connection, codes: Sequence[str]) -> dict[str, int]:
    insert_new(conn, warehouses, [{"code": code, "name": code} for code in dict.fromkeys(codes)], ["code"])
    w = warehouses.c
    return {row.code: row.id for row in conn.execute(select(w.id, w.code).where(w.code.in_(set(codes))))}


def apply_counts(
    conn: Connection, counts: Sequence[Count], now: datetime, actor: str = SYSTEM
) -> tuple[CountReport, set[str]]:
    """Set on-hand (and the safety level when given) per row; returns the report and SKUs that grew."""
    sites = ensure_warehouses(conn, [c.warehouse for c in counts])
    s = stock.c
    query = select(s.id, s.sku, s.warehouse_id, s.on_hand, s.reserved, s.safety_stock, s.location).where(
        s.sku.in_({c.sku for c in counts})
    )
    if conn.dialect.name == "postgresql":  # a count reads then writes: hold the rows it compares against
        query = query.order_by(s.id).with_for_update()
    stored = {(row.sku, row.warehouse_id): row for row in conn.execute(query)} if counts else {}
    problems: list[tuple[int, str]] = []
    ledger: list[tuple[object, ...]] = []
    new_rows: list[tuple[object, ...]] = []
    arrived: set[str] = set()
    changed = 0
    for count in counts:
        site = sites[count.warehouse]
        row = stored.get((count.sku, site))
        level = count.safety_stock
        if row is None:
            new_rows.append((count.sku, site, count.on_hand, 0, level or 0, count.location or "", now))
            if count.on_hand:
                ledger.append(
                    (now, count.sku, site, "count", count.on_hand, 0, None, "", actor, "盘点 count")
                )
                arrived.add(count.sku)
            continue
        if count.on_hand < row.reserved:
            problems.append(
                (count.line, f"on_hand {count.on_hand} is below the {row.reserved} reserved 低于已占用数量")
            )
            continue
        delta = count.on_hand - row.on_hand
        new_level = row.safety_stock if level is None else level
        new_location = row.location if count.location is None else count.location
        if delta == 0 and new_level == row.safety_stock and new_location == row.location:
            continue
        changed += 1
        conn.execute(
            stock.update()
            .where(s.id == row.id)
            .values(on_hand=count.on_hand, safety_stock=new_level, location=new_location, updated_at=now)
        )
        if delta:
            ledger.append((now, count.sku, site, "count", delta, 0, None, "", actor, "盘点 count"))
        if delta > 0:
            arrived.add(count.sku)
    if problems:
        raise StockError(f"{len(problems)} bad row(s), nothing imported 未导入", problems)
    columns = ("sku", "warehouse_id", "on_hand", "reserved", "safety_stock", "location", "updated_at")
    insert_rows(conn, stock, new_rows, columns)
    insert_rows(conn, stock_ledger, ledger, _LEDGER)
    return CountReport(len(counts), changed + len(new_rows), len(new_rows)), arrived


_LEDGER = (
    "at",
    "sku",
    "warehouse_id",
    "kind",
    "on_hand_delta",
    "reserved_delta",
    "shop_id",
    "order_no",
    "actor",
    "note",
)

_ADJUST = text(
    "UPDATE stock SET on_hand = on_hand + :d, updated_at = :now "
    "WHERE sku = :sku AND warehouse_id = :w AND on_hand + :d >= reserved"
)


def add_on_hand(
    conn: Connection,
    sku: str,
    site: int,
    delta: int,
    now: datetime,
    kind: str,
    *,
    actor: str = SYSTEM,
    note: str = "",
    shop_id: int | None = None,
    order_no: str = "",
) -> bool:
    """Add `delta` to one SKU's on-hand in one warehouse by one conditional UPDATE (a positive delta for a SKU
    not stocked there yet creates its row), with its ledger row. False, and nothing written, when it would go
    below zero or below what is reserved."""
    params = {"d": delta, "now": now, "sku": sku, "w": site}
    if conn.execute(_ADJUST, params).rowcount != 1:
        found = conn.execute(
            select(stock.c.id).where(stock.c.sku == sku, stock.c.warehouse_id == site)
        ).first()
        if found is not None or delta < 0:
            return False
        columns = ("sku", "warehouse_id", "on_hand", "reserved", "safety_stock", "updated_at")
        insert_rows(conn, stock, [(sku, site, delta, 0, 0, now)], columns)
    row = (now, sku, site, kind, delta, 0, shop_id, order_no, actor, note)
    insert_rows(conn, stock_ledger, [row], _LEDGER)
    return True


@dataclass(frozen=True, slots=True)
class Adjusted:
    sku: str
    warehouse: str  # code of the warehouse adjusted
    on_hand: int  # after the adjustment


class UnknownWarehouse(StockError):
    """An adjustment naming no existing warehouse: only a count creates one."""


def adjust(
    engine: Engine,
    sku: str,
    warehouse: str | None,
    delta: int,
    now: datetime,
    actor: str = SYSTEM,
    note: str = "",
    scope: StockScope = EVERY_SKU,
) -> Adjusted:
    """Add `delta` (negative: take away) to on-hand in one conditional UPDATE. `warehouse` names an existing
    warehouse; None or blank: the SKU's own, when it is stocked in exactly one. A SKU outside `scope` is
    SkuNotFound; an unknown warehouse UnknownWarehouse; going below zero or below what is reserved
    StockError."""
    sku = sku.strip()
    if not sku:
        raise StockError(Bilingual.english_first("sku is required", "缺少 SKU"))
    scope.check(sku)
    if delta == 0:
        raise StockError(Bilingual.english_first("an adjustment of 0 changes nothing", "调整数量不能为 0"))
    with write_transaction(engine) as conn:
        site, code = pick_warehouse(conn, sku, (warehouse or "").strip())
        if not add_on_hand(conn, sku, site, delta, now, "adjust", actor=actor, note=note):
            raise _too_little(conn, sku, site, code, delta)
        on_hand = conn.execute(
            select(stock.c.on_hand).where(stock.c.sku == sku, stock.c.warehouse_id == site)
        ).scalar_one()
        if delta > 0:
            bus.publish(conn, StockArrived((sku,)))
    bus.settle(engine)
    return Adjusted(sku, code, int(on_hand))


def warehouse_codes(conn: Connection, sku: str | None = None) -> list[str]:
    """Codes of the warehouses, by rank (those holding a row of `sku` when given)."""
    w = warehouses.c
    query = select(w.code).order_by(w.rank, w.code)
    if sku is not None:
        query = query.join(stock, stock.c.warehouse_id == w.id).where(stock.c.sku == sku)
    return list(conn.execute(query).scalars())


def pick_warehouse(conn: Connection, sku: str, named: str) -> tuple[int, str]:
    """(id, code) of the warehouse an adjustment of `sku` names, or of the SKU's only one when it names none;
    UnknownWarehouse, in one line listing the known warehouses, otherwise."""
    w = warehouses.c
    known: dict[str, int] = {code: site for code, site in conn.execute(select(w.code, w.id))}
    own = [] if named else warehouse_codes(conn, sku)
    code = named or (own[0] if len(own) == 1 else "")
    if code in known:
        return known[code], code
    codes = ", ".join(warehouse_codes(conn))
    listed = codes or "none yet 暂无 (a stock count creates them: lanshou stock import)"
    listed_en = codes or "none yet (a stock count creates them: lanshou stock import)"
    listed_zh = codes or "暂无（盘点导入时创建：lanshou stock import）"
    if named:
        line = f"unknown warehouse 仓库不存在: {named!r}; known 现有仓库: {listed}"
        zh, en = (
            f"仓库不存在: {named!r}; 现有仓库: {listed_zh}",
            f"unknown warehouse {named!r}; known: {listed_en}",
        )
    elif own:
        places = ", ".join(own)
        line = f"name the warehouse 请指定仓库 ({sku} is in {places} 该 SKU 在多个仓库)"
        zh, en = f"请指定仓库（{sku} 在多个仓库: {places}）", f"name the warehouse ({sku} is in {places})"
    else:
        line = f"name the warehouse 请指定仓库 (known 现有仓库: {listed})"
        zh, en = f"请指定仓库（现有仓库: {listed_zh}）", f"name the warehouse (known: {listed_en})"
    raise UnknownWarehouse(Bilingual(zh, en, line))


def _too_little(conn: Connection, sku: str, site: int, code: str, delta: int) -> StockError:
    s = stock.c
    found = conn.execute(select(s.on_hand, s.reserved).where(s.sku == sku, s.warehouse_id == site)).first()
    have = f"on hand {found.on_hand}, reserved {found.reserved}" if found else "no stock"
    where, short = f"{sku}@{code}", "库存不足，不能扣减"
    en = f"{where}: cannot take {-delta} ({have})"
    return StockError(Bilingual(f"{where}: {short}", en, f"{en} {short}"))
