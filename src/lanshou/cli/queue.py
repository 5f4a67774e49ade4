"""`lanshou queue`: orders waiting for a carrier scan, most urgent first, and the stalled parcels."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from rich.text import Text

from lanshou.cli.common import console, database
from lanshou.cli.render import JsonOpt, ShopOpt, checked_timezone, compact_table, print_json, unknown_shop
from lanshou.config import DEFAULT_TIMEZONE
from lanshou.sla.queue import QueueEntry, StalledParcel
from lanshou.sla.queue_json import flag, iso, local, queue_json
from lanshou.sla.queue_report import QueueReport


def queue_cmd(
    now: Annotated[
        datetime | None,
        typer.Option(
            "--now",
            formats=["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"],
            help="local time 'YYYY-MM-DD HH:MM' (default: now)",
        ),
    ] = None,
    within: Annotated[float, typer.Option("--within", min=0, help="flag orders due within N hours")] = 6.0,
    shop: ShopOpt = None,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help=f"zone of --now and of times shown (default {DEFAULT_TIMEZONE})"),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="orders to list")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Orders waiting for a carrier scan, most urgent first. 待揽收订单队列（即将超时/已超时）.

    Open orders (paid or shipped) paid in the 15 days before --now, and the stalled parcels among them."""
    from lanshou.sla.queue_report import queue_report

    zone = ZoneInfo(checked_timezone(timezone) or DEFAULT_TIMEZONE)
    at = _utc(now, zone) if now else datetime.now(UTC).replace(tzinfo=None)
    try:
        result = queue_report(database(), at, within, shop)
    except LookupError as exc:
        raise unknown_shop(exc) from None
    if as_json:
        print_json(queue_json(result, zone, limit))
        return
    _show_queue(result, zone, limit)


def _utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


FLAGS = {
    "overdue": ("已超时 overdue", "bold red"),
    "at_risk": ("即将超时 at-risk", "yellow"),
    "ok": ("正常 ok", "green"),
}


def _show_queue(report: QueueReport, zone: ZoneInfo, limit: int) -> None:
    entries, stalled, now, within = report.entries, report.stalled, report.now, report.within_hours
    overdue, at_risk = report.overdue, report.at_risk
    console.print(
        f"待揽收 awaiting pickup at {iso(now, zone)}: {len(entries)} orders · "
        f"[bold red]{overdue} 已超时 overdue[/] · [yellow]{at_risk} 即将超时 at-risk (within {within:g} h)[/]"
    )
    if entries:
        console.print(queue_table(entries[:limit], zone))
        if len(entries) > limit:
            console.print(f"Showing the {limit} most urgent; use --limit N. 仅显示最紧急的 {limit} 条")
    console.print(f"轨迹停滞 stalled parcels: {len(stalled)}")
    if stalled:
        console.print(stalled_table(stalled[:10], zone))


def _when(t: datetime | None, zone: ZoneInfo) -> str:
    shown = local(t, zone)
    return "—" if shown is None else f"{shown:%m-%d %H:%M}"


def queue_table(entries: Sequence[QueueEntry], zone: ZoneInfo) -> Table:
    headers = ("订单号 order", "状态 flag", "剩余 left", "截止 due (local)", "店铺 · 运单 · SKU")
    table = compact_table(f"待揽收队列 pickup queue ({zone.key})", headers)
    for e in entries:
        label, style = FLAGS[flag(e)]
        kind = "揽收 pickup" if e.deadline_kind == "pay_to_pickup" else "发货 ship"
        waybill = (e.carrier or "waybill") if e.has_waybill else "无运单 no waybill"
        cells = (
            e.order_no,
            label.replace(" ", "\n"),
            f"{e.hours_left:.1f} h\n{kind}",
            f"揽收 {_when(e.pickup_deadline, zone)}\n发货 {_when(e.promised_ship_by, zone)}",
            f"{e.platform}/{e.shop}\n{waybill} · {' '.join(e.skus)}",
        )
        table.add_row(*(Text(c) for c in cells), style=style)
    return table


def stalled_table(parcels: Sequence[StalledParcel], zone: ZoneInfo) -> Table:
    headers = ("订单号 order", "运单号 tracking", "silent 停滞", "店铺 shop")
    table = compact_table("轨迹停滞 stalled parcels (longest silence first)", headers)
    for p in parcels:
        cells = (
            p.order_no,
            f"{p.tracking_no}\n{p.carrier}",
            f"{p.hours_silent:.1f} h\nsince {_when(p.last_event, zone)}",
            f"{p.platform}/{p.shop}",
        )
        table.add_row(*(Text(c) for c in cells))
    return table
