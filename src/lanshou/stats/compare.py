"""Each row of a statistics section set against the same row of the previous period's report (pure).

The report's totals carry their change already (`report["change"]`); the sections (categories, provinces,
returns by SKU …) are lists, so the row with the same key is looked up in the previous period's report —
the same `stats_report` for the period before — and the change is relative, as for the totals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# section -> (the fields naming a row, the figure compared)
SECTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "categories": (("category",), "sales"),
    "products": (("sku",), "sales"),
    "provinces": (("province",), "orders"),
    "returns_by_sku": (("sku",), "return_rate"),
    "returns_by_reason": (("reason_code",), "cases"),
    "damage_by_carrier": (("carrier", "reason_code"), "cases"),
    "feedback_themes": (("theme",), "count"),
}


def relative_change(now: Any, before: Any) -> float | None:
    """(now - before) / before, to 4 places; None when there is nothing to compare with (absent or zero)."""
    if now is None or before is None:
        return None
    old = Decimal(str(before))
    if not old:
        return None
    return round(float((Decimal(str(now)) - old) / old), 4)


def section_changes(report: dict[str, Any], previous: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """section -> its rows, each as {"row": the row, "before": the figure then or None, "change": …}."""
    found: dict[str, list[dict[str, Any]]] = {}
    for section, (keys, figure) in SECTIONS.items():
        then = {tuple(row[k] for k in keys): row.get(figure) for row in previous.get(section, [])}
        rows = []
        for row in report[section]:
            before = then.get(tuple(row[k] for k in keys))
            rows.append({"row": row, "before": before, "change": relative_change(row.get(figure), before)})
        found[section] = rows
    return found
