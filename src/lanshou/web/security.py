"""Page security: the session's user, role checks and CSRF tokens on every unsafe request.

Every page router comes from `page_router()` (login required) or `public_page_router()`; both check the
CSRF token of each POST/PUT/PATCH/DELETE, so a form cannot forget it.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from lanshou.accounts.model import User
from lanshou.accounts.roles import Permission
from lanshou.accounts.service import user_for_session
from lanshou.api.deps import EngineDep

SESSION_USER = "uid"
SESSION_EPOCH = "epoch"  # the user's session epoch at sign-in (absent in sessions made before it: 0)
SESSION_CSRF = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """No signed-in user: the browser is sent to the login page."""


class CsrfRefused(Exception):
    """An unsafe request without the session's CSRF token."""


def has_session(request: Request) -> bool:
    return "session" in request.scope  # absent only for errors caught outside the session middleware


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use; empty when there is no session to keep it in."""
    if not has_session(request):
        return ""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


async def csrf_protect(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    expected = request.session.get(SESSION_CSRF)
    if not sent or not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        raise CsrfRefused()


def page_user(request: Request, engine: EngineDep) -> User:
    user_id, epoch = request.session.get(SESSION_USER), request.session.get(SESSION_EPOCH, 0)
    user = None
    if isinstance(user_id, int) and isinstance(epoch, int):
        user = user_for_session(engine, user_id, epoch)
    if user is None:  # never signed in, signed out, disabled since, or their password changed since
        request.session.pop(SESSION_USER, None)
        raise LoginRequired()
    request.state.user = user
    return user


PageUser = Annotated[User, Depends(page_user)]


def require_page(permission: Permission) -> Callable[[User], User]:
    """A dependency: the signed-in user, if their role has `permission`; else a 403 page."""

    def check(user: PageUser) -> User:
        if not user.may(permission):
            raise HTTPException(403)
        return user

    return check


def start_session(request: Request, user: User) -> None:
    """A fresh session for this user (a new CSRF token too: nothing from before login carries over)."""
    request.session.clear()
    request.session[SESSION_USER] = user.id
    request.session[SESSION_EPOCH] = user.session_epoch
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)


def end_session(request: Request) -> None:
    request.session.clear()


def page_router() -> APIRouter:
    """Pages for signed-in users, CSRF-checked."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect), Depends(page_user)])


def public_page_router() -> APIRouter:
    """Pages anyone may open (login, language), CSRF-checked all the same."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def local_path(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site, else `default`: no open redirect to another host.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so "/<tab>/evil" and
    "/<backslash>evil" would lead elsewhere: any whitespace, control character or backslash disqualifies."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ch.isspace() or not ch.isprintable() for ch in target):
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


def install_security_handlers(app: FastAPI) -> None:
    async def to_login(request: Request, exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)

    async def refuse(request: Request, exc: Exception) -> Response:
        from lanshou.web.rendering import render_error

        return render_error(request, 403, "csrf.refused")

    app.add_exception_handler(LoginRequired, to_login)
    app.add_exception_handler(CsrfRefused, refuse)
