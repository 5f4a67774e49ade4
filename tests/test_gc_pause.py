"""gc_paused: blocks nest and overlap across threads, and the collector is back as it was once the last ends
(blocks that each restored what they saw left it off for good when two threads overlapped)."""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Iterator

import pytest

from lanshou.gc_pause import COLLECT_EVERY, gc_paused, paused_for_batches


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_overlapping_pauses_of_many_threads_leave_the_collector_on() -> None:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch inside the blocks, as they do under load
    start = threading.Barrier(4)
    on_inside: list[bool] = []

    def pause_often() -> None:
        start.wait()
        for _ in range(3000):
            with gc_paused():
                if gc.isenabled():
                    on_inside.append(True)

    threads = [threading.Thread(target=pause_often) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not on_inside  # paused while any block of any thread runs
    assert gc.isenabled()  # and back on once the last one ended


def test_nested_pauses_resume_at_the_outermost_and_a_collector_off_stays_off() -> None:
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork: POSIX only")
def test_a_forked_child_does_not_inherit_another_threads_pause() -> None:
    paused, release = threading.Event(), threading.Event()

    def hold() -> None:
        with gc_paused():
            paused.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    paused.wait(10)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the holder thread is not here, so its pause must not be either
        os.write(write, b"1" if gc.isenabled() else b"0")
        os._exit(0)
    os.waitpid(pid, 0)
    child_saw = os.read(read, 1)
    release.set()
    holder.join()
    assert child_saw == b"1" and gc.isenabled()


def test_a_loop_of_batches_runs_paused_and_collects_young_objects_every_so_many_batches() -> None:
    collected: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collected.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        with paused_for_batches() as batch_done:
            for _ in range(2 * COLLECT_EVERY + 1):
                garbage = [[] for _ in range(5000)]  # would set off collections were the collector on
                assert not gc.isenabled()
                batch_done()
                del garbage
    finally:
        gc.callbacks.remove(seen)
    assert collected == [0, 0]  # after the 32nd and the 64th batch, young objects only
    assert gc.isenabled()
