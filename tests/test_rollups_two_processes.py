"""The refresh in two processes, each deriving from a read snapshot while the other writes
(lanshou.metrics.rollups): it leaves what the one-process refresh leaves, and an order another refresh took
after a batch's snapshot is never written from that older snapshot."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from lanshou import schema as s
from lanshou.db.bulk import last_id
from lanshou.db.engine import run_transaction
from lanshou.demo.generator import DemoConfig
from lanshou.demo.writer import write_demo
from lanshou.events import EventBus
from lanshou.forked import can_fork
from lanshou.metrics import rollups
from lanshou.metrics.compare import report_differences
from lanshou.metrics.packs import pack_for
from lanshou.metrics.report import metrics_report
from tests.metric_data import derived_rows

END = date(2026, 11, 21)
pytestmark = pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")


def _demo(engine: Engine) -> None:
    """Demo orders with parcels and events, derived by nobody yet (a bus with no subscribers)."""
    write_demo(engine, DemoConfig(orders=600, days=20, seed=5, end=END, batch_orders=300), events=EventBus())


def _assert_rollups_equal_raw(engine: Engine) -> None:
    for as_of in (END + timedelta(days=1), END - timedelta(days=6)):
        from_rollups = metrics_report(engine, as_of, source="rollups")
        raw = metrics_report(engine, as_of, source="raw")
        from_rollups.pop("source"), raw.pop("source")
        assert report_differences(from_rollups, raw) == []


def _marks(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(s.metric_dirty_orders)).scalar_one())


def test_two_processes_derive_what_one_process_derives(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _demo(engine)
    monkeypatch.setattr(rollups, "BATCH", 70)  # several batches through the pipe
    assert rollups.rebuild(engine, pack_for, two_processes=False) == 600
    one = derived_rows(engine)
    assert rollups.rebuild(engine, pack_for, two_processes=True) == 600
    assert derived_rows(engine) == one
    assert _marks(engine) == 0
    _assert_rollups_equal_raw(engine)


def test_an_order_another_refresh_took_is_not_written_from_the_older_snapshot(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _demo(engine)
    monkeypatch.setattr(rollups, "BATCH", 1000)  # the whole demo in the child's first batch
    run_transaction(engine, rollups._clear_and_mark_all)
    with engine.connect() as conn:
        upto = last_id(conn, s.metric_dirty_orders)
        shop_id, order_no = conn.execute(
            select(s.orders.c.shop_id, s.orders.c.order_no)
            .where(s.orders.c.status == "paid", s.orders.c.paid_at.is_not(None))
            .order_by(s.orders.c.id)
        ).first()  # type: ignore[misc]
    # a batch derived from this snapshot, then (below) written after another refresh took one of its orders
    batch = rollups._derived_from_snapshot(engine, pack_for, 0, upto, set())
    assert batch is not None
    _, marks, derived = batch
    assert derived.orders[(shop_id, order_no)]["closed"] is False
    # meanwhile the order is cancelled, and another refresh derives it from the newer facts
    with engine.begin() as conn:
        conn.execute(
            update(s.orders)
            .where(s.orders.c.shop_id == shop_id, s.orders.c.order_no == order_no)
            .values(status="cancelled")
        )
        rollups.mark_dirty(conn, [(shop_id, order_no)])

    def another_refresh_takes_the_order(conn: Any) -> None:
        keys = [(shop_id, order_no)]
        ids = rollups._mark_ids(conn, keys)
        rollups.write_derived(conn, rollups.derive_orders(conn, keys, pack_for), pack_for)
        rollups._delete_ids(conn, s.metric_dirty_orders, ids)

    run_transaction(engine, another_refresh_takes_the_order)
    written = run_transaction(engine, partial(rollups._write_still_marked, pack_for, marks, derived))
    assert written == len(derived.keys) - 1  # every order but the one taken
    with engine.connect() as conn:
        closed = conn.execute(
            select(s.metric_orders.c.closed).where(
                s.metric_orders.c.shop_id == shop_id, s.metric_orders.c.order_no == order_no
            )
        ).scalar_one()
    assert closed is True  # the newer derivation stands
    assert _marks(engine) == 0
    _assert_rollups_equal_raw(engine)


def test_a_parcel_of_two_orders_is_derived_again_when_written(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parcel carrying two orders (合并发货) counts under the smaller paid one, with its province: when
    only the other order is in a batch and the counted one changes meanwhile, the batch must not write
    the parcel as its snapshot saw it (nothing marks the batch's order again)."""
    _demo(engine)
    rollups.rebuild(engine, pack_for, two_processes=False)
    link, o = s.parcel_orders, s.orders
    with engine.connect() as conn:
        merged = conn.execute(
            select(link.c.shop_id, link.c.tracking_no, func.min(link.c.order_no), func.max(link.c.order_no))
            .select_from(link.join(o, (o.c.shop_id == link.c.shop_id) & (o.c.order_no == link.c.order_no)))
            .where(o.c.paid_at.is_not(None), link.c.tracking_no.in_(select(s.metric_parcels.c.tracking_no)))
            .group_by(link.c.shop_id, link.c.tracking_no)
            .having(func.count() == 2)
        ).first()
    assert merged is not None, "the demo has merged parcels"
    shop_id, tracking_no, counted, other = merged
    with engine.begin() as conn:
        rollups.mark_dirty(conn, [(shop_id, other)])
    with engine.connect() as conn:
        upto = last_id(conn, s.metric_dirty_orders)
    batch = rollups._derived_from_snapshot(engine, pack_for, 0, upto, set())
    assert batch is not None
    _, marks, derived = batch
    assert derived.keys == [(shop_id, other)]
    assert derived.parcels[(shop_id, tracking_no)]["order_no"] == counted  # type: ignore[index]
    with engine.begin() as conn:  # the counted order moves, and another refresh derives it (and the parcel)
        keys = [(shop_id, counted)]
        where = (o.c.shop_id == shop_id) & (o.c.order_no == counted)
        conn.execute(update(o).where(where).values(province="测试省"))
        rollups.mark_dirty(conn, keys)
    rollups.refresh(engine, pack_for, two_processes=False)  # the marks of both: the other's was there too
    with engine.begin() as conn:
        rollups.mark_dirty(conn, [(shop_id, other)])  # the batch's own mark again, as if never taken
        marks = {(shop_id, other): rollups._mark_ids(conn, [(shop_id, other)])}
    run_transaction(engine, partial(rollups._write_still_marked, pack_for, marks, derived))
    with engine.connect() as conn:
        province = conn.execute(
            select(s.metric_parcels.c.province).where(
                s.metric_parcels.c.shop_id == shop_id, s.metric_parcels.c.tracking_no == tracking_no
            )
        ).scalar_one()
    assert province == "测试省"
    _assert_rollups_equal_raw(engine)


def test_mark_ids_are_never_reused(engine: Engine) -> None:
    """The two-process refresh recognises the marks a snapshot saw by id (SQLite: migration 0030)."""
    for table, row in ((s.metric_dirty_orders, {"shop_id": 1, "order_no": "A"}),
                       (s.metric_dirty_tracking, {"tracking_no": "T"})):  # fmt: skip
        with engine.begin() as conn:
            conn.execute(table.insert(), [row, row, row])
            newest = conn.execute(select(func.max(table.c.id))).scalar_one()
            conn.execute(table.delete())  # a refresh took them all (or a rebuild cleared them)
            conn.execute(table.insert(), [row])
            assert conn.execute(select(table.c.id)).scalar_one() > newest
