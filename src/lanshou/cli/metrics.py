"""`lanshou metrics` (the METRICS.md report) and `lanshou metrics rebuild`; registers `misses` and `queue`.

With --json only the JSON object goes to stdout; every message goes to stderr.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from lanshou.cli.common import console, database, err_console
from lanshou.cli.metrics_summary import hours, percent
from lanshou.cli.misses import misses_cmd
from lanshou.cli.queue import queue_cmd
from lanshou.cli.render import (
    AsOfOpt,
    JsonOpt,
    ShopOpt,
    TzOpt,
    WindowOpt,
    as_of_day,
    checked_timezone,
    print_json,
    unknown_shop,
)

metrics_app = typer.Typer(
    help="Logistics metrics as the platforms score them. 物流指标", invoke_without_command=True
)


class SourceChoice(StrEnum):
    auto = "auto"
    rollups = "rollups"
    raw = "raw"


def register(app: typer.Typer) -> None:
    metrics_app.command("misses")(misses_cmd)
    app.add_typer(metrics_app, name="metrics")
    app.command("queue")(queue_cmd)


# ── lanshou metrics ─────────────────────────────────────────────────────────────────────────────────────


@metrics_app.callback()
def metrics_cmd(
    ctx: typer.Context,
    as_of: AsOfOpt = None,
    window_days: WindowOpt = 30,
    timezone: TzOpt = None,
    shop: ShopOpt = None,
    as_json: JsonOpt = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="also write a workbook / 导出 XLSX")] = None,
    source: Annotated[
        SourceChoice, typer.Option("--source", help="auto, rollups or raw rows")
    ] = SourceChoice.auto,
) -> None:
    """The logistics metrics report (METRICS.md contract). 物流指标报告."""
    if ctx.invoked_subcommand is not None:
        return
    from lanshou.metrics.report import metrics_report

    day, zone = as_of_day(as_of), checked_timezone(timezone)
    engine = database()
    try:
        report = metrics_report(engine, day, window_days, zone, shop, source.value)
    except LookupError as exc:
        raise unknown_shop(exc) from None
    except ValueError as exc:  # --source rollups with a timezone the rollups are not kept in
        err_console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if xlsx is not None:
        _write_workbook(engine, xlsx, report, day, window_days, zone, shop)
    if as_json:
        print_json(report)
        return
    previous = metrics_report(
        engine, day - timedelta(days=window_days), window_days, zone, shop, source.value
    )
    _show_report(report, previous)


def _write_workbook(
    engine: Any,
    path: Path,
    report: dict[str, Any],
    day: date,
    window_days: int,
    zone: str | None,
    shop: str | None,
) -> None:
    from lanshou.metrics.misses import find_misses
    from lanshou.metrics.workbook import metrics_workbook

    found = find_misses(engine, day, window_days, zone, shop)
    metrics_workbook(path, report, found)
    err_console.print(f"Wrote {path} ({len(found)} misses). 已导出工作簿")


@dataclass(frozen=True)
class Row:
    label: str
    block: str
    key: str
    kind: str  # "rate", "hours" or "score"
    higher_is_better: bool


ROWS = (
    Row("24小时揽收及时率\npay-to-pickup on time", "pay_to_pickup", "rate", "rate", True),
    Row("配送时长 delivery hours\nmean", "delivery_hours", "mean", "hours", False),
    Row("配送时长 delivery hours\nmedian", "delivery_hours", "median", "hours", False),
    Row("配送时长 delivery hours\np90", "delivery_hours", "p90", "hours", False),
    Row("物流信息更新及时率\ntracking freshness", "tracking_freshness", "rate", "rate", True),
    Row(
        "发货问题负向反馈率\nshipping negative feedback", "shipping_negative_feedback", "rate", "rate", False
    ),
    Row("延迟发货\nlate shipment (on-time share)", "late_shipment", "rate", "rate", True),
    Row("物流体验分 · 估算 estimate\nexperience score", "experience_score", "score", "score", True),
)
OUTCOME_KEYS = {"on_time", "late", "undecided", "rate"}


def _show_report(report: Mapping[str, Any], previous: Mapping[str, Any]) -> None:
    before = {(e["platform"], e["shop"]): e for e in previous["shops"]}
    head = f"{report['window_days']} days to {report['as_of']} · vs the {report['window_days']} days before"
    for entry in report["shops"]:
        title = f"{entry['shop']} ({entry['platform']}) · {head}"
        console.print(metric_table(title, entry, before.get((entry["platform"], entry["shop"]))))
    console.print(metric_table(f"全部店铺 all shops · {head}", report["all"], previous["all"]))
    for column, title in (("carrier", "快递公司 carrier scorecard"), ("province", "省份 by province")):
        groups = report["all"].get(f"delivery_hours_by_{column}", {})
        if groups:
            console.print(scorecard_table(title, column, groups))
    if not report["shops"]:
        console.print("No shops yet: import orders first. 还没有店铺数据，请先导入订单。")


def metric_table(title: str, entry: Mapping[str, Any], before: Mapping[str, Any] | None) -> Table:
    table = Table(title=title, title_justify="left", show_lines=True)
    table.add_column("指标 metric", no_wrap=True)
    table.add_column("本期 now", justify="right", no_wrap=True)
    table.add_column("上期 prev", justify="right", no_wrap=True)
    table.add_column("变化 change", justify="right", no_wrap=True)
    for row in [*ROWS[:1], *_extra_rows(entry), *ROWS[1:]]:
        now, then = _value(entry, row), _value(before, row) if before else None
        label = Text(row.label)
        detail = _detail(entry, row)
        if detail:
            label.append(f"\n{detail}", style="dim")
        table.add_row(label, _fmt(now, row.kind), _fmt(then, row.kind), _change(now, then, row))
    table.caption = _weights(entry["experience_score"])
    return table


def _extra_rows(entry: Mapping[str, Any]) -> list[Row]:
    """Blocks a pack adds (e.g. Taobao's pay_to_pickup_48h), shown under M1."""
    names = [
        k
        for k, v in entry.items()
        if isinstance(v, dict) and set(v) == OUTCOME_KEYS and k not in ("pay_to_pickup", "late_shipment")
    ]
    return [Row(f"{_extra_label(name)}", name, "rate", "rate", True) for name in sorted(names)]


def _extra_label(name: str) -> str:
    suffix = name.removeprefix("pay_to_pickup_")
    if suffix != name:
        return f"{suffix.removesuffix('h')}小时支付-揽收率\npay-to-pickup {suffix}"
    return name


def _value(entry: Mapping[str, Any] | None, row: Row) -> float | None:
    if entry is None:
        return None
    value = entry.get(row.block, {}).get(row.key)
    return None if value is None else float(value)


def _fmt(value: float | None, kind: str) -> str:
    if kind == "rate":
        return percent(value)
    if kind == "hours":
        return hours(value)
    return "—" if value is None else f"{value:.2f} / 5"


def _detail(entry: Mapping[str, Any], row: Row) -> str:
    b = entry.get(row.block, {})
    if row.block == "delivery_hours":
        return f"{b['count']} parcels 件" if row.key == "mean" else ""
    if row.block == "tracking_freshness":
        return f"{b['fresh']}/{b['parcels']} fresh"
    if row.block == "shipping_negative_feedback":
        return f"{b['negative_orders']}/{b['paid_orders']} orders"
    if row.block == "experience_score":
        return "weights below 权重见下"
    return f"{b['on_time']}/{b['on_time'] + b['late']} on time · {b['undecided']} undecided 未定"


def _change(now: float | None, then: float | None, row: Row) -> Text:
    if now is None or then is None:
        return Text("—")
    delta = now - then
    if row.kind == "rate":
        amount = f"{abs(delta) * 100:.1f} pts"
    elif row.kind == "hours":
        amount = f"{abs(delta):.1f} h"
    else:
        amount = f"{abs(delta):.2f}"
    if not any(c in "123456789" for c in amount):  # no change at the precision shown
        return Text(f"= {amount}", style="dim")
    good = (delta > 0) == row.higher_is_better
    return Text(f"{'▲' if delta > 0 else '▼'} {amount}", style="green" if good else "red")


def _weights(score: Mapping[str, Any]) -> str:
    parts = score.get("parts") or {}
    if not parts:
        method = score.get("method", "")
        return f"物流体验分 is an estimate 估算{': ' + method if method else ''}"
    shown = ", ".join(
        f"{name} {part['weight']:g}" + ("" if part["points"] is None else f" ({part['points']:.2f} pts)")
        for name, part in parts.items()
    )
    return f"物流体验分 is an estimate 估算 · weights 权重: {shown}"


def scorecard_table(title: str, column: str, groups: Mapping[str, Mapping[str, Any]]) -> Table:
    table = Table(title=f"{title} · delivery hours 配送时长", title_justify="left")
    table.add_column(column, no_wrap=True)
    for header in ("parcels 件", "mean", "median", "p90"):
        table.add_column(header, justify="right")
    ordered = sorted(groups.items(), key=lambda kv: (-kv[1]["count"], kv[0]))
    for name, b in ordered:
        table.add_row(
            Text(name or "—"),
            str(b["count"]),
            hours(b.get("mean")),
            hours(b.get("median")),
            hours(b.get("p90")),
        )
    return table


# ── lanshou metrics rebuild ─────────────────────────────────────────────────────────────────────────────


@metrics_app.command("rebuild")
def rebuild_cmd() -> None:
    """Derive every order's metric rollups again (after editing a rule pack or a timezone). 重建指标."""
    from lanshou.metrics.upkeep import rebuild_rollups

    done = rebuild_rollups(database())
    err_console.print(f"rollups rebuilt for {done:,} orders")
