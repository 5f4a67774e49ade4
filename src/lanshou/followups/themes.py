"""Shipping problems recognised in feedback text by configurable keyword rules, in Chinese and English,
with negation: a keyword whose clause says 不/没/not just before it (past a few fillers such as 很, 太,
"too") does not count, so 不慢 is not 慢 and "not slow at all" is not slow. Pure: the rules are data."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

CLAUSE = re.compile(r"[，,。.!！?？;；、\n~～]|但是|可是|不过|\bbut\b|\bhowever\b", re.IGNORECASE)
ENV = "LANSHOU_FEEDBACK_KEYWORDS"


@dataclass(frozen=True)
class KeywordRules:
    themes: tuple[tuple[str, tuple[str, ...]], ...]  # (tag, keywords), in file order
    negators: tuple[str, ...]
    not_negators: tuple[str, ...]
    fillers: tuple[str, ...]
    window: int = 4


def _is_ascii(text: str) -> bool:
    return text.isascii()


def rules_from(data: Mapping[str, Any]) -> KeywordRules:
    """Rules from a parsed TOML document; a bad shape is refused naming the key."""
    themes = data.get("themes")
    if not isinstance(themes, Mapping) or not themes:
        raise ValueError("feedback keywords: [themes.<tag>] tables with keywords = [...] are required")
    parsed = []
    for tag, body in themes.items():
        given = body.get("keywords") if isinstance(body, Mapping) else None
        if (
            not isinstance(given, list)
            or not given
            or not all(isinstance(w, str) and w.strip() for w in given)
        ):
            raise ValueError(f"feedback keywords: themes.{tag}.keywords must be a list of words")
        parsed.append((str(tag), tuple(w.strip().lower() for w in given)))

    def words(key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
            raise ValueError(f"feedback keywords: {key} must be a list of words")
        return tuple(sorted((w.lower() for w in value), key=len, reverse=True))  # longest first

    window = data.get("window", 4)
    if not isinstance(window, int) or window < 1:
        raise ValueError("feedback keywords: window must be a whole number ≥ 1")
    return KeywordRules(tuple(parsed), words("negators"), words("not_negators"), words("fillers"), window)


@cache
def default_rules() -> KeywordRules:
    """The packaged rules, or the file LANSHOU_FEEDBACK_KEYWORDS names."""
    override = os.environ.get(ENV)
    text = (
        Path(override).read_text(encoding="utf-8")
        if override
        else resources.files("lanshou.followups").joinpath("keywords.toml").read_text(encoding="utf-8")
    )
    return rules_from(tomllib.loads(text))


def _ends_with_word(text: str, word: str) -> bool:
    """`text` ends with `word`; an English word must start at a word boundary (no "casino" for "no")."""
    if not text.endswith(word):
        return False
    if not _is_ascii(word) or word.startswith("n'"):
        return True
    before = text[: -len(word)]
    return not before or not before[-1].isalnum()


def _context(clause: str, start: int, keyword: str, window: int) -> str:
    """The part of the clause just before a keyword: `window` characters, or words for English."""
    head = clause[:start].rstrip()
    if _is_ascii(keyword):
        return " ".join(head.split()[-window:])
    return head[-window - 2 :]  # room for a two-character negator behind a filler


def negated(context: str, rules: KeywordRules) -> bool:
    text = context.rstrip()
    for _ in range(3):  # peel fillers: 不是很慢 → 不是, "not too slow" → not
        if any(_ends_with_word(text, word) for word in rules.not_negators):
            return False
        if any(_ends_with_word(text, word) for word in rules.negators):
            return True
        filler = next((w for w in rules.fillers if _ends_with_word(text, w)), None)
        if filler is None:
            return False
        text = text[: -len(filler)].rstrip()
    return False


def _matches(clause: str, keyword: str) -> Iterable[int]:
    if _is_ascii(keyword):
        for found in re.finditer(rf"(?<![a-z]){re.escape(keyword)}(?![a-z])", clause):
            yield found.start()
        return
    start = clause.find(keyword)
    while start >= 0:
        yield start
        start = clause.find(keyword, start + 1)


def recognise(text: str, rules: KeywordRules | None = None) -> tuple[str, ...]:
    """The themes (tags) the text names and does not deny, in the rules' order."""
    rules = rules or default_rules()
    clauses = [c for c in CLAUSE.split(text.lower()) if c and c.strip()]
    found: list[str] = []
    for tag, keywords in rules.themes:
        if any(
            not negated(_context(clause, start, keyword, rules.window), rules)
            for clause in clauses
            for keyword in keywords
            for start in _matches(clause, keyword)
        ):
            found.append(tag)
    return tuple(found)


def is_negative(rating: int | None, themes: Iterable[str]) -> bool:
    """Worth a follow-up: a low rating (1–2), or a shipping problem named without a good rating (4–5)."""
    if rating is not None and rating <= 2:
        return True
    return bool(tuple(themes)) and (rating is None or rating <= 3)
