"""From a stage reached to outbox rows, inside the transaction that reached it (a transactional outbox).

For each order (and parcel) that reached a stage, the shop's enabled rules for that stage are checked in
position order; the first match per channel gives one message. Its idempotency key is the stage, the
parcel (or the order, for order stages) and the channel, so INSERT … ON CONFLICT DO NOTHING keeps one
message per stage per parcel however often the event is delivered and however many processes see it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from lanshou.db.bulk import insert_new
from lanshou.notifications.conditions import bind, holds
from lanshou.notifications.facts_store import OrderFacts, load_order_facts
from lanshou.notifications.model import ChannelKind, Stage
from lanshou.notifications.policy import idempotency_key
from lanshou.notifications.settings_store import load_settings
from lanshou.notifications.store import NotifyRule, rules_for
from lanshou.notifications.tables import notify_outbox
from lanshou.orders.timeline import TimelineEntry, record
from lanshou.rules import RuleError
from lanshou.tracking.status import TrackingStatus

# Which parcel statuses are a stage the buyer hears about (in_transit alone is not news). A failed attempt,
# a return or a refusal is not here: each raises a parcel alert (lanshou.sla), and the exception stage
# follows the alerts (AlertsRaised), so the buyer hears of it once, by its alert kind. The carrier's own
# exception and lost statuses raise no alert: they are the exception stage themselves, their status
# standing for the alert kind.
STAGE_OF_STATUS: dict[str, Stage] = {
    TrackingStatus.PICKED_UP: Stage.PICKED_UP,
    TrackingStatus.OUT_FOR_DELIVERY: Stage.OUT_FOR_DELIVERY,
    TrackingStatus.AVAILABLE_FOR_PICKUP: Stage.OUT_FOR_DELIVERY,
    TrackingStatus.DELIVERED: Stage.DELIVERED,
    TrackingStatus.EXCEPTION: Stage.EXCEPTION,
    TrackingStatus.LOST: Stage.EXCEPTION,
}
PARCEL_WIDE = "*"  # the order part of a parcel stage's key: one message per parcel, whichever order


@dataclass(frozen=True)
class Trigger:
    """An order (and, for parcel stages, one of its parcels) reached a stage."""

    shop_id: int
    order_no: str
    stage: Stage
    tracking_no: str = ""
    alert_kind: str = ""  # the exception stage: which alert (or carrier status) it is
    alert_reason: str = ""  # the alert's reason, for the order's timeline


@dataclass(frozen=True)
class Queued:
    new: int  # outbox rows inserted now
    repeated: int  # rows whose key was already there (a replayed event)
    unmatched: int  # orders no rule matched
    failures: tuple[str, ...]  # conditions that could not decide (named with the rule)


def message_key(trigger: Trigger, channel: ChannelKind) -> str:
    """One message per stage per parcel and channel; on the exception stage, one per alert kind."""
    kind = trigger.alert_kind
    if trigger.tracking_no:
        return idempotency_key(
            trigger.shop_id, PARCEL_WIDE, trigger.tracking_no, trigger.stage, channel.value, kind
        )
    return idempotency_key(trigger.shop_id, trigger.order_no, None, trigger.stage, channel.value, kind)


def recipient_for(conn: Connection, channel: ChannelKind, order: OrderFacts, webhook_url: str) -> str:
    if channel is ChannelKind.SMS:
        return order.phone
    if channel is ChannelKind.EMAIL:
        return order.email
    if channel is ChannelKind.PLATFORM:
        return order.buyer_key
    return webhook_url


def queue_messages(conn: Connection, triggers: Sequence[Trigger], now: datetime) -> Queued:
    """Match rules and insert outbox rows for `triggers`, in the caller's transaction."""
    if not triggers:
        return Queued(0, 0, 0, ())
    by_stage: dict[Stage, list[Trigger]] = defaultdict(list)
    for trigger in triggers:
        by_stage[trigger.stage].append(trigger)
    rows: list[dict[str, Any]] = []
    reasons: dict[str, tuple[NotifyRule, str]] = {}
    unmatched = 0
    failures: list[str] = []
    for stage, group in by_stage.items():
        rules = rules_for(conn, {t.shop_id for t in group}, stage)
        if not rules:
            unmatched += len(group)
            continue
        orders = load_order_facts(conn, [(t.shop_id, t.order_no) for t in group if t.shop_id in rules])
        settings = {shop_id: load_settings(conn, shop_id, "UTC") for shop_id in rules}
        for trigger in sorted(group, key=lambda t: (t.shop_id, t.tracking_no, t.order_no)):
            order = orders.get((trigger.shop_id, trigger.order_no))
            if order is None:
                unmatched += 1
                continue
            shop_settings = settings[trigger.shop_id]
            order = order.with_segments(shop_settings.segments, now)
            webhook_url = str(shop_settings.channel("webhook").get("url", ""))
            chosen = _matching_rules(rules.get(trigger.shop_id, []), order, trigger, now, failures)
            if not chosen:
                unmatched += 1
            for rule in chosen:
                recipient = recipient_for(conn, rule.channel, order, webhook_url)
                rows.append(_row(trigger, rule, order, recipient, now))
                reasons.setdefault(rows[-1]["idempotency_key"], (rule, trigger.alert_reason))  # first wins
    unique = list({row["idempotency_key"]: row for row in reversed(rows)}.values())[::-1]  # first wins
    new = insert_new(conn, notify_outbox, unique, ["idempotency_key"]) if unique else 0
    _record_new(conn, [row for row in unique if row["state"] == "skipped" or row["alert_kind"]], reasons, now)
    return Queued(new, len(rows) - new, unmatched, tuple(failures))


