"""Review (审单) page: the queue of the user's shops — held orders with their reasons, accepted ones
awaiting shipping, in keyset pages of PAGE_SIZE — batch accept / hold (with a reason) / cancel, and "run
review". Forms are CSRF-checked (page_router); each checked box names `shop_id:order_no`, and a shop not
granted is refused (404) before anything changes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lanshou.accounts.model import User
from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep
from lanshou.web.rendering import render
from lanshou.web.scope import PageScope, page_scope, read_cursor
from lanshou.web.security import page_router, require_page

router = page_router()
Reviewer = Annotated[User, Depends(require_page(Permission.ORDERS_REVIEW))]
ACTIONS = ("accept", "hold", "cancel")
STATES = ("held", "accepted")
PAGE_SIZE = 100  # rows a page shows; the rest are keyset pages away (`?after=`)
FLASH = "flash"  # a message for the next page, kept in the session (post, redirect, get)


def flash(request: Request, text: str, error: bool = False) -> None:
    request.session[FLASH] = {"text": text[:2000], "error": error}


def take_flash(request: Request) -> dict[str, object] | None:
    found = request.session.pop(FLASH, None)
    return found if isinstance(found, dict) else None


@router.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request,
    user: Reviewer,
    engine: EngineDep,
    shop: str = "",
    state: str = "",
    after: str = "",
) -> Response:
    from lanshou.api.pagination import encode_cursor
    from lanshou.review.paging import QUEUE_CURSOR, QueuePosition, review_queue_page

    scope = page_scope(engine, user, shop)
    found = read_cursor(after, QUEUE_CURSOR)
    position = QueuePosition.from_cursor(found) if found else None
    rows: list[dict[str, Any]] = []
    last = None
    if scope.shop_ids:
        with engine.connect() as conn:
            chosen = state if state in STATES else None
            rows, last = review_queue_page(conn, scope.shop_ids, chosen, position, PAGE_SIZE)
    labels = {s.id: s.label for s in scope.granted}
    for row in rows:
        row["shop"] = labels.get(row["shop_id"], "")
    context = {
        "scope": scope,
        "rows": rows,
        "state": state if state in STATES else "",
        "states": STATES,
        "flash": take_flash(request),
        "filters": {"shop": scope.shop, "state": state if state in STATES else ""},
        "next_after": encode_cursor(last.as_cursor()) if last else None,
        "paged": position is not None,
    }
    return render(request, "review.html", context)


def checked_keys(scope: PageScope, values: list[str]) -> list[tuple[int, str]]:
    """`shop_id:order_no` values as keys, every shop granted; 404 for any other (nothing is done)."""
    keys = []
    for value in values[:1000]:
        shop_id, _, order_no = value.partition(":")
        if not shop_id.isdigit() or len(shop_id) > 10 or not order_no or len(order_no) > 64:
            raise HTTPException(422)
        scope.granted_id(int(shop_id))
        keys.append((int(shop_id), order_no))
    return keys


@router.post("/review/actions")
def review_actions(
    request: Request,
    user: Reviewer,
    engine: EngineDep,
    action: Annotated[str, Form(max_length=10)],
    keys: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI reads a form default, never mutates it
    reason: Annotated[str, Form(max_length=500)] = "",
    back: Annotated[str, Form(max_length=300)] = "/review",
) -> Response:
    from lanshou.review.staff import ActionRefused, act
    from lanshou.tracking.record import utc_now
    from lanshou.web.i18n import translator
    from lanshou.web.rendering import language_of, reason_for
    from lanshou.web.security import local_path

    if action not in ACTIONS:
        raise HTTPException(422)
    scope = page_scope(engine, user, None)
    chosen = checked_keys(scope, keys)
    t = translator(language_of(request))
    if not chosen:
        flash(request, t("review.none_checked"), error=True)
    else:
        try:
            outcomes = act(engine, action, chosen, utc_now(), user.name, reason.replace("\x00", "").strip())
        except ActionRefused as exc:
            flash(request, f"{t('review.refused')}: {reason_for(request, exc)}", error=True)
        else:
            done = sum(1 for o in outcomes if o.done)
            problems = "; ".join(
                f"{o.order_no}: {reason_for(request, o.message)}" for o in outcomes if not o.done
            )
            text = t("review.done", action=t(f"review.action.{action}"), done=done, total=len(outcomes))
            flash(request, f"{text} {problems}".strip(), error=bool(problems))
    return RedirectResponse(local_path(back, "/review"), status_code=303)


@router.post("/review/run")
def run_review(request: Request, user: Reviewer, engine: EngineDep) -> Response:
    from lanshou.review.run import review_orders
    from lanshou.web.i18n import translator
    from lanshou.web.rendering import language_of

    scope = page_scope(engine, user, None)
    t = translator(language_of(request))
    if scope.shop_ids:
        report = review_orders(engine, shop_ids=scope.shop_ids, actor=user.name)
        text = t("review.ran", total=len(report.results), accepted=report.accepted, held=report.held)
    else:
        text = t("review.ran", total=0, accepted=0, held=0)
    flash(request, text)
    return RedirectResponse("/review", status_code=303)
