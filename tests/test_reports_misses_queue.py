"""Misses and queue use cases on SQLite and PostgreSQL, on a small hand-made case.

The case (local times, Asia/Shanghai; report as of 2026-11-10, 30 days; the daily 24 h rule of Douyin):
- A1 paid 11-01 10:00, scanned 11-01 20:00, delivered 11-03 08:00: M1 on time, delivery 36 h, M5 on time.
- A2 paid 11-02 10:00, waybill printed 11-02 12:00, never scanned: M1 late (shipped_no_scan), M5 late.
- A3 paid 11-03 09:00, scanned 11-04 12:00 (27 h), delivered 11-05 11:00: M1 late, delivery 23 h, M5 on time.
- A4 paid 11-09 20:00, no waybill: deadline 11-10 20:00 is after the evaluation time: undecided.
- A5 paid 11-08 23:00, no waybill: deadline 11-09 23:00 passed: M1 late (no_waybill); promise 11-10 23:00
  is outside the window.
- C1 paid 11-06 10:00, scanned 11-06 15:00, then silence: M1 and M5 on time, M3 stale (a stalled parcel).
- B1 paid 10-05 10:00 (previous window), scanned 10-05 12:00, delivered 10-06 12:00: M1 on time.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine

from lanshou.intake.orders import import_orders
from lanshou.intake.tracking import import_tracking
from lanshou.metrics.misses import find_misses, miss_report
from lanshou.sla.queue_report import queue_report

HEADER = (
    "platform,shop,order_id,status,created_at,paid_at,is_presale,promised_ship_by,buyer_id,buyer_name,"
    "buyer_phone,province,city,district,address,buyer_message,sku,title,category,quantity,unit_price,"
    "order_amount,carrier,tracking_no,shipped_at"
)
SHOP = "测试小店"
PHONE = "13812345678"
ORDERS = [  # order_id, status, paid_at, sku, carrier, tracking_no, shipped_at
    ("A1", "shipped", "2026-11-01 10:00:00", "SKU-1", "zto", "T1", "2026-11-01 12:00:00"),
    ("A2", "shipped", "2026-11-02 10:00:00", "SKU-2", "zto", "T2", "2026-11-02 12:00:00"),
    ("A3", "shipped", "2026-11-03 09:00:00", "SKU-1", "yto", "T3", ""),
    ("A4", "paid", "2026-11-09 20:00:00", "SKU-3", "", "", ""),
    ("A5", "paid", "2026-11-08 23:00:00", "SKU-3", "", "", ""),
    ("C1", "shipped", "2026-11-06 10:00:00", "SKU-4", "sto", "T4", "2026-11-06 11:00:00"),
    ("B1", "delivered", "2026-10-05 10:00:00", "SKU-1", "sf", "T9", "2026-10-05 11:00:00"),
]
EVENTS = [  # tracking_no, carrier, time, status
    ("T1", "zto", "2026-11-01 20:00:00", "picked_up"),
    ("T1", "zto", "2026-11-02 10:00:00", "in_transit"),
    ("T1", "zto", "2026-11-03 08:00:00", "delivered"),
    ("T3", "yto", "2026-11-04 12:00:00", "picked_up"),
    ("T3", "yto", "2026-11-05 11:00:00", "delivered"),
    ("T4", "sto", "2026-11-06 15:00:00", "picked_up"),
    ("T9", "sf", "2026-10-05 12:00:00", "picked_up"),
    ("T9", "sf", "2026-10-06 12:00:00", "delivered"),
]
AS_OF = date(2026, 11, 10)
# --now 2026-11-09 22:00 Shanghai = 14:00 UTC: A2 overdue (pickup deadline 11-03 10:00, 156 h ago),
# A5 at risk (deadline 11-09 23:00, 1 h left), A4 not yet (22 h to its deadline 11-10 20:00)
NOW_LOCAL = "2026-11-09 22:00"
NOW_UTC = datetime(2026, 11, 9, 14, 0)


def write_case(folder: Path) -> tuple[Path, Path]:
    orders = folder / "orders.csv"
    rows = [
        f"douyin,{SHOP},{no},{status},{paid},{paid},0,,b{no},张三,{PHONE},浙江省,杭州市,西湖区,文三路1号,,"
        f"{sku},商品,食品,1,10.00,10.00,{carrier},{tracking},{shipped}"
        for no, status, paid, sku, carrier, tracking, shipped in ORDERS
    ]
    orders.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    tracking = folder / "tracking.csv"
    lines = [f"{carrier},{no},{when},{status},杭州,-" for no, carrier, when, status in EVENTS]
    tracking.write_text(
        "\n".join(["carrier,tracking_no,event_time,status,location,description", *lines]) + "\n"
    )
    return orders, tracking


def load_case(engine: Engine, folder: Path) -> None:
    orders, tracking = write_case(folder)
    assert import_orders(engine, orders, rejects=folder / "rej.csv").ok
    assert import_tracking(engine, tracking, rejects=folder / "rej_t.csv").ok


def test_misses_have_reasons_and_rate_gain(engine: Engine, tmp_path: Path) -> None:
    load_case(engine, tmp_path)
    found = find_misses(engine, AS_OF)
    late = {m.order_no: m.reason for m in found if m.metric == "pay_to_pickup"}
    assert set(late) == {"A2", "A3", "A5"}
    assert late["A2"] == "shipped_no_scan" and late["A5"] == "no_waybill"
    assert {m.order_no for m in found if m.metric == "late_shipment"} == {"A2"}

    result = miss_report(engine, AS_OF, by="reason", metric="pay_to_pickup")
    assert result.decided == 5  # on time A1, C1; late A2, A3, A5 (A4 undecided)
    gains = {g.key: g.rate_gain for g in result.groups}
    assert gains["shipped_no_scan"] == 0.2 and gains["no_waybill"] == 0.2
    assert [m.order_no for m in result.misses] and all(m.metric == "pay_to_pickup" for m in result.misses)

    by_sku = miss_report(engine, AS_OF, by="sku", metric="pay_to_pickup")
    assert [(g.key, g.count) for g in by_sku.groups] == [("SKU-1", 1), ("SKU-2", 1), ("SKU-3", 1)]
    everything = miss_report(engine, AS_OF, metric="all")
    assert everything.decided is None and len(everything.misses) == 5  # 3 M1, A2 in M5, C1 in M3
    stale = [m for m in everything.misses if m.metric == "tracking_freshness"]
    assert [(m.order_no, m.tracking_no) for m in stale] == [("C1", "T4")]


def test_misses_of_an_earlier_day_and_unknown_shop(engine: Engine, tmp_path: Path) -> None:
    load_case(engine, tmp_path)
    # as of 11-03 (eval 11-03 00:00) only A1 had been decided; no miss yet
    assert [m for m in find_misses(engine, date(2026, 11, 3)) if m.metric == "pay_to_pickup"] == []
    try:
        find_misses(engine, AS_OF, shop="nope")
    except LookupError:
        pass
    else:
        raise AssertionError("an unknown shop must raise LookupError")


def test_queue_orders_by_urgency(engine: Engine, tmp_path: Path) -> None:
    load_case(engine, tmp_path)
    result = queue_report(engine, NOW_UTC, within_hours=6)
    assert [e.order_no for e in result.entries] == ["A2", "A5", "A4"]
    a2, a5, a4 = result.entries
    assert a2.overdue and not a2.at_risk and a2.hours_left == -156 and a2.has_waybill
    assert a5.at_risk and not a5.overdue and a5.hours_left == 1 and not a5.has_waybill
    assert not a4.at_risk and not a4.overdue and a4.hours_left == 22
    assert (result.overdue, result.at_risk) == (1, 1)
    assert [p.order_no for p in result.stalled] == ["C1"]  # A1, A3 delivered; B1 is too old to look at
    wider = queue_report(engine, NOW_UTC, within_hours=24, shop=SHOP)
    assert [e.order_no for e in wider.entries if e.at_risk] == ["A5", "A4"]


def test_queue_stalled_parcel(engine: Engine, tmp_path: Path) -> None:
    load_case(engine, tmp_path)
    (parcel,) = queue_report(engine, NOW_UTC).stalled  # T4: last scan 11-06 15:00 local, 79 h ago
    assert (parcel.order_no, parcel.tracking_no, parcel.hours_silent) == ("C1", "T4", 79)
    assert queue_report(engine, datetime(2026, 11, 7, 6, 0)).stalled == []  # 11-07 14:00 local: 23 h
    assert len(queue_report(engine, datetime(2026, 11, 7, 8, 0)).stalled) == 1  # 25 h
