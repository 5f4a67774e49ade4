"""Compiling conditions: positions and reasons of refusals, type checks, limits, runtime failures."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lanshou.rules import (
    MAX_SOURCE_CHARS,
    Position,
    RuleError,
    RuleOrder,
    RuleRuntimeError,
    activation,
    compile_condition,
)
from lanshou.rules.language import ConditionBatch

NOW = datetime(2024, 11, 11, 12, 0)


def order(**overrides: object) -> RuleOrder:
    fields: dict[str, object] = {
        "platform": "tmall",
        "shop": "旗舰店",
        "order_id": "T1",
        "created_at": datetime(2024, 11, 11, 1, 0),
    }
    fields.update(overrides)
    return RuleOrder(**fields)  # type: ignore[arg-type]


def refusal(source: str) -> RuleError:
    with pytest.raises(RuleError) as caught:
        compile_condition(source)
    assert not isinstance(caught.value, RuleRuntimeError)
    return caught.value


def test_undeclared_name_is_refused_with_position_reason_and_suggestion() -> None:
    error = refusal("amount > 10.0 && amout > 10.0")
    assert error.position == Position(1, 18)
    assert error.reason.startswith("undeclared reference to 'amout'")
    assert "did you mean 'amount'" in error.hint
    assert str(error).startswith(
        "规则无效 invalid rule at line 1, column 18: undeclared reference to 'amout'"
    )
    assert isinstance(error, ValueError)


def test_undeclared_buyer_field_and_line_field() -> None:
    buyer = refusal("buyer.ordrs > 3")
    assert buyer.position == Position(1, 6)
    assert "buyer.ordrs" in buyer.reason
    assert "buyer.orders" in buyer.hint
    line = refusal("lines.exists(l, l.weight > 5)")
    assert line.position == Position(1, 18)
    assert "undefined field 'weight'" in line.reason


def test_syntax_error_positions_on_later_lines() -> None:
    error = refusal("amount > 10.0 &&\n  (country == 'CN'")
    assert error.position == Position(2, 19)
    assert "Syntax error" in error.reason
    assert refusal("amount >").position == Position(1, 9)


def test_columns_count_characters_not_bytes() -> None:
    error = refusal("province == '新疆维吾尔' && amout > 1.0")
    assert error.position == Position(1, 24)


def test_type_errors_are_refused_at_compile_time() -> None:
    error = refusal("platform > 3")
    assert error.position == Position(1, 10)
    assert "no matching overload" in error.reason
    assert "'(string, int)'" in error.reason
    assert refusal("skus.exists(s, s.startsWith(1))").position == Position(1, 28)


def test_mixing_a_decimal_with_a_whole_number_explains_the_fix() -> None:
    error = refusal("amount > 2000")
    assert error.position == Position(1, 8)
    assert "2000.0" in error.hint
    compile_condition("amount > 2000.0")
    compile_condition("weight_g > 2000")


@pytest.mark.parametrize(
    ("source", "kind"), [("amount", "double"), ("  skus", "list"), ("'x' + city", "string")]
)
def test_condition_must_be_boolean(source: str, kind: str) -> None:
    error = refusal(source)
    assert "must be true or false" in error.reason
    assert kind in error.reason
    assert error.position == Position(1, len(source) - len(source.lstrip()) + 1)


def test_a_dynamic_condition_is_checked_for_a_boolean_when_it_runs() -> None:
    bound = activation(order(amount=Decimal("2")), NOW)
    with pytest.raises(RuleRuntimeError, match="condition gave double, not bool"):
        compile_condition("dyn(amount)").check(bound)
    assert ConditionBatch([compile_condition("dyn(amount)")]).check_all(bound) is None
    assert compile_condition("dyn(amount) > 1").check(bound) is True  # dyn compares across number types


@pytest.mark.parametrize("source", ["", "   ", "\n\t"])
def test_empty_condition(source: str) -> None:
    assert "empty condition" in refusal(source).reason


def test_non_text_condition() -> None:
    assert "must be text" in refusal(42).reason  # type: ignore[arg-type]


def test_source_length_cap_is_checked_before_parsing() -> None:
    long = "amount > 1.0 || " * (MAX_SOURCE_CHARS // 16) + "true"
    error = refusal(long)
    assert "too long" in error.reason
    assert error.position is None
    compile_condition("'" + "中" * (MAX_SOURCE_CHARS - 10) + "' == city")


def test_deep_nesting_is_refused_not_crashing() -> None:
    error = refusal("(" * 200 + "amount > 1.0" + ")" * 200)
    assert "recursion limit" in error.reason
    assert "recursion" in refusal("city == 'a'" + " + 'a'" * 100).reason
    # a long run of negations is folded by the parser, not nested: harmless, and it decides
    assert compile_condition("!" * 1501 + "true").check(activation(order(), NOW)) is False


def test_unicode_and_comments_in_source() -> None:
    condition = compile_condition("// 大额订单 big orders\nmessage.contains('发票') // 要发票\n")
    assert condition.check(activation(order(message="请开发票"), NOW)) is True
    assert condition.check(activation(order(message="🙂"), NOW)) is False


def test_runtime_failures_are_rule_errors_naming_the_cause() -> None:
    unpaid = activation(order(), NOW)
    with pytest.raises(RuleRuntimeError) as caught:
        compile_condition("hours_since_paid > 1.0").check(unpaid)
    assert caught.value.reason == "订单没有这项信息 the order has no value for 'hours_since_paid'"
    assert str(caught.value).startswith("规则运行出错 rule failed on this order")
    with pytest.raises(RuleRuntimeError, match="invalid regular expression"):
        compile_condition("message.matches('(')").check(unpaid)
    with pytest.raises(RuleRuntimeError, match="divide by zero"):
        compile_condition("weight_g / weight_g == 1").check(unpaid)
    with pytest.raises(RuleRuntimeError, match="too much work"):
        compile_condition(
            "[" + ",".join(["1"] * 120) + "].all(a, [" + ",".join(["1"] * 120) + "].all(b, a == b))"
        ).check(unpaid)
    # guarded, the same rule decides
    assert compile_condition("is_paid && hours_since_paid > 1.0").check(unpaid) is False


def test_condition_equality_and_facts_read() -> None:
    first = compile_condition("amount > 1.0 && buyer.orders == 0 && lines.exists(l, l.quantity > 2)")
    again = compile_condition("amount > 1.0 && buyer.orders == 0 && lines.exists(l, l.quantity > 2)")
    assert first == again and hash(first) == hash(again)
    assert first.facts == {"amount", "buyer.orders", "lines"}
    assert compile_condition("true").facts == frozenset()
    assert str(first) == first.source


def test_activation_with_only_the_facts_read_decides_the_same() -> None:
    condition = compile_condition("province == '新疆' && now - created_at > duration('1h')")
    facts_order = order(province="新疆")
    assert condition.check(activation(facts_order, NOW, condition.facts)) is True
    assert condition.check(activation(facts_order, NOW)) is True


def test_batch_gives_each_conditions_answer_or_none_when_one_fails() -> None:
    conditions = [
        compile_condition(s) for s in ("amount > 5.0", "city == '杭州'", "is_paid // trailing comment")
    ]
    batch = ConditionBatch(conditions)
    bound = activation(order(amount=Decimal("9.5"), city="杭州"), NOW)
    assert batch.check_all(bound) == [True, True, False]
    failing = ConditionBatch([*conditions, compile_condition("hours_since_paid > 1.0")])
    assert failing.check_all(bound) is None
    assert ConditionBatch([]).check_all(bound) is None


def test_batch_that_does_not_compile_falls_back() -> None:
    # 32 parentheses compile alone; inside the batch's list they pass the library's nesting limit
    deep = compile_condition("(" * 32 + "amount > 1.0" + ")" * 32)
    bound = activation(order(amount=2), NOW)
    assert ConditionBatch([deep]).check_all(bound) is None
    assert deep.check(bound) is True


@settings(max_examples=200, deadline=None)
@given(
    amount=st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    limit=st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
)
def test_amount_comparison_agrees_with_python(amount: Decimal, limit: Decimal) -> None:
    bound = activation(order(amount=amount), NOW)
    assert compile_condition(f"amount > {limit:.2f}").check(bound) is (amount > limit)
    assert compile_condition(f"amount <= {limit:.2f}").check(bound) is (amount <= limit)
