"""Every carrier spelling -> one internal carrier code, through one table built from `carriers.companies`.

A new carrier is one module in `companies/` defining `CARRIER`; nothing here names a carrier.
"""

from __future__ import annotations

import importlib
import pkgutil
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from types import ModuleType
from typing import NamedTuple

from lanshou.carriers import companies
from lanshou.carriers.carrier import Carrier
from lanshou.carriers.text_status import DEFAULT_FAMILY, Rule


def spelling_key(raw: str) -> str:
    """Case, width and whitespace do not make a different carrier: "ＳＦ ", "sf" and "S F" are one key."""
    return "".join(unicodedata.normalize("NFKC", raw).casefold().split())


class CarrierRegistry:
    def __init__(self, carriers: Iterable[Carrier]) -> None:
        self.carriers: tuple[Carrier, ...] = tuple(sorted(carriers, key=lambda c: c.code))
        self._by_key: dict[str, Carrier] = {}
        for carrier in self.carriers:
            if carrier.code != carrier.code.strip().lower() or not carrier.code:
                raise ValueError(f"carrier code {carrier.code!r} must be lowercase, non-empty, unpadded")
            for spelling in carrier.spellings():
                self._add(spelling_key(spelling), carrier)

    def _add(self, key: str, carrier: Carrier) -> None:
        if not key:
            return
        held = self._by_key.setdefault(key, carrier)
        if held is not carrier:
            raise ValueError(f"carrier spelling {key!r} claimed by both {held.code!r} and {carrier.code!r}")

    def identify(self, raw: str) -> Carrier | None:
        return self._by_key.get(spelling_key(raw))

    def carrier_code(self, raw: str) -> str:
        carrier = self.identify(raw)
        return carrier.code if carrier else raw.strip()


def discover(package: ModuleType = companies) -> list[Carrier]:
    """Every `CARRIER` defined by a module of the package."""
    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        carrier = getattr(module, "CARRIER", None)
        if not isinstance(carrier, Carrier):
            raise TypeError(f"{module.__name__} must define CARRIER = Carrier(...)")
        found.append(carrier)
    return found


@lru_cache(maxsize=1)
def registry() -> CarrierRegistry:
    return CarrierRegistry(discover())


def identify(raw: str) -> Carrier | None:
    """The carrier a name, short name or provider code means (case/space-insensitive), or None."""
    return registry().identify(raw)


def carrier_code(raw: str) -> str:
    """The internal carrier code, or the raw text stripped when no carrier claims it."""
    return registry().carrier_code(raw)


class TextReading(NamedTuple):
    family: str
    overrides: tuple[Rule, ...]


@lru_cache(maxsize=1024)  # called per tracking row; carriers are few and their table never changes
def text_reading(raw_carrier: str) -> TextReading:
    """How a carrier's tracking texts are read: its keyword family and own rules (express if unknown)."""
    carrier = identify(raw_carrier) if raw_carrier else None
    if carrier is None:
        return TextReading(DEFAULT_FAMILY, ())
    return TextReading(carrier.text_family, carrier.text_rules)


class CarrierNames:
    """Resolves the carrier spellings of one import and counts the unknown ones, to report each once."""

    def __init__(self, table: CarrierRegistry | None = None) -> None:
        self._table = table or registry()
        self.unknown: Counter[str] = Counter()

    def code(self, raw: str) -> str:
        text = raw.strip()
        carrier = self._table.identify(text)
        if carrier is not None:
            return carrier.code
        if text:
            self.unknown[text] += 1
        return text

    def summary(self) -> list[str]:
        """One line per unknown carrier, most frequent first: "未知快递公司 unknown carrier: 'X' (3 rows)"."""
        return [
            f"未知快递公司 unknown carrier: {name!r} ({count} 行 rows, kept as written)"
            for name, count in self.unknown.most_common()
        ]
