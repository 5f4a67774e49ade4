"""Multi-sheet XLSX reports (the metrics workbook): every text cell goes through safe_cell."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lanshou.files.export import safe_cell
from lanshou.metrics.explain import Miss

_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # openpyxl refuses these in a cell
METRIC_SHEETS: dict[str, tuple[str, ...]] = {
    "pay_to_pickup": ("on_time", "late", "undecided", "rate"),
    "delivery_hours": ("count", "mean", "median", "p90"),
    "tracking_freshness": ("fresh", "parcels", "rate"),
    "shipping_negative_feedback": ("negative_orders", "paid_orders", "rate"),
    "late_shipment": ("on_time", "late", "undecided", "rate"),
}
SUMMARY_VALUES = (
    ("pay_to_pickup", "rate"),
    ("delivery_hours", "mean"),
    ("delivery_hours", "median"),
    ("delivery_hours", "p90"),
    ("tracking_freshness", "rate"),
    ("shipping_negative_feedback", "rate"),
    ("late_shipment", "rate"),
    ("experience_score", "score"),
)
MISS_HEADERS = (
    "platform",
    "shop",
    "order_no",
    "metric",
    "reason",
    "carrier",
    "skus",
    "warehouse",
    "pay_hour",
    "tracking_no",
    "detail",
)


@dataclass(frozen=True)
class Sheet:
    name: str  # at most 31 characters
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]


def cell(value: Any) -> Any:
    if isinstance(value, str):
        return safe_cell(_XML_ILLEGAL.sub("", value))
    if isinstance(value, bool):
        return "1" if value else "0"
    return value


def write_workbook(path: Path, sheets: Iterable[Sheet]) -> None:
    from openpyxl import Workbook  # imported here: the CLI starts faster without it

    book = Workbook(write_only=True)
    for sheet in sheets:
        ws = book.create_sheet(sheet.name[:31])
        ws.append([cell(h) for h in sheet.headers])
        for row in sheet.rows:
            ws.append([cell(v) for v in row])
    book.save(path)


def _entries(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [*report["shops"], {"platform": "", "shop": "all", **report["all"]}]


def summary_sheet(report: Mapping[str, Any]) -> Sheet:
    headers = ("platform", "shop", *(f"{block}.{key}" for block, key in SUMMARY_VALUES))
    rows = [
        [e["platform"], e["shop"], *(e[block][key] for block, key in SUMMARY_VALUES)]
        for e in _entries(report)
    ]
    return Sheet("summary", headers, rows)


def metric_sheet(report: Mapping[str, Any], block: str) -> Sheet:
    keys = METRIC_SHEETS[block]
    rows = [[e["platform"], e["shop"], *(e[block][k] for k in keys)] for e in _entries(report)]
    return Sheet(block, ("platform", "shop", *keys), rows)


def score_sheet(report: Mapping[str, Any]) -> Sheet:
    rows = []
    for e in _entries(report):
        score = e["experience_score"]
        rows.append([e["platform"], e["shop"], "", score["score"], None, None, "estimate 估算"])
        for name, part in score.get("parts", {}).items():
            rows.append([e["platform"], e["shop"], name, part["value"], part["points"], part["weight"], ""])
    headers = ("platform", "shop", "part", "value / score", "points", "weight", "note")
    return Sheet("experience_score", headers, rows)


def carrier_sheet(report: Mapping[str, Any]) -> Sheet:
    carriers = report["all"].get("delivery_hours_by_carrier", {})
    rows = [
        [name, *(b.get(k) for k in ("count", "mean", "median", "p90"))]
        for name, b in sorted(carriers.items())
    ]
    return Sheet("carriers", ("carrier", "count", "mean", "median", "p90"), rows)


def misses_sheet(found: Iterable[Miss]) -> Sheet:
    rows = (
        [
            m.platform,
            m.shop,
            m.order_no,
            m.metric,
            m.reason,
            m.carrier,
            " ".join(m.skus),
            m.warehouse,
            m.pay_hour,
            m.tracking_no,
            m.detail,
        ]
        for m in found
    )
    return Sheet("misses", MISS_HEADERS, rows)


def metrics_workbook(path: Path, report: Mapping[str, Any], found: Iterable[Miss]) -> None:
    """The metrics report as a workbook: summary, a sheet per metric, carriers, and every miss."""
    sheets = [
        summary_sheet(report),
        *(metric_sheet(report, block) for block in METRIC_SHEETS),
        score_sheet(report),
        carrier_sheet(report),
        misses_sheet(found),
    ]
    write_workbook(path, sheets)
