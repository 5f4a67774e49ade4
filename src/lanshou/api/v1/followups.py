"""Follow-ups of negative feedback (差评回访): the JSON of `lanshou followups list|assign|close --json`,
limited to the caller's shops (another shop's follow-up is answered as one that does not exist). The caller
is the actor recorded in the order's timeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from lanshou.accounts.roles import Permission
from lanshou.api.deps import NO_NUL, EngineDep, ShopScope, require_in_scope
from lanshou.api.errors import BODY_RESPONSES, ApiError, ErrorBody, not_found
from lanshou.api.pagination import Page, decode_position, encode_cursor
from lanshou.followups.service import OUTCOMES

router = APIRouter(tags=["followups"])

ReadScope = Annotated[ShopScope, Depends(require_in_scope(Permission.ORDERS_READ))]
# following up a bad review (calling back, compensating, refunding, reshipping) is after-sales work
ActScope = Annotated[ShopScope, Depends(require_in_scope(Permission.AFTERSALES_MANAGE))]
FollowupId = Annotated[int, Path(ge=1, le=2**31 - 1, description="follow-up id")]


@router.get(
    "/followups", response_model=Page[dict[str, Any]], summary="Follow-ups of negative feedback 差评回访"
)
def list_followups(
    scope: ReadScope,
    engine: EngineDep,
    include_closed: Annotated[bool, Query(alias="all", description="closed ones too / 含已关闭")] = False,
    owner: Annotated[
        str | None, Query(max_length=64, pattern=NO_NUL, description="one owner's tasks / 负责人")
    ] = None,
    overdue: Annotated[bool, Query(description="past their due time only / 已超时")] = False,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    cursor: Annotated[str | None, Query(max_length=200, description="`next` of the previous page")] = None,
    unmask: Annotated[
        bool, Query(description="the buyer's name and phone whole (roles that may see buyer data)")
    ] = False,
) -> Page[dict[str, Any]]:
    """`items` are the objects `lanshou followups list --json` prints, in its order (open first, soonest
    due first): each with the feedback's text and the buyer, masked unless `?unmask=true`."""
    from lanshou.followups.service import list_page
    from lanshou.followups.store import FOLLOWUP_CURSOR, FollowupPosition
    from lanshou.tracking.record import utc_now

    after = decode_position(cursor, FOLLOWUP_CURSOR, FollowupPosition.from_cursor)
    rows, last = list_page(
        engine,
        utc_now(),
        limit,
        after,
        include_closed=include_closed,
        owner=owner,
        overdue=overdue,
        shop_ids=scope.shop_ids,
        unmask=scope.unmasked(unmask),
    )
    return Page[dict[str, Any]](items=rows, next=encode_cursor(last.as_cursor()) if last else None)


class Assignment(BaseModel):
    owner: str = Field(max_length=64, pattern=NO_NUL, description="who follows up / 负责人")


class Closing(BaseModel):
    outcome: str = Field(
        max_length=20, description="结果 how it ended", json_schema_extra={"enum": list(OUTCOMES)}
    )
    note: str = Field("", max_length=1000, pattern=NO_NUL, description="what was done / 备注")


REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "the follow-up is closed already 已关闭"},
    **BODY_RESPONSES,
}


def _act(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The answer of an assign or close; the area's refusal as an API error with its reason."""
    from lanshou.followups.service import FollowupNotFound, FollowupRefused, UnknownOutcome

    try:
        return work()
    except FollowupNotFound as exc:
        raise not_found(str(exc)) from None
    except UnknownOutcome as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    except FollowupRefused as exc:
        raise ApiError(409, "followup_refused", str(exc)) from None


@router.post(
    "/followups/{followup_id}/assign", summary="Give a follow-up to someone 指派回访", responses=REFUSED
)
def assign_followup(
    followup_id: FollowupId, body: Assignment, scope: ActScope, engine: EngineDep
) -> dict[str, Any]:
    """The follow-up as `lanshou followups assign ID --owner … --json` answers it. The owner is an active
    user of the follow-up's shop who may close it (or the owner it has), as on the page: 409 otherwise."""
    from lanshou.followups.service import assign
    from lanshou.tracking.record import utc_now

    return _act(
        lambda: assign(
            engine, followup_id, body.owner, scope.user.name, utc_now(), scope.shop_ids, users_only=True
        )
    )


@router.post(
    "/followups/{followup_id}/close", summary="Close a follow-up with its outcome 完成回访", responses=REFUSED
)
def close_followup(
    followup_id: FollowupId, body: Closing, scope: ActScope, engine: EngineDep
) -> dict[str, Any]:
    """The follow-up as `lanshou followups close ID --outcome … --json` answers it."""
    from lanshou.followups.service import close
    from lanshou.tracking.record import utc_now

    user, now = scope.user.name, utc_now()
    return _act(lambda: close(engine, followup_id, body.outcome, user, now, body.note, scope.shop_ids))
