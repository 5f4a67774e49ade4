"""QuietNudge: a burst of writes asks for one job after it; a stream that never pauses at least every
`at_most` seconds; a failed nudge is tried again later; a shutdown passes on what is held back.

Real threads and clocks: the assertions allow for a loaded machine stalling the calling loop (a stall as long
as `quiet` is a pause, and may be passed on: counted, not failed)."""

from __future__ import annotations

import logging
import threading
import time
from itertools import pairwise

import pytest

from lanshou.jobs.nudge import QuietNudge


class Calls:
    def __init__(self) -> None:
        self.times: list[float] = []
        self.done = threading.Event()

    def __call__(self) -> None:
        self.times.append(time.monotonic())
        self.done.set()


def call_for(nudge: QuietNudge, seconds: float, every: float = 0.005) -> list[float]:
    """Call `nudge` every `every` seconds for `seconds`; the time just before each call."""
    starts: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        starts.append(time.monotonic())
        nudge()
        time.sleep(every)
    return starts


def pauses(starts: list[float], quiet: float) -> int:
    """How many gaps between calls were as long as `quiet`: the pass-ons a stalled loop allows mid-burst."""
    return sum(1 for a, b in pairwise(starts) if b - a >= quiet)


def test_a_burst_is_passed_on_once_after_it_pauses() -> None:
    calls = Calls()
    nudge = QuietNudge(calls, quiet=0.15, at_most=10.0)
    starts = call_for(nudge, 0.4)
    assert calls.done.wait(5)
    time.sleep(0.4)
    assert 1 <= len(calls.times) <= 1 + pauses(starts, 0.15)
    assert calls.times[-1] >= starts[-1] + 0.15  # not before a quiet spell after the last call
    passed_on = len(calls.times)
    nudge()  # a later write is held back again, and passed on
    deadline = time.monotonic() + 5
    while len(calls.times) == passed_on and time.monotonic() < deadline:
        time.sleep(0.01)
    assert calls.times[-1] > starts[-1] + 0.4


def test_a_stream_that_never_pauses_is_passed_on_at_least_every_at_most_seconds() -> None:
    calls = Calls()
    nudge = QuietNudge(calls, quiet=0.2, at_most=0.25)
    starts = call_for(nudge, 1.3)
    assert 2 <= len(calls.times) <= 6 + pauses(starts, 0.2)  # ~5: every 0.25 s while calls keep coming


def test_flush_passes_on_what_is_held_back_and_nothing_else() -> None:
    calls = Calls()
    nudge = QuietNudge(calls, quiet=60.0, at_most=60.0)
    nudge.flush()
    assert calls.times == []
    nudge()
    nudge.flush()
    assert len(calls.times) == 1


def test_a_failed_nudge_is_logged_and_tried_again_later(caplog: pytest.LogCaptureFixture) -> None:
    calls = Calls()
    failed: list[float] = []

    def flaky() -> None:
        if not failed:
            failed.append(time.monotonic())
            raise ConnectionError("queue down")
        calls()

    nudge = QuietNudge(flaky, quiet=0.05, at_most=0.3)
    with caplog.at_level(logging.ERROR, "lanshou.jobs"):
        nudge()  # no further write: the retry comes by itself
        assert calls.done.wait(5)
    assert "nudge failed" in caplog.text and len(calls.times) == 1
    assert calls.times[0] - failed[0] >= 0.3


def test_a_waiter_that_could_not_start_is_started_by_the_next_call(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = Calls()
    nudge = QuietNudge(calls, quiet=0.05, at_most=1.0)
    original = threading.Thread.start

    def no_thread(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", no_thread)
    with pytest.raises(RuntimeError):
        nudge()
    monkeypatch.setattr(threading.Thread, "start", original)
    nudge()
    assert calls.done.wait(5) and len(calls.times) == 1
