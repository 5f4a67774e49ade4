"""Charts drawn on the server as SVG: no chart library, no script, nothing to fetch, readable offline.

Pure functions from numbers to markup; labels are escaped. The SVG scales to its container's width.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

ROW_HEIGHT = 28
LABEL_WIDTH = 140
BAR_AREA = 300
VALUE_WIDTH = 70


def bar_chart(bars: Sequence[tuple[str, float]], title: str) -> Markup:
    """Horizontal bars, one row per (label, value); the longest bar is the largest value."""
    width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    height = max(1, len(bars)) * ROW_HEIGHT
    top = max((value for _, value in bars), default=0) or 1
    rows = []
    for i, (label, value) in enumerate(bars):
        y = i * ROW_HEIGHT
        length = round(BAR_AREA * max(value, 0) / top, 1)
        rows.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 18}" text-anchor="end">{escape(_short(label))}</text>'
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 5}" width="{length}" '
            f'height="{ROW_HEIGHT - 10}" rx="3">'
            f"<title>{escape(label)}: {_number(value)}</title></rect>"
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 18}">{_number(value)}</text>'
        )
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(rows)}</svg>"
    )


def _short(label: str, keep: int = 12) -> str:
    return label if len(label) <= keep else label[: keep - 1] + "…"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
