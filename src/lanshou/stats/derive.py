"""An order, its lines and its after-sales cases as statistics facts. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

UNPAID = frozenset({"pending_payment", "cancelled"})
RETURN_TYPES = frozenset({"return_refund", "exchange"})
RESEND_TYPES = frozenset({"exchange", "reship"})
MONEY_TYPES = frozenset({"refund_unshipped", "refund_shipped", "return_refund", "price_protection"})
WHOLE_ORDER = "(整单 whole order)"  # a case naming no SKU, of an order with several


@dataclass(frozen=True, slots=True)
class LineIn:
    sku: str
    category: str
    quantity: int
    unit_price: Decimal | None


@dataclass(frozen=True, slots=True)
class CaseIn:
    case_no: str
    case_type: str
    status: str
    reason_code: str
    amount: Decimal
    sku: str
    quantity: int
    requested_at: datetime  # naive UTC
    resent: bool  # an outbound order went out for it


@dataclass(frozen=True, slots=True)
class OrderIn:
    shop_id: int
    order_no: str
    timezone: str
    at: datetime  # paid, else created; naive UTC
    status: str
    amount: Decimal | None
    province: str
    buyer: str | None  # the buyer profile's key
    lines: tuple[LineIn, ...] = ()
    cases: tuple[CaseIn, ...] = field(default=())


def local_day(moment: datetime, timezone: str) -> date:
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)).date()


def counted(order: OrderIn) -> bool:
    return order.status not in UNPAID and (order.amount is None or order.amount > 0)


def _sales(line: LineIn) -> Decimal:
    return (line.unit_price or Decimal(0)) * line.quantity


def _resent_value(order: OrderIn, case: CaseIn) -> Decimal:
    if case.case_type not in RESEND_TYPES or not case.resent:
        return Decimal(0)
    lines = [line for line in order.lines if not case.sku or line.sku == case.sku]
    if case.sku and case.quantity:
        return sum(((line.unit_price or Decimal(0)) * case.quantity for line in lines[:1]), Decimal(0))
    return sum((_sales(line) for line in lines), Decimal(0))


def _case_sku(order: OrderIn, case: CaseIn) -> str:
    if case.sku:
        return case.sku
    skus = {line.sku for line in order.lines}
    return skus.pop() if len(skus) == 1 else WHOLE_ORDER


def repeats(orders: Sequence[OrderIn]) -> set[tuple[int, str]]:
    """The counted orders whose buyer had an earlier counted one (all of a buyer's orders must be given)."""
    seen: set[str] = set()
    found: set[tuple[int, str]] = set()
    for order in sorted(
        (o for o in orders if counted(o) and o.buyer), key=lambda o: (o.at, o.shop_id, o.order_no)
    ):
        assert order.buyer is not None
        if order.buyer in seen:
            found.add((order.shop_id, order.order_no))
        seen.add(order.buyer)
    return found


def derive(
    orders: Sequence[OrderIn],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Fact rows (orders, lines, cases) of these orders; give every order of their buyers (for `repeat`)."""
    repeat = repeats(orders)
    order_rows, line_rows, case_rows = [], [], []
    for order in orders:
        day = local_day(order.at, order.timezone)
        is_counted = counted(order)
        order_rows.append(
            {
                "shop_id": order.shop_id,
                "order_no": order.order_no,
                "day": day,
                "counted": is_counted,
                "repeat": (order.shop_id, order.order_no) in repeat,
                "amount": order.amount or Decimal(0),
                "province": order.province,
            }
        )
        if is_counted:
            for position, line in enumerate(order.lines):
                line_rows.append(
                    {
                        "shop_id": order.shop_id,
                        "order_no": order.order_no,
                        "line": position,
                        "day": day,
                        "sku": line.sku,
                        "category": line.category,
                        "quantity": line.quantity,
                        "sales": _sales(line),
                    }
                )
        for case in order.cases:
            refunded = case.status == "refunded" and case.case_type in MONEY_TYPES
            case_rows.append(
                {
                    "shop_id": order.shop_id,
                    "case_no": case.case_no,
                    "order_no": order.order_no,
                    "day": local_day(case.requested_at, order.timezone),
                    "sku": _case_sku(order, case),
                    "reason_code": case.reason_code,
                    "is_return": case.case_type in RETURN_TYPES,
                    "is_refund": refunded,
                    "refunded": case.amount if refunded else Decimal(0),
                    "resent": _resent_value(order, case),
                }
            )
    return order_rows, line_rows, case_rows
