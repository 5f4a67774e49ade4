"""A producer in a forked child: items arrive in order (or as they are ready), its error is raised here, an
early stop ends it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from lanshou.forked import InChild, can_fork, produced_in_child

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs fork and a second core")


def numbers(n: int) -> Iterator[tuple[int, int]]:
    for i in range(n):
        yield i, os.getpid()


def failing(after: int) -> Iterator[int]:
    yield from range(after)
    raise ValueError(f"bad row after {after}")


def test_items_arrive_in_order_from_another_process() -> None:
    got = list(produced_in_child(numbers, 500))
    assert [i for i, _ in got] == list(range(500))
    assert {pid for _, pid in got} != {os.getpid()}


def test_the_producers_error_is_raised_here_after_its_items() -> None:
    seen = []
    with pytest.raises(ValueError, match="bad row after 3"):
        for item in produced_in_child(failing, 3):
            seen.append(item)
    assert seen == [0, 1, 2]


def test_stopping_early_ends_the_child_at_once() -> None:
    items = produced_in_child(numbers, 10_000_000)
    first, child_pid = next(items)
    assert first == 0
    started = time.perf_counter()
    items.close()  # the consumer stops: the child's next send fails and it exits
    assert time.perf_counter() - started < 5  # not the 10 s join timeout and a kill
    with pytest.raises(ProcessLookupError):
        os.kill(child_pid, 0)  # gone and reaped


def test_in_child_gives_what_is_ready_without_waiting_then_the_rest() -> None:
    with InChild(numbers, 50) as child:
        started = time.monotonic()
        first = child.ready()  # whatever has arrived by now, perhaps nothing: it does not wait
        assert time.monotonic() - started < 1
        early = list(first)
        deadline = time.monotonic() + 10
        while len(early) < 50 and time.monotonic() < deadline:
            early += child.ready()
        assert [i for i, _ in early] == list(range(50))
        assert list(child.rest()) == []  # then only the end arrives
        assert child.ready() == []


def test_in_child_raises_the_childs_error_after_its_items() -> None:
    seen = []
    with InChild(failing, 2) as child, pytest.raises(ValueError, match="bad row after 2"):
        for item in child.rest():
            seen.append(item)
    assert seen == [0, 1]
