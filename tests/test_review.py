"""Review (审单) on SQLite and PostgreSQL: built-in holds, merchant rules, stock, staff actions, hand-on."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from lanshou.buyers.store import refresh_orders, set_blacklist
from lanshou.events import OrdersChanged, bus
from lanshou.intake.orders import import_orders
from lanshou.inventory.counts import adjust
from lanshou.inventory.queries import ledger_mismatches
from lanshou.orders.timeline import read
from lanshou.review.queries import ready_shipments
from lanshou.review.run import review_orders
from lanshou.review.settings import set_blacklisted, set_shop_setting
from lanshou.review.staff import ActionRefused, act, merge
from lanshou.rules import RuleError
from lanshou.rules.store import add_rule
from lanshou.schema import review_state
from lanshou.shops.store import ShopDirectory
from tests.inventory_data import NOW, add_order, make_shop, put_stock, stock_of
from tests.test_merged_parcels import HEADER


def states(engine: Engine) -> dict[str, tuple[str, str, bool]]:
    r = review_state.c
    with engine.connect() as conn:
        rows = conn.execute(select(r.order_no, r.state, r.reasons, r.stock_only)).all()
    return {row.order_no: (row.state, row.reasons, row.stock_only) for row in rows}


def test_built_in_holds_each_give_their_reason(engine: Engine) -> None:
    put_stock(engine, [("A", "main", 100)])
    with engine.begin() as conn:
        shop = make_shop(conn)
        add_order(conn, shop, "ok", [("A", 1)])
        add_order(conn, shop, "msg", [("A", 1)], buyer_message="请开发票")
        add_order(conn, shop, "big", [("A", 1)], order_amount=Decimal("8000.00"))
        add_order(conn, shop, "noaddr", [("A", 1)], address="")
        add_order(conn, shop, "fake", [("A", 1)], address="测试地址测试")
        add_order(conn, shop, "black", [("A", 1)], receiver_phone="13900000000")
        add_order(conn, shop, "m1", [("A", 1)], buyer_key="b-same", address="同一地址1号")
        add_order(conn, shop, "m2", [("A", 1)], buyer_key="b-same", address="同一地址1号")
        add_order(conn, shop, "pre", [("A", 1)], is_presale=True, promised_ship_by=NOW + timedelta(days=10))
        add_order(conn, shop, "short", [("A", 1), ("NONE", 1)])
        add_order(conn, shop, "unpaid", [("A", 1)], status="pending_payment", paid_at=None)
        set_blacklisted(conn, "phone", "13900000000", True, "", NOW)
    report = review_orders(engine, now=NOW)
    assert report.accepted == 1 and report.held == 9
    got = states(engine)
    assert "unpaid" not in got
    assert got["ok"][0] == "accepted"
    expected = {
        "msg": "买家留言",
        "big": "大额订单",
        "noaddr": "地址不完整",
        "fake": "地址可疑",
        "black": "黑名单 blacklisted phone",
        "m1": "可合单 merge candidate with m2",
        "m2": "可合单 merge candidate with m1",
        "pre": "预售未到期",
        "short": "缺货 stock short: NONE",
    }
    for order_no, reason in expected.items():
        assert got[order_no][0] == "held" and reason in got[order_no][1], order_no
    assert got["short"][2] and not got["msg"][2]  # only the stock-short one waits for stock
    with engine.connect() as conn:
        assert stock_of(conn)[("A", "main")] == (100, 1)  # only the accepted order holds stock
        timeline = read(conn, shop, "big")
        assert [e.kind for e in timeline] == ["held"] and "8000.00" in timeline[0].detail
    assert review_orders(engine, now=NOW).results == []  # reviewed once
    later = review_orders(engine, now=NOW + timedelta(days=8))  # the presale falls due: looked at again
    assert [(r.order_no, r.state) for r in later.results] == [("pre", "accepted")]


def test_orders_held_for_stock_pass_when_stock_arrives(engine: Engine) -> None:
    put_stock(engine, [("A", "main", 1)])
    with engine.begin() as conn:
        shop = make_shop(conn)
        add_order(conn, shop, "1", [("A", 1)])
        add_order(conn, shop, "2", [("A", 1)])
    review_orders(engine, now=NOW)
    assert [states(engine)[n][0] for n in "12"] == ["accepted", "held"]
    adjust(engine, "A", "main", 5, NOW)  # StockArrived: held-for-stock orders are reviewed again
    assert states(engine)["2"][0] == "accepted"
    with engine.connect() as conn:
        assert stock_of(conn)[("A", "main")] == (6, 2)
        assert [e.kind for e in read(conn, shop, "2")] == ["held", "accepted"]
    with engine.begin() as conn:
        add_order(conn, shop, "3", [("A", 5)])
    review_orders(engine, now=NOW)
    assert states(engine)["3"][0] == "held"  # 4 available
    adjust(engine, "A", "main", -1, NOW)
    adjust(engine, "A", "main", 1, NOW)  # still short: order 3 is left as it was, no new timeline entry
    with engine.connect() as conn:
        assert [e.kind for e in read(conn, shop, "3")] == ["held"]
    act(engine, "cancel", [(shop, "1")], NOW, "lily")  # frees one: order 3 now fits
    assert states(engine)["3"][0] == "accepted"


def test_merchant_rules_hold_tag_and_set_priority(engine: Engine) -> None:
    put_stock(engine, [("A", "main", 10), ("FRESH", "main", 10)])
    with engine.begin() as conn:
        shop = make_shop(conn)
        add_order(conn, shop, "1", [("A", 1)], province="新疆", city="乌鲁木齐市")
        add_order(conn, shop, "2", [("FRESH", 4)])
        add_order(conn, shop, "3", [("A", 1)])
        add_rule(conn, "remote", "review", "province == '新疆'", "hold:偏远地区")
        add_rule(conn, "fresh", "review", "skus.exists(s, s == 'FRESH') && total_quantity >= 3", "tag:生鲜")
        add_rule(conn, "fresh first", "priority", "'FRESH' in skus", "priority:9")
        add_rule(conn, "many", "priority", "total_quantity >= 4", "tag:多件")
        with pytest.raises(RuleError) as bad:
            add_rule(conn, "typo", "review", "amout > 10.0", "hold:x")
        assert bad.value.position == (1, 1) and "amount" in bad.value.hint
    report = review_orders(engine, now=NOW)
    by_no = {r.order_no: r for r in report.results}
    assert by_no["1"].state == "held" and "偏远地区" in by_no["1"].reasons
    assert by_no["2"].state == "accepted" and by_no["2"].tags == ("生鲜", "多件") and by_no["2"].priority == 9
    assert by_no["3"].priority < 9
    with engine.connect() as conn:
        assert "by rule 'fresh'" in read(conn, shop, "2")[0].detail
        shipments = ready_shipments(conn)
    assert [s.order_nos for s in shipments] == [("2",), ("3",)]  # priority first
    assert shipments[0].lines[0].sku == "FRESH" and shipments[0].lines[0].quantity == 4


def test_staff_act_in_batch_and_release_stock(engine: Engine) -> None:
    put_stock(engine, [("A", "main", 10)])
    with engine.begin() as conn:
        shop = make_shop(conn)
        keys = [add_order(conn, shop, n, [("A", 2)], buyer_message="hi") for n in "123"]
        add_order(conn, shop, "done", [("A", 1)], status="shipped")
    review_orders(engine, now=NOW)
    outcomes = act(engine, "accept", keys, NOW, "lily", "看过留言")
    assert all(o.done for o in outcomes)
    with engine.connect() as conn:
        assert stock_of(conn)[("A", "main")] == (10, 6)
    act(engine, "hold", keys[:1], NOW, "lily", "等客户确认")
    act(engine, "cancel", keys[1:2], NOW, "lily")
    with engine.connect() as conn:
        assert stock_of(conn)[("A", "main")] == (10, 2)
        assert ledger_mismatches(conn) == []
        assert [(e.kind, e.actor) for e in read(conn, shop, "1")][-1] == ("held", "lily")
        assert [s.order_nos for s in ready_shipments(conn)] == [("3",)]
    with pytest.raises(ActionRefused, match="not paid"):
        act(engine, "accept", [keys[2], (shop, "done")], NOW, "lily")
    with pytest.raises(ActionRefused, match="cancelled"):
        act(engine, "accept", keys[1:2], NOW, "lily")
    with engine.connect() as conn:
        assert stock_of(conn)[("A", "main")] == (10, 2)  # refused whole: nothing half-done


def test_merged_orders_ship_as_one(engine: Engine) -> None:
    put_stock(engine, [("A", "main", 10), ("B", "main", 10)])
    with engine.begin() as conn:
        shop = make_shop(conn)
        one = add_order(conn, shop, "m1", [("A", 1)], buyer_key="b", address="同一地址1号")
        two = add_order(conn, shop, "m2", [("B", 2)], buyer_key="b", address="同一地址1号")
        other = add_order(conn, shop, "x", [("B", 2)])
    review_orders(engine, now=NOW)
    merge(engine, [one, two], NOW, "lily")
    with pytest.raises(ActionRefused, match="share shop, buyer and address"):
        merge(engine, [one, other], NOW, "lily")
    act(engine, "accept", [one, two], NOW, "lily")
    with engine.connect() as conn:
        shipments = {s.order_nos: s for s in ready_shipments(conn)}
    assert set(shipments) == {("m1", "m2"), ("x",)}
    assert [(line.sku, line.quantity) for line in shipments[("m1", "m2")].lines] == [("A", 1), ("B", 2)]


def test_auto_review_runs_after_import_only_for_shops_that_turn_it_on(engine: Engine) -> None:
    put_stock(engine, [("A", "main", 10)])
    with engine.begin() as conn:
        auto = make_shop(conn, "auto")
        manual = make_shop(conn, "manual")
        set_shop_setting(conn, auto, "auto_review", True)
        keys = [add_order(conn, auto, "a1", [("A", 1)]), add_order(conn, manual, "m1", [("A", 1)])]
        bus.publish(conn, OrdersChanged(tuple(keys)))
    bus.settle(engine)
    assert states(engine) == {"a1": ("accepted", "", False)}


def test_an_import_repeating_a_held_order_looks_at_it_again(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next day's export repeats an unchanged presale order: nothing about it is derived again, but an
    auto-review shop's hold is looked at again, and the presale hold, due by now, gives way to the next."""
    import lanshou.review.run as run

    row = ("taobao,自动店,P1,paid,2026-11-01 10:00:00,2026-11-01 10:00:00,1,2026-11-10 10:00:00,b1,张三,"
           "13812345678,浙江省,杭州市,西湖区,文三路1号,,SKU-1,t,,1,10,10,,,")  # fmt: skip
    path = tmp_path / "orders.csv"
    path.write_text(f"{HEADER}\n{row}\n", encoding="utf-8")
    with engine.begin() as conn:
        shop_id = ShopDirectory(conn).ensure(conn, "taobao", "自动店")
        set_shop_setting(conn, shop_id, "auto_review", True)
    monkeypatch.setattr(run, "utc_now", lambda: datetime(2026, 11, 1, 12))
    assert import_orders(engine, path, rejects=tmp_path / "r.csv").ok
    (state, reasons, _) = states(engine)["P1"]
    assert state == "held" and reasons.startswith("预售未到期 presale not due")
    monkeypatch.setattr(run, "utc_now", lambda: datetime(2026, 11, 8, 12))  # the presale hold is due
    assert import_orders(engine, path, rejects=tmp_path / "r.csv").unchanged == 1
    (state, reasons, _) = states(engine)["P1"]
    assert state == "held" and reasons == "缺货 stock short: SKU-1"  # no stock counted anywhere: named


