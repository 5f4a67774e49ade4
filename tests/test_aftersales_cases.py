"""After-sales cases on SQLite and PostgreSQL: import (idempotent, rejects), the state machine, the refund
check over all of an order's cases, the return window, policy, timeline, events and outbound orders."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from lanshou import schema as s
from lanshou.aftersales.service import act, list_json, show_json
from lanshou.aftersales.states import AfterSaleRefused
from lanshou.events import AfterSalesChanged, EventBus, OrdersChanged, ReturnReceived
from lanshou.intake.aftersales import import_aftersales
from lanshou.intake.tracking import import_tracking
from tests.aftersales_data import (
    CASES,
    CASES_HEADER,
    DOUYIN_ROWS,
    RETURN_TRACKING,
    TAOBAO_EXPORT,
    load_orders,
    write_cases,
)


def _cases(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(select(s.aftersale_cases)).all()
    return {row.case_no: row for row in rows}


def _history_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(s.aftersale_history)).scalar_one())


def _imported(engine: Engine, tmp_path: Path) -> None:
    load_orders(engine, tmp_path)
    report = import_aftersales(
        engine, write_cases(tmp_path / "cases.csv", CASES), rejects=tmp_path / "rej.csv"
    )
    assert (report.rows, report.inserted, report.rejected_count) == (9, 5, 4)


def test_import_checks_money_window_order_and_status_then_is_idempotent(
    engine: Engine, tmp_path: Path
) -> None:
    load_orders(engine, tmp_path)
    path = write_cases(tmp_path / "cases.csv", CASES)
    report = import_aftersales(engine, path, rejects=tmp_path / "rej.csv")
    assert (report.rows, report.inserted, report.updated, report.rejected_count) == (9, 5, 0, 4)
    reasons = {error.line: error.reason for error in report.rejected}
    assert (
        "refund exceeds what was paid" in reasons[3] and "paid ¥100.00, already claimed ¥60.00" in reasons[3]
    )
    assert "outside the 7-day return window" in reasons[5]
    assert "order T9 is not imported" in reasons[6]
    assert "unknown status 'bogus'" in reasons[9]
    rejected_file = (tmp_path / "rej.csv").read_text(encoding="utf-8-sig")
    assert rejected_file.count("\n") == 5 and "C2" in rejected_file

    cases = _cases(engine)
    assert set(cases) == {"C1", "C3", "C6", "C7", "C9"}
    assert cases["C1"].case_type == "return_refund" and cases["C1"].reason_code == "quality"
    assert cases["C1"].return_shipping_payer == "seller"  # the seller's fault: the seller pays the way back
    assert cases["C9"].return_shipping_payer == "buyer" and cases["C9"].reason_code == "no_reason"
    assert cases["C3"].case_type == "refund_unshipped"  # T2 was not shipped yet
    assert cases["C1"].requested_at == datetime(2026, 11, 5, 2, 0)  # 10:00 Shanghai, stored as UTC
    assert Decimal(cases["C1"].amount) == Decimal("60.00")

    again = import_aftersales(engine, path, rejects=tmp_path / "rej.csv")
    assert (again.inserted, again.updated, again.unchanged, again.rejected_count) == (0, 0, 5, 4)
    assert len(_cases(engine)) == 5

    # the order's timeline says what happened and who did it
    with engine.connect() as conn:
        kinds = conn.execute(
            select(s.order_events.c.kind, s.order_events.c.actor).where(s.order_events.c.order_no == "T1")
        ).all()
    assert ("aftersale_open", "system") in kinds


def test_rejects_file_keeps_each_cases_own_reason_and_imports_as_it_is_once_fixed(
    engine: Engine, tmp_path: Path
) -> None:
    """The generic and Douyin files have a `reason` column of their own (退款原因): the rejects file says why
    in another column, so a fixed rejects file brings the case in with the buyer's reason, not ours."""
    load_orders(engine, tmp_path)
    cases = write_cases(tmp_path / "cases.csv", [CASES[0], CASES[1]])  # C2: 60 + 50 > 100 paid
    report = import_aftersales(engine, cases, rejects=tmp_path / "rej.csv")
    assert (report.inserted, report.rejected_count) == (1, 1)
    with (tmp_path / "rej.csv").open(encoding="utf-8-sig", newline="") as f:
        header, row = list(csv.reader(f))
    assert header == [*CASES_HEADER.split(","), "reject_reason"]
    assert row[header.index("reason")] == "不想要了" and "refund exceeds" in row[-1]
    row[header.index("amount")] = "40.00"
    with (tmp_path / "fixed.csv").open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([header, row])
    again = import_aftersales(engine, tmp_path / "fixed.csv", rejects=tmp_path / "rej2.csv")
    assert (again.inserted, again.rejected_count) == (1, 0)
    assert _cases(engine)["C2"].reason == "不想要了"


