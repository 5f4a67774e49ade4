"""Rules (name + condition + action + position) and the decision a rule set reaches for one order.

Every enabled rule is checked, in position order, against one activation built for the order. The decision
lists each rule that matched (so the timeline can say *why*) and each rule that could not decide, and derives:
- review: any Hold -> held with all hold reasons; else any Accept -> accepted; else undecided.
  A Hold rule that failed on this order also holds it (fail safe: a person looks instead of a guess).
- tags accumulate in rule order; the highest matching Priority level wins (9 most urgent).
- carrier: the first matching Carrier rule wins, unless an earlier Carrier rule failed (then none: a person
  chooses, because the failed rule might have been the one to apply).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from lanshou.rules.actions import (
    Accept,
    Action,
    ActionError,
    Carrier,
    Hold,
    Notify,
    Priority,
    Tag,
    parse_action,
)
from lanshou.rules.context import Binder, FactsError, RuleOrder
from lanshou.rules.language import Condition, ConditionBatch, RuleError, RuleRuntimeError, compile_condition

MAX_NAME = 64


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    condition: Condition
    action: Action
    position: int = 0
    enabled: bool = True


def make_rule(
    name: str, condition: str, action: str | Action, position: int = 0, enabled: bool = True
) -> Rule:
    """Compile a rule from its saved texts; `RuleError` or `ActionError` says what is wrong."""
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > MAX_NAME:
        raise RuleError(f"规则名必须是 1–{MAX_NAME} 个字 a rule name is 1 to {MAX_NAME} characters")
    parsed = parse_action(action) if isinstance(action, str) else action
    if not isinstance(parsed, get_args(Action)):
        raise ActionError(
            repr(action), "不是动作 not an action (Accept, Hold, Tag, Priority, Carrier, Notify)"
        )
    return Rule(name, compile_condition(condition), parsed, position, enabled)


_VERBS: dict[type, tuple[str, str]] = {
    Accept: ("通过", "accepted"),
    Hold: ("暂停审单", "held"),
    Tag: ("打标签", "tagged"),
    Priority: ("优先级", "priority"),
    Carrier: ("指定快递", "carrier"),
    Notify: ("通知", "notify"),
}


def _describe(action: Action) -> str:
    zh, en = _VERBS[type(action)]
    if isinstance(action, Hold):
        return f"{zh} {en} ({action.reason})"
    argument = str(action).partition(":")[2]
    return f"{zh} {en} {argument}" if argument else f"{zh} {en}"


@dataclass(frozen=True, slots=True)
class Match:
    rule: str
    position: int
    condition: str
    action: Action

    def explain(self) -> str:
        """E.g. "暂停审单 held (大额订单) by rule 'big orders': amount > 2000.0"."""
        return f"{_describe(self.action)} by rule '{self.rule}': {self.condition}"


@dataclass(frozen=True, slots=True)
class Failure:
    rule: str
    position: int
    condition: str
    action: Action
    reason: str

    def explain(self) -> str:
        return f"规则出错 rule '{self.rule}' could not decide ({self.condition}): {self.reason}"


ReviewStatus = Literal["held", "accepted", "undecided"]


@dataclass(frozen=True, slots=True)
class Decision:
    matches: tuple[Match, ...]
    failures: tuple[Failure, ...] = ()

    @property
    def hold_reasons(self) -> tuple[str, ...]:
        held = [m.action.reason for m in self.matches if isinstance(m.action, Hold)]
        failed = [f"规则「{f.rule}」无法判断 rule '{f.rule}' could not decide" for f in self._failed(Hold)]
        return tuple(held + failed)

    @property
    def held(self) -> bool:
        return bool(self.hold_reasons)

    @property
    def review(self) -> ReviewStatus:
        if self.held:
            return "held"
        return "accepted" if any(isinstance(m.action, Accept) for m in self.matches) else "undecided"

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.action.name for m in self.matches if isinstance(m.action, Tag)))

    @property
    def priority(self) -> int | None:
        levels = [m.action.level for m in self.matches if isinstance(m.action, Priority)]
        return max(levels) if levels else None

    @property
    def carrier(self) -> Carrier | None:
        first_failure = min((f.position for f in self._failed(Carrier)), default=None)
        for match in self.matches:
            if isinstance(match.action, Carrier):
                if first_failure is not None and first_failure <= match.position:
                    return None
                return match.action
        return None

    @property
    def notifications(self) -> tuple[Notify, ...]:
        return tuple(m.action for m in self.matches if isinstance(m.action, Notify))

    def explain(self) -> list[str]:
        """One line per matched or failed rule, in rule order, for the order's timeline."""
        entries = [(m.position, m.rule, m.explain()) for m in self.matches]
        entries += [(f.position, f.rule, f.explain()) for f in self.failures]
        return [text for _, _, text in sorted(entries)]  # the rule set's order: position, then name

    def _failed(self, kind: type) -> list[Failure]:
        return [f for f in self.failures if isinstance(f.action, kind)]


