"""Actions, rules and the decision a rule set reaches, with its explanations and failure handling."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lanshou.rules import (
    Accept,
    ActionError,
    Carrier,
    Hold,
    Notify,
    Priority,
    Rule,
    RuleBuyer,
    RuleError,
    RuleOrder,
    RuleSet,
    Tag,
    activation,
    evaluate,
    explain_rule,
    make_rule,
    parse_action,
)
from lanshou.rules.language import ConditionBatch

NOW = datetime(2024, 11, 11, 12, 0)


def order(**overrides: object) -> RuleOrder:
    fields: dict[str, object] = {
        "platform": "tmall",
        "shop": "旗舰店",
        "order_id": "T1",
        "created_at": NOW - timedelta(hours=2),
        "paid_at": NOW - timedelta(hours=1),
    }
    fields.update(overrides)
    return RuleOrder(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("accept", Accept()),
        ("hold:大额订单", Hold("大额订单")),
        ("tag:vip", Tag("vip")),
        ("priority:2", Priority(2)),
        ("carrier:sf", Carrier("sf")),
        ("carrier:sf:次日达", Carrier("sf", "次日达")),
        ("notify:shipped_late", Notify("shipped_late")),
    ],
)
def test_action_text_round_trip(text: str, action: object) -> None:
    assert parse_action(text) == action
    assert str(action) == text


def test_action_text_is_forgiving_about_spacing_case_and_full_width_colon() -> None:
    assert parse_action("  HOLD：新客大额 ") == Hold("新客大额")
    assert parse_action("Carrier: SF ") == Carrier("sf")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "unknown action ''"),
        ("ship:sf", "unknown action 'ship'"),
        ("hold", "hold needs an argument, e.g. hold:大额订单"),
        ("hold:   ", "hold needs an argument"),
        ("accept:now", "accept takes no argument"),
        ("priority:high", "whole number from 0 to 9"),
        ("priority:10", "whole number from 0 to 9"),
        ("priority:２", "whole number from 0 to 9"),
        ("tag:a b", "no spaces or commas"),
        ("tag:" + "长" * 33, "at most 32 characters"),
        ("carrier:顺丰", "a carrier code is letters"),
        ("notify:a b", "a template name"),
        ("hold:" + "x" * 201, "longer than 200"),
    ],
)
def test_bad_action_texts(text: str, fragment: str) -> None:
    with pytest.raises(ActionError) as caught:
        parse_action(text)
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(f"动作无效 invalid action {text!r}")


def test_make_rule_refuses_bad_names_conditions_and_actions() -> None:
    with pytest.raises(RuleError, match="rule name is 1 to 64"):
        make_rule("  ", "true", "accept")
    with pytest.raises(RuleError, match="column 1: undeclared reference to 'amout'"):
        make_rule("big", "amout > 1.0", "accept")
    with pytest.raises(ActionError):
        make_rule("big", "amount > 1.0", "hold")
    rule = make_rule(" big ", "amount > 1.0", Hold("大额"), position=3, enabled=False)
    assert (rule.name, rule.action, rule.position, rule.enabled) == ("big", Hold("大额"), 3, False)


REVIEW = [
    make_rule("big orders", "amount > 2000.0", "hold:大额订单", 10),
    make_rule("new buyer", "buyer.orders == 0 && amount > 500.0", "hold:新客大额", 20),
    make_rule("remote", "province in ['新疆', '西藏']", "tag:偏远", 30),
    make_rule("vip", "buyer.tier == 'vip'", "tag:vip", 40),
    make_rule("vip first", "buyer.tier == 'vip'", "priority:5", 50),
    make_rule("remote first", "province == '西藏'", "priority:7", 60),
    make_rule("small", "amount < 100.0", "accept", 70),
    make_rule("again remote", "province == '西藏'", "tag:偏远", 80),
]


def test_review_decision_lists_every_match_in_order_and_explains_it() -> None:
    decision = evaluate(
        REVIEW, order(amount=Decimal("2500"), province="西藏", buyer=RuleBuyer(tier="vip")), NOW
    )
    assert [m.rule for m in decision.matches] == [
        "big orders",
        "new buyer",
        "remote",
        "vip",
        "vip first",
        "remote first",
        "again remote",
    ]
    assert decision.held and decision.review == "held"
    assert decision.hold_reasons == ("大额订单", "新客大额")
    assert decision.tags == ("偏远", "vip")
    assert decision.priority == 7
    assert decision.carrier is None and decision.notifications == ()
    assert decision.explain()[0] == "暂停审单 held (大额订单) by rule 'big orders': amount > 2000.0"
    assert decision.explain()[2] == "打标签 tagged 偏远 by rule 'remote': province in ['新疆', '西藏']"
    assert decision.explain()[5] == "优先级 priority 7 by rule 'remote first': province == '西藏'"


def test_accepted_and_undecided() -> None:
    assert evaluate(REVIEW, order(amount=Decimal("50"), buyer=RuleBuyer(orders=3)), NOW).review == "accepted"
    undecided = evaluate(REVIEW, order(amount=Decimal("300"), buyer=RuleBuyer(orders=3)), NOW)
    assert undecided.review == "undecided"
    assert undecided.matches == () and undecided.explain() == [] and undecided.priority is None


CARRIERS = [
    make_rule("cold chain", "'生鲜' in categories", "carrier:sf:冷链", 1),
    make_rule("heavy", "weight_g > 20000", "carrier:deppon", 2),
    make_rule("default", "true", "carrier:zto", 3),
    make_rule("late notice", "is_paid && hours_since_paid > 24.0", "notify:shipped_late", 4),
]


def test_first_matching_carrier_wins() -> None:
    both = evaluate(CARRIERS, order(categories=("生鲜",), weight_g=30000), NOW)
    assert both.carrier == Carrier("sf", "冷链")
    assert [m.rule for m in both.matches] == ["cold chain", "heavy", "default"]
    assert evaluate(CARRIERS, order(weight_g=30000), NOW).carrier == Carrier("deppon")
    assert evaluate(CARRIERS, order(), NOW).carrier == Carrier("zto")
    late = evaluate(CARRIERS, order(paid_at=NOW - timedelta(hours=30)), NOW)
    assert late.notifications == (Notify("shipped_late"),)


def test_a_failing_rule_is_reported_and_does_not_stop_the_others() -> None:
    rules = [
        make_rule("stale", "hours_since_paid > 48.0", "tag:stale", 1),
        make_rule("big", "amount > 100.0", "tag:big", 2),
    ]
    decision = evaluate(rules, order(paid_at=None, amount=Decimal("500")), NOW)
    assert [m.rule for m in decision.matches] == ["big"]
    assert [f.rule for f in decision.failures] == ["stale"]
    assert decision.failures[0].reason == "订单没有这项信息 the order has no value for 'hours_since_paid'"
    assert decision.explain() == [
        "规则出错 rule 'stale' could not decide (hours_since_paid > 48.0): "
        "订单没有这项信息 the order has no value for 'hours_since_paid'",
        "打标签 tagged big by rule 'big': amount > 100.0",
    ]
    assert decision.tags == ("big",) and not decision.held


def test_a_failing_hold_rule_holds_the_order() -> None:
    rules = [
        make_rule("stale", "hours_since_paid > 48.0", "hold:超时未发", 1),
        make_rule("ok", "true", "accept", 2),
    ]
    decision = evaluate(rules, order(paid_at=None), NOW)
    assert decision.review == "held"
    assert decision.hold_reasons == ("规则「stale」无法判断 rule 'stale' could not decide",)


def test_a_failing_earlier_carrier_rule_leaves_the_choice_to_a_person() -> None:
    rules = [
        make_rule("urgent", "hours_to_deadline < 6.0", "carrier:sf", 1),
        make_rule("default", "true", "carrier:zto", 2),
        make_rule("cheap", "amount < 10.0", "carrier:yto", 0),
    ]
    no_deadline = evaluate(rules, order(amount=Decimal("50")), NOW)
    assert no_deadline.carrier is None and [m.rule for m in no_deadline.matches] == ["default"]
    assert evaluate(rules, order(amount=Decimal("5")), NOW).carrier == Carrier("yto")  # matched before it
    urgent = order(amount=Decimal("50"), promised_ship_by=NOW + timedelta(hours=2))
    assert evaluate(rules, urgent, NOW).carrier == Carrier("sf")


def test_a_batch_with_broken_orders_still_decides_every_order() -> None:
    ruleset = RuleSet([*REVIEW, make_rule("stale", "hours_since_paid > 1.0", "tag:stale", 99)])
    orders = [
        order(order_id=f"O{k}", amount=Decimal(k * 300), paid_at=None if k % 3 else NOW) for k in range(9)
    ]
    decisions = [ruleset.evaluate(o, NOW) for o in orders]
    assert [bool(d.failures) for d in decisions] == [k % 3 != 0 for k in range(9)]
    assert [d.held for d in decisions] == [k * 300 > 500 for k in range(9)]


def test_rule_order_disabled_rules_and_duplicate_names() -> None:
    rules = [
        make_rule("b", "true", "tag:b", 1),
        make_rule("a", "true", "tag:a", 1),
        make_rule("first", "true", "tag:first", 0),
        make_rule("off", "true", "hold:off", -1, enabled=False),
    ]
    ruleset = RuleSet(rules)
    assert [r.name for r in ruleset.rules] == ["first", "a", "b"]
    assert ruleset.evaluate(order(), NOW).tags == ("first", "a", "b")
    with pytest.raises(RuleError, match="two rules are named 'a'"):
        RuleSet([*rules, make_rule("a", "false", "accept")])


def test_ruleset_binds_only_the_facts_its_rules_read() -> None:
    ruleset = RuleSet(REVIEW)
    assert ruleset.facts == {"amount", "buyer.orders", "province", "buyer.tier"}
    assert RuleSet([]).evaluate(order(), NOW).matches == ()


def test_explain_rule_for_one_order() -> None:
    rule = make_rule("big orders", "amount > 2000.0", "hold:大额订单")
    assert explain_rule(rule, order(amount=3000), NOW) == (
        "命中 matched: 暂停审单 held (大额订单) by rule 'big orders': amount > 2000.0"
    )
    assert (
        explain_rule(rule, order(amount=30), NOW) == "未命中 not matched: rule 'big orders': amount > 2000.0"
    )
    stale = make_rule("stale", "hours_since_paid > 1.0", "tag:stale", enabled=False)
    assert "rule 'stale' could not decide" in explain_rule(stale, order(paid_at=None), NOW)


MIXED = RuleSet(
    [
        *REVIEW,
        *CARRIERS,
        make_rule("stale", "hours_since_paid > 30.0", "tag:stale", 100),
        make_rule("msg", "message.matches('发票|急')", "tag:msg", 101),
    ]
)


@settings(max_examples=100, deadline=None)
@given(
    amount=st.decimals(min_value=0, max_value=5000, places=2),
    orders=st.integers(min_value=0, max_value=3),
    province=st.sampled_from(["新疆", "西藏", "浙江"]),
    paid_hours=st.none() | st.integers(min_value=0, max_value=60),
    message=st.sampled_from(["", "要发票", "急", "🙂"]),
)
def test_batch_decision_equals_rule_by_rule(
    amount: Decimal, orders: int, province: str, paid_hours: int | None, message: str
) -> None:
    paid = None if paid_hours is None else NOW - timedelta(hours=paid_hours)
    one = order(
        amount=amount, buyer=RuleBuyer(orders=orders), province=province, paid_at=paid, message=message
    )
    bound = activation(one, NOW)
    assert MIXED.decide(bound) == MIXED._decide_one_by_one(bound)
    expected = [r.name for r in MIXED.rules if _python_check(r, one)]
    assert [m.rule for m in MIXED.decide(bound).matches] == expected


def _python_check(rule: Rule, one: RuleOrder) -> bool:
    """A few of the conditions above, written in Python, as an independent oracle (None: not modelled)."""
    oracle = {
        "big orders": lambda: one.amount > 2000,
        "new buyer": lambda: one.buyer.orders == 0 and one.amount > 500,
        "remote": lambda: one.province in ("新疆", "西藏"),
        "remote first": lambda: one.province == "西藏",
        "again remote": lambda: one.province == "西藏",
        "small": lambda: one.amount < 100,
        "default": lambda: True,
        "late notice": lambda: one.paid_at is not None and (one.hours_since_paid(NOW) or 0) > 24,
        "stale": lambda: one.paid_at is not None and (one.hours_since_paid(NOW) or 0) > 30,
        "msg": lambda: "发票" in one.message or "急" in one.message,
    }
    return bool(oracle.get(rule.name, lambda: False)())


def test_rules_that_share_the_iteration_budget_are_checked_one_by_one() -> None:
    # 6,000 SKUs: each rule walks them once (within the 10,000-step budget); together they would not fit
    many = order(skus=tuple(f"SKU-{k}" for k in range(6000)))
    ruleset = RuleSet(
        [
            make_rule("all named", "skus.all(s, s.startsWith('SKU-'))", "tag:named", 1),
            make_rule("no gift", "!skus.exists(s, s.startsWith('GIFT-'))", "tag:no-gift", 2),
        ]
    )
    assert ConditionBatch([rule.condition for rule in ruleset.rules]).check_all(activation(many, NOW)) is None
    decision = ruleset.evaluate(many, NOW)
    assert decision.tags == ("named", "no-gift") and decision.failures == ()


def test_an_order_with_broken_facts_fails_every_rule_without_raising() -> None:
    ruleset = RuleSet(REVIEW)
    broken = order(amount="很多")
    decision = ruleset.evaluate(broken, NOW)
    assert decision.matches == ()
    assert [f.rule for f in decision.failures] == [r.name for r in ruleset.rules]
    assert "invalid order facts for 'T1'" in decision.failures[0].reason
    assert decision.review == "held"  # its Hold rules could not decide


def test_make_rule_refuses_an_object_that_is_not_an_action() -> None:
    with pytest.raises(ActionError, match="not an action"):
        make_rule("odd", "true", object())  # type: ignore[arg-type]
