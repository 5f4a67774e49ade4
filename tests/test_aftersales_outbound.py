"""An exchange's replacement or a reship goes out as a ¥0 outbound order; shipping it, by `lanshou ship` or
by the dashboard's / API's ship run, is the case's 已发出 step with its waybill, told through OrderShipped
(shipping knows nothing of after-sales). On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.aftersales import subscriptions
from lanshou.aftersales.service import act, show_json
from lanshou.cli.app import app
from lanshou.intake.aftersales import import_aftersales
from lanshou.orders.timeline import read as read_timeline
from lanshou.review.staff import ActionRefused, order_review
from lanshou.review.staff import act as review
from lanshou.shipping.batch import BatchRequest, ship_batch
from lanshou.shipping.labels.fonts import DEFAULT_CJK_FONT, FONT_ENV
from tests.aftersales_data import import_cases, write_cases
from tests.conftest import IN_CI
from tests.inventory_data import put_stock, stock_of
from tests.ship_data import CARRIERS, load_pool

pytestmark = pytest.mark.skipif(
    not DEFAULT_CJK_FONT.is_file() and not os.environ.get(FONT_ENV) and not IN_CI,
    reason="no CJK font here: apt-get install fonts-wqy-zenhei (CI installs it and never skips)",
)
NOW = datetime(2026, 11, 8, 2, 0)
runner = CliRunner()


def ready(engine: Engine, *order_nos: str) -> None:
    """Staff accept the outbound orders in review: they are ready to ship."""
    outcomes = review(engine, "accept", [(1, n) for n in order_nos], NOW, "alice")
    assert all(o.done for o in outcomes), outcomes


def ship_by_cli(engine: Engine, tmp_path: Path) -> dict[str, Any]:
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(
        app,
        ["ship", "--labels", str(tmp_path / "cli.pdf"), "--by", "wang", "--json"],
        env={"LANSHOU_DATABASE_URL": url},
    )
    assert result.exit_code == 0, result.output
    body: dict[str, Any] = json.loads(result.stdout)
    return body


def entries(engine: Engine, case_no: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in show_json(engine, case_no)["timeline"] if e["kind"] == kind]


@pytest.fixture
def outbound(engine: Engine, tmp_path: Path) -> Engine:
    """C6 (reship) agreed: T3-RC6; C7 (exchange) back and inspected: T3-XC7. Both paid, not yet shipped."""
    import_cases(engine, tmp_path)
    put_stock(engine, [("SKU-C", "main", 5), ("SKU-D", "main", 5)])
    assert act(engine, "C6", "agree", "alice")["outbound_order_no"] == "T3-RC6"
    act(engine, "C7", "agree", "alice")
    act(engine, "C7", "buyer_return", "alice")
    assert act(engine, "C7", "receive", "wang", disposition="restock")["outbound_order_no"] == "T3-XC7"
    with engine.begin() as conn:
        conn.execute(s.carrier_configs.insert(), {"source": CARRIERS, "loaded_at": NOW})
    load_pool(engine, "zto", 4)
    return engine


def test_shipping_the_reship_order_marks_the_case_sent_with_its_waybill(
    outbound: Engine, tmp_path: Path
) -> None:
    ready(outbound, "T3-RC6")
    assert show_json(outbound, "C6")["status"] == "agreed"
    report = ship_by_cli(outbound, tmp_path)
    assert report["shipped"] == 1 and report["shipments"][0]["orders"] == ["T3-RC6"]
    number = report["shipments"][0]["tracking_no"]
    shown = show_json(outbound, "C6")
    assert (shown["status"], shown["steps"]) == ("reshipped", [])
    step = shown["history"][-1]
    assert (step["actor"], step["action"], step["from_status"]) == ("system", "reship", "agreed")
    assert f"zto {number}" in step["detail"] and "T3-RC6" in step["detail"]
    (entry,) = entries(outbound, "C6", "aftersale_reship")  # the case's timeline is its order's (T3)
    assert entry["actor"] == "system" and number in entry["detail"]
    assert show_json(outbound, "C7")["status"] == "received"  # its replacement has not shipped


def test_shipping_the_replacement_by_the_dashboards_run_marks_the_exchange_sent(
    outbound: Engine, tmp_path: Path
) -> None:
    ready(outbound, "T3-XC7")
    result = ship_batch(outbound, BatchRequest(shop_ids=(1,), actor="wang"))
    assert [o.shipment.order_nos for o in result.report.shipped] == [("T3-XC7",)]
    number = result.report.shipped[0].tracking_no
    shown = show_json(outbound, "C7")
    assert shown["status"] == "reshipped"
    assert shown["history"][-1]["action"] == "reship" and number in shown["history"][-1]["detail"]
    assert show_json(outbound, "C6")["status"] == "agreed"  # another case of the same order: untouched


def test_goods_marked_sent_by_hand_withdraw_the_unshipped_outbound_order(outbound: Engine) -> None:
    """Marked sent by hand (the goods went some other way) while the outbound order waits to ship: the order
    is cancelled and its stock released, so a ship run does not send the goods twice; both timelines say
    why."""
    ready(outbound, "T3-RC6", "T3-XC7")
    shown = act(outbound, "C7", "reship", "carol", "先用顺丰寄出")
    assert shown["status"] == "reshipped"
    assert reserved(outbound) == {"T3-RC6": ("reserved", "reserved"), "T3-XC7": ("released", "released")}
    (cancel,) = [e for e in order_timeline(outbound, "T3-XC7") if e.kind == "cancelled"]
    assert "售后单 C7 已发出 → 换货/补发订单取消" in cancel.detail and "carol: 先用顺丰寄出" in cancel.detail
    (told,) = entries(outbound, "C7", "aftersale_outbound_cancelled")
    assert "T3-XC7 已取消" in told["detail"]
    result = ship_batch(outbound, BatchRequest(shop_ids=(1,), actor="wang"))
    assert [o.shipment.order_nos for o in result.report.outcomes] == [("T3-RC6",)]  # C7's never tried
    assert show_json(outbound, "C7")["history"][-1]["action"] == "reship"  # the hand step, unchanged


# --- a case that stops without its goods sent withdraws its outbound order ---------------------------------


def order_timeline(engine: Engine, order_no: str) -> list[Any]:
    with engine.connect() as conn:
        return read_timeline(conn, 1, order_no)


def reserved(engine: Engine) -> dict[str, tuple[str, ...]]:
    """Each outbound order's reservations' states, line by line."""
    r = s.reservations.c
    query = select(r.order_no, r.state).where(r.order_no.like("T3-%")).order_by(r.order_no, r.sku)
    found: dict[str, tuple[str, ...]] = {}
    with engine.connect() as conn:
        for order_no, state in conn.execute(query):
            found[order_no] = (*found.get(order_no, ()), state)
    return found


def test_refusing_an_exchange_holds_its_unshipped_replacement_and_closing_it_cancels_it(
    outbound: Engine,
) -> None:
    """已拒绝 is not an end (the buyer may apply again): the replacement is held, its stock released, and
    can be accepted again in review; once the case is closed, it is cancelled."""
    ready(outbound, "T3-RC6", "T3-XC7")
    with outbound.connect() as conn:
        assert stock_of(conn)[("SKU-C", "main")] == (6, 2)  # 5 + C7's restocked return; one reserved each
    assert reserved(outbound)["T3-XC7"] == ("reserved", "reserved")

    assert act(outbound, "C7", "refuse", "carol", "退回商品有使用痕迹")["status"] == "refused"

    assert reserved(outbound) == {"T3-RC6": ("reserved", "reserved"), "T3-XC7": ("released", "released")}
    with outbound.connect() as conn:
        assert stock_of(conn)[("SKU-C", "main")] == (6, 1)
    assert order_review(outbound, (1, "T3-XC7"))["state"] == "held"  # type: ignore[index]
    (hold,) = [e for e in order_timeline(outbound, "T3-XC7") if e.kind == "held"]
    assert hold.actor == "system"
    assert (
        "售后单 C7 已拒绝 → 换货/补发订单暂停" in hold.detail and "carol: 退回商品有使用痕迹" in hold.detail
    )
    (told,) = entries(outbound, "C7", "aftersale_outbound_held")  # on the case's page too
    assert "T3-XC7 已暂停" in told["detail"] and told["actor"] == "system"

    result = ship_batch(outbound, BatchRequest(shop_ids=(1,), actor="wang"))
    assert [o.shipment.order_nos for o in result.report.outcomes] == [("T3-RC6",)]  # not even tried
    assert show_json(outbound, "C7")["status"] == "refused"

    act(outbound, "C7", "close", "system", "买家撤销")  # the end after the refusal: now cancelled
    assert order_review(outbound, (1, "T3-XC7"))["state"] == "cancelled"  # type: ignore[index]
    (cancel,) = [e for e in order_timeline(outbound, "T3-XC7") if e.kind == "cancelled"]
    assert "售后单 C7 已关闭 → 换货/补发订单取消" in cancel.detail
    with outbound.connect() as conn:
        assert (
            conn.execute(select(s.orders.c.status).where(s.orders.c.order_no == "T3-XC7")).scalar_one()
            == "paid"
        )  # cancelled in review, as the dashboard cancels: never picked again


def test_a_refused_exchange_that_goes_on_ships_its_replacement_once_accepted_again(
    outbound: Engine, tmp_path: Path
) -> None:
    """The platform steps in after a refusal (the buyer applies again): the held replacement is accepted
    in review again and ships, and the case takes its 已发出 step from its waybill."""
    ready(outbound, "T3-XC7")
    act(outbound, "C7", "refuse", "carol", "退回商品有使用痕迹")
    for step in ("agree_return", "buyer_return", "receive"):
        kept = "restock" if step == "receive" else ""
        act(outbound, "C7", step, "carol", "平台介入 platform stepped in", disposition=kept)
    assert show_json(outbound, "C7")["status"] == "received"
    ready(outbound, "T3-XC7")  # held, so review takes it again
    report = ship_by_cli(outbound, tmp_path)
    assert [item["orders"] for item in report["shipments"]] == [["T3-XC7"]]
    assert show_json(outbound, "C7")["status"] == "reshipped"


def test_a_reship_the_platform_closes_has_its_outbound_order_cancelled(
    outbound: Engine, tmp_path: Path
) -> None:
    """Any way to the end: here the platform's file says the reship was closed (agreed → closed)."""
    path = write_cases(
        tmp_path / "closed.csv", ["taobao,旗舰店,C6,T3,reship,closed,少件,0,2026-11-06 10:00:00,,"]
    )
    assert import_aftersales(outbound, path, rejects=tmp_path / "closed.rej.csv").rejected_count == 0
    assert show_json(outbound, "C6")["status"] == "closed"
    assert order_review(outbound, (1, "T3-RC6"))["state"] == "cancelled"  # type: ignore[index]
    (cancel,) = [e for e in order_timeline(outbound, "T3-RC6") if e.kind == "cancelled"]
    assert "售后单 C6 已关闭 → 换货/补发订单取消" in cancel.detail and "platform" in cancel.detail
    with pytest.raises(ActionRefused, match="cancelled in review"):
        ready(outbound, "T3-RC6")


