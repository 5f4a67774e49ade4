"""AfterShip tags and sub-statuses (a western vocabulary some tools export), PLATFORMS.md.

A sub-status the table does not list ("InTransit_004") reads as its tag ("InTransit").
"""

from __future__ import annotations

from lanshou.carriers.code_table import CodeTable, State
from lanshou.tracking.status import TrackingStatus as T

AFTERSHIP = CodeTable(
    "aftership",
    [
        State("Pending", "Pending", T.INFO_RECEIVED),  # added, nothing scanned yet
        State("InfoReceived", "InfoReceived", T.INFO_RECEIVED),
        State("InTransit", "InTransit", T.IN_TRANSIT),
        State("OutForDelivery", "OutForDelivery", T.OUT_FOR_DELIVERY),
        State("AttemptFail", "AttemptFail", T.FAILED_ATTEMPT),
        State("Delivered", "Delivered", T.DELIVERED),
        State("AvailableForPickup", "AvailableForPickup", T.AVAILABLE_FOR_PICKUP),
        State("Exception", "Exception", T.EXCEPTION),
        # "no information for 30 days": not a scan, and no moment a parcel was seen
        State("Expired", "Expired", None),
        State("Exception_003", "customer refused", T.REJECTED, "Exception"),
        State("Exception_011", "returned to sender", T.RETURNED, "Exception"),
        State("Exception_012", "damaged", T.EXCEPTION, "Exception"),
        State("Exception_013", "lost", T.LOST, "Exception"),
    ],
)


def aftership_status(raw: str) -> T | None:
    """The status of an AfterShip tag or sub-status, case-insensitive; a sub-status falls back to its tag."""
    state = AFTERSHIP.lookup(raw) or AFTERSHIP.lookup(raw.strip().split("_", 1)[0])
    return state.status if state else None
