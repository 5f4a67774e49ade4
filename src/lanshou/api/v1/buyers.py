"""Buyers (客户): the JSON of `lanshou buyers list|segment|show|blacklist --json`, as the caller's shops see
each buyer (`lanshou.buyers.seen`: a buyer who never bought there does not exist for the caller; one who
also bought elsewhere is counted over the caller's shops only). Masked as the orders routes mask: names,
phones and e-mails unless `?unmask=true`, which only roles that may see buyer data may ask."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from lanshou.accounts.roles import Permission
from lanshou.api.deps import NO_NUL, EngineDep, ShopScope, require_in_scope
from lanshou.api.errors import BODY_RESPONSES, ApiError, ErrorBody, not_found
from lanshou.api.pagination import Page, decode_position, encode_cursor

if TYPE_CHECKING:
    from lanshou.buyers.service import AmbiguousBuyer

router = APIRouter(tags=["buyers"])

ReadScope = Annotated[ShopScope, Depends(require_in_scope(Permission.ORDERS_READ))]
# the blacklist is kept by the staff who handle after-sales and feedback (refund abuse, complaints); review
# only reads it
BlacklistScope = Annotated[ShopScope, Depends(require_in_scope(Permission.AFTERSALES_MANAGE))]
Buyer = Annotated[
    str, Path(max_length=200, pattern=NO_NUL, description="buyer key, or one of their order numbers")
]
Unmask = Annotated[bool, Query(description="full names, phones, e-mails (roles that may see them only)")]


@router.get(
    "/buyers",
    response_model=Page[dict[str, Any]],
    summary="Buyers, biggest spend first 客户列表",
    responses={404: {"model": ErrorBody, "description": "no such shop among yours, or no such segment"}},
)
def list_buyers(
    scope: ReadScope,
    engine: EngineDep,
    tier: Annotated[str | None, Query(max_length=40, pattern=NO_NUL, description="one tier / 等级")] = None,
    repeat: Annotated[bool | None, Query(description="repeat buyers (true) or one-order (false)")] = None,
    blacklisted: Annotated[bool | None, Query(description="on the blacklist (true) or not (false)")] = None,
    segment: Annotated[
        str | None, Query(max_length=100, pattern=NO_NUL, description="in this segment now / 分群")
    ] = None,
    unmask: Unmask = False,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    cursor: Annotated[str | None, Query(max_length=200, description="`next` of the previous page")] = None,
) -> Page[dict[str, Any]]:
    """`items` are the objects `lanshou buyers list --json` prints (`lanshou buyers segment NAME --json`
    with `segment`), in its order."""
    from lanshou.buyers.service import BUYER_CURSOR, BuyerPosition, list_page

    full = scope.unmasked(unmask)
    after = decode_position(cursor, BUYER_CURSOR, BuyerPosition.from_cursor)
    filters = {"tier": tier, "repeat": repeat, "blacklisted": blacklisted, "segment": segment}
    try:
        rows, last = list_page(engine, limit, after, full, scope.shop_ids, **filters)
    except LookupError as exc:  # a segment the rules do not define, answered as `?shop=` of no shop is
        raise ApiError(404, "segment_not_found", str(exc)) from None
    return Page[dict[str, Any]](items=rows, next=encode_cursor(last.as_cursor()) if last else None)


AMBIGUOUS: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorBody,
        "description": "the order number is an order of several of your shops, of different buyers: ?shop=",
    }
}


def _ambiguous(exc: AmbiguousBuyer) -> ApiError:
    return ApiError(409, "ambiguous_buyer", exc.message("/", "?shop="))


@router.get(
    "/buyers/{buyer:path}",
    summary="One buyer with their orders and feedback 客户详情 (lanshou buyers show)",
    responses=AMBIGUOUS,
)
def get_buyer(buyer: Buyer, scope: ReadScope, engine: EngineDep, unmask: Unmask = False) -> dict[str, Any]:
    from lanshou.buyers.service import AmbiguousBuyer, show_json

    full = scope.unmasked(unmask)
    try:
        return show_json(engine, buyer, full, scope.shop_ids)
    except AmbiguousBuyer as exc:
        raise _ambiguous(exc) from None
    except LookupError as exc:
        raise not_found(str(exc)) from None


class BlacklistChange(BaseModel):
    reason: str = Field("", max_length=500, pattern=NO_NUL, description="why / 原因 (required to add)")
    remove: bool = Field(False, description="take the buyer off the blacklist / 移出黑名单")


REFUSED: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorBody,
        "description": "refused: blacklisting needs a reason 须写明原因; or the order number is an order of "
        "several of your shops, of different buyers (?shop=)",
    },
    **BODY_RESPONSES,
}


@router.post(
    "/buyers/{buyer:path}/blacklist",
    summary="Put a buyer on the blacklist, or take them off 黑名单 (lanshou buyers blacklist)",
    responses=REFUSED,
)
def blacklist_buyer(
    buyer: Buyer, body: BlacklistChange, scope: BlacklistScope, engine: EngineDep
) -> dict[str, Any]:
    """The buyer (masked) as `lanshou buyers blacklist KEY --json` answers; the caller is kept as who did
    it (`blacklisted_by`). Review holds every new order of a blacklisted buyer, in every shop."""
    from lanshou.buyers.service import AmbiguousBuyer, blacklist
    from lanshou.tracking.record import utc_now

    user, now = scope.user.name, utc_now()
    try:
        return blacklist(engine, buyer, not body.remove, body.reason, user, now, scope.shop_ids)
    except AmbiguousBuyer as exc:
        raise _ambiguous(exc) from None
    except LookupError as exc:
        raise not_found(str(exc)) from None
    except ValueError as exc:  # no reason: nothing was changed
        raise ApiError(409, "blacklist_refused", str(exc)) from None
