"""What the metrics, misses and queue commands share: options, checks, JSON output, compact tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich import box
from rich.table import Table

from lanshou.cli.common import err_console
from lanshou.cli.metrics_summary import today

AsOfOpt = Annotated[
    datetime | None,
    typer.Option("--as-of", formats=["%Y-%m-%d"], help="report day D, YYYY-MM-DD (default: today, Shanghai)"),
]
WindowOpt = Annotated[int, typer.Option("--window-days", min=1, help="days in the window / 统计天数")]
TzOpt = Annotated[
    str | None, typer.Option("--timezone", help="evaluate in this timezone (default: each shop's)")
]
ShopOpt = Annotated[str | None, typer.Option("--shop", help="shop name, or platform:name / 店铺")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print only the JSON object")]

REASONS_ZH = {
    "paid_after_cutoff": "截单后付款",
    "out_of_stock": "缺货",
    "held_for_review": "审单拦截",
    "no_waybill": "未出运单",
    "shipped_no_scan": "已发货无揽收",
    "carrier_late_pickup": "快递揽收迟",
    "weekend_or_holiday": "周末/节假日",
    "unknown": "原因不明",
}
METRICS_SHORT = {
    "pay_to_pickup": "M1 揽收",
    "tracking_freshness": "M3 轨迹",
    "shipping_negative_feedback": "M4 反馈",
    "late_shipment": "M5 发货",
}


EARLIEST, LATEST = date(1970, 1, 1), date(9000, 12, 31)  # windows and comparisons stay within dates


def as_of_day(value: datetime | None) -> date:
    day = value.date() if value else today()
    if not EARLIEST <= day <= LATEST:
        err_console.print(
            f"[red]--as-of {day.isoformat()}:[/] the report day must be between {EARLIEST} and {LATEST}",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    return day


def checked_timezone(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        err_console.print(f"[red]--timezone {name!r}:[/] unknown timezone / 未知时区 (e.g. Asia/Shanghai)")
        raise typer.Exit(2) from None
    return name


def unknown_shop(exc: LookupError) -> typer.Exit:
    err_console.print(f"[red]unknown shop / 没有这个店铺:[/] {exc.args[0] if exc.args else exc}")
    return typer.Exit(2)


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False))


def compact_table(title: str, headers: Sequence[str], wrap_last: bool = True) -> Table:
    """A borderless table that fits 80 columns: every column but the last keeps its text whole."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, show_lines=False)
    for position, header in enumerate(headers):
        last = position == len(headers) - 1
        table.add_column(header, no_wrap=not (last and wrap_last), overflow="fold")
    return table