def test_platform_updates_follow_the_machine_and_refunds_stay_within_payment(
    engine: Engine, tmp_path: Path
) -> None:
    _imported(engine, tmp_path)
    before = _history_count(engine)
    updates = [
        "taobao,旗舰店,C1,T1,return_refund,waiting_return,质量问题,60.00,2026-11-05 10:00:00,zto,RT1",
        "taobao,旗舰店,C3,T2,refund,refunded,拍错了,30.00,2026-11-01 09:30:00,,",  # skips agree: fast refund
        "taobao,旗舰店,C9,T1,return_refund,completed,七天无理由,40.00,2026-11-10 23:59:00,,",  # no such end
        "taobao,旗舰店,C9,T1,return_refund,requested,七天无理由,41.00,2026-11-10 23:59:00,,",  # 60 + 41 > 100
    ]
    report = import_aftersales(engine, write_cases(tmp_path / "u.csv", updates), rejects=tmp_path / "r.csv")
    assert (report.updated, report.rejected_count) == (2, 2)
    reasons = [error.reason for error in report.rejected]
    assert "cannot go from 'requested' to 'completed'" in reasons[0]
    assert "refund exceeds what was paid" in reasons[1]
    cases = _cases(engine)
    assert (cases["C1"].status, cases["C1"].return_tracking_no) == ("waiting_return", "RT1")
    assert cases["C3"].status == "refunded"
    assert (cases["C9"].status, Decimal(cases["C9"].amount)) == ("requested", Decimal("40.00"))  # untouched
    assert _history_count(engine) == before + 2

    back = ["taobao,旗舰店,C3,T2,refund,requested,拍错了,30.00,2026-11-01 09:30:00,,"]
    report = import_aftersales(engine, write_cases(tmp_path / "b.csv", back), rejects=tmp_path / "r.csv")
    assert (
        report.rejected_count == 1 and "cannot go from 'refunded' to 'requested'" in report.rejected[0].reason
    )

    # closing C9 frees its ¥40: a new ¥40 case on T1 now fits
    more = [
        "taobao,旗舰店,C9,T1,return_refund,closed,七天无理由,40.00,2026-11-10 23:59:00,,",
        "taobao,旗舰店,C10,T1,return_refund,requested,质量问题,40.00,2026-11-12 10:00:00,,",
    ]
    report = import_aftersales(engine, write_cases(tmp_path / "m.csv", more), rejects=tmp_path / "r.csv")
    assert (report.updated, report.inserted, report.rejected_count) == (1, 1, 0)  # quality: no window


