"""Progress of long jobs: a use case reports it, whichever face runs the job shows it (or nobody does)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar

Tick = Callable[[int], None]  # called with the number of items done so far
Reporter = Callable[[str, int | None], AbstractContextManager[Tick]]  # (description, total) -> ticks

_reporter: ContextVar[Reporter | None] = ContextVar("lanshou_progress", default=None)


@contextmanager
def track(description: str, total: int | None = None) -> Iterator[Tick]:
    reporter = _reporter.get()
    if reporter is None:
        yield lambda done: None
        return
    with reporter(description, total) as tick:
        yield tick


@contextmanager
def shown_by(reporter: Reporter) -> Iterator[None]:
    """Show every job's progress through `reporter` while the block runs."""
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)