class RuleSet:
    """Enabled rules in position order (then name), checked together against one order at a time.

    Build it once per batch: it compiles all conditions into one program (`ConditionBatch`) and knows which
    facts they read, so each order binds only those and costs one evaluation. An order on which any rule
    fails is checked again rule by rule, so the failure is reported against the right rule.
    """

    def __init__(self, rules: Iterable[Rule]) -> None:
        rules = list(rules)
        seen: set[str] = set()
        for rule in rules:
            if rule.name in seen:
                raise RuleError(f"规则重名 two rules are named {rule.name!r}")
            seen.add(rule.name)
        self.rules: tuple[Rule, ...] = tuple(
            sorted((r for r in rules if r.enabled), key=lambda r: (r.position, r.name))
        )
        self.facts: frozenset[str] = frozenset().union(*(r.condition.facts for r in self.rules))
        self._binder = Binder(self.facts)
        self._batch = ConditionBatch([rule.condition for rule in self.rules])
        # a Match depends only on its rule: build each once, not once per order
        self._matches = tuple(Match(r.name, r.position, r.condition.source, r.action) for r in self.rules)

    def evaluate(self, order: RuleOrder, now: datetime) -> Decision:
        """The decision for one order; if its facts cannot be bound, every rule fails (nothing raises)."""
        try:
            bound = self._binder.activation(order, now)
        except FactsError as exc:
            reason = str(exc)
            return Decision(
                (), tuple(Failure(m.rule, m.position, m.condition, m.action, reason) for m in self._matches)
            )
        return self.decide(bound)

    def decide(self, bound: Any) -> Decision:
        """The decision for an order bound with `context.activation` (with at least `self.facts`)."""
        results = self._batch.check_all(bound)
        if results is None:
            return self._decide_one_by_one(bound)
        return Decision(
            tuple(match for match, matched in zip(self._matches, results, strict=True) if matched)
        )

    def _decide_one_by_one(self, bound: Any) -> Decision:
        matches: list[Match] = []
        failures: list[Failure] = []
        for rule, match in zip(self.rules, self._matches, strict=True):
            try:
                if rule.condition.check(bound):
                    matches.append(match)
            except RuleRuntimeError as exc:
                failures.append(
                    Failure(rule.name, rule.position, rule.condition.source, rule.action, exc.reason)
                )
        return Decision(tuple(matches), tuple(failures))


def evaluate(rules: Iterable[Rule], order: RuleOrder, now: datetime) -> Decision:
    """Check every enabled rule against `order` at time `now` (for many orders build one `RuleSet`)."""
    return RuleSet(rules).evaluate(order, now)


def explain_rule(rule: Rule, order: RuleOrder, now: datetime) -> str:
    """What one rule decides for one order, as `lanshou rules test RULE --order ID` shows it."""
    decision = RuleSet([Rule(rule.name, rule.condition, rule.action, rule.position)]).evaluate(order, now)
    if decision.matches:
        return f"命中 matched: {decision.matches[0].explain()}"
    if decision.failures:
        return decision.failures[0].explain()
    return f"未命中 not matched: rule '{rule.name}': {rule.condition.source}"
