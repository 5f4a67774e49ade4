"""Refund and return-window checks: pure, in Decimal, over every case of an order together.

A refund is checked against what the buyer paid, counting every other case of the order that may still pay
out: one case at a time can never add up to more than the payment. A case that was refused still counts (the
buyer can change it and the platform can overturn the refusal); only a closed case frees its amount.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lanshou.aftersales.states import AfterSaleRefused, CaseStatus, refused
from lanshou.bilingual import Bilingual
from lanshou.config import DEFAULT_TIMEZONE

FEN = Decimal("0.01")
TOO_LARGE = Decimal(10) ** 12  # yuan; also keeps quantize() inside Decimal's 28-digit precision
Money = Decimal | int | str  # never float: 0.1 + 0.2 is not 0.3 in binary


def to_money(value: Money, what: str = "金额 amount") -> Decimal:
    """A non-negative amount in yuan with at most 2 decimals (fen), or AfterSaleRefused saying why not."""
    if isinstance(value, float | bool):
        raise AfterSaleRefused(
            refused(f"{what} {value!r} 须为 Decimal/字符串", f"{what} {value!r} must be a Decimal or string")
        )
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise AfterSaleRefused(
            refused(f"{what} {value!r} 不是金额", f"{what} {value!r} is not an amount")
        ) from None
    if not amount.is_finite() or amount < 0:
        raise AfterSaleRefused(
            refused(f"{what} {value!r} 须为非负数", f"{what} {value!r} must be a non-negative number")
        )
    if amount >= TOO_LARGE:
        raise AfterSaleRefused(refused(f"{what} {value!r} 过大", f"{what} {value!r} is implausibly large"))
    if amount != amount.quantize(FEN):
        raise AfterSaleRefused(
            refused(f"{what} {value!r} 最多两位小数", f"{what} {value!r} has more than 2 decimals (fen)")
        )
    return amount


def yuan(amount: Decimal) -> str:
    return f"¥{amount.quantize(FEN)}"


@dataclass(frozen=True)
class Payment:
    """What the buyer paid for one order, and per line (sub-order) when the platform says."""

    order_id: str
    paid: Money
    lines: Mapping[str, Money] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundClaim:
    """The money one after-sales case of the order asks back (or has got back)."""

    case_id: str
    amount: Money
    line_id: str | None = None  # the sub-order it is for, when known
    status: CaseStatus = CaseStatus.REQUESTED


def still_counts(claim: RefundClaim) -> bool:
    return claim.status is not CaseStatus.CLOSED


def _claimed(claims: Iterable[RefundClaim], line_id: str | None = None) -> tuple[Decimal, list[str]]:
    """Sum and case ids of the claims that count (all of them, or those of one line)."""
    total, ids = Decimal(0), []
    for claim in claims:
        if still_counts(claim) and (line_id is None or claim.line_id == line_id):
            total += to_money(claim.amount, f"售后 {claim.case_id} 金额 amount of case {claim.case_id}")
            ids.append(claim.case_id)
    return total, ids


def refundable(payment: Payment, claims: Sequence[RefundClaim], line_id: str | None = None) -> Decimal:
    """How much more the order (or one of its lines) can still refund."""
    if line_id is None:
        paid = to_money(payment.paid, "实付 paid")
    elif line_id in payment.lines:
        paid = to_money(payment.lines[line_id], f"子订单 {line_id} 实付 paid")
    else:
        raise AfterSaleRefused(
            refused(
                f"订单 {payment.order_id} 没有子订单 {line_id!r}",
                f"order has no line {line_id!r} (lines: {', '.join(payment.lines) or 'none given'})",
            )
        )
    claimed, _ = _claimed(claims, line_id)
    return paid - claimed


def check_refund(payment: Payment, claims: Sequence[RefundClaim], new: RefundClaim) -> Decimal:
    """Refuse `new` unless all refunds of the order, it included, stay within what was paid (and per line).

    `claims` are the order's other cases; one with the same case_id is replaced by `new` (a changed amount).
    Returns what the order can still refund after `new`.
    """
    amount = to_money(new.amount, "退款金额 refund amount")
    if amount == 0:
        raise AfterSaleRefused(refused("退款金额为 0", "a refund of ¥0.00 refunds nothing"))
    others = [claim for claim in claims if claim.case_id != new.case_id]
    scopes: list[str | None] = [None] if new.line_id is None else [new.line_id, None]
    for line_id in scopes:
        room = refundable(payment, others, line_id)
        if amount > room:
            raise AfterSaleRefused(_over_message(payment, others, line_id, amount, room))
    return refundable(payment, others) - amount


def _over_message(
    payment: Payment, others: Sequence[RefundClaim], line_id: str | None, amount: Decimal, room: Decimal
) -> str:
    paid = to_money(payment.paid if line_id is None else payment.lines[line_id])
    claimed, ids = _claimed(others, line_id)
    scope = f"订单 {payment.order_id}" if line_id is None else f"订单 {payment.order_id} 子订单 {line_id}"
    english = (
        f"order {payment.order_id}" if line_id is None else f"line {line_id} of order {payment.order_id}"
    )
    by = f" by case(s) {', '.join(ids)}" if ids else ""
    left = yuan(max(room, Decimal(0)))
    return refused(
        f"退款超过实付 {scope}: 实付 {yuan(paid)}, 已申请 {yuan(claimed)}, 本次 {yuan(amount)}",
        f"refund exceeds what was paid for {english}: paid {yuan(paid)}, already claimed "
        f"{yuan(claimed)}{by}, this {yuan(amount)}, at most {left} left",
    )


# --- the return window ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnPolicy:
    """七天无理由退货: the days count from the day after the buyer signed for the parcel (签收次日起算),
    so a parcel signed on 3 March may be returned until 10 March 23:59:59, shop-local time."""

    days: int = 7
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        if self.days < 0:
            raise ValueError(f"return window of {self.days} days: must be 0 or more")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {self.timezone!r} for the return window") from None


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{what} needs a timezone-aware datetime")
    return moment


def return_deadline(delivered_at: datetime, policy: ReturnPolicy = ReturnPolicy()) -> datetime:
    """The first moment the no-reason return is no longer allowed (exclusive), in the shop's timezone."""
    tz = ZoneInfo(policy.timezone)
    signed_day = _aware(delivered_at, "delivered_at").astimezone(tz).date()
    return datetime.combine(signed_day + timedelta(days=policy.days + 1), time(0), tzinfo=tz)


