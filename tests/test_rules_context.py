"""The facts a rule sees: every family used in a real rule, times and hours, unknown facts, bad facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from lanshou.rules import (
    FACTS,
    FactsError,
    RuleBuyer,
    RuleLine,
    RuleOrder,
    RuleRuntimeError,
    activation,
    compile_condition,
    facts,
    summarise_lines,
)
from lanshou.rules.context import Binder

NOW = datetime(2024, 11, 11, 12, 0)  # naive = UTC; 20:00 in Shanghai
LINES = (
    RuleLine("GIFT-杯子", "赠品", 1, Decimal("0"), 300),
    RuleLine("FZ-001", "生鲜", 3, Decimal("59.90"), 1500),
    RuleLine("SJ-9", "数码", 1, Decimal("2999.00"), 400),
)
SUMMARY = summarise_lines(LINES)
RICH = RuleOrder(
    platform="douyin",
    shop="抖店旗舰店",
    order_id="D20241111001",
    created_at=NOW - timedelta(hours=30),
    status="paid",
    amount=Decimal("3178.70"),
    currency="CNY",
    country="CN",
    province="新疆",
    city="乌鲁木齐",
    district="天山区",
    address="人民路1号 某某大学 北门",
    shipping_method="express",
    categories=SUMMARY.categories,
    skus=SUMMARY.skus,
    lines=LINES,
    total_quantity=SUMMARY.total_quantity,
    weight_g=SUMMARY.weight_g,
    buyer=RuleBuyer(orders=7, spend=Decimal("1234.5"), is_repeat=True, tier="vip", segments=("高退货",)),
    message="请开发票，抬头：某某公司",
    remark="加急 顺丰",
    is_presale=True,
    paid_at=datetime(2024, 11, 10, 1, 30, tzinfo=UTC),
    promised_ship_by=datetime(2024, 11, 11, 18, 0, tzinfo=timezone(timedelta(hours=8))),  # 10:00 UTC
    tags=("老客",),
)
PLAIN = RuleOrder(platform="pdd", shop="拼多多店", order_id="P1", created_at=NOW - timedelta(minutes=5))

# (condition, what it decides for RICH, for PLAIN); every fact family appears in a real rule
CASES = [
    ("platform == 'douyin' && shop.startsWith('抖店')", True, False),
    ("order_id.startsWith('D2024') && status == 'paid'", True, False),
    ("amount > 3000.0 && amount < 3178.71 && currency == 'CNY'", True, False),
    (
        "country == 'CN' && province in ['新疆', '西藏'] && city == '乌鲁木齐' && district == '天山区'",
        True,
        False,
    ),
    ("address.contains('大学') || address.matches('学校|学院')", True, False),
    ("shipping_method == 'express'", True, False),
    ("'生鲜' in categories && size(categories) == 3", True, False),
    ("skus.exists(s, s.startsWith('GIFT-')) && !('X' in skus)", True, False),
    ("lines.exists(l, l.category == '生鲜' && l.quantity >= 3 && l.unit_price < 60.0)", True, False),
    ("lines.all(l, l.weight_g > 0) && lines.map(l, l.quantity).exists(q, q > 2)", True, False),
    ("lines.filter(l, l.unit_price > 1000.0).size() == 1", True, False),
    ("total_quantity == 5 && weight_g == 5200", True, False),
    ("buyer.orders >= 5 && buyer.spend > 1000.0 && buyer.is_repeat", True, False),
    ("buyer.tier == 'vip' && '高退货' in buyer.segments && !buyer.blacklisted", True, False),
    ("message.contains('发票') && remark.matches('加急|急发')", True, False),
    ("message.lowerAscii() == message && size(remark) == 5", True, False),
    ("lines.all(l, l.weight_g > 0) && size(message) == 0", False, True),
    ("is_presale && 'vip' in buyer.tier.split(',')", True, False),
    ("'老客' in tags", True, False),
    ("now - created_at > duration('24h')", True, False),
    ("created_at.getHours('Asia/Shanghai') == 14", True, False),
    ("is_paid && hours_since_paid > 34.0 && hours_since_paid < 34.6", True, False),
    ("is_paid && now - paid_at > duration('34h')", True, False),
    ("has_deadline && hours_to_deadline < 0.0", True, False),
    (
        "has_deadline && promised_ship_by < now && promised_ship_by.getHours('Asia/Shanghai') == 18",
        True,
        False,
    ),
]


@pytest.mark.parametrize(("source", "rich", "plain"), CASES)
def test_every_fact_family_in_a_real_rule(source: str, rich: bool, plain: bool) -> None:
    condition = compile_condition(source)
    assert condition.check(activation(RICH, NOW)) is rich
    assert condition.check(activation(PLAIN, NOW, condition.facts)) is plain


def test_every_declared_fact_is_used_by_some_case() -> None:
    used = frozenset().union(*(compile_condition(source).facts for source, _, _ in CASES))
    assert used == {fact.name for fact in FACTS}


def test_hours_helpers_for_aware_and_naive_times() -> None:
    assert RICH.hours_since_paid(NOW) == pytest.approx(34.5)
    assert RICH.hours_to_deadline(NOW) == pytest.approx(-2.0)
    shanghai_now = datetime(2024, 11, 11, 20, 0, tzinfo=timezone(timedelta(hours=8)))
    assert RICH.hours_since_paid(shanghai_now) == pytest.approx(34.5)
    assert PLAIN.hours_since_paid(NOW) is None and PLAIN.hours_to_deadline(NOW) is None
    values = facts(RICH, NOW)
    assert values["hours_since_paid"] == pytest.approx(34.5)
    assert values["now"] == datetime(2024, 11, 11, 12, 0, tzinfo=UTC)
    assert values["created_at"].tzinfo is UTC


def test_unknown_facts_are_unbound_and_named_when_read() -> None:
    values = facts(PLAIN, NOW)
    assert {"paid_at", "promised_ship_by", "hours_since_paid", "hours_to_deadline"}.isdisjoint(values)
    assert values["is_paid"] is False and values["has_deadline"] is False
    with pytest.raises(RuleRuntimeError, match="no value for 'promised_ship_by'"):
        compile_condition("promised_ship_by < now").check(activation(PLAIN, NOW))


def test_only_the_named_facts_are_computed() -> None:
    assert facts(RICH, NOW, ["amount", "buyer.tier"]) == {"amount": 3178.7, "buyer.tier": "vip"}
    binder = Binder({"paid_at", "hours_since_paid", "skus"})
    assert binder.values(PLAIN, NOW) == {"skus": []}
    with pytest.raises(ValueError, match="unknown facts: amout"):
        Binder({"amout"})


def test_summarise_lines() -> None:
    assert SUMMARY.categories == ("赠品", "生鲜", "数码")
    assert SUMMARY.skus == ("GIFT-杯子", "FZ-001", "SJ-9")
    assert (SUMMARY.total_quantity, SUMMARY.weight_g) == (5, 300 + 4500 + 400)
    assert summarise_lines([]) == ((), (), 0, 0)


def test_bad_facts_give_one_clear_error() -> None:
    broken = RuleOrder(platform="tmall", shop="s", order_id="B1", created_at=NOW, amount="很多")  # type: ignore[arg-type]
    with pytest.raises(FactsError, match="invalid order facts for 'B1'"):
        activation(broken, NOW)
    wrong_type = RuleOrder(platform=None, shop="s", order_id="B2", created_at=NOW)  # type: ignore[arg-type]
    with pytest.raises(RuleRuntimeError, match="platform"):
        compile_condition("platform == 'tmall'").check(activation(wrong_type, NOW))
