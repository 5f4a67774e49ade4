"""`lanshou buyers list|show|segment|blacklist|refresh`: buyer profiles (客户), masked unless --unmask;
`segment NAME --send TEMPLATE` queues a message (maybe a coupon code) to each of the segment's buyers."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from lanshou.cli.common import console, database, err_console
from lanshou.cli.render import print_json

app = typer.Typer(help="Buyer profiles. 客户: list, show, segment, blacklist", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="print only JSON")]
UnmaskOpt = Annotated[bool, typer.Option("--unmask", help="show names and phones in full")]
BuyerArg = Annotated[str, typer.Argument(help="buyer key, or one of their order numbers")]
# order numbers are unique only within a shop: the same number in two shops may be two buyers' orders
OrderShopOpt = Annotated[
    str | None,
    typer.Option("--shop", help="the order's shop when several have its number (name or platform:name)"),
]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="buyers")


def _warn(unmask: bool) -> None:
    if unmask:
        err_console.print(
            "[yellow]Warning: personal data is shown unmasked. 注意：显示完整的个人信息，请妥善保管。[/]"
        )


def _table(title: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=title)
    for column in (
        "buyer 客户",
        "name 姓名",
        "phone 手机",
        "tier 等级",
        "orders 订单",
        "spend 消费",
        "last 最近",
        "categories 偏好",
        "flags",
    ):
        table.add_column(column)
    for b in rows:
        flags = " ".join(
            filter(
                None,
                ["回头客" if b["is_repeat"] else "", "黑名单" if b["blacklisted"] else "", *b["segments"]],
            )
        )
        table.add_row(
            escape(b["key"]),
            escape(b["name"]),
            escape(b["phone"]),
            escape(b["tier"]),
            str(b["orders"]),
            b["spend"],
            (b["last_order_at"] or "-")[:10],
            escape(", ".join(b["categories"])),
            escape(flags),
        )
    return table


@app.command("list")
def list_cmd(
    tier: Annotated[str | None, typer.Option("--tier", help="one tier / 等级")] = None,
    repeat: Annotated[
        bool | None, typer.Option("--repeat/--first-time", help="repeat buyers or one-order")
    ] = None,
    blacklisted: Annotated[bool, typer.Option("--blacklisted", help="only the blacklist / 黑名单")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 200,
    unmask: UnmaskOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Buyers, biggest spend first. 客户列表."""
    from lanshou.buyers.service import list_json

    _warn(unmask)
    rows = list_json(database(), tier, repeat, True if blacklisted else None, limit, unmask)
    if as_json:
        print_json(rows)
        return
    console.print(_table(f"客户 buyers ({len(rows)})", rows))


@app.command("show")
def show_cmd(
    buyer: BuyerArg, shop: OrderShopOpt = None, unmask: UnmaskOpt = False, as_json: JsonOpt = False
) -> None:
    """One buyer and their orders. 客户详情."""
    from lanshou.buyers.service import show_json

    _warn(unmask)
    try:
        data = show_json(database(), buyer, unmask, shop=shop)
    except LookupError as exc:
        err_console.print(f"[red]{escape(str(exc.args[0]))}[/]")
        raise typer.Exit(2) from None
    if as_json:
        print_json(data)
        return
    console.print(_table(f"客户 {escape(data['key'])}", [data]))
    if data["blacklisted"]:
        console.print(f"[red]黑名单 blacklisted:[/] {escape(data['blacklist_reason'])}")
    for change in data["blacklist_history"]:
        what = "拉黑 blacklisted" if change["blacklisted"] else "移出 removed"
        console.print(
            f"黑名单记录 blacklist change {change['at'][:16]} (UTC) {what} · {escape(change['by'])}"
            + (f" · {escape(change['reason'])}" if change["reason"] else "")
        )
    console.print(
        f"退款 refunds {data['refunds']} (¥{data['refunded']}) · "
        f"差评 negative feedback {data['negative_feedback']}"
    )
    orders = Table(title="订单 orders")
    for column in ("shop 店铺", "order 订单", "status 状态", "amount 金额", "at (UTC)"):
        orders.add_column(column)
    for o in data["order_list"]:
        orders.add_row(
            escape(o["shop"]), escape(o["order_no"]), o["status"], o["amount"] or "-", o["at"][:16]
        )
    console.print(orders)
    for f in data["feedback"]:
        themes = ", ".join(f["themes"])
        console.print(
            f"评价 feedback {escape(f['order_no'])} {f['at'][:16]} ★{f['rating'] or '-'} "
            f"{escape(themes)} {escape(f['content'])}"
        )