def test_a_reship_the_platform_says_was_sent_has_its_waiting_order_cancelled(
    outbound: Engine, tmp_path: Path
) -> None:
    """The platform's file says the goods were sent (agreed → reshipped: from the platform's own backend)
    while the outbound order waits to ship in Lanshou: it is cancelled, so they do not go out twice."""
    path = write_cases(
        tmp_path / "sent.csv", ["taobao,旗舰店,C6,T3,reship,reshipped,少件,0,2026-11-06 10:00:00,,"]
    )
    assert import_aftersales(outbound, path, rejects=tmp_path / "sent.rej.csv").rejected_count == 0
    assert show_json(outbound, "C6")["status"] == "reshipped"
    assert order_review(outbound, (1, "T3-RC6"))["state"] == "cancelled"  # type: ignore[index]
    (cancel,) = [e for e in order_timeline(outbound, "T3-RC6") if e.kind == "cancelled"]
    assert "售后单 C6 已发出 → 换货/补发订单取消" in cancel.detail and "platform" in cancel.detail


def test_a_case_completed_after_its_order_shipped_leaves_no_note_of_withdrawing(
    outbound: Engine, tmp_path: Path
) -> None:
    """The usual way: the outbound order ships (已发出 by its waybill), then the case completes: nothing
    is withdrawn, and no note says so."""
    ready(outbound, "T3-RC6")
    ship_by_cli(outbound, tmp_path)
    assert act(outbound, "C6", "complete", "carol", "买家已收到")["status"] == "completed"
    withdrawn = ("aftersale_outbound_cancelled", "aftersale_outbound_left")
    assert [e for kind in withdrawn for e in entries(outbound, "C6", kind)] == []
    assert [e.kind for e in order_timeline(outbound, "T3-RC6") if e.kind == "cancelled"] == []