def test_people_act_through_the_machine_with_reasons_events_and_outbound_orders(
    engine: Engine, tmp_path: Path
) -> None:
    _imported(engine, tmp_path)
    seen: list[Any] = []
    events = EventBus()
    for kind in (AfterSalesChanged, ReturnReceived, OrdersChanged):
        events.during(kind, lambda conn, event: seen.append(event))

    before = _history_count(engine)
    with pytest.raises(AfterSaleRefused, match="refusing a case needs a reason"):
        act(engine, "C1", "refuse", "alice", events=events)
    with pytest.raises(AfterSaleRefused, match="cannot 'receive' a case that is 'requested'"):
        act(engine, "C1", "receive", "alice", disposition="restock", events=events)
    assert _history_count(engine) == before and seen == []  # refused: nothing changed, nothing told

    assert act(engine, "C1", "agree", "alice", "质量问题属实", events=events)["status"] == "waiting_return"
    # the platform says the buyer sent it back, with the return parcel's number; the carrier reports it
    sent = ["taobao,旗舰店,C1,T1,return_refund,returned,质量问题,60.00,2026-11-05 10:00:00,zto,RT1"]
    report = import_aftersales(engine, write_cases(tmp_path / "u.csv", sent), rejects=tmp_path / "r.csv")
    assert report.updated == 1
    (tmp_path / "rt.csv").write_text(RETURN_TRACKING, encoding="utf-8")
    import_tracking(engine, tmp_path / "rt.csv", rejects=tmp_path / "rt.rej.csv")
    scanned = {"status": "in_transit", "at": "2026-11-07 02:00:00+00:00"}  # UTC, saying so
    assert show_json(engine, "C1")["return_parcel"] == scanned
    with pytest.raises(AfterSaleRefused, match="restock or write_off"):
        act(engine, "C1", "receive", "bob", events=events)
    received = act(engine, "C1", "receive", "bob", "外观完好", disposition="restock", events=events)
    assert (received["status"], received["disposition"]) == ("received", "restock")
    assert ReturnReceived(1, "T1", "C1", "restock", (("SKU-A", 2),)) in [
        replace_shop(e) for e in seen if isinstance(e, ReturnReceived)
    ]
    assert act(engine, "C1", "refund", "bob", events=events)["status"] == "refunded"

    refused = act(engine, "C9", "refuse", "alice", "超过七天", events=events)
    assert refused["status"] == "refused" and "reapply" in refused["next"]

    # a reship sends the goods again: an outbound order, paid at ¥0, for review and shipping
    reship = act(engine, "C6", "agree", "alice", events=events)
    assert (reship["status"], reship["outbound_order_no"]) == ("agreed", "T3-RC6")
    # an exchange: the goods come back first; once received and inspected, the new ones go out
    act(engine, "C7", "agree", "alice", events=events)
    act(engine, "C7", "buyer_return", "system", events=events)
    exchange = act(engine, "C7", "receive", "bob", disposition="write_off", events=events)
    assert exchange["outbound_order_no"] == "T3-XC7"
    with engine.connect() as conn:
        notes = conn.execute(
            select(s.orders.c.buyer_message, s.orders.c.seller_remark).where(s.orders.c.order_no == "T3-XC7")
        ).one()
        assert notes == ("", "售后 C7 exchange of order T3")  # the seller's note: the buyer wrote nothing
        outbound = conn.execute(
            select(s.orders.c.order_no, s.orders.c.status, s.orders.c.order_amount, s.orders.c.receiver_name)
            .where(s.orders.c.order_no.in_(["T3-RC6", "T3-XC7"]))
            .order_by(s.orders.c.order_no)
        ).all()
        lines = conn.execute(
            select(s.order_lines.c.sku, s.order_lines.c.unit_price).where(
                s.order_lines.c.order_no == "T3-RC6"
            )
        ).all()
    assert [(r.order_no, r.status, Decimal(r.order_amount), r.receiver_name) for r in outbound] == [
        ("T3-RC6", "paid", Decimal("0.00"), "王五"),
        ("T3-XC7", "paid", Decimal("0.00"), "王五"),
    ]
    assert sorted(line.sku for line in lines) == ["SKU-C", "SKU-D"]
    new_orders = {key[1] for e in seen if isinstance(e, OrdersChanged) for key in e.keys}
    assert new_orders == {"T3-RC6", "T3-XC7"}

    shown = show_json(engine, "C1")
    assert [h["action"] for h in shown["history"]] == [
        "open",
        "agree_return",
        "platform",
        "receive",
        "refund",
    ]
    assert [h["actor"] for h in shown["history"]] == ["system", "alice", "system", "bob", "bob"]
    steps = [e for e in shown["timeline"] if "售后 C1 " in e["detail"]]
    assert steps[1]["actor"] == "alice" and "质量问题属实" in steps[1]["detail"]
    assert [c["case_no"] for c in list_json(engine, open_only=True)] == ["C9", "C7", "C6", "C3"]
    json.dumps(shown, ensure_ascii=False)  # the API returns the same shape


def replace_shop(event: ReturnReceived) -> ReturnReceived:
    return ReturnReceived(1, event.order_no, event.case_no, event.disposition, event.lines)


