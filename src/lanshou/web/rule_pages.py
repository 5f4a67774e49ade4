"""The rule editor (规则): saved rules of the user's shops (and the every-shop ones), a form that checks the
rule as it is typed (static/rules.js asks `/rules/validate`, the page twin of `POST /api/v1/rules/validate`:
the page's session and CSRF token instead of a Bearer token) and saves it (CSRF-checked)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from lanshou.accounts.model import User
from lanshou.accounts.roles import Permission
from lanshou.api.deps import NO_NUL, EngineDep
from lanshou.web.rendering import render
from lanshou.web.scope import page_scope
from lanshou.web.security import page_router, require_page

router = page_router()
RuleUser = Annotated[User, Depends(require_page(Permission.ORDERS_REVIEW))]
EVERY_SHOP = "*"


def _page(
    request: Request,
    user: User,
    engine: EngineDep,
    form: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    from lanshou.rules.store import ALL_SHOPS, SCOPES, list_rules

    scope = page_scope(engine, user, None)
    names = {shop.id: shop.label for shop in scope.granted}
    with engine.connect() as conn:
        stored = [r for r in list_rules(conn) if r.shop_id == ALL_SHOPS or r.shop_id in names]
    context: dict[str, Any] = {
        "rules": [rule.as_json(names) for rule in stored],
        "scopes": list(SCOPES),
        "shops": [shop.label for shop in scope.granted],
        "every_shop": user.all_shops,
        "form": form or {"name": "", "scope": "review", "shop": "", "condition": "", "action": ""},
        "error": error,
        "saved": request.query_params.get("saved", ""),
    }
    return render(request, "rules.html", context, status=status)


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, user: RuleUser, engine: EngineDep) -> Response:
    return _page(request, user, engine)


class Draft(BaseModel):
    condition: str = Field(max_length=5000, pattern=NO_NUL)
    action: str = Field(max_length=500, pattern=NO_NUL)
    scope: str | None = Field(None, max_length=32, pattern=NO_NUL)


@router.post("/rules/validate")
def validate_draft(draft: Draft, user: RuleUser) -> JSONResponse:
    from lanshou.rules.validation import validate_rule

    return JSONResponse(validate_rule(draft.condition, draft.action, draft.scope))


@router.post("/rules")
def save_rule(
    request: Request,
    user: RuleUser,
    engine: EngineDep,
    name: Annotated[str, Form(max_length=100)] = "",
    scope: Annotated[str, Form(max_length=32)] = "review",
    shop: Annotated[str, Form(max_length=200)] = "",
    condition: Annotated[str, Form(max_length=5000)] = "",
    action: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    from lanshou.rules.actions import ActionError
    from lanshou.rules.language import RuleError
    from lanshou.rules.store import ALL_SHOPS, add_rule

    form = {"name": name, "scope": scope, "shop": shop, "condition": condition, "action": action}
    form = {key: value.replace("\x00", "") for key, value in form.items()}
    if form["shop"] == EVERY_SHOP and user.all_shops:
        shop_id = ALL_SHOPS
    else:
        # only a granted shop: another shop's name is refused like one that does not exist
        found = page_scope(engine, user, None).by_label().get(form["shop"])
        if found is None:
            return _page(request, user, engine, form, "rules.pick_shop", status=422)
        shop_id = found.id
    try:
        with engine.begin() as conn:  # never replaces: a name taken (perhaps by another shop) is refused
            add_rule(conn, form["name"], form["scope"], form["condition"], form["action"], shop_id=shop_id)
    except (RuleError, ActionError) as exc:
        return _page(request, user, engine, form, str(exc), status=422)
    return RedirectResponse(f"/rules?saved={quote(form['name'].strip())}", status_code=303)
