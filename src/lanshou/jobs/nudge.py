"""Nudges passed on once writes pause: a burst of writes asks for one job after it, not one per write.

The API's batch ingest hands each batch's rollups to the `metrics.catch_up` job. Queued after every batch,
the job would derive while the burst goes on, and on a machine the API shares with the database and the
workers that CPU comes out of the answers (2 cores: ingest alone ~10k orders/s, with the derivation beside
it ~6k). `QuietNudge` passes the nudge on `quiet` seconds after the last write, or `at_most` seconds after
the first one it holds back, whichever comes first: a burst is answered at full speed and derived right
after it; a stream that never pauses is derived at least every `at_most` seconds. A nudge that fails (the
queue unreachable) is held again and tried `at_most` seconds later; what it would have queued stays marked
in the database meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("lanshou.jobs")


class QuietNudge:
    """Call it after each write (any thread); it calls `nudge` once writes pause (see the module)."""

    def __init__(
        self,
        nudge: Callable[[], None],
        quiet: float = 1.0,
        at_most: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.nudge = nudge
        self.quiet = quiet
        self.at_most = at_most
        self.clock = clock
        self._changed = threading.Condition()
        self._first: float | None = None  # the first write held back, None: nothing held
        self._last = 0.0
        self._waiter: threading.Thread | None = None
        self._not_before = 0.0  # after a failed pass-on: not again before this

    def __call__(self) -> None:
        with self._changed:
            self._hold(self.clock())
            if self._waiter is None:
                waiter = threading.Thread(target=self._wait, name="lanshou-nudge", daemon=True)
                waiter.start()  # raises before it is taken for the waiter: the next call tries again
                self._waiter = waiter

    def flush(self) -> None:
        """Pass on what is held back now and wait for a pass-on under way (a server shutting down)."""
        with self._changed:
            held, self._first = self._first is not None, None
            waiter = self._waiter
            self._changed.notify()
        if held:
            self._pass_on()
        if waiter is not None:
            waiter.join(timeout=10)

    def _hold(self, now: float) -> None:
        self._last = now
        if self._first is None:
            self._first = now

    def _wait(self) -> None:
        while True:
            with self._changed:
                if self._first is None:
                    self._waiter = None
                    return
                due = max(min(self._last + self.quiet, self._first + self.at_most), self._not_before)
                wait = due - self.clock()
                if wait > 0:
                    self._changed.wait(wait)
                    continue
                self._first = None
            if not self._pass_on():
                with self._changed:  # held again, tried `at_most` seconds later (the queue may be back)
                    now = self.clock()
                    self._not_before = now + self.at_most
                    self._hold(now)

    def _pass_on(self) -> bool:
        try:
            self.nudge()
        except Exception:
            log.exception("nudge failed (tried again in %.0f s)", self.at_most)
            return False
        return True
