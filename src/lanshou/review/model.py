"""What review knows of one order (plain and immutable), and the built-in holds (pure: no I/O).

Built-in holds, each with a reason a person reads (Chinese first):
- incomplete address (no province, city or street address, or a street address under 4 characters) or a
  suspicious one (test words, one character repeated); an address the platform masked is judged on what is
  left (province and city), since it is shipped through the platform's token;
- a buyer message (买家留言) or seller remark (卖家备注) present: someone must read it;
- amount over the shop's threshold (`review_amount_limit`, default 5,000);
- blacklisted buyer, phone or address;
- another open order to the same buyer and address: a merge candidate (合单);
- a presale order not yet due (ship-by more than `presale_hold_hours`, default 72 h, away, or none given);
  `recheck_at` says when it falls due, and the next review run looks at it again.
Stock short is decided when stock is reserved (`review.run`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

OrderKey = tuple[int, str]

DEFAULT_AMOUNT_LIMIT = Decimal("5000")
DEFAULT_PRESALE_HOLD_HOURS = 72.0
_SUSPICIOUS = re.compile(r"测试|test|不详|未知|无地址|xxx|asdf", re.IGNORECASE)
_REPEATED = re.compile(r"(.)\1{5,}")


@dataclass(frozen=True, slots=True)
class Line:
    sku: str
    title: str
    category: str
    quantity: int
    unit_price: Decimal | None
    line_key: str = ""


@dataclass(frozen=True, slots=True)
class OrderData:
    shop_id: int
    order_no: str
    platform: str
    shop: str
    status: str
    created_at: datetime
    paid_at: datetime | None
    is_presale: bool
    promised_ship_by: datetime | None
    buyer_key: str
    receiver_name: str
    receiver_phone: str
    province: str
    city: str
    district: str
    address: str
    buyer_message: str
    amount: Decimal | None
    masked: bool
    lines: tuple[Line, ...] = field(default=())
    remark: str = ""  # the seller's remark (卖家备注), when the platform file has one
    country: str = ""  # the destination country as imported ("" when the file gave none)

    @property
    def key(self) -> OrderKey:
        return (self.shop_id, self.order_no)

    @property
    def full_address(self) -> str:
        return "".join((self.province, self.city, self.district, self.address))


@dataclass(frozen=True, slots=True)
class Limits:
    amount_limit: Decimal = DEFAULT_AMOUNT_LIMIT
    presale_hold_hours: float = DEFAULT_PRESALE_HOLD_HOURS
    auto_review: bool = False

    @classmethod
    def from_settings(cls, settings: dict[str, object]) -> Limits:
        """A shop's settings: `review_amount_limit`, `presale_hold_hours`, `auto_review` (off by default)."""
        amount, hours = settings.get("review_amount_limit"), settings.get("presale_hold_hours")
        return cls(
            Decimal(str(amount)) if isinstance(amount, int | float | str) else DEFAULT_AMOUNT_LIMIT,
            float(hours) if isinstance(hours, int | float) else DEFAULT_PRESALE_HOLD_HOURS,
            settings.get("auto_review") is True,
        )


def address_problem(order: OrderData) -> str | None:
    if not order.province or not order.city:
        return "地址不完整 incomplete address: no province or city"
    if order.masked and "*" in order.address:
        return None  # the platform hid it; the waybill goes through its token
    street = order.address.strip()
    if len(street) < 4:
        return "地址不完整 incomplete address: street address missing or too short"
    if _SUSPICIOUS.search(street) or _REPEATED.search(street):
        return "地址可疑 suspicious address"
    return None


def builtin_holds(
    order: OrderData,
    now: datetime,
    limits: Limits,
    blacklisted: tuple[str, ...] = (),
    merge_with: tuple[str, ...] = (),
) -> list[str]:
    """Every built-in reason to hold this order (empty: it may pass)."""
    reasons: list[str] = []
    problem = address_problem(order)
    if problem:
        reasons.append(problem)
    if order.buyer_message.strip():
        reasons.append("买家留言 buyer message to read")
    if order.remark.strip():
        reasons.append("卖家备注 seller remark to read")
    if order.amount is not None and order.amount > limits.amount_limit:
        reasons.append(f"大额订单 amount {order.amount} over {limits.amount_limit}")
    for kind in blacklisted:
        reasons.append(f"黑名单 blacklisted {kind}")
    if merge_with:
        reasons.append(f"可合单 merge candidate with {', '.join(merge_with[:5])}")
    if order.is_presale:
        due = order.promised_ship_by
        if due is None:
            reasons.append(f"{PRESALE_REASON} presale without a ship date")
        elif due - now > timedelta(hours=limits.presale_hold_hours):
            reasons.append(f"{PRESALE_REASON} presale not due before {due:%Y-%m-%d %H:%M} UTC")
    return reasons


PRESALE_REASON = "预售未到期"


def recheck_at(order: OrderData, limits: Limits, reasons: list[str]) -> datetime | None:
    """When a presale hold falls due (review looks at the order again then); None for other holds."""
    if order.promised_ship_by is None or not any(r.startswith(PRESALE_REASON) for r in reasons):
        return None
    return order.promised_ship_by - timedelta(hours=limits.presale_hold_hours)


def deadline_priority(hours_left: float | None) -> int:
    """Deadline risk as a priority level (9 most urgent): overdue 9, under 4 h 8, 12 h 7, 24 h 6, 48 h 5."""
    if hours_left is None:
        return 2
    for limit, level in ((0.0, 9), (4.0, 8), (12.0, 7), (24.0, 6), (48.0, 5)):
        if hours_left < limit:
            return level
    return 4