def test_the_review_job_looks_again_at_the_due_holds_of_auto_review_shops(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lanshou.review.run as run
    from lanshou.review.tasks import catch_up_job

    put_stock(engine, [("A", "main", 10)])
    with engine.begin() as conn:
        auto, manual = make_shop(conn, "auto"), make_shop(conn, "manual")
        set_shop_setting(conn, auto, "auto_review", True)
        for shop, order_no in ((auto, "a1"), (manual, "m1")):
            add_order(conn, shop, order_no, [("A", 1)], is_presale=True, promised_ship_by=NOW + timedelta(10))
    review_orders(engine, now=NOW)
    assert {no: state[1][:5] for no, state in states(engine).items()} == {
        "a1": "预售未到期",
        "m1": "预售未到期",
    }
    monkeypatch.setenv("LANSHOU_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(run, "utc_now", lambda: NOW + timedelta(days=1))
    assert catch_up_job() == 0  # not due yet: nothing decided
    monkeypatch.setattr(run, "utc_now", lambda: NOW + timedelta(days=10))
    assert catch_up_job() == 1
    after = states(engine)
    assert after["a1"][0] == "accepted" and after["m1"][0] == "held"  # a manual shop's staff decide


def test_a_platform_cancellation_releases_the_stock(engine: Engine) -> None:
    from lanshou.schema import orders

    put_stock(engine, [("A", "main", 10)])
    with engine.begin() as conn:
        shop = make_shop(conn)
        key = add_order(conn, shop, "1", [("A", 3)])
    review_orders(engine, now=NOW)
    with engine.begin() as conn:
        conn.execute(orders.update().values(status="cancelled"))
        bus.publish(conn, OrdersChanged((key,)))
    bus.settle(engine)
    with engine.connect() as conn:
        assert stock_of(conn)[("A", "main")] == (10, 0)
        assert ready_shipments(conn) == []
        assert [e.kind for e in read(conn, shop, "1")] == ["accepted", "stock_released"]


def test_overdue_orders_come_first_and_cancelled_ones_never_ship(engine: Engine) -> None:
    from lanshou.review.model import deadline_priority
    from lanshou.review.queries import not_shippable

    put_stock(engine, [("A", "main", 10)])
    with engine.begin() as conn:
        shop = make_shop(conn)
        fresh = add_order(conn, shop, "fresh", [("A", 1)])
        late = add_order(conn, shop, "late", [("A", 1)], paid_at=NOW - timedelta(hours=80))
        gone = add_order(conn, shop, "gone", [("A", 1)])
        held = add_order(conn, shop, "held", [("A", 1)], buyer_message="?")
    review_orders(engine, now=NOW)
    act(engine, "cancel", [gone], NOW, "lily")
    with engine.begin() as conn:
        unseen = add_order(conn, shop, "unseen", [("A", 1)], paid_at=NOW - timedelta(hours=100))
    act(engine, "accept", [unseen], NOW, "lily")  # staff accept before review: deadlines still count
    with engine.connect() as conn:
        assert [s.order_nos for s in ready_shipments(conn)] == [("unseen",), ("late",), ("fresh",)]
        assert ready_shipments(conn)[0].priority == 9  # past its M1/M5 deadline
        reasons = not_shippable(conn, [fresh, late, gone, held, (shop, "nope")])
    assert set(reasons) == {gone, held, (shop, "nope")}
    assert "cancelled" in reasons[gone] and "not accepted" in reasons[held]
    assert [deadline_priority(h) for h in (-1, 2, 10, 20, 40, 100, None)] == [9, 8, 7, 6, 5, 4, 2]


def test_a_buyer_blacklisted_in_their_profile_is_held_on_every_new_order(engine: Engine) -> None:
    """One blacklist for staff: `lanshou buyers blacklist` (the profile) holds the buyer's next orders in
    review, even before the buyers area has linked them, and other buyers pass."""
    put_stock(engine, [("A", "main", 10)])
    with engine.begin() as conn:
        shop = make_shop(conn)
        first = add_order(conn, shop, "old", [("A", 1)], buyer_key="tb-bad", status="completed")
        refresh_orders(conn, [first], NOW)
        assert set_blacklist(conn, "taobao:tb-bad", True, "恶意退款", "王芳", NOW)
        add_order(conn, shop, "new", [("A", 1)], buyer_key="tb-bad")
        add_order(conn, shop, "other", [("A", 1)], buyer_key="tb-good")
    review_orders(engine, now=NOW)
    got = states(engine)
    assert got["new"][0] == "held" and "黑名单 blacklisted buyer" in got["new"][1]
    assert got["other"][0] == "accepted"


def test_a_cancel_waits_for_a_ship_run_holding_the_order_then_sees_it_shipped(pg_engine: Engine) -> None:
    """A ship run locks its orders before it marks them shipped, then checks their review state again; a
    staff cancel (or hold) locks them too before it checks them. Whichever comes second waits and sees what
    the first did: here the ship run holds the order, and the cancel, waiting in another thread, is then
    refused as shipped, its stock left as the ship run deducted it (not released a second time). Only
    PostgreSQL lets two transactions hold rows at once (SQLite's write transactions are exclusive)."""
    import threading

    from lanshou.shipping.store import order_statuses, set_shipped

    put_stock(pg_engine, [("A", "main", 10)])
    with pg_engine.begin() as conn:
        shop = make_shop(conn)
        key = add_order(conn, shop, "1", [("A", 3)])
    review_orders(pg_engine, now=NOW)
    refused: list[BaseException] = []

    def cancel() -> None:
        try:
            act(pg_engine, "cancel", [key], NOW, "carol", "买家不要了")
        except ActionRefused as exc:
            refused.append(exc)

    with pg_engine.begin() as ship:
        order_statuses(ship, [key], lock=True)
        waiting = threading.Thread(target=cancel)
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive()  # the cancel waits for the ship run's lock
        assert set_shipped(ship, [key], NOW) == [key]
    waiting.join(timeout=30)
    assert not waiting.is_alive() and len(refused) == 1 and "shipped" in str(refused[0])
    assert states(pg_engine)["1"][0] == "accepted"  # not cancelled after it left
    with pg_engine.connect() as conn:
        assert stock_of(conn)[("A", "main")] == (10, 3)  # still reserved: nothing released
