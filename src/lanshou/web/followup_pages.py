"""Follow-ups of negative feedback (差评回访) of the user's shops, with the filters of `lanshou followups
list`, and the forms of `followups assign|close` (CSRF-checked by page_router). The list and the answers are
the follow-ups area's own (`lanshou.followups.service`); the signed-in user is the actor.

Each row shows what the buyer wrote and whom to call back: the buyer masked, as every list is, unless the
role may see buyer data and asks (`?unmask=true`, refused otherwise, as the orders export). A follow-up is
given to one of the active users who may see its shop (its stored owner, a name from the shop's settings,
stays a choice)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from lanshou.accounts.model import ShopRef, User
from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep
from lanshou.web.i18n import Translator, translator
from lanshou.web.rendering import language_of, reason_for, render
from lanshou.web.review_pages import flash, take_flash
from lanshou.web.scope import page_scope, read_position, shop_minute
from lanshou.web.security import PageUser, local_path, page_router, require_page

router = page_router()
PAGE_SIZE = 100
STATES = ("open", "all")
# Following up a bad review is after-sales work — calling the buyer back, then compensating, refunding or
# reshipping (the outcomes) — so it takes the after-sales permission (owner, customer service).
ACT = Permission.AFTERSALES_MANAGE


@router.get("/followups", response_class=HTMLResponse)
def followups_page(
    request: Request,
    user: PageUser,
    engine: EngineDep,
    shop: str = "",
    state: str = "",
    owner: str = "",
    overdue: str = "",
    after: str = "",
    unmask: bool = False,
) -> Response:
    from lanshou.api.pagination import encode_cursor
    from lanshou.followups.service import list_page, owner_choices
    from lanshou.followups.store import FOLLOWUP_CURSOR, FollowupPosition
    from lanshou.tracking.record import utc_now

    if unmask and not user.may(Permission.BUYER_DATA_VIEW):
        raise HTTPException(403)
    scope = page_scope(engine, user, shop)
    state = state if state in STATES else "open"
    owner = owner.replace("\x00", "").strip()[:64]
    position = read_position(after, FOLLOWUP_CURSOR, FollowupPosition.from_cursor)
    page, last = list_page(
        engine,
        utc_now(),
        PAGE_SIZE,
        position,
        include_closed=state == "all",
        owner=owner or None,
        overdue=bool(overdue),
        shop_ids=scope.shop_ids,
        unmask=unmask,
    )
    filters = {"shop": scope.shop, "state": state, "owner": owner, "overdue": "1" if overdue else ""}
    filters |= {"unmask": "true"} if unmask else {}  # the next pages stay as asked
    shops = scope.by_label()
    may_act = user.may(ACT)
    context = {
        "scope": scope,
        "rows": [_shown(row, shops) for row in page],
        "filters": filters,
        "outcomes": _outcomes(translator(language_of(request))),
        "may_act": may_act,
        "may_unmask": user.may(Permission.BUYER_DATA_VIEW),
        "unmasked": unmask,
        "toggled": {key: value for key, value in filters.items() if key != "unmask"}
        | ({} if unmask else {"unmask": "true"}),  # the same list, masked the other way
        "owners": owner_choices(engine, page, {label: ref.id for label, ref in shops.items()})
        if may_act
        else {},
        "users": _user_names(engine, scope.shop_ids),
        "flash": take_flash(request),
        "next_after": encode_cursor(last.as_cursor()) if last else None,
        "paged": position is not None,
    }
    return render(request, "followups.html", context)


def _shown(row: dict[str, Any], shops: dict[str, ShopRef]) -> dict[str, Any]:
    """A follow-up with its shop's id (for the order link) and its due time in the shop's timezone."""
    shop = shops.get(row["shop"])
    return {**row, "shop_id": shop.id if shop else 0, "due_local": shop_minute(row["due_at"], shop)}


def _user_names(engine: Engine, shop_ids: tuple[int, ...]) -> list[str]:
    """Every active user of the user's shops who may work follow-ups: what the owner filter suggests."""
    from lanshou.followups.service import owner_names

    return owner_names(engine, shop_ids)


def _outcomes(t: Translator) -> dict[str, str]:
    from lanshou.followups.service import OUTCOMES

    return {code: t(f"followups.outcome.{code}") for code in OUTCOMES}


@router.post("/followups/{followup_id}/assign")
def assign_followup(
    request: Request,
    user: PageUser,
    engine: EngineDep,
    followup_id: int,
    owner: Annotated[str, Form(max_length=64)] = "",
    back: Annotated[str, Form(max_length=300)] = "/followups",
) -> Response:
    from lanshou.followups.service import assign

    owner = owner.replace("\x00", "").strip()
    done = _act(
        request,
        user,
        engine,
        followup_id,
        lambda ids, now: assign(engine, followup_id, owner, user.name, now, ids, users_only=True),
    )
    if done is not None:
        flash(request, translator(language_of(request))("followups.assigned", id=followup_id, owner=owner))
    return RedirectResponse(local_path(back, "/followups"), status_code=303)


@router.post("/followups/{followup_id}/close")
def close_followup(
    request: Request,
    user: PageUser,
    engine: EngineDep,
    followup_id: int,
    outcome: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
    back: Annotated[str, Form(max_length=300)] = "/followups",
) -> Response:
    from lanshou.followups.service import close

    note = note.replace("\x00", "").strip()
    done = _act(
        request,
        user,
        engine,
        followup_id,
        lambda ids, now: close(engine, followup_id, outcome, user.name, now, note, ids),
    )
    if done is not None:
        t = translator(language_of(request))
        flash(request, t("followups.done", id=followup_id, outcome=_outcomes(t)[done["outcome"]]))
    return RedirectResponse(local_path(back, "/followups"), status_code=303)


Action = Callable[[tuple[int, ...], datetime], dict[str, Any]]  # (the user's shop ids, now) -> the answer


def _act(
    request: Request, user: User, engine: Engine, followup_id: int, action: Action
) -> dict[str, Any] | None:
    """Run an assign or close over the user's shops: 403 without the permission, 404 for a follow-up not
    theirs; a refusal is flashed with the area's reason (nothing changed) and answers None."""
    from lanshou.followups.service import FollowupNotFound, FollowupRefused
    from lanshou.tracking.record import utc_now

    require_page(ACT)(user)
    if not 0 < followup_id < 2**31:
        raise HTTPException(404)
    scope = page_scope(engine, user, None)
    try:
        done: dict[str, Any] = action(scope.shop_ids, utc_now())
    except FollowupNotFound:
        raise HTTPException(404) from None
    except FollowupRefused as exc:
        flash(
            request,
            f"{translator(language_of(request))('followups.refused')}: {reason_for(request, exc)}",
            error=True,
        )
        return None
    return done
