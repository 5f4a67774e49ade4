"""The after-sales use cases on one transaction: open or update cases from the platform, act on them.

A `CaseBook` loads the orders and every case of those orders (locked on PostgreSQL), applies each change in
memory only after all its checks passed (so a refused change leaves nothing behind), and `flush` writes the
cases, their history, the orders' timeline entries and the events in one go. Every move goes through
`states.transition` (or `states.route` for a platform that skipped steps); every refund is checked with
`money.check_refund` against what the order's cases together claim.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from lanshou.aftersales.money import Payment, RefundClaim, check_refund, check_return_window, yuan
from lanshou.aftersales.outbound import Withdrawal, create_outbound, withdraw_outbound
from lanshou.aftersales.policy import MONEY_TYPES, ShopPolicy, policy_from_settings
from lanshou.aftersales.states import (
    ACTION_TITLES,
    SENDS_NOTHING,
    STATUS_TITLES,
    Action,
    AfterSaleRefused,
    CaseStatus,
    CaseType,
    allowed_actions,
    refused,
    route,
    transition,
)
from lanshou.aftersales.store import Case, cases_of_orders, save_cases, save_history
from lanshou.carriers.registry import identify
from lanshou.events import AfterSalesChanged, EventBus, OrdersChanged, ReturnReceived
from lanshou.orders.facts import OrderFacts, order_facts
from lanshou.orders.keys import OrderKey
from lanshou.orders.timeline import SYSTEM, TimelineEntry, record
from lanshou.shops.store import load_shops
from lanshou.tracking.queries import delivered_at_of

DISPOSITIONS = ("restock", "write_off")
MAX_TRACKING_NO = 64  # the column's width


@dataclass(frozen=True)
class Incoming:
    """A case as a platform (file) states it now; `case_type` None: refund-only, kind decided by the order."""

    shop_id: int
    case_no: str
    order_no: str
    case_type: CaseType | None
    status: CaseStatus
    raw_status: str
    reason: str
    reason_code: str
    amount: Decimal
    requested_at: datetime  # naive UTC
    return_carrier: str = ""
    return_tracking_no: str = ""
    sku: str = ""
    quantity: int = 0


def inspection_pending(case: Case) -> bool:
    """The platform said the return arrived, and nobody has inspected it yet (a `receive` records that)."""
    return case.status is CaseStatus.RECEIVED and not case.disposition


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class CaseBook:
    def __init__(self, conn: Connection, order_keys: list[OrderKey], now: datetime | None = None) -> None:
        self.conn = conn
        self.now = now or utc_now()
        self.orders = order_facts(conn, order_keys, lock=True)
        self.cases = cases_of_orders(conn, order_keys, lock=True)
        self._shops = load_shops(conn)
        self._delivered: dict[OrderKey, datetime | None] = {}
        self._dirty: dict[tuple[int, str], Case] = {}
        self._history: list[tuple[object, ...]] = []
        self._timeline: list[TimelineEntry] = []
        self._received: list[ReturnReceived] = []
        self._new_orders: list[OrderKey] = []
        self._withdrawn: list[Withdrawal] = []
        self._shipping: set[tuple[int, str]] = set()  # cases whose outbound order is shipping now

    # --- reading -------------------------------------------------------------------------------------

    def policy(self, shop_id: int) -> ShopPolicy:
        shop = self._shops[shop_id]
        return policy_from_settings(shop.settings, shop.timezone)

    def order(self, key: OrderKey) -> OrderFacts:
        found = self.orders.get(key)
        if found is None:
            raise AfterSaleRefused(
                refused(f"订单 {key[1]} 未导入", f"order {key[1]} is not imported; import the orders first")
            )
        return found

    def case(self, shop_id: int, case_no: str) -> Case | None:
        for cases in self.cases.values():
            for case in cases:
                if case.shop_id == shop_id and case.case_no == case_no:
                    return case
        return None

    def delivered_at(self, key: OrderKey) -> datetime | None:
        if key not in self._delivered:
            self._delivered[key] = delivered_at_of(self.conn, key[0], [key[1]]).get(key[1])
        return self._delivered[key]

    # --- checks --------------------------------------------------------------------------------------

    def check_money(self, case: Case) -> None:
        if case.case_type not in MONEY_TYPES or case.status is CaseStatus.CLOSED:
            return
        order = self.order(case.order_key)
        paid = order.paid
        if paid is None:
            raise AfterSaleRefused(
                refused(
                    f"订单 {order.order_no} 实付未知",
                    f"what was paid for order {order.order_no} is unknown: cannot check the refund",
                )
            )
        claims = [
            RefundClaim(other.case_no, other.amount, None, other.status)
            for other in self.cases.get(case.order_key, [])
            if other.case_type in MONEY_TYPES
        ]
        check_refund(Payment(order.order_no, paid), claims, RefundClaim(case.case_no, case.amount))

    def check_window(self, case: Case, policy: ShopPolicy) -> None:
        if not policy.window_applies(case.case_type, case.reason_code):
            return
        delivered = self.delivered_at(case.order_key)
        if delivered is not None:
            check_return_window(
                case.requested_at.replace(tzinfo=UTC), delivered.replace(tzinfo=UTC), policy.window
            )

    # --- changes -------------------------------------------------------------------------------------

    def take(self, incoming: Incoming, actor: str = SYSTEM, source: str = "") -> str:
        """Open or update a case as the platform states it; returns "new", "updated" or "unchanged"."""
        key = (incoming.shop_id, incoming.order_no)
        order = self.order(key)
        case_type = incoming.case_type or (
            CaseType.REFUND_SHIPPED
            if order.status in {"shipped", "delivered", "completed"}
            else CaseType.REFUND_UNSHIPPED
        )
        stored = self.case(incoming.shop_id, incoming.case_no)
        if stored is None:
            return self._open(incoming, case_type, actor, source)
        if stored.order_no != incoming.order_no:
            raise AfterSaleRefused(
                refused(
                    f"售后 {incoming.case_no} 属于订单 {stored.order_no}",
                    f"case belongs to order {stored.order_no}, not {incoming.order_no}",
                )
            )
        changed = replace(
            stored,
            status=incoming.status,
            raw_status=incoming.raw_status or stored.raw_status,
            amount=incoming.amount,
            return_carrier=incoming.return_carrier or stored.return_carrier,
            return_tracking_no=incoming.return_tracking_no or stored.return_tracking_no,
        )
        if changed == stored:
            return "unchanged"
        steps = route(stored.status, incoming.status, stored.case_type)
        if steps is None:
            raise AfterSaleRefused(
                refused(
                    f"售后 {stored.case_no} 不能从 {stored.status.value} 变为 {incoming.status.value}",
                    f"a {stored.case_type.value} case cannot go from {stored.status.value!r} to "
                    f"{incoming.status.value!r}",
                )
            )
        if changed.amount != stored.amount or steps:
            self.check_money(changed)
        changed.updated_at = self.now
        what = " → ".join(step.value for step in steps) or "details"
        self._put(
            stored,
            changed,
            actor,
            "platform",
            f"平台状态 platform {changed.raw_status or changed.status.value}: {what}{source}",
        )
        return "updated"

    def _open(self, incoming: Incoming, case_type: CaseType, actor: str, source: str) -> str:
        policy = self.policy(incoming.shop_id)
        case = Case(
            shop_id=incoming.shop_id,
            case_no=incoming.case_no,
            order_no=incoming.order_no,
            case_type=case_type,
            reason_code=incoming.reason_code,
            reason=incoming.reason,
            status=incoming.status,
            raw_status=incoming.raw_status,
            amount=incoming.amount,
            sku=incoming.sku,
            quantity=incoming.quantity,
            return_carrier=incoming.return_carrier,
            return_tracking_no=incoming.return_tracking_no,
            return_shipping_payer=policy.return_shipping_payer(case_type, incoming.reason_code),
            disposition="",
            outbound_order_no="",
            requested_at=incoming.requested_at,
            updated_at=self.now,
        )
        if case.status is CaseStatus.REQUESTED:
            self.check_window(case, policy)
        self.check_money(case)
        self.cases.setdefault(case.order_key, []).append(case)
        payer = (
            f", 退货运费 return shipping paid by {case.return_shipping_payer}"
            if case.return_shipping_payer
            else ""
        )
        detail = (
            f"{case_type.value} {yuan(case.amount)} 原因 reason {case.reason_code}: "
            f"{case.reason}{payer}{source}"
        )
        self._log(case, actor, "open", "", detail)
        if case.status is CaseStatus.REQUESTED and policy.auto_agrees(case_type, case.amount):
            limit = yuan(policy.auto_agree_below or Decimal(0))
            self.act(
                case,
                Action.AGREE_RETURN if case_type is CaseType.RETURN_REFUND else Action.AGREE,
                SYSTEM,
                f"自动同意 auto-agreed: {yuan(case.amount)} below {limit} (shop policy)",
            )
        return "new"

    def act(self, case: Case, action: Action, actor: str, reason: str = "", disposition: str = "") -> Case:
        """One step on a case by a person or the system: refused (nothing changed) unless allowed."""
        if action is Action.REFUSE and not reason.strip():
            raise AfterSaleRefused(refused("拒绝售后须写明原因", "refusing a case needs a reason (--reason)"))
        if action is Action.RECEIVE and disposition not in DISPOSITIONS:
            raise AfterSaleRefused(
                refused("验收须选择入库或报损", "receiving needs an inspection outcome: restock or write_off")
            )
        if action is Action.RESHIP and case.case_type is CaseType.EXCHANGE and not case.outbound_order_no:
            # the replacement is the outbound order the inspection creates: sending before it sends nothing
            raise AfterSaleRefused(
                refused(
                    "换货须先验收退回的商品",
                    "inspect the returned goods first (receive): nothing to send yet",
                )
            )
        if action is Action.RECEIVE and inspection_pending(case):
            new_status = CaseStatus.RECEIVED  # the platform said received; this is the inspection
        else:
            new_status = transition(case.status, action, case.case_type)
        changed = replace(case, status=new_status, updated_at=self.now)
        if disposition:
            changed.disposition = disposition
        if new_status in (CaseStatus.AGREED, CaseStatus.WAITING_RETURN, CaseStatus.REFUNDED):
            self.check_money(changed)
        if self._needs_outbound(changed, action):
            changed.outbound_order_no = self._outbound(changed, actor)
        detail = reason or ACTION_TITLES[action]
        if disposition:
            detail += f" · 验收 inspection: {disposition}"
        self._put(case, changed, actor, action.value, detail)
        if action is Action.RECEIVE:
            self._received.append(self._return_event(changed))
        return changed

    def record_return(self, case: Case, carrier: str, tracking_no: str, actor: str, reason: str = "") -> Case:
        """买家寄回: the buyer's return parcel (carrier, tracking number), as a platform reports it or as the
        buyer tells customer service; the carrier's scans then follow it (subscriptions.follow_return)."""
        number = tracking_no.strip()
        if not number or len(number) > MAX_TRACKING_NO or any(ch.isspace() or ord(ch) < 32 for ch in number):
            raise AfterSaleRefused(
                refused(
                    "退货运单号无效", f"a return tracking number is 1-{MAX_TRACKING_NO} characters, no spaces"
                )
            )
        known = identify(carrier) if carrier.strip() else None
        if known is None:
            raise AfterSaleRefused(refused(f"未知快递公司 {carrier!r}", f"unknown carrier {carrier!r}"))
        new_status = transition(case.status, Action.BUYER_RETURN, case.case_type)
        changed = replace(
            case, status=new_status, updated_at=self.now, return_carrier=known.code, return_tracking_no=number
        )
        detail = f"退货运单 return parcel {known.code} {number}" + (f": {reason}" if reason else "")
        self._put(case, changed, actor, Action.BUYER_RETURN.value, detail)
        return changed

    def outbound_shipped(self, case: Case, carrier: str, tracking_no: str, part: int = 0) -> Case:
        """已发出: the case's outbound order (its replacement or reshipment) left with a waybill. The case
        takes its reship step when it may; otherwise (marked sent by hand already, closed, refused …) the
        parcel is only noted on the order's timeline, with why nothing moved."""
        parcel = f"{carrier} {tracking_no}" + (f" (第 {part} 包 part {part})" if part else "")
        shipped = f"换货/补发订单 {case.outbound_order_no} 已发货 outbound order shipped: {parcel}"
        if Action.RESHIP in allowed_actions(case.status, case.case_type):
            self._shipping.add((case.shop_id, case.case_no))  # the goods leave by this order: it stays
            try:
                return self.act(case, Action.RESHIP, SYSTEM, shipped)
            finally:
                self._shipping.discard((case.shop_id, case.case_no))
        why = (
            f"售后 {case.case_no} 已是「{STATUS_TITLES[case.status]}」，不变更 / the case is "
            f"{case.status.value!r}: no step taken"
        )
        self._timeline.append(
            TimelineEntry(
                case.shop_id, case.order_no, self.now, "aftersale_outbound_shipped", f"{shipped}; {why}"
            )
        )
        return case

    @staticmethod
    def _needs_outbound(case: Case, action: Action) -> bool:
        """A reship sends goods once agreed; an exchange once the old goods are back and inspected."""
        if case.outbound_order_no:
            return False
        return (case.case_type is CaseType.RESHIP and action is Action.AGREE) or (
            case.case_type is CaseType.EXCHANGE and action is Action.RECEIVE
        )

    def _outbound(self, case: Case, actor: str) -> str:
        order = self.order(case.order_key)
        number = create_outbound(self.conn, order, case, self.now)
        self._new_orders.append((case.shop_id, number))
        self._timeline.append(
            TimelineEntry(
                case.shop_id,
                number,
                self.now,
                "aftersale_outbound",
                f"{case.case_type.value} 售后 {case.case_no} of order {case.order_no}",
                actor,
            )
        )
        return number

    def _return_event(self, case: Case) -> ReturnReceived:
        order = self.order(case.order_key)
        if case.sku:
            lines: tuple[tuple[str, int], ...] = ((case.sku, case.quantity or 1),)
        else:
            lines = tuple((line.sku, line.quantity) for line in order.lines)
        return ReturnReceived(case.shop_id, case.order_no, case.case_no, case.disposition, lines)

    def _put(self, old: Case, new: Case, actor: str, action: str, detail: str) -> None:
        cases = self.cases[old.order_key]
        cases[cases.index(old)] = new
        self._log(new, actor, action, old.status.value, detail)
        if new.outbound_order_no and self._outbound_unneeded(old, new):
            self._withdrawn.append(Withdrawal(new, actor, detail))

    def _outbound_unneeded(self, old: Case, new: Case) -> bool:
        """Whether this step leaves the case's outbound order nothing to send: the case stopped (refused,
        closed), or its goods are said sent (已发出, or 已完成 straight away) other than by shipping that
        order: by a person (sent some other way) or by the platform's file (sent from its own backend).
        Shipping the order too would send them twice. Whoever took the step: a person, the file, the
        system."""
        if new.status is old.status:
            return False
        if new.status in SENDS_NOTHING:
            return True
        sent = {CaseStatus.RESHIPPED, CaseStatus.COMPLETED}
        by_its_order = (new.shop_id, new.case_no) in self._shipping
        return new.status in sent and old.status not in sent and not by_its_order

    def _log(self, case: Case, actor: str, action: str, before: str, detail: str) -> None:
        self._dirty[(case.shop_id, case.case_no)] = case
        self._history.append(
            (case.shop_id, case.case_no, self.now, actor, action, before, case.status.value, detail)
        )
        moved = (
            f"{before} → {case.status.value}" if before and before != case.status.value else case.status.value
        )
        self._timeline.append(
            TimelineEntry(
                case.shop_id,
                case.order_no,
                self.now,
                f"aftersale_{action}"[:40],
                f"售后 {case.case_no} {moved}: {detail}",
                actor,
            )
        )

    def flush(self, events: EventBus) -> None:
        # the latest version of each touched case (a case may be opened and acted on in one book)
        latest = {(c.shop_id, c.case_no): c for cases in self.cases.values() for c in cases}
        save_cases(self.conn, [latest[key] for key in self._dirty])
        save_history(self.conn, self._history)
        self._timeline += withdraw_outbound(self.conn, self._withdrawn, self.now, events)
        record(self.conn, self._timeline)
        if self._dirty:
            events.publish(
                self.conn, AfterSalesChanged(tuple(sorted({latest[k].order_key for k in self._dirty})))
            )
        for event in self._received:
            events.publish(self.conn, event)
        if self._new_orders:
            events.publish(self.conn, OrdersChanged(tuple(self._new_orders)))
        self._dirty, self._history, self._timeline, self._received, self._new_orders = {}, [], [], [], []
        self._withdrawn = []

    def touched(self) -> dict[str, Any]:
        return {"cases": len(self._dirty)}
