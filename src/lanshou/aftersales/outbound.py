"""Exchanges and reships send goods again: an outbound order, paid at ¥0, that review and shipping take
like any other. Its number is derived from the original order and the case, so doing it twice finds the
same order instead of making a second one."""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection

from lanshou.aftersales.states import CaseType
from lanshou.aftersales.store import Case
from lanshou.orders.facts import OrderFacts
from lanshou.orders.records import LineRecord, OrderRecord
from lanshou.orders.rows import to_rows
from lanshou.orders.status import OrderStatus
from lanshou.orders.store import OrderStore

MAX_ORDER_NO = 64


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
