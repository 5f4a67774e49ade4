"""The whole app (API and pages) as `lanshou serve` runs it, for bench/api/run.py: python server.py PORT
[WORKERS] (LANSHOU_DATABASE_URL and LANSHOU_SECRET_KEY from the environment)."""

from __future__ import annotations

import logging
import sys

import uvicorn

if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    uvicorn.run("lanshou.api.app:app_from_environment", factory=True, host="127.0.0.1", port=int(sys.argv[1]),
                workers=workers, log_level="warning", access_log=False, loop="uvloop", http="httptools",
                timeout_worker_healthcheck=60)  # fmt: skip
