"""Notification templates: refused at save time when they cannot render, sandboxed against hostile input,
built-in defaults for every stage in zh-CN and en, personalisation flags."""

from __future__ import annotations

import time
from dataclasses import replace
from decimal import Decimal

import pytest

from lanshou.notifications import (
    BuyerFacts,
    ChannelKind,
    Personalisation,
    Stage,
    TemplateFormat,
    TemplateRefused,
    TemplateRenderError,
    build_context,
    compile_template,
    compose_message,
    default_template_set,
    sample_facts,
    template_set,
)
from lanshou.notifications.templates import sample_contexts

RICH = sample_contexts()[0][1]


def render(text: str, fmt: str = "sms", language: str = "en", context: dict | None = None) -> str:
    return compile_template(text, fmt, language).render(context or RICH)


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_every_stage_has_default_templates_that_render(stage: Stage, language: str) -> None:
    templates = default_template_set(stage, language)
    context = build_context(sample_facts(stage))
    email = compose_message(templates, ChannelKind.EMAIL, context, key="k", recipients=("a@example.com",))
    sms = compose_message(templates, ChannelKind.SMS, context, key="k", recipients=("13800000000",))
    assert "小明" in email.text and "小明" in sms.text  # greets the buyer by first name
    assert email.subject and "\n" not in email.subject and "揽收旗舰店" in email.subject + email.text
    assert email.html is not None and email.html.startswith("<!doctype html>")
    assert sms.template_params[0] == ("name", "小明")


def test_shipped_defaults_carry_order_items_carrier_tracking_and_eta() -> None:
    zh = compose_message(
        default_template_set(Stage.ORDER_SHIPPED, "zh-CN"),
        ChannelKind.EMAIL,
        RICH,
        key="k",
        recipients=("x",),
    )
    for fact in ("4012345678901234567", "保温杯 500ml 米白 ×2", "顺丰速运", "SF1234567890123", "6月20日"):
        assert fact in zh.text
    en = compose_message(
        default_template_set(Stage.ORDER_SHIPPED, "en"), ChannelKind.EMAIL, RICH, key="k", recipients=("x",)
    )
    assert "Expected by 20 Jun." in en.text and "tracking number SF1234567890123" in en.text


def test_personalisation_flags_follow_the_merchants_thresholds() -> None:
    facts = sample_facts()
    assert build_context(facts)["is_high_value"] is True  # 688 ≥ 500 default
    strict = Personalisation(high_value_threshold=Decimal("1000"), repeat_buyer_min_previous_orders=5)
    context = build_context(facts, strict)
    assert context["is_high_value"] is False and context["is_repeat_buyer"] is False
    text = "{% if is_high_value %}VIP{% elif 'vip' in segments %}segment{% else %}plain{% endif %}"
    assert render(text, context=context) == "segment"
    newcomer = build_context(replace(facts, buyer=BuyerFacts(first_name="Lee")), strict)
    assert render(text, context=newcomer) == "plain"
    assert render(text) == "VIP"


def test_html_is_autoescaped_and_sms_text_is_not() -> None:
    context = dict(RICH, buyer={"first_name": "<b>Bo</b> & co", "previous_orders": 0})
    assert render("{{ buyer.first_name }}", "email_html", context=context) == "&lt;b&gt;Bo&lt;/b&gt; &amp; co"
    assert render("{{ buyer.first_name }}", "sms", context=context) == "<b>Bo</b> & co"
    with pytest.raises(TemplateRefused, match="safe"):
        compile_template("{{ buyer.first_name|safe }}", "email_html", "en")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("Hello\n{{ buyer.phone }}", 2, "has no attribute 'phone'"),
        ("a\nb\n{% if is_high_value %}x", 3, "syntax error"),
        ("one\n{{ eta.month }}", 2, "plain sample"),  # no ETA in the plain sample
        ("{{ unknown_name }}", 1, "'unknown_name' is undefined"),
        ("{{ order.total|nosuchfilter }}", 1, "No filter named 'nosuchfilter'"),
    ],
)
def test_a_template_that_cannot_render_is_refused_naming_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(TemplateRefused) as caught:
        compile_template(text, TemplateFormat.EMAIL_TEXT, "zh-CN")
    assert caught.value.line == line
    assert f"line {line}" in str(caught.value) and words in str(caught.value)
    assert str(caught.value).startswith("拒绝 refused")


def test_bad_format_language_size_and_empty_output_are_refused() -> None:
    with pytest.raises(TemplateRefused, match="unknown template format 'fax'"):
        compile_template("x", "fax", "en")
    with pytest.raises(TemplateRefused, match="unsupported language 'fr'"):
        compile_template("x", "sms", "fr")
    with pytest.raises(TemplateRefused, match="longer than 10000"):
        compile_template("x" * 10_001, "sms", "en")
    with pytest.raises(TemplateRefused, match="renders nothing"):
        compile_template("{% if false %}x{% endif %}", "sms", "en")


