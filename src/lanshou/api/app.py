"""The one ASGI app: REST API under /api/v1, OpenAPI at /api/openapi.json, docs at /api/docs, pages at /.

Routes anyone may call without signing in are listed in PUBLIC_PATHS; every other route refuses an
anonymous caller (tests enumerate the routes to hold this).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lanshou import __version__
from lanshou.api.docs import DOCS_URL, install_docs
from lanshou.api.errors import install_error_handlers
from lanshou.api.loop_reads import LoopReads
from lanshou.api.one_order import OneOrderReads
from lanshou.api.settings import AppSettings, settings_from_environment
from lanshou.api.v1 import PREFIX, api_router
from lanshou.events import bus
from lanshou.jobs.nudge import QuietNudge
from lanshou.metrics.upkeep import queue_catch_up
from lanshou.tracking.push_api import PREFIX as PUSH_PREFIX
from lanshou.tracking.push_api import push_router

OPENAPI_URL = "/api/openapi.json"
# carriers' pushes prove themselves by their signature (Kuaidi100's sign, our HMAC), not by a user token
PUSH_PATHS = frozenset({f"{PUSH_PREFIX}/kuaidi100", f"{PUSH_PREFIX}/generic"})
PUBLIC_PATHS = frozenset({f"{PREFIX}/health", OPENAPI_URL, DOCS_URL, "/login", "/lang"}) | PUSH_PATHS


def create_app(engine: Engine, settings: AppSettings | None = None) -> FastAPI:
    from lanshou.api.access_log import mask_access_log
    from lanshou.web import install_pages
    from lanshou.web.rendering import render_error

    settings = settings or settings_from_environment()
    app = FastAPI(
        title="Lanshou 揽收",
        version=__version__,
        description="Orders and fulfilment for marketplace merchants. 订单与履约管理。",
        openapi_url=OPENAPI_URL,
        docs_url=None,  # served by install_docs from an installed package, not a CDN
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.engine = engine
    app.state.loop_reads = LoopReads(engine)
    app.state.settings = settings
    # batch ingest hands its rollups to the workers' catch-up job, queued once a burst pauses
    app.state.rollups_nudge = QuietNudge(queue_catch_up)
    install_error_handlers(app, render_error)
    app.include_router(push_router())  # first: thousands of pushes a second match it without walking the rest
    app.include_router(api_router())
    install_docs(app)
    install_pages(app, settings)
    app.add_middleware(OneOrderReads, reads=app.state.loop_reads)  # inside the headers, before the session
    app.add_middleware(SecurityHeaders)
    mask_access_log()  # a buyer search's phone number or name never reaches the server's log
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # What start-up built (modules, routes, templates, the SQLAlchemy metadata: ~half a million objects)
    # lives as long as the process. Frozen, the collector no longer walks it in every full collection,
    # which paused all requests for tens of milliseconds (bench/tracking push: the p99). The areas' event
    # handlers are imported first (bootstrap leaves them to the bus's first use): frozen too, and no request
    # waits for them.
    bus.subscribed()
    gc.collect()
    gc.freeze()
    # as many `def` routes at once as the settings say (AnyIO's default: 40), each with a kept connection
    to_thread.current_default_thread_limiter().total_tokens = app.state.settings.request_threads
    yield
    app.state.loop_reads.close()
    getattr(app.state.rollups_nudge, "flush", lambda: None)()  # a batch's catch-up still held back
    writer = getattr(app.state, "push_inbox", None)
    if writer is not None:  # the insert under way finishes before the process ends
        writer.close()


def app_from_environment() -> FastAPI:
    """For `uvicorn --factory` (and `lanshou serve`): the database and settings from the environment.

    The schema must already be current: `lanshou serve` upgrades it once before starting the workers.
    """
    from lanshou import bootstrap
    from lanshou.db.engine import make_engine, schema_revisions

    bootstrap.start()  # a worker process of its own (uvicorn --workers N): the areas subscribe here too
    settings = settings_from_environment()
    engine = make_engine(connections=settings.request_threads + 1)  # + the event loop's own (LoopReads)
    current, head = schema_revisions(engine)
    if current != head:
        raise RuntimeError(
            f"数据库版本 {current} 需要升级到 {head}: run `lanshou serve` or any lanshou command first"
        )
    return create_app(engine, settings)


# Pages may use only what this site serves; Swagger UI's page needs its inline start-up script.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_POLICY = PAGE_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


class SecurityHeaders:
    """Headers on every response (pure ASGI: no per-request task or body buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_POLICY if scope["path"] == DOCS_URL else PAGE_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"content-security-policy", policy.encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
