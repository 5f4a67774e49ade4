"""After-sales cases (售后单): the JSON of `lanshou aftersales list|show|agree|refuse|return|receive|reship
--json`, over the caller's shops only (another shop's case is answered as one that does not exist).
Reading takes the orders role every user has; agreeing, refusing and marking the replacement sent take
customer service's `aftersales.manage` (as on the case page); receiving a return, or the buyer's return
parcel told by phone, takes `aftersales.receive`, which the warehouse that opens the parcel holds too. The
buyer's name, phone and address are masked unless `?unmask=true`, for the roles that may see buyer data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from lanshou.accounts.roles import Permission
from lanshou.aftersales.states import CaseStatus, CaseType
from lanshou.api.deps import NO_NUL, EngineDep, ShopScope, require_in_scope
from lanshou.api.errors import BODY_RESPONSES, ApiError, ErrorBody, not_found
from lanshou.api.pagination import Page, decode_cursor, encode_cursor, invalid_cursor

router = APIRouter(tags=["aftersales"])

ReadScope = Annotated[ShopScope, Depends(require_in_scope(Permission.ORDERS_READ))]
ActScope = Annotated[ShopScope, Depends(require_in_scope(Permission.AFTERSALES_MANAGE))]
ReceiveScope = Annotated[ShopScope, Depends(require_in_scope(Permission.AFTERSALES_RECEIVE))]
CaseNo = Annotated[str, Path(max_length=64, pattern=NO_NUL, description="售后单号 the platform's case id")]
Unmask = Annotated[bool, Query(description="the buyer's phone and address whole (roles that may see them)")]
# a reason with something in it besides spaces (and no NUL, which PostgreSQL refuses)
SOME_TEXT = r"^[^\x00]*[^\s\x00][^\x00]*$"
DEFAULT_LIMIT = 50

AMBIGUOUS: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "the number is a case of several of your shops: ?shop="}
}
REFUSED: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorBody,
        "description": "refused with the reason (not allowed from the case's status, refund over what "
        "was paid …); nothing changed. Also: the number is a case of several of your shops (?shop=)",
    },
    **BODY_RESPONSES,
}


@router.get("/aftersales", response_model=Page[dict[str, Any]], summary="After-sales cases 售后单")
def list_cases(
    scope: ReadScope,
    engine: EngineDep,
    status: Annotated[list[CaseStatus] | None, Query(description="repeat for several")] = None,
    case_type: Annotated[list[CaseType] | None, Query(alias="type", description="repeat for several")] = None,
    order_id: Annotated[str | None, Query(max_length=64, pattern=NO_NUL, description="订单号")] = None,
    open_only: Annotated[bool, Query(alias="open", description="unfinished cases only 未完结")] = False,
    unmask: Unmask = False,
    limit: Annotated[int, Query(ge=1, le=500)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
) -> Page[dict[str, Any]]:
    """`items` are the objects `lanshou aftersales list --json` prints, newest first."""
    from lanshou.aftersales.service import list_page
    from lanshou.aftersales.store import CASE_CURSOR, CaseFilter, CasePosition

    scope.unmasked(unmask)
    after = CasePosition.from_cursor(decode_cursor(cursor, CASE_CURSOR)) if cursor else None
    if cursor and after is None:
        raise invalid_cursor()
    flt = CaseFilter(
        shop_ids=scope.shop_ids,
        statuses=tuple(s.value for s in status or ()),
        order_no=order_id,
        open_only=open_only,
        case_types=tuple(t.value for t in case_type or ()),
    )
    rows, last = list_page(engine, flt, limit, after, unmask)
    return Page[dict[str, Any]](items=rows, next=encode_cursor(last.as_cursor()) if last else None)


def _answer(job: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The area's refusals as API errors: not among the caller's shops 404, anything else 409."""
    from lanshou.aftersales.service import AmbiguousCase, CaseNotFound
    from lanshou.aftersales.states import AfterSaleRefused

    try:
        return job()
    except CaseNotFound as exc:
        raise not_found(str(exc)) from None
    except AmbiguousCase as exc:
        raise ApiError(409, "ambiguous_case", str(exc).replace("--shop", "?shop=")) from None
    except AfterSaleRefused as exc:
        raise ApiError(409, "aftersale_refused", str(exc)) from None


