"""Ship (批量发货) page: the ready shipments of the user's shops, and a form to ship the checked ones or all
(carrier auto or a code, label size). It runs the ship use case and shows the result: failures with their
reasons, and a link that opens the labels PDF in the browser (served only to users granted every shop whose
parcels it holds). Receivers show as province and city only: the label itself carries the address."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from lanshou.accounts.model import User
from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep
from lanshou.shipping.labels.model import LABEL_SIZES
from lanshou.web.rendering import render
from lanshou.web.review_pages import checked_keys
from lanshou.web.scope import PageScope, page_scope
from lanshou.web.security import page_router, require_page

router = page_router()
Shipper = Annotated[User, Depends(require_page(Permission.ORDERS_SHIP))]
Printer = Annotated[User, Depends(require_page(Permission.LABELS_PRINT))]
SHOWN = 500


def _context(engine: Any, scope: PageScope) -> dict[str, Any]:
    from lanshou.review.queries import ready_shipments
    from lanshou.shipping.store import config_in_force

    with engine.connect() as conn:
        config = config_in_force(conn)
        shipments = ready_shipments(conn, shop_ids=list(scope.shop_ids)) if scope.shop_ids else []
    labels = {s.id: s.label for s in scope.granted}
    rows = [
        {
            "key": f"{s.shop_id}:{s.keys[0][1]}",
            "orders": s.keys,
            "part": s.part,  # one part of a split order (拆单): checking the order ships all its parts
            "shop": labels.get(s.shop_id, s.shop),
            "place": f"{s.province} {s.city}".strip(),
            "deadline": s.pickup_deadline.strftime("%m-%d %H:%M") if s.pickup_deadline else "—",
            "warehouse": s.warehouse,
        }
        for s in shipments[:SHOWN]
    ]
    return {
        "scope": scope,
        "rows": rows,
        "ready": len(shipments),
        "carriers": config.plan.carrier_codes() if config else (),
        "configured": config is not None,
        "sizes": tuple(LABEL_SIZES),
        "result": None,
        "refused": "",
    }


@router.get("/ship", response_class=HTMLResponse)
def ship_page(request: Request, user: Shipper, engine: EngineDep, shop: str = "") -> Response:
    return render(request, "ship.html", _context(engine, page_scope(engine, user, shop)))


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
) -> Response:
    from lanshou.shipping.batch import BatchRequest, ship_batch
    from lanshou.shipping.ship import ShipRefused
    from lanshou.web.i18n import translator
    from lanshou.web.rendering import language_of

    scope = page_scope(engine, user, shop)
    t = translator(language_of(request))
    chosen = checked_keys(scope, keys)
    if all:
        request_ = BatchRequest(scope.shop_ids, None, carrier, size, user.name)
    else:
        shop_ids = tuple(sorted({shop_id for shop_id, _ in chosen}))
        request_ = BatchRequest(shop_ids, tuple(no for _, no in chosen), carrier, size, user.name)
    result, refused = None, ""
    if not request_.shop_ids or (not all and not chosen):
        refused = t("ship.none_checked")
    else:
        try:
            result = ship_batch(engine, request_)
        except ShipRefused as exc:
            refused = str(exc)
    context = _context(engine, scope)
    context["result"] = result
    context["refused"] = refused
    return render(request, "ship.html", context, status=200)


@router.get("/ship/labels/{label_id}")
def labels_pdf(user: Printer, engine: EngineDep, label_id: str) -> Response:
    from lanshou.shipping.batch import labels_file

    scope = page_scope(engine, user, None)
    path = labels_file(label_id[:64], {s.id for s in scope.granted})
    if path is None:
        raise HTTPException(404)
    return FileResponse(
        path,
        media_type="application/pdf",
        filename=f"labels-{label_id}.pdf",
        content_disposition_type="inline",
    )
