"""The `lanshou` command with small review batches, for tests that run `lanshou review run` in several real
processes side by side (production batches of 1,000 orders would make each process one transaction).

    LANSHOU_DATABASE_URL=... python tests/review_cli_small.py review run
"""

from __future__ import annotations

import lanshou.review.run as review_run
from lanshou.cli.app import main

review_run.BATCH = 20

if __name__ == "__main__":
    main()
