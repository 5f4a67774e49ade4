"""The compact metrics table of `lanshou run`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table
from sqlalchemy import Engine

from lanshou.config import DEFAULT_TIMEZONE
from lanshou.metrics.report import metrics_report


def today() -> date:
    return datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date()


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} h"


def metrics_table(engine: Engine, as_of: date | None = None) -> Table:
    as_of = as_of or today()
    report = metrics_report(engine, as_of)
    table = Table(title=f"Logistics metrics 物流指标 · 30 days to {as_of} (as the platforms will score them)")
    for header in (
        "shop 店铺",
        "24h pickup 揽收及时率",
        "delivery 配送时长 (median)",
        "tracking fresh 轨迹及时",
        "shipping negative 负向反馈",
        "on-time ship 按时发货",
        "score 物流体验分 (估算)",
    ):
        table.add_column(header, justify="left" if header.startswith("shop") else "right")
    for entry in [*report["shops"], {"shop": "all 全部", "platform": "", **report["all"]}]:
        table.add_row(*_cells(entry))
    table.caption = "score: an estimate (估算) — platforms do not publish every weight; see `lanshou metrics`"
    return table


def _cells(entry: dict[str, Any]) -> list[str]:
    score = entry["experience_score"]["score"]
    return [
        f"{entry['shop']}\n[dim]{entry['platform']}[/]" if entry["platform"] else entry["shop"],
        percent(entry["pay_to_pickup"]["rate"]),
        hours(entry["delivery_hours"]["median"]),
        percent(entry["tracking_freshness"]["rate"]),
        percent(entry["shipping_negative_feedback"]["rate"]),
        percent(entry["late_shipment"]["rate"]),
        "—" if score is None else f"{score:.2f} / 5",
    ]
