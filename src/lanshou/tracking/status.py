"""Normalised tracking statuses shared by every carrier mapping."""

from __future__ import annotations

from enum import StrEnum


class TrackingStatus(StrEnum):
    INFO_RECEIVED = "info_received"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERED = "delivered"
    FAILED_ATTEMPT = "failed_attempt"
    EXCEPTION = "exception"
    RETURNING = "returning"
    RETURNED = "returned"
    REJECTED = "rejected"
    LOST = "lost"


NORMALISED = frozenset(s.value for s in TrackingStatus)


def is_carrier_scan(status: str) -> bool:
    """Every normalised status but info_received is a physical scan by the carrier."""
    return status != TrackingStatus.INFO_RECEIVED
