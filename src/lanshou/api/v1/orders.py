"""GET /api/v1/orders: the CLI's order filters over the caller's shops, masked unless the role may see.

`?shop=…&order_id=…` finds one order. Orders of shops the caller is not granted never appear: they are
filtered out in SQL, so no filter, search or cursor can reach them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, BeforeValidator, JsonValue
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from lanshou.accounts.roles import Permission
from lanshou.api.deps import NO_NUL, EngineDep, Scope, loop_reads, timezone_param
from lanshou.api.errors import ApiError, ErrorBody, forbidden, not_found
from lanshou.api.pagination import Page, decode_cursor, encode_cursor
from lanshou.api.scoped_orders import one_order_number, scoped_orders
from lanshou.orders.queries import OrderFilter, OrderRow, email_of, receiver
from lanshou.orders.status import OrderStatus

router = APIRouter(tags=["orders"])
DEFAULT_LIMIT = 50  # orders per page unless ?limit= says otherwise

# Days outside these are clamped to them: no order is older or newer, and converting a local midnight of
# 0001-01-01 or 9999-12-31 to UTC would leave datetime's range.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)
TIMEZONES: list[JsonValue] = [
    name for name in sorted(available_timezones())
]  # published, so clients know the names


class OrderItem(BaseModel):
    order_id: str
    shop: str
    platform: str
    status: OrderStatus
    created_at: datetime
    paid_at: datetime | None
    shop_timezone: str
    receiver_name: str
    receiver_phone: str
    buyer_email: str  # masked like the phone (z***@example.com)
    province: str
    city: str
    district: str
    address: str
    masked: bool  # receiver name, phone and address are masked (138****5678)
    buyer_message: str
    amount: str | None  # decimal yuan, "128.00"
    line_count: int
    quantity: int
    skus: str
    titles: str
    carrier: str
    tracking_no: str

    @classmethod
    def of(cls, row: OrderRow, unmask: bool) -> OrderItem:
        name, phone, address = receiver(row, unmask)
        return cls(
            order_id=row.order_no,
            shop=row.shop,
            platform=row.platform,
            status=OrderStatus(row.status),
            created_at=_utc(row.created_at),
            paid_at=_utc(row.paid_at) if row.paid_at else None,
            shop_timezone=row.shop_timezone,
            receiver_name=name,
            receiver_phone=phone,
            buyer_email=email_of(row, unmask),
            province=row.province,
            city=row.city,
            district=row.district,
            address=address,
            masked=not unmask,
            buyer_message=row.buyer_message,
            amount=None if row.order_amount is None else f"{row.order_amount:.2f}",
            line_count=row.line_count,
            quantity=row.quantity,
            skus=row.skus,
            titles=row.titles,
            carrier=row.carrier,
            tracking_no=row.tracking_no,
        )


def _iso_day(value: object) -> object:
    """Only YYYY-MM-DD: pydantic would also read "0" or "1.5" as a Unix time, silently a day in 1970."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


IsoDay = Annotated[date, BeforeValidator(_iso_day)]


def clamp_day(day: date | None) -> date | None:
    return None if day is None else min(max(day, FIRST_DAY), LAST_DAY)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


@router.get("/orders", response_model=Page[OrderItem], summary="Find orders 查询订单")
async def list_orders(
    scope: Scope,
    request: Request,
    order_id: Annotated[str | None, Query(max_length=64, pattern=NO_NUL, description="订单号")] = None,
    platform: Annotated[str | None, Query(max_length=20, pattern=NO_NUL)] = None,
    status: Annotated[list[OrderStatus] | None, Query(description="repeat for several")] = None,
    paid_from: Annotated[IsoDay | None, Query(description="first local day")] = None,
    paid_to: Annotated[IsoDay | None, Query(description="last local day, inclusive")] = None,
    buyer: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=NO_NUL,
            description="part of the receiver's name or phone (roles that may see buyer data only)",
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=NO_NUL,
            description="搜索 one search box: an order number or its first 4+ characters, a tracking number,"
            " a SKU or its start; for roles that may see buyer data also the receiver's phone (whole or its"
            " last 4 digits) and name (whole)",
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        Query(
            max_length=64,
            description="IANA name for the paid days; default each shop's own",
            json_schema_extra={"enum": TIMEZONES},
        ),
    ] = None,
    unmask: Annotated[bool, Query(description="full receiver data (roles that may see it only)")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
) -> Page[OrderItem]:
    may_see = scope.user.may(Permission.BUYER_DATA_VIEW)
    if (unmask or buyer) and not may_see:
        # a search by phone would reveal the digits the mask hides, one guess at a time
        raise forbidden(f"无权查看买家信息 the {scope.user.role.value} role may not see or search buyer data")
    flt = OrderFilter(
        platform=platform,
        statuses=tuple(s.value for s in status or ()),
        paid_from=clamp_day(paid_from),
        paid_to=clamp_day(paid_to),
        order_no=order_id,
        buyer=buyer,
        timezone=timezone_param(timezone),
        search=q,
        search_receivers=may_see,
    )
    before = decode_cursor(cursor, {"before": int})["before"] if cursor else None
    shop_ids = scope.shop_ids
    if one_order_number(flt, before) is not None:
        # one indexed statement: on the loop, outside a transaction (see lanshou.api.loop_reads)
        found = loop_reads(request).run(lambda conn: scoped_orders(conn, flt, shop_ids, limit + 1, before))
    else:  # a list may scan: in a worker thread
        found = await run_in_threadpool(_scoped, request.app.state.engine, flt, shop_ids, limit + 1, before)
    page, more = found[:limit], len(found) > limit
    return Page[OrderItem](
        items=[OrderItem.of(row, unmask) for _, row in page],
        next=encode_cursor({"before": page[-1][0]}) if more else None,
    )


def _scoped(
    engine: Engine, flt: OrderFilter, shop_ids: tuple[int, ...], limit: int, before: int | None
) -> list[tuple[int, OrderRow]]:
    with engine.connect() as conn:
        return scoped_orders(conn, flt, shop_ids, limit, before)


OrderId = Annotated[str, Path(max_length=64, pattern=NO_NUL, description="订单号")]


@router.get(
    "/orders/{order_id:path}",
    summary="One order with its lines, parcels and timeline 订单详情 (lanshou orders show --json)",
    responses={409: {"model": ErrorBody, "description": "the number is in several of your shops: ?shop="}},
)
def get_order(
    order_id: OrderId,
    scope: Scope,
    engine: EngineDep,
    unmask: Annotated[bool, Query(description="full receiver data (roles that may see it only)")] = False,
    timezone: Annotated[
        str | None,
        Query(max_length=64, description="zone of the times shown", json_schema_extra={"enum": TIMEZONES}),
    ] = None,
) -> dict[str, Any]:
    from lanshou.inventory.order_detail import with_reservations
    from lanshou.orders.detail import AmbiguousOrder, OrderNotFound, find_order_detail

    scope.unmasked(unmask)
    zone = timezone_param(timezone)
    with engine.connect() as conn:
        try:
            detail = find_order_detail(conn, order_id, scope.shop_ids, unmask, zone)
            return with_reservations(conn, detail, order_id, scope.shop_ids)
        except OrderNotFound as exc:
            raise not_found(str(exc)) from None
        except AmbiguousOrder as exc:
            raise ApiError(409, "ambiguous_order", str(exc).replace("--shop", "?shop=")) from None
