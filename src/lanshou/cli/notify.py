"""`lanshou notify log|send-due|optout|settings|templates|rules`: buyer notifications (买家通知).
With --json only JSON goes to stdout; recipients are masked unless --unmask."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from lanshou.cli.common import console, database, err_console
from lanshou.cli.render import compact_table, print_json, unknown_shop

app = typer.Typer(help="Buyer notifications. 买家通知: log, rules, templates, opt-outs", no_args_is_help=True)
templates_app = typer.Typer(help="Merchant templates. 通知模板: add, list, test", no_args_is_help=True)
rules_app = typer.Typer(help="Notification rules. 通知规则: add, list", no_args_is_help=True)
app.add_typer(templates_app, name="templates")
app.add_typer(rules_app, name="rules")

JsonOpt = Annotated[bool, typer.Option("--json", help="print only JSON")]
ShopOpt = Annotated[str | None, typer.Option("--shop", help="shop name (or platform:name)")]
ShopReq = Annotated[str, typer.Option("--shop", help="shop name (or platform:name)")]
LangOpt = Annotated[str, typer.Option("--language", help="zh-CN or en")]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="notify")


def _refuse(exc: Exception) -> typer.Exit:
    err_console.print(f"[red]{escape(str(exc))}[/]")
    return typer.Exit(2)


def _shop_ids(wanted: str | None) -> list[int] | None:
    from lanshou.shops.model import select_shops
    from lanshou.shops.store import load_shops

    if wanted is None:
        return None
    with database().connect() as conn:
        known = load_shops(conn)
    try:
        return sorted(select_shops(known, wanted))
    except LookupError as exc:
        raise unknown_shop(exc) from None


def _one_shop(wanted: str) -> int:
    ids = _shop_ids(wanted) or []
    if len(ids) != 1:
        raise _refuse(ValueError(f"店铺不唯一 {wanted!r} names {len(ids)} shops: use platform:name"))
    return ids[0]


@app.command("log")
def log_cmd(
    shop: ShopOpt = None,
    state: Annotated[str | None, typer.Option("--state", help="pending, held_quiet, sent, failed …")] = None,
    order: Annotated[str | None, typer.Option("--order", help="one order number")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 200,
    unmask: Annotated[bool, typer.Option("--unmask", help="show phone numbers and e-mail whole")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The delivery log, newest first. 发送记录."""
    from lanshou.notifications.log import STATES, delivery_log

    if state is not None and state not in STATES:
        raise _refuse(ValueError(f"未知状态 unknown state {state!r} (one of: {', '.join(STATES)})"))
    ids = _shop_ids(shop)
    with database().connect() as conn:
        rows = delivery_log(conn, ids, state=state, order_no=order, limit=limit, unmask=unmask)
    if as_json:
        print_json(rows)
        return
    headers = [
        "id",
        "order 订单",
        "parcel 运单",
        "stage 阶段",
        "channel 渠道",
        "to 收件人",
        "state 状态",
        "note",
    ]
    table = compact_table(f"通知记录 notifications ({len(rows)})", headers)
    for r in rows:
        note = r["last_error"] or (f"sent {r['sent_at']}" if r["sent_at"] else f"due {r['next_attempt_at']}")
        table.add_row(
            str(r["id"]),
            escape(r["order_no"]),
            escape(r["tracking_no"] or "-"),
            r["stage"],
            r["channel"],
            escape(r["recipient"] or "-"),
            f"{r['state']} ×{r['attempts']}",
            escape(note),
        )
    console.print(table)


@app.command("send-due")
def send_due_cmd(as_json: JsonOpt = False) -> None:
    """Send every notification due now (for cron; the worker does it every minute). 立即发送到期通知."""
    from lanshou.notifications.sending import send_due
    from lanshou.tracking.record import utc_now

    report = send_due(database(), utc_now())
    if as_json:
        print_json(report.as_dict())
    else:
        console.print(" ".join(f"{k} {v}" for k, v in report.as_dict().items()))


