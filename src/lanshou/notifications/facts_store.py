"""The facts of orders as notifications need them, read in one pass: the rule language's `RuleOrder` (for
rule conditions) and the template's `NotificationFacts` (for rendering), plus where to reach the buyer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, select, tuple_

from lanshou.buyers.store import buyer_facts
from lanshou.db.keyset import ORDER_KEY, keyset
from lanshou.events import OrderKey
from lanshou.notifications.context import BuyerFacts, ItemFacts, NotificationFacts
from lanshou.notifications.model import Stage
from lanshou.orders.countries import destination_country
from lanshou.orders.tables import order_lines, orders
from lanshou.rules import (
    RuleBuyer,
    RuleError,
    RuleLine,
    RuleOrder,
    activation,
    compile_condition,
    summarise_lines,
)
from lanshou.shops.tables import shops
from lanshou.tracking.queries import etas_of, parcels_of
from lanshou.tracking.tables import tracking_events

CHUNK = 500


@dataclass(frozen=True)
class OrderFacts:
    shop_id: int
    order_no: str
    shop_timezone: str
    buyer_key: str
    phone: str
    rule_order: RuleOrder
    facts: NotificationFacts  # stage, carrier and tracking are set per message (for_stage)
    email: str = ""  # the order's buyer_email (imported), else a buyer key that is an address

    def for_stage(
        self,
        stage: Stage,
        tracking_no: str = "",
        carrier: str = "",
        eta: date | None = None,
        last_event: str = "",
        exception_reason: str = "",
        alert_kind: str = "",
    ) -> NotificationFacts:
        return replace(
            self.facts,
            stage=stage,
            tracking_no=tracking_no or self.facts.tracking_no,
            carrier_code=carrier or self.facts.carrier_code,
            carrier_name=carrier or self.facts.carrier_name,
            eta=eta or self.facts.eta,
            last_event=last_event or self.facts.last_event,
            exception_reason=exception_reason,
            alert_kind=alert_kind,
        )

    def with_segments(self, definitions: Mapping[str, str], now: datetime) -> OrderFacts:
        """The merchant's notification segments this buyer falls in (each a condition in the rule
        language), added to the profile's segments, for rule conditions (`buyer.segments`) and templates
        (`segments`). A condition that cannot decide for this order leaves the buyer out of that one."""
        if not definitions:
            return self
        bound = activation(self.rule_order, now)
        mine = [name for name, condition in sorted(definitions.items()) if _holds(condition, bound)]
        names = tuple(dict.fromkeys([*self.rule_order.buyer.segments, *mine]))  # the profile's first
        rule_order = replace(self.rule_order, buyer=replace(self.rule_order.buyer, segments=names))
        facts = replace(self.facts, buyer=replace(self.facts.buyer, segments=names))
        return replace(self, rule_order=rule_order, facts=facts)


_compiled = lru_cache(maxsize=512)(compile_condition)


def _holds(condition: str, bound: Any) -> bool:
    try:
        return _compiled(condition).check(bound)
    except RuleError:
        return False


def greeting_name(name: str) -> str:
    """How to greet: a latin first name, or a Chinese given name; nothing for a masked name (王**)."""
    name = name.strip()
    if not name or "*" in name:
        return ""
    if name.isascii():
        return name.split()[0]
    return name[1:] if len(name) >= 3 else name


def load_order_facts(conn: Connection, keys: Iterable[OrderKey]) -> dict[OrderKey, OrderFacts]:
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    o, ln = orders.c, order_lines.c
    k = keyset(conn, wanted, ORDER_KEY)
    query = (
        select(orders, shops.c.platform, shops.c.name.label("shop_name"), shops.c.timezone)
        .select_from(orders.join(k, (o.shop_id == k.c.shop_id) & (o.order_no == k.c.order_no)))
        .join(shops, shops.c.id == o.shop_id)
    )
    rows: list[Any] = list(conn.execute(query))
    lines: dict[OrderKey, list[tuple[RuleLine, ItemFacts]]] = defaultdict(list)
    k = keyset(conn, wanted, ORDER_KEY)
    query = (
        select(ln.shop_id, ln.order_no, ln.sku, ln.title, ln.category, ln.quantity, ln.unit_price)
        .select_from(order_lines.join(k, (ln.shop_id == k.c.shop_id) & (ln.order_no == k.c.order_no)))
        .order_by(ln.id)
    )
    for r in conn.execute(query):
        price = r.unit_price if r.unit_price is not None else Decimal("0")
        lines[(r.shop_id, r.order_no)].append(
            (
                RuleLine(r.sku, r.category, r.quantity, price),
                ItemFacts(r.title or r.sku, r.quantity, r.sku, price),
            )
        )
    history = _paid_history(conn, rows)
    # the buyer's profile (across shops: tier, segments, blacklist), as review's rules see it; an order
    # whose profile is not built yet falls back to its shop's own order history
    profiles = buyer_facts(conn, [(r.shop_id, r.order_no) for r in rows])
    by_shop: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        by_shop[row.shop_id].append(row.order_no)
    first_parcel: dict[OrderKey, tuple[str, str]] = {}
    for shop_id, order_nos in by_shop.items():
        for order_no, found_parcels in parcels_of(conn, shop_id, order_nos).items():
            if found_parcels:
                first_parcel[(shop_id, order_no)] = (found_parcels[0].tracking_no, found_parcels[0].carrier)
    found: dict[OrderKey, OrderFacts] = {}
    for row in rows:
        key = (row.shop_id, row.order_no)
        previous, spend = _previous_orders(row, history.get((row.shop_id, row.buyer_key), []))
        buyer = profiles.get(key) or RuleBuyer(orders=previous, spend=spend, is_repeat=previous > 0)
        found[key] = _facts(row, lines.get(key, []), buyer, first_parcel.get(key, ("", "")))
    return found


def _paid_history(conn: Connection, rows: list[Any]) -> dict[tuple[int, str], list[tuple[Any, str, Decimal]]]:
    """Every paid order of the buyers in `rows`, per (shop, buyer)."""
    pairs = sorted({(r.shop_id, r.buyer_key) for r in rows if r.buyer_key})
    history: dict[tuple[int, str], list[tuple[Any, str, Decimal]]] = defaultdict(list)
    o = orders.c
    # IN lists here, not a key set: SQLite drove that join from the orders table (measured 5× slower)
    for start in range(0, len(pairs), CHUNK):
        query = select(o.shop_id, o.buyer_key, o.paid_at, o.order_no, o.order_amount).where(
            tuple_(o.shop_id, o.buyer_key).in_(pairs[start : start + CHUNK]), o.paid_at.is_not(None)
        )
        for r in conn.execute(query):
            amount = r.order_amount if r.order_amount is not None else Decimal("0")
            history[(r.shop_id, r.buyer_key)].append((r.paid_at, r.order_no, amount))
    return history


def _previous_orders(row: Any, paid: list[tuple[Any, str, Decimal]]) -> tuple[int, Decimal]:
    """Paid orders of the same buyer in the same shop before this one (a repeat buyer has some)."""
    moment = row.paid_at or row.created_at
    earlier = [amount for paid_at, order_no, amount in paid if paid_at < moment and order_no != row.order_no]
    return len(earlier), sum(earlier, Decimal("0"))


def _facts(
    row: Any,
    lines: list[tuple[RuleLine, ItemFacts]],
    buyer: RuleBuyer,
    parcel: tuple[str, str],
) -> OrderFacts:
    r = row
    rule_lines = tuple(line for line, _ in lines)
    summary = summarise_lines(rule_lines)
    amount = r.order_amount if r.order_amount is not None else Decimal("0")
    rule_order = RuleOrder(
        platform=r.platform,
        shop=r.shop_name,
        order_id=r.order_no,
        created_at=r.created_at,
        status=r.status,
        amount=amount,
        country=destination_country(r.platform, r.country),
        province=r.province,
        city=r.city,
        district=r.district,
        categories=summary.categories,
        skus=summary.skus,
        lines=rule_lines,
        total_quantity=summary.total_quantity,
        weight_g=summary.weight_g,
        buyer=buyer,
        message=r.buyer_message,
        remark=r.seller_remark,
        is_presale=bool(r.is_presale),
        paid_at=r.paid_at,
        promised_ship_by=r.promised_ship_by,
    )
    tracking_no, carrier = parcel
    facts = NotificationFacts(
        stage=Stage.ORDER_ACCEPTED,
        shop_name=r.shop_name,
        platform=r.platform,
        order_no=r.order_no,
        paid_at=r.paid_at,
        total=amount,
        items=tuple(item for _, item in lines),
        buyer=BuyerFacts(greeting_name(r.receiver_name), buyer.orders, buyer.segments),
        carrier_code=carrier,
        carrier_name=carrier,
        tracking_no=tracking_no,
    )
    return OrderFacts(
        r.shop_id,
        r.order_no,
        r.timezone,
        r.buyer_key,
        r.receiver_phone,
        rule_order,
        facts,
        buyer_email(r.buyer_email, r.buyer_key),
    )


# What went wrong, as the buyer reads it (the exception stage's `exception_reason`).
PROBLEMS: dict[str, dict[str, str]] = {
    "failed_attempt": {"zh-CN": "派送未成功", "en": "a delivery attempt failed"},
    "exception": {"zh-CN": "运输异常", "en": "a problem in transit"},
    "returning": {"zh-CN": "包裹正在退回", "en": "the parcel is being returned"},
    "returned": {"zh-CN": "包裹已退回", "en": "the parcel was returned"},
    "rejected": {"zh-CN": "包裹被拒收", "en": "the parcel was refused"},
    "lost": {"zh-CN": "包裹可能丢失", "en": "the parcel may be lost"},
    # alert kinds (lanshou.sla) without a status of their own
    "locker_waiting": {"zh-CN": "包裹在驿站/快递柜待取", "en": "the parcel is waiting at a locker"},
    "stalled": {"zh-CN": "物流暂未更新", "en": "tracking has not moved for a while"},
    "probably_lost": {"zh-CN": "包裹多日无物流更新", "en": "no tracking update for days"},
    "delivery_late": {"zh-CN": "包裹比预计晚到", "en": "the parcel is running late"},
    "pickup_overdue": {"zh-CN": "包裹等待快递揽收", "en": "the parcel waits for the carrier"},
}
# An alert kind that stands for several statuses: the parcel's newest problem status tells which.
STATUS_KINDS = {"returned": ("returning", "returned", "rejected"), "failed_attempt": ("failed_attempt",)}


@dataclass(frozen=True)
class ParcelNews:
    eta: date | None
    last_event: str
    problem: str  # the newest problem status ("" when none): a key of PROBLEMS


def parcel_news(conn: Connection, tracking_no: str) -> ParcelNews:
    """The parcel's ETA (a date), its latest tracking line and its newest problem, for the message."""
    eta = etas_of(conn, [tracking_no]).get(tracking_no)
    t = tracking_events.c
    newest = select(t.location, t.description, t.status).order_by(t.event_time.desc(), t.id.desc()).limit(1)
    last = conn.execute(newest.where(t.tracking_no == tracking_no)).first()
    problem = conn.execute(newest.where(t.tracking_no == tracking_no, t.status.in_(list(PROBLEMS)))).first()
    line = ""
    if last is not None:
        line = f"【{last.location}】{last.description}" if last.location else last.description
    return ParcelNews(eta.date() if eta else None, line, problem.status if problem else "")


def problem_text(problem: str, language: str) -> str:
    return PROBLEMS.get(problem, {}).get(language, "")


def problem_of(alert_kind: str, newest_problem: str) -> str:
    """The PROBLEMS key a message tells: the alert's kind, or the parcel's newest problem status when
    that is what the kind stands for (a `returned` alert of a refused parcel says it was refused)."""
    if not alert_kind:
        return newest_problem
    if newest_problem in STATUS_KINDS.get(alert_kind, ()):
        return newest_problem
    return alert_kind


def buyer_email(email: str, buyer_key: str) -> str:
    """The order's imported buyer e-mail; without one, a buyer key that is an address (AliExpress, the
    generic format) is the only one we have."""
    if email:
        return email
    return buyer_key if "@" in buyer_key and " " not in buyer_key else ""
