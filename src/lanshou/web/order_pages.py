"""Orders: the list with the CLI's filters (keyset pages), one order with its parcels and timeline, and one
parcel's track. Only the user's shops; receivers masked in lists, and on the order page unless the role may
see buyer data."""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep
from lanshou.api.scoped_orders import scoped_orders
from lanshou.orders.queries import OrderFilter, receiver, to_local
from lanshou.orders.status import OrderStatus
from lanshou.web.rendering import render
from lanshou.web.scope import page_scope, parse_day
from lanshou.web.security import PageUser, page_router

router = page_router()
PAGE_SIZE = 50
STATUSES = tuple(status.value for status in OrderStatus)


@router.get("/orders", response_class=HTMLResponse)
def orders_page(
    request: Request,
    user: PageUser,
    engine: EngineDep,
    shop: str = "",
    status: str = "",
    order: str = "",
    paid_from: str = "",
    paid_to: str = "",
    before: str = "",
) -> Response:
    scope = page_scope(engine, user, shop)
    flt = OrderFilter(
        statuses=(status,) if status in STATUSES else (),
        paid_from=parse_day(paid_from),
        paid_to=parse_day(paid_to),
        order_no=order.strip()[:64] or None,
    )
    before_id = int(before) if before.isdigit() and len(before) < 12 else None
    with engine.connect() as conn:
        found = scoped_orders(conn, flt, scope.shop_ids, PAGE_SIZE + 1, before_id)
    page = found[:PAGE_SIZE]
    ids = {s.label: s.id for s in scope.granted}
    rows = []
    for _, row in page:
        name, phone, _address = receiver(row, unmask=False)
        paid = to_local(row.paid_at, row.shop_timezone)
        rows.append(
            {
                "row": row,
                "shop_id": ids.get(f"{row.platform}/{row.shop}", 0),
                "receiver": f"{name} {phone}".strip(),
                "paid": paid.strftime("%Y-%m-%d %H:%M") if paid else "—",
            }
        )
    filters = {
        "shop": scope.shop,
        "status": status,
        "order": order,
        "paid_from": paid_from,
        "paid_to": paid_to,
    }
    next_before = page[-1][0] if len(found) > PAGE_SIZE else None
    context = {
        "scope": scope,
        "rows": rows,
        "filters": filters,
        "statuses": STATUSES,
        "next_before": next_before,
    }
    return render(request, "orders.html", context)


@router.get("/orders/{shop_id}/{order_no:path}", response_class=HTMLResponse)
def order_page(request: Request, user: PageUser, engine: EngineDep, shop_id: int, order_no: str) -> Response:
    from lanshou.orders.detail import order_detail

    scope = page_scope(engine, user, None)
    scope.granted_id(shop_id)  # 404 for a shop not granted: the same as an order that does not exist
    with engine.connect() as conn:
        detail = order_detail(conn, shop_id, order_no[:64], unmask=user.may(Permission.BUYER_DATA_VIEW))
    if detail is None:
        raise HTTPException(404)
    return render(request, "order.html", {"d": detail})


@router.get("/tracking/{tracking_no:path}", response_class=HTMLResponse)
def tracking_page(request: Request, user: PageUser, engine: EngineDep, tracking_no: str) -> Response:
    from lanshou.aftersales.return_parcels import parcel_for_shops
    from lanshou.tracking.show import UnknownParcel

    scope = page_scope(engine, user, None)
    try:
        view = parcel_for_shops(engine, tracking_no[:64], [s.id for s in scope.granted])
    except UnknownParcel:
        raise HTTPException(404) from None
    ids = {s.label: s.id for s in scope.granted}
    for entry in view["orders"]:
        entry["shop_id"] = ids.get(f"{entry['platform']}/{entry['shop']}", 0)
    return render(request, "tracking.html", {"p": view})
