"""Bulk writes (dicts or tuples, the driver's own adaptation on SQLite) store what SQLAlchemy Core stores."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Connection, Engine, func, select

from lanshou import schema as s
from lanshou.db import pg_copy
from lanshou.db.bulk import insert_new, insert_new_returning, insert_rows, upsert

COLUMNS = ("shop_id", "order_no", "line_key", "sku", "title", "category", "quantity", "unit_price")
KEY = ["shop_id", "tracking_no"]


def _line(order_no: str, price: Decimal | None) -> dict[str, object]:
    return dict(zip(COLUMNS, (1, order_no, "k", "SKU", "杯", "", 2, price), strict=True))


def test_dicts_tuples_and_core_store_the_same_values(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(s.shops.insert(), {"id": 1, "platform": "tmall", "name": "店"})
        conn.execute(s.order_lines.insert(), _line("core", Decimal("12.50")))
        insert_rows(conn, s.order_lines, [_line("dict", Decimal("12.50"))])
        insert_rows(conn, s.order_lines, [tuple(_line("tuple", Decimal("12.50")).values())], COLUMNS)
        parcel = {"shop_id": 1, "carrier": "zto", "tracking_no": "T1"}
        times = [datetime(2026, 11, 1, 2, 5), datetime(2026, 11, 1, 2, 5, 0, 123456)]
        for n, when in enumerate(times):  # whole seconds too: stored with ".000000", as Core does
            conn.execute(s.parcels.insert(), {**parcel, "tracking_no": f"C{n}", "shipped_at": when})
            upsert(conn, s.parcels, [{**parcel, "tracking_no": f"B{n}", "shipped_at": when}], KEY)
    with engine.connect() as conn:
        prices = conn.execute(select(s.order_lines.c.order_no, s.order_lines.c.unit_price)).all()
        shipped = dict(conn.execute(select(s.parcels.c.tracking_no, s.parcels.c.shipped_at)).all())
        # the same text on SQLite: a comparison in SQL finds the bulk row by the Core row's time
        same = conn.execute(
            select(s.parcels.c.tracking_no).where(s.parcels.c.shipped_at == times[0]).order_by("tracking_no")
        ).scalars()
        assert list(same) == ["B0", "C0"]
    assert sorted(prices) == [
        ("core", Decimal("12.50")),
        ("dict", Decimal("12.50")),
        ("tuple", Decimal("12.50")),
    ]
    assert shipped == {"C0": times[0], "B0": times[0], "C1": times[1], "B1": times[1]}


def test_days_flags_and_nulls_are_stored_as_core_stores_them(engine: Engine) -> None:
    """The driver's adapters for dates (each day formatted once), bools and None store Core's values: the
    same day twice and two days in turn come back as given, flags as flags, NULL as NULL."""
    mo = s.metric_orders
    days = [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 1)]
    rows = [
        {"shop_id": 1, "order_no": f"B{n}", "pay_day": day, "pickup_on_time": n == 1, "closed": None}
        for n, day in enumerate(days)
    ]
    with engine.begin() as conn:
        conn.execute(mo.insert(), [{**row, "order_no": f"C{n}"} for n, row in enumerate(rows)])
        insert_rows(conn, mo, rows)
    with engine.connect() as conn:
        read = conn.execute(select(mo.c.order_no, mo.c.pay_day, mo.c.pickup_on_time, mo.c.closed)).all()
        if conn.dialect.name == "sqlite":  # the stored values themselves, not only what reading makes of them
            raw = "SELECT order_no, pay_day, pickup_on_time, typeof(closed) FROM metric_orders ORDER BY 1"
            stored = conn.exec_driver_sql(raw).all()
            assert [tuple(r[1:]) for r in stored[:3]] == [tuple(r[1:]) for r in stored[3:]]
            assert stored[3][1:] == ("2026-11-01", 0, "null")
    by_order = {order_no: rest for order_no, *rest in read}
    for n, day in enumerate(days):
        assert by_order[f"B{n}"] == by_order[f"C{n}"] == [day, n == 1, None]


def test_insert_new_counts_only_new_rows_and_updates_nothing(engine: Engine) -> None:
    columns = ("tracking_no", "shop_id", "order_no")
    with engine.begin() as conn:
        conn.execute(s.shops.insert(), {"id": 1, "platform": "tmall", "name": "店"})
        assert insert_new(conn, s.parcel_orders, [("T", 1, "a"), ("T", 1, "b")], columns, columns) == 2
        assert insert_new(conn, s.parcel_orders, [("T", 1, "b"), ("T", 1, "c")], columns, columns) == 1
        stored = conn.execute(select(s.parcel_orders.c.order_no).order_by("order_no")).scalars()
        assert list(stored) == ["a", "b", "c"]


@pytest.mark.parametrize("size", [3, 120], ids=["statements", "copy"])  # PostgreSQL: RETURNING / COPY
def test_insert_new_returning_gives_the_rows_that_were_new(engine: Engine, size: int) -> None:
    events, key = s.tracking_events, ("tracking_no", "event_time", "raw_status")
    columns = ("tracking_no", "carrier", "event_time", "status", "raw_status", "location", "description")
    at = datetime(2026, 11, 1, 8)

    def event(number: str) -> tuple[object, ...]:
        return (number, "zto", at, "in_transit", "运输中", "", "")

    first = [event(f"T{i}") for i in range(size)]
    later = [*first[1:], event("X"), event("Y")]  # a later file: two new among the stored
    with engine.begin() as conn:
        assert insert_new_returning(conn, events, first, key, ["tracking_no"], columns) is None  # all new
        assert insert_new_returning(conn, events, first, key, ["tracking_no"], columns) == []
        new = insert_new_returning(conn, events, later, key, ["tracking_no", "event_time"], columns)
        assert new == [("X", at), ("Y", at)]
        assert insert_new_returning(conn, events, [], key, ["tracking_no"], columns) == []
        stored = conn.execute(select(func.count()).select_from(events)).scalar_one()
    assert stored == size + 2


def _parcels(prefix: str, n: int, carrier: str) -> list[dict[str, object]]:
    shipped = datetime(2026, 11, 1, 2, 5, 0, 123456)
    return [
        {
            "shop_id": 1,
            "carrier": carrier,
            "tracking_no": f"{prefix}{i}",
            "shipped_at": shipped,
        }
        for i in range(n)
    ]


def test_large_batches_take_the_copy_path_with_the_same_meaning(engine: Engine) -> None:
    """Batches of 50+ rows go through COPY and a staging merge on PostgreSQL: duplicates inside a batch act
    as one statement per row would (update: last wins; do-nothing: first wins), counts are of new rows."""
    with engine.begin() as conn:
        conn.execute(s.shops.insert(), {"id": 1, "platform": "tmall", "name": "店"})
        insert_rows(conn, s.parcels, _parcels("A", 60, "zto"))
        upsert(
            conn,
            s.parcels,
            [*_parcels("A", 60, "yto"), *_parcels("A", 60, "sf")],
            KEY,
            ["carrier"],
        )
        upsert(conn, s.parcels, [*_parcels("B", 60, "jd"), *_parcels("B", 60, "ems")], KEY)
        keys = ("tracking_no", "shop_id", "order_no")
        links = s.parcel_orders
        assert insert_new(conn, links, [("T", 1, f"o{i % 70}") for i in range(140)], keys, keys) == 70
        assert insert_new(conn, links, [("T", 1, f"o{i}") for i in range(60, 130)], keys, keys) == 60
    with engine.connect() as conn:
        carriers = dict(conn.execute(select(s.parcels.c.tracking_no, s.parcels.c.carrier)).all())
        shipped = set(conn.execute(select(s.parcels.c.shipped_at)).scalars())
        dirty = conn.execute(select(s.parcel_orders.c.order_no)).scalars().all()
    assert {carriers[f"A{i}"] for i in range(60)} == {"sf"}
    assert {carriers[f"B{i}"] for i in range(60)} == {"jd"}
    assert shipped == {datetime(2026, 11, 1, 2, 5, 0, 123456)}
    assert len(dirty) == 130


def test_new_rows_are_copied_straight_and_a_batch_with_a_stored_row_is_merged(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: a batch of new rows is COPYed straight into the table; one holding a stored row fails
    that COPY inside a savepoint (what the transaction wrote before stays) and is merged through the staging
    table, and so is the next batch without a try; the one after is tried straight again."""
    copies: list[str] = []
    real_copy = pg_copy._copy

    def copy(conn: Connection, target: str, columns: object, rows: object) -> None:
        copies.append("stage" if target.startswith('"stage_') else target.strip('"'))
        real_copy(conn, target, columns, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(pg_copy, "_copy", copy)
    monkeypatch.setattr(pg_copy, "_merges_before_straight", {})
    monkeypatch.setattr(pg_copy, "STRAIGHT_AFTER_FAILURE", 1)
    keys, links = ("tracking_no", "shop_id", "order_no"), s.parcel_orders

    def batch(number: str, first: int, last: int) -> list[tuple[object, ...]]:
        return [(number, 1, f"o{i}") for i in range(first, last)]

    with engine.begin() as conn:
        conn.execute(s.shops.insert(), {"id": 1, "platform": "tmall", "name": "店"})
        assert insert_new(conn, links, batch("A", 0, 60), keys, keys) == 60
        assert insert_new(conn, links, batch("A", 59, 120), keys, keys) == 60  # A/o59 is stored
        assert insert_new(conn, links, batch("B", 0, 60), keys, keys) == 60
        assert insert_new(conn, links, batch("C", 0, 60), keys, keys) == 60
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(links)).scalar_one()
    assert stored == 240
    if engine.dialect.name == "postgresql":
        assert copies == ["parcel_orders", "parcel_orders", "stage", "stage", "parcel_orders"]
    else:
        assert copies == []  # SQLite: statements


