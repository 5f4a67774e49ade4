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
    exists = conn.execute(select(t.id).where(t.name == rule.name)).first()
    if exists is not None and not replace:
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


def find_rule(conn: Connection, name: str) -> StoredRule | None:
    found = [rule for rule in list_rules(conn) if rule.name == name.strip()]
    return found[0] if found else None


def remove_rule(conn: Connection, name: str) -> bool:
    return bool(conn.execute(rules.delete().where(rules.c.name == name.strip())).rowcount)


def set_enabled(conn: Connection, name: str, enabled: bool) -> bool:
    t = rules.c
    return bool(conn.execute(rules.update().where(t.name == name.strip()).values(enabled=enabled)).rowcount)


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
