"""The push endpoint alone, as bench/tracking/run.py starts it: python push_server.py PORT [WORKERS]
(LANSHOU_DATABASE_URL and LANSHOU_KUAIDI100_SALT from the environment; each worker process has its own
group-committing writer)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from lanshou import bootstrap
from lanshou.db.engine import make_engine
from lanshou.tracking.push_api import push_router


def app() -> FastAPI:
    bootstrap.start()
    application = FastAPI()
    application.state.engine = make_engine()
    application.include_router(push_router())
    return application


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    uvicorn.run("push_server:app", factory=True, app_dir=str(Path(__file__).parent), host="127.0.0.1",
                port=int(sys.argv[1]), workers=workers, log_level="warning", access_log=False, loop="uvloop",
                http="httptools")  # fmt: skip
