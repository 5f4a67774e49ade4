"""Run a producer of batches in a forked child process while this process consumes them.

Bulk jobs (an import's parsing, the demo generator) spend as much CPU producing rows as the database
writes take; on two cores the two overlap. Batches travel pickled through a pipe, one at a time, so the
child is never more than a batch ahead and memory stays flat. They should be plain tuples or dicts of
str/int: pickling rich objects can cost as much as producing them (measured on imports).
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from lanshou.gc_pause import gc_paused

T = TypeVar("T")
# The child runs with the cyclic collector off: producing a batch allocates hundreds of thousands of small
# objects and each burst set off collections (measured: 22-27% of parsing an orders file). The collector's
# own count still grows with every container that stays alive, so live data and cyclic garbage alike make
# it pass this; a collection then (the inherited objects are frozen) walks only what the child holds.
CHILD_COLLECT_AFTER = 200_000


def can_fork() -> bool:
    """A second core to run on, and fork (the child inherits the job's state; nothing is re-imported)."""
    return (os.cpu_count() or 1) > 1 and "fork" in mp.get_all_start_methods()


def can_fork_here() -> bool:
    """can_fork(), and this is the main thread: a fork from another one (a server's request or job thread)
    would copy locks other threads hold, never to be released in the child."""
    return can_fork() and threading.current_thread() is threading.main_thread()


def produced_in_child(produce: Callable[..., Iterator[T]], *args: Any) -> Iterator[T]:
    """What produce(*args) yields, produced in a child process; its exception is raised here."""
    with InChild(produce, *args) as child:
        yield from child.rest()


class InChild(Generic[T]):
    """produce(*args) running in a child process while this one does its own work: `ready()` gives what
    it has yielded so far without waiting, `rest()` the rest as it comes. Its exception is raised here;
    leaving the block ends the child (an early stop ends its next send)."""

    def __init__(self, produce: Callable[..., Iterator[T]], *args: Any) -> None:
        forking = mp.get_context("fork")
        self._receiver, sender = forking.Pipe(duplex=False)
        self._child = forking.Process(
            target=_send_all, args=(sender, self._receiver, produce, args), daemon=True
        )
        self._name = produce.__name__
        self._finished = False
        self._child.start()
        sender.close()

    def __enter__(self) -> InChild[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self._receiver.close()  # a child still sending stops at its next send
        self._child.join(timeout=10)
        if self._child.is_alive():
            self._child.kill()

    def ready(self) -> list[T]:
        got: list[T] = []
        while not self._finished and self._receiver.poll():
            got.extend(self._next())
        return got

    def rest(self) -> Iterator[T]:
        while not self._finished:
            yield from self._next()

    def _next(self) -> list[T]:
        """The next message: an item ([item]), the end ([]) or the child's error (raised)."""
        try:
            with gc_paused():  # unpickling makes as many objects as parsing did (per 200k order lines,
                message = self._receiver.recv()  # measured: 1.2 s with the collector on, 0.4 s paused)
        except EOFError:
            raise RuntimeError(f"{self._name}: the child process stopped without finishing") from None
        if isinstance(message, _Done):
            self._finished = True
            return []
        if isinstance(message, BaseException):
            raise message  # the same error as producing here would give
        return [message]


class _Done:
    """Sent after the last batch (None could be a batch)."""


def _send_all(
    sender: Connection, receiver: Connection, produce: Callable[..., Iterator[Any]], args: tuple[Any, ...]
) -> None:
    receiver.close()  # the copy fork gave us: with it open, the consumer closing its end would go unnoticed
    gc.freeze()  # what the child inherited is never garbage: collections walk only what it makes itself
    gc.disable()
    try:
        for item in produce(*args):
            sender.send(item)
            del item
            if gc.get_count()[0] > CHILD_COLLECT_AFTER:
                gc.collect()
        sender.send(_Done())
    except (BrokenPipeError, EOFError):
        pass  # the consumer stopped reading
    except Exception as exc:  # handed to the consumer, which raises it
        sender.send(exc)
    finally:
        sender.close()