def check_return_window(
    requested_at: datetime, delivered_at: datetime | None, policy: ReturnPolicy = ReturnPolicy()
) -> None:
    """Refuse a no-reason return asked for after the window; before delivery the window has not started."""
    _aware(requested_at, "requested_at")
    if delivered_at is None:
        return
    deadline = return_deadline(delivered_at, policy)
    if requested_at >= deadline:
        tz = ZoneInfo(policy.timezone)
        fmt = "%Y-%m-%d %H:%M"
        delivered, requested = f"{delivered_at.astimezone(tz):{fmt}}", f"{requested_at.astimezone(tz):{fmt}}"
        days, closed = policy.days, f"{deadline:{fmt}}"
        zh = f"超出{days}天无理由退货期: 签收 {delivered}, 截止 {closed}, 申请 {requested}"
        en = (
            f"outside the {days}-day return window: delivered {delivered}, window closed {closed}, "
            f"requested {requested}"
        )
        # the line the CLI has always printed pairs each word with its translation
        line = (
            f"拒绝 refused: 超出{days}天无理由退货期 / outside the {days}-day return window: 签收 delivered "
            f"{delivered}, 截止 window closed {closed}, 申请 requested {requested}"
        )
        raise AfterSaleRefused(Bilingual(f"拒绝：{zh}", f"refused: {en}", line))
