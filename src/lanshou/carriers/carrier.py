"""One carrier: its internal code, its display names and every spelling the outside world uses for it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lanshou.carriers.text_status import DEFAULT_FAMILY, Rule


@dataclass(frozen=True, slots=True)
class Carrier:
    code: str  # internal code, lowercase: what Lanshou stores and the demo writes
    name_zh: str
    name_en: str
    names: tuple[str, ...] = ()  # Chinese names, short names and English names seen in files
    kuaidi100: tuple[str, ...] = ()  # Kuaidi100 `com` / `kuaidicom`
    kdniao: tuple[str, ...] = ()  # Kdniao ShipperCode
    cainiao: tuple[str, ...] = ()  # Cainiao `cp_code`
    text_family: str = DEFAULT_FAMILY  # which keyword table reads its tracking texts
    text_rules: tuple[Rule, ...] = ()  # this carrier's own wording, tried before the family's

    def spellings(self) -> Iterator[str]:
        yield self.code
        yield self.name_zh
        yield self.name_en
        yield from self.names
        yield from self.kuaidi100
        yield from self.kdniao
        yield from self.cainiao

    @property
    def kuaidi100_code(self) -> str:
        """The Kuaidi100 company code to send (the first listed), or "" when Kuaidi100 has none."""
        return self.kuaidi100[0] if self.kuaidi100 else ""
