"""After-sales (售后): the cases of the user's shops with the CLI's filters (keyset pages), one case with its
order, buyer, return parcel, steps and the order's timeline, and its steps — agree, refuse (with a reason),
receive (restock or write off), the buyer's return parcel told by phone (carrier and tracking number), the
replacement sent — as CSRF-checked forms, only those the case allows now and the user's role may take:
customer service decides (agree, refuse, reship), the warehouse too records a return sent or received.

Everything is `lanshou.aftersales.service`, as the CLI and the API use it: a refused step shows the area's
reason and changes nothing. The buyer is masked in the list, and on a case unless the role may see buyer
data (as the orders pages)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lanshou.accounts.model import ShopRef
from lanshou.accounts.roles import Permission
from lanshou.aftersales.policy import REASONS
from lanshou.aftersales.states import Action, CaseStatus, CaseType
from lanshou.api.deps import EngineDep
from lanshou.web.i18n import Translator, translator
from lanshou.web.rendering import language_of, path_segment, reason_for, render, render_error
from lanshou.web.review_pages import flash, take_flash
from lanshou.web.scope import PageScope, page_scope, read_cursor, shop_minute
from lanshou.web.security import PageUser, page_router, require_page

router = page_router()
PAGE_SIZE = 50
# a person's steps (the CLI's commands) and who may take each: agreeing, refusing and sending the goods again
# are customer service's decision; receiving is recorded by whoever opens the returned parcel and inspects
# it, the warehouse too, and so is the buyer's return parcel told by phone (every role that manages cases
# also receives them)
STEP_PERMISSIONS = {
    "agree": Permission.AFTERSALES_MANAGE,
    "refuse": Permission.AFTERSALES_MANAGE,
    "return": Permission.AFTERSALES_RECEIVE,
    "receive": Permission.AFTERSALES_RECEIVE,
    "reship": Permission.AFTERSALES_MANAGE,
}
STEPS = tuple(STEP_PERMISSIONS)
STATUSES = tuple(status.value for status in CaseStatus)
TYPES = tuple(case_type.value for case_type in CaseType)


def labels(t: Translator) -> dict[str, dict[str, str]]:
    """The words for the area's values, in the reader's language (a value without one shows as it is)."""
    families: dict[str, tuple[str, ...]] = {
        "type": TYPES,
        "status": STATUSES,
        "reason": tuple(REASONS),
        "action": ("open", "platform", *(action.value for action in Action)),
        "payer": ("buyer", "seller"),
        "disposition": ("restock", "write_off"),
        "do": STEPS,
    }
    return {name: {v: t(f"aftersales.{name}.{v}") for v in values} for name, values in families.items()}


def case_url(case_no: str, shop: str) -> str:
    return f"/aftersales/{path_segment(case_no)}" + (f"?{urlencode({'shop': shop})}" if shop else "")


def _links(scope: PageScope, rows: list[dict[str, Any]]) -> None:
    """Each case's shop label and id, and its own address: the links name the shop (a case number may be
    in several shops); and its times in that shop's timezone."""
    shops = scope.by_label()
    for row in rows:
        row["shop_label"] = f"{row['platform']}/{row['shop']}"
        shop = shops.get(row["shop_label"])
        row["shop_id"] = shop.id if shop else 0
        row["url"] = case_url(row["case_no"], row["shop_label"])
        row["reason_note"] = reason_note(row["reason_code"], row["reason"])
        _shop_times(row, shop)


def reason_note(code: str, text: str) -> str:
    """The buyer's (the platform's) reason text, shown beside the reason's name only when it says more than
    that name: not when it is the reason's Chinese title, alone or followed by its translation
    ("七天无理由 no reason, within 7 days"), which would repeat the name."""
    title = REASONS[code][0] if code in REASONS else ""
    said = text.strip()
    return "" if title and (said == title or said.startswith(f"{title} ")) else said


def _shop_times(row: dict[str, Any], shop: ShopRef | None) -> None:
    """A case's times (and its history's and timeline's) as the order pages show times: in the shop's
    timezone, where the merchant works; the JSON's are UTC."""
    row["timezone"] = shop.timezone if shop else "UTC"
    row["requested_local"] = shop_minute(row["requested_at"], shop)
    row["updated_local"] = shop_minute(row["updated_at"], shop)
    for entry in (*row.get("history", ()), *row.get("timeline", ())):
        entry["local"] = shop_minute(entry["at"], shop)


