"""Stock (库存): the JSON of `lanshou stock list --json` in pages, and manual adjustments (`lanshou stock
adjust`). Stock is held per warehouse, not per shop, so these routes need the stock role, not a shop grant."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from lanshou.accounts.model import User
from lanshou.accounts.roles import Permission
from lanshou.api.deps import NO_NUL, EngineDep, require
from lanshou.api.errors import BODY_RESPONSES, ApiError, ErrorBody
from lanshou.api.pagination import Page, decode_position, encode_cursor

router = APIRouter(tags=["stock"])

StockUser = Annotated[User, Depends(require(Permission.STOCK_MANAGE))]
MAX_DELTA = 1_000_000_000


@router.get("/stock", response_model=Page[dict[str, Any]], summary="Stock per SKU and warehouse 库存")
def list_stock(
    user: StockUser,
    engine: EngineDep,
    low: Annotated[bool, Query(description="only at or below the safety level 仅低库存")] = False,
    sku: Annotated[str | None, Query(max_length=200, pattern=NO_NUL, description="one stock SKU")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    cursor: Annotated[str | None, Query(max_length=200, description="`next` of the previous page")] = None,
) -> Page[dict[str, Any]]:
    """`items` are the objects `lanshou stock list --json` prints, in its order."""
    from lanshou.inventory.queries import STOCK_CURSOR, StockPosition, stock_page

    after = decode_position(cursor, STOCK_CURSOR, StockPosition.from_cursor)
    with engine.connect() as conn:
        page, last = stock_page(conn, limit, after, low=low, sku=sku.strip() if sku else None)
    return Page[dict[str, Any]](
        items=[row.as_json() for row in page], next=encode_cursor(last.as_cursor()) if last else None
    )


class StockAdjustment(BaseModel):
    sku: str = Field(min_length=1, max_length=200, pattern=NO_NUL, description="stock SKU")
    delta: int = Field(ge=-MAX_DELTA, le=MAX_DELTA, description="+N adds, -N takes away (not 0)")
    warehouse: str = Field("main", min_length=1, max_length=64, pattern=NO_NUL, description="仓库")
    reason: str = Field("", max_length=500, pattern=NO_NUL, description="why / 原因")


class StockAdjusted(BaseModel):
    sku: str
    warehouse: str
    on_hand: int


REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "refused: below zero or below what is reserved 库存不足"},
    **BODY_RESPONSES,
}


@router.post("/stock/adjust", summary="Add to or take from on-hand 调整库存", responses=REFUSED)
def adjust_stock(body: StockAdjustment, user: StockUser, engine: EngineDep) -> StockAdjusted:
    from lanshou.inventory.counts import StockError, adjust
    from lanshou.tracking.record import utc_now

    sku, warehouse = body.sku.strip(), body.warehouse.strip()
    try:
        on_hand = adjust(engine, sku, warehouse, body.delta, utc_now(), user.name, body.reason)
    except StockError as exc:
        raise ApiError(409, "stock_refused", str(exc)) from None
    return StockAdjusted(sku=sku, warehouse=warehouse, on_hand=on_hand)