def test_shop_policy_auto_agrees_small_refunds_and_its_window(engine: Engine, tmp_path: Path) -> None:
    load_orders(engine, tmp_path)
    settings = {"aftersales": {"auto_agree_below": "35", "return_days": 15}}
    with engine.begin() as conn:
        conn.execute(update(s.shops).where(s.shops.c.name == "旗舰店").values(settings=json.dumps(settings)))
    rows = [
        "taobao,旗舰店,C3,T2,refund,requested,拍错了,30.00,2026-11-01 09:30:00,,",  # below 35: agreed
        "taobao,旗舰店,C4,T1,return_refund,requested,七天无理由,40.00,2026-11-11 00:00:00,,",  # 15 days
    ]
    report = import_aftersales(engine, write_cases(tmp_path / "c.csv", rows), rejects=tmp_path / "r.csv")
    assert (report.inserted, report.rejected_count) == (2, 0)
    cases = _cases(engine)
    assert (cases["C3"].status, cases["C4"].status) == ("agreed", "requested")
    history = show_json(engine, "C3")["history"]
    assert history[-1]["actor"] == "system" and "auto-agreed: ¥30.00 below ¥35.00" in history[-1]["detail"]

    with engine.begin() as conn:
        bad = {"aftersales": {"return_days": -1}}
        conn.execute(update(s.shops).where(s.shops.c.name == "旗舰店").values(settings=json.dumps(bad)))
    report = import_aftersales(
        engine, write_cases(tmp_path / "d.csv", [rows[0].replace("C3", "C11")]), rejects=tmp_path / "r.csv"
    )
    assert report.rejected_count == 1 and "aftersales.return_days" in report.rejected[0].reason


def test_taobao_export_and_douyin_rows_map_platform_statuses(engine: Engine, tmp_path: Path) -> None:
    load_orders(engine, tmp_path)
    path = tmp_path / "tb.csv"
    path.write_text(TAOBAO_EXPORT, encoding="utf-8")
    report = import_aftersales(engine, path, "taobao", shop="旗舰店", rejects=tmp_path / "r.csv")
    assert (report.inserted, report.rejected_count) == (2, 1)
    assert "unknown platform status '等待发货'" in report.rejected[0].reason
    path = tmp_path / "dy.csv"
    path.write_text(DOUYIN_ROWS, encoding="utf-8")
    report = import_aftersales(engine, path, "douyin", shop="抖音小店", rejects=tmp_path / "r.csv")
    assert (report.inserted, report.rejected_count) == (2, 1)
    assert "aftersale_type" in report.rejected[0].reason
    cases = _cases(engine)
    summary = {k: (c.case_type, c.status, c.raw_status, str(Decimal(c.amount))) for k, c in cases.items()}
    assert summary == {
        "R100": ("return_refund", "returned", "买家已经退货，等待卖家确认收货", "60.00"),
        "R101": ("refund_unshipped", "refunded", "退款成功", "30.00"),
        "A1": ("return_refund", "waiting_return", "0/7", "99.00"),
        "A2": ("exchange", "requested", "3/6", "0.00"),
    }
    assert cases["A2"].requested_at == datetime(2025, 11, 5, 2, 0)  # epoch seconds are UTC


def test_the_return_parcel_is_followed_through_tracking(engine: Engine, tmp_path: Path) -> None:
    _imported(engine, tmp_path)
    waiting = ["taobao,旗舰店,C1,T1,return_refund,waiting_return,质量问题,60.00,2026-11-05 10:00:00,zto,RT2"]
    import_aftersales(engine, write_cases(tmp_path / "w.csv", waiting), rejects=tmp_path / "r.csv")
    events = tmp_path / "rt2.csv"
    events.write_text(
        "carrier,tracking_no,event_time,status,location,description\n"
        "zto,RT2,2026-11-07 10:00:00,picked_up,杭州,已揽收\n"
        "zto,RT2,2026-11-08 10:00:00,delivered,杭州,商家签收\n",
        encoding="utf-8",
    )
    import_tracking(engine, events, rejects=tmp_path / "t.rej.csv")
    shown = show_json(engine, "C1")
    assert shown["status"] == "returned" and shown["return_parcel"]["status"] == "delivered"
    assert shown["history"][-1]["actor"] == "system" and "RT2" in shown["history"][-1]["detail"]
    kinds = [e["kind"] for e in shown["timeline"]]
    assert kinds.count("aftersale_return_delivered") == 1
    import_tracking(engine, events, rejects=tmp_path / "t.rej.csv")  # the same events again: nothing new
    assert [e["kind"] for e in show_json(engine, "C1")["timeline"]] == kinds
