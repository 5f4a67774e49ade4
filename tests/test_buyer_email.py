"""The buyer's e-mail: read from the generic orders file's optional `buyer_email` column (a bad address
rejects its row, naming the column; a file without the column keeps what is stored), masked like phones in
lists, exports, order detail and buyer profiles unless unmasked, and the address the e-mail channel uses:
a message reaches a REAL local SMTP server addressed to it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from lanshou.buyers.service import show_json
from lanshou.customers.masking import mask_email
from lanshou.events import OrderShipped, bus
from lanshou.intake.orders import import_orders
from lanshou.notifications import subscriptions
from lanshou.notifications.sending import send_due
from lanshou.orders.detail import order_detail
from lanshou.orders.queries import EXPORT_HEADERS, OrderFilter, export_cells, query_orders
from lanshou.orders.tables import orders
from lanshou.platforms.values import parse_email
from lanshou.shops.tables import shops
from tests.notify_data import configure_shop, order_line, rule, smtp_server
from tests.test_api_web2 import _order, call, get_json
from tests.tracking_data import ORDERS_HEADER
from tests.web2_data import Both, seed_both

LATER = datetime(2027, 1, 5, 3, 0)  # after the real clock: outbox rows are due by then
LONG = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com"  # 255 characters


@pytest.fixture(autouse=True)
def no_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subscriptions, "enqueue_send", lambda: None)


def write(tmp: Path, name: str, header: str, rows: list[str]) -> Path:
    path = tmp / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def emails(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {
            r.order_no: r.buyer_email for r in conn.execute(select(orders.c.order_no, orders.c.buyer_email))
        }


def shop_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(shops.c.id).where(shops.c.name == "小店")).scalar_one())


def test_addresses_are_checked_and_masked() -> None:
    assert parse_email("  Zoe.Li+shop@Example.COM ") == "Zoe.Li+shop@example.com"  # the domain lower-cased
    assert parse_email("") == ""
    for bad in (
        "zoe",
        "zoe@",
        "@example.com",
        "zoe@example",
        "zoe li@example.com",
        "a@b@example.com",
        "##x##",
    ):
        with pytest.raises(ValueError, match="not an e-mail address"):
            parse_email(bad)
    assert len(LONG) == 255 and parse_email(LONG)  # well formed: the column's length refuses it
    assert mask_email("zoe@example.com") == "z***@example.com"
    assert mask_email("") == "" and mask_email("no-at-sign") == "***"


def test_the_generic_file_brings_the_email_and_a_bad_one_rejects_its_row(
    engine: Engine, tmp_path: Path
) -> None:
    header = f"{ORDERS_HEADER},buyer_email"
    rows = [
        f"{order_line('M1', 'ZM1', 'buyer-1')},Zoe.Li@Example.COM",
        f"{order_line('M2', 'ZM2', 'buyer-2')},zoe at example.com",
        f"{order_line('M3', 'ZM3', 'buyer-3')},{LONG}",
        f"{order_line('M4', 'ZM4', 'buyer-4')},",
    ]
    report = import_orders(engine, write(tmp_path, "o.csv", header, rows), rejects=tmp_path / "rej.csv")
    assert report.inserted == 2 and report.rejected_count == 2
    bad = {e.line: (e.column, e.reason) for e in report.rejected}
    assert bad[3][0] == "buyer_email" and "not an e-mail address" in bad[3][1]
    assert bad[4] == ("buyer_email", "buyer_email is 255 characters long (at most 254)")
    assert emails(engine) == {"M1": "Zoe.Li@example.com", "M4": ""}
    # a file without the column (any platform export today) keeps the stored address
    again = import_orders(
        engine,
        write(tmp_path, "o2.csv", ORDERS_HEADER, [order_line("M1", "ZM1", "buyer-1", amount="99.00")]),
        rejects=tmp_path / "rej2.csv",
    )
    assert again.updated == 1 and emails(engine)["M1"] == "Zoe.Li@example.com"
    # the column present and empty: the buyer gave none this time
    import_orders(
        engine,
        write(tmp_path, "o3.csv", header, [f"{order_line('M1', 'ZM1', 'buyer-1')},"]),
        rejects=tmp_path / "rej3.csv",
    )
    assert emails(engine)["M1"] == ""


def test_lists_exports_detail_and_profiles_mask_it_unless_asked(engine: Engine, tmp_path: Path) -> None:
    header = f"{ORDERS_HEADER},buyer_email"
    path = write(tmp_path, "o.csv", header, [f"{order_line('P1', 'ZP1', 'buyer-p')},zoe@example.com"])
    import_orders(engine, path, rejects=tmp_path / "rej.csv")
    column = EXPORT_HEADERS.index("邮箱 Email")
    with engine.connect() as conn:
        (row,) = list(query_orders(conn, OrderFilter()))
        assert export_cells(row)[column] == "z***@example.com"
        assert export_cells(row, unmask=True)[column] == "zoe@example.com"
        detail = order_detail(conn, shop_id(engine), "P1")
        whole = order_detail(conn, shop_id(engine), "P1", unmask=True)
    assert detail is not None and whole is not None
    assert (
        detail["receiver"]["email"] == "z***@example.com" and whole["receiver"]["email"] == "zoe@example.com"
    )
    assert show_json(engine, "P1")["email"] == "z***@example.com"
    assert show_json(engine, "P1", unmask=True)["email"] == "zoe@example.com"


def test_a_shipped_notice_reaches_the_imported_address_through_real_smtp(
    engine: Engine, tmp_path: Path
) -> None:
    header = f"{ORDERS_HEADER},buyer_email"
    path = write(tmp_path, "o.csv", header, [f"{order_line('N1', 'ZN1', 'buyer-n')},amy.w@example.com"])
    import_orders(engine, path, rejects=tmp_path / "rej.csv")
    shop = shop_id(engine)
    with smtp_server() as (box, port):
        configure_shop(engine, shop, LATER, smtp_port=port)
        rule(engine, shop, "shipped-mail", "order_shipped", "email")
        with engine.begin() as conn:
            bus.publish(conn, OrderShipped((shop, "N1"), "ZN1", "zto"))
        bus.settle(engine)
        report = send_due(engine, LATER)
    assert report.sent == 1 and len(box.messages) == 1
    mail = box.messages[0]
    assert str(mail["To"]) == "amy.w@example.com" and "N1" in str(mail["Subject"])


@pytest.fixture
def both(engine: Engine, tmp_path: Path) -> Both:
    return seed_both(engine, tmp_path)


@pytest.fixture
def client(both: Both) -> Iterator[TestClient]:
    with TestClient(create_app(both.engine, AppSettings.for_tests()), base_url="https://testserver") as c:
        yield c


def test_the_api_batch_takes_it_checked_and_lists_it_masked(client: TestClient, both: Both) -> None:
    batch = {
        "orders": [
            _order("EM1", buyer_email="Dora@Example.com"),
            _order("EM2", buyer_email="dora(at)example.com"),
        ]
    }
    stored = call(client, both, "dora", "POST", "/api/v1/orders/batch", json=batch)
    assert stored.status_code == 200, stored.text
    body = stored.json()
    assert body["inserted"] == 1 and [(r["position"], r["field"]) for r in body["rejected"]] == [
        (2, "buyer_email")
    ]
    (item,) = get_json(client, both, "dora", "/api/v1/orders", order_id="EM1")["items"]
    assert item["buyer_email"] == "D***@example.com"
    detail = get_json(client, both, "dora", "/api/v1/orders/EM1")
    assert detail["receiver"]["email"] == "D***@example.com"
