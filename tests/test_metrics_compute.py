"""M1–M6 per METRICS.md, hand-computed. Shanghai is UTC+8 with no DST, so as of 2026-11-10 the evaluation
time is local 2026-11-10 00:00 = 2026-11-09 16:00 UTC and the window starts local 2026-10-11 00:00 =
2026-10-10 16:00 UTC. All datetimes below are naive UTC, like the facts."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from lanshou.metrics.compute import (
    Accumulator,
    ShopMetrics,
    Window,
    compute_report,
    evaluation_time,
    m1_outcome,
    m2_delivery,
    m3_outcome,
    m4_negative,
    m5_outcome,
    percentile_cont,
    window,
)
from lanshou.metrics.facts import EventFact, FeedbackFact, OrderFact, ParcelFact
from lanshou.metrics.packs import load_pack, pack_for
from lanshou.metrics.rules import counted_tags, is_stalled, limit_hours, order_pickup
from lanshou.metrics.score import experience_score, points
from lanshou.shops.model import ShopInfo

AS_OF = date(2026, 11, 10)
EVAL = datetime(2026, 11, 9, 16, 0)
START = datetime(2026, 10, 10, 16, 0)
PAY = datetime(2026, 11, 1, 2, 0)  # well inside the window
TMALL = load_pack("tmall")
DOUYIN = load_pack("douyin")
H = timedelta(hours=1)
S = timedelta(seconds=1)


def parcel(
    *events: tuple[datetime, str], no: str = "SF1", carrier: str = "sf", shipped: datetime | None = None
) -> ParcelFact:
    return ParcelFact(no, carrier, shipped, tuple(EventFact(t, s) for t, s in sorted(events)))


def order(
    no: str = "o1",
    paid: datetime | None = PAY,
    *parcels: ParcelFact,
    status: str = "paid",
    platform: str = "tmall",
    shop: str = "s1",
    **kw: object,
) -> OrderFact:
    created = (paid or PAY) - timedelta(minutes=5)
    return OrderFact(platform, shop, no, status, created, paid, parcels=parcels, **kw)  # type: ignore[arg-type]


def scanned(at: datetime, no: str = "SF1") -> ParcelFact:
    return parcel((at, "picked_up"), no=no)


# ── time ────────────────────────────────────────────────────────────────────────────────────────────────


def test_evaluation_time_and_window_in_shanghai() -> None:
    assert evaluation_time(AS_OF, "Asia/Shanghai") == EVAL
    assert window(AS_OF, 30, "Asia/Shanghai") == (START, EVAL)


def test_window_across_new_york_dst_is_not_30_times_24_hours() -> None:
    # [2026-03-02 00:00 EST (UTC-5), 2026-04-01 00:00 EDT (UTC-4)) = 05:00Z .. 04:00Z: 30 days less 1 h
    start, end = window(date(2026, 4, 1), 30, "America/New_York")
    assert (start, end) == (datetime(2026, 3, 2, 5), datetime(2026, 4, 1, 4))
    assert end - start == timedelta(days=30) - H
    shop = ShopInfo("tmall", "ny", "America/New_York")
    inside = order("in", start, scanned(start + H), shop="ny")  # paid at local D-30 00:00: in
    before = order("out", start - S, scanned(start + H), shop="ny")  # one second earlier: out
    report = compute_report([inside, before], [shop], date(2026, 4, 1))
    assert report["shops"][0]["pay_to_pickup"] == {"on_time": 1, "late": 0, "undecided": 0, "rate": 1.0}
    assert report["timezone"] == "America/New_York"


def test_window_across_berlin_dst() -> None:
    # Berlin springs forward 2026-03-29:
    # [2026-03-11 00:00 CET = 03-10 23:00Z, 2026-04-10 00:00 CEST = 04-09 22:00Z)
    assert window(date(2026, 4, 10), 30, "Europe/Berlin") == (
        datetime(2026, 3, 10, 23),
        datetime(2026, 4, 9, 22),
    )


# ── M1 ──────────────────────────────────────────────────────────────────────────────────────────────────


def test_pickup_exactly_at_limit_is_on_time_one_second_over_is_late() -> None:
    # L = 24 h: pay 11-01 02:00 -> deadline 11-02 02:00
    assert m1_outcome(order("a", PAY, scanned(PAY + 24 * H)), TMALL, EVAL, START) == "on_time"
    assert m1_outcome(order("b", PAY, scanned(PAY + 24 * H + S)), TMALL, EVAL, START) == "late"


def test_not_picked_up_late_once_deadline_passed_else_undecided() -> None:
    assert m1_outcome(order("a", PAY), TMALL, EVAL, START) == "late"  # deadline 11-02 02:00 < eval
    # paid 10 h before eval: deadline eval + 14 h, still in the future
    assert m1_outcome(order("b", EVAL - 10 * H), TMALL, EVAL, START) == "undecided"
    # deadline exactly at eval is not yet "past" the evaluation time
    assert m1_outcome(order("c", EVAL - 24 * H), TMALL, EVAL, START) == "undecided"


def test_undecided_left_out_of_numerator_and_denominator() -> None:
    shop = ShopInfo("tmall", "s1")
    orders = [order("on", PAY, scanned(PAY + H)), order("late", PAY), order("open", EVAL - H)]
    block = compute_report(orders, [shop], AS_OF)["shops"][0]["pay_to_pickup"]
    # 1 on time / (1 on time + 1 late) = 0.5; the undecided order counts in neither
    assert block == {"on_time": 1, "late": 1, "undecided": 1, "rate": 0.5}


def test_nothing_decided_gives_null_rate_not_zero() -> None:
    report = compute_report([order("open", EVAL - H)], [ShopInfo("tmall", "s1")], AS_OF)
    shop = report["shops"][0]
    assert shop["pay_to_pickup"]["rate"] is None
    assert shop["delivery_hours"] == {"count": 0, "mean": None, "median": None, "p90": None}
    assert shop["tracking_freshness"]["rate"] is None


def test_cancelled_or_refunded_before_pickup_left_out_but_picked_up_then_cancelled_counts() -> None:
    assert m1_outcome(order("c", PAY, status="cancelled"), TMALL, EVAL, START) is None
    assert m1_outcome(order("r", PAY, status="refunded"), TMALL, EVAL, START) is None
    assert m5_outcome(order("c", PAY, status="cancelled"), TMALL, EVAL, START) is None
    picked = order("p", PAY, scanned(PAY + H), status="cancelled")
    assert m1_outcome(picked, TMALL, EVAL, START) == "on_time"
    # a scan after the evaluation time is not a pickup "by eval": still excluded
    assert m1_outcome(order("x", PAY, scanned(EVAL + H), status="cancelled"), TMALL, EVAL, START) is None


def test_unpaid_and_out_of_window_orders_count_nowhere() -> None:
    unpaid = order("u", None, status="pending_payment")
    assert m1_outcome(unpaid, TMALL, EVAL, START) is None
    assert m5_outcome(unpaid, TMALL, EVAL, START) is None
    acc = Accumulator()
    acc.add_order(unpaid, TMALL, Window(START, EVAL))
    acc.add_order(order("old", START - S), TMALL, Window(START, EVAL))
    assert acc.m4["paid_orders"] == 0 and acc.m1 == {"on_time": 0, "late": 0, "undecided": 0}
    # an unpaid order's parcels are not counted either (M2, M3)
    acc.add_order(
        order("u2", None, parcel((PAY, "picked_up"), (PAY + H, "delivered")), status="pending_payment"),
        TMALL,
        Window(START, EVAL),
    )
    assert acc.m3["parcels"] == 0 and acc.durations == []


def test_presale_excluded_from_m1_and_judged_by_m5() -> None:
    promised = PAY + 72 * H
    on_time = order("p1", PAY, scanned(promised), is_presale=True, promised_ship_by=promised)
    late = order("p2", PAY, scanned(promised + S), is_presale=True, promised_ship_by=promised)
    assert m1_outcome(on_time, TMALL, EVAL, START) is None
    assert m5_outcome(on_time, TMALL, EVAL, START) == "on_time"
    assert m5_outcome(late, TMALL, EVAL, START) == "late"
    # promised after eval: not in the M5 window yet
    future = order("p3", PAY, is_presale=True, promised_ship_by=EVAL + H)
    assert m5_outcome(future, TMALL, EVAL, START) is None
    assert m5_outcome(future, TMALL, EVAL) == "undecided"  # no window: judged, still open


def test_m5_default_promise_is_pay_plus_48h() -> None:
    # no platform promise: pay 11-01 02:00 + 48 h = 11-03 02:00; picked up at 11-03 01:00 -> on time
    assert m5_outcome(order("a", PAY, scanned(PAY + 47 * H)), TMALL, EVAL, START) == "on_time"
    assert m5_outcome(order("b", PAY, scanned(PAY + 49 * H)), TMALL, EVAL, START) == "late"
    assert m5_outcome(order("c", PAY), TMALL, EVAL, START) == "late"


def test_douyin_limits_by_category() -> None:
    mixed = order("m", PAY, platform="douyin", categories=("配饰", "食品"))
    long_only = order("l", PAY, platform="douyin", categories=("配饰", "潮品鞋服"))
    alias = order("a", PAY, platform="douyin", categories=("手奢侈品",))
    none = order("n", PAY, platform="douyin")
    assert limit_hours(mixed, DOUYIN) == 24  # one item outside the list: 24 h applies
    assert limit_hours(long_only, DOUYIN) == 48
    assert limit_hours(alias, DOUYIN) == 48  # the seed spelling of 手表奢侈品
    assert limit_hours(none, DOUYIN) == 24
    assert limit_hours(long_only, TMALL) == 24  # Tmall has no long list
    # picked up 30 h after pay: late against 24 h, on time against 48 h
    late = order("m", PAY, scanned(PAY + 30 * H), platform="douyin", categories=("配饰", "食品"))
    ok = order("l", PAY, scanned(PAY + 30 * H), platform="douyin", categories=("配饰",))
    assert m1_outcome(late, DOUYIN, EVAL, START) == "late"
    assert m1_outcome(ok, DOUYIN, EVAL, START) == "on_time"


def test_multi_parcel_pickup_is_first_scan_of_any_parcel_ignoring_info_received() -> None:
    a = parcel((PAY + H, "info_received"), (PAY + 30 * H, "picked_up"), no="A")
    b = parcel((PAY + 2 * H, "info_received"), (PAY + 20 * H, "in_transit"), no="B")
    o = order("mp", PAY, a, b)
    assert order_pickup(o, EVAL) == PAY + 20 * H  # B's first scan; A's info_received at +1 h is no pickup
    assert m1_outcome(o, TMALL, EVAL, START) == "on_time"


def test_shipped_with_waybill_but_no_scan_is_not_picked_up() -> None:
    o = order("ns", PAY, parcel((PAY + H, "info_received"), shipped=PAY + H), status="shipped")
    assert order_pickup(o, EVAL) is None
    assert m1_outcome(o, TMALL, EVAL, START) == "late"


def test_events_after_eval_are_ignored() -> None:
    # picked up a day after the evaluation time: as of D it was not picked up, deadline passed -> late
    o = order("e", PAY, scanned(EVAL + 24 * H))
    assert order_pickup(o, EVAL) is None
    assert m1_outcome(o, TMALL, EVAL, START) == "late"
    # the same order seen later is late too (picked up after its deadline), and a past as-of agrees
    assert m1_outcome(o, TMALL, EVAL + 48 * H, START) == "late"


def test_taobao_pack_adds_the_48h_pickup_block() -> None:
    shop = ShopInfo("taobao", "tb")
    o = order("t", PAY, scanned(PAY + 30 * H), platform="taobao", shop="tb")  # late at 24 h, on time at 48 h
    entry = compute_report([o], [shop], AS_OF)["shops"][0]
    assert entry["pay_to_pickup"]["late"] == 1
    assert entry["pay_to_pickup_48h"] == {"on_time": 1, "late": 0, "undecided": 0, "rate": 1.0}


def test_shop_settings_override_the_pack() -> None:
    pack = pack_for(ShopInfo("tmall", "s", settings={"limit_hours": 36, "warehouse": "杭州"}))
    assert pack.limit_hours == 36
    assert m1_outcome(order("a", PAY, scanned(PAY + 30 * H)), pack, EVAL, START) == "on_time"


# ── M2 ──────────────────────────────────────────────────────────────────────────────────────────────────


def delivered_parcel(hours: float, no: str, *extra: tuple[datetime, str]) -> ParcelFact:
    return parcel((PAY + H, "picked_up"), (PAY + H + hours * H, "delivered"), *extra, no=no)


def test_delivery_percentiles_like_percentile_cont_and_returns_excluded() -> None:
    assert percentile_cont([1, 2, 3, 10], 0.5) == pytest.approx(2.5)  # halfway between ranks 2 and 3
    assert percentile_cont([1, 2, 3, 10], 0.9) == pytest.approx(7.9)  # rank 2.7: 3 + 0.7 * (10 - 3)
    parcels = [delivered_parcel(h, f"P{h}") for h in (1, 2, 3, 10)]
    returned = delivered_parcel(5, "R", (PAY + 40 * H, "returned"))
    rejected = parcel((PAY + H, "picked_up"), (PAY + 5 * H, "rejected"), (PAY + 6 * H, "delivered"), no="X")
    assert m2_delivery(returned, EVAL, START) is None
    assert m2_delivery(rejected, EVAL, START) is None
    block = compute_report([order("m2", PAY, *parcels, returned, rejected)], [ShopInfo("tmall", "s1")], AS_OF)
    hours = block["shops"][0]["delivery_hours"]
    # mean (1 + 2 + 3 + 10) / 4 = 4
    assert hours == {
        "count": 4,
        "mean": pytest.approx(4.0),
        "median": pytest.approx(2.5),
        "p90": pytest.approx(7.9),
    }
    # the carrier scorecard: every test parcel is "sf"; the order has no province, so the key is ""
    assert block["shops"][0]["delivery_hours_by_carrier"]["sf"]["count"] == 4
    assert block["shops"][0]["delivery_hours_by_province"][""]["median"] == pytest.approx(2.5)


def test_delivery_counted_in_the_window_of_its_delivered_event_known_by_eval() -> None:
    late_delivery = parcel((EVAL - 5 * H, "picked_up"), (EVAL + H, "delivered"))
    assert m2_delivery(late_delivery, EVAL, START) is None  # delivered after the evaluation time
    early = parcel((START - 10 * H, "picked_up"), (START - H, "delivered"))
    assert m2_delivery(early, EVAL, START) is None  # delivered before the window


# ── M3 ──────────────────────────────────────────────────────────────────────────────────────────────────


def test_freshness_gap_exactly_g_is_fresh_more_is_stale() -> None:
    t = PAY + H
    fresh = parcel((t, "picked_up"), (t + 24 * H, "in_transit"), (t + 48 * H, "delivered"))
    stale = parcel((t, "picked_up"), (t + 24 * H + S, "in_transit"), (t + 30 * H, "delivered"))
    assert m3_outcome(fresh, TMALL, EVAL, START) == "fresh"
    assert m3_outcome(stale, TMALL, EVAL, START) == "stale"
    assert not is_stalled(stale, TMALL, EVAL)  # delivered: a past gap, no current alert


def test_stall_counts_the_gap_from_the_last_event_to_eval() -> None:
    # last event 25 h before the evaluation time, not delivered: stale and currently stalled
    stalled = parcel((EVAL - 30 * H, "picked_up"), (EVAL - 25 * H, "in_transit"))
    assert m3_outcome(stalled, TMALL, EVAL, START) == "stale"
    assert is_stalled(stalled, TMALL, EVAL)
    # last event exactly 24 h before eval: still fresh
    quiet = parcel((EVAL - 30 * H, "picked_up"), (EVAL - 24 * H, "in_transit"))
    assert m3_outcome(quiet, TMALL, EVAL, START) == "fresh"
    # an event after eval does not rescue a past evaluation
    rescued_later = parcel(
        (EVAL - 30 * H, "picked_up"), (EVAL - 25 * H, "in_transit"), (EVAL + H, "delivered")
    )
    assert m3_outcome(rescued_later, TMALL, EVAL, START) == "stale"


def test_freshness_population_is_parcels_picked_up_in_window() -> None:
    assert m3_outcome(parcel((START - H, "picked_up")), TMALL, EVAL, START) is None
    assert m3_outcome(parcel((PAY, "info_received")), TMALL, EVAL, START) is None


# ── M4 ──────────────────────────────────────────────────────────────────────────────────────────────────


def fb(at: datetime, rating: int | None, *tags: str) -> FeedbackFact:
    return FeedbackFact(at, rating, tags)


def test_negative_feedback_ratings() -> None:
    assert m4_negative(order("a", PAY, feedback=(fb(PAY + 60 * H, None, "错发"),)), TMALL, EVAL)  # complaint
    assert m4_negative(order("b", PAY, feedback=(fb(PAY + 60 * H, 2, "错发"),)), TMALL, EVAL)
    assert not m4_negative(order("c", PAY, feedback=(fb(PAY + 60 * H, 3, "错发"),)), TMALL, EVAL)
    assert not m4_negative(
        order("d", PAY, feedback=(fb(PAY + 60 * H, 1, "好评"),)), TMALL, EVAL
    )  # not shipping
    assert not m4_negative(order("e", PAY, feedback=(fb(EVAL + H, 1, "错发"),)), TMALL, EVAL)  # after eval


def test_slow_tag_exclusions_remove_only_that_tag() -> None:
    promised = PAY + 48 * H
    early = order("a", PAY, promised_ship_by=promised, feedback=(fb(promised - H, 1, "发货慢"),))
    assert not m4_negative(early, TMALL, EVAL)  # in stock, before the promise
    after = order("b", PAY, promised_ship_by=promised, feedback=(fb(promised + H, 1, "发货慢"),))
    assert m4_negative(after, TMALL, EVAL)
    presale = order("p", PAY, is_presale=True, feedback=(fb(PAY + 48 * H, 1, "发货慢"),))
    assert not m4_negative(presale, TMALL, EVAL)  # presale, exactly 48 h after pay: within grace
    presale_late = order("q", PAY, is_presale=True, feedback=(fb(PAY + 49 * H, 1, "发货慢"),))
    assert m4_negative(presale_late, TMALL, EVAL)
    both = fb(promised - H, 1, "发货慢", "包装破损")
    assert counted_tags(early, both, TMALL) == {"包装破损"}  # the exclusion removes only [发货慢]


def test_m4_denominator_includes_presale_and_cancelled_order_counted_once() -> None:
    complaints = (fb(PAY + 60 * H, 1, "错发"), fb(PAY + 70 * H, None, "包装破损"))
    orders = [
        order("a", PAY, feedback=complaints),
        order("b", PAY, is_presale=True, promised_ship_by=PAY + 100 * H),
        order("c", PAY, status="cancelled"),
        order("d", None, status="pending_payment"),
    ]
    block = compute_report(orders, [ShopInfo("tmall", "s1")], AS_OF)["shops"][0]["shipping_negative_feedback"]
    assert block == {"negative_orders": 1, "paid_orders": 3, "rate": pytest.approx(1 / 3)}


# ── M6 ──────────────────────────────────────────────────────────────────────────────────────────────────


def test_points_piecewise_linear_and_clamped() -> None:
    table = ((0.8, 0.0), (0.9, 3.0), (1.0, 5.0))
    assert points(table, 0.85) == pytest.approx(1.5)  # halfway 0.8 -> 0.9: 0 + 3 * 0.5
    assert points(table, 0.95) == pytest.approx(4.0)  # 3 + 2 * 0.5
    assert points(table, 0.5) == 0.0 and points(table, 1.2) == 5.0


def test_experience_score_weighted_mean_skipping_none_parts() -> None:
    # Tmall pack: M1 rate 0.9 -> 3.0 points (weight 0.4); M2 mean 60 h -> 4.5 + (3 - 4.5) * 12/24 = 3.75
    # (weight 0.3); M3 None (skipped); M4 rate 0.0 -> 5.0 (weight 0.2).
    # score = (0.4*3 + 0.3*3.75 + 0.2*5) / (0.4 + 0.3 + 0.2) = (1.2 + 1.125 + 1.0) / 0.9 = 3.694444
    blocks = {
        "pay_to_pickup": {"rate": 0.9},
        "delivery_hours": {"mean": 60.0},
        "tracking_freshness": {"rate": None},
        "shipping_negative_feedback": {"rate": 0.0},
    }
    m6 = experience_score(blocks, TMALL)
    assert m6["estimate"] is True
    assert m6["score"] == pytest.approx(3.325 / 0.9)
    assert m6["parts"]["tracking_freshness"]["skipped"] is True
    assert m6["parts"]["tracking_freshness"]["points"] is None
    assert m6["parts"]["delivery_hours"]["points"] == pytest.approx(3.75)
    assert m6["parts"]["pay_to_pickup"]["weight"] == 0.4
    assert experience_score({}, TMALL)["score"] is None


# ── report contract ─────────────────────────────────────────────────────────────────────────────────────


BLOCK_KEYS = {
    "pay_to_pickup": {"on_time", "late", "undecided", "rate"},
    "delivery_hours": {"count", "mean", "median", "p90"},
    "tracking_freshness": {"fresh", "parcels", "rate"},
    "shipping_negative_feedback": {"negative_orders", "paid_orders", "rate"},
    "late_shipment": {"on_time", "late", "undecided", "rate"},
}


def test_report_matches_the_contract() -> None:
    shops = [ShopInfo("tmall", "s1"), ShopInfo("douyin", "d1")]
    orders = [
        order("a", PAY, delivered_parcel(20, "A"), feedback=(fb(PAY + 80 * H, 1, "错发"),)),
        order("b", PAY, platform="douyin", shop="d1"),
        order("c", PAY, delivered_parcel(30, "C"), platform="douyin", shop="d1"),
        order("z", PAY, platform="tmall", shop="not-in-report"),
    ]
    report = json.loads(json.dumps(compute_report(orders, shops, AS_OF)))
    assert set(report) == {"as_of", "window_days", "timezone", "shops", "all"}
    assert (report["as_of"], report["window_days"], report["timezone"]) == ("2026-11-10", 30, "Asia/Shanghai")
    assert [(s["platform"], s["shop"]) for s in report["shops"]] == [("tmall", "s1"), ("douyin", "d1")]
    for blocks in [*report["shops"], report["all"]]:
        for name, keys in BLOCK_KEYS.items():
            assert keys <= set(blocks[name]), name
            rate = blocks[name].get("rate")
            assert rate is None or 0 <= rate <= 1
        assert blocks["experience_score"]["estimate"] is True
        assert {"score", "parts"} <= set(blocks["experience_score"])
    assert report["all"]["pay_to_pickup"] == {
        "on_time": 2,
        "late": 1,
        "undecided": 0,
        "rate": pytest.approx(2 / 3),
    }
    assert report["all"]["shipping_negative_feedback"]["paid_orders"] == 3  # the unlisted shop is out


def test_timezone_override_and_mixed_zones() -> None:
    shops = [ShopInfo("tmall", "s1"), ShopInfo("tmall", "s2", "Europe/Berlin")]
    assert compute_report([], shops, AS_OF)["timezone"] == "Asia/Shanghai"  # mixed: the default zone
    report = compute_report([], shops, AS_OF, timezone="UTC")
    assert report["timezone"] == "UTC" and {s["timezone"] for s in report["shops"]} == {"UTC"}


def test_shop_metrics_merge_is_all() -> None:
    a = ShopMetrics.for_shop(ShopInfo("tmall", "s1"), AS_OF)
    b = ShopMetrics.for_shop(ShopInfo("tmall", "s1"), AS_OF)
    a.add(order("x", PAY, scanned(PAY + H)))
    b.add(order("y", PAY))
    assert a.merge(b).m1 == {"on_time": 1, "late": 1, "undecided": 0}
