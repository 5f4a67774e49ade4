"""After-sales use cases for the faces (CLI, API): list, show, and one step by a person.

The JSON shapes live here (`case_json`, `show_json`) so the API can return what the CLI prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine

from lanshou.aftersales.book import CaseBook
from lanshou.aftersales.states import (
    STATUS_TITLES,
    Action,
    AfterSaleRefused,
    CaseType,
    allowed_actions,
    as_action,
)
from lanshou.aftersales.store import Case, CaseFilter, find_cases, history_of, list_cases
from lanshou.db.engine import run_transaction
from lanshou.events import EventBus, bus
from lanshou.orders.timeline import read as read_timeline
from lanshou.shops.model import ShopInfo, select_shops
from lanshou.shops.store import load_shops
from lanshou.tracking.queries import parcel_status_of


def case_json(case: Case, shops: dict[int, ShopInfo]) -> dict[str, Any]:
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
        "requested_at": case.requested_at.isoformat(sep=" "),
        "updated_at": case.updated_at.isoformat(sep=" "),
        "next": [a.value for a in allowed_actions(case.status, case.case_type)],
    }


def shop_ids(conn: Connection, shop: str | None) -> tuple[dict[int, ShopInfo], tuple[int, ...] | None]:
    """All shops, and the ids `--shop` selects (None: every shop); LookupError for an unknown name."""
    shops = load_shops(conn)
    return shops, (None if shop is None else tuple(select_shops(shops, shop)))


def list_json(
    engine: Engine,
    shop: str | None = None,
    statuses: Sequence[str] = (),
    order_no: str | None = None,
    open_only: bool = False,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        shops, ids = shop_ids(conn, shop)
        cases = list_cases(conn, CaseFilter(ids, tuple(statuses), order_no, open_only), limit)
    return [case_json(case, shops) for case in cases]


def _one(conn: Connection, case_no: str, shop: str | None) -> Case:
    _, ids = shop_ids(conn, shop)
    found = find_cases(conn, case_no, ids)
    if not found:
        raise AfterSaleRefused(f"没有售后单 no after-sales case {case_no!r}")
    if len(found) > 1:
        raise AfterSaleRefused(
            f"售后单 {case_no} 在多个店铺 / case {case_no} is in several shops: give --shop"
        )
    return found[0]


def show_json(engine: Engine, case_no: str, shop: str | None = None) -> dict[str, Any]:
    with engine.connect() as conn:
        shops = load_shops(conn)
        case = _one(conn, case_no, shop)
        data = case_json(case, shops)
        data["history"] = [
            {**row, "at": row["at"].isoformat(sep=" ")}  # type: ignore[attr-defined]
            for row in history_of(conn, case.shop_id, case.case_no)
        ]
        data["timeline"] = [
            {"at": e.at.isoformat(sep=" "), "kind": e.kind, "detail": e.detail, "actor": e.actor}
            for e in read_timeline(conn, case.shop_id, case.order_no)
        ]
        if case.return_tracking_no:
            status, at = parcel_status_of(conn, case.return_tracking_no)
            data["return_parcel"] = {"status": status, "at": at.isoformat(sep=" ") if at else None}
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
) -> dict[str, Any]:
    """agree | refuse | receive | any states.Action, by `actor`: refused with the reason, nothing changed."""

    def work(conn: Connection) -> dict[str, Any]:
        found = _one(conn, case_no, shop)
        book = CaseBook(conn, [found.order_key])
        case = book.case(found.shop_id, found.case_no)
        assert case is not None  # just read, and locked now
        action = agree_action(case) if step == "agree" else Action(step)
        changed = book.act(case, action, actor, reason, disposition)
        book.flush(events)
        return case_json(changed, load_shops(conn))

    if step != "agree":
        as_action(step)  # an unknown step is refused before anything is read
    result = run_transaction(engine, work)
    events.settle(engine)
    return result
