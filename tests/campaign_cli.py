"""The `lanshou` command with a meeting point inside a campaign's transaction, for tests that run two
campaign processes at once: each process, once it has read which messages exist and built its own, waits
(up to a few seconds) until the other got as far, so both decide before either writes, wherever the
database lets them. Where it does not (SQLite's one writer), the wait times out and they take turns.

    LANSHOU_TEST_MEET=DIR .venv/bin/python tests/campaign_cli.py buyers segment … --send …
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import lanshou.notifications.campaigns as campaigns
from lanshou.cli.app import main

PARTIES = 2
WAIT_SECONDS = 5.0
_build_rows = campaigns._rows


def _meet(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / str(os.getpid())).touch()
    deadline = time.monotonic() + WAIT_SECONDS
    while len(list(folder.iterdir())) < PARTIES and time.monotonic() < deadline:
        time.sleep(0.02)
    met = len(list(folder.iterdir())) >= PARTIES
    print(f"campaign_cli: {'met' if met else 'alone'}", file=sys.stderr, flush=True)  # for the test to see


def _rows_then_meet(*args: Any, **kwargs: Any) -> Any:
    rows = _build_rows(*args, **kwargs)
    _meet(Path(os.environ["LANSHOU_TEST_MEET"]))
    return rows


campaigns._rows = _rows_then_meet

if __name__ == "__main__":
    main()
