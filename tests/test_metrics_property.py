"""Invariants of the pure metrics engine, over random orders (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from lanshou.metrics.compute import Accumulator, Window, compute_report, window
from lanshou.metrics.facts import EventFact, FeedbackFact, OrderFact, ParcelFact
from lanshou.metrics.packs import load_pack
from lanshou.shops.model import ShopInfo

AS_OF = date(2026, 11, 10)
WIN = Window(*window(AS_OF, 30, "Asia/Shanghai"))
BASE = WIN.start - timedelta(days=3)
SPAN_H = 36 * 24  # paid from 3 days before the window to 3 days after it
PACK = load_pack("douyin")
STATUSES = ["info_received", "picked_up", "in_transit", "delivered", "returned", "rejected", "exception"]

hours = st.floats(min_value=0, max_value=SPAN_H, allow_nan=False)


@st.composite
def parcels(draw: st.DrawFn, paid: datetime) -> ParcelFact:
    offsets = draw(st.lists(st.floats(min_value=0, max_value=200), max_size=5))
    events = [EventFact(paid + timedelta(hours=o), draw(st.sampled_from(STATUSES))) for o in sorted(offsets)]
    shipped = draw(st.none() | st.just(paid + timedelta(hours=1)))
    return ParcelFact(draw(st.text("ABC", min_size=1, max_size=3)), "sf", shipped, tuple(events))


@st.composite
def orders(draw: st.DrawFn) -> OrderFact:
    paid = BASE + timedelta(hours=draw(hours))
    feedback = draw(
        st.lists(
            st.builds(
                FeedbackFact,
                st.integers(0, 200).map(lambda h: paid + timedelta(hours=h)),
                st.none() | st.integers(1, 5),
                st.lists(st.sampled_from(["发货慢", "错发", "好评"]), max_size=2).map(tuple),
            ),
            max_size=2,
        )
    )
    return OrderFact(
        platform="douyin",
        shop="d",
        order_no=draw(st.text("0123456789", min_size=1, max_size=6)),
        status=draw(st.sampled_from(["paid", "shipped", "cancelled", "refunded", "completed"])),
        created_at=paid,
        paid_at=draw(st.sampled_from([paid, paid, paid, None])),
        is_presale=draw(st.booleans()),
        promised_ship_by=draw(st.none() | st.just(paid + timedelta(hours=72))),
        categories=tuple(draw(st.lists(st.sampled_from(["配饰", "食品", "手奢侈品"]), max_size=2))),
        parcels=tuple(draw(st.lists(parcels(paid), max_size=2))),
        feedback=tuple(feedback),
    )


def accumulate(batch: list[OrderFact]) -> Accumulator:
    acc = Accumulator()
    for o in batch:
        acc.add_order(o, PACK, WIN)
    return acc


@settings(max_examples=150, deadline=None)
@given(st.lists(orders(), max_size=25), st.data())
def test_merging_any_split_equals_the_whole(all_orders: list[OrderFact], data: st.DataObject) -> None:
    # a tracking number is one physical parcel, counted once however many orders it carries (合并发货), so
    # only a split between parcels sums back: here each order's parcels are its own
    all_orders = [
        replace(o, parcels=tuple(replace(p, tracking_no=f"{n}/{p.tracking_no}") for p in o.parcels))
        for n, o in enumerate(all_orders)
    ]
    parts = data.draw(st.lists(st.integers(0, 3), min_size=len(all_orders), max_size=len(all_orders)))
    buckets: list[list[OrderFact]] = [[], [], [], []]
    for o, part in zip(all_orders, parts, strict=True):
        buckets[part].append(o)
    merged = Accumulator()
    for bucket in buckets:
        merged = merged.merge(accumulate(bucket))
    whole = accumulate(all_orders)
    assert merged == whole
    assert merged.to_blocks() == whole.to_blocks()


@settings(max_examples=60, deadline=None)
@given(st.lists(orders(), max_size=25))
def test_report_counts_are_consistent(all_orders: list[OrderFact]) -> None:
    report = compute_report(all_orders, [ShopInfo("douyin", "d")], AS_OF)
    shop, everything = report["shops"][0], report["all"]
    for name in ("pay_to_pickup", "tracking_freshness", "shipping_negative_feedback", "late_shipment"):
        assert shop[name] == everything[name]  # one shop: "all" is that shop
        rate = shop[name]["rate"]
        assert rate is None or 0 <= rate <= 1
    m1 = shop["pay_to_pickup"]
    assert (m1["rate"] is None) == (m1["on_time"] + m1["late"] == 0)
    assert shop["tracking_freshness"]["fresh"] <= shop["tracking_freshness"]["parcels"]
    hours = shop["delivery_hours"]
    if hours["count"]:
        assert hours["median"] <= hours["p90"]
