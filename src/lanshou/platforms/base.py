"""What a file format adapter must provide, and the context it reads in."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Protocol

from lanshou.config import DEFAULT_TIMEZONE
from lanshou.files.tabular import FileRefused, Table
from lanshou.orders.records import OrderRecord, RowError
from lanshou.platforms.limits import DEFAULT, Limits
from lanshou.platforms.values import CellError, zone


@dataclass
class ReadContext:
    """Defaults the user gave on the command line, and each known shop's timezone."""

    shop: str | None = None
    timezone: str | None = None  # --timezone: overrides every shop's own
    shop_timezones: dict[tuple[str, str], str] = field(default_factory=dict)
    limits: Limits = DEFAULT  # what the columns hold (the import passes lanshou.intake.limits.from_tables())
    known_shops_only: bool = False  # feedback: a shop not in shop_timezones rejects its row
    # set by an orders reader once it has seen the header: the OrderRecord fields the file has no column
    # for, which an update must keep as stored (lanshou.orders.rows.kept_fields)
    absent: frozenset[str] = frozenset()

    def known_shop(self, platform: str, shop: str) -> None:
        """ValueError for a shop this import may not create (feedback never creates one)."""
        if self.known_shops_only and (platform, shop) not in self.shop_timezones:
            known = sorted(name for p, name in self.shop_timezones if p == platform)
            raise ValueError(
                f"unknown shop {shop!r} on {platform} / 没有这个店铺 (known: {', '.join(known) or 'none'}); "
                "feedback never creates a shop: import the shop's orders first"
            )

    def tz_for(self, platform: str, shop: str) -> tzinfo:
        """The shop's stored timezone; --timezone for a shop not stored yet. A --timezone other than the
        stored one rejects the row: reading the file in it would move every stored time of the shop."""
        stored = self.shop_timezones.get((platform, shop))
        if self.timezone and stored and stored != self.timezone:
            raise CellError("shop", moved_timezone(shop, stored, self.timezone))
        return zone(stored or self.timezone or DEFAULT_TIMEZONE)


def moved_timezone(shop: str, stored: str, wanted: str) -> str:
    return (
        f"shop {shop!r} keeps its times in {stored}, not {wanted} / 店铺时区不同: change the shop with "
        f"`lanshou shops set {shop} --timezone {wanted}`, or import without --timezone"
    )


class OrderFormat(Protocol):
    name: str

    def read(self, table: Table, ctx: ReadContext) -> Iterator[OrderRecord | RowError]:
        """Yield one record per order (or order line; the store merges records of one order)."""
        ...


FORMATS: dict[str, Callable[[], OrderFormat]] = {}


def register(name: str) -> Callable[[Callable[[], OrderFormat]], Callable[[], OrderFormat]]:
    def add(factory: Callable[[], OrderFormat]) -> Callable[[], OrderFormat]:
        FORMATS[name] = factory
        return factory

    return add


def format_names() -> list[str]:
    """Every registered `--format`, generic first (what a user reaches for when unsure)."""
    from lanshou.platforms.registry import load_platforms

    load_platforms()
    return sorted(FORMATS, key=lambda name: (name != "generic", name))


def require_columns(
    table: Table, required: Sequence[str], aliases: dict[str, Sequence[str]] | None = None
) -> dict[str, int]:
    """Map canonical column names to positions; refuse the whole file naming any missing required column."""
    index = table.column_index()
    positions: dict[str, int] = {}
    for name, pos in index.items():
        positions.setdefault(name, pos)
    for canonical, names in (aliases or {}).items():
        for alias in names:
            if alias in index and canonical not in positions:
                positions[canonical] = index[alias]
    missing = [name for name in required if name not in positions]
    if missing:
        raise FileRefused(
            f"{table.name}: missing required column(s) {', '.join(missing)}; "
            f"found: {', '.join(h for h in table.header if h) or 'none'}"
        )
    return positions


def cell(row: list[str], pos: int | None) -> str:
    if pos is None or pos >= len(row):
        return ""
    return row[pos].strip()
