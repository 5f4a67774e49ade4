"""The demo's operational half (lanshou.demo.fulfilment): stock for the catalog, the example carriers, waybill
pools and the open paid orders reviewed, so that review, stock and `lanshou ship` have work at once; on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import random
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.cli.app import app
from lanshou.demo.catalog import POOL_FORM, SHOPS
from lanshou.demo.fulfilment import Seeded, open_demand, seed_fulfilment, stock_counts, waybill_numbers
from lanshou.demo.generator import DemoConfig
from lanshou.demo.writer import write_demo
from lanshou.inventory.queries import ledger_mismatches, list_stock
from lanshou.review.queries import held_counts, ready_shipments, review_states
from lanshou.shipping.config import EXAMPLE_CONFIG, parse_config
from lanshou.shipping.labels.fonts import DEFAULT_CJK_FONT, FONT_ENV
from lanshou.shipping.parcels import shop_sender
from lanshou.shipping.pool_store import pool_counts
from lanshou.shipping.ship import ShipOptions, ship
from lanshou.shipping.store import config_in_force, load_config_file
from lanshou.shipping.waybills import TRACKING_NO
from lanshou.shops.store import ShopDirectory, load_shops
from tests.conftest import IN_CI
from tests.ship_data import page_texts, pages

# five days of orders: ~74 still paid at the end, enough to accept some and hold some for stock
CONFIG = DemoConfig(orders=500, days=5, seed=11, end=date(2026, 11, 21), batch_orders=250)
NOW = CONFIG.end_of_period()  # reviewed as of the demo's end: the holds do not depend on today
STOCK_SHORT = re.compile(r"缺货 stock short: (.+)")
NO_FONT = pytest.mark.skipif(
    not DEFAULT_CJK_FONT.is_file() and not os.environ.get(FONT_ENV) and not IN_CI,
    reason="no CJK font here: apt-get install fonts-wqy-zenhei (CI installs it and never skips)",
)


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    write_demo(engine, CONFIG)
    return seed_fulfilment(engine, CONFIG, NOW)


def test_every_catalog_sku_is_stocked_in_its_shops_warehouse(engine: Engine, seeded: Seeded) -> None:
    with engine.connect() as conn:
        rows = {row.sku: row for row in list_stock(conn)}
        settings = {(info.platform, info.shop): info.settings for info in load_shops(conn).values()}
        demand, open_orders = open_demand(conn, list(load_shops(conn)))
        assert ledger_mismatches(conn) == []
    for shop in SHOPS:
        assert settings[(shop.platform, shop.name)]["warehouse"] == shop.warehouse
        assert {p.sku: rows[p.sku].warehouse for p in shop.products} == dict.fromkeys(
            (p.sku for p in shop.products), shop.warehouse
        )
    assert seeded.skus == len(rows) == sum(len(shop.products) for shop in SHOPS)
    assert all(rows[sku].low for sku in seeded.low)  # the low-stock warning shows
    assert all(rows[sku].on_hand < demand[sku] for sku in seeded.short)
    plenty = [row for sku, row in rows.items() if sku not in seeded.low + seeded.short]
    assert all(row.on_hand >= demand.get(row.sku, 0) + row.safety_stock for row in plenty)
    assert open_orders == seeded.accepted + seeded.held > 0


def test_review_accepts_orders_and_holds_the_short_skus_orders_saying_so(
    engine: Engine, seeded: Seeded
) -> None:
    with engine.connect() as conn:
        held = review_states(conn, "held")
        accepted = review_states(conn, "accepted")
        waiting, for_stock = held_counts(conn)
        ready = ready_shipments(conn)
    short = [STOCK_SHORT.fullmatch(r) for row in held for r in row["reasons"]]
    named = [set(m.group(1).split(", ")) for m in short if m]
    assert named and all(skus <= set(seeded.short) for skus in named), named  # only the short SKUs
    assert (waiting, for_stock) == (len(held), len(named)) == (seeded.held, len(named))
    assert len(accepted) == seeded.accepted > for_stock  # most that may ship, do
    assert all(row["warehouse"] and row["actor"] == "demo" for row in accepted)
    assert {x.order_nos[0] for x in ready} <= {row["order_id"] for row in accepted} and ready


def test_the_example_carriers_each_have_a_pool_unlike_any_stored_parcel(
    engine: Engine, seeded: Seeded
) -> None:
    example = parse_config(EXAMPLE_CONFIG.read_text(encoding="utf-8")).plan.carrier_codes()
    with engine.connect() as conn:
        config = config_in_force(conn)
        counts = {c.carrier: c.available for c in pool_counts(conn)}
        numbers = conn.execute(select(s.waybill_numbers.c.carrier, s.waybill_numbers.c.tracking_no)).all()
        stored = set(conn.execute(select(s.parcels.c.tracking_no)).scalars())
    assert config is not None and config.plan.carrier_codes() == seeded.carriers == example
    assert counts == dict.fromkeys(example, seeded.numbers)
    assert seeded.numbers >= seeded.accepted + seeded.held  # every open order could go by any one carrier
    for carrier, number in numbers:
        assert TRACKING_NO.fullmatch(number) and number.startswith(POOL_FORM[carrier][0]), number
    assert stored and not stored & {number for _, number in numbers}


@NO_FONT
def test_a_few_demo_orders_ship_with_pool_waybills_and_labels(
    engine: Engine, seeded: Seeded, tmp_path: Path
) -> None:
    with engine.connect() as conn:
        shipments = ready_shipments(conn, limit=4)
        shops = load_shops(conn)
        config = config_in_force(conn)
    assert config is not None and len(shipments) == 4
    options = ShipOptions(tmp_path / "labels.pdf", upload_dir=tmp_path / "upload")
    report = ship(engine, shipments, config, shops, options, {})
    assert (len(report.shipped), len(report.failed)) == (4, 0), [o.reason for o in report.failed]
    assert pages(tmp_path / "labels.pdf") == 4 and list((tmp_path / "upload").iterdir())
    taken = {o.tracking_no for o in report.shipped}
    with engine.connect() as conn:
        used = set(
            conn.execute(
                select(s.waybill_numbers.c.tracking_no).where(s.waybill_numbers.c.status == "used")
            ).scalars()
        )
        shipped = conn.execute(
            select(func.count()).where(
                s.orders.c.order_no.in_([o.shipment.order_nos[0] for o in report.shipped]),
                s.orders.c.status == "shipped",
            )
        ).scalar_one()
    assert used == taken and shipped == 4


def test_every_demo_shop_ships_from_its_own_sender_not_the_example_placeholder(
    engine: Engine, seeded: Seeded
) -> None:
    """The example carrier file's [sender] (李四, 揽收小店) is a placeholder; each demo shop's settings
    name its own sender at its warehouse, which shop_sender prefers, as it does a merchant's."""
    with engine.connect() as conn:
        shops = {(info.platform, info.shop): info for info in load_shops(conn).values()}
        config = config_in_force(conn)
    assert config is not None and config.sender is not None
    senders = set()
    for shop in SHOPS:
        sender = shop_sender(shops[(shop.platform, shop.name)].settings, config.sender)
        assert sender is not None and sender != config.sender
        assert (sender.name, sender.phone, sender.company) == (shop.sender.name, shop.sender.phone, shop.name)
        assert (sender.address.province, sender.address.city, sender.address.district) == shop.origin
        senders.add((sender.name, sender.phone))
    assert len(senders) == len(SHOPS)