def test_a_rolled_back_batch_leaves_the_next_one_working(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(s.shops.insert(), {"id": 1, "platform": "tmall", "name": "店"})
    try:
        with engine.begin() as conn:
            upsert(conn, s.parcels, _parcels("A", 60, "zto"), KEY, ["carrier"])
            raise RuntimeError("crash mid-batch")
    except RuntimeError:
        pass
    with engine.begin() as conn:
        upsert(conn, s.parcels, _parcels("A", 60, "yto"), KEY, ["carrier"])
    with engine.connect() as conn:
        assert set(conn.execute(select(s.parcels.c.carrier)).scalars()) == {"yto"}


def _versions(conn: Connection) -> dict[str, object]:
    """Each parcel's row version: PostgreSQL's xmin changes with every write of the row; SQLite has none,
    so there the database's count of changed rows stands in (one number for the table)."""
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql("SELECT tracking_no, xmin::text FROM parcels")
        return dict(rows.all())  # type: ignore[arg-type]
    return {"changes": conn.exec_driver_sql("SELECT total_changes()").scalar_one()}


@pytest.mark.parametrize("size", [3, 60])  # statements, and COPY with a staging merge on PostgreSQL
def test_an_upsert_leaves_rows_that_would_not_change_unwritten(engine: Engine, size: int) -> None:
    with engine.begin() as conn:
        conn.execute(s.shops.insert(), {"id": 1, "platform": "tmall", "name": "店"})
        upsert(conn, s.parcels, _parcels("A", size, "zto"), KEY, ["carrier", "shipped_at"])
    with engine.begin() as conn:
        before = _versions(conn)
        upsert(conn, s.parcels, _parcels("A", size, "zto"), KEY, ["carrier", "shipped_at"])  # the same again
        assert _versions(conn) == before
        changed = [*_parcels("A", 1, "sf"), *_parcels("A", size, "zto")[1:]]
        upsert(conn, s.parcels, changed, KEY, ["carrier", "shipped_at"])
        after = _versions(conn)
        if conn.dialect.name == "postgresql":
            assert {k for k in after if after[k] != before[k]} == {"A0"}  # only the row that changed
        else:
            assert after != before
    with engine.connect() as conn:
        carriers = dict(conn.execute(select(s.parcels.c.tracking_no, s.parcels.c.carrier)).all())
    assert carriers["A0"] == "sf" and {carriers[f"A{i}"] for i in range(1, size)} == {"zto"}
