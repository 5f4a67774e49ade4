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


COLUMN_AREA = 120  # height of the tallest column


def column_chart(points: Sequence[tuple[str, float | None]], title: str, unit: str = "%") -> Markup:
    """Vertical columns left to right, one per (label, value); None leaves a gap (nothing to measure).
    Values are 0–100 (a rate in percent); every fifth label is written under its column."""
    step = 18
    width = max(1, len(points)) * step + 40
    height = COLUMN_AREA + 40
    parts = [
        f'<line class="axis" x1="30" y1="{COLUMN_AREA + 10}" x2="{width}" y2="{COLUMN_AREA + 10}"/>',
        f'<text x="26" y="{COLUMN_AREA + 14}" text-anchor="end">0</text>',
        '<text x="26" y="14" text-anchor="end">100</text>',
    ]
    for i, (label, value) in enumerate(points):
        x = 34 + i * step
        if value is not None:
            tall = round(COLUMN_AREA * min(max(value, 0.0), 100.0) / 100, 1)
            parts.append(
                f'<rect class="bar" x="{x}" y="{COLUMN_AREA + 10 - tall}" width="{step - 4}" height="{tall}" '
                f'rx="2"><title>{escape(label)}: {value:.1f}{unit}</title></rect>'
            )
        if i % 5 == 0:
            parts.append(f'<text x="{x}" y="{COLUMN_AREA + 28}">{escape(label)}</text>')
    return Markup(
        f'<svg class="chart trend" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )


def value_columns(points: Sequence[tuple[str, float]], title: str) -> Markup:
    """Vertical columns left to right, one per (label, value), the tallest the largest value (written at
    the top left), in a fixed width whatever the number of columns; about eight labels under them. For
    daily orders or sales over a period."""
    plot = 560
    step = plot / max(1, len(points), 14)
    every = max(1, -(-len(points) // 8))
    height = COLUMN_AREA + 40
    top = max((value for _, value in points), default=0) or 1
    parts = [
        f'<line class="axis" x1="30" y1="{COLUMN_AREA + 10}" x2="{plot + 40}" y2="{COLUMN_AREA + 10}"/>',
        f'<text x="26" y="{COLUMN_AREA + 14}" text-anchor="end">0</text>',
        f'<text x="34" y="8">{_number(top)}</text>',
    ]
    for i, (label, value) in enumerate(points):
        x = round(34 + i * step, 1)
        tall = round(COLUMN_AREA * max(value, 0) / top, 1)
        parts.append(
            f'<rect class="bar" x="{x}" y="{COLUMN_AREA + 10 - tall}" width="{round(step * 0.8, 1)}" '
            f'height="{tall}" rx="1"><title>{escape(label)}: {_number(value)}</title></rect>'
        )
        if i % every == 0:
            parts.append(f'<text x="{x}" y="{COLUMN_AREA + 28}">{escape(label)}</text>')
    return Markup(
        f'<svg class="chart trend" role="img" viewBox="0 0 {plot + 40} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )
