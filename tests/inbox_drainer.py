"""One of two processes draining the tracking inbox at once (tests/test_tracking_inbox.py).

    python tests/inbox_drainer.py URL BATCH GO_FILE

Wired like a worker (bootstrap.start()), says "ready", waits for GO_FILE to exist, drains the inbox in
transactions of BATCH pushes and prints "<pushes ingested> <new events>".
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from lanshou import bootstrap
from lanshou.db.engine import make_engine
from lanshou.tracking.inbox import drain_inbox


def main() -> None:
    url, batch, go = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    bootstrap.start()
    engine = make_engine(url)
    with engine.connect():
        pass
    print("ready", flush=True)
    deadline = time.monotonic() + 120
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    drained = drain_inbox(engine, batch=batch)
    print(drained.pushes, drained.events, flush=True)
    engine.dispose()


if __name__ == "__main__":
    main()
