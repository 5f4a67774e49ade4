"""Catching up beside a bulk import: the subscribers that work from committed marks (the metric rollups,
lanshou.events' `alongside` handlers) run in a forked child on what the import has committed so far, while
the import stores its next batches; its settle then finds only the last batches left.

An import alone keeps about one and a half of two cores busy (the forked parser, the writer, the database
server, each waiting on the next at times); the child uses the rest. Measured (bench/import, PostgreSQL,
100k order lines and their 364k tracking events, back to back): `lanshou import orders` end to end 7.0 ->
6.0 s, `lanshou import tracking` 12.5-12.6 -> 10.6-11.1 s.

PostgreSQL only: SQLite takes one writer at a time, so the child's writes wait for the import's and delay
them (measured, 200k lines into SQLite: 9.8 -> 11.5 s end to end). The child starts with the second batch
(a file of one batch has nothing to overlap), only from a main thread (a fork from a server's thread could
inherit a lock another thread holds), has its own engine (the parent's pooled connections stay the
parent's, untouched), and is asked to stop once the last batch is stored: it returns between two of its
transactions. It also stops when its parent is gone (an import killed outright runs no `finally`).
Whatever it leaves, or fails at (logged), stays marked for the import's own settle; a fork that fails is
logged and the import goes on without it.

Between its passes the child waits for the import to commit its next batch (`committed()`): nothing of
the import's is there to find before (other writers' marks are their own settles'). It looked every 50 ms:
hundreds of look-ups of the marks during an import of issue 9's file, two queries and a connection ping
each; without them, three interleaved pairs on PostgreSQL spent 0.2-0.7 CPU-s less in the child (the
same wall clock within the host's swings).
"""

from __future__ import annotations

import gc
import logging
import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event

from sqlalchemy import Engine

from lanshou.db.engine import make_engine
from lanshou.events import Alongside, EventBus
from lanshou.forked import can_fork_here
from lanshou.gc_pause import own_process

ORPHAN_CHECK_SECONDS = 1.0  # a child waiting for the next commit looks at least this often for its parent
STOP_WAIT_SECONDS = 60.0  # a pass returns between transactions; this is only a guard against a hung child
log = logging.getLogger("lanshou.intake")


class CatchUpAlongside:
    """`start()` forks the child (once, when it is worth it); `stop()` asks it to stop and waits for it;
    `caught_up` then says how many items its handlers caught up with."""

    def __init__(self, engine: Engine, events: EventBus) -> None:
        self._engine = engine
        self._handlers = events.alongside_handlers
        self._tried = False
        self._child: mp.process.BaseProcess | None = None  # a started child
        self._stop: Event | None = None
        self._committed: Event | None = None  # set by the import after each batch it commits, and to stop
        self._done: Synchronized[int] | None = None

    def start(self) -> None:
        if self._tried or not self._handlers or not self._worth_it():
            return
        self._tried = True  # one try: a fork that failed is not tried again for every batch
        try:
            context = mp.get_context("fork")
            self._stop, self._committed = context.Event(), context.Event()
            self._done = context.Value("q", 0)
            url = self._engine.url.render_as_string(hide_password=False)
            args = (url, self._handlers, self._stop, self._committed, self._done, os.getpid())
            child = context.Process(target=_catch_up_until_stopped, args=args, daemon=True)
            child.start()
        except (OSError, ValueError) as exc:  # no fork, no memory, no semaphores: the settle does it all
            log.warning("no catch-up beside the import (the import's settle does it all): %s", exc)
            return
        self._child = child

    def committed(self) -> None:
        """The import committed a batch: a child waiting for work looks for it now."""
        if self._committed is not None:
            self._committed.set()

    def stop(self) -> None:
        if self._child is None or self._stop is None or self._committed is None:
            return
        self._stop.set()
        self._committed.set()  # a child waiting for the next commit wakes to stop
        self._child.join(STOP_WAIT_SECONDS)
        if self._child.is_alive():
            log.warning("the catch-up beside the import did not stop; ended (its marks stay)")
            self._child.kill()
            self._child.join()

    @property
    def caught_up(self) -> int:
        return 0 if self._done is None else int(self._done.value)

    def _worth_it(self) -> bool:
        return self._engine.dialect.name == "postgresql" and can_fork_here()


def _catch_up_until_stopped(
    url: str,
    handlers: Sequence[Alongside],
    stop: Event,
    committed: Event,
    done: Synchronized[int],
    parent: int,
) -> None:
    own_process()  # forked inside the import's paused loop (lanshou.gc_pause.paused_for_batches)
    gc.freeze()  # what the child inherited is never garbage: its collections walk only what it makes
    engine = make_engine(url)
    stopping = _stopping(stop, parent)
    try:
        while not stopping():
            found = 0
            for handler in handlers:
                found += handler(engine, stopping)
            done.value += found
            if not found:  # cleared before the next look: a commit meanwhile is seen by it, or wakes it
                committed.wait(ORPHAN_CHECK_SECONDS)
                committed.clear()
    except Exception as exc:  # the import's own settle does what is left
        log.warning(
            "the catch-up beside the import stopped early (the import's settle does the rest): %s", exc
        )
    finally:
        engine.dispose()


def _stopping(stop: Event, parent: int) -> Callable[[], bool]:
    """Asked to stop, or orphaned: a parent killed outright (SIGKILL, the OOM killer) stops nothing, and
    the child would otherwise go on polling (and keep the parser's pipe open) for good."""
    return lambda: stop.is_set() or os.getppid() != parent