def test_an_outbound_order_that_left_already_is_left_and_noted(
    outbound: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shipped while after-sales did not follow it (a run of a version before outbound orders were followed):
    the case is still open when it is refused. The goods are gone: the order stays shipped, its stock
    deducted, and both timelines say why it was not cancelled."""
    monkeypatch.setattr(subscriptions, "follow_outbound", lambda *args: None)
    ready(outbound, "T3-XC7")
    result = ship_batch(outbound, BatchRequest(shop_ids=(1,), actor="wang"))
    assert [o.shipment.order_nos for o in result.report.shipped] == [("T3-XC7",)]
    assert show_json(outbound, "C7")["status"] == "received"

    assert act(outbound, "C7", "refuse", "carol", "退回商品有使用痕迹")["status"] == "refused"

    assert order_review(outbound, (1, "T3-XC7"))["state"] == "accepted"  # type: ignore[index]
    assert reserved(outbound)["T3-XC7"] == ("deducted", "deducted")
    with outbound.connect() as conn:
        assert stock_of(conn)[("SKU-C", "main")] == (5, 0)  # 6 less the one shipped
    for order_no in ("T3", "T3-XC7"):
        (left,) = [e for e in order_timeline(outbound, order_no) if e.kind == "aftersale_outbound_left"]
        assert "售后单 C7 已拒绝" in left.detail and "the goods had already left" in left.detail
    assert not [e for e in order_timeline(outbound, "T3-XC7") if e.kind == "cancelled"]