@app.command("optout")
def optout_cmd(
    buyer: Annotated[str, typer.Argument(help="the buyer key (buyer_id of the orders)")],
    channel: Annotated[
        str | None, typer.Option("--channel", help="email, sms, webhook, platform (default all)")
    ] = None,
    remove: Annotated[bool, typer.Option("--remove", help="the buyer opts in again")] = False,
    note: Annotated[str, typer.Option("--note")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Record (or remove) a buyer's opt-out. 退订."""
    from lanshou.notifications.store import NotifyInputError, add_optout, remove_optout
    from lanshou.tracking.record import utc_now

    try:
        with database().begin() as conn:
            changed = (
                remove_optout(conn, buyer, channel)
                if remove
                else add_optout(conn, buyer, channel, utc_now(), note)
            )
    except NotifyInputError as exc:
        raise _refuse(exc) from None
    data = {"buyer": buyer, "channel": channel or "*", "opted_out": not remove, "changed": changed}
    if as_json:
        print_json(data)
    else:
        console.print(
            f"{'已退订 opted out' if not remove else '已恢复 opted in'}: {escape(buyer)} ({data['channel']})"
        )


@app.command("settings")
def settings_cmd(
    shop: ShopReq,
    quiet: Annotated[str | None, typer.Option("--quiet", help="quiet hours, shop time: 22:00-08:00")] = None,
    no_quiet: Annotated[bool, typer.Option("--no-quiet", help="remove the quiet hours")] = False,
    rate: Annotated[str | None, typer.Option("--rate", help="per-buyer limit: 3/24h")] = None,
    no_rate: Annotated[bool, typer.Option("--no-rate", help="remove the rate limit")] = False,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="channel setting: email.host=smtp.x.com")
    ] = None,
    high_value: Annotated[
        float | None, typer.Option("--high-value", min=0, help="orders from this amount are high-value")
    ] = None,
    repeat_after: Annotated[
        int | None, typer.Option("--repeat-after", min=0, help="previous orders that make a repeat buyer")
    ] = None,
    long_transit: Annotated[
        int | None, typer.Option("--long-transit-hours", min=1, help="in transit this long: in_transit_long")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Quiet hours, rate limit and channel settings of a shop. 通知设置."""
    from lanshou.notifications.channel_setup import redacted
    from lanshou.notifications.store import (
        NotifyInputError,
        load_settings,
        parse_quiet,
        parse_rate,
        save_settings,
    )
    from lanshou.tracking.record import utc_now

    shop_id = _one_shop(shop)
    try:
        channels: dict[str, dict[str, Any]] = {}
        for item in set_ or []:
            path, sep, value = item.partition("=")
            kind, dot, key = path.partition(".")
            if not sep or not dot or not key:
                raise NotifyInputError(
                    f"设置格式 a setting looks like email.host=smtp.example.com, not {item!r}"
                )
            channels.setdefault(kind, {})[key] = int(value) if key == "port" and value.isdigit() else value
        quiet_value = None if no_quiet else parse_quiet(quiet) if quiet else False
        rate_value = None if no_rate else parse_rate(rate) if rate else False
        with database().begin() as conn:
            save_settings(
                conn,
                shop_id,
                utc_now(),
                quiet=quiet_value,
                rate=rate_value,
                channels=channels,
                high_value=Decimal(str(high_value)) if high_value is not None else None,
                repeat_after=repeat_after,
                long_transit_hours=long_transit,
            )
            current = load_settings(conn, shop_id, "UTC")
    except NotifyInputError as exc:
        raise _refuse(exc) from None
    data = {
        "shop_id": shop_id,
        "quiet_hours": f"{current.quiet.start:%H:%M}-{current.quiet.end:%H:%M}" if current.quiet else None,
        "rate_limit": {"max": current.rate.max_messages, "seconds": int(current.rate.per.total_seconds())}
        if current.rate
        else None,
        "channels": redacted(current.channels),
        "high_value": str(current.personal.high_value_threshold),
        "repeat_after": current.personal.repeat_buyer_min_previous_orders,
        "long_transit_hours": int(current.long_transit.total_seconds() // 3600),
    }
    if as_json:
        print_json(data)
    else:
        console.print_json(data=data)


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
        raise _refuse(ValueError("给出 --text 或 --file 之一 give exactly one of --text or --file"))
    try:
        source = text if text is not None else file.read_text(encoding="utf-8")  # type: ignore[union-attr]
    except OSError as exc:
        raise _refuse(ValueError(f"读取失败 cannot read {file}: {exc.strerror}")) from None
    shop_id = _one_shop(shop)
    try:
        with database().begin() as conn:
            save_template(conn, shop_id, name, language, fmt, source, utc_now())
    except (NotifyInputError, TemplateRefused) as exc:
        raise _refuse(exc) from None
    console.print(f"模板已保存 template saved: {escape(name)} {fmt} {language}")


@templates_app.command("list")
def templates_list_cmd(shop: ShopOpt = None, as_json: JsonOpt = False) -> None:
    """Merchant templates. 模板列表."""
    from lanshou.notifications.store import list_templates

    with database().connect() as conn:
        rows = list_templates(conn, _shop_ids(shop))
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

    shop_id = _one_shop(shop)
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
        raise _refuse(exc) from None
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

    shop_id = _one_shop(shop)
    try:
        with database().begin() as conn:
            saved = add_rule(
                conn, shop_id, name, stage, when, template, channel, language, position, utc_now()
            )
    except NotifyInputError as exc:
        raise _refuse(exc) from None
    if as_json:
        print_json({"id": saved.id, "name": saved.name})
    else:
        console.print(f"规则已添加 rule added: {escape(saved.name)} (id {saved.id})")


@rules_app.command("list")
def rules_list_cmd(shop: ShopOpt = None, as_json: JsonOpt = False) -> None:
    """Notification rules in the order they are checked. 规则列表."""
    from lanshou.notifications.store import list_rules

    with database().connect() as conn:
        rules = list_rules(conn, _shop_ids(shop))
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