@NO_FONT
def test_a_demo_label_prints_the_sender_of_its_shop(engine: Engine, seeded: Seeded, tmp_path: Path) -> None:
    with engine.connect() as conn:
        ready = ready_shipments(conn, limit=500)
        shops = load_shops(conn)
        config = config_in_force(conn)
    assert config is not None and config.sender is not None
    one_each = list({shipment.shop_id: shipment for shipment in ready}.values())  # one parcel a shop
    assert len(one_each) >= 3
    report = ship(engine, one_each, config, shops, ShipOptions(tmp_path / "labels.pdf"), {})
    assert len(report.shipped) == len(one_each), [o.reason for o in report.failed]
    catalog = {(shop.platform, shop.name): shop for shop in SHOPS}
    texts = page_texts(tmp_path / "labels.pdf")
    for outcome in report.shipped:
        text = next(t for t in texts if outcome.tracking_no in t)
        info = shops[outcome.shipment.shop_id]
        sender = catalog[(info.platform, info.shop)].sender
        assert sender.name in text and sender.phone in text, (info.shop, text)
        assert config.sender.name not in text and config.sender.phone not in text


def test_stock_and_numbers_are_seeded_and_low_and_short_as_said() -> None:
    demand = {"LS-SERUM-30": 12, "XL-CUP-500": 30, "HY-ROSE-11": 7, "JX-MOUSE-01": 1}
    counts, low, short = stock_counts(demand, 7)
    assert (counts, low, short) == stock_counts(demand, 7)
    assert stock_counts(demand, 8)[0] != counts
    assert short == ("XL-CUP-500", "LS-SERUM-30")  # the most wanted
    by_sku = {c.sku: c for c in counts}
    assert all(by_sku[sku].on_hand < demand[sku] for sku in short)
    assert all(demand.get(sku, 0) <= by_sku[sku].on_hand <= by_sku[sku].safety_stock for sku in low)
    assert len({(c.warehouse, c.location) for c in counts}) == len(counts)  # a bin of its own each
    first = waybill_numbers("zto", 3, random.Random(1))
    assert first == waybill_numbers("zto", 3, random.Random(1)) != waybill_numbers("zto", 3, random.Random(2))
    assert [int(n) - int(first[0]) for n in first] == [0, 1, 2] and all(len(n) == 14 for n in first)


