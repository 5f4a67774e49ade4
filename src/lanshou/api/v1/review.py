"""Review (审单) over the API: run the review on the caller's shops (`lanshou review run --json`), and act
on orders in batch — accept, hold (with a reason) or cancel. Another shop's order is answered as one that
does not exist, and refuses the whole batch before anything changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, StringConstraints

from lanshou.accounts.roles import Permission
from lanshou.api.deps import NO_NUL, EngineDep, ShopScope, require_in_scope
from lanshou.api.errors import BODY_RESPONSES, ApiError, ErrorBody, not_found
from lanshou.api.pagination import Page, decode_cursor, encode_cursor, invalid_cursor

router = APIRouter(tags=["review"], responses=BODY_RESPONSES)

ReviewScope = Annotated[ShopScope, Depends(require_in_scope(Permission.ORDERS_REVIEW))]
OrderId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_NUL)]
MAX_IDS = 1000
REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "an order cannot take this action; nothing was changed"},
    **BODY_RESPONSES,
}


class OrderActions(BaseModel):
    action: Literal["accept", "hold", "cancel"]
    ids: list[OrderId] = Field(min_length=1, max_length=MAX_IDS, description="order ids (订单号)")
    reason: str = Field("", max_length=500, pattern=NO_NUL, description="why / 原因 (shown on the timeline)")


class ActionOutcome(BaseModel):
    order_id: str
    shop_id: int
    state: str
    done: bool
    message: str


class ActionsDone(BaseModel):
    action: str
    items: list[ActionOutcome]


@router.post(
    "/review/run", summary="Review the paid orders not yet reviewed 审单 (lanshou review run --json)"
)
def run_review(scope: ReviewScope, engine: EngineDep) -> dict[str, Any]:
    from lanshou.review.run import review_orders

    if not scope.shop_ids:
        return {"reviewed": 0, "accepted": 0, "held": 0, "orders": []}
    return review_orders(engine, shop_ids=scope.shop_ids, actor=scope.user.name).as_json()


@router.post("/orders/actions", summary="Accept, hold or cancel orders in batch 批量审单", responses=REFUSED)
def order_actions(body: OrderActions, scope: ReviewScope, engine: EngineDep) -> ActionsDone:
    from lanshou.review.queries import scoped_keys
    from lanshou.review.staff import ActionRefused, act
    from lanshou.tracking.record import utc_now

    with engine.connect() as conn:
        found = scoped_keys(conn, scope.shop_ids, body.ids)
    missing = [order_id for order_id in dict.fromkeys(body.ids) if order_id not in found]
    if missing:
        raise not_found(f"订单不存在或无权访问 no such order among yours: {', '.join(missing[:10])}")
    shared = [order_id for order_id, keys in found.items() if len(keys) > 1]
    if shared:
        raise ApiError(
            409, "ambiguous_order", f"多个店铺有此订单号 several of your shops have {shared[0]!r}: add ?shop="
        )
    keys = [found[order_id][0] for order_id in dict.fromkeys(body.ids)]
    try:
        outcomes = act(engine, body.action, keys, utc_now(), scope.user.name, body.reason)
    except ActionRefused as exc:
        raise ApiError(409, "action_refused", str(exc)) from None
    items = [
        ActionOutcome(order_id=o.order_no, shop_id=o.shop_id, state=o.state, done=o.done, message=o.message)
        for o in outcomes
    ]
    return ActionsDone(action=body.action, items=items)


def utc(moment: datetime | None) -> datetime | None:
    """A stored naive UTC time as an RFC 3339 one (with its zone), as the published schema says."""
    return None if moment is None else moment.replace(tzinfo=UTC)


class QueueItem(BaseModel):
    order_id: str
    shop_id: int
    shop: str
    state: Literal["held", "accepted"]
    reasons: list[str]
    priority: int
    tags: list[str]
    warehouse: str
    actor: str
    paid_at: datetime | None


@router.get(
    "/review/queue",
    response_model=Page[QueueItem],
    summary="The review queue 审单队列: held orders first, then accepted ones not yet shipped",
)
def review_queue(
    scope: ReviewScope,
    engine: EngineDep,
    state: Annotated[Literal["held", "accepted"] | None, Query(description="only this state")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=300, pattern=NO_NUL)] = None,
) -> Page[QueueItem]:
    from lanshou.review.paging import QUEUE_CURSOR, QueuePosition, review_queue_page

    after = None
    if cursor:
        after = QueuePosition.from_cursor(decode_cursor(cursor, QUEUE_CURSOR))
        if after is None:
            raise invalid_cursor()
    if not scope.shop_ids:
        return Page[QueueItem](items=[], next=None)
    with engine.connect() as conn:
        rows, last = review_queue_page(conn, scope.shop_ids, state, after, limit)
    labels = {shop.id: shop.label for shop in scope.granted}
    items = [
        QueueItem(**{**row, "shop": labels.get(row["shop_id"], ""), "paid_at": utc(row["paid_at"])})
        for row in rows
    ]
    return Page[QueueItem](items=items, next=encode_cursor(last.as_cursor()) if last else None)
