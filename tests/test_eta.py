"""ETA from lane history: lane norms, the fallback to wider lanes, the estimate, and its accuracy report."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from lanshou import schema as s
from lanshou.tracking.eta import (
    ANY,
    EtaOutcome,
    EtaSettings,
    Lane,
    LaneNorm,
    accuracy,
    estimate,
    lane_norms,
    norm_for,
    percentile,
)
from lanshou.tracking.state import ParcelState
from lanshou.tracking.status import TrackingStatus as T

T0 = datetime(2026, 11, 1, 8, 0)
ZJ_GD = Lane("zto", "浙江", "广东")


def test_percentile_interpolates_like_postgresql() -> None:
    assert percentile([1, 2, 3, 10], 0.5) == 2.5
    assert percentile([1, 2, 3, 10], 0.9) == pytest.approx(7.9)


def test_lane_norms_cover_the_wider_lanes() -> None:
    norms = lane_norms([(ZJ_GD, 30.0), (ZJ_GD, 40.0), (Lane("yto", "浙江", "广东"), 50.0)])
    assert norms[ZJ_GD] == LaneNorm(2, 35.0, 39.0)
    assert norms[Lane(ANY, "浙江", "广东")].parcels == 3
    assert norms[Lane(ANY, ANY, ANY)].median_hours == 40.0


def test_a_thin_lane_borrows_the_nearest_wider_norm() -> None:
    book = {
        ZJ_GD: LaneNorm(3, 20.0, 30.0),
        Lane("zto", ANY, "广东"): LaneNorm(50, 40.0, 60.0),
        Lane(ANY, ANY, ANY): LaneNorm(500, 50.0, 90.0),
    }
    assert norm_for(book, ZJ_GD, min_parcels=20) == LaneNorm(50, 40.0, 60.0)
    assert norm_for(book, ZJ_GD, min_parcels=3) == LaneNorm(3, 20.0, 30.0)
    assert norm_for({ZJ_GD: LaneNorm(3, 20.0, 30.0)}, ZJ_GD, 20) == LaneNorm(3, 20.0, 30.0)  # best known
    assert norm_for({}, ZJ_GD, 20) is None


def test_estimate_from_pickup_then_from_the_last_mile() -> None:
    norm = LaneNorm(100, 36.0, 60.0)
    picked = ParcelState("ZT1", "zto", T.IN_TRANSIT, T0 + timedelta(hours=5), pickup_at=T0)
    guess = estimate(picked, norm)
    assert (guess.eta, guess.late_after, guess.lane_eta) == (
        T0 + timedelta(hours=36),
        T0 + timedelta(hours=60),
        T0 + timedelta(hours=36),
    )
    out = ParcelState("ZT1", "zto", T.OUT_FOR_DELIVERY, T0 + timedelta(hours=50), pickup_at=T0)
    assert estimate(out, norm, EtaSettings(out_for_delivery_hours=6)).eta == T0 + timedelta(hours=56)
    assert estimate(ParcelState("ZT1"), norm).eta is None  # not picked up: no estimate yet


def test_accuracy_report() -> None:
    outcomes = [
        EtaOutcome("zto", T0, T0 + timedelta(hours=10)),  # 10 h late
        EtaOutcome("zto", T0, T0 - timedelta(hours=2)),  # 2 h early
        EtaOutcome("yto", T0, T0 + timedelta(hours=30)),  # 30 h late
    ]
    report = accuracy(outcomes)
    assert report["parcels"] == 3
    assert report["mean_abs_error_hours"] == 14.0
    assert report["median_error_hours"] == 10.0
    assert report["within_24h"] == round(2 / 3, 4)
    assert report["by_eta"] == round(1 / 3, 4)
    assert report["carriers"]["zto"]["parcels"] == 2  # type: ignore[index]
    assert accuracy([])["parcels"] == 0


ORDERS_HEADER = (
    "platform,shop,order_id,status,created_at,paid_at,is_presale,promised_ship_by,buyer_id,buyer_name,"
    "buyer_phone,province,city,district,address,buyer_message,sku,title,category,quantity,unit_price,"
    "order_amount,carrier,tracking_no,shipped_at"
)


def order_row(number: int, tracking_no: str, province: str = "广东省") -> str:
    return (
        f"douyin,小店,{number},shipped,2026-10-01 09:00:00,2026-10-01 09:01:00,0,,,王五,13900001111,"
        f"{province},深圳市,南山区,科技园,,SKU-1,发夹,配饰,1,5.50,5.50,zto,{tracking_no},2026-10-01 12:00:00"
    )


def tracking_rows(tracking_no: str, pickup: datetime, hours: float | None) -> list[str]:
    rows = [f"zto,{tracking_no},{pickup:%Y-%m-%d %H:%M:%S},103,杭州,已揽收"]
    if hours is not None:
        rows.append(f"zto,{tracking_no},{pickup + timedelta(hours=hours):%Y-%m-%d %H:%M:%S},签收,深圳,已签收")
    return rows


def test_lanes_refresh_then_etas_at_pickup_are_measured(engine: Engine, tmp_path: Path) -> None:
    """History gives the lane norm; later parcels get an ETA at pickup; eta-accuracy compares them."""
    from lanshou.intake.orders import import_orders
    from lanshou.intake.tracking import import_tracking
    from lanshou.tracking.eta_report import eta_accuracy
    from lanshou.tracking.lanes import refresh_lanes

    with engine.begin() as conn:  # the shop ships from a Hangzhou warehouse
        conn.execute(
            s.shops.insert().values(platform="douyin", name="小店", settings='{"warehouse": "浙江杭州"}')
        )
    history = [f"H{i}" for i in range(25)]
    fresh = ["N1", "N2"]
    orders = [order_row(i, n) for i, n in enumerate(history + fresh)]
    (tmp_path / "orders.csv").write_text("\n".join([ORDERS_HEADER, *orders]) + "\n", encoding="utf-8")
    import_orders(engine, tmp_path / "orders.csv", rejects=tmp_path / "rej.csv")
    track = ["carrier,tracking_no,event_time,status,location,description"]
    for i, number in enumerate(history):  # 30..54 h, median 42
        track += tracking_rows(number, datetime(2026, 10, 2, 8), 30 + i)
    (tmp_path / "history.csv").write_text("\n".join(track) + "\n", encoding="utf-8")
    import_tracking(engine, tmp_path / "history.csv", rejects=tmp_path / "rej.csv")

    assert refresh_lanes(engine, datetime(2026, 10, 20)) > 0
    with engine.connect() as conn:
        lane = conn.execute(
            select(s.lane_stats).where(
                s.lane_stats.c.carrier == "zto",
                s.lane_stats.c.origin == "浙江",
                s.lane_stats.c.destination == "广东",
            )
        ).one()
    assert (lane.parcels, lane.median_hours) == (25, 42.0)

    track = ["carrier,tracking_no,event_time,status,location,description"]
    track += tracking_rows("N1", datetime(2026, 10, 10, 8), 40)  # 2 h early
    track += tracking_rows("N2", datetime(2026, 10, 10, 8), None)  # still travelling
    (tmp_path / "new.csv").write_text("\n".join(track) + "\n", encoding="utf-8")
    import_tracking(engine, tmp_path / "new.csv", rejects=tmp_path / "rej.csv")
    with engine.connect() as conn:
        states = {r.tracking_no: r for r in conn.execute(select(s.parcel_state))}
    picked = datetime(2026, 10, 10, 0)  # 08:00 Shanghai
    assert states["N2"].eta == picked + timedelta(hours=42)
    from lanshou.tracking.queries import etas_of

    with engine.connect() as conn:
        assert etas_of(conn, ["N2", "NOPE"]) == {"N2": picked + timedelta(hours=42)}
    assert states["N1"].pickup_eta == picked + timedelta(hours=42)
    report = eta_accuracy(engine, datetime(2026, 10, 9), datetime(2026, 10, 20))
    assert report["parcels"] == 1
    assert report["median_error_hours"] == -2.0
    assert report["by_eta"] == 1.0
