"""Orders an import creates are derived as they are stored, from what the store wrote (no read back, no mark),
and what that derives is what a rebuild from the raw tables derives: every derived row and rollup, on SQLite
and PostgreSQL, with orders first or carrier events first; orders of the batch sharing a parcel (合并发货)
together. Orders it cannot derive so (a parcel stored before, or shared with an order that was) are marked
and derived by the refresh, as before."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from lanshou import schema as s
from lanshou.db.bulk import last_id
from lanshou.db.engine import lock_exclusively, make_engine, run_transaction
from lanshou.events import CreatedOrder, EventBus, OrdersChanged
from lanshou.intake import orders as intake_orders
from lanshou.intake.tracking import import_tracking
from lanshou.metrics import rollups, subscriptions
from lanshou.metrics.packs import pack_for
from lanshou.metrics.rollups import LOCK, mark_dirty, rebuild
from tests.conftest import _truncate_all
from tests.metric_data import derived_rows
from tests.test_merged_parcels import ORDERS, load, order_rows, report, write_events, write_orders

# beside the merged and split parcels of test_merged_parcels: orders with a parcel of their own (one paid
# and scanned, one never scanned, one never paid, one presale) and one with no parcel at all
ALONE = [
    ("A1", "shipped", "11-03 09:58", "11-03 10:00", "江苏省", "SKU-1", "zto", "TA1", "11-03 12:00"),
    ("A2", "paid", "11-04 09:58", "11-04 10:00", "江苏省", "SKU-2", "yto", "TA2", ""),
    ("A3", "cancelled", "11-04 11:00", "", "江苏省", "SKU-1", "zto", "TA3", "11-04 12:00"),
    ("A4", "paid", "11-06 09:00", "11-06 09:01", "", "SKU-3", "", "", ""),
]  # fmt: skip


@pytest.fixture
def derived_at_once(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The order numbers the import derived as it stored them."""
    found: list[str] = []
    real = subscriptions.derive_created

    def spy(conn: Any, created: Any, rules_for: Any) -> set[tuple[int, str]]:
        keys = real(conn, created, rules_for)
        found.extend(order_no for _, order_no in keys)
        return keys

    monkeypatch.setattr(subscriptions, "derive_created", spy)
    yield found


