"""Carrier pushes, HTTP-free: what a push stores and the generic JSON push's reading. Pushes are kept raw
on arrival and ingested later in batches (lanshou.tracking.inbox).

Configuration (environment):
- LANSHOU_KUAIDI100_SALT: the `salt` given when subscribing; Kuaidi100 signs each push with it
  (sign = UPPER(MD5(param + salt))). Unset: every Kuaidi100 push is refused.
- LANSHOU_TRACKING_PUSH_SECRET: the shared secret of the generic JSON push (HMAC-SHA256, the same scheme
  as Lanshou's outgoing webhooks: `X-Lanshou-Timestamp` + `X-Lanshou-Signature: sha256=<hex of
  HMAC(secret, timestamp + "." + raw body)>`, within 5 minutes). Unset: every generic push is refused.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, update

from lanshou.carriers.codes import status_of
from lanshou.carriers.events import TrackEvent
from lanshou.carriers.kuaidi100.push import PushOutcome
from lanshou.carriers.registry import carrier_code
from lanshou.config import DEFAULT_TIMEZONE
from lanshou.db.bulk import upsert
from lanshou.events import EventBus
from lanshou.tracking.record import record_events
from lanshou.tracking.tables import parcels, tracking_subscriptions

SALT_ENV = "LANSHOU_KUAIDI100_SALT"
SECRET_ENV = "LANSHOU_TRACKING_PUSH_SECRET"
MAX_EVENTS = 1000  # per generic push
SUBSCRIPTION_COLUMNS = (
    "tracking_no",
    "carrier",
    "provider",
    "state",
    "message",
    "resubscribe_at",
    "updated_at",
)
log = logging.getLogger("lanshou.tracking.push")


@dataclass(frozen=True)
class PushConfig:
    kuaidi100_salt: str = ""
    generic_secret: str = ""

    @classmethod
    def from_environment(cls) -> PushConfig:
        return cls(os.environ.get(SALT_ENV, ""), os.environ.get(SECRET_ENV, ""))


class PushRejected(ValueError):
    """The whole push is unreadable (not JSON, wrong shape): nothing of it is stored."""


def _clean(value: object, limit: int) -> str:
    """Provider text as a column takes it: a string, no NUL (PostgreSQL refuses it), at most `limit`."""
    text = value if isinstance(value, str) else "" if value is None else str(value)
    if len(text) <= limit and "\x00" not in text:  # nearly always: nothing to do
        return text
    return text.replace("\x00", "")[:limit]


def event_row(event: TrackEvent) -> dict[str, Any]:
    return {
        "tracking_no": event.tracking_no,
        "carrier": _clean(event.carrier, 64),
        "event_time": event.time.astimezone(UTC).replace(tzinfo=None),
        "status": event.status.value if event.status else None,
        "raw_status": _clean(event.raw_status, 64),
        "location": _clean(event.location, 200),
        "description": _clean(event.text, 4000),
    }


@dataclass
class PushJob:
    """What one push stores: its events and, for Kuaidi100, its word on the subscription."""

    rows: list[dict[str, Any]]
    subscription: dict[str, Any] | None = None
    corrected_carrier: tuple[str, str] | None = None  # (tracking_no, carrier) when Kuaidi100 corrected it


def store_jobs(conn: Connection, jobs: Sequence[PushJob], events: EventBus, now: datetime) -> int:
    """Every job's events in one record_events call, their subscriptions in one upsert; returns how many
    events were new."""
    rows = [row for job in jobs for row in job.rows]
    new = record_events(conn, rows, events, now).new if rows else 0
    watched = {job.subscription["tracking_no"]: job.subscription for job in jobs if job.subscription}
    if watched:
        columns = list(SUBSCRIPTION_COLUMNS)
        upsert(conn, tracking_subscriptions, list(watched.values()), columns[:1], columns[1:])
    for job in jobs:
        if job.corrected_carrier is not None:
            number, carrier = job.corrected_carrier
            conn.execute(update(parcels).where(parcels.c.tracking_no == number).values(carrier=carrier))
    return new


def kuaidi100_job(outcome: PushOutcome, now: datetime) -> PushJob:
    """An accepted Kuaidi100 push: its events (full history; repeats are ignored when stored), the
    monitoring state (abort → subscribe again later; shutdown → finished) and any carrier correction."""
    valid = [e for e in outcome.events if e.tracking_no and len(e.tracking_no) <= 64]
    resubscribe = now + outcome.resubscribe_after if outcome.resubscribe_after is not None else None
    subscription = None
    if outcome.tracking_no and len(outcome.tracking_no) <= 64:
        subscription = {
            "tracking_no": outcome.tracking_no,
            "carrier": _clean(outcome.carrier, 64),
            "provider": "kuaidi100",
            "state": _clean(outcome.monitoring or "polling", 20),
            "message": _clean(outcome.message, 1000),
            "resubscribe_at": resubscribe,
            "updated_at": now,
        }
    corrected = (outcome.tracking_no, outcome.carrier) if outcome.corrected_from and subscription else None
    return PushJob([event_row(e) for e in valid], subscription, corrected)


@dataclass
class GenericPush:
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {"index", "error"}


def _event_time(value: object, tz: ZoneInfo) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("缺少时间 missing event_time")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"时间无法识别 event_time is not ISO 8601: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC).replace(tzinfo=None)


def _generic_row(item: object, tz: ZoneInfo) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise ValueError("不是 JSON 对象 not a JSON object")
    number = _clean(item.get("tracking_no"), 1000).strip()
    if not number:
        raise ValueError("缺少运单号 missing tracking_no")
    if len(number) > 64:
        raise ValueError("运单号过长 tracking_no longer than 64 characters")
    raw_carrier = _clean(item.get("carrier"), 64).strip()
    raw_status = _clean(item.get("status"), 64).strip()
    text = _clean(item.get("description"), 4000).strip()
    status = status_of(raw_status, raw_carrier) if raw_status else None
    if status is None and text:  # no code, or one nothing knows: read the event's own words
        status = status_of(text, raw_carrier)
    return {
        "tracking_no": number,
        "carrier": carrier_code(raw_carrier) if raw_carrier else "",
        "event_time": _event_time(item.get("event_time"), tz),
        "status": status.value if status else None,
        "raw_status": raw_status,
        "location": _clean(item.get("location"), 200).strip(),
        "description": text,
    }


def read_generic_push(document: object, timezone: str = DEFAULT_TIMEZONE) -> GenericPush:
    """`{"events": [{carrier, tracking_no, event_time, status, location, description}, ...]}` (or the bare
    list). Each bad event is rejected with its index and reason; the good ones are kept."""
    items = document.get("events") if isinstance(document, Mapping) else document
    if not isinstance(items, list):
        raise PushRejected('需要 events 列表 expected {"events": [...]} or a JSON list of events')
    if len(items) > MAX_EVENTS:
        raise PushRejected(f"事件过多 at most {MAX_EVENTS} events per push, got {len(items)}")
    tz = ZoneInfo(timezone)
    push = GenericPush()
    for index, item in enumerate(items):
        try:
            push.rows.append(_generic_row(item, tz))
        except ValueError as exc:
            push.rejected.append({"index": index, "error": str(exc)})
    return push
