"""Server-rendered pages: Jinja2 templates (autoescaped), our own small CSS, no JavaScript library.

Charts are drawn on the server as SVG (`charts`), so pages need no script at all and work offline.
To add a page: write `web/<area>.py` with `router = page_router()` (login + CSRF already enforced), render
with `render(request, "<area>.html", {...})`, list the router in `PAGE_ROUTERS` below, its menu entry in
`nav.NAV`, and its texts in `messages.MESSAGES`.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles

from lanshou.api.settings import AppSettings
from lanshou.web import alert_pages, auth_pages, order_pages, overview, report_pages, review_pages, ship_pages
from lanshou.web.more_routers import MORE_ROUTERS
from lanshou.web.security import install_security_handlers

PAGE_ROUTERS = (
    auth_pages.router,
    overview.router,
    report_pages.router,
    order_pages.router,
    alert_pages.router,
    review_pages.router,
    ship_pages.router,
    *MORE_ROUTERS,
)
SESSION_COOKIE = "lanshou_session"
STATIC_URL = "/static"


def install_pages(app: FastAPI, settings: AppSettings) -> None:
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.mount(STATIC_URL, StaticFiles(packages=[("lanshou.web", "static")]), name="static")
    install_security_handlers(app)
    for router in PAGE_ROUTERS:
        app.include_router(router)
