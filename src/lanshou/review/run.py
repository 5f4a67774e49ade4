"""`lanshou review run`: review (审单) every paid order not yet reviewed, in batches.

Per order: the built-in holds (`model.builtin_holds`), then the merchant's review rules (`rules.store`, scope
`review`, compiled once); any hold reason holds it, else it is accepted and its stock reserved (all lines in
one warehouse or none, `inventory.reserve`); when stock is short it is held for stock only, and reviewed again
when stock arrives. Priority is the higher of the rules' level and the deadline risk (the earliest of the M1
pickup deadline and the M5 promised ship time, METRICS.md, through `metrics.rules`). Every decision goes to
the order's timeline with its reasons and the rules that matched; accepted orders are told to the other
areas (`OrdersAccepted`).

On PostgreSQL several processes may review at once: each batch takes its orders with `FOR UPDATE SKIP
LOCKED`, so they review different orders; SQLite's write transaction is exclusive anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, and_, or_, select

from lanshou.db.bulk import upsert
from lanshou.db.engine import run_transaction
from lanshou.db.keyset import ORDER_KEY, keyset
from lanshou.events import OrdersAccepted, bus
from lanshou.inventory.mapping import load_map
from lanshou.inventory.reserve import reserve_orders
from lanshou.metrics.facts import OrderFact
from lanshou.metrics.packs import RulePack, pack_for
from lanshou.metrics.rules import pickup_deadline, promised_ship_time
from lanshou.orders.tables import orders
from lanshou.orders.timeline import SYSTEM, TimelineEntry, record
from lanshou.review import facts
from lanshou.review.model import (
    Limits,
    OrderData,
    OrderKey,
    builtin_holds,
    deadline_priority,
    recheck_at,
)
from lanshou.review.tables import review_state
from lanshou.rules.store import ShopRuleSets
from lanshou.shops.store import load_shops

BATCH = 1000
STATE_COLUMNS = (
    "shop_id",
    "order_no",
    "state",
    "reasons",
    "stock_only",
    "priority",
    "tags",
    "warehouse",
    "pickup_deadline",
    "ship_by",
    "reviewed_at",
    "actor",
    "recheck_at",
)


@dataclass(frozen=True, slots=True)
class Reviewed:
    shop_id: int
    shop: str
    order_no: str
    state: str  # accepted or held
    reasons: tuple[str, ...]
    priority: int
    tags: tuple[str, ...]
    warehouse: str
    rules: tuple[str, ...]  # the rules that matched or failed, explained

    def as_json(self) -> dict[str, Any]:
        return {
            "order_id": self.order_no,
            "shop": self.shop,
            "state": self.state,
            "reasons": list(self.reasons),
            "priority": self.priority,
            "tags": list(self.tags),
            "warehouse": self.warehouse,
            "rules": list(self.rules),
        }


@dataclass
class ReviewReport:
    results: list[Reviewed] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.results if r.state == "accepted")

    @property
    def held(self) -> int:
        return sum(1 for r in self.results if r.state == "held")

    def as_json(self) -> dict[str, Any]:
        """The shape of `lanshou review run --json`."""
        return {
            "reviewed": len(self.results),
            "accepted": self.accepted,
            "held": self.held,
            "orders": [r.as_json() for r in self.results],
        }


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def review_orders(
    engine: Engine,
    *,
    shop_ids: Sequence[int] | None = None,
    keys: Sequence[OrderKey] | None = None,
    recheck_stock: bool = False,
    now: datetime | None = None,
    actor: str = SYSTEM,
    batch: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReviewReport:
    """Review unreviewed paid orders (of `shop_ids`, or just `keys`); with `recheck_stock`, the orders held
    only for stock instead. Each batch is one transaction, retried when another process was in the way."""
    moment = now or utc_now()
    batch = batch or BATCH
    report = ReviewReport()
    pending = list(keys) if keys is not None else None
    after = 0
    while True:
        chunk: Sequence[OrderKey] | None = None
        if pending is not None:
            if not pending:
                break
            chunk, pending = pending[:batch], pending[batch:]
        work = partial(_review_batch, shop_ids=shop_ids, keys=chunk, recheck=recheck_stock, now=moment)
        done, last = run_transaction(engine, partial(work, actor=actor, limit=batch, after=after))
        report.results += done
        if progress is not None:
            progress(len(report.results))
        if pending is None:
            if last == after:
                break
            after = last
    bus.settle(engine)
    return report


def _select(
    conn: Connection,
    shop_ids: Sequence[int] | None,
    keys: Sequence[OrderKey] | None,
    recheck: bool,
    limit: int,
    after: int,
    now: datetime,
) -> tuple[list[OrderData], int]:
    """The next orders to review after order id `after` (a keyset: no batch scans what earlier ones took),
    and the last id taken."""
    o, r = orders.c, review_state.c
    query = (
        facts.orders_query()
        .add_columns(o.id)
        .outerjoin(review_state, and_(r.shop_id == o.shop_id, r.order_no == o.order_no))
    )
    query = query.where(o.status == "paid")
    # recheck: the orders held for stock alone; else those never reviewed, and held ones now due again
    due_again = and_(r.state == "held", r.recheck_at <= now)
    waiting = and_(r.state == "held", r.stock_only.is_(True)) if recheck else or_(r.id.is_(None), due_again)
    query = query.where(waiting)
    if shop_ids is not None:
        query = query.where(o.shop_id.in_(list(shop_ids)))
    if keys is not None:
        query = query.where(facts.key_filter(orders, keys))
    query = query.where(o.id > after).order_by(o.id).limit(limit)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=orders, skip_locked=True)
    rows = conn.execute(query).all()
    last = rows[-1][-1] if rows else after
    if conn.dialect.name == "postgresql" and rows:
        rows = _still_waiting(conn, rows, recheck, now)
    return facts.with_lines(conn, [row[:-1] for row in rows]), last


def _still_waiting(conn: Connection, rows: Sequence[Any], recheck: bool, now: datetime) -> list[Any]:
    """The locked orders that still wait for review. Under READ COMMITTED the outer join above saw the review
    state as of the statement's start: an order another process reviewed and committed meanwhile was free to
    lock here, yet must not be reviewed twice. A new statement sees that commit (and the lock keeps it so)."""
    r = review_state.c
    k = keyset(conn, [(row.shop_id, row.order_no) for row in rows], ORDER_KEY)
    query = select(r.shop_id, r.order_no, r.state, r.stock_only, r.recheck_at).select_from(
        review_state.join(k, and_(k.c.shop_id == r.shop_id, k.c.order_no == r.order_no))
    )
    current = {(x.shop_id, x.order_no): x for x in conn.execute(query)}

    def waiting(state: Any) -> bool:
        if state is None:
            return not recheck
        if recheck:
            return bool(state.state == "held" and state.stock_only)
        return bool(state.state == "held" and state.recheck_at is not None and state.recheck_at <= now)

    return [row for row in rows if waiting(current.get((row.shop_id, row.order_no)))]


def _review_batch(
    conn: Connection,
    *,
    shop_ids: Sequence[int] | None,
    keys: Sequence[OrderKey] | None,
    recheck: bool,
    now: datetime,
    actor: str,
    limit: int,
    after: int,
) -> tuple[list[Reviewed], int]:
    batch, last = _select(conn, shop_ids, keys, recheck, limit, after, now)
    if not batch:
        return [], last
    return decide(conn, batch, now, actor, recheck), last


def decide(
    conn: Connection, batch: Sequence[OrderData], now: datetime, actor: str = SYSTEM, recheck: bool = False
) -> list[Reviewed]:
    """Review these orders inside the caller's transaction; writes state, reservations, timeline, events.
    With `recheck` (orders held for stock, looked at again), one still short is left as it was: no new
    state row or timeline entry each time some stock arrives."""
    shops = load_shops(conn)
    packs: dict[int, RulePack] = {}
    limits = {shop_id: Limits.from_settings(info.settings) for shop_id, info in shops.items()}
    rulesets = ShopRuleSets(conn, "review")
    priority_sets = ShopRuleSets(conn, "priority")  # priority and tags only: they never hold
    history = facts.buyer_history(conn, batch)
    listed = facts.blacklist_hits(conn, batch)
    merges = facts.merge_candidates(conn, batch, history)
    decided: list[tuple[OrderData, list[str], int, tuple[str, ...], tuple[str, ...], tuple[Any, Any]]] = []
    for order in batch:
        key = order.key
        reasons = builtin_holds(order, now, limits[order.shop_id], listed.get(key, ()), merges.get(key, ()))
        level, tags, explained = 0, tuple[str, ...](), tuple[str, ...]()
        applicable = [s for s in (rulesets(order.shop_id), priority_sets(order.shop_id)) if s.rules]
        if applicable:
            history_of = history.get((order.shop_id, order.buyer_key))
            facts_of = facts.rule_order(order, history_of, key in listed)
            for ruleset in applicable:
                decision = ruleset.evaluate(facts_of, now)
                reasons += decision.hold_reasons
                level = max(level, decision.priority or 0)
                tags += tuple(t for t in decision.tags if t not in tags)
                explained += tuple(decision.explain())
        pack = packs.get(order.shop_id) or packs.setdefault(order.shop_id, pack_for(shops[order.shop_id]))
        deadlines = _deadlines(order, pack)
        left = [(d - now).total_seconds() / 3600 for d in deadlines if d is not None]
        priority = max(level, deadline_priority(min(left) if left else None))
        decided.append((order, reasons, priority, tags, explained, deadlines))
    skus = load_map(conn)
    wanted = [
        (order.key, skus.needs(order.shop_id, [(line.sku, line.quantity) for line in order.lines]))
        for order, reasons, *_ in decided
        if not reasons
    ]
    reserved = reserve_orders(conn, wanted, now, actor)
    states: list[tuple[Any, ...]] = []
    entries: list[TimelineEntry] = []
    results: list[Reviewed] = []
    for order, reasons, priority, tags, explained, (pickup, ship_by) in decided:
        held = reserved.get(order.key)
        stock_only = False
        warehouse = ""
        if not reasons and held is not None:
            if held.ok:
                warehouse = held.warehouse
            else:
                reasons = [f"缺货 stock short: {', '.join(held.short)}"]
                stock_only = True
        state = "held" if reasons else "accepted"
        if recheck and stock_only:
            continue
        states.append(
            (
                order.shop_id,
                order.order_no,
                state,
                "\n".join(reasons),
                stock_only,
                priority,
                "|".join(tags),
                warehouse,
                pickup,
                ship_by,
                now,
                actor,
                recheck_at(order, limits[order.shop_id], reasons),
            )
        )
        detail = "; ".join(reasons) if reasons else f"通过 accepted, stock reserved in {warehouse or '-'}"
        detail += f"; priority {priority}" + "".join(f"; {line}" for line in explained)
        entries.append(TimelineEntry(order.shop_id, order.order_no, now, state, detail, actor))
        info = shops[order.shop_id]
        results.append(
            Reviewed(
                order.shop_id,
                info.shop,
                order.order_no,
                state,
                tuple(reasons),
                priority,
                tags,
                warehouse,
                explained,
            )
        )
    upsert(conn, review_state, states, ("shop_id", "order_no"), STATE_COLUMNS[2:], STATE_COLUMNS)
    record(conn, entries)
    accepted = tuple((r.shop_id, r.order_no) for r in results if r.state == "accepted")
    if accepted:
        bus.publish(conn, OrdersAccepted(accepted))
    return results


def _deadlines(order: OrderData, pack: RulePack) -> tuple[Any, Any]:
    fact = OrderFact(
        platform=order.platform,
        shop=order.shop,
        order_no=order.order_no,
        status=order.status,
        created_at=order.created_at,
        paid_at=order.paid_at,
        is_presale=order.is_presale,
        promised_ship_by=order.promised_ship_by,
        categories=tuple(dict.fromkeys(line.category for line in order.lines if line.category)),
    )
    return pickup_deadline(fact, pack), promised_ship_time(fact, pack)


def deadline_fields(
    conn: Connection, batch: Sequence[OrderData], now: datetime
) -> dict[OrderKey, dict[str, Any]]:
    """Priority (deadline risk) and the M1/M5 deadlines of orders staff act on before review saw them."""
    shops = load_shops(conn)
    packs = {shop_id: pack_for(info) for shop_id, info in shops.items()}
    fields: dict[OrderKey, dict[str, Any]] = {}
    for order in batch:
        pickup, ship_by = _deadlines(order, packs[order.shop_id])
        left = [(d - now).total_seconds() / 3600 for d in (pickup, ship_by) if d is not None]
        priority = deadline_priority(min(left) if left else None)
        fields[order.key] = {"priority": priority, "pickup_deadline": pickup, "ship_by": ship_by}
    return fields


def select_keys(conn: Connection, keys: Sequence[OrderKey]) -> list[OrderKey]:
    """The keys that name stored orders (for staff actions that must refuse unknown ids first)."""
    o = orders.c
    found = conn.execute(select(o.shop_id, o.order_no).where(facts.key_filter(orders, keys))).all()
    return [(row.shop_id, row.order_no) for row in found]
