"""Stock (库存): the JSON of `lanshou stock list --json` in pages, and manual adjustments (`lanshou stock
adjust`), for the stock role, over the SKUs the caller's shops sell (`lanshou.inventory.scope`): another
SKU is not listed and adjusting it is 404, as another shop's order is."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from lanshou.accounts.roles import Permission
from lanshou.api.deps import NO_NUL, EngineDep, ShopScope, require_in_scope
from lanshou.api.errors import BODY_RESPONSES, ApiError, ErrorBody, not_found
from lanshou.api.pagination import Page, decode_position, encode_cursor
from lanshou.inventory.scope import StockScope, stock_scope

router = APIRouter(tags=["stock"])

StockUser = Annotated[ShopScope, Depends(require_in_scope(Permission.STOCK_MANAGE))]
MAX_DELTA = 1_000_000_000


def _visible(conn: Connection, scope: ShopScope) -> StockScope:
    return stock_scope(conn, scope.shop_ids, scope.every_shop)


@router.get("/stock", response_model=Page[dict[str, Any]], summary="Stock per SKU and warehouse 库存")
def list_stock(
    scope: StockUser,
    engine: EngineDep,
    low: Annotated[bool, Query(description="only at or below the safety level 仅低库存")] = False,
    sku: Annotated[str | None, Query(max_length=200, pattern=NO_NUL, description="one stock SKU")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    cursor: Annotated[str | None, Query(max_length=200, description="`next` of the previous page")] = None,
) -> Page[dict[str, Any]]:
    """`items` are the objects `lanshou stock list --json` prints, in its order, for the SKUs the caller's
    shops (or `?shop=`) sell."""
    from lanshou.inventory.queries import STOCK_CURSOR, StockPosition, stock_page

    after = decode_position(cursor, STOCK_CURSOR, StockPosition.from_cursor)
    with engine.connect() as conn:
        visible = _visible(conn, scope)
        page, last = stock_page(conn, limit, after, low=low, sku=sku.strip() if sku else None, scope=visible)
    return Page[dict[str, Any]](
        items=[row.as_json() for row in page], next=encode_cursor(last.as_cursor()) if last else None
    )


class StockAdjustment(BaseModel):
    sku: str = Field(min_length=1, max_length=200, pattern=NO_NUL, description="stock SKU")
    delta: int = Field(ge=-MAX_DELTA, le=MAX_DELTA, description="+N adds, -N takes away (not 0)")
    warehouse: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=NO_NUL,
        description="仓库: an existing warehouse's code; omitted: the SKU's own when it is in exactly one",
    )
    reason: str = Field("", max_length=500, pattern=NO_NUL, description="why / 原因")


class StockAdjusted(BaseModel):
    sku: str
    warehouse: str
    on_hand: int


REFUSED: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorBody,
        "description": "refused: below zero or below what is reserved 库存不足 (`stock_refused`), or no such "
        "warehouse 仓库不存在 (`unknown_warehouse`, the message lists the known ones)",
    },
    **BODY_RESPONSES,
}


@router.post("/stock/adjust", summary="Add to or take from on-hand 调整库存", responses=REFUSED)
def adjust_stock(body: StockAdjustment, scope: StockUser, engine: EngineDep) -> StockAdjusted:
    """404 for a SKU the caller's shops do not sell; 409 `unknown_warehouse` (with the known ones) for a
    warehouse that does not exist, or none named for a SKU in several."""
    from lanshou.inventory.counts import StockError, UnknownWarehouse, adjust
    from lanshou.inventory.scope import SkuNotFound
    from lanshou.tracking.record import utc_now

    with engine.connect() as conn:
        visible = _visible(conn, scope)
    try:
        done = adjust(
            engine, body.sku, body.warehouse, body.delta, utc_now(), scope.user.name, body.reason, visible
        )
    except SkuNotFound as exc:
        raise not_found(str(exc)) from None
    except UnknownWarehouse as exc:
        raise ApiError(409, "unknown_warehouse", str(exc)) from None
    except StockError as exc:
        raise ApiError(409, "stock_refused", str(exc)) from None
    return StockAdjusted(sku=done.sku, warehouse=done.warehouse, on_hand=done.on_hand)
