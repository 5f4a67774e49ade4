"""Merged shipments (合并发货: one parcel, several orders) and split ones (拆单: one order, several parcels),
imported through the real importers on SQLite and PostgreSQL, with hand-computed numbers.

The case (shop 合并店 on Douyin, Asia/Shanghai, category 食品: M1 limit 24 h, promise pay + 48 h; report as of
2026-11-10 over 30 days; local times):
- M1 paid 11-01 10:00 and M2 paid 11-01 10:30 ride in TM (zto, printed 11-01 12:00): scanned 11-01 20:00,
  delivered 11-03 08:00 (36 h, a 36 h silence: stale). Both on time; TM counts once in M2 and M3.
- S1 paid 11-02 09:00 travels in TS1 (yto, printed 11-03 12:00, scanned 11-03 15:00: 30 h alone would be
  late) and TS2 (sto, printed 11-02 11:00, scanned 11-02 20:00): picked up at the first scan of either,
  11 h: on time. Both delivered after 24 h.
- X1 (paid 11-05 10:00, later cancelled) and X2 (paid 11-05 10:05) ride in TX (zto, printed 11-05 11:00),
  scanned 11-06 12:00: 26 h and 25 h 55 min, both late with reason carrier_late_pickup (a cancelled order
  picked up is no "cancelled before pickup"); delivered after 24 h.
- Y1 (never paid, cancelled, 广东省, the smaller number) and Y2 (paid 11-07 10:10, 浙江省) ride in TY (zto),
  scanned 11-08 09:00 (22 h 50 min: on time), delivered after 24 h. Y1 counts nowhere, so TY counts under
  Y2, in 浙江省.
M1: 4 on time (M1, M2, S1, Y2), 2 late (X1, X2). M5: 6 on time. M2: 36, 24, 24, 24, 24 h. M3: 4 of 5 fresh.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from lanshou import schema as s
from lanshou.intake.orders import import_orders
from lanshou.intake.tracking import import_tracking
from lanshou.metrics.compare import report_differences
from lanshou.metrics.misses import find_misses
from lanshou.metrics.report import metrics_report
from lanshou.orders.queries import OrderFilter, export_cells, query_orders
from lanshou.sla.queue_report import queue_report
from lanshou.tracking.queries import parcels_of
from lanshou.tracking.store import save_shipments

HEADER = (
    "platform,shop,order_id,status,created_at,paid_at,is_presale,promised_ship_by,buyer_id,buyer_name,"
    "buyer_phone,province,city,district,address,buyer_message,sku,title,category,quantity,unit_price,"
    "order_amount,carrier,tracking_no,shipped_at"
)
SHOP = "合并店"
# order, status, created, paid, province, sku, carrier, tracking number, printed (one row per order line)
ORDERS = [
    ("M1", "shipped", "11-01 09:58", "11-01 10:00", "浙江省", "SKU-1", "zto", "TM", "11-01 12:00"),
    ("M2", "shipped", "11-01 10:28", "11-01 10:30", "浙江省", "SKU-2", "zto", "TM", "11-01 12:00"),
    ("S1", "shipped", "11-02 08:58", "11-02 09:00", "浙江省", "SKU-1", "yto", "TS1", "11-03 12:00"),
    ("S1", "shipped", "11-02 08:58", "11-02 09:00", "浙江省", "SKU-3", "sto", "TS2", "11-02 11:00"),
    ("X1", "cancelled", "11-05 09:58", "11-05 10:00", "浙江省", "SKU-1", "zto", "TX", "11-05 11:00"),
    ("X2", "shipped", "11-05 10:03", "11-05 10:05", "浙江省", "SKU-2", "zto", "TX", "11-05 11:00"),
    ("Y1", "cancelled", "11-07 10:00", "", "广东省", "SKU-1", "zto", "TY", "11-07 12:00"),
    ("Y2", "shipped", "11-07 10:08", "11-07 10:10", "浙江省", "SKU-2", "zto", "TY", "11-07 12:00"),
]  # fmt: skip
EVENTS = [  # tracking number, carrier, time, status
    ("TM", "zto", "11-01 20:00", "picked_up"),
    ("TM", "zto", "11-03 08:00", "delivered"),
    ("TS1", "yto", "11-03 15:00", "picked_up"),
    ("TS1", "yto", "11-04 15:00", "delivered"),
    ("TS2", "sto", "11-02 20:00", "picked_up"),
    ("TS2", "sto", "11-03 20:00", "delivered"),
    ("TX", "zto", "11-06 12:00", "picked_up"),
    ("TX", "zto", "11-07 12:00", "delivered"),
    ("TY", "zto", "11-08 09:00", "picked_up"),
    ("TY", "zto", "11-09 09:00", "delivered"),
]
AS_OF = date(2026, 11, 10)


def when(local: str) -> str:
    """ "11-01 10:00" -> "2026-11-01 10:00:00" (local time of the shop); "" stays empty."""
    return f"2026-{local}:00" if local else ""


def order_rows(orders: list[tuple[str, ...]], platform: str = "douyin", shop: str = SHOP) -> list[str]:
    return [
        f"{platform},{shop},{no},{status},{when(created)},{when(paid)},0,,buyer-9,张三,13812345678,{province},"
        f"杭州市,西湖区,文三路1号,,{sku},商品,食品,1,10.00,10.00,{carrier},{tracking},{when(printed)}"
        for no, status, created, paid, province, sku, carrier, tracking, printed in orders
    ]


def write_orders(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def write_events(path: Path, events: list[tuple[str, str, str, str]]) -> Path:
    lines = [f"{carrier},{no},{when(at)},{status},杭州,-" for no, carrier, at, status in events]
    path.write_text("\n".join(["carrier,tracking_no,event_time,status,location,description", *lines]) + "\n")
    return path


def load(engine: Engine, folder: Path, tracking_first: bool = False) -> None:
    orders = write_orders(folder / "orders.csv", order_rows(ORDERS))
    tracking = write_events(folder / "tracking.csv", EVENTS)
    steps = [
        lambda: import_orders(engine, orders, rejects=folder / "rej_o.csv"),
        lambda: import_tracking(engine, tracking, rejects=folder / "rej_t.csv"),
    ]
    for step in reversed(steps) if tracking_first else steps:
        assert step().ok


def report(engine: Engine, as_of: date = AS_OF) -> dict:  # type: ignore[type-arg]
    rollups = metrics_report(engine, as_of, 30, source="rollups")
    raw = metrics_report(engine, as_of, 30, source="raw")
    rollups.pop("source"), raw.pop("source")
    assert report_differences(rollups, raw) == []  # the rollups are exactly the recompute
    return rollups


@pytest.mark.parametrize("tracking_first", [False, True], ids=["orders-then-tracking", "tracking-first"])
def test_every_order_counts_with_all_its_parcels(
    engine: Engine, tmp_path: Path, tracking_first: bool
) -> None:
    load(engine, tmp_path, tracking_first)
    (shop,) = report(engine)["shops"]
    assert shop["pay_to_pickup"] == {"on_time": 4, "late": 2, "undecided": 0, "rate": pytest.approx(4 / 6)}
    assert shop["late_shipment"] == {"on_time": 6, "late": 0, "undecided": 0, "rate": 1.0}
    assert shop["shipping_negative_feedback"]["paid_orders"] == 6  # Y1 never paid
    delivery = shop["delivery_hours"]  # TM 36 h, TS1, TS2, TX and TY 24 h: each physical parcel once
    assert delivery["count"] == 5 and delivery["mean"] == pytest.approx(26.4)
    assert delivery["median"] == pytest.approx(24) and delivery["p90"] == pytest.approx(31.2)
    assert shop["tracking_freshness"] == {"fresh": 4, "parcels": 5, "rate": pytest.approx(0.8)}


def test_scorecard_counts_a_merged_parcel_once_at_its_paid_orders_province(
    engine: Engine, tmp_path: Path
) -> None:
    load(engine, tmp_path)
    everything = report(engine)["all"]
    by_carrier = {k: (v["count"], v["mean"]) for k, v in everything["delivery_hours_by_carrier"].items()}
    assert by_carrier == {"sto": (1, 24.0), "yto": (1, 24.0), "zto": (3, pytest.approx(28.0))}
    by_province = {k: v["count"] for k, v in everything["delivery_hours_by_province"].items()}
    assert by_province == {"浙江省": 5}  # TY under Y2 (paid, 浙江省), not Y1 (never paid, 广东省)


def test_misses_see_the_shared_parcel(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path)
    found = find_misses(engine, AS_OF)
    late = {m.order_no: m.reason for m in found if m.metric == "pay_to_pickup"}
    assert late == {"X1": "carrier_late_pickup", "X2": "carrier_late_pickup"}  # printed in time, scanned late
    stale = [(m.order_no, m.tracking_no) for m in found if m.metric == "tracking_freshness"]
    assert len(stale) == 1 and stale[0][1] == "TM" and stale[0][0] in ("M1", "M2")  # one parcel, one miss


def test_listing_and_export_show_every_parcel(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path)
    with engine.connect() as conn:
        rows = {row.order_no: row for row in query_orders(conn, OrderFilter())}
    assert rows["M1"].parcels == rows["M2"].parcels == (("zto", "TM"),)
    assert rows["S1"].parcels == (("yto", "TS1"), ("sto", "TS2"))  # in the order the file names them
    assert (rows["S1"].carrier, rows["S1"].tracking_no) == ("yto, sto", "TS1, TS2")
    assert export_cells(rows["S1"])[-2:] == ("yto, sto", "TS1, TS2")
    assert rows["Y1"].parcels == rows["Y2"].parcels == (("zto", "TY"),)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.parcels)).scalar_one() == 5
        assert conn.execute(select(func.count()).select_from(s.parcel_orders)).scalar_one() == 8


def test_queue_and_stalled_list_see_the_shared_parcel(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path)
    # 11-05 18:00 local: TX printed, not yet scanned; X1 is cancelled (off the queue), X2 waits with a waybill
    entries = queue_report(engine, datetime(2026, 11, 5, 10, 0)).entries
    assert [(e.order_no, e.has_waybill, e.carrier) for e in entries] == [("X2", True, "zto")]
    # 11-02 21:00 local: TM silent for 25 h (> 24 h): one stalled parcel, though it carries two orders
    stalled = queue_report(engine, datetime(2026, 11, 2, 13, 0)).stalled
    assert [p.tracking_no for p in stalled] == ["TM"]


def test_a_corrected_tracking_number_moves_and_the_rollups_follow(engine: Engine, tmp_path: Path) -> None:
    """A and B ride in TA; a newer export names TA2 on A (a corrected number): A leaves TA, B keeps it.
    TA counted under A (the smaller paid number) moves to B, though only A was imported again."""
    a = ("A", "shipped", "11-01 09:00", "11-01 10:00", "浙江省", "SKU-1", "zto")
    b = ("B", "shipped", "11-01 10:05", "11-01 10:10", "江苏省", "SKU-2", "zto")
    first = write_orders(tmp_path / "1.csv", order_rows([(*a, "TA", "11-01 11:00"), (*b, "TA", "")]))
    assert import_orders(engine, first, rejects=tmp_path / "rej.csv").ok
    events = [
        ("TA", "zto", "11-01 12:00", "picked_up"),
        ("TA", "zto", "11-02 12:00", "delivered"),
    ]
    assert import_tracking(engine, write_events(tmp_path / "t.csv", events), rejects=tmp_path / "rej.csv").ok
    before = report(engine)["all"]
    assert (
        before["pay_to_pickup"]["on_time"] == 2
        and before["delivery_hours_by_province"]["浙江省"]["count"] == 1
    )

    corrected = write_orders(tmp_path / "2.csv", order_rows([(*a, "TA2", "11-01 11:00")]))
    for _ in range(2):  # the second time changes nothing
        assert import_orders(engine, corrected, rejects=tmp_path / "rej.csv").ok
        after = report(engine)["all"]
        assert after["pay_to_pickup"] == {"on_time": 1, "late": 1, "undecided": 0, "rate": 0.5}
        assert {k: v["count"] for k, v in after["delivery_hours_by_province"].items()} == {"江苏省": 1}
        with engine.connect() as conn:
            assert [p.tracking_no for p in parcels_of(conn, 1, ["A"])["A"]] == ["TA2"]
            assert [p.tracking_no for p in parcels_of(conn, 1, ["B"])["B"]] == ["TA"]
    reasons = {m.order_no: m.reason for m in find_misses(engine, AS_OF) if m.metric == "pay_to_pickup"}
    assert reasons == {"A": "shipped_no_scan"}


def test_a_record_without_tracking_numbers_keeps_the_links(engine: Engine, tmp_path: Path) -> None:
    row = ("A", "paid", "11-01 09:00", "11-01 10:00", "浙江省", "SKU-1")
    shipped = write_orders(tmp_path / "1.csv", order_rows([(*row, "zto", "TA", "11-01 11:00")]))
    unshipped = write_orders(tmp_path / "2.csv", order_rows([(*row, "", "", "")]))  # an older export
    for path in (shipped, unshipped):
        assert import_orders(engine, path, rejects=tmp_path / "rej.csv").ok
    with engine.connect() as conn:
        assert [p.tracking_no for p in parcels_of(conn, 1, ["A"])["A"]] == ["TA"]


def test_links_of_new_orders_go_straight_in_and_a_link_added_again_stays_one(
    engine: Engine, tmp_path: Path
) -> None:
    """An import inserts a new order's links as they are (they cannot exist yet); shipping adds parcels to
    stored orders without reading their links first (save_shipments with no `stored`), so a link it adds
    again must stay one link, not fail."""
    load(engine, tmp_path)  # M1 and M2 new: their links to TM inserted straight
    again = [(1, "M1", [("zto", "TM", datetime(2026, 11, 1, 4))]), (1, "M1", [("yto", "TM2", None)])]
    with engine.begin() as conn:
        save_shipments(conn, again, ())
    with engine.connect() as conn:
        links = conn.execute(
            select(s.parcel_orders.c.tracking_no).where(s.parcel_orders.c.order_no == "M1")
        ).scalars()
        assert sorted(links) == ["TM", "TM2"]
        assert [p.tracking_no for p in parcels_of(conn, 1, ["M2"])["M2"]] == ["TM"]


def test_a_parcel_named_in_two_shops_counts_once_in_each(engine: Engine, tmp_path: Path) -> None:
    one = ("C", "shipped", "11-01 09:00", "11-01 10:00", "浙江省", "SKU-1", "zto", "TC", "")
    rows = order_rows([one]) + order_rows([one], platform="tmall", shop="天猫店")
    assert import_orders(engine, write_orders(tmp_path / "o.csv", rows), rejects=tmp_path / "rej.csv").ok
    events = [
        ("TC", "zto", "11-01 12:00", "picked_up"),
        ("TC", "zto", "11-02 12:00", "delivered"),
    ]
    assert import_tracking(engine, write_events(tmp_path / "t.csv", events), rejects=tmp_path / "rej.csv").ok
    result = report(engine)
    assert [entry["delivery_hours"]["count"] for entry in result["shops"]] == [
        1,
        1,
    ]  # each platform scores it
    assert result["all"]["delivery_hours"]["count"] == 2  # "all" is the sum of the shops