@router.get("/aftersales", response_class=HTMLResponse)
def cases_page(
    request: Request,
    user: PageUser,
    engine: EngineDep,
    shop: str = "",
    status: str = "",
    case_type: Annotated[str, Query(alias="type")] = "",
    order: str = "",
    open_only: Annotated[str, Query(alias="open")] = "",
    after: str = "",
) -> Response:
    from lanshou.aftersales.service import list_page
    from lanshou.aftersales.store import CASE_CURSOR, CaseFilter, CasePosition
    from lanshou.api.pagination import encode_cursor

    scope = page_scope(engine, user, shop)
    filters = {
        "shop": scope.shop,
        "status": status if status in STATUSES else "",
        "type": case_type if case_type in TYPES else "",
        "order": order.replace("\x00", "").strip()[:64],
        "open": "1" if open_only == "1" else "",
    }
    flt = CaseFilter(
        shop_ids=scope.shop_ids,
        statuses=(filters["status"],) if filters["status"] else (),
        order_no=filters["order"] or None,
        open_only=open_only == "1",  # the checkbox sends 1; ?open=0 is not "unfinished only"
        case_types=(filters["type"],) if filters["type"] else (),
    )
    found = read_cursor(after, CASE_CURSOR)
    position = CasePosition.from_cursor(found) if found else None
    rows, last = list_page(engine, flt, PAGE_SIZE, position)
    _links(scope, rows)
    context = {
        "scope": scope,
        "rows": rows,
        "filters": filters,
        "statuses": STATUSES,
        "types": TYPES,
        "labels": labels(translator(language_of(request))),
        "next_after": encode_cursor(last.as_cursor()) if last else None,
        "paged": position is not None,
    }
    return render(request, "aftersales.html", context)


@router.get("/aftersales/{case_no:path}", response_class=HTMLResponse)
def case_page(request: Request, user: PageUser, engine: EngineDep, case_no: str, shop: str = "") -> Response:
    from lanshou.aftersales.service import AmbiguousCase, CaseNotFound, show_json
    from lanshou.carriers.registry import registry

    scope = page_scope(engine, user, shop)
    unmask = user.may(Permission.BUYER_DATA_VIEW)
    try:
        data = show_json(engine, case_no[:64], shop_ids=scope.shop_ids, unmask=unmask)
    except CaseNotFound:
        raise HTTPException(404) from None
    except AmbiguousCase:
        return render_error(request, 409, "aftersales.ambiguous")
    _links(scope, [data])
    steps = [step for step in data["steps"] if user.may(STEP_PERMISSIONS[step])]
    context = {
        "d": data,
        "labels": labels(translator(language_of(request))),
        "steps": steps,
        # customer service sees that nothing is to be done; the warehouse sees only a return to receive
        "may_act": user.may(Permission.AFTERSALES_MANAGE) or bool(steps),
        "flash": take_flash(request),
        "carriers": registry().carriers if "return" in steps else (),
    }
    return render(request, "aftersale.html", context)


@router.post("/aftersales/{case_no:path}/{step}")
def act_on_case(
    request: Request,
    user: PageUser,
    engine: EngineDep,
    case_no: str,
    step: str,
    shop: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    disposition: Annotated[str, Form(max_length=20)] = "",
    carrier: Annotated[str, Form(max_length=64)] = "",
    tracking_no: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    from lanshou.aftersales.service import CaseNotFound, act, record_return
    from lanshou.aftersales.states import AfterSaleRefused

    if step not in STEPS:
        raise HTTPException(404)
    require_page(STEP_PERMISSIONS[step])(user)  # 403 for a role that may not take this step
    scope = page_scope(engine, user, shop)
    t = translator(language_of(request))
    number, note = case_no[:64], reason.replace("\x00", "")
    try:
        if step == "return":
            parcel = (carrier, tracking_no.replace("\x00", ""))
            done = record_return(engine, number, *parcel, user.name, note, shop_ids=scope.shop_ids)
        else:
            done = act(engine, number, step, user.name, note, None, disposition, shop_ids=scope.shop_ids)
    except CaseNotFound:
        raise HTTPException(404) from None
    except AfterSaleRefused as exc:  # not allowed now, no reason given …: the area says why
        flash(request, f"{t('aftersales.refused')}: {reason_for(request, exc)}", error=True)
    else:
        words = labels(t)
        status = words["status"][done["status"]]
        flash(request, t("aftersales.done", case=number, step=words["do"][step], status=status))
    return RedirectResponse(case_url(number, scope.shop), status_code=303)
