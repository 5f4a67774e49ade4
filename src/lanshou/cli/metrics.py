"""`lanshou metrics` (the METRICS.md report), `lanshou metrics misses` and `lanshou queue`.

With --json only the JSON object goes to stdout; every message goes to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from lanshou.cli.common import console, database, err_console
from lanshou.cli.metrics_summary import hours, percent, today
from lanshou.config import DEFAULT_TIMEZONE
from lanshou.metrics.explain import Miss, MissGroup
from lanshou.sla.queue import QueueEntry, StalledParcel

metrics_app = typer.Typer(
    help="Logistics metrics as the platforms score them. 物流指标", invoke_without_command=True
)


class SourceChoice(StrEnum):
    auto = "auto"
    rollups = "rollups"
    raw = "raw"


class ByChoice(StrEnum):
    reason = "reason"
    carrier = "carrier"
    sku = "sku"
    warehouse = "warehouse"
    pay_hour = "pay_hour"


class MetricChoice(StrEnum):
    pay_to_pickup = "pay_to_pickup"
    late_shipment = "late_shipment"
    tracking_freshness = "tracking_freshness"
    shipping_negative_feedback = "shipping_negative_feedback"
    all = "all"


def register(app: typer.Typer) -> None:
    app.add_typer(metrics_app, name="metrics")
    app.command("queue")(queue_cmd)


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


# ── shared option handling ──────────────────────────────────────────────────────────────────────────────


def _as_of(value: datetime | None) -> date:
    return value.date() if value else today()


def _timezone(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        raise typer.BadParameter(f"unknown timezone {name!r}", param_hint="--timezone") from None
    return name


def _unknown_shop(exc: LookupError) -> typer.Exit:
    err_console.print(f"[red]unknown shop / 没有这个店铺:[/] {exc.args[0] if exc.args else exc}")
    return typer.Exit(2)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False))


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

    day, zone = _as_of(as_of), _timezone(timezone)
    engine = database()
    try:
        report = metrics_report(engine, day, window_days, zone, shop, source.value)
    except LookupError as exc:
        raise _unknown_shop(exc) from None
    except ValueError as exc:  # --source rollups with a timezone the rollups are not kept in
        err_console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if xlsx is not None:
        _write_workbook(engine, xlsx, report, day, window_days, zone, shop)
    if as_json:
        _print_json(report)
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


# ── lanshou metrics misses ──────────────────────────────────────────────────────────────────────────────


@metrics_app.command("misses")
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
    from lanshou.metrics.misses import miss_report

    day, zone = _as_of(as_of), _timezone(timezone)
    try:
        result = miss_report(database(), day, window_days, zone, shop, by.value, metric.value)
    except LookupError as exc:
        raise _unknown_shop(exc) from None
    if as_json:
        _print_json(
            {
                "as_of": day.isoformat(),
                "window_days": window_days,
                "metric": result.metric,
                "by": result.by,
                "decided": result.decided,
                "total": len(result.misses),
                "misses": [miss_json(m) for m in result.misses[:limit]],
                "groups": [group_json(g) for g in result.groups],
            }
        )
        return
    _show_misses(result.misses, result.groups, limit, result.by, result.metric)


def miss_json(m: Miss) -> dict[str, Any]:
    return {
        "order_no": m.order_no,
        "platform": m.platform,
        "shop": m.shop,
        "metric": m.metric,
        "reason": m.reason,
        "carrier": m.carrier,
        "skus": list(m.skus),
        "warehouse": m.warehouse,
        "pay_hour": m.pay_hour,
        "tracking_no": m.tracking_no,
        "detail": m.detail,
    }


def group_json(g: MissGroup) -> dict[str, Any]:
    return {"key": g.key, "count": g.count, "rate_gain": g.rate_gain, "order_nos": list(g.order_nos)}


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


# ── lanshou queue ───────────────────────────────────────────────────────────────────────────────────────


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

    zone = ZoneInfo(_timezone(timezone) or DEFAULT_TIMEZONE)
    at = _utc(now, zone) if now else datetime.now(UTC).replace(tzinfo=None)
    try:
        result = queue_report(database(), at, within, shop)
    except LookupError as exc:
        raise _unknown_shop(exc) from None
    if as_json:
        _print_json(queue_json(result.entries, result.stalled, at, within, zone, limit))
        return
    _show_queue(result.entries, result.stalled, at, within, zone, limit)


def _utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def _local(t: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if t is None else t.replace(tzinfo=UTC).astimezone(zone)


def _iso(t: datetime | None, zone: ZoneInfo) -> str | None:
    shown = _local(t, zone)
    return None if shown is None else shown.isoformat(timespec="minutes")


def flag(entry: QueueEntry) -> str:
    return "overdue" if entry.overdue else "at_risk" if entry.at_risk else "ok"


FLAGS = {
    "overdue": ("已超时 overdue", "bold red"),
    "at_risk": ("即将超时 at-risk", "yellow"),
    "ok": ("正常 ok", "green"),
}


def queue_json(
    entries: Sequence[QueueEntry],
    stalled: Sequence[StalledParcel],
    now: datetime,
    within: float,
    zone: ZoneInfo,
    limit: int,
) -> dict[str, Any]:
    return {
        "now": _iso(now, zone),
        "timezone": zone.key,
        "within_hours": within,
        "count": len(entries),
        "overdue": sum(e.overdue for e in entries),
        "at_risk": sum(e.at_risk for e in entries),
        "orders": [entry_json(e, zone) for e in entries[:limit]],
        "stalled": {"count": len(stalled), "parcels": [stalled_json(p, zone) for p in stalled[:limit]]},
    }


def entry_json(e: QueueEntry, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "order_no": e.order_no,
        "platform": e.platform,
        "shop": e.shop,
        "flag": flag(e),
        "hours_left": e.hours_left,
        "deadline_kind": e.deadline_kind,
        "paid_at": _iso(e.paid_at, zone),
        "pickup_deadline": _iso(e.pickup_deadline, zone),
        "promised_ship_by": _iso(e.promised_ship_by, zone),
        "hours_to_pickup_deadline": e.hours_to_pickup_deadline,
        "hours_to_promise": e.hours_to_promise,
        "has_waybill": e.has_waybill,
        "carrier": e.carrier,
        "skus": list(e.skus),
    }


def stalled_json(p: StalledParcel, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "order_no": p.order_no,
        "platform": p.platform,
        "shop": p.shop,
        "tracking_no": p.tracking_no,
        "carrier": p.carrier,
        "last_event": _iso(p.last_event, zone),
        "hours_silent": p.hours_silent,
    }


def _show_queue(
    entries: Sequence[QueueEntry],
    stalled: Sequence[StalledParcel],
    now: datetime,
    within: float,
    zone: ZoneInfo,
    limit: int,
) -> None:
    overdue, at_risk = sum(e.overdue for e in entries), sum(e.at_risk for e in entries)
    console.print(
        f"待揽收 awaiting pickup at {_iso(now, zone)}: {len(entries)} orders · "
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
    shown = _local(t, zone)
    return "—" if shown is None else f"{shown:%m-%d %H:%M}"


def compact_table(title: str, headers: Sequence[str], wrap_last: bool = True) -> Table:
    """A borderless table that fits 80 columns: every column but the last keeps its text whole."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, show_lines=False)
    for position, header in enumerate(headers):
        last = position == len(headers) - 1
        table.add_column(header, no_wrap=not (last and wrap_last), overflow="fold")
    return table


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


# ── lanshou metrics rebuild ─────────────────────────────────────────────────────────────────────────────


@metrics_app.command("rebuild")
def rebuild_cmd() -> None:
    """Derive every order's metric rollups again (after editing a rule pack or a timezone). 重建指标."""
    from lanshou.cli.common import progress_bar
    from lanshou.metrics.packs import pack_for
    from lanshou.metrics.rollups import rebuild

    engine = database()
    with progress_bar("rebuilding metric rollups / 重建指标", None) as progress:
        done = rebuild(engine, pack_for, progress)
    err_console.print(f"rollups rebuilt for {done:,} orders")
