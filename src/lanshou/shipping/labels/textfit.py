"""Fit text into a box: wrap by measured width, shrink the size until it fits, truncate as a last resort.

Pure: the caller passes the font's width function (reportlab's pdfmetrics.stringWidth). Widths are linear in
the font size, so every token is measured once at size 1 and the shrink loop only rescales.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

WidthFn = Callable[[str], float]  # width of text at font size 1, in points

ELLIPSIS = "…"
LEADING = 1.18  # line height as a multiple of the font size; the CJK glyph box is 1 em high
# Latin words, numbers and phone numbers stay whole when they fit; everything else breaks per character.
_TOKEN = re.compile(r"[A-Za-z0-9*#@.:+\-_/()]+|\s+|.", re.S)


@dataclass(frozen=True, slots=True)
class FittedText:
    size: float
    lines: tuple[str, ...]
    truncated: bool  # True only if even the smallest size could not hold everything

    @property
    def leading(self) -> float:
        return self.size * LEADING


def _tokens(text: str, width: WidthFn) -> list[tuple[str, float]]:
    return [(t, width(t)) for t in _TOKEN.findall(text)]


def _break_long(token: str, width: WidthFn, limit: float) -> list[tuple[str, float]]:
    """A token wider than the whole line: split it per character."""
    return [(ch, width(ch)) for ch in token] if width(token) > limit else [(token, width(token))]


def wrap(text: str, width: WidthFn, max_width: float) -> list[str]:
    """Greedy line breaking at unit size: max_width is the line width divided by the font size."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for token, w in _tokens(paragraph, width):
            if token.isspace() and not line:
                continue  # no leading blanks on a wrapped line
            pieces = _break_long(token, width, max_width) if w > max_width else [(token, w)]
            for piece, pw in pieces:
                if line and used + pw > max_width:
                    lines.append(line.rstrip())
                    line, used = "", 0.0
                    if piece.isspace():
                        continue
                line += piece
                used += pw
        lines.append(line.rstrip())
    return lines


def fit(
    text: str,
    width: WidthFn,
    box_width: float,
    box_height: float,
    max_size: float,
    min_size: float,
    max_lines: int | None = None,
    em: float = 1.0,
) -> FittedText:
    """The largest size (0.5 pt steps) at which the wrapped text fits the box, else min_size truncated.

    em is the font's ascent minus descent as a multiple of the size (1.0 for WenQuanYi Zen Hei).
    """
    size = max_size
    while True:
        lines = wrap(text, width, box_width / size)
        fits_lines = max_lines is None or len(lines) <= max_lines
        if fits_lines and text_height(len(lines), size, em) <= box_height:
            return FittedText(size, tuple(lines), False)
        if size - 0.5 < min_size:
            break
        size -= 0.5
    size = min(min_size, box_height / em)  # a box lower than one line still gets one (smaller) line
    lines = wrap(text, width, box_width / size)
    room = max(int((box_height - size * em) // (size * LEADING)) + 1, 1)
    keep = min(room, max_lines) if max_lines else room
    if len(lines) <= keep:
        return FittedText(size, tuple(lines), False)
    kept = lines[:keep]
    kept[-1] = _with_ellipsis(kept[-1], width, box_width / size)
    return FittedText(size, tuple(kept), True)


def text_height(line_count: int, size: float, em: float = 1.0) -> float:
    """From the top of the first line's em box to the bottom of the last one's."""
    return size * em + (line_count - 1) * size * LEADING


def _with_ellipsis(line: str, width: WidthFn, max_width: float) -> str:
    cut = line
    while cut and width(cut + ELLIPSIS) > max_width:
        cut = cut[:-1]
    return cut + ELLIPSIS


def fit_line(text: str, width: WidthFn, box_width: float, max_size: float, min_size: float) -> FittedText:
    """One line only: shrink to fit the width, truncate with … below min_size."""
    natural = width(text)
    if natural <= 0:
        return FittedText(max_size, (text,), False)
    size = min(max_size, box_width / natural)
    if size >= min_size:
        return FittedText(size, (text,), False)
    return FittedText(min_size, (_with_ellipsis(text, width, box_width / min_size),), True)