HOSTILE = [
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "unsafe"),
    ("{{ buyer.__class__ }}", "unsafe"),
    ("{{ items.append(1) }}", "unsafe"),
    ("{{ self._TemplateReference__context }}", "unsafe"),
    ("{{ cycler.__init__.__globals__ }}", "unsafe"),  # cycler is not a global: an undefined
    ("{{ lipsum(100000) }}", "undefined"),
    ("{% include 'secret.txt' %}", "loader"),
    (
        "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}"
        "{% endfor %}{% endfor %}{% endfor %}",
        "steps",
    ),
    ("{{ range(100000)|list|length }}", "range() longer than 1000"),
    ("{{ 'a' * 1000000 }}", "longer than 100000"),
    (
        "{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
        "{{ ns.s|length }}",
        "longer than 100000",
    ),
    (
        "{% set ns = namespace(s=['ab']) %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}"
        "{{ ns.s|length }}",
        "longer than 100000",
    ),
    (
        "{% set ns = namespace(n=3) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}{% endfor %}"
        "{{ ns.n }}",
        "number too large",
    ),
    ("{{ 10 ** 10 ** 10 }}", "exponent too large"),
    ("{{ '%999999999d' % 1 }}", "% formatting"),
    ("{{ '{:>999999999}'.format(1) }}", "attribute 'format' of 'str' object is unsafe"),
    ("{{ 'x'.center(999999999) }}", "attribute 'center' of 'str' object is unsafe"),
    ("{{ 'x'|center(999999999) }}", "No filter named 'center'"),
    ("{{ items|batch(999999999, 'x')|list }}", "No filter named 'batch'"),
    ("{{ range(1000)|join('x' * 9000) }}", "longer than 100000"),
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "recursion"),
    ("{% for i in range(1000) %}{{ 'x' * 999 }}{% endfor %}", "output longer than 1000"),
]


@pytest.mark.parametrize(("text", "words"), HOSTILE)
def test_hostile_templates_cannot_escape_or_hang(text: str, words: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateRefused) as caught:
        compile_template(text, "sms", "en")
    assert words in str(caught.value)
    assert time.monotonic() - started < 3.0


def test_the_step_budget_restores_the_previous_trace_function() -> None:
    import sys

    seen: list[str] = []

    def tracer(frame: object, event: str, arg: object) -> None:
        seen.append(event)

    sys.settrace(tracer)  # type: ignore[arg-type]
    try:
        render("{{ buyer.first_name }}")
        restored = sys.gettrace()
    finally:
        sys.settrace(None)
    assert restored is tracer


def test_a_saved_template_failing_on_real_facts_raises_a_render_error_with_the_line() -> None:
    compiled = compile_template("Each:\n{{ order.total / order.item_count }}", "email_text", "en")
    no_items = build_context(replace(sample_facts(), items=()))  # passes both samples, not this one
    with pytest.raises(TemplateRenderError) as caught:
        compiled.render(no_items)
    assert caught.value.line == 2
    assert "line 2" in str(caught.value) and "DivisionByZero" in str(caught.value)


def test_render_error_names_the_line_at_send_time() -> None:
    compiled = compile_template("Hi\n{{ buyer.first_name|upper }}", "email_text", "en")
    with pytest.raises(TemplateRenderError) as caught:
        compiled.render({"buyer": {}})
    assert caught.value.line == 2 and "line 2" in str(caught.value)


def test_merchant_overrides_replace_defaults_and_bad_overrides_are_refused() -> None:
    custom = template_set(Stage.DELIVERED, "en", {TemplateFormat.SMS: "{{ shop.name }}: delivered!"})
    message = compose_message(custom, ChannelKind.SMS, RICH, key="k", recipients=("1",))
    assert message.text == "揽收旗舰店: delivered!"
    with pytest.raises(TemplateRefused, match="line 1"):
        template_set(Stage.DELIVERED, "en", {TemplateFormat.SMS: "{{ shop.owner }}"})


def test_webhook_message_carries_json_safe_facts() -> None:
    message = compose_message(
        default_template_set(Stage.ORDER_SHIPPED, "en"), ChannelKind.WEBHOOK, RICH, key="k", recipients=("u",)
    )
    facts = message.data["facts"]
    assert isinstance(facts, dict)
    assert facts["eta"] == "2025-06-20" and facts["order"]["total"] == "688.00"
    assert message.data["stage"] == "order_shipped"
