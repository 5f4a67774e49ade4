"""Staff act on orders in batch: accept, hold, cancel, merge (合单) and unmerge (undo a merge; splitting one
order into shipments, 拆单, is lanshou.review.splitting).

Every id is checked first: an unknown order, or one that cannot take the action (not paid, already
shipped), refuses the whole batch before anything is written (`ActionRefused`). Then each order is acted on
in one transaction; an accept that finds its stock short is reported and leaves that order as it was, the
others go on. Every action goes to the order's timeline with the user's name and reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, select

from lanshou.bilingual import Bilingual
from lanshou.db.bulk import upsert
from lanshou.db.engine import run_transaction
from lanshou.events import OrdersAccepted, bus
from lanshou.inventory.mapping import load_map
from lanshou.inventory.reserve import reserve_orders
from lanshou.orders.tables import orders
from lanshou.orders.timeline import TimelineEntry, record
from lanshou.review.facts import key_filter, load_orders
from lanshou.review.model import OrderKey
from lanshou.review.run import deadline_fields
from lanshou.review.stops import STOPPED, Outcome, order_states, refused_why, stop_orders, write_state
from lanshou.review.tables import review_state, shipment_parts

ACTIONS = ("accept", "hold", "cancel")
RESULTS = {"accept": "accepted", **STOPPED}  # the review state each action leaves


class ActionRefused(ValueError):
    """The batch cannot be done as asked; nothing was changed."""


def _problem(order_no: str, zh: str, en: str) -> Bilingual:
    """One order's reason, as the CLI has always printed it: "NO: english 中文"."""
    return Bilingual(f"{order_no}: {zh}", f"{order_no}: {en}", f"{order_no}: {en} {zh}")


def _check(conn: Connection, action: str, keys: Sequence[OrderKey]) -> dict[OrderKey, tuple[str, str, str]]:
    """The orders' states, each able to take `action` (else ActionRefused). The orders stay locked
    (PostgreSQL): a ship run marking one shipped meanwhile would otherwise ship an order just held or
    cancelled here, its stock released; it waits for this transaction, or this one sees it shipped."""
    if action not in (*ACTIONS, *GROUPING):
        raise ActionRefused(f"unknown action {action!r}")
    if not keys:
        raise ActionRefused(Bilingual.english_first("no orders given", "未指定订单"))
    states = order_states(conn, keys, lock=True)
    problems = [
        _problem(no, "订单不存在", "no such order") for key in keys if key not in states for _, no in [key]
    ]
    for key, (status, state, _) in states.items():
        refusal = refused_why(action, status, state)
        if refusal:
            problems.append(_problem(key[1], *refusal))
    if problems:
        raise ActionRefused(Bilingual.joined("; ", problems))
    return states


GROUPING = ("merge", "unmerge")  # 合单 and its undo, checked by the same rules


def actions_for(status: str, state: str) -> tuple[str, ...]:
    """The actions worth offering an order of this status and review state ("": not reviewed): those `act`
    takes, less the one that would leave it as it is (accepting an accepted order …)."""
    return tuple(a for a in ACTIONS if refused_why(a, status, state) is None and RESULTS[a] != state)


def no_actions_why(status: str, state: str) -> Bilingual | None:
    """Why an order is offered no action at all (the refusal `act` would answer), for its page; None when
    it is offered some, or when the only one it takes would leave it as it is."""
    if actions_for(status, state):
        return None
    refusal = refused_why("hold", status, state)
    return Bilingual(*refusal) if refusal else None


