"""Ship (批量发货) page: the ready shipments of the user's shops (keyset pages of PAGE_SIZE), and a form to
ship the checked ones or all (carrier auto or a code, label size). It runs the ship use case and shows the
result: failures with their reasons, and a link that opens the labels PDF in the browser (served only to
users granted every shop whose parcels it holds). Receivers show as province and city only: the label
itself carries the address."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from lanshou.accounts.model import User
from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep
from lanshou.shipping.labels.model import LABEL_SIZES
from lanshou.tracking.record import utc_now
from lanshou.web.rendering import render
from lanshou.web.review_pages import checked_keys
from lanshou.web.scope import PageScope, local_minute, page_scope, read_cursor
from lanshou.web.security import page_router, require_page

router = page_router()
Shipper = Annotated[User, Depends(require_page(Permission.ORDERS_SHIP))]
Printer = Annotated[User, Depends(require_page(Permission.LABELS_PRINT))]
PAGE_SIZE = 100  # shipments a page shows; the rest are keyset pages away (`?after=`)


def _context(engine: Any, scope: PageScope, after: str = "") -> dict[str, Any]:
    from lanshou.api.pagination import encode_cursor
    from lanshou.review.paging import READY_CURSOR, ReadyPosition, ready_count, ready_page
    from lanshou.shipping.store import config_in_force

    found = read_cursor(after, READY_CURSOR)
    position = ReadyPosition.from_cursor(found) if found else None
    shipments: list[Any] = []
    last, ready = None, 0
    with engine.connect() as conn:
        config = config_in_force(conn)
        if scope.shop_ids:
            shipments, last = ready_page(conn, scope.shop_ids, position, PAGE_SIZE)
            ready = ready_count(conn, scope.shop_ids)
    shops = {s.id: s for s in scope.granted}
    now = utc_now()
    rows = [
        {
            "key": f"{s.shop_id}:{s.keys[0][1]}",
            "orders": s.keys,
            "part": s.part,  # one part of a split order (拆单): checking the order ships all its parts
            "shop": shops[s.shop_id].label if s.shop_id in shops else s.shop,
            "place": f"{s.province} {s.city}".strip(),
            "deadline": local_minute(s.pickup_deadline, shops.get(s.shop_id)) if s.pickup_deadline else "—",
            "overdue": s.pickup_deadline is not None and s.pickup_deadline < now,
            "warehouse": s.warehouse,
        }
        for s in shipments
    ]
    return {
        "scope": scope,
        "rows": rows,
        "ready": ready,
        "carriers": config.plan.carrier_codes() if config else (),
        "configured": config is not None,
        "sizes": tuple(LABEL_SIZES),
        "result": None,
        "refused": "",
        "filters": {"shop": scope.shop},
        "next_after": encode_cursor(last.as_cursor()) if last else None,
        "paged": position is not None,
    }


@router.get("/ship", response_class=HTMLResponse)
def ship_page(
    request: Request, user: Shipper, engine: EngineDep, shop: str = "", after: str = ""
) -> Response:
    return render(request, "ship.html", _context(engine, page_scope(engine, user, shop), after))


@router.post("/ship", response_class=HTMLResponse)
def ship_now(
    request: Request,
    user: Shipper,
    engine: EngineDep,
    keys: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI reads a form default, never mutates it
    all: Annotated[str, Form(max_length=1)] = "",
    carrier: Annotated[str, Form(max_length=32)] = "auto",
    size: Annotated[str, Form(max_length=16)] = "100x180",
    shop: Annotated[str, Form(max_length=200)] = "",
    notify: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    from lanshou.shipping.batch import BatchRequest, ship_batch
    from lanshou.shipping.ship import ShipRefused
    from lanshou.web.i18n import translator
    from lanshou.web.rendering import language_of, reason_for

    scope = page_scope(engine, user, shop)
    t = translator(language_of(request))
    chosen = checked_keys(scope, keys)
    if all:
        request_ = BatchRequest(scope.shop_ids, None, carrier, size, user.name, notify=bool(notify))
    else:
        shop_ids = tuple(sorted({shop_id for shop_id, _ in chosen}))
        wanted = tuple(no for _, no in chosen)
        request_ = BatchRequest(shop_ids, wanted, carrier, size, user.name, notify=bool(notify))
    result, refused = None, ""
    if not request_.shop_ids or (not all and not chosen):
        refused = t("ship.none_checked")
    else:
        try:
            result = ship_batch(engine, request_)
        except ShipRefused as exc:
            refused = reason_for(request, exc)
    context = _context(engine, scope)
    context["result"] = result
    context["refused"] = refused
    return render(request, "ship.html", context, status=200)


@router.get("/ship/labels/{label_id}")
def labels_pdf(user: Printer, engine: EngineDep, label_id: str) -> Response:
    from lanshou.api.v1.shipping import pdf_response
    from lanshou.shipping.batch import labels_pdf as stored_pdf

    scope = page_scope(engine, user, None)
    with engine.connect() as conn:
        pdf = stored_pdf(conn, label_id[:64], {s.id for s in scope.granted})
    if pdf is None:
        raise HTTPException(404)
    return pdf_response(pdf, label_id)


@router.get("/ship/labels/{label_id}/files/{position}")
def run_file(user: Printer, engine: EngineDep, label_id: str, position: int) -> Response:
    """A ship run's upload file or list, under the rule of its labels."""
    from lanshou.api.v1.shipping import attachment
    from lanshou.shipping.batch import batch_file

    scope = page_scope(engine, user, None)
    with engine.connect() as conn:
        found = batch_file(conn, label_id[:64], position, {s.id for s in scope.granted})
    if found is None:
        raise HTTPException(404)
    return attachment(*found)
