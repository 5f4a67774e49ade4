"""Rollup path, hand-computed: the daily keys answer "by the evaluation time" questions exactly."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from lanshou import schema as s
from lanshou.metrics.packs import apply_overrides, load_pack
from lanshou.metrics.report import metrics_report
from lanshou.metrics.rollup_sql import window_counts
from lanshou.metrics.rollups import mark_dirty, refresh
from tests.metric_data import write_parcels

RULES = apply_overrides(
    load_pack("douyin"),
    {
        "limit_hours": 24,
        "long_limit_hours": 48,
        "long_limit_categories": ["配饰"],
        "default_promise_hours": 48,
        "presale_slow_grace_hours": 48,
        "shipping_tags": ["发货慢", "包装破损"],
        "slow_tag": "发货慢",
        "freshness_gap_hours": 24,
        "extra_pickup_limits": {},
    },
)
# Shanghai is UTC+8: local 2026-11-10 00:00 (the evaluation time as of 2026-11-10) is 2026-11-09 16:00 UTC.
EVAL = datetime(2026, 11, 9, 16, 0)


def add_order(
    conn,
    no: str,
    paid: datetime,
    status: str = "paid",
    presale: bool = False,
    category: str = "食品",
    scans: tuple[datetime, ...] = (),
    promised: datetime | None = None,
) -> None:  # type: ignore[no-untyped-def]
    conn.execute(
        s.orders.insert(),
        [
            {
                "shop_id": 1,
                "order_no": no,
                "status": status,
                "created_at": paid,
                "paid_at": paid,
                "is_presale": presale,
                "promised_ship_by": promised,
                "updated_at": paid,
            }
        ],
    )
    conn.execute(
        s.order_lines.insert(),
        [{"shop_id": 1, "order_no": no, "line_key": "1", "sku": "S", "category": category, "quantity": 1}],
    )
    if scans:
        write_parcels(conn, [{"shop_id": 1, "order_no": no, "carrier": "zto", "tracking_no": "T" + no}])
        conn.execute(
            s.tracking_events.insert(),
            [
                {
                    "tracking_no": "T" + no,
                    "event_time": t,
                    "status": "picked_up" if i == 0 else "in_transit",
                    "raw_status": str(i),
                }
                for i, t in enumerate(scans)
            ],
        )


def test_m1_edges_from_rollups(engine: Engine) -> None:
    paid = EVAL - timedelta(days=3)
    with engine.begin() as conn:
        conn.execute(
            s.shops.insert(), [{"id": 1, "platform": "douyin", "name": "店", "timezone": "Asia/Shanghai"}]
        )
        add_order(conn, "exact", paid, scans=(paid + timedelta(hours=24),))  # on time: exactly at the limit
        add_order(conn, "late", paid, scans=(paid + timedelta(hours=24, seconds=1),))  # late by one second
        add_order(conn, "long", paid, category="配饰", scans=(paid + timedelta(hours=47),))  # 48 h category
        add_order(conn, "unpicked", paid)  # deadline passed, no scan: late
        add_order(conn, "undecided", EVAL - timedelta(hours=2))  # deadline still ahead: left out
        add_order(conn, "deadline_at_eval", EVAL - timedelta(hours=24))  # pay + 24 h == eval: undecided
        add_order(conn, "cancelled", paid, status="cancelled")  # cancelled before pickup: left out
        add_order(
            conn, "cancelled_after_pickup", paid, status="cancelled", scans=(paid + timedelta(hours=1),)
        )
        add_order(conn, "presale", paid, presale=True)  # not in M1, judged by M5
        add_order(conn, "scan_after_eval", EVAL - timedelta(hours=30), scans=(EVAL + timedelta(seconds=1),))
        mark_dirty(
            conn,
            [
                (1, no)
                for no in (
                    "exact",
                    "late",
                    "long",
                    "unpicked",
                    "undecided",
                    "deadline_at_eval",
                    "cancelled",
                    "cancelled_after_pickup",
                    "presale",
                    "scan_after_eval",
                )
            ],
        )
    refresh(engine, lambda shop: RULES)
    with engine.connect() as conn:
        counts = window_counts(conn, date(2026, 11, 10), 30, [1])[1]
    # on time: exact, long, cancelled_after_pickup; late: late, unpicked, scan_after_eval (deadline passed
    # and its scan is after the evaluation time); undecided: undecided, deadline_at_eval
    assert counts.m1 == {"on_time": 3, "late": 3, "undecided": 2}
    # M5 (promise = pay + 48 h): promised in window = all but undecided, deadline_at_eval, scan_after_eval
    # (their pay + 48 h is after the eval time); on time: exact, late, long, cancelled_after_pickup;
    # late: unpicked, presale; cancelled without pickup is left out
    assert counts.m5 == {"on_time": 4, "late": 2, "undecided": 0}
    assert counts.m4 == {"negative_orders": 0, "paid_orders": 10}
    # a report as of an earlier day sees only what was knowable then: as of 11-08 (eval 11-07 16:00 UTC)
    with engine.connect() as conn:
        earlier = window_counts(conn, date(2026, 11, 8), 30, [1])[1]
    # eval is then exactly pay + 24 h of the day-11-07 orders: "exact" (scanned at that instant) and
    # "cancelled_after_pickup" are on time; "late", "long", "unpicked" are not picked up yet and their
    # deadline has not passed (pay + 24 h == eval is not "past"): undecided. The others were paid later.
    assert earlier.m1 == {"on_time": 2, "late": 0, "undecided": 3}


def test_rollups_refuse_a_timezone_they_are_not_kept_in(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            s.shops.insert(), [{"id": 1, "platform": "douyin", "name": "店", "timezone": "Asia/Shanghai"}]
        )
    with pytest.raises(ValueError, match="own timezone"):
        metrics_report(engine, date(2026, 11, 10), 30, timezone="UTC", source="rollups")
    assert metrics_report(engine, date(2026, 11, 10), 30, timezone="UTC")["source"] == "raw"


def test_rebuild_gives_the_same_rollups_as_incremental_refresh(engine: Engine) -> None:
    from lanshou.metrics.rollups import rebuild, rollup_tables

    test_m1_edges_from_rollups(engine)  # data in, rollups maintained incrementally

    def snapshot() -> dict[str, set[tuple[object, ...]]]:
        with engine.connect() as conn:
            return {
                name: {tuple(row) for row in conn.execute(table.select()) if row.n}
                for name, table in rollup_tables().items()
            }

    incremental = snapshot()
    assert rebuild(engine, lambda shop: RULES) == 10
    assert snapshot() == incremental


def test_delivery_median_and_p90_interpolate_within_and_across_hour_buckets(engine: Engine) -> None:
    """Durations 10 h, 20.5 h, 20.75 h, 50 h. Median: rank 1.5, between 20.5 and 20.75 (one hour bucket)
    = 20.625 h. p90: rank 2.7, between 20.75 (bucket 20) and 50 (bucket 50): 20.75 + 0.7 × 29.25 = 41.225 h.
    """
    paid = EVAL - timedelta(days=5)
    hours = (10, 20.5, 20.75, 50)
    with engine.begin() as conn:
        conn.execute(
            s.shops.insert(), [{"id": 1, "platform": "douyin", "name": "店", "timezone": "Asia/Shanghai"}]
        )
        for i, duration in enumerate(hours):
            no = f"d{i}"
            picked = paid + timedelta(hours=1)
            add_order(conn, no, paid, status="delivered", scans=(picked,))
            conn.execute(
                s.tracking_events.insert(),
                [
                    {
                        "tracking_no": "T" + no,
                        "event_time": picked + timedelta(hours=duration),
                        "status": "delivered",
                        "raw_status": "签收",
                    }
                ],
            )
        mark_dirty(conn, [(1, f"d{i}") for i in range(len(hours))])
    refresh(engine, lambda shop: RULES)
    with engine.connect() as conn:
        shop = window_counts(conn, date(2026, 11, 10), 30, [1])[1]
    assert shop.delivery_count == 4
    assert shop.median_s == pytest.approx(20.625 * 3600)
    assert shop.p90_s == pytest.approx(41.225 * 3600)
    report = metrics_report(engine, date(2026, 11, 10), 30, source="rollups")  # nothing left to derive
    overall = report["all"]["delivery_hours"]
    assert (overall["median"], overall["p90"]) == (pytest.approx(20.625), pytest.approx(41.225))


def test_a_parcel_has_a_derived_row_from_its_first_scan(engine: Engine) -> None:
    """A parcel never scanned counts in no rollup, so it has no metric_parcels row (an import of orders
    before their tracking wrote one per parcel only for the first scan to replace it); the first scan
    derives its row and moves the rollups."""
    paid = EVAL - timedelta(days=3)
    with engine.begin() as conn:
        conn.execute(
            s.shops.insert(), [{"id": 1, "platform": "douyin", "name": "店", "timezone": "Asia/Shanghai"}]
        )
        add_order(conn, "waiting", paid)
        write_parcels(conn, [{"shop_id": 1, "order_no": "waiting", "carrier": "zto", "tracking_no": "Tw"}])
        mark_dirty(conn, [(1, "waiting")])
    refresh(engine, lambda shop: RULES)

    def parcel_rows() -> list[tuple[object, ...]]:
        with engine.connect() as conn:
            p = s.metric_parcels.c
            return [tuple(r) for r in conn.execute(select(p.tracking_no, p.order_no, p.pickup_day))]

    def freshness_counted() -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.sum(s.rollup_freshness.c.n), 0))).scalar_one())

    def m1() -> dict[str, int]:
        with engine.connect() as conn:
            return window_counts(conn, date(2026, 11, 10), 30, [1])[1].m1

    assert parcel_rows() == []
    assert freshness_counted() == 0
    assert m1() == {"on_time": 0, "late": 1, "undecided": 0}
    picked = paid + timedelta(hours=2)  # 2026-11-06 18:00 UTC: 11-07 local
    with engine.begin() as conn:
        conn.execute(
            s.tracking_events.insert(),
            [{"tracking_no": "Tw", "event_time": picked, "status": "picked_up", "raw_status": "揽收"}],
        )
        mark_dirty(conn, [(1, "waiting")])
    refresh(engine, lambda shop: RULES)
    assert parcel_rows() == [("Tw", "waiting", date(2026, 11, 7))]
    assert freshness_counted() == 1
    assert m1() == {"on_time": 1, "late": 0, "undecided": 0}
