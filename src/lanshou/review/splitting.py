"""拆单: split one order into several shipments, and put a split order back together.

A merchant ships part of an order now and the rest later, or items from two warehouses: the order's lines
are divided into shipment parts (1, 2, …). Each part becomes its own ready shipment (lanshou.review.queries
`ready_shipments`), so shipping gives it its own carrier choice, waybill, label and parcel; the order stays
one order (metrics see its parcels, the first picked up counts: METRICS.md). Reservations follow the parts
(lanshou.inventory.parts). The first part to leave makes the order `shipped`; the others still ship.

Lines are named by their number in the order (1-based, in the order `lanshou orders show` lists them),
`N:Q` naming Q units of line N (5 units split 3 + 2: `--lines 1:3`; the 2 left ship with the rest).
Every group given is one part; the lines and units no group names make one more part. Only a paid order
that has not shipped, is not cancelled in review and is not merged with others (合单) can be split; anything
wrong refuses the whole request before anything is written (ActionRefused). Every split, and every undo,
goes to the order's timeline with the user's name and reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, select

from lanshou.db.bulk import insert_rows
from lanshou.db.engine import write_transaction
from lanshou.inventory.mapping import load_map
from lanshou.inventory.parts import assign_parts, join_parts
from lanshou.orders.tables import order_lines, orders
from lanshou.orders.timeline import TimelineEntry, record
from lanshou.review.model import OrderKey
from lanshou.review.staff import ActionRefused
from lanshou.review.tables import review_state, shipment_parts


@dataclass(frozen=True, slots=True)
class PartLine:
    no: int  # the line's number in the order (1-based)
    line_key: str
    sku: str
    quantity: int  # the units in this part
    of: int = 0  # the line's units in the order (0: as many as `quantity`)
    rest: bool = False  # in the last part, made of what no group named

    @property
    def whole(self) -> bool:
        return self.quantity >= self.of

    @property
    def stored_units(self) -> int | None:
        """shipment_parts.quantity: None for the whole line or the rest of it, which follow the order's line
        if the platform changes its quantity; a count only for units a group named."""
        return None if self.whole or self.rest else self.quantity


Pick = tuple[int, int | None]  # (line number, units; None: the whole line)


@dataclass(frozen=True, slots=True)
class Split:
    key: OrderKey
    parts: tuple[tuple[PartLine, ...], ...]  # part 1 first
    reservations: int  # reservation rows now labelled with a part (0: the order holds none yet)

    def as_json(self) -> dict[str, object]:
        return {
            "order_id": self.key[1],
            "parts": [
                {
                    "part": n,
                    "lines": [{"no": x.no, "sku": x.sku, "quantity": x.quantity, "of": x.of} for x in lines],
                }
                for n, lines in enumerate(self.parts, start=1)
            ],
            "reservations": self.reservations,
        }


def parse_groups(texts: Sequence[str]) -> list[list[Pick]]:
    """`--lines 1,2 --lines 3:1` → [[(1, None), (2, None)], [(3, 1)]]; ActionRefused for anything but
    positive line numbers, each with an optional positive unit count."""
    groups: list[list[Pick]] = []
    for text in texts:
        picks = [_parse_pick(item.strip()) for item in text.replace("，", ",").split(",") if item.strip()]
        if not picks:
            raise ActionRefused("空的 --lines 分组 an empty --lines group")
        groups.append(picks)
    return groups


def _parse_pick(item: str) -> Pick:
    number, colon, units = item.replace("：", ":").partition(":")
    number, units = number.strip(), units.strip()
    if not _positive(number) or (colon and not _positive(units)):
        raise ActionRefused(
            f"行号须为正整数 line numbers are 1, 2, …, units a positive count "
            f"(1:3 = 3 units of line 1): {item!r}"
        )
    return int(number), int(units) if colon else None


def _positive(text: str) -> bool:
    return text.isascii() and text.isdigit() and int(text) >= 1


def describe(lines: Sequence[PartLine]) -> str:
    return ", ".join(f"#{x.no} {x.sku}×{x.quantity}" + ("" if x.whole else f"/{x.of}") for x in lines)


def _refuse_if_not_splittable(conn: Connection, key: OrderKey) -> None:
    o, r = orders.c, review_state.c
    query = select(o.status).where(o.shop_id == key[0], o.order_no == key[1])
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()  # shipping locks the order too: it waits for us, or we see it
    status = conn.execute(query).scalar_one_or_none()
    if status is None:
        raise ActionRefused(f"{key[1]}: no such order 订单不存在")
    if status == "shipped":
        raise ActionRefused(f"{key[1]}: 订单已发货 the order has shipped: it can no longer be split")
    if status in ("cancelled", "refunded"):
        raise ActionRefused(f"{key[1]}: 订单已取消 the order is {status}")
    if status != "paid":
        raise ActionRefused(f"{key[1]}: order is {status}, not paid 订单状态不是已付款")
    review = conn.execute(
        select(r.state, r.merge_group).where(r.shop_id == key[0], r.order_no == key[1])
    ).first()
    if review is not None and review.state == "cancelled":
        raise ActionRefused(f"{key[1]}: cancelled in review 审单已取消")
    if review is not None and review.merge_group:
        raise ActionRefused(
            f"{key[1]}: 已合单 merged with other orders ({review.merge_group}): "
            "undo the merge first (`lanshou orders unmerge`)"
        )


def _order_lines(conn: Connection, key: OrderKey) -> list[PartLine]:
    t = order_lines.c
    query = (
        select(t.line_key, t.sku, t.quantity).where(t.shop_id == key[0], t.order_no == key[1]).order_by(t.id)
    )
    return [
        PartLine(n, row.line_key, row.sku, row.quantity, row.quantity)
        for n, row in enumerate(conn.execute(query), 1)
    ]


def plan_parts(lines: Sequence[PartLine], groups: Sequence[Sequence[int | Pick]]) -> list[list[PartLine]]:
    """The parts these groups make of these lines (pure): the groups in order, then the lines and units no
    group names. ActionRefused for an unknown line, a line named twice in a group or whole in two, more
    units than the line has, or fewer than two parts."""
    by_no = {line.no: line for line in lines}
    taken: dict[int, int] = {}  # units of each named line given to a part so far
    parts: list[list[PartLine]] = []
    for group in groups:
        picks = [(g, None) if isinstance(g, int) else g for g in group]
        unknown = [n for n, _ in picks if n not in by_no]
        if unknown:
            raise ActionRefused(
                f"没有这一行 no line {', '.join(map(str, unknown))} (the order has lines 1–{len(lines)})"
            )
        numbers = [n for n, _ in picks]
        twice = sorted({n for n, units in picks if numbers.count(n) > 1 or (units is None and n in taken)})
        if twice:
            raise ActionRefused(f"一行只能在一个包裹 line {', '.join(map(str, twice))} is in two groups")
        parts.append([_take(by_no[n], units, taken) for n, units in picks])
    rest = [
        replace(line, quantity=line.of - taken.get(line.no, 0), rest=True)
        for line in lines
        if line.no not in taken or taken[line.no] < line.of
    ]
    if rest:
        parts.append(rest)
    if len(parts) < 2:
        raise ActionRefused("拆单至少两个包裹 a split makes two shipments or more: leave some lines out")
    return parts


def _take(line: PartLine, units: int | None, taken: dict[int, int]) -> PartLine:
    """`units` of the line (None: all of it) for one part, counted in `taken`; refused beyond what is left."""
    left = line.of - taken.get(line.no, 0)
    wanted = left if units is None else units
    if wanted > left or (left == 0 and line.of > 0):
        raise ActionRefused(
            f"第 {line.no} 行只剩 {left} 件 line {line.no} ({line.sku}) has {left} of {line.of} units left, "
            f"{wanted} asked"
        )
    taken[line.no] = taken.get(line.no, 0) + wanted
    return replace(line, quantity=wanted)


def split_order(
    engine: Engine,
    key: OrderKey,
    groups: Sequence[Sequence[int | Pick]],
    now: datetime,
    actor: str,
    reason: str = "",
) -> Split:
    """Split the order into shipment parts (see the module); a split order may be split again, differently,
    until a part has shipped. ActionRefused (nothing changed) when it cannot be done as asked."""
    with write_transaction(engine) as conn:
        _refuse_if_not_splittable(conn, key)
        parts = plan_parts(_order_lines(conn, key), groups)
        p = shipment_parts.c
        conn.execute(delete(shipment_parts).where(p.shop_id == key[0], p.order_no == key[1]))
        insert_rows(
            conn,
            shipment_parts,
            [
                (key[0], key[1], line.line_key, n, line.stored_units, now, actor)
                for n, lines in enumerate(parts, start=1)
                for line in lines
            ],
            ("shop_id", "order_no", "line_key", "part", "quantity", "split_at", "actor"),
        )
        skus = load_map(conn)
        needs = {
            n: skus.needs(key[0], [(line.sku, line.quantity) for line in lines])
            for n, lines in enumerate(parts, start=1)
        }
        moved = assign_parts(conn, key, needs)
        described = "; ".join(f"{n}) {describe(lines)}" for n, lines in enumerate(parts, start=1))
        detail = f"拆单 split into {len(parts)} shipments: {described}" + (f" — {reason}" if reason else "")
        record(conn, [TimelineEntry(key[0], key[1], now, "split", detail, actor)])
    return Split(key, tuple(tuple(lines) for lines in parts), moved)


def unsplit_order(engine: Engine, key: OrderKey, now: datetime, actor: str, reason: str = "") -> int:
    """Put a split order back together (it ships whole again) while none of its parts has shipped; returns
    how many parts it had. ActionRefused when it cannot (shipped, cancelled, or not split)."""
    with write_transaction(engine) as conn:
        _refuse_if_not_splittable(conn, key)
        p = shipment_parts.c
        where = (p.shop_id == key[0]) & (p.order_no == key[1])
        count = conn.execute(select(p.part).distinct().where(where)).all()
        if not count:
            raise ActionRefused(f"{key[1]}: 未拆单 the order is not split")
        conn.execute(delete(shipment_parts).where(where))
        join_parts(conn, key)
        detail = f"取消拆单 split undone: ships as one ({len(count)} shipments before)"
        detail += f" — {reason}" if reason else ""
        record(conn, [TimelineEntry(key[0], key[1], now, "unsplit", detail, actor)])
    return len(count)
