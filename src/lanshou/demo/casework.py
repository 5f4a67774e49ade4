"""The after-sales and follow-up areas caught up on the demo's history, through their own use cases.

The demo writes its rows in bulk, past the event bus (lanshou.demo.writer), so neither area heard of the
negative feedback or the refunds in it. Once the parcel states are rebuilt (lanshou.demo.settle: the
after-sales area reads deliveries from them), each area is told:
- follow-ups: `followups.store.open_for_feedback` for the orders with feedback in the last `WINDOW_DAYS`;
  the area decides which feedback is negative, its themes and owner (the shop's settings). Not the due
  time: the shop's terms (a day after the buyer wrote) would make every one but the last day's overdue the
  moment the demo is written, so they are spread around its `now` instead (`spread_due`): the oldest
  complaints a backlog up to OVERDUE_HOURS late, the rest due over the next AHEAD_HOURS, newest last;
- after-sales: every refund the demo's orders record (a parcel refused or lost by the carrier, goods out
  of stock, a return after delivery), whenever it was: the statistics compare a period with the one
  before, and half a history would read as a jump in returns. Then the requests of the last WINDOW_DAYS
  still open: a failed parcel's refund or reship. Each as the platform states the case, taken by
  `CaseBook.take` like an import of the platform's after-sales list. Last a seeded handful of buyer
  requests (refund only, return & refund, exchange), moved by `CaseBook.act` as the shop's staff would.
  The area writes each step, with its reason, to the order's timeline as usual.
Nothing is sent to buyers: no notification follows after-sales cases or follow-ups (the demo's history is
not news either: see lanshou.demo.settle). Running it again opens nothing more: each case number derives
from its order, and a case already stored is left as it is.
"""

from __future__ import annotations

import random
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, Engine, select

from lanshou import schema as s
from lanshou.aftersales.book import CaseBook, Incoming
from lanshou.aftersales.policy import REASONS
from lanshou.aftersales.states import FINAL, Action, AfterSaleRefused, CaseStatus, CaseType
from lanshou.demo.catalog import TRACKING_PREFIX
from lanshou.demo.generator import DemoConfig
from lanshou.demo.writer import demo_shop_ids
from lanshou.events import EventBus, bus
from lanshou.followups.store import DueAt, open_for_feedback
from lanshou.orders.facts import OrderFacts, now_utc
from lanshou.orders.keys import OrderKey, by_shop
from lanshou.tracking.queries import delivered_at_of, events_of

# Platforms let a shop answer a review for about a month (Taobao's 解释期 is 30 days); an older complaint
# can no longer be followed up there, and a follow-up for it would only be one more overdue row.
WINDOW_DAYS = 30
# The demo's open follow-ups around its `now`: the oldest OVERDUE_SHARE of the window's complaints are a
# backlog, overdue by up to OVERDUE_HOURS; the others fall due over the coming AHEAD_HOURS, newest last.
OVERDUE_SHARE = 0.2
OVERDUE_HOURS = 36
AHEAD_HOURS = 72
BATCH = 500  # orders per after-sales transaction: a book looks its cases up one by one
FAILED = ("rejected", "returning", "returned", "lost")  # the carrier did not deliver the parcel
STAFF = "demo"  # the demo login: the shop's staff handling the seeded requests
SOURCE = " (演示数据补记 demo history caught up)"


@dataclass(frozen=True, slots=True)
class Failure:
    """The first word of a parcel's failure: what the carrier said and when."""

    status: str
    at: datetime
    tracking_no: str
    carrier: str


@dataclass(frozen=True, slots=True)
class Plan:
    """One case to open as the platform states it; `steps` move it on afterwards (seeded requests)."""

    key: OrderKey
    case_type: CaseType
    status: CaseStatus
    reason_code: str
    reason: str
    requested_at: datetime
    whole_order: bool = True  # else one unit of one of its lines
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """A staff action (`action`), or the platform reporting the buyer's return parcel (`action` None)."""

    action: Action | None
    why: str = ""
    disposition: str = ""


