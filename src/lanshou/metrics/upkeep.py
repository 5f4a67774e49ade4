"""Keeping the metric rollups current: the use cases behind the import subscriber, `lanshou metrics
rebuild` and the periodic upkeep job.

After a write the subscriber brings the rollups up to date at once (a command returns with them current),
unless the writer handed the work to the job workers (`rollups_handed_to`: the API's batch ingest, whose
callers wait for durability, not for dashboards): then the `metrics.catch_up` job is queued instead, at
most one waiting at a time, and a worker derives every order marked when it starts. The marks are
committed with the orders, so nothing is lost if no job runs: the five-minute upkeep takes them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import Engine

from lanshou.metrics.packs import pack_for
from lanshou.metrics.rollups import anything_marked, rebuild, refresh
from lanshou.progress import track

CATCH_UP_JOB = "metrics.catch_up"
log = logging.getLogger("lanshou.metrics")
_hand_off: ContextVar[Callable[[], None] | None] = ContextVar("rollups_hand_off", default=None)


@contextmanager
def rollups_handed_to(nudge: Callable[[], None]) -> Iterator[None]:
    """Within the block (this thread or task), writes' rollups are left to `nudge` (e.g.
    `queue_catch_up`) instead of being derived here."""
    token = _hand_off.set(nudge)
    try:
        yield
    finally:
        _hand_off.reset(token)


def after_writes(engine: Engine) -> None:
    """The subscriber's part after a commit: derive the marked orders now, or hand them off."""
    nudge = _hand_off.get()
    if nudge is None:
        bring_rollups_up_to_date(engine)
        return
    try:
        nudge()
    except Exception as exc:  # the marks are committed: the periodic upkeep derives them
        log.warning("could not queue %s (the five-minute upkeep will derive them): %s", CATCH_UP_JOB, exc)


def queue_catch_up() -> None:
    """Queue the catch-up job on the configured queue (nothing when one already waits)."""
    from lanshou.jobs import configured_queue

    configured_queue().enqueue(CATCH_UP_JOB)


def bring_rollups_up_to_date(engine: Engine) -> int:
    """Re-derive every order marked dirty; returns how many were."""
    with track("updating metric rollups / 更新指标") as tick:
        return refresh(engine, pack_for, tick)


def catch_up_alongside(engine: Engine, stopping: Callable[[], bool]) -> int:
    """Derive what writers have committed so far, in this one process (a bulk import's helper, beside
    its writer: lanshou.intake.alongside, which asks again and again); returns how many orders."""
    if not anything_marked(engine):  # nothing committed to derive yet: no rollup lock taken for nothing
        return 0
    return refresh(engine, pack_for, two_processes=False, stopping=stopping)


def rebuild_rollups(engine: Engine) -> int:
    """Derive every order again (after a rule-pack or shop-timezone change); returns how many."""
    with track("rebuilding metric rollups / 重建指标") as tick:
        return rebuild(engine, pack_for, tick)
