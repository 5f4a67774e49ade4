"""Raw carrier tracking codes -> normalised status, one table per code family.

Tables live in data so a new carrier mapping is a new entry, not a new branch of code.
"""

from __future__ import annotations

from lanshou.tracking.status import NORMALISED
from lanshou.tracking.status import TrackingStatus as T

# Kuaidi100 main and sub states (PLATFORMS.md). 101/102 are before pickup; 103 is the pickup scan.
KUAIDI100: dict[str, T] = {
    "1": T.PICKED_UP,
    "101": T.INFO_RECEIVED,
    "102": T.INFO_RECEIVED,
    "103": T.PICKED_UP,
    "0": T.IN_TRANSIT,
    "1001": T.IN_TRANSIT,
    "1002": T.IN_TRANSIT,
    "1003": T.IN_TRANSIT,
    "5": T.OUT_FOR_DELIVERY,
    "501": T.AVAILABLE_FOR_PICKUP,
    "3": T.DELIVERED,
    "301": T.DELIVERED,
    "302": T.DELIVERED,
    "303": T.DELIVERED,
    "304": T.DELIVERED,
    "6": T.RETURNING,
    "4": T.RETURNED,
    "401": T.RETURNED,
    "14": T.REJECTED,
    "7": T.IN_TRANSIT,
    "2": T.EXCEPTION,
    "201": T.EXCEPTION,
    "202": T.EXCEPTION,
    "203": T.REJECTED,
    "204": T.FAILED_ATTEMPT,
    "205": T.AVAILABLE_FOR_PICKUP,
    "206": T.FAILED_ATTEMPT,
    "207": T.EXCEPTION,
    "208": T.EXCEPTION,
    "209": T.EXCEPTION,
    "210": T.EXCEPTION,
    "8": T.IN_TRANSIT,
    "10": T.IN_TRANSIT,
    "11": T.IN_TRANSIT,
    "12": T.IN_TRANSIT,
    "13": T.EXCEPTION,
}

# Chinese words carriers and exports use for the same stages.
CHINESE: dict[str, T] = {
    "已下单": T.INFO_RECEIVED,
    "待揽收": T.INFO_RECEIVED,
    "揽收": T.PICKED_UP,
    "已揽收": T.PICKED_UP,
    "在途": T.IN_TRANSIT,
    "运输中": T.IN_TRANSIT,
    "派件": T.OUT_FOR_DELIVERY,
    "派送中": T.OUT_FOR_DELIVERY,
    "待取件": T.AVAILABLE_FOR_PICKUP,
    "驿站": T.AVAILABLE_FOR_PICKUP,
    "签收": T.DELIVERED,
    "已签收": T.DELIVERED,
    "疑难": T.EXCEPTION,
    "退回": T.RETURNING,
    "退回中": T.RETURNING,
    "退签": T.RETURNED,
    "拒签": T.REJECTED,
    "遗失": T.LOST,
    "丢失": T.LOST,
}

# AfterShip tags, a western vocabulary some tools export.
AFTERSHIP: dict[str, T] = {
    "pending": T.INFO_RECEIVED,
    "inforeceived": T.INFO_RECEIVED,
    "intransit": T.IN_TRANSIT,
    "outfordelivery": T.OUT_FOR_DELIVERY,
    "attemptfail": T.FAILED_ATTEMPT,
    "delivered": T.DELIVERED,
    "availableforpickup": T.AVAILABLE_FOR_PICKUP,
    "exception": T.EXCEPTION,
}

CODE_TABLES: tuple[dict[str, T], ...] = (KUAIDI100, CHINESE, AFTERSHIP)


def normalise_status(raw: str) -> str:
    """Return the normalised status for a raw code or word; ValueError when nothing knows it."""
    text = raw.strip()
    lowered = text.lower()
    if lowered in NORMALISED:
        return lowered
    for table in CODE_TABLES:
        found = table.get(text) or table.get(lowered.replace("_", ""))
        if found is not None:
            return found.value
    raise ValueError(f"unknown tracking status {raw!r}")
