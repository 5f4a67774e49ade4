"""Send policy, pure: idempotency keys, quiet hours, per-buyer rate limit, retry backoff, opt-out and the
message state machine. Every decision carries a reason for the delivery log. No clock, no randomness:
callers pass `now` and a random number in [0, 1) so every decision can be tested exactly.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from lanshou.notifications.model import DeliveryResult, Stage


class PolicyError(ValueError):
    """A policy setting or a transition that makes no sense."""


# --- idempotency -----------------------------------------------------------------------------------------


def _key_part(value: object) -> str:
    # ':' separates the parts, so escape it (and the escape character) inside a part.
    return str(value).replace("%", "%25").replace(":", "%3A")


def idempotency_key(
    shop_id: object,
    order_id: object,
    parcel_id: object | None,
    stage: Stage,
    channel: str | None = None,
    variant: str = "",
) -> str:
    """`shop:order:parcel:stage` (parcel `-` for order stages), plus `:channel` when given: one message per
    stage per parcel (per channel). A `variant` (the exception stage's alert kind) makes the stage part
    `stage.variant`: one message per alert kind per parcel. The delivery log keeps it unique, so a
    replayed event sends nothing."""
    stage_part = f"{stage.value}.{variant}" if variant else stage.value
    parts = [shop_id, order_id, "-" if parcel_id in (None, "") else parcel_id, stage_part]
    if channel:
        parts.append(channel)
    return ":".join(_key_part(p) for p in parts)


# --- quiet hours -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietHours:
    """No messages from `start` to `end` (shop-local wall clock); a window may cross midnight."""

    start: time
    end: time
    timezone: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except Exception as exc:
            raise PolicyError(f"未知时区 unknown timezone {self.timezone!r}") from exc


def next_allowed_send(due: datetime, quiet: QuietHours | None) -> datetime:
    """`due` itself when outside quiet hours, else the end of the quiet window (same tz as `due`).
    A message due at 03:00 with quiet hours 22:00–09:00 is held to 09:00 that morning."""
    if due.tzinfo is None:
        raise PolicyError("due time must be timezone-aware")
    if quiet is None or quiet.start == quiet.end:
        return due
    zone = ZoneInfo(quiet.timezone)
    local = due.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    crosses_midnight = quiet.start > quiet.end
    if crosses_midnight:
        inside = clock >= quiet.start or clock < quiet.end
    else:
        inside = quiet.start <= clock < quiet.end
    if not inside:
        return due
    end_day = local.date() + timedelta(days=1) if crosses_midnight and clock >= quiet.start else local.date()
    release = datetime.combine(end_day, quiet.end, tzinfo=zone)
    return release.astimezone(due.tzinfo)


# --- per-buyer rate limit --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateLimit:
    """At most `max_messages` to one buyer in any window of length `per`."""

    max_messages: int
    per: timedelta

    def __post_init__(self) -> None:
        if self.max_messages < 1 or self.per <= timedelta(0):
            raise PolicyError("rate limit needs max_messages ≥ 1 and a positive window")


def next_allowed_by_rate(
    recent_sends: Iterable[datetime], now: datetime, limit: RateLimit | None
) -> datetime:
    """`now` if the buyer may get another message now, else when the oldest send in the window ages out."""
    if limit is None:
        return now
    window = sorted(t for t in recent_sends if now - limit.per < t <= now)
    if len(window) < limit.max_messages:
        return now
    # Sending now would make len(window)+1 in the window; wait until enough of the oldest have aged out.
    return window[len(window) - limit.max_messages] + limit.per


# --- retries ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: base × factor^(attempt-1), spread by ±jitter, never above max_delay."""

    base: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=1)
    max_attempts: int = 6
    jitter: float = 0.2  # fraction of the delay, each side

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.factor < 1 or not 0 <= self.jitter < 1 or self.base <= timedelta(0):
            raise PolicyError("retry policy needs max_attempts ≥ 1, factor ≥ 1, 0 ≤ jitter < 1, base > 0")

    def delay_bounds(self, attempt: int) -> tuple[timedelta, timedelta]:
        """The (lowest, highest) wait after failed attempt `attempt` (1-based); never above max_delay."""
        if attempt < 1:
            raise PolicyError("attempt numbers start at 1")
        raw = min(self.base * (self.factor ** (attempt - 1)), self.max_delay)
        return raw * (1 - self.jitter), min(raw * (1 + self.jitter), self.max_delay)


def retry_delay(attempt: int, policy: RetryPolicy, rand: float) -> timedelta:
    """The wait after failed attempt `attempt`, with `rand` ∈ [0, 1) choosing a point inside the bounds."""
    if not 0 <= rand < 1:
        raise PolicyError("rand must be in [0, 1)")
    low, high = policy.delay_bounds(attempt)
    return low + (high - low) * rand


def next_retry_at(attempt: int, now: datetime, policy: RetryPolicy, rand: float) -> datetime | None:
    """When to try again after failed attempt `attempt`, or None when the attempts are used up."""
    if attempt >= policy.max_attempts:
        return None
    return now + retry_delay(attempt, policy, rand)


# --- opt-out ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptOut:
    """A buyer's refusal: of one channel or all (`channel=None`), of one stage or all (`stage=None`)."""

    buyer_key: str
    channel: str | None = None
    stage: Stage | None = None


