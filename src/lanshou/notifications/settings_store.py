"""A shop's notification settings: quiet hours, the per-buyer rate limit, channel settings (JSON per
channel kind), personalisation (high-value amount, repeat-buyer orders, buyer segments as conditions in
the rule language) and when a parcel counts as long in transit. Checked before they are stored."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from lanshou.db.bulk import upsert
from lanshou.notifications.context import Personalisation
from lanshou.notifications.model import ChannelKind
from lanshou.notifications.policy import PolicyError, QuietHours, RateLimit
from lanshou.notifications.store import NotifyInputError
from lanshou.notifications.tables import notify_settings
from lanshou.rules import RuleError, compile_condition

DEFAULT_LONG_TRANSIT_HOURS = 72


@dataclass(frozen=True)
class ShopNotifySettings:
    quiet: QuietHours | None = None
    rate: RateLimit | None = None
    channels: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    personal: Personalisation = field(default_factory=Personalisation)
    long_transit: timedelta = timedelta(hours=DEFAULT_LONG_TRANSIT_HOURS)
    segments: Mapping[str, str] = field(default_factory=dict)  # name → condition (rule language)

    def channel(self, kind: str) -> Mapping[str, Any]:
        return self.channels.get(kind, {})


def parse_quiet(text: str) -> tuple[str, str]:
    """'22:00-08:00' → ('22:00', '08:00')."""
    start, sep, end = text.replace("–", "-").partition("-")
    try:
        if not sep:
            raise ValueError
        return (
            time.fromisoformat(start.strip()).strftime("%H:%M"),
            time.fromisoformat(end.strip()).strftime("%H:%M"),
        )
    except ValueError:
        raise NotifyInputError(f"免打扰时段格式 quiet hours look like 22:00-08:00, not {text!r}") from None


_UNITS = {"m": 60, "h": 3600, "d": 86400}


def parse_rate(text: str) -> tuple[int, int]:
    """'3/24h' → (3, 86400): at most 3 messages per buyer in any 24 hours."""
    count, sep, window = text.partition("/")
    try:
        if not sep or window[-1:] not in _UNITS:
            raise ValueError
        result = int(count), int(float(window[:-1]) * _UNITS[window[-1]])
        RateLimit(result[0], timedelta(seconds=result[1]))
        return result
    except (ValueError, PolicyError):
        raise NotifyInputError(
            f"频率限制格式 rate limit looks like 3/24h (m, h or d), not {text!r}"
        ) from None


def save_settings(
    conn: Connection,
    shop_id: int,
    now: datetime,
    *,
    quiet: tuple[str, str] | bool | None = False,  # False: leave as is; None: remove
    rate: tuple[int, int] | bool | None = False,
    channels: Mapping[str, Mapping[str, Any]] | None = None,  # merged into the stored channels
    high_value: Decimal | None = None,
    repeat_after: int | None = None,
    long_transit_hours: int | None = None,
    segments: Mapping[str, str | None] | None = None,  # name → condition; None removes the segment
) -> None:
    current = conn.execute(select(notify_settings).where(notify_settings.c.shop_id == shop_id)).first()
    row: dict[str, Any] = {
        "shop_id": shop_id,
        "quiet_start": current.quiet_start if current else None,
        "quiet_end": current.quiet_end if current else None,
        "rate_max": current.rate_max if current else None,
        "rate_window_s": current.rate_window_s if current else None,
        "channels": current.channels if current else "{}",
        "high_value": current.high_value if current else None,
        "repeat_after": current.repeat_after if current else None,
        "long_transit_h": current.long_transit_h if current else None,
        "segments": current.segments if current else "{}",
        "updated_at": now,
    }
    if segments:
        row["segments"] = _merged_segments(row["segments"], segments)
    for name, value in (
        ("high_value", high_value),
        ("repeat_after", repeat_after),
        ("long_transit_h", long_transit_hours),
    ):
        if value is not None:
            if value < 0:
                raise NotifyInputError(f"{name} 不能为负 cannot be negative")
            row[name] = value
    if quiet is not False:
        row["quiet_start"], row["quiet_end"] = quiet if isinstance(quiet, tuple) else (None, None)
    if rate is not False:
        row["rate_max"], row["rate_window_s"] = rate if isinstance(rate, tuple) else (None, None)
    if channels:
        stored = json.loads(row["channels"] or "{}")
        for kind, values in channels.items():
            if kind not in {c.value for c in ChannelKind}:
                raise NotifyInputError(f"未知渠道 unknown channel {kind!r}")
            stored.setdefault(kind, {}).update(values)
        row["channels"] = json.dumps(stored, ensure_ascii=False, sort_keys=True)
    upsert(conn, notify_settings, [row], ["shop_id"], [k for k in row if k != "shop_id"])


def load_settings(conn: Connection, shop_id: int, timezone: str) -> ShopNotifySettings:
    row = conn.execute(select(notify_settings).where(notify_settings.c.shop_id == shop_id)).first()
    if row is None:
        return ShopNotifySettings()
    quiet = None
    if row.quiet_start and row.quiet_end:
        quiet = QuietHours(time.fromisoformat(row.quiet_start), time.fromisoformat(row.quiet_end), timezone)
    rate = None
    if row.rate_max and row.rate_window_s:
        rate = RateLimit(row.rate_max, timedelta(seconds=row.rate_window_s))
    defaults = Personalisation()
    personal = Personalisation(
        row.high_value if row.high_value is not None else defaults.high_value_threshold,
        row.repeat_after if row.repeat_after is not None else defaults.repeat_buyer_min_previous_orders,
    )
    long_transit = timedelta(hours=row.long_transit_h or DEFAULT_LONG_TRANSIT_HOURS)
    segments = json.loads(row.segments or "{}")
    return ShopNotifySettings(quiet, rate, json.loads(row.channels or "{}"), personal, long_transit, segments)


def _merged_segments(stored: str, changes: Mapping[str, str | None]) -> str:
    segments = json.loads(stored or "{}")
    for name, condition in changes.items():
        if not name or len(name) > 32 or not all(c.isalnum() or c in "_-" for c in name):
            raise NotifyInputError(f"分群名 a segment name is letters, digits, _ or -, not {name!r}")
        if condition is None:
            segments.pop(name, None)
            continue
        try:
            compile_condition(condition)
        except RuleError as exc:
            raise NotifyInputError(f"分群条件无效 invalid condition for segment {name!r}: {exc}") from None
        segments[name] = condition
    return json.dumps(segments, ensure_ascii=False, sort_keys=True)
