"""The `lanshou` command with small batches, for tests that run it in real processes side by side.

With the production sizes (5,000 orders per import batch, 2,000 orders per refresh batch, two processes
refreshing from 8,000 marks) a test file of a few thousand orders is one transaction per process; small
batches make the processes interleave many transactions within seconds, which is what the tests need to see.

    .venv/bin/python tests/concurrency_cli.py import orders FILE
"""

from __future__ import annotations

import lanshou.intake.feedback as feedback_import
import lanshou.intake.orders as orders_import
import lanshou.intake.tracking as tracking_import
import lanshou.metrics.rollups as rollups
from lanshou.cli.app import main

orders_import.BATCH_ORDERS = 150
tracking_import.BATCH_EVENTS = 1000
feedback_import.BATCH_FEEDBACK = 200
rollups.BATCH = 200
rollups.TRACKING_BATCH = 1000
rollups.FORK_FROM = 300  # a rebuild and the larger refreshes derive in a forked child, as big ones do

if __name__ == "__main__":
    main()
