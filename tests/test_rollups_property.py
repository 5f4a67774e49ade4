"""Property: rollups kept up to date by deltas always equal a full recompute from the raw rows.

The referee is the pure engine (lanshou.metrics.compute.compute_report) over the raw rows. Data arrives in
random order — orders (some sharing a parcel: 合并发货, some in two: 拆单), then some tracking events and
feedback, rollups refreshed, then the rest (late and out-of-order events, a parcel moved from one order to
another, an order cancelled) — and the report from the rollups must equal the raw recompute for any
as-of day and window, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, delete, select

from lanshou import schema as s
from lanshou.db.engine import make_engine
from lanshou.metrics.compare import report_differences
from lanshou.metrics.packs import pack_for
from lanshou.metrics.report import metrics_report
from lanshou.metrics.rollups import mark_dirty, mark_tracking_dirty, refresh
from lanshou.tracking.rebuild import rebuild_states
from tests.metric_data import BASE, Data, shop_data, write, write_parcels, write_shops


def load_in_phases(engine: Engine, data: Data, split: int) -> None:
    """Orders and part of the events/feedback first (rollups refreshed), the rest later, shuffled, then
    newer exports that move parcels between orders (refreshed after each phase)."""
    with engine.begin() as conn:
        write_shops(conn)
        write(conn, s.orders, data.orders)
        write(conn, s.order_lines, data.lines)
        write_parcels(conn, data.parcels)
        write(conn, s.tracking_events, data.events[split:])
        write(conn, s.feedback, data.feedback[split:])
        mark_dirty(conn, [(o["shop_id"], o["order_no"]) for o in data.orders])
    rebuild_states(engine)  # raw events written: their parcels' states, as recording them keeps
    refresh(engine, pack_for)
    with engine.begin() as conn:
        write(conn, s.tracking_events, data.events[:split])
        write(conn, s.feedback, data.feedback[:split])
        mark_tracking_dirty(conn, {e["tracking_no"] for e in data.events[:split]})  # resolved by refresh
        mark_dirty(conn, [(f["shop_id"], f["order_no"]) for f in data.feedback[:split]])
        # an order changes status after the first refresh (cancelled after the fact)
        if data.orders:
            first = data.orders[0]
            conn.execute(
                s.orders.update()
                .where(s.orders.c.shop_id == first["shop_id"], s.orders.c.order_no == first["order_no"])
                .values(status="cancelled")
            )
            mark_dirty(conn, [(first["shop_id"], first["order_no"])])
    rebuild_states(engine)
    refresh(engine, pack_for)
    with engine.begin() as conn:
        newer_exports(conn, data)
    refresh(engine, pack_for)


def newer_exports(conn: Connection, data: Data) -> None:
    """Newer exports: one order of a merged parcel no longer names it (only that order is marked, as the
    import marks the orders it stores), and another parcel moves to the last order of its shop (a
    corrected number: both orders are in the newer export, both marked)."""
    links = s.parcel_orders.c
    carried: dict[tuple[int, str], list[str]] = {}
    for p in data.parcels:
        carried.setdefault((p["shop_id"], p["tracking_no"]), []).append(p["order_no"])
    merged = next(((key, sorted(nos)) for key, nos in carried.items() if len(nos) > 1), None)
    if merged is not None:
        (shop_id, tracking_no), (smallest, *_) = merged
        unlink(conn, shop_id, tracking_no, smallest)
        mark_dirty(conn, [(shop_id, smallest)])
    others = [p for p in data.parcels if merged is None or (p["shop_id"], p["tracking_no"]) != merged[0]]
    if not others:
        return
    first = others[0]
    shop_id, tracking_no = first["shop_id"], first["tracking_no"]
    last = [o["order_no"] for o in data.orders if o["shop_id"] == shop_id][-1]
    unlink(conn, shop_id, tracking_no, first["order_no"])
    if not conn.execute(
        select(links.order_no).where(
            links.tracking_no == tracking_no, links.shop_id == shop_id, links.order_no == last
        )
    ).first():
        write(conn, s.parcel_orders, [{"tracking_no": tracking_no, "shop_id": shop_id, "order_no": last}])
    mark_dirty(conn, [(shop_id, first["order_no"]), (shop_id, last)])


def unlink(conn: Connection, shop_id: int, tracking_no: str, order_no: str) -> None:
    links = s.parcel_orders.c
    conn.execute(
        delete(s.parcel_orders).where(
            links.tracking_no == tracking_no, links.shop_id == shop_id, links.order_no == order_no
        )
    )


def check(engine: Engine, data: Data, split: int, as_of: date, window: int) -> None:
    load_in_phases(engine, data, split)
    from_rollups = metrics_report(engine, as_of, window, source="rollups")
    from_raw = metrics_report(engine, as_of, window, source="raw")  # the pure engine over raw rows
    from_rollups.pop("source"), from_raw.pop("source")
    assert report_differences(from_rollups, from_raw) == []


as_of_days = st.integers(min_value=1, max_value=30).map(lambda n: (BASE + timedelta(days=n)).date())


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=shop_data(),
    split=st.integers(min_value=0, max_value=20),
    as_of=as_of_days,
    window=st.integers(min_value=1, max_value=30),
)
def test_rollups_equal_full_recompute(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    data: Data,
    split: int,
    as_of: date,
    window: int,
) -> None:
    engine = _fresh(backend, request, tmp_path_factory)
    try:
        check(engine, data, split, as_of, window)
    finally:
        engine.dispose()


def _fresh(backend: str, request: pytest.FixtureRequest, tmp: pytest.TempPathFactory) -> Engine:
    if backend == "sqlite":
        path = tmp.mktemp("prop") / "lanshou.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return make_engine(f"sqlite:///{Path(path)}")
    engine = make_engine(request.getfixturevalue("pg_database"))
    with engine.begin() as conn:
        for table in reversed(s.metadata.sorted_tables):
            conn.execute(delete(table))
    return engine
