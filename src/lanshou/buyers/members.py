"""Who a segment holds in one shop, as a campaign needs them: each buyer profile in the segment now that
has an order in the shop, with that shop's latest order (where its message is logged) and the buyer keys
of all their orders (an opt-out is recorded against such a key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from lanshou.buyers.profile import PROFILE_FACTS
from lanshou.buyers.rules import default_rules
from lanshou.buyers.store import catch_up_buyers, orders_of_profiles, profile_from_row
from lanshou.buyers.tables import buyer_profiles
from lanshou.orders.facts import order_facts
from lanshou.orders.keys import OrderKey
from lanshou.rules.language import RuleRuntimeError


@dataclass(frozen=True)
class SegmentMember:
    profile_key: str
    order: OrderKey  # the buyer's latest order in the shop
    buyer_keys: tuple[str, ...]  # of every order of theirs, in any shop


def segment_members(engine: Engine, name: str, shop_id: int, now: datetime) -> list[SegmentMember]:
    """The segment's buyers (the rule evaluated now) who bought in `shop_id`, biggest spend first.
    Raises LookupError for a segment the rules do not define."""
    condition = default_rules().segment(name)
    catch_up_buyers(engine)
    p = buyer_profiles.c
    with engine.connect() as conn:
        keys = []
        for row in conn.execute(select(buyer_profiles).order_by(p.spend.desc(), p.key)):
            try:
                if condition.check(PROFILE_FACTS.activation(profile_from_row(row), now)):
                    keys.append(row.key)
            except RuleRuntimeError:  # the rule cannot decide for this buyer: not in the segment
                continue
        orders = orders_of_profiles(conn, keys)
        facts = order_facts(conn, [key for found in orders.values() for key in found])
    members = []
    for key in keys:
        mine = [facts[k] for k in orders.get(key, []) if k in facts]
        here = [o for o in mine if o.shop_id == shop_id]
        if not here:
            continue
        latest = max(here, key=lambda o: (o.paid_at or o.created_at or datetime.min, o.order_no))
        buyer_keys = tuple(sorted({o.buyer_key for o in mine if o.buyer_key} | {key}))
        members.append(SegmentMember(key, (shop_id, latest.order_no), buyer_keys))
    return members
