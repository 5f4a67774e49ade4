"""Exchanges and reships send goods again: an outbound order, paid at ¥0, that review and shipping take
like any other. Its number is derived from the original order and the case, so doing it twice finds the
same order instead of making a second one.

A case that stops without its goods sent (refused, closed: states.SENDS_NOTHING) withdraws its outbound
order through review's own cancel, as the dashboard cancels an order (its stock released, its timeline
saying why); one that has left already is left, and the case's order's timeline says so."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection

from lanshou.aftersales.states import STATUS_TITLES, CaseStatus, CaseType
from lanshou.aftersales.store import Case
from lanshou.events import EventBus
from lanshou.orders.facts import OrderFacts
from lanshou.orders.records import LineRecord, OrderRecord
from lanshou.orders.rows import to_rows
from lanshou.orders.status import OrderStatus
from lanshou.orders.store import OrderStore
from lanshou.orders.timeline import SYSTEM, TimelineEntry
from lanshou.review.stops import Outcome, stop_unshipped

MAX_ORDER_NO = 64
LEFT = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED})  # the goods are out


def outbound_number(order_no: str, case: Case) -> str:
    tag = "X" if case.case_type is CaseType.EXCHANGE else "R"  # 换货 exchange, 补发 reship
    number = f"{order_no}-{tag}{case.case_no}"
    if len(number) <= MAX_ORDER_NO:
        return number
    digest = hashlib.sha1(case.case_no.encode()).hexdigest()[:10]
    return f"{order_no[: MAX_ORDER_NO - 12]}-{tag}{digest}"


def may_be_outbound(order_no: str) -> bool:
    """Whether `outbound_number` could have made this number: a cheap test before any look-up, so that
    shipping a batch of ordinary orders asks after-sales nothing."""
    return "-X" in order_no or "-R" in order_no


def outbound_lines(order: OrderFacts, case: Case) -> list[LineRecord]:
    """The case's own line when it names a SKU, else every line of the order; at no charge."""
    chosen = [line for line in order.lines if not case.sku or line.sku == case.sku]
    if case.sku and not chosen:
        return [LineRecord(case.sku, case.sku, case.quantity or 1, unit_price=Decimal(0))]
    return [
        LineRecord(
            line.line_key,
            line.sku,
            case.quantity if case.sku and case.quantity else line.quantity,
            line.title,
            line.category,
            Decimal(0),
        )
        for line in chosen
    ]


def create_outbound(conn: Connection, order: OrderFacts, case: Case, now: datetime) -> str:
    number = outbound_number(order.order_no, case)
    record = OrderRecord(
        platform=order.platform,
        shop=order.shop,
        order_no=number,
        created_at=now,
        status=OrderStatus.PAID,
        paid_at=now,
        buyer_id=order.buyer_key,
        buyer_name=order.receiver_name,
        buyer_phone=order.receiver_phone,
        province=order.province,
        city=order.city,
        district=order.district,
        address=order.address,
        # the seller's note, not the buyer's: review must not say the buyer wrote something to read
        seller_remark=f"售后 {case.case_no} {case.case_type.value} of order {order.order_no}",
        order_amount=Decimal(0),
        buyer_data_masked=order.buyer_data_masked,
        lines=outbound_lines(order, case),
    )
    OrderStore(conn).save(to_rows([record]), source=f"aftersale {case.case_no}")
    return number


@dataclass(frozen=True)
class Withdrawal:
    """A case with an outbound order that stopped without sending it, and the step that stopped it."""

    case: Case
    actor: str
    why: str  # the step's own words: the refusal's reason, the platform's status …


def withdraw_outbound(
    conn: Connection, withdrawals: list[Withdrawal], now: datetime, events: EventBus
) -> list[TimelineEntry]:
    """Stop each withdrawn case's outbound order if it has not shipped; the case's order's timeline entries
    saying what became of it. A refused case's order is held (暂停), not cancelled: 已拒绝 is not an end (the
    buyer may apply again, the platform may step in), and a held order is accepted again in review, where a
    cancelled one never is. An ended case's, or one whose goods went some other way, is cancelled."""
    entries: list[TimelineEntry] = []
    for withdrawal in withdrawals:
        case = withdrawal.case
        key = (case.shop_id, case.outbound_order_no)
        action = "hold" if case.status is CaseStatus.REFUSED else "cancel"
        reason = _stop_reason(withdrawal, action)
        (outcome,) = stop_unshipped(conn, action, [key], now, SYSTEM, reason, events)
        entries += _told(withdrawal, action, outcome, now)
    return entries


def _stopped(case: Case) -> str:
    return f"售后单 {case.case_no} {STATUS_TITLES[case.status]}"


_STOPS = {  # (zh, en) of each stop, in the reasons and notes
    "cancel": ("取消", "cancelled"),
    "hold": ("暂停，售后继续时请在审单中通过", "held: accept it in review if the case goes on"),
}


def _stop_reason(withdrawal: Withdrawal, action: str) -> str:
    """What review records as the stop's reason: the case's step, who took it and why."""
    case = withdrawal.case
    zh, en = _STOPS[action]
    return (
        f"{_stopped(case)} → 换货/补发订单{zh} / case {case.case_no} {case.status.value}: outbound order "
        f"{en} ({withdrawal.actor}: {withdrawal.why})"
    )


def _told(withdrawal: Withdrawal, action: str, outcome: Outcome, now: datetime) -> list[TimelineEntry]:
    case, number = withdrawal.case, withdrawal.case.outbound_order_no
    kind = "aftersale_outbound_held" if action == "hold" else "aftersale_outbound_cancelled"
    if outcome.done:
        zh, en = _STOPS[action]
        detail = f"{_stopped(case)}: 换货/补发订单 {number} 已{zh}，库存已释放 / outbound order {en}"
        return [TimelineEntry(case.shop_id, case.order_no, now, kind, detail)]
    if outcome.state in LEFT:
        # too late to stop the goods: the order stays as shipped, and both timelines say why it was not
        # stopped, so whoever follows the parcel up knows the case ended without it
        detail = (
            f"{_stopped(case)}，但换货/补发订单 {number} 已发货（{outcome.state}），不取消 / case "
            f"{case.status.value}, but the goods had already left: outbound order not stopped"
        )
        return [
            TimelineEntry(case.shop_id, no, now, "aftersale_outbound_left", detail)
            for no in (case.order_no, number)
        ]
    detail = f"{_stopped(case)}: 换货/补发订单 {number} 无需变更 nothing to stop: {outcome.message}"
    return [TimelineEntry(case.shop_id, case.order_no, now, kind, detail)]
