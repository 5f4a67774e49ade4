"""Sending what is due from the outbox: claim, decide (opt-out, quiet hours, rate limit), render, send,
record. Safe with any number of workers: a row is claimed by one conditional UPDATE (due state → sending)
that only one transaction can win, and the network call happens after the claim has committed.

Each outcome lands in the order's timeline (notification_sent / notification_failed /
notification_skipped) in the same transaction as the row's new state. A row whose worker died while
sending is claimed again after STALE_SENDING: at-least-once then, with the message's idempotency key
passed on to the provider (webhook header, SMS session context) so a receiver can tell.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, or_, select, update

from lanshou.db.engine import lock_exclusively, run_transaction
from lanshou.events import OrderKey
from lanshou.notifications.channel_setup import ChannelFactory, build_channel, sms_template_id
from lanshou.notifications.channels.base import Channel, ChannelConfigError, MessageRejected
from lanshou.notifications.compose import TemplateSet, compose_message, default_template_set, template_set
from lanshou.notifications.context import build_context
from lanshou.notifications.facts_store import (
    OrderFacts,
    load_order_facts,
    parcel_news,
    problem_of,
    problem_text,
)
from lanshou.notifications.model import ChannelKind, DeliveryResult, Message, Outcome, Stage, results_for_all
from lanshou.notifications.policy import (
    MessageState,
    Reason,
    RetryPolicy,
    SendChecks,
    Transition,
    after_delivery,
    is_opted_out,
    plan_send,
)
from lanshou.notifications.settings_store import ShopNotifySettings, load_settings
from lanshou.notifications.store import optouts_of, template_overrides
from lanshou.notifications.tables import notify_outbox
from lanshou.notifications.templates import TemplateError
from lanshou.orders.timeline import TimelineEntry, record
from lanshou.shops.tables import shops
from lanshou.tracking.tables import parcels

DUE_STATES = ("pending", "held_quiet", "rate_limited")
STALE_SENDING = timedelta(minutes=15)
BATCH = 200
o = notify_outbox.c


@dataclass
class SendReport:
    sent: int = 0
    held: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    lost_claims: int = 0  # rows another worker took first
    states: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        names = ("sent", "held", "retrying", "failed", "skipped", "lost_claims")
        return {n: getattr(self, n) for n in names}


def due_ids(conn: Connection, now: datetime, limit: int = BATCH) -> list[int]:
    query = (
        select(o.id)
        .where(
            or_(
                and_(o.state.in_(DUE_STATES), o.next_attempt_at <= now),
                and_(o.state == "sending", o.claimed_at < now - STALE_SENDING),
            )
        )
        .order_by(o.next_attempt_at, o.id)
        .limit(limit)
    )
    return [r.id for r in conn.execute(query)]


def claim(engine: Engine, outbox_id: int, now: datetime) -> bool:
    """Take one due row for this worker; False when another worker took it (or it is no longer due)."""
    with engine.begin() as conn:
        changed = conn.execute(
            update(notify_outbox)
            .where(
                o.id == outbox_id,
                or_(
                    and_(o.state.in_(DUE_STATES), o.next_attempt_at <= now),
                    and_(o.state == "sending", o.claimed_at < now - STALE_SENDING),
                ),
            )
            .values(state="sending", claimed_at=now, updated_at=now)
        ).rowcount
    return changed == 1


def send_due(
    engine: Engine,
    now: datetime,
    *,
    factory: ChannelFactory = build_channel,
    retry: RetryPolicy | None = None,
    rand: Callable[[], float] = random.random,
    limit: int = BATCH,
) -> SendReport:
    """Send every message due at `now` (naive UTC); returns what happened."""
    report = SendReport()
    run = _Run(engine, now, _reusing(factory), retry or RetryPolicy(), rand)
    while True:
        with engine.connect() as conn:
            ids = due_ids(conn, now, limit)
            run.prefetch(conn, ids)
        claimed_any = False
        for outbox_id in ids:
            if not claim(engine, outbox_id, now):
                report.lost_claims += 1
                continue
            claimed_any = True
            state = _process(run, outbox_id)
            report.states[outbox_id] = state
            bucket = {"sent": "sent", "failed": "failed", "pending": "retrying"}.get(state)
            bucket = bucket or ("held" if state in ("held_quiet", "rate_limited") else "skipped")
            setattr(report, bucket, getattr(report, bucket) + 1)
        if not ids or not claimed_any or len(ids) < limit:
            return report


@dataclass
class _Run:
    """One send_due call: its settings and what it read once for a whole batch (shop settings, order
    facts, compiled templates), so each message costs its own few statements and its send."""

    engine: Engine
    now: datetime
    factory: ChannelFactory
    policy: RetryPolicy
    rand: Callable[[], float]
    settings: dict[int, ShopNotifySettings] = field(default_factory=dict)
    facts: dict[OrderKey, OrderFacts] = field(default_factory=dict)
    templates: dict[tuple[int, str, str, Stage, str], TemplateSet] = field(default_factory=dict)

    def prefetch(self, conn: Connection, ids: list[int]) -> None:
        if not ids:
            return
        keys = {
            (r.shop_id, r.order_no) for r in conn.execute(select(o.shop_id, o.order_no).where(o.id.in_(ids)))
        }
        self.facts.update(load_order_facts(conn, keys - set(self.facts)))
        for shop_id in {shop_id for shop_id, _ in keys}:
            self.shop_settings(conn, shop_id)

    def shop_settings(self, conn: Connection, shop_id: int) -> ShopNotifySettings:
        if shop_id not in self.settings:
            timezone = conn.execute(select(shops.c.timezone).where(shops.c.id == shop_id)).scalar_one()
            self.settings[shop_id] = load_settings(conn, shop_id, timezone)
        return self.settings[shop_id]

    def order(self, conn: Connection, shop_id: int, order_no: str) -> OrderFacts | None:
        key = (shop_id, order_no)
        if key not in self.facts:
            self.facts.update(load_order_facts(conn, [key]))
        return self.facts.get(key)

    def template_set(
        self, conn: Connection, shop_id: int, name: str, language: str, stage: Stage, variant: str
    ) -> TemplateSet:
        key = (shop_id, name, language, stage, variant)
        if key not in self.templates:
            overrides = template_overrides(conn, shop_id, name, language)
            self.templates[key] = (
                template_set(stage, language, overrides, variant)
                if overrides
                else default_template_set(stage, language, variant)
            )
        return self.templates[key]


def _reusing(factory: ChannelFactory) -> ChannelFactory:
    """One channel per configuration for the whole run: an HTTP client (its TLS context, its pooled
    connections) costs more to build than a message costs to send."""
    built: dict[tuple[ChannelKind, str], Channel] = {}

    def channel(kind: ChannelKind, settings: Mapping[str, Any]) -> Channel:
        key = (kind, json.dumps(settings, sort_keys=True, default=str))
        if key not in built:
            built[key] = factory(kind, settings)
        return built[key]

    return channel


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _process(run: _Run, outbox_id: int) -> str:
    engine, now = run.engine, run.now
    with engine.connect() as conn:
        row = conn.execute(select(notify_outbox).where(o.id == outbox_id)).one()
        settings = run.shop_settings(conn, row.shop_id)
        if settings.rate is None or not row.buyer_key:  # nothing to serialise: decide on this connection
            plan = _plan(conn, row, settings, now)
    if settings.rate is not None and row.buyer_key:
        plan = run_transaction(engine, lambda conn: _plan(conn, row, settings, now))
    with engine.connect() as conn:
        message: Message | str = ""
        if plan.after is MessageState.SENDING:
            message = _compose(conn, run, row, settings)
    if plan.after is MessageState.SKIPPED:
        state = "opted_out" if plan.reason is Reason.OPTED_OUT else "skipped"
        return _finish(engine, row, now, state, "notification_skipped", plan.reason.value)
    if plan.after is MessageState.HELD:
        state = "held_quiet" if plan.reason is Reason.QUIET_HOURS else "rate_limited"
        assert plan.not_before is not None
        return _finish(engine, row, now, state, "", plan.reason.value, next_at=_naive(plan.not_before))
    if isinstance(message, str):  # the template could not render these facts
        return _finish(engine, row, now, "failed", "notification_failed", message)
    results = _deliver(run.factory, row, settings, message)
    attempt = row.attempts + 1
    verdict = after_delivery(results, attempt, _aware(now), run.policy, run.rand())
    provider_id = next((r.provider_id for r in results if r.ok), "")
    if verdict.after is MessageState.SENT:
        return _finish(
            engine,
            row,
            now,
            "sent",
            "notification_sent",
            verdict.detail,
            attempts=attempt,
            provider_id=provider_id,
        )
    if verdict.after is MessageState.HELD:  # a retry with backoff
        assert verdict.not_before is not None
        retry_at = _naive(verdict.not_before)
        detail = f"{verdict.detail}; 重试 retry at {retry_at.isoformat(timespec='seconds')}Z"
        return _finish(
            engine, row, now, "pending", "notification_failed", detail, next_at=retry_at, attempts=attempt
        )
    detail = f"{verdict.reason.value}: {verdict.detail}"
    return _finish(engine, row, now, "failed", "notification_failed", detail, attempts=attempt)


def _plan(conn: Connection, row: Any, settings: ShopNotifySettings, now: datetime) -> Transition:
    """Skip, hold or send. With a rate limit the buyer's recent sends are counted and this one reserved
    (sent_at set while sending) under a per-buyer lock, so workers sending to one buyer at once cannot
    both pass the limit."""
    limited = settings.rate is not None and bool(row.buyer_key)
    if limited:
        lock_exclusively(conn, f"notify-buyer:{row.buyer_key}")
    checks = _checks(conn, row, settings, now)
    plan = plan_send(MessageState.PENDING, _aware(now), checks, settings.quiet, settings.rate)
    if limited and plan.after is MessageState.SENDING:
        conn.execute(update(notify_outbox).where(o.id == row.id).values(sent_at=now))
    return plan


def _checks(conn: Connection, row: Any, settings: ShopNotifySettings, now: datetime) -> SendChecks:
    opted_out = bool(row.buyer_key) and is_opted_out(
        row.buyer_key, row.channel, Stage(row.stage), optouts_of(conn, row.buyer_key)
    )
    recent: list[datetime] = []
    if settings.rate is not None and row.buyer_key:
        query = select(o.sent_at).where(
            o.buyer_key == row.buyer_key,
            o.state.in_(("sent", "sending")),  # sending: reserved by a worker sending right now
            o.sent_at > now - settings.rate.per,
            o.id != row.id,
        )
        recent = [_aware(r.sent_at) for r in conn.execute(query)]
    return SendChecks(False, opted_out, bool(row.recipient), recent)


def _compose(conn: Connection, run: _Run, row: Any, settings: ShopNotifySettings) -> Message | str:
    """The rendered message, or why it could not be rendered."""
    stage, channel = Stage(row.stage), ChannelKind(row.channel)
    order = run.order(conn, row.shop_id, row.order_no)
    if order is None:
        return f"{Reason.TEMPLATE_ERROR.value}: 订单不存在 order {row.order_no} not found"
    eta, last_event, carrier, problem = None, "", "", ""
    if row.tracking_no:
        news = parcel_news(conn, row.tracking_no)
        problem = problem_text(problem_of(row.alert_kind, news.problem), row.language)
        eta, last_event = news.eta, news.last_event
        carrier = (
            conn.execute(
                select(parcels.c.carrier).where(
                    parcels.c.shop_id == row.shop_id, parcels.c.tracking_no == row.tracking_no
                )
            ).scalar()
            or ""
        )
    order = order.with_segments(settings.segments, run.now)
    facts = order.for_stage(stage, row.tracking_no, carrier, eta, last_event, problem, row.alert_kind)
    if stage is Stage.CAMPAIGN:  # a segment campaign: its coupon and the buyer profile too
        from lanshou.notifications.campaigns import campaign_facts

        facts = campaign_facts(conn, row.id, facts)
    try:
        templates = run.template_set(conn, row.shop_id, row.template, row.language, stage, row.alert_kind)
        return compose_message(
            templates,
            channel,
            build_context(facts, settings.personal),
            key=row.idempotency_key,
            recipients=(row.recipient,),
            sms_template_id=sms_template_id(settings.channel("sms"), row.stage),
        )
    except TemplateError as exc:
        return f"{Reason.TEMPLATE_ERROR.value}: {exc}"


def _deliver(
    factory: ChannelFactory, row: Any, settings: ShopNotifySettings, message: Message
) -> list[DeliveryResult]:
    recipients = message.recipients
    try:
        channel = factory(ChannelKind(row.channel), settings.channel(row.channel))
        results = channel.send(message)
    except (ChannelConfigError, MessageRejected) as exc:
        return results_for_all(recipients, Outcome.PERMANENT, "config", str(exc))
    except Exception as exc:  # an adapter bug must not leave the row claimed for STALE_SENDING
        return results_for_all(recipients, Outcome.RETRYABLE, "error", f"{type(exc).__name__}: {exc}")
    return results or results_for_all(recipients, Outcome.RETRYABLE, "empty", "channel gave no result")


def _finish(
    engine: Engine,
    row: Any,
    now: datetime,
    state: str,
    timeline_kind: str,
    detail: str,
    *,
    next_at: datetime | None = None,
    attempts: int | None = None,
    provider_id: str = "",
) -> str:
    values: dict[str, Any] = {
        "state": state,
        "next_attempt_at": next_at,
        "claimed_at": None,
        "updated_at": now,
        "last_error": "" if state == "sent" else detail[:2000],
        "sent_at": None,  # a reservation (rate limit) ends with the attempt
    }
    if attempts is not None:
        values["attempts"] = attempts
    if state == "sent":
        values["sent_at"], values["provider_id"] = now, provider_id[:200]
    with engine.begin() as conn:
        mine = conn.execute(
            update(notify_outbox).where(o.id == row.id, o.state == "sending").values(**values)
        ).rowcount
        if mine and timeline_kind:
            what = f"{row.stage} via {row.channel}, template {row.template} ({row.language})"
            record(
                conn,
                [TimelineEntry(row.shop_id, row.order_no, now, timeline_kind, f"{what}: {detail}"[:2000])],
            )
    return state
