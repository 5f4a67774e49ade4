"""Miss explanations and the at-risk queue, hand-computed (Shanghai, UTC+8; see test_metrics_compute)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from lanshou.metrics.explain import Context, misses, order_misses, reason_for, rollup_misses
from lanshou.metrics.facts import OrderFact
from lanshou.metrics.packs import load_pack, pack_for
from lanshou.shops.model import ShopInfo
from lanshou.sla.queue import at_risk_queue, queue_entry, stalled_parcels
from tests.test_metrics_compute import AS_OF, EVAL, START, TMALL, H, fb, order, parcel, scanned

SH = ZoneInfo("Asia/Shanghai")
CTX = Context(TMALL, EVAL, SH)
# 2026-11-04 is a Wednesday. 02:00 UTC = 10:00 local: before the 16:00 cutoff, a working day.
WED = datetime(2026, 11, 4, 2, 0)


def reason(o: OrderFact, deadline: datetime | None = None) -> str:
    return reason_for(o, deadline or WED + 24 * H, CTX)[0]


def test_timeline_reasons_come_first() -> None:
    assert (
        reason(order("h", WED, timeline_kinds=frozenset({"held_for_review", "out_of_stock"})))
        == "held_for_review"
    )
    assert reason(order("s", WED, timeline_kinds=frozenset({"out_of_stock"}))) == "out_of_stock"


def test_no_parcel_is_no_waybill_and_waybill_without_scan_is_shipped_no_scan() -> None:
    assert reason(order("n", WED)) == "no_waybill"
    shipped = order("s", WED, parcel((WED + H, "info_received"), shipped=WED + H), status="shipped")
    assert reason(shipped) == "shipped_no_scan"
    # the shipped-but-unscanned order is late for M1 (deadline Thu 02:00 UTC < eval) with that reason
    found = order_misses(shipped, CTX, START)
    assert [(m.metric, m.reason) for m in found] == [
        ("pay_to_pickup", "shipped_no_scan"),
        ("late_shipment", "shipped_no_scan"),  # default promise pay + 48 h also passed unscanned
    ]


def test_carrier_late_pickup_needs_the_waybill_printed_by_the_deadline() -> None:
    deadline = WED + 24 * H
    in_time = order("c", WED, parcel((deadline + 5 * H, "picked_up"), shipped=deadline - H))
    assert reason_for(in_time, deadline, CTX) == (
        "carrier_late_pickup",
        "waybill printed in time, first scan 5.0 h after the deadline",
    )
    printed_late = order("p", WED, parcel((deadline + 5 * H, "picked_up"), shipped=deadline + H))
    assert reason(printed_late) == "unknown"  # Wednesday 10:00 local, before cutoff: no evidence


def test_calendar_reasons() -> None:
    late_scan = scanned(WED + 30 * H)
    # paid 17:00 local (09:00 UTC) after the 16:00 cutoff
    assert reason(order("a", WED + 7 * H, late_scan), WED + 31 * H) == "paid_after_cutoff"
    # a shop cutoff of 18:00 makes the same order on-cutoff; pay day Wednesday, deadline Thursday: unknown
    late_cutoff = Context(pack_for(ShopInfo("tmall", "s1", settings={"carrier_cutoff": "18:00"})), EVAL, SH)
    assert reason_for(order("a", WED + 7 * H, late_scan), WED + 31 * H, late_cutoff)[0] == "unknown"
    # paid Saturday 2026-11-07 10:00 local
    sat = datetime(2026, 11, 7, 2, 0)
    assert reason(order("w", sat, scanned(sat + 30 * H)), sat + 24 * H) == "weekend_or_holiday"
    # a listed holiday: 2026-10-01 (Thursday)
    hol = datetime(2026, 10, 1, 2, 0)
    assert reason(order("h", hol, scanned(hol + 30 * H)), hol + 24 * H) == "weekend_or_holiday"


def test_stale_parcel_and_negative_feedback_misses() -> None:
    stale = parcel((EVAL - 30 * H, "picked_up"), (EVAL - 25 * H, "in_transit"), no="T1")
    o = order("st", EVAL - 31 * H, stale, feedback=(fb(EVAL - 2 * H, 1, "物流信息不更新"),))
    found = order_misses(o, CTX, START)
    # paid 2026-11-08 09:00 UTC = 17:00 local (after cutoff), picked up 1 h later: on time, so no M1/M5 miss
    assert [(m.metric, m.reason, m.tracking_no) for m in found] == [
        ("tracking_freshness", "weekend_or_holiday", "T1"),  # the silence starts on Sunday 2026-11-08
        ("shipping_negative_feedback", "unknown", ""),
    ]
    assert found[0].pay_hour == 17
    # last event eval - 25 h = 11-08 15:00 UTC = Sunday 23:00 local, silent 25 h until eval
    assert found[0].detail == "no update for 25.0 h after 11-08 23:00 (spans a weekend or holiday)"


def test_stale_parcel_over_a_working_day_is_unknown_over_a_weekend_is_weekend() -> None:
    wed = parcel((WED, "picked_up"), (WED + 30 * H, "delivered"))  # Wed 10:00 -> Thu 16:00 local
    assert order_misses(order("w", WED - H, wed), CTX, START)[0].reason == "unknown"
    sat = datetime(2026, 11, 7, 2, 0)
    weekend = parcel((sat, "picked_up"), (sat + 30 * H, "delivered"))
    assert order_misses(order("s", sat - H, weekend), CTX, START)[0].reason == "weekend_or_holiday"


def test_misses_and_rollup_by_reason_with_rate_gain() -> None:
    shops = [ShopInfo("tmall", "s1", settings={"warehouse": "杭州仓"})]
    orders = [
        order("ok1", WED, scanned(WED + H)),
        order("ok2", WED, scanned(WED + H)),
        order("n1", WED, skus=("A", "B")),
        order("n2", WED, skus=("A",)),
        order("s1", WED, parcel((WED + H, "info_received"), shipped=WED + H), skus=("B",)),
    ]
    found = misses(orders, shops, AS_OF)
    m1 = [m for m in found if m.metric == "pay_to_pickup"]
    assert sorted((m.order_no, m.reason) for m in m1) == [
        ("n1", "no_waybill"),
        ("n2", "no_waybill"),
        ("s1", "shipped_no_scan"),
    ]
    assert {m.warehouse for m in m1} == {"杭州仓"} and {m.pay_hour for m in m1} == {10}
    # decided = 2 on time + 3 late = 5; fixing both no_waybill orders lifts the rate by 2/5
    groups = rollup_misses(found, by="reason", decided=5)
    assert [(g.key, g.count, g.rate_gain) for g in groups] == [
        ("no_waybill", 2, pytest.approx(0.4)),
        ("shipped_no_scan", 1, pytest.approx(0.2)),
    ]
    by_sku = rollup_misses(found, by="sku", decided=5)
    assert [(g.key, g.count) for g in by_sku] == [("A", 2), ("B", 2)]
    assert rollup_misses(found, by="pay_hour")[0].key == "10"
    assert rollup_misses(found, by="reason")[0].rate_gain is None  # no denominator given


# ── at-risk queue ───────────────────────────────────────────────────────────────────────────────────────


NOW = datetime(2026, 11, 5, 0, 0)


def test_queue_hours_left_and_flags() -> None:
    # paid 21 h before now: M1 deadline in 3 h (at risk within 4 h), default promise in 27 h
    o = order("r", NOW - 21 * H)
    entry = queue_entry(o, TMALL, NOW, within_hours=4)
    assert entry is not None
    assert (entry.hours_to_pickup_deadline, entry.hours_to_promise) == (pytest.approx(3), pytest.approx(27))
    assert (entry.hours_left, entry.deadline_kind, entry.at_risk, entry.overdue) == (
        pytest.approx(3),
        "pay_to_pickup",
        True,
        False,
    )
    overdue = queue_entry(order("o", NOW - 30 * H), TMALL, NOW)
    assert (
        overdue is not None
        and overdue.overdue
        and not overdue.at_risk
        and overdue.hours_left == pytest.approx(-6)
    )


def test_queue_presale_uses_only_the_promise() -> None:
    o = order("p", NOW - 100 * H, is_presale=True, promised_ship_by=NOW + 10 * H)
    entry = queue_entry(o, TMALL, NOW)
    assert entry is not None and entry.pickup_deadline is None
    assert (entry.hours_left, entry.deadline_kind, entry.at_risk) == (
        pytest.approx(10),
        "late_shipment",
        False,
    )


def test_queue_skips_picked_up_closed_and_unpaid_and_sorts_most_urgent_first() -> None:
    shops = [ShopInfo("tmall", "s1")]
    orders = [
        order("later", NOW - 2 * H),
        order("picked", NOW - 30 * H, scanned(NOW - H)),
        order("cancelled", NOW - 30 * H, status="cancelled"),
        order("unpaid", None, status="pending_payment"),
        order("overdue", NOW - 30 * H, parcel((NOW - 20 * H, "info_received"), shipped=NOW - 20 * H)),
        order("soon", NOW - 22 * H),
        order("scan-after-now", NOW - 23 * H, scanned(NOW + H)),  # the future cannot have happened yet
    ]
    queue = at_risk_queue(orders, shops, NOW, within_hours=4)
    assert [e.order_no for e in queue] == ["overdue", "scan-after-now", "soon", "later"]
    assert queue[0].has_waybill and not queue[-1].has_waybill
    assert [e.at_risk for e in queue] == [False, True, True, False]


def test_douyin_queue_uses_the_long_limit() -> None:
    o = order("d", NOW - 30 * H, platform="douyin", categories=("配饰",))
    entry = queue_entry(o, load_pack("douyin"), NOW)
    assert entry is not None and entry.hours_to_pickup_deadline == pytest.approx(18)  # 48 - 30


def test_report_date_matches_explain_population() -> None:
    # explain and compute share one population: paid 49 h before the window, its promise (pay + 48 h) is
    # also before the window, so it misses nothing; paid 1 h before, its promise falls inside: an M5 miss
    shops = [ShopInfo("tmall", "s1")]
    assert misses([order("old", START - 49 * H)], shops, date(2026, 11, 10)) == []
    found = misses([order("old", START - H)], shops, date(2026, 11, 10))
    assert [(m.metric, m.reason) for m in found] == [("late_shipment", "no_waybill")]


def test_stalled_parcels_alert() -> None:
    quiet = parcel((NOW - 40 * H, "picked_up"), (NOW - 30 * H, "in_transit"), no="Q")
    fresh = parcel(
        (NOW - 40 * H, "picked_up"), (NOW - 24 * H, "in_transit"), no="F"
    )  # exactly G: not stalled
    done = parcel((NOW - 40 * H, "picked_up"), (NOW - 30 * H, "delivered"), no="D")
    found = stalled_parcels([order("x", NOW - 41 * H, quiet, fresh, done)], [ShopInfo("tmall", "s1")], NOW)
    assert [(p.tracking_no, p.hours_silent) for p in found] == [("Q", pytest.approx(30))]
