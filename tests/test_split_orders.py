"""拆单 on SQLite and PostgreSQL: one order split into shipments, each with its own carrier choice, waybill,
label and parcel; reservations follow the parts; re-runs never take a second waybill; bad input changes
nothing; the order stays one order for the metrics (its pickup is its first parcel's)."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, select
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.orders import timeline
from lanshou.review.queries import ready_shipments
from lanshou.review.ready import ReadyShipment
from lanshou.review.splitting import split_order, unsplit_order
from lanshou.review.staff import ActionRefused, act, merge
from lanshou.shipping.config import parse_config
from lanshou.shipping.labels.fonts import DEFAULT_CJK_FONT, FONT_ENV
from lanshou.shipping.ship import ShipOptions, ShipRefused, ShipReport, ship
from lanshou.shops.store import load_shops
from tests.conftest import IN_CI
from tests.inventory_data import NOW, add_order, make_shop, put_stock, stock_of
from tests.ship_data import CARRIERS, load_pool, pages, used_numbers

needs_font = pytest.mark.skipif(
    not DEFAULT_CJK_FONT.is_file() and not os.environ.get(FONT_ENV) and not IN_CI,
    reason="no CJK font here: apt-get install fonts-wqy-zenhei (CI installs it and never skips)",
)
LINES = [("CUP", 2), ("LID", 1), ("BAG", 3)]  # lines 1, 2, 3


def seed(engine: Engine, accept: bool = True) -> tuple[int, str]:
    with engine.begin() as conn:
        shop = make_shop(conn)
        key = add_order(conn, shop, "S100", LINES)
    put_stock(engine, [("CUP", "WH1", 10), ("LID", "WH1", 10), ("BAG", "WH1", 10)])
    if accept:
        (outcome,) = act(engine, "accept", [key], NOW, "王芳")
        assert outcome.done, outcome.message
    return key


def parts_of(conn: Connection, key: tuple[int, str]) -> dict[int, list[tuple[str, int]]]:
    """part -> (SKU, quantity) of the order's live reservations, summed per SKU."""
    r = s.reservations.c
    query = (
        select(r.part, r.sku, func.sum(r.quantity))
        .where(r.shop_id == key[0], r.order_no == key[1], r.state == "reserved")
        .group_by(r.part, r.sku)
        .order_by(r.part, r.sku)
    )
    found: dict[int, list[tuple[str, int]]] = {}
    for part, sku, quantity in conn.execute(query):
        found.setdefault(part, []).append((sku, int(quantity)))
    return found


def ledger_balances(conn: Connection) -> bool:
    led = s.stock_ledger.c
    sums = {
        (row.sku, row.warehouse_id): (int(row.on_hand), int(row.reserved))
        for row in conn.execute(
            select(
                led.sku,
                led.warehouse_id,
                func.sum(led.on_hand_delta).label("on_hand"),
                func.sum(led.reserved_delta).label("reserved"),
            ).group_by(led.sku, led.warehouse_id)
        )
    }
    st = s.stock.c
    query = select(st.sku, st.warehouse_id, st.on_hand, st.reserved)
    return sums == {(r.sku, r.warehouse_id): (r.on_hand, r.reserved) for r in conn.execute(query)}


def timeline_of(engine: Engine, key: tuple[int, str]) -> list[timeline.TimelineEntry]:
    with engine.connect() as conn:
        return timeline.read(conn, *key)


def test_split_divides_lines_and_reservations(engine: Engine) -> None:
    key = seed(engine)
    with engine.connect() as conn:
        before = stock_of(conn)
        assert parts_of(conn, key) == {0: [("BAG", 3), ("CUP", 2), ("LID", 1)]}
    done = split_order(engine, key, [[3, 1]], NOW, "王芳", "杯子和袋子先发")
    assert [[x.no for x in part] for part in done.parts] == [[3, 1], [2]]  # the rest: one more part
    with engine.connect() as conn:
        assert parts_of(conn, key) == {1: [("BAG", 3), ("CUP", 2)], 2: [("LID", 1)]}
        assert stock_of(conn) == before  # nothing moved on the shelf
        assert ledger_balances(conn)
        shipments = ready_shipments(conn)
    assert [(x.part, [(line.sku, line.quantity) for line in x.lines]) for x in shipments] == [
        (1, [("CUP", 2), ("BAG", 3)]),
        (2, [("LID", 1)]),
    ]
    assert all(x.keys == (key,) for x in shipments)
    (entry,) = [e for e in timeline_of(engine, key) if e.kind == "split"]
    assert entry.actor == "王芳" and "杯子和袋子先发" in entry.detail
    assert "1) #3 BAG×3, #1 CUP×2; 2) #2 LID×1" in entry.detail


