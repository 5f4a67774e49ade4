"""Rendering templates with what every page needs: language, user, CSRF token, menu."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from lanshou.bilingual import half, in_language
from lanshou.web.i18n import (
    LANGUAGE_COOKIE,
    LANGUAGE_NAMES,
    LANGUAGES,
    carrier_namer,
    pick_language,
    platform_namer,
    shop_namer,
    timeline_namer,
    translator,
)
from lanshou.web.messages import MESSAGES
from lanshou.web.nav import nav_for
from lanshou.web.security import csrf_token

templates = Environment(
    loader=PackageLoader("lanshou.web", "templates"),
    autoescape=True,  # every template, whatever its name: buyer data is untrusted text
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def path_segment(value: object) -> str:
    """An identifier (a platform's order or case number, a carrier's tracking number, a buyer key) as one
    path segment: everything quoted, '/' too. Jinja's `urlencode` leaves '/' as it is, so "AB/12" became two
    segments, and a '..' among them would be folded away by the browser before the route saw it; the routes
    take the whole rest of the path (`{x:path}`), as Starlette decodes %2F back to '/' before routing."""
    return quote(str(value), safe="")


templates.filters["segment"] = path_segment


@pass_context
def _said(context: Context, text: str) -> str:
    """`{{ reason | said }}`: an area's reason in the page's language (lanshou.bilingual)."""
    return half(text, context["lang"])


templates.filters["said"] = _said


def reason_for(request: Request, said: BaseException | str) -> str:
    """An area's refusal (or reason) in the reader's language only, as a page shows it."""
    return in_language(said, language_of(request))


def language_of(request: Request) -> str:
    return pick_language(request.cookies.get(LANGUAGE_COOKIE))


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    lang = language_of(request)
    user = getattr(request.state, "user", None)
    page = {
        "lang": lang,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "t": translator(lang),
        "carrier_name": carrier_namer(lang),
        "timeline_name": timeline_namer(lang),
        "platform_name": platform_namer(lang),
        "shop_name": shop_namer(lang),
        "user": user,
        "nav": nav_for(user),
        "csrf_token": csrf_token(request),
        "path": request.url.path,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **(context or {}),
    }
    return HTMLResponse(templates.get_template(template).render(page), status_code=status)


def render_error(request: Request, status: int, message: str = "") -> HTMLResponse:
    """An error page in the reader's language: `message` if it is a message key, else the status's text,
    else `message` as given."""
    t = translator(language_of(request))
    key = next((k for k in (message, f"error.{status}") if k in MESSAGES), None)
    text = t(key) if key else message or t("error.400")
    return render(request, "error.html", {"status": status, "message": text}, status=status)
