"""After-sales use cases for the faces (CLI, API, pages): list, show, and one step by a person.

The JSON shapes live here (`case_json`, `show_json`) so the API and the pages show what the CLI prints. A
face names the shops by `shop` (the CLI's --shop) or by `shop_ids` (a signed-in user's grants): a case of
any other shop is one that does not exist (`CaseNotFound`). The buyer's name, phone and address are masked
unless `unmask`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from lanshou.aftersales.book import CaseBook, inspection_pending
from lanshou.aftersales.states import (
    STATUS_TITLES,
    Action,
    AfterSaleRefused,
    CaseType,
    allowed_actions,
    as_action,
)
from lanshou.aftersales.store import Case, CaseFilter, CasePosition, find_cases, history_of, list_case_page
from lanshou.customers.masking import mask_address, mask_name, mask_phone
from lanshou.db.engine import run_transaction
from lanshou.events import EventBus, bus
from lanshou.orders.facts import OrderFacts, order_facts
from lanshou.orders.timeline import read as read_timeline
from lanshou.shops.model import ShopInfo, select_shops
from lanshou.shops.store import load_shops
from lanshou.tracking.queries import parcel_status_of


class CaseNotFound(AfterSaleRefused):
    """No such case among the shops asked about."""


class AmbiguousCase(AfterSaleRefused):
    """The number is a case of several of the shops asked about: the caller must name one."""


def receiver_json(order: OrderFacts | None, unmask: bool) -> dict[str, Any]:
    """Whom customer service calls back: the order's receiver, masked (138****5678) unless `unmask`."""
    name, phone, address = (order.receiver_name, order.receiver_phone, order.address) if order else ("",) * 3
    if not unmask:
        name, phone, address = mask_name(name), mask_phone(phone), mask_address(address)
    return {
        "name": name,
        "phone": phone,
        "province": order.province if order else "",
        "city": order.city if order else "",
        "district": order.district if order else "",
        "address": address,
        "masked": not unmask,
    }


def utc_text(moment: datetime) -> str:
    """A stored time (naive UTC) as the JSON gives it: ISO 8601 with its offset, +00:00, so no reader takes
    it for the shop's local time (the text before the offset is what it always was)."""
    return moment.replace(tzinfo=UTC).isoformat(sep=" ")


def case_json(
    case: Case, shops: dict[int, ShopInfo], order: OrderFacts | None, unmask: bool = False
) -> dict[str, Any]:
    shop = shops.get(case.shop_id)
    return {
        "case_no": case.case_no,
        "platform": shop.platform if shop else "",
        "shop": shop.shop if shop else "",
        "order_no": case.order_no,
        "type": case.case_type.value,
        "status": case.status.value,
        "status_title": STATUS_TITLES[case.status],
        "raw_status": case.raw_status,
        "reason_code": case.reason_code,
        "reason": case.reason,
        "amount": str(case.amount),
        "sku": case.sku,
        "quantity": case.quantity,
        "return_carrier": case.return_carrier,
        "return_tracking_no": case.return_tracking_no,
        "return_shipping_payer": case.return_shipping_payer,
        "disposition": case.disposition,
        "outbound_order_no": case.outbound_order_no,
        "requested_at": utc_text(case.requested_at),
        "updated_at": utc_text(case.updated_at),
        "receiver": receiver_json(order, unmask),
        "next": [a.value for a in allowed_actions(case.status, case.case_type)],
        "steps": staff_steps(case),
    }


def staff_steps(case: Case) -> list[str]:
    """Which of a person's steps the case allows now: `agree`, `refuse`, `receive` (the CLI's commands),
    `return` (record the buyer's return parcel) and `reship` (the goods sent again)."""
    allowed = allowed_actions(case.status, case.case_type)
    steps = [
        step
        for step, action in (("agree", agree_action(case)), ("refuse", Action.REFUSE))
        if action in allowed
    ]
    if Action.BUYER_RETURN in allowed:
        steps.append("return")  # the buyer's return parcel, as the buyer tells customer service
    if Action.RECEIVE in allowed or inspection_pending(case):
        steps.append("receive")
    elif Action.RESHIP in allowed and (case.case_type is not CaseType.EXCHANGE or case.outbound_order_no):
        steps.append("reship")  # the replacement (an exchange's: once inspected) or the reshipment sent
    return steps


def _ids(conn: Connection, shop: str | None, shop_ids: Sequence[int] | None = None) -> tuple[int, ...] | None:
    """The shops asked about: `shop_ids`, else the ones `--shop` names (None: every shop); LookupError for
    an unknown name."""
    if shop_ids is not None:
        return tuple(shop_ids)
    return None if shop is None else tuple(select_shops(load_shops(conn), shop))


