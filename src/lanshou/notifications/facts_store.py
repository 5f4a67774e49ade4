"""The facts of orders as notifications need them, read in one pass: the rule language's `RuleOrder` (for
rule conditions) and the template's `NotificationFacts` (for rendering), plus where to reach the buyer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, select, tuple_

from lanshou.events import OrderKey
from lanshou.notifications.context import BuyerFacts, ItemFacts, NotificationFacts
from lanshou.notifications.model import Stage
from lanshou.orders.tables import order_lines, orders
from lanshou.rules import RuleBuyer, RuleLine, RuleOrder, summarise_lines
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

    def for_stage(
        self,
        stage: Stage,
        tracking_no: str = "",
        carrier: str = "",
        eta: date | None = None,
        last_event: str = "",
    ) -> NotificationFacts:
        return replace(
            self.facts,
            stage=stage,
            tracking_no=tracking_no or self.facts.tracking_no,
            carrier_code=carrier or self.facts.carrier_code,
            carrier_name=carrier or self.facts.carrier_name,
            eta=eta or self.facts.eta,
            last_event=last_event or self.facts.last_event,
        )


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
    o = orders.c
    rows: list[Any] = []
    for start in range(0, len(wanted), CHUNK):
        query = (
            select(orders, shops.c.platform, shops.c.name.label("shop_name"), shops.c.timezone)
            .join(shops, shops.c.id == o.shop_id)
            .where(tuple_(o.shop_id, o.order_no).in_(wanted[start : start + CHUNK]))
        )
        rows.extend(conn.execute(query))
    lines: dict[OrderKey, list[tuple[RuleLine, ItemFacts]]] = defaultdict(list)
    ln = order_lines.c
    for start in range(0, len(wanted), CHUNK):
        query = (
            select(ln.shop_id, ln.order_no, ln.sku, ln.title, ln.category, ln.quantity, ln.unit_price)
            .where(tuple_(ln.shop_id, ln.order_no).in_(wanted[start : start + CHUNK]))
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
    found: dict[OrderKey, OrderFacts] = {}
    for row in rows:
        key = (row.shop_id, row.order_no)
        previous, spend = _previous_orders(conn, row)
        found[key] = _facts(conn, row, lines.get(key, []), previous, spend)
    return found


def _previous_orders(conn: Connection, row: Any) -> tuple[int, Decimal]:
    """Paid orders of the same buyer in the same shop before this one (a repeat buyer has some)."""
    buyer_key = row.buyer_key
    if not buyer_key:
        return 0, Decimal("0")
    o = orders.c
    moment = row.paid_at or row.created_at
    count, spend = conn.execute(
        select(func.count(), func.coalesce(func.sum(o.order_amount), 0)).where(
            and_(
                o.shop_id == row.shop_id,
                o.buyer_key == buyer_key,
                o.paid_at.is_not(None),
                o.paid_at < moment,
                o.order_no != row.order_no,
            )
        )
    ).one()
    return int(count), Decimal(str(spend))


def _facts(
    conn: Connection, row: Any, lines: list[tuple[RuleLine, ItemFacts]], previous: int, spend: Decimal
) -> OrderFacts:
    r = row
    rule_lines = tuple(line for line, _ in lines)
    summary = summarise_lines(rule_lines)
    amount = r.order_amount if r.order_amount is not None else Decimal("0")
    segments: tuple[str, ...] = ()
    rule_order = RuleOrder(
        platform=r.platform,
        shop=r.shop_name,
        order_id=r.order_no,
        created_at=r.created_at,
        status=r.status,
        amount=amount,
        province=r.province,
        city=r.city,
        district=r.district,
        categories=summary.categories,
        skus=summary.skus,
        lines=rule_lines,
        total_quantity=summary.total_quantity,
        weight_g=summary.weight_g,
        buyer=RuleBuyer(orders=previous, spend=spend, is_repeat=previous > 0, segments=segments),
        message=r.buyer_message,
        is_presale=bool(r.is_presale),
        paid_at=r.paid_at,
        promised_ship_by=r.promised_ship_by,
    )
    parcel = parcels_of(conn, r.shop_id, [r.order_no]).get(r.order_no, [])
    tracking_no, carrier = (parcel[0].tracking_no, parcel[0].carrier) if parcel else ("", "")
    facts = NotificationFacts(
        stage=Stage.ORDER_ACCEPTED,
        shop_name=r.shop_name,
        platform=r.platform,
        order_no=r.order_no,
        paid_at=r.paid_at,
        total=amount,
        items=tuple(item for _, item in lines),
        buyer=BuyerFacts(greeting_name(r.receiver_name), previous, segments),
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
    )


def parcel_news(conn: Connection, tracking_no: str) -> tuple[date | None, str]:
    """The parcel's ETA (a date) and its latest tracking line, for the message."""
    eta = etas_of(conn, [tracking_no]).get(tracking_no)
    t = tracking_events.c
    last = conn.execute(
        select(t.location, t.description)
        .where(t.tracking_no == tracking_no)
        .order_by(t.event_time.desc(), t.id.desc())
        .limit(1)
    ).first()
    line = ""
    if last is not None:
        line = f"【{last.location}】{last.description}" if last.location else last.description
    return (eta.date() if eta else None), line


def buyer_email(conn: Connection, buyer_key: str) -> str:
    """Marketplaces hand out no buyer e-mail; a buyer key that is an address (AliExpress, the generic
    format) is the only one we have."""
    del conn  # the buyers table has no e-mail column yet
    return buyer_key if "@" in buyer_key and " " not in buyer_key else ""
