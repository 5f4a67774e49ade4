"""bootstrap leaves the areas' event handlers to the bus's first use: a command that only reads starts
without importing them, and nothing published ever misses one (the first publish wires, and a second
thread publishing meanwhile waits for the wiring)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lanshou import bootstrap
from lanshou.events import EventBus


@dataclass(frozen=True)
class Probe:
    """An event no area subscribes to."""

    n: int = 0


def test_a_reading_command_imports_no_handler_and_after_sales_returns_are_still_followed(
    tmp_path: Path,
) -> None:
    probe = (  # as the `lanshou` script runs it: main() wires the bus (bootstrap.start)
        "import sys; from lanshou.cli.app import main; from lanshou.tracking.followed import tracked; "
        "sys.argv = ['lanshou', 'shops', 'list']\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code == 0, exit.code\n"
        "print(sorted(m for m in sys.modules if m.endswith('.subscriptions'))); print(len(tracked()))"
    )
    env = {**os.environ, "LANSHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'lanshou.db'}"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    handlers, sources = done.stdout.strip().split("\n")[-2:]
    assert handlers == "[]", done.stdout
    assert sources == "2", done.stdout  # the parcels we ship, and the returns after-sales awaits


def test_the_first_publish_wires_every_area() -> None:
    fresh = bootstrap.start(EventBus())
    assert fresh.wired
    seen: list[Any] = []
    fresh.wire_later(lambda bus: bus.during(Probe, lambda conn, event: seen.append(event)))
    fresh.publish(None, Probe())  # type: ignore[arg-type]  # no area's handler sees it
    assert seen == [Probe()]
    assert fresh.alongside_handlers  # the metrics area's catch-up: the areas were wired too


def test_a_wiring_that_uses_its_own_bus_is_refused_not_left_waiting() -> None:
    lazy = EventBus()
    lazy.wire_later(lambda bus: bus.publish(None, Probe()))  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="wiring"):
        lazy.subscribed()


def test_a_thread_publishing_during_the_wiring_waits_for_it() -> None:
    lazy = EventBus()
    seen: list[str] = []
    wiring_started = threading.Event()

    def slow_wiring(bus: EventBus) -> None:
        wiring_started.set()
        time.sleep(0.3)  # the other thread publishes meanwhile
        bus.during(Probe, lambda conn, event: seen.append(threading.current_thread().name))

    lazy.wire_later(slow_wiring)
    first = threading.Thread(target=lazy.publish, args=(None, Probe()), name="first")
    second = threading.Thread(target=lazy.publish, args=(None, Probe()), name="second")
    first.start()
    assert wiring_started.wait(5)
    second.start()
    first.join(5)
    second.join(5)
    assert sorted(seen) == ["first", "second"]