def test_a_split_may_be_redone_and_undone_before_anything_ships(engine: Engine) -> None:
    key = seed(engine)
    split_order(engine, key, [[1], [2]], NOW, "王芳")
    again = split_order(engine, key, [[2, 3]], NOW, "王芳")
    assert [[x.no for x in part] for part in again.parts] == [[2, 3], [1]]
    with engine.connect() as conn:
        assert parts_of(conn, key) == {1: [("BAG", 3), ("LID", 1)], 2: [("CUP", 2)]}
    assert unsplit_order(engine, key, NOW, "王芳", "一起发") == 2
    with engine.connect() as conn:
        assert parts_of(conn, key) == {0: [("BAG", 3), ("CUP", 2), ("LID", 1)]}
        (whole,) = ready_shipments(conn)
        assert ledger_balances(conn)
    assert whole.part == 0 and len(whole.lines) == 3
    kinds = [e.kind for e in timeline_of(engine, key)]
    assert kinds.count("split") == 2 and kinds[-1] == "unsplit"


def _nothing_changed(engine: Engine, key: tuple[int, str], events: int) -> None:
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.shipment_parts)).scalar_one() == 0
        assert set(parts_of(conn, key)) <= {0}
    assert len(timeline_of(engine, key)) == events


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ([[9]], "no line 9"),
        ([[1], [1, 2]], "line 1 is in two groups"),
        ([[2, 2]], "line 2 is in two groups"),
        ([[1, 2, 3]], "two shipments or more"),
    ],
)
def test_bad_lines_are_refused_and_nothing_changes(
    engine: Engine, groups: list[list[int]], message: str
) -> None:
    key = seed(engine)
    events = len(timeline_of(engine, key))
    with pytest.raises(ActionRefused, match=message):
        split_order(engine, key, groups, NOW, "王芳")
    _nothing_changed(engine, key, events)


@pytest.mark.parametrize(
    ("status", "review", "message"),
    [
        ("shipped", "accepted", "has shipped"),
        ("cancelled", "", "cancelled"),
        ("paid", "cancelled", "cancelled in review"),
        ("pending_payment", "", "not paid"),
    ],
)
def test_orders_that_cannot_be_split_are_refused(
    engine: Engine, status: str, review: str, message: str
) -> None:
    key = seed(engine, accept=False)
    with engine.begin() as conn:
        conn.execute(s.orders.update().values(status=status))
        if review:
            conn.execute(
                s.review_state.insert(),
                {"shop_id": key[0], "order_no": key[1], "state": review, "reviewed_at": NOW},
            )
    events = len(timeline_of(engine, key))
    with pytest.raises(ActionRefused, match=message):
        split_order(engine, key, [[1]], NOW, "王芳")
    _nothing_changed(engine, key, events)


def test_merged_orders_and_split_orders_do_not_mix(engine: Engine) -> None:
    key = seed(engine)
    with engine.begin() as conn:
        other = add_order(conn, key[0], "S101", [("CUP", 1)], buyer_key="buyer-S100", address="文三路S100号")
    merge(engine, [key, other], NOW, "王芳")
    with pytest.raises(ActionRefused, match="undo the merge first"):
        split_order(engine, key, [[1]], NOW, "王芳")
    from lanshou.review.staff import unmerge

    assert unmerge(engine, [key, other], NOW, "王芳") == 2
    split_order(engine, key, [[1]], NOW, "王芳")
    with pytest.raises(ActionRefused, match="split orders cannot be merged"):
        merge(engine, [key, other], NOW, "王芳")


CARRIER_RULES = "[[rules]]\nname = '袋子走邮政'\nwhen = \"skus.exists(s, s == 'BAG')\"\ncarrier = 'ems'\n"


def _ship(
    engine: Engine, tmp_path: Path, name: str = "labels.pdf", shipments: list[ReadyShipment] | None = None
) -> ShipReport:
    """`lanshou ship` over every ready shipment (or these), with the test carrier file and its rules."""
    with engine.connect() as conn:
        chosen = shipments or ready_shipments(conn)
        shops = load_shops(conn)
    config = parse_config(CARRIERS + CARRIER_RULES)
    return ship(engine, chosen, config, shops, ShipOptions(tmp_path / name), {})


