"""拆单 by quantity on SQLite and PostgreSQL: one line's units divided between shipments (5 → 3 + 2, stock
for 3 now). Reservations, ready shipments, waybills, labels, stock deduction, reprint and undo all see each
part's own units; bad counts are refused before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.review.queries import ready_shipments
from lanshou.review.splitting import parse_groups, split_order, unsplit_order
from lanshou.review.staff import ActionRefused
from lanshou.shipping.reprint import _shipment as reprinted_shipment
from lanshou.shipping.store import held_by_tracking
from tests.inventory_data import NOW, stock_of
from tests.ship_data import load_pool, pages, used_numbers
from tests.test_split_orders import _ship, ledger_balances, needs_font, parts_of, seed, timeline_of

# seed(): lines 1 CUP×2, 2 LID×1, 3 BAG×3, stock 10 of each in WH1


def goods(shipment: object) -> list[tuple[str, int]]:
    return [(line.sku, line.quantity) for line in shipment.lines]  # type: ignore[attr-defined]


def test_units_of_one_line_go_to_two_parts(engine: Engine) -> None:
    key = seed(engine)
    with engine.connect() as conn:
        before = stock_of(conn)
    done = split_order(engine, key, [[(3, 2)]], NOW, "王芳", "袋子先发两个")
    assert [[(x.no, x.quantity) for x in part] for part in done.parts] == [[(3, 2)], [(1, 2), (2, 1), (3, 1)]]
    with engine.connect() as conn:
        assert parts_of(conn, key) == {1: [("BAG", 2)], 2: [("BAG", 1), ("CUP", 2), ("LID", 1)]}
        assert stock_of(conn) == before  # nothing moved on the shelf
        assert ledger_balances(conn)
        first, rest = ready_shipments(conn)
    assert (first.part, goods(first)) == (1, [("BAG", 2)])
    assert (rest.part, goods(rest)) == (2, [("CUP", 2), ("LID", 1), ("BAG", 1)])
    (entry,) = [e for e in timeline_of(engine, key) if e.kind == "split"]
    assert "1) #3 BAG×2/3; 2) #1 CUP×2, #2 LID×1, #3 BAG×1/3" in entry.detail
    assert done.as_json()["parts"][0] == {
        "part": 1,
        "lines": [{"no": 3, "sku": "BAG", "quantity": 2, "of": 3}],
    }


def test_a_line_may_be_divided_across_named_groups(engine: Engine) -> None:
    key = seed(engine)
    done = split_order(engine, key, [[(3, 1), 1], [(3, 2), 2]], NOW, "王芳")
    assert [[(x.no, x.quantity) for x in part] for part in done.parts] == [[(3, 1), (1, 2)], [(3, 2), (2, 1)]]
    with engine.connect() as conn:
        assert parts_of(conn, key) == {1: [("BAG", 1), ("CUP", 2)], 2: [("BAG", 2), ("LID", 1)]}
        assert ledger_balances(conn)


def test_naming_all_units_of_a_line_is_the_whole_line(engine: Engine) -> None:
    key = seed(engine)
    split_order(engine, key, [[(3, 3)]], NOW, "王芳")
    with engine.connect() as conn:
        rows = conn.execute(select(s.shipment_parts.c.part, s.shipment_parts.c.quantity)).all()
    assert sorted(rows) == [(1, None), (2, None), (2, None)]  # stored as whole lines


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ([[(3, 4)]], "has 3 of 3 units left, 4 asked"),
        ([[(3, 2)], [(3, 2)]], "has 1 of 3 units left, 2 asked"),
        ([[(3, 1)], [3]], "line 3 is in two groups"),
        ([[3], [(3, 1)]], "has 0 of 3 units left"),
        ([[(3, 1), (3, 1)]], "line 3 is in two groups"),
        ([[(1, 2), (2, 1), (3, 3)]], "two shipments or more"),
        ([[(9, 1)]], "no line 9"),
    ],
)
def test_bad_counts_are_refused_and_nothing_changes(
    engine: Engine, groups: list[list[tuple[int, int]]], message: str
) -> None:
    key = seed(engine)
    events = len(timeline_of(engine, key))
    with pytest.raises(ActionRefused, match=message):
        split_order(engine, key, groups, NOW, "王芳")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.shipment_parts)).scalar_one() == 0
        assert set(parts_of(conn, key)) == {0}
    assert len(timeline_of(engine, key)) == events


@pytest.mark.parametrize("text", ["1:0", "1:", "1:x", "0:1", "1:-2", "1:３"])
def test_bad_pick_texts_are_refused(text: str) -> None:
    with pytest.raises(ActionRefused, match="line numbers are 1, 2"):
        parse_groups([text])


def test_pick_texts_parse() -> None:
    assert parse_groups(["1:3, 2", "3：1"]) == [[(1, 3), (2, None)], [(3, 1)]]


def test_undo_puts_the_units_back_together(engine: Engine) -> None:
    key = seed(engine)
    split_order(engine, key, [[(3, 2)]], NOW, "王芳")
    assert unsplit_order(engine, key, NOW, "王芳") == 2
    with engine.connect() as conn:
        (whole,) = ready_shipments(conn)
        reserved = parts_of(conn, key)
        assert ledger_balances(conn)
    assert whole.part == 0 and sorted(goods(whole)) == [("BAG", 3), ("CUP", 2), ("LID", 1)]
    assert reserved == {0: [("BAG", 3), ("CUP", 2), ("LID", 1)]}


@needs_font
def test_three_now_two_later_ships_reprints_and_deducts_each_parts_units(
    engine: Engine, tmp_path: Path
) -> None:
    key = seed(engine)
    split_order(engine, key, [[(3, 2), 1]], NOW, "王芳")
    load_pool(engine, "zto", 5)
    load_pool(engine, "ems", 5)
    with engine.connect() as conn:
        now, _later = ready_shipments(conn)
    report = _ship(engine, tmp_path, shipments=[now])
    (first,) = report.shipped
    assert pages(tmp_path / "labels.pdf") == 1
    with engine.connect() as conn:
        assert stock_of(conn)[("BAG", "WH1")] == (8, 1)  # 2 left, 1 still reserved for part 2
        assert stock_of(conn)[("CUP", "WH1")] == (8, 0)
        (rest,) = ready_shipments(conn)
        (held,) = held_by_tracking(conn, first.carrier, [first.tracking_no])
        again = reprinted_shipment(conn, held, "旗舰店")
    assert goods(again) == goods(now) == [("CUP", 2), ("BAG", 2)]  # the reprint shows part 1's units
    assert (rest.part, goods(rest)) == (2, [("LID", 1), ("BAG", 1)])
    second = _ship(engine, tmp_path, "later.pdf")
    assert [o.shipment.part for o in second.shipped] == [2]
    assert used_numbers(engine) == 2
    with engine.connect() as conn:
        assert stock_of(conn) == {("CUP", "WH1"): (8, 0), ("LID", "WH1"): (9, 0), ("BAG", "WH1"): (7, 0)}
        assert ledger_balances(conn)
        assert ready_shipments(conn) == []
    shipped = [e.detail for e in timeline_of(engine, key) if e.kind == "shipped"]
    assert any("BAG×2" in d for d in shipped) and any("BAG×1" in d for d in shipped)


def test_cli_splits_by_units(cli_env: Path) -> None:
    from lanshou.cli.app import app
    from lanshou.cli.common import database

    seed(database())
    runner = CliRunner()
    result = runner.invoke(app, ["orders", "split", "S100", "--lines", "3:2"])
    assert result.exit_code == 0, result.output
    assert "#3 BAG×2/3" in result.output and "#3 BAG×1/3" in result.output
    bad = runner.invoke(app, ["orders", "split", "S100", "--lines", "3:9"])
    assert bad.exit_code == 2 and "has 3 of 3 units left, 9 asked" in bad.output
    assert "Traceback" not in bad.output


def test_orders_show_lists_the_reservations_of_each_part(cli_env: Path) -> None:
    """Issue 10 item 8: `orders show` gives the order's reservations (here: a line divided 2 + 1)."""
    import json

    from lanshou.cli.app import app
    from lanshou.cli.common import database

    seed(database())
    runner = CliRunner()
    assert runner.invoke(app, ["orders", "split", "S100", "--lines", "3:2"]).exit_code == 0
    result = runner.invoke(app, ["orders", "show", "S100", "--json"])
    assert result.exit_code == 0, result.output
    held = [
        (x["sku"], x["warehouse"], x["quantity"], x["state"], x["part"])
        for x in json.loads(result.stdout)["reservations"]
    ]
    assert sorted(held) == [
        ("BAG", "WH1", 1, "reserved", 2),
        ("BAG", "WH1", 2, "reserved", 1),
        ("CUP", "WH1", 2, "reserved", 2),
        ("LID", "WH1", 1, "reserved", 2),
    ]
    text = runner.invoke(app, ["orders", "show", "S100"])
    assert text.exit_code == 0 and "reservations" in text.output and "BAG" in text.output


def test_a_lowered_line_never_ships_more_than_it_has(engine: Engine) -> None:
    """The platform lowers line 3 from 3 units to 2 after a 2 + 1 split (a partial refund): the named part
    keeps its 2, the rest part, made of what was left, has none of it now."""
    key = seed(engine)
    split_order(engine, key, [[(3, 2)]], NOW, "王芳")
    with engine.begin() as conn:
        t = s.order_lines.c
        conn.execute(s.order_lines.update().where(t.order_no == key[1], t.sku == "BAG").values(quantity=2))
        first, rest = ready_shipments(conn)
    assert goods(first) == [("BAG", 2)]
    assert goods(rest) == [("CUP", 2), ("LID", 1)]
