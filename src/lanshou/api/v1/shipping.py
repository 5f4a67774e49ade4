"""Batch shipping (批量发货) over the API: `POST /ship` runs the ship use case over the caller's shops and
answers the JSON report of `lanshou ship --json` with a URL for the labels PDF; `GET /labels/{id}` serves
that PDF to users granted every shop whose parcels it holds (anyone else: 404, as if it did not exist)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, StringConstraints

from lanshou.accounts.roles import Permission
from lanshou.api.deps import NO_NUL, EngineDep, ShopScope, require_in_scope
from lanshou.api.errors import BODY_RESPONSES, ApiError, ErrorBody, not_found

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


REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "refused (no carrier configuration, unknown carrier or size)"},
    **BODY_RESPONSES,
}
PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "the labels PDF 面单"},
}


@router.post("/ship", summary="Ship the ready orders 批量发货 (lanshou ship --json)", responses=REFUSED)
def ship_orders(scope: ShipScope, engine: EngineDep, body: ShipRequest | None = None) -> dict[str, Any]:
    """`labels` is the URL of the labels PDF (null when nothing was printed); `failed` orders keep their
    reason in `shipments[].error`."""
    from lanshou.shipping.batch import BatchRequest, ship_batch
    from lanshou.shipping.ship import ShipRefused

    body = body or ShipRequest.model_validate({})
    wanted = tuple(body.orders) if body.orders is not None else None
    request = BatchRequest(scope.shop_ids, wanted, body.carrier, body.size, scope.user.name, body.limit)
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
            "notes": [],
            "shipments": [],
        }
    url = f"{LABELS_PATH}/{result.label_id}" if result.label_id else None
    return result.as_json(url)


@router.get(
    "/labels/{label_id}",
    summary="A labels PDF from a ship run 面单",
    response_class=FileResponse,
    responses=PDF,
)
def labels(
    label_id: Annotated[
        str, Path(min_length=1, max_length=64, pattern=NO_NUL, description="label_id of /ship")
    ],
    scope: PrintScope,
) -> FileResponse:
    from lanshou.shipping.batch import labels_file

    path = labels_file(label_id, {shop.id for shop in scope.granted})
    if path is None:
        raise not_found("面单不存在或无权访问 no such labels file among yours")
    return FileResponse(
        path,
        media_type="application/pdf",
        filename=f"labels-{label_id}.pdf",
        content_disposition_type="inline",
    )
