"""Misses judged from the derived rows' candidates equal the full pass over every order of the window, on a
seeded demo database (late, stale, negative and in-flight orders of several shops and platforms), and an
order changed since the last refresh is still judged."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine, update

from lanshou import schema as s
from lanshou.demo.generator import DemoConfig
from lanshou.demo.writer import write_demo
from lanshou.metrics.explain import misses
from lanshou.metrics.miss_candidates import miss_candidates
from lanshou.metrics.misses import find_misses
from lanshou.metrics.report import window_facts
from lanshou.metrics.rollups import mark_dirty
from lanshou.metrics.upkeep import rebuild_rollups
from lanshou.shops.store import load_shops

END = date(2026, 11, 21)


def _full_pass(engine: Engine, as_of: date) -> list[object]:
    with engine.connect() as conn:
        shops = load_shops(conn)
        facts = list(window_facts(conn, shops, as_of, 30))
    return list(misses(facts, list(shops.values()), as_of, 30))


def _key(m: object) -> tuple[str, str, str]:
    return (m.platform, m.shop, m.order_no)  # type: ignore[attr-defined]


def test_candidates_give_the_same_misses_as_judging_every_order(engine: Engine) -> None:
    write_demo(engine, DemoConfig(orders=1_500, days=30, seed=5, end=END, batch_orders=500))
    rebuild_rollups(engine)
    with engine.connect() as conn:
        shops = load_shops(conn)
        assert 0 < len(miss_candidates(conn, shops)) < 1_500  # the derived rows do rule orders out
    for as_of in (END, END - timedelta(days=6)):
        found = find_misses(engine, as_of)
        assert found and found == _full_pass(engine, as_of)
    # an order changed after the refresh (its mark not consumed yet) is judged from its raw rows
    found = find_misses(engine, END)
    stale = {m.order_no for m in found if m.metric == "tracking_freshness"}
    late = next(m for m in found if m.metric == "pay_to_pickup" and m.order_no not in stale)
    with engine.begin() as conn:
        shop_id = next(i for i, info in load_shops(conn).items() if info.shop == late.shop)
        conn.execute(
            update(s.metric_orders)
            .where(s.metric_orders.c.shop_id == shop_id, s.metric_orders.c.order_no == late.order_no)
            .values(pickup_on_time=True, by_promise=True, negative_eday=date(9999, 12, 31))
        )
        mark_dirty(conn, [(shop_id, late.order_no)])
    assert late in find_misses(engine, END)
    assert find_misses(engine, END) == _full_pass(engine, END)


def test_one_metrics_candidates_give_that_metrics_misses(engine: Engine) -> None:
    """The misses page asks for one metric: judging only the orders that can miss it finds every miss of
        it that the full pass finds, no more (M3 in the same order: its shared parcels go to the same order;
    the order-level metrics read kept rows, lanshou.metrics.miss_store)."""
    write_demo(engine, DemoConfig(orders=1_500, days=30, seed=5, end=END, batch_orders=500))
    rebuild_rollups(engine)
    full = _full_pass(engine, END)
    with engine.connect() as conn:
        shops = load_shops(conn)
        everything = miss_candidates(conn, shops)
        for metric in ("pay_to_pickup", "late_shipment", "tracking_freshness", "shipping_negative_feedback"):
            expected = [m for m in full if m.metric == metric]  # type: ignore[attr-defined]
            found = [m for m in find_misses(engine, END, metric=metric) if m.metric == metric]
            if metric == "tracking_freshness":
                assert found == expected, metric
            else:  # read from metric_misses in the database's order; the report ranks them (by impact)
                assert sorted(found, key=_key) == sorted(expected, key=_key), metric
            assert miss_candidates(conn, shops, metric) <= everything
        assert len(miss_candidates(conn, shops, "shipping_negative_feedback")) < len(everything)
