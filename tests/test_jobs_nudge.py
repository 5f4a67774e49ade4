"""QuietNudge: a burst of writes asks for one job after it; a stream that never pauses at least every
`at_most` seconds; a shutdown passes on what is held back."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from lanshou.jobs.nudge import QuietNudge


class Calls:
    def __init__(self) -> None:
        self.times: list[float] = []
        self.done = threading.Event()

    def __call__(self) -> None:
        self.times.append(time.monotonic())
        self.done.set()


def calls_for(nudge: QuietNudge, seconds: float, every: float = 0.005) -> float:
    """Call `nudge` every `every` seconds for `seconds`; the time of the last call."""
    end = time.monotonic() + seconds
    last = time.monotonic()
    while last < end:
        nudge()
        last = time.monotonic()
        time.sleep(every)
    return last


def test_a_burst_is_passed_on_once_after_it_pauses() -> None:
    calls = Calls()
    nudge = QuietNudge(calls, quiet=0.1, at_most=10.0)
    last = calls_for(nudge, 0.3)
    assert calls.done.wait(5)
    time.sleep(0.3)
    assert len(calls.times) == 1
    assert calls.times[0] - last >= 0.09  # not before the quiet second (here 0.1 s) after the last call
    nudge()  # a later write is held back again, and passed on
    time.sleep(0.5)
    assert len(calls.times) == 2


def test_a_stream_that_never_pauses_is_passed_on_at_least_every_at_most_seconds() -> None:
    calls = Calls()
    nudge = QuietNudge(calls, quiet=0.2, at_most=0.25)
    calls_for(nudge, 1.2)
    assert 2 <= len(calls.times) <= 5  # ~4: every 0.25 s while calls keep coming, never a pause of 0.2 s


def test_flush_passes_on_what_is_held_back_and_nothing_else() -> None:
    calls = Calls()
    nudge = QuietNudge(calls, quiet=60.0, at_most=60.0)
    nudge.flush()
    assert calls.times == []
    nudge()
    nudge.flush()
    assert len(calls.times) == 1


def test_a_failing_nudge_is_logged_and_the_next_burst_still_passed_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = Calls()
    failures = iter([True])

    def flaky() -> None:
        if next(failures, False):
            raise ConnectionError("queue down")
        calls()

    nudge = QuietNudge(flaky, quiet=0.05, at_most=1.0)
    with caplog.at_level(logging.ERROR, "lanshou.jobs"):
        nudge()
        time.sleep(0.3)
        nudge()
        assert calls.done.wait(5)
    assert "nudge failed" in caplog.text and len(calls.times) == 1
