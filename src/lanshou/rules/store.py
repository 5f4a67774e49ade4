"""Saved rules: add (compiled and checked before it is stored), list, remove, and load as rule sets.

A scope says where a rule is used and which actions it may take: `review` (accept, hold, tag, priority),
`priority` (priority, tag), `carrier` (carrier), `notify` (notify). A rule belongs to one shop or to every
shop (shop id 0). Loading compiles each stored text once per process: compiled rules are cached by their
texts, so a batch, or the next batch, pays no compile cost (one compile is about a millisecond).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from lanshou.rules.actions import Accept, ActionError, Carrier, Hold, Notify, Priority, Tag
from lanshou.rules.language import RuleError
from lanshou.rules.rulesets import Rule, RuleSet, make_rule
from lanshou.rules.tables import rules

ALL_SHOPS = 0
SCOPES: dict[str, tuple[type, ...]] = {
    "review": (Accept, Hold, Tag, Priority),
    "priority": (Priority, Tag),
    "carrier": (Carrier,),
    "notify": (Notify,),
}


@dataclass(frozen=True, slots=True)
class StoredRule:
    name: str
    scope: str
    condition: str
    action: str
    position: int
    enabled: bool
    shop_id: int

    def as_json(self, shop_names: dict[int, str] | None = None) -> dict[str, Any]:
        shop = "*" if self.shop_id == ALL_SHOPS else (shop_names or {}).get(self.shop_id, str(self.shop_id))
        return {
            "name": self.name,
            "scope": self.scope,
            "condition": self.condition,
            "action": self.action,
            "position": self.position,
            "enabled": self.enabled,
            "shop": shop,
        }


_COMPILED: dict[tuple[str, str, str, int, bool], Rule] = {}


def compiled(rule: StoredRule) -> Rule:
    """The rule compiled once per process (keyed by its texts: an edited rule compiles again)."""
    key = (rule.name, rule.condition, rule.action, rule.position, rule.enabled)
    found = _COMPILED.get(key)
    if found is None:
        if len(_COMPILED) > 10_000:  # rules edited all day long: do not grow without end
            _COMPILED.clear()
        found = _COMPILED[key] = make_rule(*key)
    return found


def check_rule(name: str, scope: str, condition: str, action: str, position: int = 0) -> Rule:
    """Compile and check a rule for its scope; RuleError (with position) or ActionError says why not."""
    if scope not in SCOPES:
        raise RuleError(f"未知范围 unknown scope {scope!r}; use one of {', '.join(SCOPES)}")
    rule = make_rule(name, condition, action, position)
    allowed = SCOPES[scope]
    if not isinstance(rule.action, allowed):
        kinds = ", ".join(kind.__name__.lower() for kind in allowed)
        raise ActionError(action, f"{scope} 规则只能 a {scope} rule can only: {kinds}")
    return rule


def add_rule(
    conn: Connection,
    name: str,
    scope: str,
    condition: str,
    action: str,
    *,
    position: int | None = None,
    shop_id: int = ALL_SHOPS,
    enabled: bool = True,
    replace: bool = False,
) -> StoredRule:
    """Store a rule that compiles (nothing is stored otherwise). Without a position it goes last."""
    rule = check_rule(name, scope, condition, action, position or 0)
    t = rules.c
    sharing = _named(conn, rule.name, shop_id)
    exists = next((row for row in sharing if row.shop_id == shop_id), None)
    if (exists is not None and not replace) or any(row.shop_id != shop_id for row in sharing):
        raise RuleError(f"规则已存在 a rule named {rule.name!r} exists (remove it first, or replace it)")
    if position is None:
        last = conn.execute(select(func.max(t.position)).where(t.scope == scope)).scalar_one()
        position = (last or 0) + 10
    values = {
        "name": rule.name,
        "scope": scope,
        "condition": rule.condition.source,
        "action": str(rule.action),
        "position": position,
        "enabled": enabled,
        "shop_id": shop_id,
        "updated_at": datetime.now(UTC).replace(tzinfo=None),
    }
    if exists is not None:
        conn.execute(rules.update().where(t.id == exists.id).values(**values))
    else:
        conn.execute(rules.insert().values(**values))
    return StoredRule(rule.name, scope, rule.condition.source, str(rule.action), position, enabled, shop_id)


def list_rules(conn: Connection, scope: str | None = None) -> list[StoredRule]:
    t = rules.c
    query = select(t.name, t.scope, t.condition, t.action, t.position, t.enabled, t.shop_id).order_by(
        t.scope, t.position, t.name
    )
    if scope is not None:
        query = query.where(t.scope == scope)
    return [StoredRule(*row) for row in conn.execute(query)]


def _named(conn: Connection, name: str, shop_id: int | None) -> list[Any]:
    """(id, shop_id) of the rules of this name that a shop's rule set holds beside a rule of `shop_id`: its
    own and the every-shop ones (for an every-shop rule, or no shop given: every shop's). A name is unique
    among them, so a decision's rule name says which rule it was; a shop's user is never told of a name in
    a shop they cannot see."""
    t = rules.c
    query = select(t.id, t.shop_id).where(t.name == name.strip())
    if shop_id not in (None, ALL_SHOPS):
        query = query.where(t.shop_id.in_((shop_id, ALL_SHOPS)))
    return list(conn.execute(query))


def find_rule(conn: Connection, name: str, shop_id: int | None = None) -> StoredRule | None:
    """The rule of this name in this shop's rule set (its own or an every-shop one); any shop's when
    `shop_id` is None and only one shop has it."""
    wanted = name.strip()
    found = [
        rule
        for rule in list_rules(conn)
        if rule.name == wanted and (shop_id is None or rule.shop_id in (shop_id, ALL_SHOPS))
    ]
    return found[0] if len(found) == 1 else None


def _one_named(conn: Connection, name: str, shop_id: int | None) -> int | None:
    """The id of the rule of this name (in this shop's rule set when given); RuleError when several shops
    have one and none was named."""
    found = _named(conn, name, shop_id)
    if len(found) > 1:
        raise RuleError(
            f"several shops have a rule named {name.strip()!r}: name the shop (--shop) 请指定店铺"
        )
    return found[0].id if found else None


def remove_rule(conn: Connection, name: str, shop_id: int | None = None) -> bool:
    found = _one_named(conn, name, shop_id)
    return found is not None and bool(conn.execute(rules.delete().where(rules.c.id == found)).rowcount)


def set_enabled(conn: Connection, name: str, enabled: bool, shop_id: int | None = None) -> bool:
    found = _one_named(conn, name, shop_id)
    update = rules.update().where(rules.c.id == found).values(enabled=enabled)
    return found is not None and bool(conn.execute(update).rowcount)


class ShopRuleSets:
    """The rule set of one scope for each shop: its own rules plus the every-shop ones, built once."""

    def __init__(self, conn: Connection, scope: str) -> None:
        self.stored = [rule for rule in list_rules(conn, scope) if rule.enabled]
        self._sets: dict[int, RuleSet] = {}

    def __call__(self, shop_id: int) -> RuleSet:
        found = self._sets.get(shop_id)
        if found is None:
            mine = [compiled(r) for r in self.stored if r.shop_id in (ALL_SHOPS, shop_id)]
            found = self._sets[shop_id] = RuleSet(mine)
        return found