def order_review(engine: Engine, key: OrderKey) -> dict[str, object] | None:
    """One order's review, for its page: state ("" not reviewed), reasons, who decided, and `actions_for`
    it; None when there is no such order."""
    o, r = orders.c, review_state.c
    query = (
        select(o.status, r.state, r.reasons, r.actor)
        .outerjoin(review_state, (r.shop_id == o.shop_id) & (r.order_no == o.order_no))
        .where(o.shop_id == key[0], o.order_no == key[1])
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    state = row.state or ""
    return {
        "state": state,
        "reasons": [reason for reason in (row.reasons or "").split("\n") if reason],
        "actor": row.actor or "",
        "actions": actions_for(row.status, state),
        "why_none": no_actions_why(row.status, state),
    }


def act(
    engine: Engine, action: str, keys: Sequence[OrderKey], now: datetime, actor: str, reason: str = ""
) -> list[Outcome]:
    """accept | hold | cancel these orders; ActionRefused (nothing done) when any id cannot take it."""
    keys = list(dict.fromkeys(keys))
    if action not in ACTIONS:  # merge and unmerge have their own use cases below
        raise ActionRefused(f"unknown action {action!r}")

    def work(conn: Connection) -> list[Outcome]:
        states = _check(conn, action, keys)
        if action == "accept":
            return _accept(conn, keys, states, now, actor, reason)
        return stop_orders(conn, action, keys, now, actor, reason, bus)

    outcomes = run_transaction(engine, work)  # run again when another process was in the way
    bus.settle(engine)
    return outcomes


def _accept(
    conn: Connection,
    keys: Sequence[OrderKey],
    states: dict[OrderKey, tuple[str, str, str]],
    now: datetime,
    actor: str,
    reason: str,
) -> list[Outcome]:
    skus = load_map(conn)
    data = {order.key: order for order in load_orders(conn, keys)}
    wanted = [(k, skus.needs(k[0], [(line.sku, line.quantity) for line in data[k].lines])) for k in keys]
    reserved = reserve_orders(conn, wanted, now, actor)
    first_seen = deadline_fields(conn, list(data.values()), now)  # used only for orders not yet reviewed
    outcomes: list[Outcome] = []
    accepted: list[OrderKey] = []
    for key in keys:
        result = reserved[key]
        if not result.ok:
            short = ", ".join(result.short)
            message = Bilingual(f"缺货: {short}", f"stock short: {short}", f"缺货 stock short: {short}")
            outcomes.append(Outcome(*key, states[key][1] or "unreviewed", False, message))
            continue
        accepted.append(key)
        outcomes.append(Outcome(*key, "accepted", True, f"stock in {result.warehouse or '-'}"))
        write_state(conn, [key], "accepted", "", now, actor, result.warehouse, first_seen.get(key))
    detail = f"人工通过 accepted by staff{': ' + reason if reason else ''}"
    record(conn, [TimelineEntry(s, n, now, "accepted", detail, actor) for s, n in accepted])
    if accepted:
        bus.publish(conn, OrdersAccepted(tuple(accepted)))
    return outcomes


def merge(engine: Engine, keys: Sequence[OrderKey], now: datetime, actor: str) -> str:
    """Ship these accepted orders of one shop, buyer and address together (合单); returns the group name.
    Run again when another transaction was in the way (a ship run holding the same orders: a deadlock)."""
    keys = list(dict.fromkeys(keys))
    if len(keys) < 2:
        raise ActionRefused("合单至少两个订单 merging needs two orders or more")
    return run_transaction(engine, lambda conn: _merge(conn, keys, now, actor))


def _merge(conn: Connection, keys: Sequence[OrderKey], now: datetime, actor: str) -> str:
    _check(conn, "merge", keys)
    split = split_orders(conn, keys)
    if split:
        raise ActionRefused(f"已拆单的订单不能合单 split orders cannot be merged: {', '.join(split)}")
    data = {order.key: order for order in load_orders(conn, keys)}
    places = {(o.shop_id, o.buyer_key, o.full_address) for o in data.values()}
    if len(places) != 1:
        raise ActionRefused("合单须同店铺、同买家、同地址 orders to merge share shop, buyer and address")
    group = f"{keys[0][0]}:{keys[0][1]}"
    r = review_state.c
    for key in keys:
        upsert(
            conn,
            review_state,
            [{"shop_id": key[0], "order_no": key[1], "state": "held", "reviewed_at": now, "actor": actor}],
            ("shop_id", "order_no"),
            (),
        )
        conn.execute(
            review_state.update().where(r.shop_id == key[0], r.order_no == key[1]).values(merge_group=group)
        )
    others = ", ".join(no for _, no in keys)
    record(conn, [TimelineEntry(s, n, now, "merged", f"合单 merged: {others}", actor) for s, n in keys])
    return group


def split_orders(conn: Connection, keys: Sequence[OrderKey]) -> list[str]:
    """The numbers of these orders that are split into shipments (拆单, lanshou.review.splitting)."""
    p = shipment_parts.c
    query = select(p.order_no).distinct().where(key_filter(shipment_parts, list(keys)))
    return sorted(conn.execute(query).scalars())


def unmerge(engine: Engine, keys: Sequence[OrderKey], now: datetime, actor: str) -> int:
    """Undo a merge: each order ships on its own again. Returns how many orders left a group."""
    return run_transaction(engine, lambda conn: _unmerge(conn, list(keys), now, actor))


def _unmerge(conn: Connection, keys: Sequence[OrderKey], now: datetime, actor: str) -> int:
    _check(conn, "unmerge", keys)
    r = review_state.c
    changed = conn.execute(
        review_state.update()
        .where(key_filter(review_state, list(keys)), r.merge_group != "")
        .values(merge_group="")
    ).rowcount
    record(
        conn,
        [TimelineEntry(s, n, now, "unmerged", "拆开合单 taken out of its merge", actor) for s, n in keys],
    )
    return int(changed)