def test_a_database_keeps_its_own_carrier_configuration(engine: Engine, tmp_path: Path) -> None:
    own = tmp_path / "carriers.toml"
    own.write_text('[[carriers]]\ncode = "sf"\nprices."*" = { first = 12.0 }\n', encoding="utf-8")
    load_config_file(engine, own)
    write_demo(engine, CONFIG)
    seeded = seed_fulfilment(engine, CONFIG, NOW)
    with engine.connect() as conn:
        config = config_in_force(conn)
        assert pool_counts(conn) == []
    assert seeded.carriers == () and config is not None and config.plan.carrier_codes() == ("sf",)
    assert seeded.accepted  # stock and review still seeded


def test_a_database_with_its_own_shops_gets_no_invented_waybill_numbers(engine: Engine) -> None:
    with engine.begin() as conn:
        ShopDirectory(conn).ensure(conn, "taobao", "商家自己的店")  # a merchant's shop, no carrier file yet
    write_demo(engine, CONFIG)
    seeded = seed_fulfilment(engine, CONFIG, NOW)
    with engine.connect() as conn:
        assert pool_counts(conn) == [] and config_in_force(conn) is None
    assert seeded.carriers == () and seeded.accepted  # stock and review of the demo's shops still seeded


def test_demo_reset_seeds_again_from_scratch(cli_env: Path) -> None:
    runner = CliRunner()
    args = ["demo", "--orders", "300", "--days", "4", "--end", "2026-11-21", "--reset", "--no-tracking-state"]
    pools = []
    for _ in range(2):
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
        each = re.search(r"([\d,]+) waybill numbers each", done.output)
        listed = json.loads(runner.invoke(app, ["waybills", "list", "--json"]).stdout)
        assert each and {p["available"] for p in listed} == {int(each.group(1).replace(",", ""))}
        pools.append(listed)
    assert pools[0] == pools[1] and {p["carrier"] for p in pools[0]} == {"ems", "sf", "yto", "zto"}
    stock = json.loads(runner.invoke(app, ["stock", "list", "--json"]).stdout)
    assert len(stock) == sum(len(shop.products) for shop in SHOPS)
    summary = runner.invoke(app, ["run", "--once"])
    assert "Fulfilment 发货准备" in summary.output and "lanshou ship" in summary.output, summary.output