def marks(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM metric_dirty_orders")).scalar_one())


@pytest.mark.parametrize("tracking_first", [False, True], ids=["orders-then-tracking", "tracking-first"])
def test_created_orders_derive_as_a_rebuild_does(
    engine: Engine, tmp_path: Path, derived_at_once: list[str], tracking_first: bool
) -> None:
    load(engine, tmp_path, tracking_first)  # the merged and split parcels, and their events
    more = write_orders(tmp_path / "more.csv", order_rows(ALONE))
    assert intake_orders.import_orders(engine, more, rejects=tmp_path / "rej.csv").ok
    # S1 travels in two parcels of its own; the A orders in one or none; M/X/Y share a parcel each, all new
    assert sorted(derived_at_once) == ["A1", "A2", "A3", "A4", "M1", "M2", "S1", "X1", "X2", "Y1", "Y2"]
    assert marks(engine) == 0
    report(engine)  # the rollups' report is the recompute's
    as_imported = derived_rows(engine, counted_only=True)
    assert len(as_imported["metric_orders"]) == 11  # 7 orders of the merged case and 4 alone
    rebuild(engine, pack_for, two_processes=False)
    assert derived_rows(engine, counted_only=True) == as_imported


def test_a_parcel_stored_before_its_order_is_left_to_the_refresh(
    engine: Engine, tmp_path: Path, derived_at_once: list[str]
) -> None:
    """An order naming a parcel another order's record stored first is marked, not derived at once (the
    parcel counts under the smaller paid order of the two), and both end as a rebuild derives them."""
    scanned = write_events(tmp_path / "tracking.csv", [("TA1", "zto", "11-03 20:00", "picked_up")])
    assert import_tracking(engine, scanned, rejects=tmp_path / "rej_t.csv").ok
    first = write_orders(tmp_path / "first.csv", order_rows([ALONE[0]]))
    assert intake_orders.import_orders(engine, first, rejects=tmp_path / "rej.csv").ok
    joined = ("A0", "shipped", "11-03 09:00", "11-03 09:30", "浙江省", "SKU-2", "zto", "TA1", "11-03 12:00")
    second = write_orders(tmp_path / "second.csv", order_rows([joined]))
    assert intake_orders.import_orders(engine, second, rejects=tmp_path / "rej2.csv").ok
    assert derived_at_once == ["A1"]
    report(engine)
    as_imported = derived_rows(engine, counted_only=True)
    with engine.connect() as conn:
        counted = conn.execute(text("SELECT order_no, province FROM metric_parcels")).all()
    assert [tuple(row) for row in counted] == [("A0", "浙江省")]
    rebuild(engine, pack_for, two_processes=False)
    assert derived_rows(engine, counted_only=True) == as_imported


# a second file after ALONE's A1: B1 names A1's stored parcel TA1 and a new one, TB, which C1 names too;
# D1 and E1 (no province) share TD, whose scan came first; G1 names TG, which F1 names after its own TF
SHARED = [
    ("B1", "paid", "11-04 09:00", "11-04 09:05", "江苏省", "SKU-1", "zto", "TA1", "11-04 12:00"),
    ("B1", "paid", "11-04 09:00", "11-04 09:05", "江苏省", "SKU-2", "yto", "TB", "11-04 12:00"),
    ("C1", "paid", "11-04 09:30", "11-04 09:35", "浙江省", "SKU-1", "yto", "TB", ""),
    ("D1", "paid", "11-05 09:00", "11-05 09:05", "浙江省", "SKU-1", "zto", "TD", "11-05 12:00"),
    ("E1", "paid", "11-05 08:00", "11-05 08:05", "", "SKU-1", "", "TD", ""),
    ("G1", "paid", "11-06 09:00", "11-06 09:05", "江苏省", "SKU-1", "yto", "TG", ""),
    ("F1", "paid", "11-06 10:00", "11-06 10:05", "江苏省", "SKU-1", "sto", "TF", ""),
    ("F1", "paid", "11-06 10:00", "11-06 10:05", "江苏省", "SKU-2", "yto", "TG", ""),
]  # fmt: skip


def test_orders_sharing_a_parcel_are_derived_together_or_left_together(
    engine: Engine, tmp_path: Path, derived_at_once: list[str]
) -> None:
    """New orders sharing a new parcel are derived as stored, the parcel counted under the smaller paid one
    at its province, each order's parcels in the order first stored (F1's first is G1's TG: its carrier when
    nothing is scanned); a new order naming a stored parcel is left to the refresh, and so is every new order
    sharing a parcel with it (C1). Everything ends as a rebuild derives it."""
    scanned = write_events(tmp_path / "tracking.csv", [("TD", "zto", "11-05 20:00", "picked_up")])
    assert import_tracking(engine, scanned, rejects=tmp_path / "rej_t.csv").ok
    first = write_orders(tmp_path / "first.csv", order_rows([ALONE[0]]))
    assert intake_orders.import_orders(engine, first, rejects=tmp_path / "rej.csv").ok
    second = write_orders(tmp_path / "second.csv", order_rows(SHARED))
    assert intake_orders.import_orders(engine, second, rejects=tmp_path / "rej2.csv").ok
    assert sorted(derived_at_once) == ["A1", "D1", "E1", "F1", "G1"]
    assert marks(engine) == 0  # B1, C1 and A1 (its parcel gained an order) were derived by the refresh
    report(engine)
    as_imported = derived_rows(engine, counted_only=True)
    with engine.connect() as conn:
        counted = conn.execute(text("SELECT tracking_no, order_no, province FROM metric_parcels")).all()
        carriers = dict(conn.execute(text("SELECT order_no, carrier FROM metric_orders")).all())
    assert [tuple(row) for row in counted] == [("TD", "D1", "浙江省")]
    assert carriers["F1"] == "yto" and carriers["E1"] == "zto"
    rebuild(engine, pack_for, two_processes=False)
    assert derived_rows(engine, counted_only=True) == as_imported


@pytest.fixture
def pg_engine(pg_database: str) -> Iterator[Engine]:
    engine = make_engine(pg_database)
    _truncate_all(engine)
    yield engine
    engine.dispose()


def test_a_writer_finding_the_rollup_lock_taken_marks_instead(
    pg_engine: Engine, tmp_path: Path, derived_at_once: list[str]
) -> None:
    """PostgreSQL (SQLite's write transaction is the lock: a writer always holds it): another process
    deriving holds the rollup lock; the import does not wait for it, it marks its new orders, and its
    refresh (once the lock is free) derives them."""
    engine = pg_engine
    path = write_orders(tmp_path / "orders.csv", order_rows(ALONE))
    with engine.connect() as other, other.begin():
        lock_exclusively(other, LOCK)
        events = intake_orders.bus
        settle = events.settle
        events.settle = lambda engine: None  # type: ignore[method-assign]  # the refresh would wait
        try:
            assert intake_orders.import_orders(engine, path, rejects=tmp_path / "rej.csv").ok
        finally:
            events.settle = settle  # type: ignore[method-assign]
        assert derived_at_once == []
        assert marks(engine) == 4
    intake_orders.bus.settle(engine)
    assert marks(engine) == 0
    report(engine)
    as_imported = derived_rows(engine, counted_only=True)
    rebuild(engine, pack_for, two_processes=False)
    assert derived_rows(engine, counted_only=True) == as_imported


def test_the_merged_case_keeps_its_hand_computed_numbers(
    engine: Engine, tmp_path: Path, derived_at_once: list[str]
) -> None:
    load(engine, tmp_path)
    counts = report(engine)["all"]
    assert counts["pay_to_pickup"]["on_time"] == 4 and counts["pay_to_pickup"]["late"] == 2
    assert "S1" in derived_at_once
    assert len({row[0] for row in ORDERS}) == 7


def test_a_refresh_snapshot_from_before_the_order_existed_leaves_it_as_the_import_derived_it(
    engine: Engine, tmp_path: Path, derived_at_once: list[str]
) -> None:
    """Feedback that came before its order marked it; a two-process refresh's snapshot then found no such
    order. An import creates it meanwhile and derives it at once (no mark of its own): the snapshot's
    batch must leave it alone, not delete what the import derived (its mark stays for the rounds that end
    the refresh, which find the order)."""
    first = write_orders(tmp_path / "first.csv", order_rows([ALONE[1]]))  # the shop exists from here on
    assert intake_orders.import_orders(engine, first, rejects=tmp_path / "rej.csv").ok
    with engine.begin() as conn:
        shop_id = conn.execute(text("SELECT id FROM shops")).scalar_one()
        mark_dirty(conn, [(shop_id, "A1")])  # as an import of feedback for an order not stored yet does
    with engine.connect() as conn:
        upto = last_id(conn, s.metric_dirty_orders)
    batch = rollups._derived_from_snapshot(engine, pack_for, 0, upto, set())
    assert batch is not None
    _, marks_seen, derived = batch
    assert list(marks_seen) == [(shop_id, "A1")] and not derived.orders  # no such order in the snapshot
    later = write_orders(tmp_path / "later.csv", order_rows([ALONE[0]]))
    events = intake_orders.bus
    settle = events.settle
    events.settle = lambda engine: None  # type: ignore[method-assign]  # the snapshot's batch writes first
    try:
        assert intake_orders.import_orders(engine, later, rejects=tmp_path / "rej2.csv").ok
    finally:
        events.settle = settle  # type: ignore[method-assign]
    assert derived_at_once == ["A2", "A1"]
    assert run_transaction(engine, partial(rollups._write_still_marked, pack_for, marks_seen, derived)) == 0
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT count(*) FROM metric_orders WHERE order_no = 'A1'")).scalar_one()
    assert kept == 1
    intake_orders.bus.settle(engine)  # the import's own settle: the mark left behind, derived again
    assert marks(engine) == 0
    report(engine)
    as_refreshed = derived_rows(engine, counted_only=True)
    rebuild(engine, pack_for, two_processes=False)
    assert derived_rows(engine, counted_only=True) == as_refreshed


def test_after_handlers_get_the_change_without_the_created_orders() -> None:
    """The created orders ride to the during-handlers only: a long import does not keep them all pending."""
    events = EventBus()
    during: list[int] = []
    after: list[Any] = []
    events.during(OrdersChanged, lambda conn, event: during.append(len(event.created)))
    events.after((OrdersChanged,), lambda engine, pending: after.extend(pending))
    order = CreatedOrder((1, "A"), "paid", "2026-11-01 00:00:00.000000", None, False, None, "", (), ())
    events.publish(None, OrdersChanged(((1, "A"),), (order,)))  # type: ignore[arg-type]
    events.settle(None)  # type: ignore[arg-type]
    assert during == [1]
    assert after == [OrdersChanged(((1, "A"),))]