@needs_font
def test_ship_gives_each_part_its_own_carrier_waybill_label_and_parcel(
    engine: Engine, tmp_path: Path
) -> None:
    key = seed(engine)
    split_order(engine, key, [[3]], NOW, "王芳")  # part 1: the bags; part 2: cups and lid
    load_pool(engine, "zto", 5)
    load_pool(engine, "ems", 5)
    report = _ship(engine, tmp_path)
    assert (len(report.shipped), len(report.failed)) == (2, 0), [o.reason for o in report.failed]
    assert pages(tmp_path / "labels.pdf") == 2
    by_part = {o.shipment.part: o for o in report.shipped}
    assert by_part[1].carrier == "ems" and "袋子走邮政" in by_part[1].reason  # its own carrier choice
    assert by_part[2].carrier == "zto"
    assert by_part[1].tracking_no != by_part[2].tracking_no
    with engine.connect() as conn:
        assert conn.execute(select(s.orders.c.status)).scalar_one() == "shipped"
        links = conn.execute(
            select(s.parcel_orders.c.tracking_no).where(s.parcel_orders.c.order_no == "S100")
        )
        assert sorted(links.scalars()) == sorted(o.tracking_no for o in report.shipped)
        assert stock_of(conn) == {("CUP", "WH1"): (8, 0), ("LID", "WH1"): (9, 0), ("BAG", "WH1"): (7, 0)}
        assert ledger_balances(conn)
        assert ready_shipments(conn) == []
    assert used_numbers(engine) == 2
    entries = timeline_of(engine, key)
    shipped = [e.detail for e in entries if e.kind == "shipped"]
    assert len(shipped) == 2 and any("part 1: BAG×3" in d for d in shipped)
    assert len([e for e in entries if e.kind == "stock_deducted"]) == 2
    again = _ship(engine, tmp_path, "again.pdf")  # a re-run: nothing left, no second waybill
    assert again.outcomes == [] and used_numbers(engine) == 2


@needs_font
def test_one_part_now_the_rest_later_and_a_failed_print_reuses_the_waybill(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = seed(engine)
    split_order(engine, key, [[1]], NOW, "王芳")
    load_pool(engine, "zto", 5)
    load_pool(engine, "ems", 5)
    with engine.connect() as conn:
        first, later = ready_shipments(conn)
    assert (first.part, later.part) == (1, 2)
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "no-such-font.ttf"))
    with pytest.raises(ShipRefused):
        _ship(engine, tmp_path, shipments=[first])
    monkeypatch.undo()
    assert used_numbers(engine) == 1  # taken before printing
    report = _ship(engine, tmp_path, shipments=[first])
    assert len(report.shipped) == 1 and report.shipped[0].reused
    with engine.connect() as conn:
        assert conn.execute(select(s.orders.c.status)).scalar_one() == "shipped"  # the first part left
        assert stock_of(conn)[("CUP", "WH1")] == (8, 0)
        assert stock_of(conn)[("BAG", "WH1")] == (10, 3)  # still reserved for part 2
        (rest,) = ready_shipments(conn)
    assert rest.part == 2 and [line.sku for line in rest.lines] == ["LID", "BAG"]
    with pytest.raises(ActionRefused, match="has shipped"):  # no re-split once a part left
        split_order(engine, key, [[2]], NOW, "王芳")
    report = _ship(engine, tmp_path, "later.pdf")
    assert [o.shipment.part for o in report.shipped] == [2] and not report.shipped[0].reused
    assert used_numbers(engine) == 2
    # re-offering part 1 (e.g. a stale list) ships nothing and takes no number
    stale = _ship(engine, tmp_path, "stale.pdf", shipments=[first])
    assert not stale.shipped and "part 1" in stale.failed[0].reason
    assert used_numbers(engine) == 2
    with engine.connect() as conn:
        assert stock_of(conn) == {("CUP", "WH1"): (8, 0), ("LID", "WH1"): (9, 0), ("BAG", "WH1"): (7, 0)}
        assert ledger_balances(conn)


@needs_font
def test_a_waybill_taken_before_the_split_is_used_not_left_behind(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = seed(engine)
    load_pool(engine, "zto", 5)
    load_pool(engine, "ems", 5)
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "no-such-font.ttf"))
    with pytest.raises(ShipRefused):  # the whole order took a number, then printing failed
        _ship(engine, tmp_path)
    monkeypatch.undo()
    with engine.connect() as conn:
        (whole,) = conn.execute(select(s.shipment_waybills)).all()
    assert whole.part == 0 and used_numbers(engine) == 1
    split_order(engine, key, [[2]], NOW, "王芳")
    report = _ship(engine, tmp_path)
    by_part = {o.shipment.part: o for o in report.shipped}
    assert set(by_part) == {1, 2}
    assert by_part[1].tracking_no == whole.tracking_no and by_part[1].reused  # part 1 takes it over
    assert used_numbers(engine) == 2  # one more for part 2, none left taken and unused
    with engine.connect() as conn:
        rows = conn.execute(select(s.shipment_waybills.c.part, s.shipment_waybills.c.shipped_at)).all()
    assert sorted(part for part, _ in rows) == [1, 2] and all(at is not None for _, at in rows)
    assert "waybill_reused" in [e.kind for e in timeline_of(engine, key)]


