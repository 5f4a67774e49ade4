"""Refund checks over all cases of an order, and the no-reason return window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanshou.aftersales.money import (
    Payment,
    RefundClaim,
    ReturnPolicy,
    check_refund,
    check_return_window,
    refundable,
    return_deadline,
    to_money,
)
from lanshou.aftersales.states import AfterSaleRefused, CaseStatus

ORDER = Payment("T1001", Decimal("100.00"), {"L1": Decimal("60.00"), "L2": "40.00"})
SH = ZoneInfo("Asia/Shanghai")


def test_a_refund_within_the_payment_passes_and_says_what_is_left() -> None:
    assert check_refund(ORDER, [], RefundClaim("C1", Decimal("30.00"))) == Decimal("70.00")
    assert check_refund(ORDER, [], RefundClaim("C1", "100")) == Decimal("0.00")


def test_refund_larger_than_the_payment_is_refused_with_the_numbers() -> None:
    with pytest.raises(AfterSaleRefused) as refused:
        check_refund(ORDER, [], RefundClaim("C1", "100.01"))
    message = str(refused.value)
    assert message.startswith("拒绝 refused: 退款超过实付 订单 T1001")
    assert "paid ¥100.00, already claimed ¥0.00, this ¥100.01, at most ¥100.00 left" in message


def test_all_cases_of_the_order_count_together() -> None:
    existing = [
        RefundClaim("C1", "50.00", status=CaseStatus.REFUNDED),
        RefundClaim("C2", "30.00", status=CaseStatus.AGREED),
    ]
    assert check_refund(ORDER, existing, RefundClaim("C3", "20.00")) == Decimal("0.00")
    with pytest.raises(AfterSaleRefused, match=r"already claimed ¥80.00 by case\(s\) C1, C2, this ¥20.01"):
        check_refund(ORDER, existing, RefundClaim("C3", "20.01"))


def test_closed_cases_free_their_amount_refused_ones_do_not() -> None:
    closed = [RefundClaim("C1", "100.00", status=CaseStatus.CLOSED)]
    assert check_refund(ORDER, closed, RefundClaim("C2", "100.00")) == Decimal("0.00")
    refused = [RefundClaim("C1", "100.00", status=CaseStatus.REFUSED)]  # can still be reapplied or overturned
    with pytest.raises(AfterSaleRefused):
        check_refund(ORDER, refused, RefundClaim("C2", "0.01"))


def test_changing_a_cases_amount_replaces_it() -> None:
    existing = [RefundClaim("C1", "90.00"), RefundClaim("C2", "10.00")]
    assert check_refund(ORDER, existing, RefundClaim("C1", "80.00")) == Decimal("10.00")


def test_line_limits_apply_and_the_order_limit_too() -> None:
    assert check_refund(ORDER, [], RefundClaim("C1", "60.00", line_id="L1")) == Decimal("40.00")
    with pytest.raises(AfterSaleRefused, match=r"子订单 L1.*line L1 of order T1001: paid ¥60\.00"):
        check_refund(ORDER, [], RefundClaim("C1", "60.01", line_id="L1"))
    # L2 alone has room, but the order as a whole does not (a refund without a line took the rest)
    existing = [RefundClaim("C1", "55.00", line_id="L1"), RefundClaim("C2", "10.00")]
    with pytest.raises(AfterSaleRefused, match=r"order T1001: paid ¥100\.00, already claimed ¥65\.00"):
        check_refund(ORDER, existing, RefundClaim("C3", "40.00", line_id="L2"))


def test_unknown_line_is_refused() -> None:
    with pytest.raises(AfterSaleRefused, match=r"order has no line 'L9' \(lines: L1, L2\)"):
        check_refund(ORDER, [], RefundClaim("C1", "1", line_id="L9"))


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (0.1, "must be a Decimal or string"),
        (True, "must be a Decimal or string"),
        ("abc", "is not an amount"),
        ("-1", "non-negative"),
        ("NaN", "non-negative"),
        ("Infinity", "non-negative"),
        ("1.001", "more than 2 decimals"),
        ("1e40", "implausibly large"),
        ("0", "refunds nothing"),
        ("0.00", "refunds nothing"),
    ],
)
def test_bad_amounts_are_refused(amount: object, reason: str) -> None:
    with pytest.raises(AfterSaleRefused, match=reason):
        check_refund(ORDER, [], RefundClaim("C1", amount))  # type: ignore[arg-type]


def test_money_accepts_int_str_and_decimal_exactly() -> None:
    assert to_money(3) == Decimal(3)
    assert to_money("0.10") + to_money("0.20") == Decimal("0.30")
    assert to_money(Decimal("1.100")) == Decimal("1.1")


fen = st.integers(min_value=1, max_value=50_000).map(lambda n: Decimal(n) / 100)


@given(paid=fen, asks=st.lists(st.tuples(fen, st.sampled_from(["L1", "L2", None])), max_size=25))
def test_accepted_refunds_never_exceed_the_payment(
    paid: Decimal, asks: list[tuple[Decimal, str | None]]
) -> None:
    line1 = (paid / 3).quantize(Decimal("0.01"))
    payment = Payment("P", paid, {"L1": line1, "L2": paid - line1})
    accepted: list[RefundClaim] = []
    for number, (amount, line) in enumerate(asks):
        claim = RefundClaim(f"C{number}", amount, line_id=line)
        order_room = paid - sum((Decimal(c.amount) for c in accepted), Decimal(0))
        line_room = None
        if line is not None:
            taken = sum((Decimal(c.amount) for c in accepted if c.line_id == line), Decimal(0))
            line_room = Decimal(payment.lines[line]) - taken
        fits = amount <= order_room and (line_room is None or amount <= line_room)
        try:
            left = check_refund(payment, accepted, claim)
        except AfterSaleRefused:
            assert not fits
            continue
        assert fits and left == order_room - amount
        accepted.append(claim)
    total = sum((Decimal(c.amount) for c in accepted), Decimal(0))
    assert total <= paid and refundable(payment, accepted) == paid - total
    for line_id, line_paid in payment.lines.items():
        assert sum((Decimal(c.amount) for c in accepted if c.line_id == line_id), Decimal(0)) <= Decimal(
            line_paid
        )


# --- return window ----------------------------------------------------------------------------------------


def test_seven_days_count_from_the_day_after_signing_in_shop_time() -> None:
    delivered = datetime(2026, 3, 3, 22, 0, tzinfo=SH)
    assert return_deadline(delivered) == datetime(2026, 3, 11, 0, 0, tzinfo=SH)
    check_return_window(datetime(2026, 3, 10, 23, 59, 59, tzinfo=SH), delivered)
    with pytest.raises(AfterSaleRefused) as refused:
        check_return_window(datetime(2026, 3, 11, 0, 0, tzinfo=SH), delivered)
    assert str(refused.value) == (
        "拒绝 refused: 超出7天无理由退货期 / outside the 7-day return window: "
        "签收 delivered 2026-03-03 22:00, 截止 window closed 2026-03-11 00:00, "
        "申请 requested 2026-03-11 00:00"
    )


def test_day_boundaries_are_local_not_utc() -> None:
    delivered = datetime(2026, 3, 3, 17, 0, tzinfo=UTC)  # 4 March 01:00 in Shanghai
    assert return_deadline(delivered) == datetime(2026, 3, 12, 0, 0, tzinfo=SH)
    assert return_deadline(delivered, ReturnPolicy(days=15, timezone="UTC")) == datetime(
        2026, 3, 19, tzinfo=UTC
    )


def test_before_delivery_the_window_has_not_started() -> None:
    check_return_window(datetime(2026, 3, 1, tzinfo=SH), None)


def test_bad_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Base'"):
        ReturnPolicy(timezone="Mars/Base")
    with pytest.raises(ValueError, match="must be 0 or more"):
        ReturnPolicy(days=-1)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="requested_at needs a timezone-aware"):
        check_return_window(datetime(2026, 3, 1), None)
    with pytest.raises(ValueError, match="delivered_at needs a timezone-aware"):
        return_deadline(datetime(2026, 3, 1))


@given(st.integers(min_value=0, max_value=60 * 24 * 20))
def test_window_check_agrees_with_the_deadline(minutes: int) -> None:
    delivered = datetime(2026, 3, 3, 9, 30, tzinfo=SH)
    asked = delivered + timedelta(minutes=minutes)
    inside = asked < datetime(2026, 3, 11, tzinfo=SH)
    try:
        check_return_window(asked, delivered)
    except AfterSaleRefused:
        assert not inside
    else:
        assert inside
