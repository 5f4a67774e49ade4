"""The raw baseline of the push benchmark: the same route answering Kuaidi100's success body without
checking or storing anything, served by uvicorn with the settings `lanshou serve` uses.

    python push_server.py PORT [WORKERS]
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request, Response

SUCCESS_BODY = '{"result":true,"returnCode":"200","message":"成功"}'


def app() -> FastAPI:
    application = FastAPI()

    @application.post("/api/v1/tracking/push/kuaidi100")
    async def bare(request: Request) -> Response:
        await request.body()
        return Response(SUCCESS_BODY, media_type="application/json")

    return application


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    uvicorn.run("push_server:app", factory=True, app_dir=str(Path(__file__).parent), host="127.0.0.1",
                port=int(sys.argv[1]), workers=workers, log_level="info",
                timeout_worker_healthcheck=30)  # fmt: skip