@router.get(
    "/aftersales/{case_no:path}",
    summary="One case with its steps and the order's timeline 售后详情 (lanshou aftersales show --json)",
    responses=AMBIGUOUS,
)
def show_case(case_no: CaseNo, scope: ReadScope, engine: EngineDep, unmask: Unmask = False) -> dict[str, Any]:
    from lanshou.aftersales.service import show_json

    scope.unmasked(unmask)
    return _answer(lambda: show_json(engine, case_no, shop_ids=scope.shop_ids, unmask=unmask))


class AgreeBody(BaseModel):
    reason: str = Field("", max_length=500, pattern=NO_NUL, description="note for the timeline / 备注")


class RefuseBody(BaseModel):
    reason: str = Field(
        min_length=1, max_length=500, pattern=SOME_TEXT, description="why (required) / 拒绝原因"
    )


class ReceiveBody(BaseModel):
    disposition: Literal["restock", "write_off"] = Field(
        description="the inspection: goods fine, back to stock (入库), or damaged, written off (报损)"
    )
    reason: str = Field("", max_length=500, pattern=NO_NUL, description="note for the timeline / 备注")


class ReshipBody(BaseModel):
    reason: str = Field("", max_length=500, pattern=NO_NUL, description="note for the timeline / 备注")


class ReturnBody(BaseModel):
    carrier: str = Field(
        min_length=1,
        max_length=64,
        pattern=SOME_TEXT,
        description="快递公司: a carrier code or name (zto, 中通)",
    )
    tracking_no: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^\S+$",
        description="退货运单号 the buyer's return tracking number",
    )
    reason: str = Field("", max_length=500, pattern=NO_NUL, description="note for the timeline / 备注")


def _act(
    engine: Engine, scope: ShopScope, case_no: str, step: str, reason: str, disposition: str = ""
) -> dict[str, Any]:
    from lanshou.aftersales.service import act

    return _answer(
        lambda: act(
            engine, case_no, step, scope.user.name, reason, None, disposition, shop_ids=scope.shop_ids
        )
    )


@router.post(
    "/aftersales/{case_no:path}/agree",
    summary="Agree: refund, ask the goods back first, or reship 同意 (lanshou aftersales agree --json)",
    responses=REFUSED,
)
def agree(
    case_no: CaseNo, scope: ActScope, engine: EngineDep, body: AgreeBody | None = None
) -> dict[str, Any]:
    return _act(engine, scope, case_no, "agree", body.reason if body else "")


@router.post(
    "/aftersales/{case_no:path}/refuse",
    summary="Refuse, with a reason 拒绝 (lanshou aftersales refuse --json)",
    responses=REFUSED,
)
def refuse(case_no: CaseNo, body: RefuseBody, scope: ActScope, engine: EngineDep) -> dict[str, Any]:
    return _act(engine, scope, case_no, "refuse", body.reason)


@router.post(
    "/aftersales/{case_no:path}/receive",
    summary="Receive the return and record the inspection 确认收货并验收 (lanshou aftersales receive --json)",
    responses=REFUSED,
)
def receive(case_no: CaseNo, body: ReceiveBody, scope: ReceiveScope, engine: EngineDep) -> dict[str, Any]:
    return _act(engine, scope, case_no, "receive", body.reason, body.disposition)


@router.post(
    "/aftersales/{case_no:path}/reship",
    summary="The replacement or reshipment was sent 发出换货/补发 (lanshou aftersales reship --json)",
    responses=REFUSED,
)
def reship(
    case_no: CaseNo, scope: ActScope, engine: EngineDep, body: ReshipBody | None = None
) -> dict[str, Any]:
    """已发出, for goods sent some other way: shipping the case's outbound order (exchange: once the return
    is inspected; reship: once agreed) records this step by itself, with its waybill. Marked by hand, the
    outbound order still waiting to ship is cancelled, so the goods do not go out twice."""
    return _act(engine, scope, case_no, "reship", body.reason if body else "")


@router.post(
    "/aftersales/{case_no:path}/return",
    summary="Record the buyer's return parcel 登记买家退货运单 (待买家退货 → 买家已退货)",
    responses=REFUSED,
)
def buyer_return(case_no: CaseNo, body: ReturnBody, scope: ReceiveScope, engine: EngineDep) -> dict[str, Any]:
    """The carrier and tracking number the buyer gave customer service; the parcel is then followed as the
    case's return (`GET /api/v1/tracking/{tracking_no}`). `lanshou aftersales return --json` answers the
    same."""
    from lanshou.aftersales.service import record_return

    name, shops = scope.user.name, scope.shop_ids
    return _answer(
        lambda: record_return(
            engine, case_no, body.carrier, body.tracking_no, name, body.reason, shop_ids=shops
        )
    )
