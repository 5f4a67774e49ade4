"""The statistics report as an XLSX workbook: one sheet per section; every text cell through safe_cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lanshou.files.export import safe_cell

SECTIONS = (
    ("daily", "每日 daily"),
    ("categories", "类目 categories"),
    ("products", "商品 products"),
    ("provinces", "省份 provinces"),
    ("returns_by_sku", "退货率 returns by SKU"),
    ("returns_by_reason", "退货原因 reasons"),
)


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return safe_cell(value) if isinstance(value, str) else value


def write_report(path: Path, report: dict[str, Any]) -> None:
    from openpyxl import Workbook  # imported here: the CLI starts faster without it

    book = Workbook(write_only=True)
    summary = book.create_sheet("汇总 summary")
    summary.append(
        ["figure", report["period"]["from"] + " – " + report["period"]["to"], "previous", "change"]
    )
    for name, value in report["totals"].items():
        summary.append(
            [name, _cell(value), _cell(report["previous_totals"].get(name)), report["change"].get(name)]
        )
    for key, title in SECTIONS:
        rows = report[key]
        sheet = book.create_sheet(title[:31])
        if not rows:
            sheet.append(["(none)"])
            continue
        headers = list(rows[0])
        sheet.append(headers)
        for row in rows:
            sheet.append([_cell(row[h]) for h in headers])
    book.save(path)
