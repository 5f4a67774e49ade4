"""Batch look-ups join on a key set (lanshou.db.keyset): every stored key given is found once, whatever its
characters, and rollup deltas merge by adding to the stored counts (bulk.upsert add=), on both databases."""

from __future__ import annotations

from datetime import date, datetime

import psycopg.errors
from sqlalchemy import Engine, and_, select

from lanshou import schema as s
from lanshou.db.bulk import upsert
from lanshou.db.engine import RANDOM_PAGE_COST, is_transient
from lanshou.db.keyset import ORDER_KEY, SEPARATOR, TRACKING_NO, keyset
from lanshou.db.pg_copy import COPY_MIN_ROWS

ODD = ["A-1", "", "引号\"'\\", f"sep{SEPARATOR}in", "12345", " spaced ", "NULL"]
NEVER = date(9999, 12, 31)


def test_a_key_set_finds_every_stored_key_once_whatever_its_characters(engine: Engine) -> None:
    link = s.parcel_orders
    with engine.begin() as conn:
        shops = [{"id": 1, "platform": "tmall", "name": "一"}, {"id": 2, "platform": "jd", "name": "二"}]
        conn.execute(s.shops.insert(), shops)
        conn.execute(link.insert(), [{"tracking_no": "T", "shop_id": shop, "order_no": n}
                                     for shop in (1, 2) for n in ODD])  # fmt: skip
    wanted = [(1, n) for n in ODD] + [(1, "missing"), (2, "A-1"), (1, "A-1")]  # a repeat, a missing one
    with engine.connect() as conn:
        k = keyset(conn, wanted, ORDER_KEY)
        on = and_(link.c.shop_id == k.c.shop_id, link.c.order_no == k.c.order_no)
        found = conn.execute(select(link.c.shop_id, link.c.order_no).join(k, on)).all()
        assert sorted(map(tuple, found)) == sorted({(1, n) for n in ODD} | {(2, "A-1")})
        empty = keyset(conn, [], ORDER_KEY)
        assert (
            conn.execute(select(link.c.order_no).join(empty, link.c.order_no == empty.c.order_no)).all() == []
        )


def test_a_single_column_key_set(engine: Engine) -> None:
    t = s.parcel_state
    now = datetime(2026, 11, 30)
    with engine.begin() as conn:
        conn.execute(
            t.insert(), [{"tracking_no": n, "carrier": "zto", "updated_at": now} for n in ("T1", "T2", "T3")]
        )
    with engine.connect() as conn:
        k = keyset(conn, [("T1",), ("T3",), ("T3",), ("nope",)], TRACKING_NO)
        found = conn.execute(select(t.c.tracking_no).join(k, t.c.tracking_no == k.c.tracking_no)).scalars()
        assert sorted(found) == ["T1", "T3"]


def test_upsert_adds_to_the_counts_of_stored_keys(engine: Engine) -> None:
    columns = ("shop_id", "pay_day", "negative_eday", "n")
    keys, add = columns[:3], ("n",)
    days = [date(2026, 11, d) for d in range(1, 29)]
    batch = [(1, d, NEVER, 2) for d in days] + [(2, d, NEVER, 5) for d in days]
    assert len(batch) >= COPY_MIN_ROWS  # the PostgreSQL run merges through COPY, the first batch does not
    with engine.begin() as conn:
        upsert(conn, s.rollup_feedback, [(1, d, NEVER, 1) for d in days], keys, columns=columns, add=add)
        upsert(conn, s.rollup_feedback, batch, keys, columns=columns, add=add)
        upsert(conn, s.rollup_feedback, [(1, days[0], NEVER, -3)], keys, columns=columns, add=add)
    with engine.connect() as conn:
        f = s.rollup_feedback
        counts = {(r.shop_id, r.pay_day): r.n for r in conn.execute(select(f.c.shop_id, f.c.pay_day, f.c.n))}
    assert counts == {(1, days[0]): 0, **{(1, d): 3 for d in days[1:]}, **{(2, d): 5 for d in days}}


def test_postgres_sessions_price_index_probes_for_cached_data(engine: Engine) -> None:
    """Priced at the default 4, the planner hashed whole tables for a key look-up (lanshou.db.engine)."""
    with engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"  # SQLite: its own pragmas
            return
        source = conn.exec_driver_sql(
            "SELECT source FROM pg_settings WHERE name = 'random_page_cost'"
        ).scalar()
        cost = conn.exec_driver_sql("SHOW random_page_cost").scalar()
    assert cost == str(RANDOM_PAGE_COST) or source not in ("default", "session")


def test_a_unique_violation_raised_by_copy_is_retried() -> None:
    """COPY runs on psycopg's own cursor: its errors arrive unwrapped, and a concurrent import's duplicate
    key must be retried like the wrapped one."""
    assert is_transient(psycopg.errors.UniqueViolation("duplicate key"))
    assert not is_transient(psycopg.errors.NotNullViolation("null value"))
    assert not is_transient(ValueError("not a database error"))


def test_review_cursors_with_an_offset_name_the_instant_not_the_wall_time() -> None:
    from datetime import datetime

    from lanshou.review.paging import QueuePosition, ReadyPosition

    queue = QueuePosition.from_cursor({"s": "held", "p": 1, "b": "2026-11-02T09:00:00+08:00", "i": 5})
    assert queue is not None and queue.ship_by == datetime(2026, 11, 2, 1, 0)
    ready = ReadyPosition.from_cursor(
        {"p": 1, "b": "2026-11-02T09:00:00+08:00", "d": "2026-11-02T09:00:00-05:00", "i": 5}
    )
    assert ready is not None and (ready.ship_by, ready.pickup) == (
        datetime(2026, 11, 2, 1),
        datetime(2026, 11, 2, 14),
    )
    naive = QueuePosition.from_cursor({"s": "held", "p": 1, "b": "2026-11-02T09:00:00", "i": 5})
    assert naive is not None and naive.ship_by == datetime(2026, 11, 2, 9)  # as_cursor writes UTC, naive
    assert QueuePosition.from_cursor({"s": "held", "p": 1, "b": "0001-01-01T00:00:00+08:00", "i": 5}) is None
