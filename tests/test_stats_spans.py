"""The statistics rollups summed over blocks of days (lanshou.stats.spans): a period's cover is each of its
days once, every block equals the sum of its days' rows (kept so when days change, and filled so by the
migration), and a period read through the blocks sums what its days sum, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Connection, Engine, Table, delete, func, select, update

from lanshou.db.bulk import insert_rows
from lanshou.db.engine import _alembic_config, make_engine
from lanshou.shops.tables import shops
from lanshou.stats import tables as t
from lanshou.stats.spans import SIZES, cover, period_rows, regroup_spans

FIRST = date(2026, 1, 1)
DAYS = 300


def test_a_cover_is_every_day_of_the_period_once_in_aligned_blocks() -> None:
    for start in range(0, 140, 3):
        for length in (1, 2, 3, 7, 29, 30, 31, 64, 90, 129, 366):
            first = FIRST + timedelta(days=start)
            last = first + timedelta(days=length - 1)
            days, blocks = cover(first, last)
            covered = [day.toordinal() for day in days]
            for size, block in blocks:
                assert size in SIZES
                covered += range(block * size, (block + 1) * size)
            assert sorted(covered) == list(range(first.toordinal(), last.toordinal() + 1))
            assert len(days) <= 2 and all(sum(s == size for s, _ in blocks) <= 2 for size in SIZES)


def _fill_days(conn: Connection, rng: random.Random) -> None:
    insert_rows(conn, shops, [{"id": i, "platform": "taobao", "name": f"shop{i}"} for i in (1, 2)])
    for shop in (1, 2):
        for offset in range(DAYS):
            day = FIRST + timedelta(days=offset)
            if rng.random() < 0.1:
                continue  # days without sales
            _add_day(conn, rng, shop, day)


def _add_day(conn: Connection, rng: random.Random, shop: int, day: date) -> None:
    money = lambda: Decimal(rng.randrange(1, 100_000)) / 100  # noqa: E731
    skus = rng.sample(range(8), rng.randint(1, 5))
    common = {"shop_id": shop, "day": day}
    rows = [
        {**common, "sku": f"S{k}", "orders": rng.randint(1, 9), "quantity": 3, "sales": money()} for k in skus
    ]
    insert_rows(conn, t.stats_sku, rows)
    returns = {(f"S{rng.randrange(8)}", rng.choice("ABC")) for _ in range(rng.randint(0, 4))}
    insert_rows(
        conn,
        t.stats_returns,
        [
            {
                **common,
                "sku": s,
                "reason_code": r,
                "returns": rng.randint(0, 2),
                "cases": 2,
                "refunded": money(),
            }
            for s, r in returns
        ],
    )
    cats = rng.sample("abcd", 2)
    insert_rows(
        conn, t.stats_category, [{**common, "category": c, "quantity": 2, "sales": money()} for c in cats]
    )
    provs = rng.sample("xyz", 2)
    insert_rows(
        conn, t.stats_province, [{**common, "province": p, "orders": 4, "sales": money()} for p in provs]
    )


def _measure(value: Any) -> Any:
    return value if isinstance(value, int) else Decimal(value).quantize(Decimal("0.01"))


def _keys(span: Table) -> list[str]:
    return [c.name for c in span.primary_key.columns if c.name not in ("days", "block", "shop_id")]


def _expected_blocks(conn: Connection, daily: Table, span: Table) -> dict[tuple[Any, ...], list[Any]]:
    """Every block's rows summed in Python from the daily rows."""
    keys = _keys(span)
    measures = [c.name for c in span.columns if not c.primary_key]
    sums: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0] * len(measures))
    for row in conn.execute(select(daily)).mappings():
        for size in SIZES:
            summed = sums[(size, row["day"].toordinal() // size, row["shop_id"], *(row[k] for k in keys))]
            for i, name in enumerate(measures):
                summed[i] += _measure(row[name])
    return {key: [_measure(v) for v in values] for key, values in sums.items()}


def _stored_blocks(conn: Connection, span: Table) -> dict[tuple[Any, ...], list[Any]]:
    keys = [c.name for c in span.primary_key.columns]
    rest = [c.name for c in span.columns if not c.primary_key]
    return {
        tuple(row[k] for k in keys): [_measure(row[m]) for m in rest]
        for row in conn.execute(select(span)).mappings()
    }


def _assert_blocks_are_their_days(conn: Connection) -> None:
    for daily, span in t.SPANS:
        assert _stored_blocks(conn, span) == _expected_blocks(conn, daily, span), span.name


def test_blocks_stay_the_sums_of_their_days(engine: Engine) -> None:
    rng = random.Random(13)
    every_day = [FIRST + timedelta(days=i) for i in range(DAYS)]
    with engine.begin() as conn:
        _fill_days(conn, rng)
        for shop in (1, 2):
            regroup_spans(conn, shop, every_day)
        _assert_blocks_are_their_days(conn)
        assert conn.execute(select(func.count()).select_from(t.stats_sku_span)).scalar_one() > 0
    # some days change, one loses its rows, one far from the others gains its first: only they are regrouped
    changed = [FIRST + timedelta(days=d) for d in (0, 5, 77, 128, 255)]
    with engine.begin() as conn:
        sku = t.stats_sku
        conn.execute(update(sku).where(sku.c.day.in_(changed[:3])).values(quantity=sku.c.quantity + 7))
        for daily, _ in t.SPANS:
            conn.execute(delete(daily).where(daily.c.shop_id == 2, daily.c.day == changed[3]))
            conn.execute(delete(daily).where(daily.c.shop_id == 1, daily.c.day == changed[4]))
        _add_day(conn, rng, 1, changed[4])
        for shop in (1, 2):
            regroup_spans(conn, shop, changed)
        _assert_blocks_are_their_days(conn)


def _by_days(conn: Connection, daily: Table, span: Table, first: date, last: date, shop_ids: Any) -> Any:
    keys = [daily.c[name] for name in _keys(span)]
    measures = [daily.c[c.name] for c in span.columns if not c.primary_key]
    where = daily.c.day.between(first, last)
    if shop_ids is not None:
        where = where & daily.c.shop_id.in_(shop_ids)
    query = select(*keys, *(func.sum(m) for m in measures)).where(where).group_by(*keys)
    return {tuple(row[: len(keys)]): [_measure(v) for v in row[len(keys) :]] for row in conn.execute(query)}


def _by_cover(conn: Connection, span: Table, first: date, last: date, shop_ids: Any) -> Any:
    rows = period_rows(span, first, last, shop_ids)
    keys = [rows.c[name] for name in _keys(span)]
    measures = [rows.c[c.name] for c in span.columns if not c.primary_key]
    query = select(*keys, *(func.sum(m) for m in measures)).group_by(*keys)
    return {tuple(row[: len(keys)]): [_measure(v) for v in row[len(keys) :]] for row in conn.execute(query)}


def test_a_period_read_through_blocks_sums_what_its_days_sum(engine: Engine) -> None:
    rng = random.Random(31)
    with engine.begin() as conn:
        _fill_days(conn, rng)
        for shop in (1, 2):
            regroup_spans(conn, shop, [FIRST + timedelta(days=i) for i in range(DAYS)])
    with engine.connect() as conn:
        for _ in range(12):
            first = FIRST + timedelta(days=rng.randrange(DAYS))
            last = first + timedelta(days=rng.choice((0, 1, 6, 29, 30, 90, 200)))
            for shop_ids in (None, [2]):
                for daily, span in t.SPANS:
                    assert _by_cover(conn, span, first, last, shop_ids) == _by_days(
                        conn, daily, span, first, last, shop_ids
                    ), (span.name, first, last, shop_ids)


def test_the_migration_fills_the_blocks_of_an_existing_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = _alembic_config(engine)
    command.upgrade(config, "0023")  # before the blocks
    with engine.begin() as conn:
        _fill_days(conn, random.Random(5))
    command.upgrade(config, "0024")
    with engine.connect() as conn:
        _assert_blocks_are_their_days(conn)
    engine.dispose()
