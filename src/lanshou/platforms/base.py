"""What a file format adapter must provide, and the context it reads in."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Protocol

from lanshou.config import DEFAULT_TIMEZONE
from lanshou.files.tabular import FileRefused, Table
from lanshou.orders.records import OrderRecord, RowError
from lanshou.platforms.values import zone


@dataclass
class ReadContext:
    """Defaults the user gave on the command line, and each known shop's timezone."""

    shop: str | None = None
    timezone: str | None = None  # --timezone: overrides every shop's own
    shop_timezones: dict[tuple[str, str], str] = field(default_factory=dict)

    def tz_for(self, platform: str, shop: str) -> tzinfo:
        name = self.timezone or self.shop_timezones.get((platform, shop)) or DEFAULT_TIMEZONE
        return zone(name)


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
            f"{table.path.name}: missing required column(s) {', '.join(missing)}; "
            f"found: {', '.join(h for h in table.header if h) or 'none'}"
        )
    return positions


def cell(row: list[str], pos: int | None) -> str:
    if pos is None or pos >= len(row):
        return ""
    return row[pos].strip()
