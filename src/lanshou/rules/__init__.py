"""One safe rule language for conditions over an order: review (审单), carrier choice, buyer notifications.

The language is CEL (Common Expression Language, https://cel.dev) through `cel-expr-python`, the CEL
project's binding of cel-cpp. It is not Turing-complete, has no side effects, is type-checked against the
declared facts when a rule is saved, and evaluates in C++. Nothing here does I/O.

Writing conditions (all facts: `context.FACTS`)::

    amount > 2000.0                                   # money is a decimal: write 2000.0, not 2000
    province in ['新疆', '西藏'] || country != 'CN'
    buyer.blacklisted || (buyer.orders == 0 && amount > 500.0)
    skus.exists(s, s.startsWith('GIFT-')) && size(skus) > 1
    lines.exists(l, l.category == '生鲜' && l.quantity >= 3)
    message.contains('发票') || remark.matches('加急|急发')   # matches is RE2, compiled per check: slower
    is_paid && hours_since_paid > 48.0
    has_deadline && promised_ship_by - now < duration('6h')
    paid_at.getHours('Asia/Shanghai') >= 22               # times are UTC instants; name the zone

API for the other areas:

- Save a rule: `make_rule(name, condition_text, action_text, position, enabled) -> Rule`; it compiles once
  and raises `RuleError` (`.position` = `Position(line, column)` 1-based or None, `.reason`, `.hint`) or
  `ActionError`. Store the texts (`rule.condition.source`, `str(rule.action)`); compile again on load.
- Other records: `FactSet(name, facts)` declares another set of facts (e.g. lanshou.buyers' PROFILE_FACTS);
  `compile_condition(text, facts=that_set)` type-checks against it, `that_set.activation(record, now)` binds.
- Conditions alone: `compile_condition(text) -> Condition`; `Condition.check(activation) -> bool` raises
  `RuleRuntimeError` (a `RuleError`) when it cannot decide for that order (e.g. `paid_at` of an unpaid order).
- Actions: `Accept()`, `Hold(reason)`, `Tag(name)`, `Priority(level 0-9)`, `Carrier(code, service)`,
  `Notify(template)`; `parse_action("hold:大额订单")`, and `str(action)` gives the text back.
- Facts: fill a `RuleOrder` (with `RuleLine`s and a `RuleBuyer`; `summarise_lines` derives the order-level
  line facts); `activation(order, now)` binds all facts once; `Binder(names).activation(order, now)` binds
  only the named ones (a `RuleSet` binds just `ruleset.facts`, what its rules read).
- Decide: `RuleSet(rules)` once, then `ruleset.evaluate(order, now) -> Decision` per order (or
  `ruleset.decide(activation)` to share one binding between several rule sets); `evaluate(rules, order, now)`
  for one-offs. `Decision.matches` / `.failures` in rule order, `.explain()` lines for the timeline,
  `.review` ("held" / "accepted" / "undecided"), `.hold_reasons`, `.tags`, `.priority`, `.carrier`,
  `.notifications`. A failing rule never breaks the batch: it is listed in `.failures` (every rule
  is, when the order's facts cannot be bound).
- `explain_rule(rule, order, now) -> str` is what `lanshou rules test RULE --order ID` prints.

Limits against hostile rules: see `language` (source length, nesting depth, node count, iteration budget).
"""

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
from lanshou.rules.context import (
    FACTS,
    ORDER_FACTS,
    Binder,
    Fact,
    FactsError,
    FactSet,
    RuleBuyer,
    RuleLine,
    RuleOrder,
    activation,
    facts,
    summarise_lines,
)
from lanshou.rules.language import (
    MAX_SOURCE_CHARS,
    Condition,
    Position,
    RuleError,
    RuleRuntimeError,
    compile_condition,
)
from lanshou.rules.rulesets import (
    Decision,
    Failure,
    Match,
    Rule,
    RuleSet,
    evaluate,
    explain_rule,
    make_rule,
)

__all__ = [
    "FACTS",
    "MAX_SOURCE_CHARS",
    "ORDER_FACTS",
    "Accept",
    "Action",
    "ActionError",
    "Binder",
    "Carrier",
    "Condition",
    "Decision",
    "Fact",
    "FactSet",
    "FactsError",
    "Failure",
    "Hold",
    "Match",
    "Notify",
    "Position",
    "Priority",
    "Rule",
    "RuleBuyer",
    "RuleError",
    "RuleLine",
    "RuleOrder",
    "RuleRuntimeError",
    "RuleSet",
    "Tag",
    "activation",
    "compile_condition",
    "evaluate",
    "explain_rule",
    "facts",
    "make_rule",
    "parse_action",
    "summarise_lines",
]
