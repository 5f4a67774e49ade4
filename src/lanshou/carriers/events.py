"""A tracking event as a carrier connector hands it over, before it is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lanshou.tracking.status import TrackingStatus


@dataclass(frozen=True, slots=True)
class TrackEvent:
    tracking_no: str
    carrier: str  # internal carrier code, or the provider's code as written when unknown
    time: datetime  # timezone-aware
    status: TrackingStatus | None  # None: nothing knew the code or text; not a carrier scan
    raw_status: str  # the provider's code or state name as sent ("" when it sent only text)
    text: str  # the event's own words, kept whatever the status
    location: str = ""
