"""The SKU, return, category and province rollups summed over aligned blocks of days, so a period reads a
few blocks and single days instead of every day's rows (30 days of all shops were 300,000 SKU rows grouped
by SKU; now ~80,000 at worst). Returns have two kinds of blocks: by SKU and by reason.

Blocks are dyadic: a block of `days` days (2, 4, … 128) starts on a day whose ordinal is a multiple of
`days` and is numbered ordinal // days; block b of 2n days holds blocks 2b and 2b + 1 of n days (of single
days for n = 1). Any period is covered by at most two blocks of each size plus at most two single days at
its ends, disjoint, so sums over the cover equal sums over the days. A block's rows are the sums of its two
halves' rows, so they depend on the daily rows only: whenever a day's rows are written again, its blocks
are summed again, smallest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from itertools import groupby
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    Table,
    and_,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)

from lanshou.orders.keys import CHUNK
from lanshou.stats.tables import SPANS

SIZES = (2, 4, 8, 16, 32, 64, 128)  # days per block; 366 days read at most 2·7 blocks and 2 days
Block = tuple[int, int]  # (days, block number)
DAILY_OF: dict[str, Table] = {span.name: daily for daily, span in SPANS}


def cover(first: date, last: date) -> tuple[list[date], list[Block]]:
    """The single days and the blocks that make up first..last exactly, each day once: from `first` on,
    the largest block that starts there and ends by `last` (else the day alone)."""
    days: list[date] = []
    blocks: list[Block] = []
    at, end = first.toordinal(), last.toordinal()
    while at <= end:
        size = next((s for s in reversed(SIZES) if at % s == 0 and at + s - 1 <= end), 1)
        if size == 1:
            days.append(date.fromordinal(at))
        else:
            blocks.append((size, at // size))
        at += size
    return days, blocks


def _keys(span: Table) -> list[str]:
    """The blocks' grouping columns besides size, block and shop: the daily rollup's, or some of them (the
    returns by SKU sum the reasons, the returns by reason the SKUs)."""
    return [c.name for c in span.primary_key.columns if c.name not in ("days", "block", "shop_id")]


def _measures(span: Table) -> list[str]:
    return [c.name for c in span.columns if not c.primary_key]


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def regroup_spans(conn: Connection, shop_id: int, days: Iterable[date]) -> None:
    """Sum again every block holding one of these days of the shop (after their daily rows were written)."""
    below = sorted({day.toordinal() for day in days})
    for size in SIZES:
        blocks = sorted({number // 2 for number in below})
        for daily, span in SPANS:
            for part in _chunks(blocks):
                _sum_blocks(conn, daily, span, shop_id, size, part)
        below = blocks


def _sum_blocks(
    conn: Connection, daily: Table, span: Table, shop_id: int, size: int, blocks: Sequence[int]
) -> None:
    where = and_(span.c.days == size, span.c.block.in_(blocks), span.c.shop_id == shop_id)
    conn.execute(delete(span).where(where))
    keys, measures = _keys(span), _measures(span)
    halves = _halves(daily, span, shop_id, size, blocks).subquery()
    summed = select(
        literal(size, Integer),
        halves.c.block,
        literal(shop_id, Integer),
        *(halves.c[k] for k in keys),
        *(func.sum(halves.c[m]) for m in measures),
    ).group_by(halves.c.block, *(halves.c[k] for k in keys))
    conn.execute(span.insert().from_select(["days", "block", "shop_id", *keys, *measures], summed))


def _halves(daily: Table, span: Table, shop_id: int, size: int, blocks: Sequence[int]) -> Select[Any]:
    """The rows of the two halves of each block, each labelled with the block's number."""
    keys, measures = _keys(span), _measures(span)
    if size == 2:
        parent = {date.fromordinal(2 * b + half): b for b in blocks for half in (0, 1)}
        return select(
            case(parent, value=daily.c.day).label("block"),
            *(daily.c[n] for n in (*keys, *measures)),
        ).where(daily.c.shop_id == shop_id, daily.c.day.in_(sorted(parent)))
    children = sorted(2 * b + half for b in blocks for half in (0, 1))
    return select(
        span.c.block.op("/")(2).label("block"),  # integer division on both databases
        *(span.c[n] for n in (*keys, *measures)),
    ).where(span.c.days == size // 2, span.c.block.in_(children), span.c.shop_id == shop_id)


def period_rows(span: Table, first: date, last: date, shop_ids: Sequence[int] | None) -> Any:
    """A subquery of the blocks' keys and measures over first..last (summed by those keys, the sums over the
    days): the daily rollup's rows of the cover's single days and the cover's blocks."""
    daily = DAILY_OF[span.name]
    names = [*_keys(span), *_measures(span)]
    days, blocks = cover(first, last)
    parts: list[Select[Any]] = []
    if days:
        single = select(*(daily.c[n] for n in names)).where(_shops(daily, shop_ids), daily.c.day.in_(days))
        parts.append(single)
    if blocks:
        by_size = [
            and_(span.c.days == size, span.c.block.in_([b for _, b in group]))
            for size, group in groupby(sorted(blocks), key=lambda block: block[0])
        ]
        parts.append(select(*(span.c[n] for n in names)).where(_shops(span, shop_ids), or_(*by_size)))
    return union_all(*parts).subquery()


def _shops(table: Table, shop_ids: Sequence[int] | None) -> Any:
    return true() if shop_ids is None else table.c.shop_id.in_(shop_ids)
