"""`lanshou notify templates add|list|test` and `lanshou notify rules add|list|enable|disable`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from lanshou.cli.common import console, database
from lanshou.cli.notify_common import JsonOpt, LangOpt, ShopOpt, ShopReq, one_shop, refuse, shop_ids
from lanshou.cli.render import compact_table, print_json

templates_app = typer.Typer(help="Merchant templates. 通知模板: add, list, test", no_args_is_help=True)
rules_app = typer.Typer(help="Notification rules. 通知规则: add, list, enable, disable", no_args_is_help=True)


@templates_app.command("add")
def templates_add_cmd(
    name: Annotated[str, typer.Argument(help="template name, used by rules")],
    shop: ShopReq,
    fmt: Annotated[
        str, typer.Option("--format", help="email_subject, email_text, email_html, sms, platform")
    ],
    language: LangOpt = "zh-CN",
    text: Annotated[str | None, typer.Option("--text", help="the template text")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="read the template from a file")] = None,
) -> None:
    """Save a template part (refused unless it renders on the sample order). 保存模板."""
    from lanshou.notifications.store import NotifyInputError, save_template
    from lanshou.notifications.templates import TemplateRefused
    from lanshou.tracking.record import utc_now

    if (text is None) == (file is None):
        raise refuse(ValueError("给出 --text 或 --file 之一 give exactly one of --text or --file"))
    try:
        source = text if text is not None else file.read_text(encoding="utf-8")  # type: ignore[union-attr]
    except OSError as exc:
        raise refuse(ValueError(f"读取失败 cannot read {file}: {exc.strerror}")) from None
    shop_id = one_shop(shop)
    try:
        with database().begin() as conn:
            save_template(conn, shop_id, name, language, fmt, source, utc_now())
    except (NotifyInputError, TemplateRefused) as exc:
        raise refuse(exc) from None
    console.print(f"模板已保存 template saved: {escape(name)} {fmt} {language}")


@templates_app.command("list")
def templates_list_cmd(shop: ShopOpt = None, as_json: JsonOpt = False) -> None:
    """Merchant templates. 模板列表."""
    from lanshou.notifications.store import list_templates

    with database().connect() as conn:
        rows = list_templates(conn, shop_ids(shop))
    if as_json:
        print_json(rows)
        return
    table = compact_table(
        f"通知模板 templates ({len(rows)})", ["shop", "name", "language", "format", "source"]
    )
    for r in rows:
        table.add_row(
            str(r["shop_id"]), escape(r["name"]), r["language"], r["format"], escape(r["source"][:80])
        )
    console.print(table)


@templates_app.command("test")
def templates_test_cmd(
    name: Annotated[str, typer.Argument(help="template name, or default")],
    shop: ShopReq,
    stage: Annotated[str, typer.Option("--stage", help="order_shipped, delivered …")] = "order_shipped",
    language: LangOpt = "zh-CN",
    as_json: JsonOpt = False,
) -> None:
    """Render a template on the sample order, every channel. 模板预览."""
    from lanshou.notifications.compose import compose_message, template_set
    from lanshou.notifications.context import build_context, sample_facts
    from lanshou.notifications.model import ChannelKind
    from lanshou.notifications.store import NotifyInputError, parse_language, parse_stage, template_overrides
    from lanshou.notifications.templates import TemplateError

    shop_id = one_shop(shop)
    try:
        stage_value = parse_stage(stage)
        with database().connect() as conn:
            overrides = template_overrides(conn, shop_id, name, parse_language(language))
        if name != "default" and not overrides:
            raise NotifyInputError(f"没有这个模板 no template {name!r} in {language} for this shop")
        templates = template_set(stage_value, language, overrides)
        context = build_context(sample_facts(stage_value))
        out: dict[str, Any] = {}
        for kind in ChannelKind:
            m = compose_message(templates, kind, context, key="test", recipients=("sample",))
            out[kind.value] = {"subject": m.subject, "text": m.text, "params": dict(m.template_params)}
    except (NotifyInputError, TemplateError) as exc:
        raise refuse(exc) from None
    if as_json:
        print_json(out)
        return
    for label, parts in out.items():
        console.print(f"[bold]{label}[/] {escape(parts['subject'])}")
        console.print(escape(parts["text"]))


@rules_app.command("add")
def rules_add_cmd(
    name: Annotated[str, typer.Argument(help="rule name")],
    shop: ShopReq,
    stage: Annotated[
        str, typer.Option("--stage", help="order_accepted, order_shipped, picked_up, delivered …")
    ],
    channel: Annotated[str, typer.Option("--channel", help="email, sms, webhook, platform")],
    when: Annotated[
        str, typer.Option("--when", help="condition in the rule language (CEL); empty: always")
    ] = "",
    template: Annotated[
        str, typer.Option("--template", help="template name (default: built-in)")
    ] = "default",
    language: LangOpt = "zh-CN",
    position: Annotated[int, typer.Option("--position", help="lower is checked first")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Add a rule: stage + condition → template → channel. 添加通知规则."""
    from lanshou.notifications.store import NotifyInputError, add_rule
    from lanshou.tracking.record import utc_now

    shop_id = one_shop(shop)
    try:
        with database().begin() as conn:
            saved = add_rule(
                conn, shop_id, name, stage, when, template, channel, language, position, utc_now()
            )
    except NotifyInputError as exc:
        raise refuse(exc) from None
    if as_json:
        print_json({"id": saved.id, "name": saved.name})
    else:
        console.print(f"规则已添加 rule added: {escape(saved.name)} (id {saved.id})")


@rules_app.command("list")
def rules_list_cmd(shop: ShopOpt = None, as_json: JsonOpt = False) -> None:
    """Notification rules in the order they are checked. 规则列表."""
    from lanshou.notifications.store import list_rules

    with database().connect() as conn:
        rules = list_rules(conn, shop_ids(shop))
    rows = [
        {
            "id": r.id,
            "shop_id": r.shop_id,
            "name": r.name,
            "stage": r.stage.value,
            "when": r.condition,
            "template": r.template,
            "channel": r.channel.value,
            "language": r.language,
            "position": r.position,
            "enabled": r.enabled,
        }
        for r in rules
    ]
    if as_json:
        print_json(rows)
        return
    table = compact_table(
        f"通知规则 rules ({len(rows)})", ["id", "shop", "name", "stage", "channel", "template", "when"]
    )
    for rule in rules:
        table.add_row(
            str(rule.id),
            str(rule.shop_id),
            escape(rule.name),
            rule.stage.value,
            rule.channel.value,
            escape(rule.template),
            escape(rule.condition or "(always)"),
        )
    console.print(table)


def _set_enabled(name: str, shop: str, enabled: bool) -> None:
    from lanshou.notifications.store import NotifyInputError, set_rule_enabled

    shop_id = one_shop(shop)
    try:
        with database().begin() as conn:
            set_rule_enabled(conn, shop_id, name, enabled)
    except NotifyInputError as exc:
        raise refuse(exc) from None
    console.print(f"规则 rule {escape(name)}: {'已启用 enabled' if enabled else '已停用 disabled'}")


@rules_app.command("enable")
def rules_enable_cmd(name: Annotated[str, typer.Argument(help="rule name")], shop: ShopReq) -> None:
    """Enable a rule. 启用规则."""
    _set_enabled(name, shop, True)


@rules_app.command("disable")
def rules_disable_cmd(name: Annotated[str, typer.Argument(help="rule name")], shop: ShopReq) -> None:
    """Disable a rule (messages already queued still go). 停用规则."""
    _set_enabled(name, shop, False)
