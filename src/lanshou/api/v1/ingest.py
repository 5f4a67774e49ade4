"""POST /api/v1/orders/batch: orders from another system, checked as the generic file's rows and stored
in one transaction (committed before the answer: durable on return). Only the caller's shops: an order
of any other shop refuses the whole batch (403) and stores nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from pydantic import BaseModel, Field, StringConstraints

from lanshou.accounts.roles import Permission
from lanshou.api.deps import NO_NUL, EngineDep, ShopScope, require_in_scope
from lanshou.api.errors import BODY_RESPONSES, forbidden

router = APIRouter(tags=["orders"], responses=BODY_RESPONSES)

MAX_ORDERS = 5000  # one transaction: the batch size of a file import


Short = Annotated[str, StringConstraints(max_length=20, pattern=NO_NUL)]
Id = Annotated[str, StringConstraints(max_length=64, pattern=NO_NUL)]
Code = Annotated[str, StringConstraints(max_length=128, pattern=NO_NUL)]
Name = Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]
Long = Annotated[str, StringConstraints(max_length=1000, pattern=NO_NUL)]
Time = Annotated[str, StringConstraints(max_length=40, pattern=NO_NUL)]
# decimal yuan as text ("9.90"): a JSON number would lose cents to binary floating point
Money = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,10}(\.[0-9]{1,2})?$")]


class BatchLine(BaseModel):
    sku: Code
    quantity: int = Field(ge=1, le=1_000_000)
    title: Long = ""
    category: Code = ""
    unit_price: Money | None = None
    carrier: Id | None = None
    tracking_no: Id | None = None
    shipped_at: Time | None = None


class BatchOrder(BaseModel):
    """An order as the generic orders file has it (METRICS.md), its lines in `lines`. Times are
    'YYYY-MM-DD HH:MM:SS' in the shop's timezone, or ISO 8601 with an offset."""

    platform: Short
    shop: Name
    order_id: Id
    created_at: Time
    status: Short = "paid"
    paid_at: Time = ""
    is_presale: bool = False
    promised_ship_by: Time = ""
    buyer_id: Name = ""
    buyer_name: Name = ""
    buyer_phone: Id = ""
    buyer_email: Long = ""  # checked like the file's buyer_email column: a bad address rejects the order
    province: Id = ""
    city: Id = ""
    district: Id = ""
    address: Long = ""
    buyer_message: Long = ""
    country: Id = ""
    seller_remark: Long = ""
    order_amount: Money | None = None
    carrier: Id = ""
    tracking_no: Id = ""
    shipped_at: Time = ""
    lines: list[BatchLine] = Field(min_length=1, max_length=500)


class OrderBatch(BaseModel):
    orders: list[BatchOrder] = Field(min_length=1, max_length=MAX_ORDERS)


class Rejected(BaseModel):
    position: int  # 1-based position of the order in `orders`
    field: str
    reason: str


class BatchStored(BaseModel):
    inserted: int
    updated: int
    unchanged: int
    lines: int
    rejected: list[Rejected]


WriteScope = Annotated[ShopScope, Depends(require_in_scope(Permission.ORDERS_REVIEW))]


@router.post("/orders/batch", summary="Store a batch of orders 批量写入订单")
def ingest(
    batch: OrderBatch, scope: WriteScope, engine: EngineDep, request: Request, later: BackgroundTasks
) -> BatchStored:
    """The answer comes once the orders are committed (durable). The metric rollups they move are brought
    up to date right after the answer, by one run for however many batches arrived meanwhile."""
    from lanshou.intake.batch import Settler, ShopNotAllowed, ingest_orders

    granted = {(shop.platform, shop.name) for shop in scope.selected}
    # a user of every shop (all_shops) may bring a new shop; everyone else writes only the granted ones
    everything = scope.user.all_shops and len(scope.selected) == len(scope.granted)

    def may_write(platform: str, shop: str) -> bool:
        return everything or (platform, shop) in granted

    orders = [order.model_dump(mode="json") for order in batch.orders]
    try:
        result = ingest_orders(engine, orders, may_write, settle=False)
    except ShopNotAllowed as exc:
        raise forbidden(str(exc)) from None
    settler = getattr(request.app.state, "settler", None)
    if settler is None:
        settler = request.app.state.settler = Settler(engine)
    later.add_task(settler)
    return BatchStored(
        inserted=result.inserted,
        updated=result.updated,
        unchanged=result.unchanged,
        lines=result.lines,
        rejected=[Rejected(position=e.line, field=e.column, reason=e.reason) for e in result.rejected],
    )
