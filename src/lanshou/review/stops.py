"""Holding and cancelling orders in review (暂停, 取消), the part another area may call inside its own
transaction (after-sales stops the outbound order of a case that sends nothing: stop_unshipped): each
order's state read and locked, why an action is refused, an order's review state written, stock
released. It knows nothing of review's rule run (lanshou.review.run), so its callers do not reach the
metrics through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from lanshou.db.bulk import upsert
from lanshou.events import EventBus, StockArrived, bus
from lanshou.inventory.reserve import release_orders
from lanshou.orders.tables import orders
from lanshou.orders.timeline import TimelineEntry, record
from lanshou.review.facts import key_filter
from lanshou.review.model import OrderKey
from lanshou.review.tables import review_state

STOPPED = {"hold": "held", "cancel": "cancelled"}  # the review state each stop leaves


@dataclass(frozen=True, slots=True)
class Outcome:
    shop_id: int
    order_no: str
    state: str  # the order's review state afterwards
    done: bool
    message: str

    def as_json(self) -> dict[str, object]:
        return {"order_id": self.order_no, "state": self.state, "done": self.done, "message": self.message}


def order_states(
    conn: Connection, keys: Sequence[OrderKey], lock: bool = False
) -> dict[OrderKey, tuple[str, str, str]]:
    """(order status, review state or "", merge group) per stored order; `lock` holds the orders' rows
    (PostgreSQL) to the end of the transaction, as a ship run does before it marks them shipped."""
    o, r = orders.c, review_state.c
    query = (
        select(o.shop_id, o.order_no, o.status, r.state, r.merge_group)
        .outerjoin(review_state, (r.shop_id == o.shop_id) & (r.order_no == o.order_no))
        .where(key_filter(orders, keys))
    )
    if lock:  # in key order, as a ship run locks them (lanshou.shipping.store.order_statuses)
        query = query.order_by(o.shop_id, o.order_no).with_for_update(of=orders)  # not review_state's
    return {(row[0], row[1]): (row[2], row[3] or "", row[4] or "") for row in conn.execute(query)}


# an order cancelled in review is done with: it may only be taken out of a merge (or cancelled again)
NOT_AFTER_CANCEL = ("accept", "hold", "merge")
# an order's status as the refusals name it (the faces have their own words for it)
STATUS_ZH = {
    "pending_payment": "待付款",
    "shipped": "已发货",
    "delivered": "已签收",
    "completed": "已完成",
    "cancelled": "已取消",
    "refunded": "已退款",
}


def refused_why(action: str, status: str, state: str) -> tuple[str, str] | None:
    """Why an order of this status and review state ("": not reviewed) cannot take `action` (zh, en)."""
    if status != "paid":
        return (
            f"订单{STATUS_ZH.get(status, status)}，只有已付款、未发货的订单可以审单",
            f"order is {status}, not paid: only paid orders not yet shipped are reviewed",
        )
    if action in NOT_AFTER_CANCEL and state == "cancelled":
        return (
            "审单已取消，不能再通过、暂停或合单",
            "cancelled in review: it can no longer be accepted, held or merged",
        )
    return None


def stop_orders(
    conn: Connection,
    action: str,
    keys: Sequence[OrderKey],
    now: datetime,
    actor: str,
    reason: str,
    events: EventBus,
) -> list[Outcome]:
    """hold | cancel orders already checked: their stock released, their state and timeline written."""
    state = STOPPED[action]
    if release_orders(conn, keys, now, actor, note=f"{action}: {reason}".strip(": ")):
        events.publish(conn, StockArrived(()))  # freed stock: orders held for it are looked at again
    default = "人工暂停 held by staff" if action == "hold" else ""
    write_state(conn, keys, state, reason or default, now, actor)
    record(conn, [TimelineEntry(s, n, now, state, reason or state, actor) for s, n in keys])
    return [Outcome(s, n, state, True, reason) for s, n in keys]


def stop_unshipped(
    conn: Connection,
    action: str,
    keys: Sequence[OrderKey],
    now: datetime,
    actor: str,
    reason: str,
    events: EventBus = bus,
) -> list[Outcome]:
    """The dashboard's hold or cancel (`action`), inside the caller's transaction, for another area's use
    case: those of these orders still waiting to ship are held or cancelled in review, their stock
    released, their timeline saying `reason`. The others are left as they are, `done` False and `state`
    telling why: the order's status when it is not paid (shipped, delivered …), its review state when it
    is so already (or cancelled, for a hold), "" when there is no such order. The orders are locked first,
    as a ship run locks them: it waits for this, or shipped them before."""
    keys = list(dict.fromkeys(keys))
    states = order_states(conn, keys, lock=True)  # in key order
    open_keys = [k for k in keys if k in states and _stoppable(action, *states[k][:2])]
    done = stop_orders(conn, action, open_keys, now, actor, reason, events) if open_keys else []
    stopped = {(o.shop_id, o.order_no): o for o in done}
    return [stopped.get(key) or _left(action, key, states.get(key)) for key in keys]


def _stoppable(action: str, status: str, state: str) -> bool:
    return refused_why(action, status, state) is None and state not in (STOPPED[action], "cancelled")


def _left(action: str, key: OrderKey, found: tuple[str, str, str] | None) -> Outcome:
    """An order `stop_unshipped` leaves, and why (zh, en)."""
    if found is None:
        return Outcome(*key, "", False, "订单不存在 no such order")
    status, state, _ = found
    if status != "paid":
        not_done = f"not {STOPPED[action]}"
        return Outcome(*key, status, False, f"订单状态 {status} / the order is {status}: {not_done}")
    if state == "cancelled":
        return Outcome(*key, state, False, "审单已取消 cancelled in review already")
    return Outcome(*key, state, False, "审单已暂停 held in review already")


def write_state(
    conn: Connection,
    keys: Sequence[OrderKey],
    state: str,
    reason: str,
    now: datetime,
    actor: str,
    site: str = "",
    new_fields: dict[str, object] | None = None,
) -> None:
    """Set the state of orders, keeping priority, deadlines and merge group when they were reviewed (an
    order not reviewed yet gets `new_fields`: its deadline priority and deadlines)."""
    r = review_state.c
    existing = {
        (row.shop_id, row.order_no)
        for row in conn.execute(select(r.shop_id, r.order_no).where(key_filter(review_state, keys)))
    }
    for key in keys:
        values: dict[str, object] = {
            "state": state,
            "reasons": reason,
            "stock_only": False,
            "reviewed_at": now,
            "actor": actor,
            "recheck_at": None,  # a person decided: review does not look again by itself
        }
        if state == "accepted":
            values["warehouse"] = site
        if key in existing:
            conn.execute(
                review_state.update().where(r.shop_id == key[0], r.order_no == key[1]).values(**values)
            )
        else:
            upsert(
                conn,
                review_state,
                [{"shop_id": key[0], "order_no": key[1], **values, **(new_fields or {})}],
                ("shop_id", "order_no"),
            )
