"""A raw tracking status from a file -> normalised status, through the provider tables and text inference.

Tracking files write Kuaidi100 codes ("103"), Kuaidi100 state names ("揽收"), AfterShip tags
("InTransit"), our own names ("in_transit") or a carrier's event text ("快件已被菜鸟驿站代收").
"""

from __future__ import annotations

from functools import lru_cache

from lanshou.carriers.aftership import aftership_status
from lanshou.carriers.kuaidi100.states import KUAIDI100
from lanshou.carriers.registry import text_reading
from lanshou.tracking.status import NORMALISED, TrackingStatus


@lru_cache(maxsize=1 << 16)  # files repeat their codes and words; a cached read keeps imports fast
def status_of(raw: str, carrier: str = "") -> TrackingStatus | None:
    """The normalised status a raw code, tag, name or event text means, or None when nothing knows it.

    `carrier` (any spelling) picks the keyword family its texts are read with.
    """
    text = raw.strip()
    lowered = text.lower()
    if lowered in NORMALISED:
        return TrackingStatus(lowered)
    found = aftership_status(text)
    if found is not None:
        return found
    family, overrides = text_reading(carrier)
    return KUAIDI100.event_status(text, text, family, overrides)


def normalise_status(raw: str, carrier: str = "") -> str:
    """The normalised status value for a raw status; ValueError when nothing knows it."""
    found = status_of(raw, carrier)
    if found is None:
        raise ValueError(f"unknown tracking status {raw!r}")
    return found.value
