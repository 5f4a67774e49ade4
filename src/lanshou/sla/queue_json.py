"""The at-risk queue as JSON: what `lanshou queue --json` prints and the API returns. Times are shown in
the caller's zone, ISO 8601 with the offset."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from lanshou.sla.queue import QueueEntry, StalledParcel
from lanshou.sla.queue_report import QueueReport


def flag(entry: QueueEntry) -> str:
    return "overdue" if entry.overdue else "at_risk" if entry.at_risk else "ok"


def local(t: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if t is None else t.replace(tzinfo=UTC).astimezone(zone)


def iso(t: datetime | None, zone: ZoneInfo) -> str | None:
    shown = local(t, zone)
    return None if shown is None else shown.isoformat(timespec="minutes")


def queue_json(report: QueueReport, zone: ZoneInfo, limit: int) -> dict[str, Any]:
    entries, stalled = report.entries, report.stalled
    return {
        "now": iso(report.now, zone),
        "timezone": zone.key,
        "within_hours": report.within_hours,
        "count": len(entries),
        "overdue": report.overdue,
        "at_risk": report.at_risk,
        "orders": [entry_json(e, zone) for e in entries[:limit]],
        "stalled": {"count": len(stalled), "parcels": [stalled_json(p, zone) for p in stalled[:limit]]},
    }


def entry_json(e: QueueEntry, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "order_no": e.order_no,
        "platform": e.platform,
        "shop": e.shop,
        "flag": flag(e),
        "hours_left": e.hours_left,
        "deadline_kind": e.deadline_kind,
        "paid_at": iso(e.paid_at, zone),
        "pickup_deadline": iso(e.pickup_deadline, zone),
        "promised_ship_by": iso(e.promised_ship_by, zone),
        "hours_to_pickup_deadline": e.hours_to_pickup_deadline,
        "hours_to_promise": e.hours_to_promise,
        "has_waybill": e.has_waybill,
        "carrier": e.carrier,
        "skus": list(e.skus),
    }


def stalled_json(p: StalledParcel, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "order_no": p.order_no,
        "platform": p.platform,
        "shop": p.shop,
        "tracking_no": p.tracking_no,
        "carrier": p.carrier,
        "last_event": iso(p.last_event, zone),
        "hours_silent": p.hours_silent,
    }
