"""Which orders the kept reads (misses, queue) must judge from raw rows: those not derived yet, marked
themselves, or carried by a marked tracking number — found from the marks first and, for the underived,
by two counts before any per-order probe. Checked against the tables read plainly, on both databases."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, delete, insert, select

from lanshou import schema as s
from lanshou.demo.generator import DemoConfig
from lanshou.demo.writer import write_demo
from lanshou.metrics.miss_candidates import unsettled_orders
from lanshou.metrics.upkeep import rebuild_rollups
from lanshou.orders.keys import OrderKey
from lanshou.shops.store import load_shops


def _plainly(engine: Engine, shop_ids: list[int]) -> set[OrderKey]:
    with engine.connect() as conn:
        every = {(r.shop_id, r.order_no) for r in conn.execute(select(s.orders)) if r.shop_id in shop_ids}
        derived = {(r.shop_id, r.order_no) for r in conn.execute(select(s.metric_orders))}
        marked = {(r.shop_id, r.order_no) for r in conn.execute(select(s.metric_dirty_orders))}
        numbers = {r.tracking_no for r in conn.execute(select(s.metric_dirty_tracking))}
        links = conn.execute(select(s.parcel_orders)).all()
    carried = {(r.shop_id, r.order_no) for r in links if r.tracking_no in numbers}
    return (every - derived) | {k for k in marked | carried if k[0] in shop_ids}


def test_unsettled_orders_are_the_underived_and_the_marked(engine: Engine) -> None:
    write_demo(engine, DemoConfig(orders=400, days=20, seed=3, end=date(2026, 11, 21), batch_orders=200))
    rebuild_rollups(engine)
    with engine.connect() as conn:
        shop_ids = sorted(load_shops(conn))
        first, second = conn.execute(select(s.parcel_orders).order_by(s.parcel_orders.c.tracking_no)).all()[
            :2
        ]
    with engine.connect() as conn:  # closed here: a connection left open holds its locks on PostgreSQL
        assert unsettled_orders(conn, shop_ids) == set() == _plainly(engine, shop_ids)
    with engine.begin() as conn:  # one order loses its derived row (no mark), a parcel is marked
        m = s.metric_orders.c
        conn.execute(delete(s.metric_orders).where(m.shop_id == first.shop_id, m.order_no == first.order_no))
        conn.execute(insert(s.metric_dirty_tracking).values(tracking_no=second.tracking_no))
    with engine.connect() as conn:
        found = unsettled_orders(conn, shop_ids)
        only_other = unsettled_orders(conn, [i for i in shop_ids if i != first.shop_id])
    assert found == _plainly(engine, shop_ids)
    assert {(first.shop_id, first.order_no), (second.shop_id, second.order_no)} <= found
    assert (first.shop_id, first.order_no) not in only_other  # shop scoping holds
