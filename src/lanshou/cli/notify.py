"""`lanshou notify log|send-due|optout|settings` (and templates, rules: cli/notify_rules.py): buyer
notifications (买家通知). With --json only JSON goes to stdout; recipients are masked unless --unmask."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.markup import escape

from lanshou.cli.common import console, database
from lanshou.cli.notify_common import JsonOpt, ShopOpt, ShopReq, one_shop, refuse, shop_ids
from lanshou.cli.notify_rules import rules_app, templates_app
from lanshou.cli.render import compact_table, print_json

app = typer.Typer(help="Buyer notifications. 买家通知: log, rules, templates, opt-outs", no_args_is_help=True)
app.add_typer(templates_app, name="templates")
app.add_typer(rules_app, name="rules")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="notify")


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
        raise refuse(ValueError(f"未知状态 unknown state {state!r} (one of: {', '.join(STATES)})"))
    ids = shop_ids(shop)
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
            f"{r['stage']}/{r['alert_kind']}" if r["alert_kind"] else r["stage"],
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
        raise refuse(exc) from None
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
    segment: Annotated[
        list[str] | None,
        typer.Option("--segment", help="a buyer segment: vip=buyer.orders >= 3 (the rule language)"),
    ] = None,
    drop_segment: Annotated[list[str] | None, typer.Option("--drop-segment", help="remove a segment")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Quiet hours, rate limit and channel settings of a shop. 通知设置."""
    from lanshou.notifications.channel_setup import redacted
    from lanshou.notifications.settings_store import load_settings, parse_quiet, parse_rate, save_settings
    from lanshou.notifications.store import NotifyInputError
    from lanshou.tracking.record import utc_now

    shop_id = one_shop(shop)
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
        segments: dict[str, str | None] = {name: None for name in drop_segment or []}
        for item in segment or []:
            name, sep, condition = item.partition("=")
            if not sep:
                raise NotifyInputError(f"分群格式 a segment looks like vip=buyer.orders >= 3, not {item!r}")
            segments[name.strip()] = condition.strip()
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
                segments=segments,
            )
            current = load_settings(conn, shop_id, "UTC")
    except NotifyInputError as exc:
        raise refuse(exc) from None
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
        "segments": dict(current.segments),
    }
    if as_json:
        print_json(data)
    else:
        console.print_json(data=data)