@needs_font
def test_an_order_accepted_after_its_split_deducts_part_by_part(engine: Engine, tmp_path: Path) -> None:
    key = seed(engine, accept=False)
    split_order(engine, key, [[2]], NOW, "王芳")
    (outcome,) = act(engine, "accept", [key], NOW, "王芳")
    assert outcome.done
    with engine.connect() as conn:
        assert parts_of(conn, key) == {0: [("BAG", 3), ("CUP", 2), ("LID", 1)]}  # reserved as a whole
        lid, rest = ready_shipments(conn)
    load_pool(engine, "zto", 5)
    load_pool(engine, "ems", 5)
    assert len(_ship(engine, tmp_path, shipments=[lid]).shipped) == 1
    with engine.connect() as conn:
        assert stock_of(conn)[("LID", "WH1")] == (9, 0)
        assert stock_of(conn)[("CUP", "WH1")] == (10, 2)
        assert parts_of(conn, key) == {0: [("BAG", 3), ("CUP", 2)]}
    assert len(_ship(engine, tmp_path, "b.pdf", shipments=[rest]).shipped) == 1
    with engine.connect() as conn:
        assert stock_of(conn) == {("CUP", "WH1"): (8, 0), ("LID", "WH1"): (9, 0), ("BAG", "WH1"): (7, 0)}
        assert ledger_balances(conn)


@needs_font
def test_the_order_is_picked_up_when_its_first_parcel_is(engine: Engine, tmp_path: Path) -> None:
    """METRICS.md: an order shipped in several parcels is picked up at its first parcel's first scan."""
    from lanshou.metrics.rules import order_pickup
    from lanshou.metrics.source import load_facts
    from lanshou.shops.store import load_shops

    key = seed(engine)
    split_order(engine, key, [[1]], NOW, "王芳")
    load_pool(engine, "zto", 5)
    load_pool(engine, "ems", 5)
    report = _ship(engine, tmp_path)
    first, second = sorted(o.tracking_no for o in report.shipped)
    scans = {first: NOW + timedelta(hours=5), second: NOW + timedelta(hours=3)}
    with engine.begin() as conn:
        for number, at in scans.items():
            conn.execute(
                s.tracking_events.insert(),
                {"tracking_no": number, "event_time": at, "status": "picked_up", "raw_status": "103"},
            )
    with engine.connect() as conn:
        ((_, fact),) = list(load_facts(conn, [key], load_shops(conn)))
    assert sorted(p.tracking_no for p in fact.parcels) == [first, second]
    assert order_pickup(fact) == NOW + timedelta(hours=3)  # the earlier of the two first scans


def test_cli_split_unmerge_and_refusals(cli_env: Path) -> None:
    from lanshou.cli.app import app
    from lanshou.cli.common import database

    engine = database()
    key = seed(engine)
    runner = CliRunner()
    result = runner.invoke(app, ["orders", "split", "S100", "--lines", "1,2", "--reason", "先发"])
    assert result.exit_code == 0, result.output
    assert "split into 2 shipments" in result.output and "#3 BAG×3" in result.output
    bad = runner.invoke(app, ["orders", "split", "S100", "--lines", "1", "--lines", "1"])
    assert bad.exit_code == 2 and "line 1 is in two groups" in bad.output
    none = runner.invoke(app, ["orders", "split", "S100"])
    assert none.exit_code == 2 and "orders unmerge" in none.output
    words = runner.invoke(app, ["orders", "split", "S100", "--lines", "one"])
    assert words.exit_code == 2 and "line numbers" in words.output
    undo = runner.invoke(app, ["orders", "split", "S100", "--undo"])
    assert undo.exit_code == 0 and "was 2 shipments" in undo.output
    again = runner.invoke(app, ["orders", "split", "S100", "--lines", "1,2", "--json"])
    assert again.exit_code == 0 and len(json.loads(again.stdout)["parts"]) == 2
    undo = runner.invoke(app, ["orders", "split", "S100", "--undo", "--json"])  # JSON, as asked
    assert undo.exit_code == 0 and json.loads(undo.stdout) == {
        "order_id": "S100",
        "unsplit": True,
        "was_shipments": 2,
    }
    unmerge = runner.invoke(app, ["orders", "unmerge", "S100"])
    assert unmerge.exit_code == 0 and "unmerged" in unmerge.output
    with engine.connect() as conn:
        kinds = [e.kind for e in timeline.read(conn, *key)]
    assert kinds[-3:] == ["split", "unsplit", "unmerged"]