@app.command("segment")
def segment_cmd(
    name: Annotated[str, typer.Argument(help="segment name (buyer rules file)")],
    csv_path: Annotated[Path | None, typer.Option("--csv", help="export the segment to CSV")] = None,
    send: Annotated[
        str | None,
        typer.Option("--send", help="queue a message to each buyer with this template (or default) / 群发"),
    ] = None,
    channel: Annotated[str, typer.Option("--channel", help="sms, email, platform or webhook")] = "sms",
    coupon: Annotated[str, typer.Option("--coupon", help="a coupon code the template shows / 优惠码")] = "",
    campaign: Annotated[
        str, typer.Option("--campaign", help="campaign name (default: segment-template-channel-coupon)")
    ] = "",
    shop: Annotated[
        str | None, typer.Option("--shop", help="the shop that sends (needed with several shops)")
    ] = None,
    language: Annotated[str, typer.Option("--language", help="zh-CN or en")] = "zh-CN",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only count what --send would queue")] = False,
    unmask: UnmaskOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """The buyers a segment holds now, export them, or send them a message. 客户分群."""
    from lanshou.buyers.service import export_segment, segment_rows
    from lanshou.orders.facts import now_utc

    if send is not None:
        _send(name, send, channel, coupon, campaign, shop, language, dry_run, as_json)
        return
    if dry_run or coupon or campaign:
        err_console.print("[red]--dry-run, --coupon and --campaign go with --send TEMPLATE[/]")
        raise typer.Exit(2)
    _warn(unmask)
    try:
        if csv_path is not None:
            count = export_segment(database(), name, now_utc(), csv_path, unmask)
            if as_json:
                print_json({"exported": count, "file": str(csv_path), "masked": not unmask})
                return
            masked = "" if unmask else " (masked 已脱敏)"
            console.print(f"Exported {count} buyers to {csv_path}{masked}. 已导出 {count} 位客户")
            return
        rows = list(segment_rows(database(), name, now_utc(), unmask))
    except LookupError as exc:
        err_console.print(f"[red]{escape(str(exc.args[0]))}[/]")
        raise typer.Exit(2) from None
    if as_json:
        print_json(rows)
        return
    console.print(_table(f"分群 {escape(name)} ({len(rows)})", rows))


def _send(
    segment: str,
    template: str,
    channel: str,
    coupon: str,
    name: str,
    shop: str | None,
    language: str,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Queue (or count) a campaign to the segment through the notification outbox."""
    from lanshou.notifications.campaigns import CampaignError, campaign, queue_campaign
    from lanshou.orders.facts import now_utc
    from lanshou.shops.store import load_shops

    if shop is None:
        with database().connect() as conn:
            known = sorted(load_shops(conn))
        if len(known) != 1:
            err_console.print(f"[red]--shop is needed: {len(known)} shops / 请用 --shop 指定发送店铺[/]")
            raise typer.Exit(2)
        shop_id = known[0]
    else:
        from lanshou.cli.notify_common import one_shop

        shop_id = one_shop(shop)
    try:
        wanted = campaign(shop_id, segment, template, channel, language, coupon, name)
        report = queue_campaign(database(), wanted, now_utc(), getpass.getuser(), dry_run)
    except (CampaignError, LookupError) as exc:
        err_console.print(f"[red]{escape(str(exc.args[0]))}[/]")
        raise typer.Exit(2) from None
    if as_json:
        print_json(report.as_dict())
        return
    head = "Would queue 预计" if dry_run else "Queued 已排队"
    console.print(
        f"{escape(report.campaign)}: {report.members} buyers in segment 分群人数; {head} {report.queued}, "
        f"opted out 已退订 {report.opted_out}, no contact 无联系方式 {report.no_contact}, "
        f"already queued before 已发过 {report.already}."
    )
    if not dry_run and report.queued:
        console.print("The worker sends them (or: lanshou notify send-due); see lanshou notify log.")


@app.command("blacklist")
def blacklist_cmd(
    buyer: BuyerArg,
    reason: Annotated[str, typer.Option("--reason", help="why (required to add) / 原因")] = "",
    remove: Annotated[bool, typer.Option("--remove", help="take the buyer off the blacklist")] = False,
    by: Annotated[str | None, typer.Option("--by", help="who (default: the login name)")] = None,
    shop: OrderShopOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Put a buyer on the blacklist (review holds their orders), or take them off. 黑名单."""
    from lanshou.buyers.service import blacklist
    from lanshou.orders.facts import now_utc

    who = by or getpass.getuser()
    try:
        data = blacklist(database(), buyer, not remove, reason, who, now_utc(), shop=shop)
    except (LookupError, ValueError) as exc:
        err_console.print(f"[red]{escape(str(exc.args[0]))}[/]")
        raise typer.Exit(2) from None
    if as_json:
        print_json(data)
    else:
        console.print(
            f"{escape(data['key'])}: "
            + ("已拉黑 blacklisted" if data["blacklisted"] else "已移出黑名单 removed")
        )


@app.command("refresh")
def refresh_cmd() -> None:
    """Recompute every profile from the stored orders (after an upgrade, or new buyer rules). 重算客户."""
    from lanshou.buyers.service import refresh_all
    from lanshou.orders.facts import now_utc

    count = refresh_all(database(), now_utc())
    console.print(f"{count} profiles recomputed. 已重算 {count} 位客户")
