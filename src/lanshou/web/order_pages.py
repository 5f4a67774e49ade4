"""Orders: the list with the CLI's filters (keyset pages), one order with its parcels and timeline, and one
parcel's track. Only the user's shops; receivers masked in lists, and on the order page unless the role may
see buyer data. A reviewer sees the order's review (审单) with the actions its state allows, posted to the
review page's own handler and coming back here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy import Engine

from lanshou.accounts.model import User
from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep
from lanshou.api.scoped_orders import scoped_orders
from lanshou.files.export import csv_chunks
from lanshou.orders.queries import EXPORT_HEADERS, OrderFilter, OrderRow, export_rows, receiver, to_local
from lanshou.orders.status import OrderStatus
from lanshou.web.rendering import render
from lanshou.web.scope import page_scope, parse_day
from lanshou.web.security import PageUser, page_router, require_page

router = page_router()
PAGE_SIZE = 50
SEARCH_LENGTH = 64  # the longest order or tracking number stored
STATUSES = tuple(status.value for status in OrderStatus)
CSV_TYPE = "text/csv; charset=utf-8"


@dataclass
class OrderQuery:
    """The list's filters, as the page's form and its links send them."""

    shop: str = ""
    status: str = ""
    q: str = ""  # the search box (lanshou.orders.search)
    order: str = ""  # the box's name before it searched more than order numbers: older links still work
    paid_from: str = ""
    paid_to: str = ""

    def order_filter(self, user: User) -> OrderFilter:
        return OrderFilter(
            statuses=(self.status,) if self.status in STATUSES else (),
            paid_from=parse_day(self.paid_from),
            paid_to=parse_day(self.paid_to),
            search=self.term or None,
            # the rule of GET /api/v1/orders?buyer=: a phone or name search reveals what the mask hides
            search_receivers=user.may(Permission.BUYER_DATA_VIEW),
        )

    @property
    def term(self) -> str:
        return (self.q or self.order).strip()[:SEARCH_LENGTH]

    def links(self, shop: str) -> dict[str, str]:
        """The filters as the page's links carry them (the next and first pages, the export)."""
        return {
            "shop": shop,
            "status": self.status,
            "q": self.term,
            "paid_from": self.paid_from,
            "paid_to": self.paid_to,
        }


OrderParams = Annotated[OrderQuery, Depends()]


@router.get("/orders", response_class=HTMLResponse)
def orders_page(
    request: Request, user: PageUser, engine: EngineDep, params: OrderParams, before: str = ""
) -> Response:
    scope = page_scope(engine, user, params.shop)
    flt = params.order_filter(user)
    before_id = int(before) if before.isdigit() and len(before) < 12 else None
    with engine.connect() as conn:
        found = scoped_orders(conn, flt, scope.shop_ids, PAGE_SIZE + 1, before_id)
    page = found[:PAGE_SIZE]
    ids = {s.label: s.id for s in scope.granted}
    context = {
        "scope": scope,
        "rows": [_listed(row, ids) for _, row in page],
        "filters": params.links(scope.shop),
        "statuses": STATUSES,
        "next_before": page[-1][0] if len(found) > PAGE_SIZE else None,
        "later_page": before_id is not None,  # a keyset cannot step back a page: it offers the first
        "may_export": user.may(Permission.EXPORTS_RUN),
        "may_unmask": user.may(Permission.BUYER_DATA_VIEW),
        "search_receivers": flt.search_receivers,
    }
    return render(request, "orders.html", context)


def _listed(row: OrderRow, shop_ids: dict[str, int]) -> dict[str, object]:
    name, phone, _address = receiver(row, unmask=False)
    paid = to_local(row.paid_at, row.shop_timezone)
    return {
        "row": row,
        "shop_id": shop_ids.get(f"{row.platform}/{row.shop}", 0),
        "receiver": f"{name} {phone}".strip(),
        "paid": paid.strftime("%Y-%m-%d %H:%M") if paid else "—",
        "skus": [item for item in row.skus.split(", ") if item],  # each "SKU×2" kept on one line
    }


@router.get("/orders/export.csv")
def orders_export(
    user: Annotated[User, Depends(require_page(Permission.EXPORTS_RUN))],
    engine: EngineDep,
    params: OrderParams,
    unmask: bool = False,
) -> StreamingResponse:
    """The list's orders under its filters, every page of them, as the CSV `lanshou orders list --csv`
    writes: the user's shops only; receivers masked unless the role may see buyer data and asks; no cell a
    spreadsheet would run as a formula. Streamed as the rows are read, so any number fits."""
    if unmask and not user.may(Permission.BUYER_DATA_VIEW):
        raise HTTPException(403)
    scope = page_scope(engine, user, params.shop)
    flt = replace(params.order_filter(user), shop_ids=scope.shop_ids)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    headers = {"Content-Disposition": f'attachment; filename="orders-{stamp}.csv"'}
    return StreamingResponse(_export_chunks(engine, flt, unmask), media_type=CSV_TYPE, headers=headers)


def _export_chunks(engine: Engine, flt: OrderFilter, unmask: bool) -> Iterator[bytes]:
    with engine.connect() as conn:
        for chunk in csv_chunks(EXPORT_HEADERS, export_rows(conn, flt, unmask)):
            yield chunk.encode("utf-8")


@router.get("/orders/{shop_id}/{order_no:path}", response_class=HTMLResponse)
def order_page(request: Request, user: PageUser, engine: EngineDep, shop_id: int, order_no: str) -> Response:
    from lanshou.orders.detail import order_detail
    from lanshou.review.staff import order_review
    from lanshou.web.rendering import path_segment
    from lanshou.web.review_pages import take_flash

    scope = page_scope(engine, user, None)
    scope.granted_id(shop_id)  # 404 for a shop not granted: the same as an order that does not exist
    with engine.connect() as conn:
        detail = order_detail(conn, shop_id, order_no[:64], unmask=user.may(Permission.BUYER_DATA_VIEW))
    if detail is None:
        raise HTTPException(404)
    context = {"d": detail, "shop_id": shop_id, "review": None, "flash": take_flash(request)}
    if user.may(Permission.ORDERS_REVIEW):
        # the review queue's actions on this one order, through /review/actions, back here
        context["review"] = order_review(engine, (shop_id, order_no[:64]))
        context["back"] = f"/orders/{shop_id}/{path_segment(order_no[:64])}"
    return render(request, "order.html", context)


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
