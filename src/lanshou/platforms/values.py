"""Cell parsers shared by every reader. Each raises ValueError with a message a merchant understands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "是", "t"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "否", "f", ""})
MISSING = frozenset({"", "-", "--", "null", "none", "nan"})


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {name!r}") from None


def clean_id(text: str) -> str:
    """Undo spreadsheet protection of long ids: ="123", leading ', leading TAB."""
    if text and text[0] not in "=' \t" and text[-1] not in " \t":  # the common case, already clean
        return text
    value = text.strip().lstrip("\t'").strip()
    if value.startswith('="') and value.endswith('"'):
        value = value[2:-1]
    elif value.startswith("=") and value[1:].isdigit():
        value = value[1:]
    return value.strip()


def is_missing(text: str) -> bool:
    return text.strip().lower() in MISSING


def parse_time(text: str, tz: tzinfo) -> datetime:
    """A time in the file -> naive UTC. Naive times are the shop's local time (fold=0 on DST gaps)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_loose_time(text)
    if parsed.tzinfo is None:
        # zoneinfo reads a naive local time with fold=0, also inside DST gaps and overlaps
        offset = tz.utcoffset(parsed)
        return parsed - offset if offset else parsed
    return parsed.astimezone(UTC).replace(tzinfo=None)


def _parse_loose_time(text: str) -> datetime:
    value = text.strip().replace("/", "-")
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a date/time: {text!r} (expected YYYY-MM-DD HH:MM:SS)") from None


@lru_cache(maxsize=1024)
def parse_quantity(text: str) -> int:
    value = text.strip()
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"quantity is not a number: {text!r}") from None
    if number != number.to_integral_value():
        raise ValueError(f"quantity must be a whole number: {text!r}")
    if number <= 0:
        raise ValueError(f"quantity must be positive: {text!r}")
    return int(number)


@lru_cache(maxsize=8192)  # prices repeat across lines and orders; Decimal is immutable
def parse_money(text: str) -> Decimal | None:
    value = text.strip().replace(",", "").lstrip("¥￥$").strip()
    if value.lower() in MISSING:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    if amount < 0:
        raise ValueError(f"amount must not be negative: {text!r}")
    return amount.quantize(Decimal("0.01"))


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError(f"not a yes/no value: {text!r} (expected 1/0, true/false, 是/否)")


def parse_rating(text: str) -> int | None:
    value = text.strip()
    if value.lower() in MISSING:
        return None
    try:
        rating = int(Decimal(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"rating is not a number: {text!r}") from None
    if not 1 <= rating <= 5:
        raise ValueError(f"rating must be 1-5: {text!r}")
    return rating


def is_masked(text: str) -> bool:
    """Douyin sends buyer data encrypted (密文) as ##… or $$… unless the merchant decrypts it."""
    value = text.strip()
    return value.startswith(("##", "$$")) or (
        value.startswith("#") and value.endswith("#") and len(value) > 2
    )


class CellError(ValueError):
    """A cell that cannot be read: the row is rejected naming this column."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


T = TypeVar("T")


def check(text: str, column: str, parse: Callable[[str], T]) -> T:
    try:
        return parse(text)
    except ValueError as exc:
        raise CellError(column, cell_reason(column, exc)) from None


def cell_reason(column: str, exc: ValueError) -> str:
    return f"missing {column}" if str(exc) == "missing value" else str(exc)


def check_time(text: str, column: str, tz: tzinfo) -> datetime | None:
    if not text:
        return None
    try:
        return parse_time(text, tz)
    except ValueError as exc:
        if text.lower() in MISSING:  # checked only after a failure: "-", "null"… are rare
            return None
        raise CellError(column, str(exc)) from None
