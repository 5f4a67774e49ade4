"""Buyers (客户) of the user's shops: the list with the filters and segments of `lanshou buyers list|segment`,
one buyer's profile (`buyers show`), and the blacklist form (`buyers blacklist`, CSRF-checked by
page_router). What a user sees of a buyer is only their shops' part (`lanshou.buyers.seen`); names, phones
and e-mails are masked unless the role may see buyer data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from lanshou.accounts.model import ShopRef
from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep
from lanshou.web.i18n import translator
from lanshou.web.rendering import language_of, path_segment, reason_for, render, render_error
from lanshou.web.review_pages import flash, take_flash
from lanshou.web.scope import PageScope, page_scope, read_position, shop_minute
from lanshou.web.security import PageUser, page_router, require_page

router = page_router()
PAGE_SIZE = 100
REPEAT = {"repeat": True, "first": False}  # ?repeat= as `--repeat/--first-time`
# The blacklist is kept from after-sales experience (refund abuse, complaints) by the staff who handle
# after-sales and feedback; review only reads it. So it takes the after-sales permission (owner, customer
# service), as the follow-ups do.
BLACKLIST = Permission.AFTERSALES_MANAGE


@router.get("/buyers", response_class=HTMLResponse)
def buyers_page(
    request: Request,
    user: PageUser,
    engine: EngineDep,
    shop: str = "",
    tier: str = "",
    repeat: str = "",
    blacklisted: str = "",
    segment: str = "",
    after: str = "",
) -> Response:
    from lanshou.api.pagination import encode_cursor
    from lanshou.buyers.service import BUYER_CURSOR, BuyerPosition, list_page, rule_names

    scope = page_scope(engine, user, shop)
    tiers, segments = rule_names()
    tier, segment = (tier if tier in tiers else ""), (segment if segment in segments else "")
    repeat = repeat if repeat in REPEAT else ""
    position = read_position(after, BUYER_CURSOR, BuyerPosition.from_cursor)
    rows, last = list_page(
        engine,
        PAGE_SIZE,
        position,
        False,  # a list is masked for every role, as the orders list is; a buyer's own page is not, for the
        # roles that may see buyer data
        scope.shop_ids,
        tier=tier or None,
        repeat=REPEAT.get(repeat),
        blacklisted=True if blacklisted else None,  # as `--blacklisted`: the blacklist, else everyone
        segment=segment or None,
    )
    filters = {
        "shop": scope.shop,
        "segment": segment,
        "tier": tier,
        "repeat": repeat,
        "blacklisted": "1" if blacklisted else "",
    }
    context = {
        "scope": scope,
        "rows": rows,
        "filters": filters,
        "tiers": tiers,
        "segments": segments,
        "group_name": _group_namer(request),
        "masked": True,
        "partial": _partial(engine, scope),
        "next_after": encode_cursor(last.as_cursor()) if last else None,
        "paged": position is not None,
    }
    return render(request, "buyers.html", context)


def _group_namer(request: Request) -> Callable[[str], str]:
    """A tier's or segment's name for the reader (its label in the buyer rules, else its own name); filters
    and links keep the rules' names, as the CLI and the API do."""
    from lanshou.buyers.rules import default_rules

    rules, english = default_rules(), language_of(request) == "en"
    return lambda name: rules.label(name, english)


def _partial(engine: Engine, scope: PageScope) -> bool:
    """The user sees some shops only: say that the figures count those shops' orders alone."""
    from lanshou.shops.store import load_shops

    with engine.connect() as conn:
        return not set(load_shops(conn)) <= set(scope.shop_ids)


@router.get("/buyers/{buyer:path}", response_class=HTMLResponse)
def buyer_page(request: Request, user: PageUser, engine: EngineDep, buyer: str) -> Response:
    from lanshou.buyers.service import AmbiguousBuyer, show_json

    scope = page_scope(engine, user, None)
    unmask = user.may(Permission.BUYER_DATA_VIEW)
    try:
        data = show_json(engine, buyer[:200], unmask, shop_ids=scope.shop_ids)
    except AmbiguousBuyer:
        return render_error(request, 409, "buyers.ambiguous")
    except LookupError:
        raise HTTPException(404) from None
    context = {
        "b": data,
        "orders": [_with_shop(order, scope.by_label()) for order in data["order_list"]],
        "feedback": [_with_shop(entry, scope.by_label()) for entry in data["feedback"]],
        "masked": True,
        "partial": _partial(engine, scope),
        "may_blacklist": user.may(BLACKLIST),
        "group_name": _group_namer(request),
        "flash": take_flash(request),
    }
    return render(request, "buyer.html", context)


def _with_shop(entry: dict[str, Any], shops: dict[str, ShopRef]) -> dict[str, Any]:
    """An order or a feedback with its shop's id (for the order link) and its time in the shop's zone."""
    shop = shops.get(entry["shop"])
    return {**entry, "shop_id": shop.id if shop else 0, "local": shop_minute(entry["at"], shop)}


@router.post("/buyers/{buyer:path}/blacklist")
def blacklist_buyer(
    request: Request,
    user: PageUser,
    engine: EngineDep,
    buyer: str,
    action: Annotated[str, Form(max_length=10)] = "add",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    from lanshou.buyers.service import blacklist
    from lanshou.tracking.record import utc_now

    require_page(BLACKLIST)(user)
    if action not in ("add", "remove"):
        raise HTTPException(422)
    scope = page_scope(engine, user, None)
    t = translator(language_of(request))
    reason = reason.replace("\x00", "").strip()
    try:
        done = blacklist(engine, buyer[:200], action == "add", reason, user.name, utc_now(), scope.shop_ids)
    except LookupError:
        raise HTTPException(404) from None
    except ValueError as exc:  # no reason given: the area says so, nothing is changed
        flash(request, f"{t('buyers.refused')}: {reason_for(request, exc)}", error=True)
    else:
        flash(request, t("buyers.added" if done["blacklisted"] else "buyers.removed"))
    return RedirectResponse(f"/buyers/{path_segment(buyer[:200])}", status_code=303)