@dataclass(slots=True)
class CaughtUp:
    followups: int = 0
    cases: int = 0
    open_cases: int = 0
    refused: list[str] = field(default_factory=list)  # plans the area refused, with its reason
    seconds: float = 0.0


def case_no(order_no: str) -> str:
    """One case per order here: its number derives from the order, so a second run finds it."""
    return f"AS{order_no}"


def catch_up(
    engine: Engine, config: DemoConfig, now: datetime | None = None, events: EventBus = bus
) -> CaughtUp:
    """Open the follow-ups and after-sales cases the demo's history calls for that are not open yet."""
    started, now = time.perf_counter(), now or now_utc()
    until = config.end_of_period()
    since = until - timedelta(days=WINDOW_DAYS)
    result = CaughtUp()
    with engine.begin() as conn:
        shop_ids = demo_shop_ids(conn)
        keys = feedback_keys(conn, shop_ids, since)
        result.followups = open_for_feedback(conn, keys, now, spread_due(now, since, until))
    with engine.connect() as conn:
        plans = history_plans(conn, shop_ids, since, config.seed)
        taken = {plan.key for plan in plans}
        plans += request_plans(conn, shop_ids, until, config.seed, taken)
    for start in range(0, len(plans), BATCH):
        with engine.begin() as conn:
            _open_cases(conn, plans[start : start + BATCH], now, events, result)
    events.settle(engine)  # e.g. review of an exchange's outbound order, as after any case moved
    result.seconds = time.perf_counter() - started
    return result


def spread_due(now: datetime, since: datetime, until: datetime) -> DueAt:
    """Due times for the follow-ups of feedback written in [since, until], placed by where in that window
    the buyer wrote: the oldest OVERDUE_SHARE overdue (the oldest most, by OVERDUE_HOURS), the others due
    from `now` on, the newest AHEAD_HOURS later. Never before the feedback itself; to the minute."""
    span = max((until - since).total_seconds(), 1.0)

    def due(feedback_at: datetime, _hours: int) -> datetime:
        place = min(max((feedback_at - since).total_seconds() / span, 0.0), 1.0)
        if place < OVERDUE_SHARE:
            hours = -OVERDUE_HOURS * (1 - place / OVERDUE_SHARE)
        else:
            hours = AHEAD_HOURS * (place - OVERDUE_SHARE) / (1 - OVERDUE_SHARE)
        moment = max(now + timedelta(hours=hours), feedback_at + timedelta(hours=1))
        return moment.replace(second=0, microsecond=0)

    return due


def feedback_keys(conn: Connection, shop_ids: Sequence[int], since: datetime) -> list[OrderKey]:
    """Orders with feedback since `since`. The area opens a follow-up per negative feedback of an order,
    so an order's earlier complaint, days before, comes along with its recent one."""
    f = s.feedback.c
    query = select(f.shop_id, f.order_no).where(f.shop_id.in_(shop_ids), f.created_at >= since).distinct()
    return sorted((row.shop_id, row.order_no) for row in conn.execute(query))


# --- the demo's refunds, as the platform states their cases now -------------------------------------------


def history_plans(conn: Connection, shop_ids: Sequence[int], since: datetime, seed: int) -> list[Plan]:
    failures = failed_parcels(conn, shop_ids)
    # a request still open from before the window would have been settled some way the demo does not know
    plans = [
        failure_plan(key, failure, status)
        for key, (failure, status) in sorted(failures.items())
        if status == "refunded" or failure.at >= since
    ]
    refunded = {k: at for k, at in refunded_orders(conn, shop_ids).items() if k not in failures}
    delivered = _delivered(conn, sorted(refunded))
    short = _out_of_stock(conn, sorted(refunded))
    rng = random.Random(seed)  # the reasons buyers give for their returns
    for key, at in sorted(refunded.items()):
        if key in delivered:
            plans.append(_return_plan(key, delivered[key], at, rng))
        else:
            asked, why = short.get(key, (at, "其他 other"))
            plans.append(Plan(key, CaseType.REFUND_UNSHIPPED, CaseStatus.REFUNDED, "other", why, asked))
    return plans


