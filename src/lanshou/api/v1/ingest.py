"""POST /api/v1/orders/batch: orders from another system, checked as the generic file's rows and stored
in one transaction (committed before the answer: durable on return). Only the caller's shops: an order
of any other shop refuses the whole batch (403) and stores nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, NotRequired

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Request
from pydantic import BaseModel, Field, StringConstraints
from pydantic.fields import FieldInfo
from sqlalchemy import Engine
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from lanshou.accounts.roles import Permission
from lanshou.api.deps import NO_NUL, EngineDep, ShopScope, require_in_scope
from lanshou.api.errors import BODY_RESPONSES, forbidden
from lanshou.events import EventBus, bus
from lanshou.metrics.upkeep import rollups_handed_to

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


def absent(value: str | bool | None) -> FieldInfo:
    """What an absent field reads as, for the published schema (a TypedDict holds no defaults itself:
    lanshou.intake.batch reads an absent field as the file's empty cell)."""
    return Field(json_schema_extra={"default": value})


class BatchLine(TypedDict):
    """One line of an order. Absent: title and category "", no unit_price; carrier, tracking_no and shipped_at
    those of the order."""

    sku: Code
    quantity: Annotated[int, Field(ge=1, le=1_000_000)]
    title: NotRequired[Annotated[Long, absent("")]]
    category: NotRequired[Annotated[Code, absent("")]]
    unit_price: NotRequired[Annotated[Money | None, absent(None)]]
    carrier: NotRequired[Annotated[Id | None, absent(None)]]
    tracking_no: NotRequired[Annotated[Id | None, absent(None)]]
    shipped_at: NotRequired[Annotated[Time | None, absent(None)]]


class BatchOrder(TypedDict):
    """An order as the generic orders file has it (METRICS.md), its lines in `lines`. Times are
    'YYYY-MM-DD HH:MM:SS' in the shop's timezone, or ISO 8601 with an offset. Absent: status "paid",
    is_presale false, every other field empty (as an empty cell of the file)."""

    platform: Short
    shop: Name
    order_id: Id
    created_at: Time
    status: NotRequired[Annotated[Short, absent("paid")]]
    paid_at: NotRequired[Annotated[Time, absent("")]]
    is_presale: NotRequired[Annotated[bool, absent(False)]]
    promised_ship_by: NotRequired[Annotated[Time, absent("")]]
    buyer_id: NotRequired[Annotated[Name, absent("")]]
    buyer_name: NotRequired[Annotated[Name, absent("")]]
    buyer_phone: NotRequired[Annotated[Id, absent("")]]
    # checked as the file's buyer_email column: a bad address rejects the order
    buyer_email: NotRequired[Annotated[Long, absent("")]]
    province: NotRequired[Annotated[Id, absent("")]]
    city: NotRequired[Annotated[Id, absent("")]]
    district: NotRequired[Annotated[Id, absent("")]]
    address: NotRequired[Annotated[Long, absent("")]]
    buyer_message: NotRequired[Annotated[Long, absent("")]]
    country: NotRequired[Annotated[Id, absent("")]]
    seller_remark: NotRequired[Annotated[Long, absent("")]]
    order_amount: NotRequired[Annotated[Money | None, absent(None)]]
    carrier: NotRequired[Annotated[Id, absent("")]]
    tracking_no: NotRequired[Annotated[Id, absent("")]]
    shipped_at: NotRequired[Annotated[Time, absent("")]]
    lines: Annotated[list[BatchLine], Field(min_length=1, max_length=500)]


class OrderBatch(TypedDict):
    # TypedDicts, not models: validated straight into the plain dicts the reader takes, without a model
    # instance and a model_dump per order (1,000 orders: ~45 ms -> ~15 ms of the request's CPU)
    orders: Annotated[list[BatchOrder], Field(min_length=1, max_length=MAX_ORDERS)]


class Rejected(BaseModel):
    position: int  # 1-based position of the order in `orders`
    field: str
    reason: str


class BatchStored(BaseModel):
    inserted: int = Field(description="orders new to Lanshou")
    updated: int = Field(description="stored orders whose fields, lines or parcels changed")
    unchanged: int = Field(description="stored orders sent again as they were (nothing derived again)")
    lines: int
    rejected: list[Rejected]


def _settle(events: EventBus, engine: Engine, nudge: Callable[[], None]) -> None:
    """After the answer: the batch's other subscribers (auto-review) here, its rollups to the workers."""
    with rollups_handed_to(nudge):
        events.settle(engine)


WriteScope = Annotated[ShopScope, Depends(require_in_scope(Permission.ORDERS_REVIEW))]


@router.post("/orders/batch", summary="Store a batch of orders 批量写入订单")
def ingest(
    batch: Annotated[OrderBatch, Body()],
    scope: WriteScope,
    engine: EngineDep,
    request: Request,
    later: BackgroundTasks,
) -> BatchStored:
    """The answer comes once the orders are committed (durable). The metric rollups they move are derived
    by a job worker (`lanshou worker`, or the one `lanshou run` starts) once the batches pause for a second
    (at the latest 30 s after the first held back): deriving does not slow a burst down, and dashboards
    follow within seconds after it."""
    from lanshou.intake.batch import ShopNotAllowed, ingest_orders

    granted = {(shop.platform, shop.name) for shop in scope.selected}
    # a user of every shop (all_shops) may bring a new shop; everyone else writes only the granted ones
    everything = scope.user.all_shops and len(scope.selected) == len(scope.granted)

    def may_write(platform: str, shop: str) -> bool:
        return everything or (platform, shop) in granted

    events = bus.with_own_pending()  # settled below, never by another request's settle
    try:
        result = ingest_orders(engine, batch["orders"], may_write, events, settle=False)
    except ShopNotAllowed as exc:
        raise forbidden(str(exc)) from None
    later.add_task(_settle, events, engine, request.app.state.rollups_nudge)
    return BatchStored(
        inserted=result.inserted,
        updated=result.updated,
        unchanged=result.unchanged,
        lines=result.lines,
        rejected=[Rejected(position=e.line, field=e.column, reason=e.reason) for e in result.rejected],
    )
