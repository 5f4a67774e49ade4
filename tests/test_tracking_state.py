"""The parcel state folded from events: any order, any repeats, the same state; each change told once."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from lanshou.tracking.state import EventFacts, ParcelState, advance
from lanshou.tracking.status import TrackingStatus as T

T0 = datetime(2026, 11, 1, 8, 0)
JOURNEY = [
    EventFacts(T0, T.INFO_RECEIVED, "zto"),
    EventFacts(T0 + timedelta(hours=4), T.PICKED_UP, "zto"),
    EventFacts(T0 + timedelta(hours=10), None, "zto"),  # a text nothing could read
    EventFacts(T0 + timedelta(hours=20), T.IN_TRANSIT, "zto"),
    EventFacts(T0 + timedelta(hours=30), T.IN_TRANSIT, "zto"),
    EventFacts(T0 + timedelta(hours=40), T.OUT_FOR_DELIVERY, "zto"),
    EventFacts(T0 + timedelta(hours=44), T.DELIVERED, "zto"),
]


def fold(batches: list[list[EventFacts]]) -> tuple[ParcelState, list[tuple[T, T | None]]]:
    state: ParcelState | None = None
    told = []
    for batch in batches:
        state, changes = advance("ZT1", state, batch)
        told += [(c.status, c.previous) for c in changes]
    assert state is not None
    return state, told


def test_a_journey_in_order() -> None:
    state, told = fold([JOURNEY])
    assert state.status == T.DELIVERED
    assert state.pickup_at == T0 + timedelta(hours=4)
    assert state.delivered_at == T0 + timedelta(hours=44)
    assert state.last_event_at == T0 + timedelta(hours=44)
    assert state.status_at == T0 + timedelta(hours=44)
    assert state.finished
    assert told == [
        (T.INFO_RECEIVED, None),
        (T.PICKED_UP, T.INFO_RECEIVED),
        (T.IN_TRANSIT, T.PICKED_UP),
        (T.OUT_FOR_DELIVERY, T.IN_TRANSIT),
        (T.DELIVERED, T.OUT_FOR_DELIVERY),
    ]


def test_an_unreadable_event_is_a_sign_of_life_but_never_a_scan() -> None:
    state, told = fold([[EventFacts(T0, T.INFO_RECEIVED), EventFacts(T0 + timedelta(hours=5), None)]])
    assert state.pickup_at is None
    assert state.status == T.INFO_RECEIVED
    assert state.last_event_at == T0 + timedelta(hours=5)
    assert told == [(T.INFO_RECEIVED, None)]


def test_a_late_old_event_fixes_times_but_tells_no_change() -> None:
    state, told = fold([JOURNEY[3:5], JOURNEY[:2]])  # transit first, then the pickup arrives late
    assert state.status == T.IN_TRANSIT
    assert state.pickup_at == T0 + timedelta(hours=4)
    assert state.status_at == T0 + timedelta(hours=20)  # entered transit then, seen last at +30 h
    assert state.status_seen_at == T0 + timedelta(hours=30)
    assert told == [(T.IN_TRANSIT, None)]


def test_a_late_event_between_known_ones_is_history_not_news() -> None:
    exception_between = EventFacts(T0 + timedelta(hours=25), T.EXCEPTION)
    state, told = fold([JOURNEY[3:5], [exception_between]])
    assert state.status == T.IN_TRANSIT
    assert told == [(T.IN_TRANSIT, None)]


def test_same_second_events_go_by_journey_stage() -> None:
    at = T0 + timedelta(hours=1)
    state, _ = fold([[EventFacts(at, T.DELIVERED), EventFacts(at, T.OUT_FOR_DELIVERY)]])
    assert state.status == T.DELIVERED


@settings(max_examples=60, deadline=None)
@given(st.permutations(JOURNEY), st.integers(1, 4), st.lists(st.sampled_from(JOURNEY), max_size=4))
def test_any_order_and_repeats_give_the_same_state(
    shuffled: list[EventFacts], cuts: int, repeats: list[EventFacts]
) -> None:
    events = shuffled + repeats
    size = max(1, len(events) // cuts)
    batches = [events[i : i + size] for i in range(0, len(events), size)]
    expected, _ = fold([JOURNEY])
    state, told = fold(batches)
    assert (state.status, state.pickup_at, state.delivered_at, state.last_event_at, state.status_seen_at) == (
        expected.status,
        expected.pickup_at,
        expected.delivered_at,
        expected.last_event_at,
        expected.status_seen_at,
    )
    assert len(told) == len({(s, p) for s, p in told})  # each change told at most once
    assert told[-1][0] == T.DELIVERED and told[0][1] is None
