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
from sqlalchemy import Engine
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.aftersales.service import act, show_json
from lanshou.cli.app import app
from lanshou.review.staff import act as review
from lanshou.shipping.batch import BatchRequest, ship_batch
from lanshou.shipping.labels.fonts import DEFAULT_CJK_FONT, FONT_ENV
from tests.aftersales_data import import_cases
from tests.conftest import IN_CI
from tests.inventory_data import put_stock
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


def test_a_case_already_marked_sent_or_closed_only_notes_the_parcel(outbound: Engine, tmp_path: Path) -> None:
    """Marked sent by hand before the order shipped (or closed meanwhile): no step is forced on the case;
    the parcel lands on the order's timeline with why nothing moved."""
    act(outbound, "C7", "reship", "carol", "先用顺丰寄出")
    act(outbound, "C6", "close", "system", "买家撤销")
    before = {case: show_json(outbound, case)["history"] for case in ("C6", "C7")}
    ready(outbound, "T3-RC6", "T3-XC7")
    report = ship_by_cli(outbound, tmp_path)
    numbers = {item["orders"][0]: item["tracking_no"] for item in report["shipments"]}
    assert sorted(numbers) == ["T3-RC6", "T3-XC7"]
    for case, status in (("C6", "closed"), ("C7", "reshipped")):
        shown = show_json(outbound, case)
        assert (shown["status"], shown["history"]) == (status, before[case])
    notes = entries(outbound, "C6", "aftersale_outbound_shipped")
    by_order = {order_no: e["detail"] for order_no in numbers for e in notes if order_no in e["detail"]}
    assert numbers["T3-RC6"] in by_order["T3-RC6"] and "'closed': no step taken" in by_order["T3-RC6"]
    assert numbers["T3-XC7"] in by_order["T3-XC7"] and "'reshipped': no step taken" in by_order["T3-XC7"]
    assert {e["actor"] for e in notes} == {"system"} and len(notes) == 2
