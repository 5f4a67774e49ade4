"""Cell parsers shared by every reader. Each raises ValueError with a message a merchant understands."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lanshou.platforms.limits import DEFAULT

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "是", "t"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "否", "f", ""})
MISSING = frozenset({"", "-", "--", "null", "none", "nan"})
CENT = Decimal("0.01")
# no order, scan or feedback is older or newer: a time beyond would overflow the windows the metrics add
FIRST_YEAR, LAST_YEAR = 1970, 2199


def _short(text: str) -> str:
    """A cell quoted in a message: a 128 KiB cell is named by its start and length."""
    return repr(text) if len(text) <= 40 else f"{text[:30]!r}… ({len(text)} characters)"


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
    if len(text) > 40:  # no date/time is this long; the message would quote all of it
        raise ValueError(f"not a date/time: {_short(text)}")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_loose_time(text)
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:  # 0001-01-01 east of UTC cannot even be converted
        raise ValueError(f"date/time out of range: {text!r} (years {FIRST_YEAR}-{LAST_YEAR})")
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


WHOLE = re.compile(r"\+?0*(\d+)(?:\.0*)?")  # 3, +3, 003, 3.0 (a spreadsheet's float): not 1e3


def parse_whole(text: str, what: str, least: int, most: int, below: str = "") -> int:
    """A whole number written out in digits between least and most: `1e3`, `4.9`, `Infinity`, `sNaN` and
    numbers beyond the column's range are refused, never rounded or read as something else."""
    value = text.strip()
    found = WHOLE.fullmatch(value.removeprefix("-"))
    if found is None:
        try:
            Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{what} is not a number: {_short(text)}") from None
        raise ValueError(f"{what} must be a whole number written in digits: {_short(text)}")
    digits = found.group(1)
    number = int(digits) if len(digits) <= 20 else most + 1  # int() of 5,000 digits raises
    number = -number if value.startswith("-") else number
    if number < least and below:
        raise ValueError(f"{what} {below}: {_short(text)}")
    if not least <= number <= most:
        raise ValueError(f"{what} must be {least}-{most}: {_short(text)}")
    return number


@lru_cache(maxsize=1024)
def parse_quantity(text: str) -> int:
    if is_missing(text):
        raise ValueError("missing value")
    return parse_whole(text, "quantity", 1, DEFAULT.integer_max, below="must be positive")


@lru_cache(maxsize=8192)  # prices repeat across lines and orders; Decimal is immutable
def parse_money(text: str) -> Decimal | None:
    value = text.strip().replace(",", "").lstrip("¥￥$").strip()
    if value.lower() in MISSING:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not an amount: {_short(text)}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount: {_short(text)}")
    if amount < 0:
        raise ValueError(f"amount must not be negative: {_short(text)}")
    most = DEFAULT.money_max
    if amount.adjusted() >= DEFAULT.money_digits or amount.quantize(CENT) > most:  # adjusted(): no rounding
        raise ValueError(f"amount too large: {_short(text)} (at most {most})")
    cents = amount.quantize(CENT)
    return cents if cents else abs(cents)  # "-0" is 0.00: stored so, and compared so on a re-import


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
    return parse_whole(value, "rating", 1, 5)


def is_masked(text: str) -> bool:
    """Douyin sends buyer data encrypted (密文) as ##… or $$… unless the merchant decrypts it."""
    value = text.strip()
    return value.startswith(("##", "$$")) or (
        value.startswith("#") and value.endswith("#") and len(value) > 2
    )


_EMAIL = re.compile(r"[^@\s]{1,64}@(?:[^@\s.]+\.)+[^@\s.]{2,}")


def parse_email(text: str) -> str:
    """A buyer e-mail address, or "" for an empty cell; ValueError for anything that is not one (no @,
    spaces, no dot in the domain, a part too long, an encrypted 密文 value). Kept as given but for the
    domain, which is case-insensitive and stored lower-case."""
    value = text.strip()
    if not value:
        return ""
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"not an e-mail address: {value[:80]!r} / 邮箱格式不对")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


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