def failed_parcels(conn: Connection, shop_ids: Sequence[int]) -> dict[OrderKey, tuple[Failure, str]]:
    """The orders whose parcel failed (its first failure, the earliest parcel's), with the order's status."""
    ps, link, o = s.parcel_state.c, s.parcel_orders.c, s.orders.c
    query = (
        select(link.shop_id, link.order_no, link.tracking_no, ps.carrier, o.status)
        .select_from(
            s.parcel_state.join(s.parcel_orders, link.tracking_no == ps.tracking_no).join(
                s.orders, (o.shop_id == link.shop_id) & (o.order_no == link.order_no)
            )
        )
        .where(ps.status.in_(FAILED), link.shop_id.in_(shop_ids))
    )
    rows = conn.execute(query).all()
    first = _first_failures(conn, {row.tracking_no for row in rows})
    found: dict[OrderKey, tuple[Failure, str]] = {}
    for row in rows:
        if row.tracking_no not in first:
            continue
        status, at = first[row.tracking_no]
        failure = Failure(status, at, row.tracking_no, row.carrier)
        key = (row.shop_id, row.order_no)
        if key not in found or at < found[key][0].at:
            found[key] = (failure, row.status)
    return found


def _first_failures(conn: Connection, tracking_nos: Iterable[str]) -> dict[str, tuple[str, datetime]]:
    """What the carrier said first of each parcel's failure, and when."""
    found = {}
    for number, events in events_of(conn, sorted(tracking_nos)).items():
        failed = [(e.event_time, e.status) for e in events if e.status in FAILED]
        if failed:
            at, status = min(failed)
            found[number] = (status, at)
    return found


def failure_plan(key: OrderKey, failure: Failure, order_status: str) -> Plan:
    """Refunded: the platform refunded the parcel that never arrived. Still shipped: the buyer's refund
    waits for the shop (待处理). Delivered all the same (another parcel of the order came): the buyer asks
    for what did not arrive again (补发)."""
    parcel = f"{failure.carrier} {failure.tracking_no}"
    if failure.status == "lost":
        code, why = "missing", f"快递丢件 lost by the carrier: {parcel}"
    else:
        code, why = "other", f"拒收退回 refused, sent back: {parcel}"
    if order_status == "refunded":
        return Plan(key, CaseType.REFUND_SHIPPED, CaseStatus.REFUNDED, code, why, failure.at)
    if order_status == "shipped":
        return Plan(key, CaseType.REFUND_SHIPPED, CaseStatus.REQUESTED, code, why, failure.at)
    return Plan(key, CaseType.RESHIP, CaseStatus.REQUESTED, code, why, failure.at)


def refunded_orders(conn: Connection, shop_ids: Sequence[int]) -> dict[OrderKey, datetime]:
    """The demo's refunded orders, with when (their last change: the refund)."""
    o = s.orders.c
    query = select(o.shop_id, o.order_no, o.updated_at).where(o.status == "refunded", o.shop_id.in_(shop_ids))
    return {(row.shop_id, row.order_no): row.updated_at for row in sorted(conn.execute(query))}


def _delivered(conn: Connection, keys: Sequence[OrderKey]) -> dict[OrderKey, datetime]:
    found = {}
    for shop_id, numbers in by_shop(keys):
        found.update({(shop_id, n): at for n, at in delivered_at_of(conn, shop_id, numbers).items()})
    return found


def _out_of_stock(conn: Connection, keys: Sequence[OrderKey]) -> dict[OrderKey, tuple[datetime, str]]:
    """When the demo noted each order's goods out of stock (the reason it was refunded unshipped)."""
    e = s.order_events.c
    found: dict[OrderKey, tuple[datetime, str]] = {}
    for shop_id, numbers in by_shop(keys):
        query = select(e.order_no, e.at, e.detail).where(
            e.shop_id == shop_id, e.order_no.in_(numbers), e.kind == "out_of_stock"
        )
        for row in conn.execute(query.order_by(e.at)):
            found.setdefault((shop_id, row.order_no), (row.at, f"缺货 out of stock: {row.detail}"))
    return found


