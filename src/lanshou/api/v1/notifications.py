"""Buyer notifications (买家通知): the delivery log of `lanshou notify log --json`, over the caller's shops,
recipients always masked."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from lanshou.accounts.roles import Permission
from lanshou.api.deps import NO_NUL, EngineDep, ShopScope, require_in_scope
from lanshou.api.pagination import Page
from lanshou.notifications.log import STATES

router = APIRouter(tags=["notifications"])

NotifyScope = Annotated[ShopScope, Depends(require_in_scope(Permission.NOTIFICATIONS_MANAGE))]


@router.get("/notifications", response_model=Page[dict[str, Any]], summary="Delivery log 发送记录")
def delivery_log(
    scope: NotifyScope,
    engine: EngineDep,
    state: Annotated[
        str | None, Query(description="one state", json_schema_extra={"enum": list(STATES)})
    ] = None,
    order_no: Annotated[str | None, Query(max_length=128, pattern=NO_NUL, description="one order")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> Page[dict[str, Any]]:
    """`items` is the list `lanshou notify log --json` prints (newest first, recipients masked); `next` is
    always null: raise `limit` or narrow by `state` / `order_no` to see more."""
    from lanshou.api.errors import ApiError
    from lanshou.notifications.log import delivery_log as log_rows

    if state is not None and state not in STATES:
        raise ApiError(
            422, "invalid_request", f"未知状态 unknown state {state!r} (one of: {', '.join(STATES)})"
        )
    with engine.connect() as conn:
        rows = log_rows(conn, scope.shop_ids, state=state, order_no=order_no, limit=limit)
    return Page[dict[str, Any]](items=rows, next=None)