def list_page(
    engine: Engine,
    flt: CaseFilter,
    limit: int | None = None,
    after: CasePosition | None = None,
    unmask: bool = False,
) -> tuple[list[dict[str, Any]], CasePosition | None]:
    """Up to `limit` cases after `after`, newest first, and the position to go on from (None: no more)."""
    with engine.connect() as conn:
        shops = load_shops(conn)
        found = list_case_page(conn, flt, None if limit is None else limit + 1, after)
        page = found[:limit]
        orders = order_facts(conn, [case.order_key for _, case in page])
    rows = [case_json(case, shops, orders.get(case.order_key), unmask) for _, case in page]
    return rows, (page[-1][0] if len(found) > len(page) else None)


def list_json(
    engine: Engine,
    shop: str | None = None,
    statuses: Sequence[str] = (),
    order_no: str | None = None,
    open_only: bool = False,
    limit: int | None = None,
    case_types: Sequence[str] = (),
    unmask: bool = False,
) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        ids = _ids(conn, shop)
    flt = CaseFilter(ids, tuple(statuses), order_no, open_only, tuple(case_types))
    return list_page(engine, flt, limit, unmask=unmask)[0]


def _one(conn: Connection, case_no: str, ids: tuple[int, ...] | None) -> Case:
    found = find_cases(conn, case_no, ids)
    if not found:
        raise CaseNotFound(f"没有售后单 no after-sales case {case_no!r}")
    if len(found) > 1:
        raise AmbiguousCase(f"售后单 {case_no} 在多个店铺 / case {case_no} is in several shops: give --shop")
    return found[0]


def show_json(
    engine: Engine,
    case_no: str,
    shop: str | None = None,
    *,
    shop_ids: Sequence[int] | None = None,
    unmask: bool = False,
) -> dict[str, Any]:
    with engine.connect() as conn:
        shops = load_shops(conn)
        case = _one(conn, case_no, _ids(conn, shop, shop_ids))
        order = order_facts(conn, [case.order_key]).get(case.order_key)
        data = case_json(case, shops, order, unmask)
        data["history"] = [
            {**row, "at": utc_text(row["at"])}  # type: ignore[arg-type]
            for row in history_of(conn, case.shop_id, case.case_no)
        ]
        data["timeline"] = [
            {"at": utc_text(e.at), "kind": e.kind, "detail": e.detail, "actor": e.actor}
            for e in read_timeline(conn, case.shop_id, case.order_no)
        ]
        if case.return_tracking_no:
            status, at = parcel_status_of(conn, case.return_tracking_no)
            data["return_parcel"] = {"status": status, "at": utc_text(at) if at else None}
    return data


def agree_action(case: Case) -> Action:
    """同意: a return comes back first; anything else is agreed as it is."""
    if case.case_type in (CaseType.RETURN_REFUND, CaseType.EXCHANGE, CaseType.REPAIR):
        return Action.AGREE_RETURN
    return Action.AGREE


def act(
    engine: Engine,
    case_no: str,
    step: str,
    actor: str,
    reason: str = "",
    shop: str | None = None,
    disposition: str = "",
    events: EventBus = bus,
    *,
    shop_ids: Sequence[int] | None = None,
) -> dict[str, Any]:
    """agree | refuse | receive | reship | any states.Action, by `actor`: refused with the reason, nothing
    changed. The answer is the case as `case_json` shows it, buyer masked."""

    def step_on(book: CaseBook, case: Case) -> Case:
        action = agree_action(case) if step == "agree" else Action(step)
        return book.act(case, action, actor, reason, disposition)

    if step != "agree":
        as_action(step)  # an unknown step is refused before anything is read
    return _change(engine, case_no, shop, shop_ids, events, step_on)


def record_return(
    engine: Engine,
    case_no: str,
    carrier: str,
    tracking_no: str,
    actor: str,
    reason: str = "",
    shop: str | None = None,
    events: EventBus = bus,
    *,
    shop_ids: Sequence[int] | None = None,
) -> dict[str, Any]:
    """买家已退货: the buyer's return parcel as the buyer tells customer service (a carrier the registry
    knows, a tracking number), by `actor`; 待买家退货 → 买家已退货, and the parcel is followed as a return."""
    return _change(
        engine,
        case_no,
        shop,
        shop_ids,
        events,
        lambda book, case: book.record_return(case, carrier, tracking_no, actor, reason),
    )


def _change(
    engine: Engine,
    case_no: str,
    shop: str | None,
    shop_ids: Sequence[int] | None,
    events: EventBus,
    change: Callable[[CaseBook, Case], Case],
) -> dict[str, Any]:
    """One change to one case in one transaction (its order's cases locked); the case as `case_json`."""

    def work(conn: Connection) -> dict[str, Any]:
        found = _one(conn, case_no, _ids(conn, shop, shop_ids))
        book = CaseBook(conn, [found.order_key])
        case = book.case(found.shop_id, found.case_no)
        assert case is not None  # just read, and locked now
        changed = change(book, case)
        book.flush(events)
        return case_json(changed, load_shops(conn), book.orders.get(changed.order_key))

    result = run_transaction(engine, work)
    events.settle(engine)
    return result
