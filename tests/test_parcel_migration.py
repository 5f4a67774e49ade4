"""Revision 0007 (parcels carry orders) on a database holding data, SQLite and PostgreSQL: written at 0004
and upgraded, and at head downgraded and upgraded again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, inspect, select, text

from lanshou import schema as s
from lanshou.db.engine import _alembic_config, make_engine
from lanshou.metrics.compare import report_differences
from lanshou.metrics.packs import pack_for
from lanshou.metrics.report import metrics_report
from lanshou.metrics.rollups import refresh
from tests.conftest import IN_CI, PG_ADMIN_URL, _pg_reachable
from tests.test_merged_parcels import load

# At 0004 a parcel row names its one order. A travels in T1 and T2 (T2 scanned first), B in T3, C (unpaid)
# in T4. Local Shanghai times: A paid 11-01 10:00, T2 scanned 11-01 20:00 (on time), T1 11-02 12:00 (26 h);
# B paid 11-01 11:00, T3 scanned 11-02 12:00 (25 h: late). As of 11-10: M1 one on time, one late.
AT_0004 = """
INSERT INTO shops (id, platform, name, timezone) VALUES (1, 'douyin', '老店', 'Asia/Shanghai');
INSERT INTO orders (shop_id, order_no, status, created_at, paid_at, province, updated_at) VALUES
 (1, 'A', 'shipped', '2026-11-01 01:55:00', '2026-11-01 02:00:00', '浙江省', '2026-11-01 02:00:00'),
 (1, 'B', 'shipped', '2026-11-01 02:55:00', '2026-11-01 03:00:00', '江苏省', '2026-11-01 03:00:00'),
 (1, 'C', 'pending_payment', '2026-11-01 03:55:00', NULL, '广东省', '2026-11-01 03:55:00');
INSERT INTO order_lines (shop_id, order_no, line_key, sku, category, quantity) VALUES
 (1, 'A', '1', 'S1', '食品', 1), (1, 'A', '2', 'S2', '食品', 1), (1, 'B', '1', 'S1', '食品', 1),
 (1, 'C', '1', 'S1', '食品', 1);
INSERT INTO parcels (shop_id, order_no, carrier, tracking_no, shipped_at) VALUES
 (1, 'A', 'zto', 'T1', '2026-11-01 03:00:00'), (1, 'A', 'yto', 'T2', '2026-11-01 03:00:00'),
 (1, 'B', 'zto', 'T3', '2026-11-01 04:00:00'), (1, 'C', 'zto', 'T4', NULL);
INSERT INTO tracking_events (tracking_no, event_time, status, raw_status) VALUES
 ('T1', '2026-11-02 04:00:00', 'picked_up', '1'), ('T2', '2026-11-01 12:00:00', 'picked_up', '1'),
 ('T2', '2026-11-02 12:00:00', 'delivered', '3'), ('T3', '2026-11-02 04:00:00', 'picked_up', '1');
INSERT INTO metric_dirty (shop_id, order_no) VALUES (1, 'A'), (1, 'B'), (1, 'C');
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database with no schema at all (Alembic builds it revision by revision)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    problem = _pg_reachable()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI but unreachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    name = f"lanshou_migration_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def exact(engine: Engine, as_of: date = date(2026, 11, 10)) -> dict:  # type: ignore[type-arg]
    rollups = metrics_report(engine, as_of, source="rollups")
    raw = metrics_report(engine, as_of, source="raw")
    rollups.pop("source"), raw.pop("source")
    assert report_differences(rollups, raw) == []
    return rollups


def rows(engine: Engine, query: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return sorted(tuple(row) for row in conn.execute(text(query)))


def test_parcels_written_at_0004_become_links(empty: Engine) -> None:
    config = _alembic_config(empty)
    command.upgrade(config, "0004")
    with empty.begin() as conn:
        for statement in filter(str.strip, AT_0004.split(";")):
            conn.execute(text(statement))
    command.upgrade(config, "head")
    assert "order_no" not in {c["name"] for c in inspect(empty).get_columns("parcels")}
    links = rows(empty, "SELECT tracking_no, shop_id, order_no FROM parcel_orders")
    assert links == [("T1", 1, "A"), ("T2", 1, "A"), ("T3", 1, "B"), ("T4", 1, "C")]
    assert rows(empty, "SELECT tracking_no, carrier FROM parcels") == [
        ("T1", "zto"),
        ("T2", "yto"),
        ("T3", "zto"),
        ("T4", "zto"),
    ]
    assert rows(empty, "SELECT shop_id, order_no FROM metric_dirty_orders") == [(1, "A"), (1, "B"), (1, "C")]
    refresh(empty, pack_for)  # the marks made at 0004 are derived at head
    (shop,) = exact(empty)["shops"]
    assert shop["pay_to_pickup"] == {"on_time": 1, "late": 1, "undecided": 0, "rate": 0.5}  # A at T2's scan
    assert shop["delivery_hours"]["count"] == 1 and shop["tracking_freshness"]["parcels"] == 3


def test_a_downgrade_keeps_the_counted_order_of_each_parcel_and_marks_the_others(
    empty: Engine, tmp_path: Path
) -> None:
    config = _alembic_config(empty)
    command.upgrade(config, "head")
    load(empty, tmp_path)  # tests/test_merged_parcels.py: TM carries M1 and M2, TX X1 and X2, TY Y1 and Y2
    before = exact(empty)
    command.downgrade(config, "0004")
    # one order per parcel: the paid one with the smallest number (the one its derived row names)
    kept = rows(empty, "SELECT tracking_no, order_no FROM parcels")
    assert kept == [("TM", "M1"), ("TS1", "S1"), ("TS2", "S1"), ("TX", "X1"), ("TY", "Y2")]
    assert rows(empty, "SELECT order_no FROM metric_dirty") == [("M2",), ("X2",), ("Y1",)]  # lost a parcel
    command.upgrade(config, "0022")  # 0023 marks every open order again for its queue rows: look before it
    with empty.connect() as conn:
        marked = conn.execute(select(s.metric_dirty_orders.c.order_no)).scalars().all()
    assert sorted(marked) == ["M2", "X2", "Y1"]
    command.upgrade(config, "head")
    assert (
        metrics_report(empty, date(2026, 11, 10), source="rollups")["all"]["delivery_hours"]
        == before["all"]["delivery_hours"]
    )  # the parcels' derived rows stayed valid through both migrations
    refresh(empty, pack_for)
    after = exact(empty)["all"]
    assert after["pay_to_pickup"]["late"] == before["all"]["pay_to_pickup"]["late"] + 1  # M2: no parcel now