def is_opted_out(buyer_key: str, channel: str, stage: Stage, opt_outs: Iterable[OptOut]) -> bool:
    return any(
        o.buyer_key == buyer_key and o.channel in (None, channel) and o.stage in (None, stage)
        for o in opt_outs
    )


# --- state machine ---------------------------------------------------------------------------------------


class MessageState(enum.StrEnum):
    PENDING = "pending"
    HELD = "held"  # waiting: quiet hours, rate limit or a retry's backoff
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class Reason(enum.StrEnum):
    QUIET_HOURS = "quiet_hours"
    RATE_LIMITED = "rate_limited"
    RETRY_SCHEDULED = "retry_scheduled"
    DUE = "due"
    DUPLICATE = "duplicate"
    OPTED_OUT = "opted_out"
    NO_RECIPIENT = "no_recipient"
    DELIVERED = "delivered"
    PERMANENT_ERROR = "permanent_error"
    RETRIES_EXHAUSTED = "retries_exhausted"
    TEMPLATE_ERROR = "template_error"


TERMINAL = frozenset({MessageState.SENT, MessageState.FAILED, MessageState.SKIPPED})
ALLOWED: dict[MessageState, frozenset[MessageState]] = {
    MessageState.PENDING: frozenset({MessageState.HELD, MessageState.SENDING, MessageState.SKIPPED}),
    MessageState.HELD: frozenset({MessageState.SENDING, MessageState.SKIPPED, MessageState.HELD}),
    MessageState.SENDING: frozenset({MessageState.SENT, MessageState.FAILED, MessageState.HELD}),
}


@dataclass(frozen=True)
class Transition:
    """One line of a message's delivery log."""

    before: MessageState
    after: MessageState
    reason: Reason
    at: datetime
    not_before: datetime | None = None  # for HELD: when it may be sent
    detail: str = ""


def transition(
    before: MessageState,
    after: MessageState,
    reason: Reason,
    at: datetime,
    *,
    not_before: datetime | None = None,
    detail: str = "",
) -> Transition:
    """A checked state change; raises PolicyError for a move the state machine does not allow."""
    if after not in ALLOWED.get(before, frozenset()):
        raise PolicyError(f"不允许的状态变化 transition not allowed: {before} → {after} ({reason})")
    if after is MessageState.HELD and not_before is None:
        raise PolicyError("a held message needs not_before")
    return Transition(before, after, reason, at, not_before, detail)


@dataclass(frozen=True)
class SendChecks:
    """What the caller knows about one due message before sending it."""

    already_sent: bool  # another message with this idempotency key (and channel) left already
    opted_out: bool
    has_recipient: bool
    recent_sends: Sequence[datetime] = ()


def plan_send(
    state: MessageState,
    now: datetime,
    checks: SendChecks,
    quiet: QuietHours | None = None,
    rate: RateLimit | None = None,
) -> Transition:
    """The next step for a pending or held message: skip it, hold it, or send it now."""
    if checks.already_sent:
        return transition(state, MessageState.SKIPPED, Reason.DUPLICATE, now)
    if checks.opted_out:
        return transition(state, MessageState.SKIPPED, Reason.OPTED_OUT, now)
    if not checks.has_recipient:
        return transition(state, MessageState.SKIPPED, Reason.NO_RECIPIENT, now)
    allowed = next_allowed_send(now, quiet)
    if allowed > now:
        return transition(state, MessageState.HELD, Reason.QUIET_HOURS, now, not_before=allowed)
    allowed = next_allowed_by_rate(checks.recent_sends, now, rate)
    if allowed > now:
        # the release time may fall into quiet hours again
        release = next_allowed_send(allowed, quiet)
        return transition(state, MessageState.HELD, Reason.RATE_LIMITED, now, not_before=release)
    return transition(state, MessageState.SENDING, Reason.DUE, now)


def after_delivery(
    results: Sequence[DeliveryResult], attempt: int, now: datetime, policy: RetryPolicy, rand: float
) -> Transition:
    """SENDING → SENT / HELD (retry later) / FAILED, from the per-recipient results of attempt `attempt`.
    Only recipients whose result was retryable should be sent again (see `recipients_to_retry`)."""
    if not results:
        raise PolicyError("no delivery results to judge")
    detail = "; ".join(f"{r.masked_recipient}: {r.outcome} {r.code} {r.detail}".strip() for r in results)
    if all(r.ok for r in results):
        return transition(MessageState.SENDING, MessageState.SENT, Reason.DELIVERED, now, detail=detail)
    if not any(r.retryable for r in results):
        if any(r.ok for r in results):  # some got it, the rest never will: the message went out
            return transition(MessageState.SENDING, MessageState.SENT, Reason.DELIVERED, now, detail=detail)
        return transition(
            MessageState.SENDING, MessageState.FAILED, Reason.PERMANENT_ERROR, now, detail=detail
        )
    retry_at = next_retry_at(attempt, now, policy, rand)
    if retry_at is None:
        return transition(
            MessageState.SENDING, MessageState.FAILED, Reason.RETRIES_EXHAUSTED, now, detail=detail
        )
    return transition(
        MessageState.SENDING,
        MessageState.HELD,
        Reason.RETRY_SCHEDULED,
        now,
        not_before=retry_at,
        detail=detail,
    )


def recipients_to_retry(results: Sequence[DeliveryResult]) -> tuple[str, ...]:
    return tuple(r.recipient for r in results if r.retryable)
