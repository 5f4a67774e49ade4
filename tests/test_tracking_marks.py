"""Which parcels a batch of carrier events marks for the metric rollups: only those whose journey may have
changed. Events already stored, and events after a delivery other than a return, change no metric input,
so they derive nothing again; the rollups still equal the recompute on both databases (the merged-parcel
case of test_merged_parcels, imported through the real importers)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine

from lanshou.events import EventBus, ParcelEventsArrived
from lanshou.intake.tracking import import_tracking
from lanshou.metrics import subscriptions
from lanshou.tracking.record import record_events
from tests.test_merged_parcels import EVENTS, load, report, write_events


def row(number: str, when: datetime, status: str | None) -> dict[str, object]:
    return {"tracking_no": number, "carrier": "zto", "event_time": when, "status": status,
            "raw_status": status or "", "location": "", "description": ""}  # fmt: skip


def told(engine: Engine, batch: list[dict[str, object]]) -> ParcelEventsArrived:
    bus = EventBus()
    arrived: list[ParcelEventsArrived] = []
    bus.during(ParcelEventsArrived, lambda _conn, event: arrived.append(event))
    with engine.begin() as conn:
        record_events(conn, batch, bus)
    (event,) = arrived
    return event


def test_only_parcels_whose_journey_changed_are_told(engine: Engine) -> None:
    t = datetime(2026, 11, 1, 8)
    first = [row("A", t, "picked_up"), row("A", t.replace(day=2), "delivered"), row("B", t, "picked_up")]
    assert told(engine, first).journey_changed == ("A", "B")
    assert told(engine, first).journey_changed == ()  # all stored already
    after = [
        row("A", t.replace(day=3), "in_transit"),  # after A's delivery: nothing changes
        row("A", t.replace(day=4), None),  # unreadable, after delivery: nothing either
        row("B", t.replace(day=3), "in_transit"),  # B is not delivered: its gaps changed
    ]
    event = told(engine, after)
    assert event.tracking_nos == ("A", "B")  # every parcel is still told (notifications, after-sales)
    assert event.journey_changed == ("B",)
    assert told(engine, [row("A", t.replace(day=5), "returned")]).journey_changed == ("A",)
    assert told(engine, [row("A", t.replace(day=1, hour=7), "info_received")]).journey_changed == ("A",)


def test_a_batch_repeating_stored_events_tells_only_the_parcels_that_got_a_new_one(engine: Engine) -> None:
    t = datetime(2026, 11, 1, 8)
    first = [row("A", t, "picked_up"), row("B", t, "picked_up"), row("C", t, "picked_up")]
    told(engine, first)
    newer = [*first, row("B", t.replace(day=2), "in_transit")]  # a later export: B moved, A and C did not
    assert told(engine, newer).journey_changed == ("B",)
    assert told(engine, newer).journey_changed == ()


@pytest.fixture
def marked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tracking numbers the metrics subscriber marks for re-derivation (then marked as before)."""
    seen: list[str] = []
    mark = subscriptions.mark_tracking_dirty

    def spy(conn: Connection, numbers: tuple[str, ...]) -> None:
        seen.extend(numbers)
        mark(conn, numbers)

    monkeypatch.setattr(subscriptions, "mark_tracking_dirty", spy)
    return seen


def test_a_reimport_marks_nothing_and_the_rollups_stay_the_recompute(
    engine: Engine, tmp_path: Path, marked: list[str]
) -> None:
    load(engine, tmp_path)
    assert sorted(set(marked)) == ["TM", "TS1", "TS2", "TX", "TY"]
    before = report(engine)
    marked.clear()
    again = import_tracking(engine, write_events(tmp_path / "again.csv", EVENTS), rejects=tmp_path / "r.csv")
    assert again.inserted == 0
    assert marked == []
    assert report(engine) == before


def test_events_after_delivery_and_a_return_keep_the_rollups_exact(
    engine: Engine, tmp_path: Path, marked: list[str]
) -> None:
    load(engine, tmp_path)
    before = report(engine)
    marked.clear()
    late = [("TM", "zto", "11-04 09:00", "in_transit"), ("TM", "zto", "11-04 10:00", "delivered")]
    import_tracking(engine, write_events(tmp_path / "late.csv", late), rejects=tmp_path / "r.csv")
    assert marked == []  # after TM's delivery: nothing to derive again
    assert report(engine) == before  # the same figures, and equal to the recompute
    returned = [("TX", "zto", "11-08 09:00", "returned")]
    import_tracking(engine, write_events(tmp_path / "ret.csv", returned), rejects=tmp_path / "r.csv")
    assert marked == ["TX"]
    (shop,) = report(engine)["shops"]  # equal to the recompute (checked in report) and moved:
    assert shop["delivery_hours"]["count"] == before["shops"][0]["delivery_hours"]["count"] - 1


def test_a_later_export_repeating_an_earlier_one_marks_the_parcels_it_moved(
    engine: Engine, tmp_path: Path, marked: list[str]
) -> None:
    """A daily tracking export repeats every event of the earlier one: only a parcel whose journey a new
    event changes is derived again (TX, a scan before its delivery), not the parcels of the same batch that
    got none, nor TS1, whose new scan came after its delivery; the rollups stay the recompute."""
    load(engine, tmp_path)
    marked.clear()
    later = [*EVENTS, ("TS1", "yto", "11-04 16:00", "in_transit")]
    import_tracking(engine, write_events(tmp_path / "later.csv", later), rejects=tmp_path / "r.csv")
    assert marked == []  # TS1 was delivered already: a later scan changes nothing
    earlier_scan = [*EVENTS, ("TX", "zto", "11-05 20:00", "in_transit")]  # before TX's delivery: its gaps
    import_tracking(engine, write_events(tmp_path / "gap.csv", earlier_scan), rejects=tmp_path / "r.csv")
    assert marked == ["TX"]
    report(engine)  # the rollups are still exactly the recompute