RETURN_REASONS = (("no_reason", 50), ("quality", 20), ("not_as_described", 15), ("damaged", 10))
ENGLISH = {
    "no_reason": "no reason, within 7 days",
    "quality": "quality problem",
    "not_as_described": "not as described",
    "damaged": "arrived damaged",
    "missing": "a piece missing",
    "wrong_item": "wrong item or size",
}


def reason_text(code: str) -> str:
    return f"{REASONS[code][0]} {ENGLISH.get(code, code)}"


def _return_plan(key: OrderKey, delivered: datetime, refunded: datetime, rng: random.Random) -> Plan:
    """Refunded after delivery: the goods came back first (退货退款); asked for between the two."""
    code = rng.choices([c for c, _ in RETURN_REASONS], weights=[w for _, w in RETURN_REASONS])[0]
    asked = delivered + (refunded - delivered) / 3
    return Plan(
        key,
        CaseType.RETURN_REFUND,
        CaseStatus.REFUNDED,
        code,
        reason_text(code),
        asked.replace(microsecond=0),
    )


# --- a seeded handful of buyer requests, some of them handled by the staff --------------------------------

AGREE = Step(Action.AGREE, "演示 demo: 同意退款 refund agreed")
AGREE_RETURN = Step(Action.AGREE_RETURN, "演示 demo: 同意退货 return agreed")
SENT_BACK = Step(None)
RECEIVE = Step(Action.RECEIVE, "演示 demo: 退货已验收 return inspected", "restock")
REFUND = Step(Action.REFUND, "演示 demo: 退款 refunded")
REFUSE = Step(
    Action.REFUSE, "演示 demo: 已签收且商品完好，请申请退货退款 / delivered intact: ask for a return"
)
# (type, reason, steps): one request of each kind left waiting (待处理), the others moved along
REQUESTS: tuple[tuple[CaseType, str, tuple[Step, ...]], ...] = (
    (CaseType.REFUND_SHIPPED, "missing", ()),
    (CaseType.REFUND_SHIPPED, "damaged", (AGREE, REFUND)),
    (CaseType.REFUND_SHIPPED, "no_reason", (REFUSE,)),
    (CaseType.RETURN_REFUND, "no_reason", ()),
    (CaseType.RETURN_REFUND, "quality", (AGREE_RETURN,)),
    (CaseType.RETURN_REFUND, "not_as_described", (AGREE_RETURN, SENT_BACK, RECEIVE, REFUND)),
    (CaseType.EXCHANGE, "wrong_item", ()),
    (CaseType.EXCHANGE, "wrong_item", (AGREE_RETURN, SENT_BACK, RECEIVE)),  # the new goods go out
)


def request_plans(
    conn: Connection, shop_ids: Sequence[int], until: datetime, seed: int, taken: Collection[OrderKey]
) -> list[Plan]:
    """Buyer requests on orders delivered 1–5 days before the demo's end (inside the 7-day return window,
    which the area checks), none of them with a case of its own already (`taken`)."""
    found = delivered_between(conn, shop_ids, until - timedelta(days=5), until - timedelta(days=1))
    candidates = {key: at for key, at in found.items() if key not in taken}
    rng = random.Random(seed)
    chosen = rng.sample(sorted(candidates), min(len(REQUESTS), len(candidates)))
    plans = []
    for key, (case_type, code, steps) in zip(chosen, REQUESTS, strict=False):
        delivered = candidates[key]
        asked = delivered + (until - delivered) * rng.uniform(0.2, 0.9)
        plans.append(
            Plan(
                key,
                case_type,
                CaseStatus.REQUESTED,
                code,
                reason_text(code),
                asked.replace(microsecond=0),
                whole_order=False,
                steps=steps,
            )
        )
    return plans