def _record_new(
    conn: Connection,
    rows: list[dict[str, Any]],
    reasons: dict[str, tuple[NotifyRule, str]],
    now: datetime,
) -> None:
    """In the order's timeline, once (only the rows this call inserted: their created_at is this call's
    `now`): a message that cannot go (no address on its channel), and a message an alert queued, with the
    alert and the rule that fired."""
    if not rows:
        return
    o = notify_outbox.c
    keys = [row["idempotency_key"] for row in rows]
    inserted = {
        r.idempotency_key
        for r in conn.execute(
            select(o.idempotency_key).where(o.idempotency_key.in_(keys), o.created_at == now)
        )
    }
    entries = []
    for row in rows:
        if row["idempotency_key"] not in inserted:
            continue
        rule, alert_reason = reasons[row["idempotency_key"]]
        stage = f"{row['stage']}/{row['alert_kind']}" if row["alert_kind"] else row["stage"]
        what = f"{stage} via {row['channel']}, template {row['template']} ({row['language']})"
        if row["state"] == "skipped":
            entries.append(_entry(row, now, "notification_skipped", f"{what}: {row['last_error']}"))
            continue
        why = f"rule {rule.name!r} (#{rule.id})" + (f" on [{row['tracking_no']}] {alert_reason}")
        entries.append(_entry(row, now, "notification_queued", f"{what}: {why}"[:2000]))
    record(conn, entries)


def _entry(row: dict[str, Any], now: datetime, kind: str, detail: str) -> TimelineEntry:
    return TimelineEntry(row["shop_id"], row["order_no"], now, kind, detail)


def _matching_rules(
    rules: Iterable[NotifyRule], order: OrderFacts, trigger: Trigger, now: datetime, failures: list[str]
) -> list[NotifyRule]:
    """The first matching rule per channel, in position order. A condition that cannot decide for this
    order (a fact it reads is unknown) counts as no match and is reported."""
    chosen: dict[ChannelKind, NotifyRule] = {}
    bound: Any = None
    for rule in rules:
        if rule.channel in chosen:
            continue
        if rule.condition:
            try:
                if bound is None:
                    bound = bind(order.rule_order, trigger.alert_kind, now)
                if not holds(rule.condition, bound):
                    continue
            except RuleError as exc:
                failures.append(f"{rule.name}: {exc}")
                continue
        chosen[rule.channel] = rule
    return list(chosen.values())


def _row(
    trigger: Trigger, rule: NotifyRule, order: OrderFacts, recipient: str, now: datetime
) -> dict[str, Any]:
    return {
        "idempotency_key": message_key(trigger, rule.channel),
        "shop_id": trigger.shop_id,
        "order_no": trigger.order_no,
        "tracking_no": trigger.tracking_no,
        "stage": trigger.stage.value,
        "alert_kind": trigger.alert_kind,
        "channel": rule.channel.value,
        "rule_id": rule.id,
        "template": rule.template,
        "language": rule.language,
        "buyer_key": order.buyer_key,
        "recipient": recipient,
        "state": "pending" if recipient else "skipped",
        "attempts": 0,
        "next_attempt_at": now if recipient else None,
        "last_error": ""
        if recipient
        else "no_recipient: 没有收件人 the buyer has no address on this channel",
        "provider_id": "",
        "created_at": now,
        "updated_at": now,
    }
