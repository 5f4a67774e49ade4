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
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, select

from lanshou.db.bulk import insert_new
from lanshou.notifications.facts_store import OrderFacts, buyer_email, load_order_facts
from lanshou.notifications.model import ChannelKind, Stage
from lanshou.notifications.policy import idempotency_key
from lanshou.notifications.settings_store import load_settings
from lanshou.notifications.store import NotifyRule, rules_for
from lanshou.notifications.tables import notify_outbox
from lanshou.orders.timeline import TimelineEntry, record
from lanshou.rules import RuleError, activation, compile_condition
from lanshou.tracking.status import TrackingStatus

# Which parcel statuses are a stage the buyer hears about (in_transit alone is not news).
STAGE_OF_STATUS: dict[str, Stage] = {
    TrackingStatus.PICKED_UP: Stage.PICKED_UP,
    TrackingStatus.OUT_FOR_DELIVERY: Stage.OUT_FOR_DELIVERY,
    TrackingStatus.AVAILABLE_FOR_PICKUP: Stage.OUT_FOR_DELIVERY,
    TrackingStatus.DELIVERED: Stage.DELIVERED,
    TrackingStatus.FAILED_ATTEMPT: Stage.EXCEPTION,
    TrackingStatus.EXCEPTION: Stage.EXCEPTION,
    TrackingStatus.RETURNING: Stage.EXCEPTION,
    TrackingStatus.RETURNED: Stage.EXCEPTION,
    TrackingStatus.REJECTED: Stage.EXCEPTION,
    TrackingStatus.LOST: Stage.EXCEPTION,
}
_compiled = lru_cache(maxsize=512)(compile_condition)  # a rule's text compiles once per process
PARCEL_WIDE = "*"  # the order part of a parcel stage's key: one message per parcel, whichever order


@dataclass(frozen=True)
class Trigger:
    """An order (and, for parcel stages, one of its parcels) reached a stage."""

    shop_id: int
    order_no: str
    stage: Stage
    tracking_no: str = ""


@dataclass(frozen=True)
class Queued:
    new: int  # outbox rows inserted now
    repeated: int  # rows whose key was already there (a replayed event)
    unmatched: int  # orders no rule matched
    failures: tuple[str, ...]  # conditions that could not decide (named with the rule)


def message_key(trigger: Trigger, channel: ChannelKind) -> str:
    if trigger.tracking_no:
        return idempotency_key(
            trigger.shop_id, PARCEL_WIDE, trigger.tracking_no, trigger.stage, channel.value
        )
    return idempotency_key(trigger.shop_id, trigger.order_no, None, trigger.stage, channel.value)


def recipient_for(conn: Connection, channel: ChannelKind, order: OrderFacts, webhook_url: str) -> str:
    if channel is ChannelKind.SMS:
        return order.phone
    if channel is ChannelKind.EMAIL:
        return buyer_email(conn, order.buyer_key)
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
            chosen = _matching_rules(rules.get(trigger.shop_id, []), order, now, failures)
            if not chosen:
                unmatched += 1
            for rule in chosen:
                recipient = recipient_for(conn, rule.channel, order, webhook_url)
                rows.append(_row(trigger, rule, order, recipient, now))
    unique = list({row["idempotency_key"]: row for row in reversed(rows)}.values())[::-1]  # first wins
    new = insert_new(conn, notify_outbox, unique, ["idempotency_key"]) if unique else 0
    _record_skipped(conn, [row for row in unique if row["state"] == "skipped"], now)
    return Queued(new, len(rows) - new, unmatched, tuple(failures))


def _record_skipped(conn: Connection, rows: list[dict[str, Any]], now: datetime) -> None:
    """A message that cannot go (no address on its channel) says so in the order's timeline, once: only
    the rows this call inserted (their created_at is this call's `now`)."""
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
    record(
        conn,
        [
            TimelineEntry(
                row["shop_id"],
                row["order_no"],
                now,
                "notification_skipped",
                f"{row['stage']} via {row['channel']}, template {row['template']} ({row['language']}): "
                f"{row['last_error']}",
            )
            for row in rows
            if row["idempotency_key"] in inserted
        ],
    )


def _matching_rules(
    rules: Iterable[NotifyRule], order: OrderFacts, now: datetime, failures: list[str]
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
                condition = _compiled(rule.condition)
                if bound is None:
                    bound = activation(order.rule_order, now)
                if not condition.check(bound):
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
