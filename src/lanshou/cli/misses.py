"""`lanshou metrics misses`: every miss with its reason, rolled up by what fixing it would win."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from lanshou.cli.common import console, database
from lanshou.cli.render import (
    METRICS_SHORT,
    REASONS_ZH,
    AsOfOpt,
    JsonOpt,
    ShopOpt,
    TzOpt,
    WindowOpt,
    as_of_day,
    checked_timezone,
    compact_table,
    print_json,
    unknown_shop,
)
from lanshou.metrics.explain import Miss, MissGroup


class ByChoice(StrEnum):
    reason = "reason"
    carrier = "carrier"
    sku = "sku"
    warehouse = "warehouse"
    pay_hour = "pay_hour"
    province = "province"


class MetricChoice(StrEnum):
    pay_to_pickup = "pay_to_pickup"
    late_shipment = "late_shipment"
    tracking_freshness = "tracking_freshness"
    shipping_negative_feedback = "shipping_negative_feedback"
    all = "all"


def misses_cmd(
    as_of: AsOfOpt = None,
    window_days: WindowOpt = 30,
    timezone: TzOpt = None,
    shop: ShopOpt = None,
    by: Annotated[ByChoice, typer.Option("--by", help="roll up by / 按…汇总")] = ByChoice.reason,
    metric: Annotated[MetricChoice, typer.Option("--metric", help="which metric's misses")] = (
        MetricChoice.pay_to_pickup
    ),
    limit: Annotated[int, typer.Option("--limit", min=1, help="misses to list")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Why orders missed, and which fix moves the rate most. 未达标订单及原因."""
    from lanshou.metrics.misses import miss_report, miss_report_json

    day, zone = as_of_day(as_of), checked_timezone(timezone)
    try:
        result = miss_report(database(), day, window_days, zone, shop, by.value, metric.value)
    except LookupError as exc:
        raise unknown_shop(exc) from None
    if as_json:
        print_json(miss_report_json(result, limit))
        return
    _show_misses(result.misses, result.groups, limit, result.by, result.metric)


def _show_misses(
    found: Sequence[Miss], groups: Sequence[MissGroup], limit: int, by: str, metric: str
) -> None:
    if not found:
        console.print(f"No misses for {metric}. 没有未达标订单。")
        return
    headers = ("订单号 order", "原因 reason", "指标 · 快递", "店铺 · SKU · 说明")
    table = compact_table(f"未达标订单 misses · {metric} ({len(found)})", headers)
    for m in found[:limit]:
        cells = (
            m.order_no,
            f"{m.reason}\n{REASONS_ZH.get(m.reason, '')}",
            f"{METRICS_SHORT.get(m.metric, m.metric)}\n{m.carrier or '—'}",
            f"{m.platform}/{m.shop} · {' '.join(m.skus)}\n{m.detail}",
        )
        table.add_row(*(Text(c) for c in cells))
    console.print(table)
    if len(found) > limit:
        console.print(f"Showing the first {limit} of {len(found)}; use --limit N. 仅显示前 {limit} 条")
    console.print(rollup_table(groups, by))
    gain = groups[0].rate_gain if groups else None
    if gain is not None:
        top = groups[0]
        console.print(
            f"Fixing the {top.count} misses of {by} {top.key or '—'!r} would raise the rate by "
            f"{gain * 100:.1f} points. 解决这一类可提升 {gain * 100:.1f} 个百分点。"
        )


def rollup_table(groups: Sequence[MissGroup], by: str) -> Table:
    table = Table(title=f"按 {by} 汇总 · by impact", title_justify="left")
    table.add_column(by, no_wrap=True)
    table.add_column("orders 单数", justify="right")
    table.add_column("rate gain 可提升", justify="right")
    for g in groups:
        label = f"{g.key} {REASONS_ZH.get(g.key, '')}".strip() if by == "reason" else g.key or "—"
        gain = "—" if g.rate_gain is None else f"+{g.rate_gain * 100:.1f} pts"
        table.add_row(Text(label), str(g.count), gain)
    return table
