"""`lanshou rules test RULE --order ID`: what a saved rule (or a condition tried inline) decides for one
stored order, with the same facts review gives the rules."""

from __future__ import annotations

from sqlalchemy import Connection, select

from lanshou.orders.tables import orders
from lanshou.review import facts
from lanshou.review.run import utc_now
from lanshou.rules import ActionError, RuleError, explain_rule, make_rule
from lanshou.rules.store import compiled, find_rule
from lanshou.shops.model import select_shops
from lanshou.shops.store import load_shops


class RuleTestError(ValueError):
    """The rule or the order cannot be found or used."""


def try_rule(
    conn: Connection, rule_text: str, order_no: str, shop: str | None, action: str = "tag:test"
) -> str:
    shops = load_shops(conn)
    try:
        wanted = select_shops(shops, shop)
    except LookupError as exc:
        raise RuleTestError(str(exc.args[0])) from None
    o = orders.c
    found = conn.execute(
        select(o.shop_id, o.order_no).where(o.order_no == order_no.strip(), o.shop_id.in_(list(wanted)))
    ).all()
    if not found:
        raise RuleTestError(f"no order {order_no!r} 没有这个订单")
    if len(found) > 1:
        raise RuleTestError(f"order {order_no!r} is in several shops: add --shop 多个店铺有此订单号")
    stored = find_rule(conn, rule_text, found[0].shop_id)  # the order's shop's rule of that name
    try:
        rule = compiled(stored) if stored else make_rule("inline", rule_text, action)
    except (RuleError, ActionError) as exc:
        raise RuleTestError(f"no saved rule named {rule_text!r}, and as a condition: {exc}") from None
    batch = facts.load_orders(conn, [(found[0].shop_id, found[0].order_no)])
    history = facts.buyer_history(conn, batch)
    listed = facts.blacklist_hits(conn, batch)
    order = batch[0]
    facts_of = facts.rule_order(order, history.get((order.shop_id, order.buyer_key)), order.key in listed)
    return explain_rule(rule, facts_of, utc_now())
