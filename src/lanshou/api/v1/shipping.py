"""Batch shipping (批量发货) over the API: `POST /ship` runs the ship use case over the caller's shops and
answers the JSON report of `lanshou ship --json` with a URL for the labels PDF; `GET /labels/{id}` serves
that PDF to users granted every shop whose parcels it holds (anyone else: 404, as if it did not exist)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field, StringConstraints

from lanshou.accounts.roles import Permission
from lanshou.api.deps import NO_NUL, EngineDep, ShopScope, require_in_scope
from lanshou.api.errors import BODY_RESPONSES, ApiError, ErrorBody, not_found
from lanshou.api.pagination import Page, decode_cursor, encode_cursor, invalid_cursor

router = APIRouter(tags=["shipping"])

ShipScope = Annotated[ShopScope, Depends(require_in_scope(Permission.ORDERS_SHIP))]
PrintScope = Annotated[ShopScope, Depends(require_in_scope(Permission.LABELS_PRINT))]
OrderId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_NUL)]
LABELS_PATH = "/api/v1/labels"


class ShipRequest(BaseModel):
    orders: list[OrderId] | None = Field(
        None, max_length=5000, description="ship only the shipments holding these orders; default: all ready"
    )
    carrier: str = Field("auto", max_length=32, pattern=NO_NUL, description="auto, or a carrier code (zto…)")
    size: str = Field("100x180", max_length=16, pattern=NO_NUL, description="label size: 100x180 | 76x130")
    limit: int | None = Field(None, ge=1, le=5000, description="at most N shipments")
    notify: bool = Field(
        False, description="also tell the platforms by API, for shops with API credentials (ship --notify)"
    )


REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "refused (no carrier configuration, unknown carrier or size)"},
    **BODY_RESPONSES,
}
PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "the labels PDF 面单"},
}


class ReadyItem(BaseModel):
    key: str = Field(description="shop_id:order_id of its main order (what the ship page's boxes name)")
    order_ids: list[str] = Field(description="the orders shipped together (合单), the main one first")
    shop_id: int
    shop: str
    platform: str
    province: str
    city: str
    warehouse: str
    priority: int
    pickup_deadline: datetime | None
    ship_by: datetime | None


@router.get(
    "/ship/ready",
    response_model=Page[ReadyItem],
    summary="The shipments ready to ship 待发货, most urgent first (合单 as one)",
    responses=BODY_RESPONSES,
)
def ready_list(
    scope: ShipScope,
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=300, pattern=NO_NUL)] = None,
) -> Page[ReadyItem]:
    from lanshou.api.v1.review import utc
    from lanshou.review.paging import READY_CURSOR, ReadyPosition, ready_page

    after = None
    if cursor:
        after = ReadyPosition.from_cursor(decode_cursor(cursor, READY_CURSOR))
        if after is None:
            raise invalid_cursor()
    if not scope.shop_ids:
        return Page[ReadyItem](items=[], next=None)
    with engine.connect() as conn:
        shipments, last = ready_page(conn, scope.shop_ids, after, limit)
    labels = {shop.id: shop.label for shop in scope.granted}
    items = [
        ReadyItem(
            key=f"{s.shop_id}:{s.keys[0][1]}",
            order_ids=list(s.order_nos),
            shop_id=s.shop_id,
            shop=labels.get(s.shop_id, s.shop),
            platform=s.platform,
            province=s.province,
            city=s.city,
            warehouse=s.warehouse,
            priority=s.priority,
            pickup_deadline=utc(s.pickup_deadline),
            ship_by=utc(s.promised_ship_by),
        )
        for s in shipments
    ]
    return Page[ReadyItem](items=items, next=encode_cursor(last.as_cursor()) if last else None)


@router.post("/ship", summary="Ship the ready orders 批量发货 (lanshou ship --json)", responses=REFUSED)
def ship_orders(scope: ShipScope, engine: EngineDep, body: ShipRequest | None = None) -> dict[str, Any]:
    """`labels` is the URL of the labels PDF (null when nothing was printed); `failed` orders keep their
    reason in `shipments[].error`."""
    from lanshou.shipping.batch import BatchRequest, ship_batch
    from lanshou.shipping.ship import ShipRefused

    body = body or ShipRequest.model_validate({})
    wanted = tuple(body.orders) if body.orders is not None else None
    request = BatchRequest(
        scope.shop_ids, wanted, body.carrier, body.size, scope.user.name, body.limit, body.notify
    )
    try:
        result = ship_batch(engine, request) if scope.shop_ids else None
    except ShipRefused as exc:
        raise ApiError(409, "ship_refused", str(exc)) from None
    if result is None:
        return {
            "shipped": 0,
            "failed": 0,
            "labels": None,
            "label_id": None,
            "pages": 0,
            "upload_files": [],
            "files": [],
            "notes": [],
            "shipments": [],
        }
    return result.as_json(f"{LABELS_PATH}/{result.label_id}" if result.label_id else None)


@router.get(
    "/labels/{label_id}",
    summary="A labels PDF from a ship run 面单",
    response_class=Response,
    responses=PDF,
)
def labels(
    label_id: Annotated[
        str, Path(min_length=1, max_length=64, pattern=NO_NUL, description="label_id of /ship")
    ],
    scope: PrintScope,
    engine: EngineDep,
) -> Response:
    from lanshou.shipping.batch import labels_pdf

    with engine.connect() as conn:
        pdf = labels_pdf(conn, label_id, {shop.id for shop in scope.granted})
    if pdf is None:
        raise not_found("面单不存在或无权访问 no such labels file among yours")
    return pdf_response(pdf, label_id)


@router.get(
    "/labels/{label_id}/files/{position}",
    summary="Another file of a ship run: a platform's batch-ship upload file, the pick or packing list",
    response_class=Response,
    responses={200: {"description": "the file, as an attachment"}},
)
def run_file(
    label_id: Annotated[
        str, Path(min_length=1, max_length=64, pattern=NO_NUL, description="label_id of /ship")
    ],
    position: Annotated[int, Path(ge=0, le=1000, description="the file's number: `files[]` of /ship")],
    scope: PrintScope,
    engine: EngineDep,
) -> Response:
    from lanshou.shipping.batch import batch_file

    with engine.connect() as conn:
        found = batch_file(conn, label_id, position, {shop.id for shop in scope.granted})
    if found is None:
        raise not_found("文件不存在或无权访问 no such file among yours")
    return attachment(*found)


def attachment(name: str, data: bytes) -> Response:
    """A download under its own (often Chinese) file name, never cached by a shared cache."""
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    headers = {
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "private, no-store",
    }
    kind = "application/pdf" if name.endswith(".pdf") else "application/octet-stream"
    if name.endswith(".csv"):
        kind = "text/csv"
    return Response(data, media_type=kind, headers=headers)


def pdf_response(pdf: bytes, label_id: str) -> Response:
    """The PDF, opened in the browser (inline), never cached by a shared cache."""
    headers = {
        "Content-Disposition": f'inline; filename="labels-{label_id}.pdf"',
        "Cache-Control": "private, no-store",
    }
    return Response(pdf, media_type="application/pdf", headers=headers)
