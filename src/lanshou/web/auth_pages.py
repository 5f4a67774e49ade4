"""Sign in, sign out, and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lanshou.accounts.errors import LoginRefused, LoginThrottled
from lanshou.accounts.service import authenticate
from lanshou.api.deps import EngineDep
from lanshou.web.i18n import LANGUAGE_COOKIE, LANGUAGES
from lanshou.web.rendering import render
from lanshou.web.security import end_session, local_path, page_user, public_page_router, start_session

router = public_page_router()

FormText = Annotated[str, Form(max_length=1024)]
ONE_YEAR = 365 * 24 * 3600


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"next": local_path(next), "error": None, "name": ""})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, engine: EngineDep, name: FormText = "", password: FormText = "", next: FormText = "/"
) -> Response:
    client = request.client.host if request.client else "unknown"
    limits = request.app.state.settings.login_limits
    context = {"next": local_path(next), "name": name}
    try:
        user = authenticate(engine, name, password, client, limits)
    except LoginThrottled as exc:
        error = ("login.throttled", {"minutes": max(1, (exc.retry_after + 59) // 60)})
        response = render(request, "login.html", {**context, "error": error}, status=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except LoginRefused:  # the form again with the reason (200: a 401 would need a WWW-Authenticate scheme)
        return render(request, "login.html", {**context, "error": ("login.refused", {})})
    start_session(request, user)
    return RedirectResponse(local_path(next), status_code=303)


@router.post("/logout", dependencies=[Depends(page_user)])
def logout(request: Request) -> Response:
    end_session(request)
    return RedirectResponse("/login", status_code=303)


@router.post("/lang")
def switch_language(request: Request, lang: FormText = "", next: FormText = "/") -> Response:
    response = RedirectResponse(local_path(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            lang,
            max_age=ONE_YEAR,
            httponly=True,
            samesite="lax",
            secure=request.app.state.settings.secure_cookies,
        )
    return response
