"""The pure send policy: idempotency keys, quiet hours, rate limit, backoff, opt-out, message states."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanshou.notifications.model import DeliveryResult, Outcome, Stage
from lanshou.notifications.policy import (
    MessageState,
    OptOut,
    PolicyError,
    QuietHours,
    RateLimit,
    Reason,
    RetryPolicy,
    SendChecks,
    after_delivery,
    idempotency_key,
    is_opted_out,
    next_allowed_by_rate,
    next_allowed_send,
    next_retry_at,
    plan_send,
    recipients_to_retry,
    retry_delay,
    transition,
)

SH = ZoneInfo("Asia/Shanghai")
NIGHT = QuietHours(time(22, 0), time(9, 0), "Asia/Shanghai")


def at(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2025, 6, day, hour, minute, tzinfo=SH)


def test_idempotency_key_is_shop_order_parcel_stage_and_unambiguous() -> None:
    assert idempotency_key(7, "TB123", 55, Stage.DELIVERED) == "7:TB123:55:delivered"
    assert idempotency_key(7, "TB123", None, Stage.ORDER_ACCEPTED) == "7:TB123:-:order_accepted"
    assert idempotency_key(7, "TB123", 55, Stage.DELIVERED, "sms") == "7:TB123:55:delivered:sms"
    # a colon inside an order number cannot make two different messages share a key
    assert idempotency_key("a", "b:c", 1, Stage.DELIVERED) != idempotency_key("a:b", "c", 1, Stage.DELIVERED)
    assert idempotency_key("a", "b:c", 1, Stage.DELIVERED) == "a:b%3Ac:1:delivered"


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (at(3), at(9)),  # held to 09:00 the same morning
        (at(23, 30), at(9, day=11)),  # held over midnight
        (at(22), at(9, day=11)),  # the window's first minute is quiet
        (at(9), at(9)),  # the window's end is not
        (at(14), at(14)),
    ],
)
def test_quiet_hours_across_midnight(due: datetime, expected: datetime) -> None:
    assert next_allowed_send(due, NIGHT) == expected


def test_quiet_hours_are_the_shops_wall_clock_whatever_the_callers_timezone() -> None:
    due_utc = datetime(2025, 6, 9, 19, 0, tzinfo=UTC)  # 03:00 on the 10th in Shanghai
    released = next_allowed_send(due_utc, NIGHT)
    assert released == at(9) and released.tzinfo is UTC
    lunch = QuietHours(time(12), time(13, 30), "Asia/Shanghai")
    assert next_allowed_send(at(12, 15), lunch) == at(13, 30)
    assert next_allowed_send(at(13, 30), lunch) == at(13, 30)
    assert next_allowed_send(at(3), QuietHours(time(0), time(0))) == at(3)  # start == end: none
    assert next_allowed_send(at(3), None) == at(3)


def test_quiet_hours_refuse_naive_times_and_unknown_zones() -> None:
    with pytest.raises(PolicyError, match="timezone-aware"):
        next_allowed_send(datetime(2025, 6, 10, 3), NIGHT)
    with pytest.raises(PolicyError, match="unknown timezone"):
        QuietHours(time(22), time(8), "Mars/Olympus")


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)))
def test_a_released_message_is_never_inside_quiet_hours_nor_early(naive: datetime) -> None:
    due = naive.replace(tzinfo=UTC)
    released = next_allowed_send(due, NIGHT)
    assert released >= due and released - due <= timedelta(hours=11)
    clock = released.astimezone(SH).time()
    assert time(9) <= clock < time(22)


def test_rate_limit_waits_until_the_oldest_send_leaves_the_window() -> None:
    limit = RateLimit(max_messages=2, per=timedelta(hours=1))
    now = at(12)
    assert next_allowed_by_rate([at(11, 30)], now, limit) == now
    assert next_allowed_by_rate([at(11, 10), at(11, 40)], now, limit) == at(12, 10)
    assert next_allowed_by_rate([at(10, 0), at(11, 40)], now, limit) == now  # 10:00 already aged out
    assert next_allowed_by_rate([at(11, 50), at(11, 10), at(11, 40)], now, limit) == at(12, 40)
    assert next_allowed_by_rate([at(11, 50)] * 5, now, None) == now
    with pytest.raises(PolicyError):
        RateLimit(0, timedelta(hours=1))


@given(st.lists(st.integers(min_value=0, max_value=180), max_size=12), st.integers(1, 4))
def test_waiting_as_told_always_satisfies_the_rate_limit(minutes_ago: list[int], allowed: int) -> None:
    limit = RateLimit(max_messages=allowed, per=timedelta(hours=1))
    now = at(12)
    sends = [now - timedelta(minutes=m) for m in minutes_ago]
    when = next_allowed_by_rate(sends, now, limit)
    assert when >= now
    in_window = [t for t in sends if when - limit.per < t <= when]
    assert len(in_window) < allowed
    assert next_allowed_by_rate(sends, when, limit) == when


def test_backoff_grows_within_jitter_bounds_and_never_passes_the_maximum() -> None:
    policy = RetryPolicy(base=timedelta(seconds=30), factor=2, max_delay=timedelta(minutes=5), jitter=0.2)
    assert policy.delay_bounds(1) == (timedelta(seconds=24), timedelta(seconds=36))
    assert policy.delay_bounds(3) == (timedelta(seconds=96), timedelta(seconds=144))
    assert policy.delay_bounds(10) == (timedelta(minutes=4), timedelta(minutes=5))
    assert retry_delay(1, policy, 0.0) == timedelta(seconds=24)
    assert retry_delay(1, policy, 0.5) == timedelta(seconds=30)
    for attempt in range(1, 20):
        assert retry_delay(attempt, policy, 0.999999) <= policy.max_delay
    with pytest.raises(PolicyError):
        retry_delay(1, policy, 1.0)


def test_retries_stop_after_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=3, jitter=0)
    assert next_retry_at(1, at(12), policy, 0.3) == at(12) + timedelta(seconds=30)
    assert next_retry_at(2, at(12), policy, 0.3) == at(12) + timedelta(seconds=60)
    assert next_retry_at(3, at(12), policy, 0.3) is None


def test_opt_out_by_channel_by_stage_or_everything() -> None:
    opt_outs = [OptOut("b1", channel="sms"), OptOut("b2", stage=Stage.PICKED_UP), OptOut("b3")]
    assert is_opted_out("b1", "sms", Stage.DELIVERED, opt_outs)
    assert not is_opted_out("b1", "email", Stage.DELIVERED, opt_outs)
    assert is_opted_out("b2", "email", Stage.PICKED_UP, opt_outs)
    assert not is_opted_out("b2", "email", Stage.DELIVERED, opt_outs)
    assert is_opted_out("b3", "webhook", Stage.EXCEPTION, opt_outs)
    assert not is_opted_out("b4", "sms", Stage.DELIVERED, opt_outs)


def checks(**kwargs: object) -> SendChecks:
    values: dict = {"already_sent": False, "opted_out": False, "has_recipient": True} | kwargs
    return SendChecks(**values)


def test_plan_send_skips_holds_or_sends_with_a_reason() -> None:
    pending = MessageState.PENDING
    assert plan_send(pending, at(12), checks(already_sent=True)).reason is Reason.DUPLICATE
    assert plan_send(pending, at(12), checks(opted_out=True)).after is MessageState.SKIPPED
    assert plan_send(pending, at(12), checks(has_recipient=False)).reason is Reason.NO_RECIPIENT
    held = plan_send(pending, at(3), checks(), quiet=NIGHT)
    assert (held.after, held.reason, held.not_before) == (MessageState.HELD, Reason.QUIET_HOURS, at(9))
    now = plan_send(MessageState.HELD, at(9), checks(), quiet=NIGHT)
    assert (now.before, now.after, now.reason) == (MessageState.HELD, MessageState.SENDING, Reason.DUE)


def test_a_rate_limited_release_that_falls_into_quiet_hours_waits_for_morning() -> None:
    limit = RateLimit(1, timedelta(hours=2))
    step = plan_send(MessageState.PENDING, at(21), checks(recent_sends=[at(20, 30)]), NIGHT, limit)
    assert step.reason is Reason.RATE_LIMITED and step.not_before == at(9, day=11)


def result(outcome: Outcome, recipient: str = "13800000000") -> DeliveryResult:
    return DeliveryResult(recipient, outcome, code=outcome.value)


def test_after_delivery_sent_failed_or_held_for_retry() -> None:
    policy = RetryPolicy(max_attempts=3, jitter=0)
    sent = after_delivery([result(Outcome.SENT)], 1, at(12), policy, 0.5)
    assert sent.after is MessageState.SENT and "138****0000" in sent.detail  # logs mask the number
    failed = after_delivery([result(Outcome.PERMANENT)], 1, at(12), policy, 0.5)
    assert (failed.after, failed.reason) == (MessageState.FAILED, Reason.PERMANENT_ERROR)
    retry = after_delivery([result(Outcome.RETRYABLE)], 1, at(12), policy, 0.5)
    assert (retry.after, retry.not_before) == (MessageState.HELD, at(12) + timedelta(seconds=30))
    exhausted = after_delivery([result(Outcome.RETRYABLE)], 3, at(12), policy, 0.5)
    assert (exhausted.after, exhausted.reason) == (MessageState.FAILED, Reason.RETRIES_EXHAUSTED)
    mixed = [result(Outcome.SENT, "a"), result(Outcome.RETRYABLE, "b"), result(Outcome.PERMANENT, "c")]
    assert after_delivery(mixed, 1, at(12), policy, 0.5).after is MessageState.HELD
    assert recipients_to_retry(mixed) == ("b",)  # never re-send to "a"
    partly = [result(Outcome.SENT, "a"), result(Outcome.PERMANENT, "c")]
    assert after_delivery(partly, 1, at(12), policy, 0.5).after is MessageState.SENT


def test_the_state_machine_refuses_impossible_moves() -> None:
    with pytest.raises(PolicyError, match="sent → sending"):
        transition(MessageState.SENT, MessageState.SENDING, Reason.DUE, at(12))
    with pytest.raises(PolicyError, match="pending → sent"):
        transition(MessageState.PENDING, MessageState.SENT, Reason.DELIVERED, at(12))
    with pytest.raises(PolicyError, match="not_before"):
        transition(MessageState.PENDING, MessageState.HELD, Reason.QUIET_HOURS, at(12))
    for terminal in (MessageState.SENT, MessageState.FAILED, MessageState.SKIPPED):
        with pytest.raises(PolicyError):
            plan_send(terminal, at(12), checks())
