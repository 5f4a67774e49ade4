"""What the metrics engine knows about an order: plain, immutable, I/O-free.

All datetimes are naive UTC. Adapters (db/metrics_source.py) build these from the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


class EventFact(NamedTuple):
    """A named tuple, not a frozen dataclass: a derivation builds one per stored event (~10 a parcel), and a
    frozen dataclass's __init__ costs three times as much."""

    time: datetime
    status: str  # normalised tracking status (lanshou.tracking.status)


@dataclass(frozen=True, slots=True)
class ParcelFact:
    tracking_no: str
    carrier: str
    shipped_at: datetime | None  # when the merchant marked it shipped / printed the waybill
    events: tuple[EventFact, ...] = ()  # sorted by time
    province: str = ""  # destination province (copied from the order)


@dataclass(frozen=True, slots=True)
class FeedbackFact:
    created_at: datetime
    rating: int | None  # 1–5, None for a complaint without rating
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderFact:
    platform: str
    shop: str
    order_no: str
    status: str  # lanshou.orders.status.OrderStatus value
    created_at: datetime
    paid_at: datetime | None
    is_presale: bool = False
    promised_ship_by: datetime | None = None
    province: str = ""
    categories: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    warehouse: str = ""
    parcels: tuple[ParcelFact, ...] = ()
    feedback: tuple[FeedbackFact, ...] = ()
    # kinds of entries in the order's timeline that explain delays, e.g. "held_for_review", "out_of_stock"
    timeline_kinds: frozenset[str] = field(default_factory=frozenset)