def delivered_between(
    conn: Connection, shop_ids: Sequence[int], start: datetime, end: datetime
) -> dict[OrderKey, datetime]:
    """Orders delivered in [start, end) and still delivered or completed (no refund since)."""
    ps, link, o = s.parcel_state.c, s.parcel_orders.c, s.orders.c
    query = (
        select(link.shop_id, link.order_no, ps.delivered_at)
        .select_from(
            s.parcel_state.join(s.parcel_orders, link.tracking_no == ps.tracking_no).join(
                s.orders, (o.shop_id == link.shop_id) & (o.order_no == link.order_no)
            )
        )
        .where(
            link.shop_id.in_(shop_ids),
            o.status.in_(("delivered", "completed")),
            ps.delivered_at >= start,
            ps.delivered_at < end,
        )
    )
    found: dict[OrderKey, datetime] = {}
    for row in conn.execute(query):  # an order in two parcels: delivered when the last one was
        key = (row.shop_id, row.order_no)
        found[key] = max(found.get(key, row.delivered_at), row.delivered_at)
    return found


# --- telling the after-sales area ------------------------------------------------------------------------


def _open_cases(
    conn: Connection, plans: Sequence[Plan], now: datetime, events: EventBus, result: CaughtUp
) -> None:
    book = CaseBook(conn, [plan.key for plan in plans], now)
    for plan in plans:
        number = case_no(plan.key[1])
        if book.case(plan.key[0], number) is not None:
            continue  # opened by an earlier run: left as it is
        try:
            _open_case(book, plan)
        except AfterSaleRefused as exc:  # the area's word: nothing of that step was applied
            result.refused.append(f"{plan.key[1]}: {exc}")
        case = book.case(plan.key[0], number)
        if case is not None:
            result.cases += 1
            result.open_cases += case.status not in FINAL
    book.flush(events)


def _open_case(book: CaseBook, plan: Plan) -> None:
    incoming = _incoming(plan, book.order(plan.key))
    book.take(incoming, source=SOURCE)
    for step in plan.steps:
        if step.action is None:  # the platform reports the buyer's parcel on its way back
            carrier, number = _return_parcel(plan)
            back = CaseStatus.RETURNED
            incoming = replace(
                incoming,
                status=back,
                raw_status=back.value,
                return_carrier=carrier,
                return_tracking_no=number,
            )
            book.take(incoming, source=SOURCE)
            continue
        case = book.case(incoming.shop_id, incoming.case_no)
        assert case is not None  # just opened
        book.act(case, step.action, STAFF, step.why, step.disposition)


def _incoming(plan: Plan, order: OrderFacts) -> Incoming:
    """The whole order (what it paid), or one unit of a line the seed picks; nothing for a reship or an
    exchange, which send goods instead of money."""
    amount, sku, quantity = order.paid or Decimal(0), "", 0
    if not plan.whole_order and order.lines:
        line = random.Random(plan.key[1]).choice(order.lines)
        amount, sku, quantity = line.unit_price or Decimal(0), line.sku, 1
    if plan.case_type in (CaseType.RESHIP, CaseType.EXCHANGE):
        amount = Decimal(0)
    return Incoming(
        shop_id=plan.key[0],
        case_no=case_no(plan.key[1]),
        order_no=plan.key[1],
        case_type=plan.case_type,
        status=plan.status,
        raw_status=plan.status.value,  # as a generic import states it: our own word
        reason=plan.reason,
        reason_code=plan.reason_code,
        amount=amount,
        requested_at=plan.requested_at,
        sku=sku,
        quantity=quantity,
    )


def _return_parcel(plan: Plan) -> tuple[str, str]:
    """The buyer's return waybill: a carrier and number drawn from the order's number (deterministic)."""
    rng = random.Random(f"return {plan.key[1]}")
    carrier = rng.choice(sorted(TRACKING_PREFIX))
    return carrier, f"{TRACKING_PREFIX[carrier]}{rng.randrange(10**11, 10**12)}"
