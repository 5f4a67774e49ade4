"""Batches run with Python's cyclic garbage collector paused.

A batch (2,000 orders derived, a few thousand lines stored) allocates hundreds of thousands of small objects
and keeps them until it ends; each allocation burst triggers collections that walk every live object, and
those walks cost 25–35% of a rollup refresh (measured: 161 → 123 µs per order derived). Nothing a batch
builds is cyclic garbage, so reference counting frees it all; the collector runs again when the batch ends.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# Threads pause together: the first in records whether the collector was on, the last out puts it back.
# (Each block restoring what it saw itself would leave it off for good when blocks of two threads overlap:
# one sees it off because the other paused it, and turns it off again after the other turned it on.)
_lock = threading.Lock()
_depths: dict[int, int] = {}  # thread id -> blocks it is in
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block; blocks nest and overlap across threads, and the collector
    is back as it was once the last of them ends."""
    global _was_enabled
    me = threading.get_ident()
    with _lock:
        if not _depths:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depths[me] = _depths.get(me, 0) + 1
    try:
        yield
    finally:
        with _lock:
            _depths[me] -= 1
            if not _depths[me]:
                del _depths[me]
            if not _depths and _was_enabled:
                gc.enable()


# A loop of batches (an import's, a refresh's) runs paused throughout and collects what its batches left of
# cyclic garbage (~1,000 objects a batch of issue 9's orders file) after every COLLECT_EVERY of them. Paused
# only inside each batch, the collector's first allocation after a pause set off a collection walking every
# object of the batch at hand, freeing nothing (issue 9's orders import: 20 collections, 0.8 s of the
# writer); one between batches walks the batch too (a generator still holds it), so it runs rarely.
COLLECT_EVERY = 32


@contextmanager
def paused_for_batches() -> Iterator[Callable[[], None]]:
    """gc_paused for a loop of batches; call what it gives after each batch."""
    done = 0

    def batch_done() -> None:
        nonlocal done
        done += 1
        if done % COLLECT_EVERY == 0:
            gc.collect(0)

    with gc_paused():
        yield batch_done


def _forked_child() -> None:
    """A forked child has only the forking thread: the other threads' pauses are not its own."""
    global _lock
    _lock = threading.Lock()
    mine = _depths.pop(threading.get_ident(), 0)
    others = bool(_depths)
    _depths.clear()
    if mine:
        _depths[threading.get_ident()] = mine
    elif others and _was_enabled:
        gc.enable()


def own_process() -> None:
    """For a forked process whose work is its own, not the rest of the block it was forked in (a catch-up
    child forked while an import's batches run paused): the pauses it inherited end, and the collector is
    back as it was before them."""
    with _lock:
        inherited = bool(_depths)
        _depths.clear()
        if inherited and _was_enabled:
            gc.enable()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked_child)
