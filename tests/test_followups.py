"""Feedback follow-ups: shipping problems recognised in text (zh + en, negation), one task per negative
feedback (idempotent on re-import), owners and due times from the shop, closing with an outcome."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.cli.app import app
from lanshou.cli.common import console
from lanshou.followups.service import (
    FollowupNotFound,
    FollowupRefused,
    UnknownOutcome,
    assign,
    close,
    list_json,
)
from lanshou.followups.themes import is_negative, recognise, rules_from
from lanshou.intake.feedback import import_feedback
from lanshou.orders.timeline import read
from tests.aftersales_data import load_orders, orders_file

runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "themes"),
    [
        ("发货太慢了", ("发货慢",)),
        ("不慢", ()),
        ("一点都不慢，很满意", ()),
        ("不是很慢", ()),
        ("没那么慢", ()),
        ("物流不慢，但是包装破损了", ("包装破损",)),
        ("不仅慢，还压坏了", ("发货慢", "包装破损")),
        ("没有破损", ()),
        ("发错了颜色", ("错发",)),
        ("very slow delivery", ("发货慢",)),
        ("Not slow at all", ()),
        ("it wasn't late", ()),
        ("not only late but damaged", ("发货慢", "包装破损")),
        ("chocolate arrived fine", ()),  # "late" inside a word is no match
        ("The box was crushed.", ("包装破损",)),
        ("", ()),
    ],
)
def test_themes_with_negation(text: str, themes: tuple[str, ...]) -> None:
    assert recognise(text) == themes


def test_keyword_rules_are_configurable_and_checked() -> None:
    rules = rules_from({"themes": {"态度差": {"keywords": ["态度差", "rude"]}}, "negators": ["不"]})
    assert recognise("快递员态度差", rules) == ("态度差",)
    assert recognise("not rude", rules) == ("态度差",)  # "not" is no negator in these rules
    with pytest.raises(ValueError, match="themes"):
        rules_from({"negators": ["不"]})
    with pytest.raises(ValueError, match="keywords must be a list"):
        rules_from({"themes": {"x": {"keywords": "slow"}}})


def test_negative_means_a_low_rating_or_a_named_problem_without_a_good_one() -> None:
    assert is_negative(1, ()) and is_negative(2, ("发货慢",))
    assert is_negative(None, ("发货慢",)) and is_negative(3, ("包装破损",))
    assert not is_negative(5, ("发货慢",)) and not is_negative(None, ()) and not is_negative(3, ())


FEEDBACK = """platform,shop,order_id,created_at,rating,tags,content
taobao,旗舰店,T1,2026-11-05 10:00:00,,,发货太慢了，等了一周
taobao,旗舰店,T2,2026-11-05 11:00:00,5,,不慢，很好
taobao,旗舰店,T3,2026-11-05 12:00:00,1,,东西一般
taobao,旗舰店,T3,2026-11-06 12:00:00,3,,物流不慢
douyin,抖音小店,D1,2026-11-05 13:00:00,2,包装破损,
"""


def test_negative_feedback_opens_one_followup_each(engine: Engine, tmp_path: Path) -> None:
    load_orders(engine, tmp_path)
    settings = {"followups": {"owner": "小王", "due_hours": 48}}
    with engine.begin() as conn:
        conn.execute(update(s.shops).where(s.shops.c.name == "旗舰店").values(settings=json.dumps(settings)))
    path = tmp_path / "feedback.csv"
    path.write_text(FEEDBACK, encoding="utf-8")
    import_feedback(engine, path, rejects=tmp_path / "r.csv")
    now = datetime(2026, 11, 6, 0, 0)
    rows = list_json(engine, now)
    summary = [(r["order_no"], r["rating"], r["themes"], r["owner"], r["due_at"], r["overdue"]) for r in rows]
    assert summary == [  # soonest due first
        ("D1", 2, ["包装破损"], "", "2026-11-06 05:00:00", False),  # the platform's tag; default 24 h
        ("T1", None, ["发货慢"], "小王", "2026-11-07 02:00:00", False),  # 10:00 Shanghai + 48 h, in UTC
        ("T3", 1, [], "小王", "2026-11-07 04:00:00", False),
    ]
    import_feedback(engine, path, rejects=tmp_path / "r.csv")  # again: nothing new
    assert len(list_json(engine, now)) == 3
    assert [r["order_no"] for r in list_json(engine, datetime(2026, 11, 6, 6), overdue=True)] == ["D1"]

    t1 = rows[1]["id"]
    with pytest.raises(FollowupRefused, match="unknown outcome"):
        close(engine, t1, "fixed", "alice", now)
    closed = close(engine, t1, "compensated", "alice", now, "补偿 5 元优惠券")
    assert (closed["status"], closed["outcome"], closed["closed_by"]) == ("closed", "compensated", "alice")
    with pytest.raises(FollowupRefused, match="closed already"):
        close(engine, t1, "resolved", "bob", now)
    assert [r["order_no"] for r in list_json(engine, now)] == ["D1", "T3"]
    assert len(list_json(engine, now, include_closed=True)) == 3
    with engine.connect() as conn:
        shop_id = conn.execute(select(s.shops.c.id).where(s.shops.c.name == "旗舰店")).scalar_one()
        timeline = read(conn, shop_id, "T1")
    kinds = [(e.kind, e.actor) for e in timeline]
    assert ("followup_opened", "system") in kinds and ("followup_closed", "alice") in kinds


def test_followups_cli(cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "_width", 200)
    assert runner.invoke(app, ["import", "orders", str(orders_file(tmp_path / "o.csv"))]).exit_code == 0
    (tmp_path / "f.csv").write_text(FEEDBACK, encoding="utf-8")
    assert runner.invoke(app, ["import", "feedback", str(tmp_path / "f.csv")]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["followups", "list", "--json"]).stdout)
    assert len(listed) == 3
    shown = runner.invoke(app, ["followups", "list", "--shop", "旗舰店"])
    assert shown.exit_code == 0 and "发货慢" in shown.output
    masked = {row["id"]: row["buyer"]["phone"] for row in listed}
    whole = {
        row["id"]: row["buyer"]["phone"] for row in cli_rows(["followups", "list", "--unmask", "--json"])
    }
    assert all("*" in phone for phone in masked.values()) and not any("*" in p for p in whole.values())
    table = runner.invoke(app, ["followups", "list"]).stdout
    unmasked = runner.invoke(app, ["followups", "list", "--unmask"]).stdout
    for row in listed:  # the table names whom to call, masked unless asked for
        assert masked[row["id"]] in table and whole[row["id"]] not in table
        assert whole[row["id"]] in unmasked
    first = str(listed[0]["id"])
    assigned = runner.invoke(app, ["followups", "assign", first, "--owner", "小李", "--by", "boss"])
    assert assigned.exit_code == 0, assigned.output
    bad = runner.invoke(app, ["followups", "close", first, "--outcome", "nope"])
    assert bad.exit_code == 2 and "unknown outcome" in bad.output
    done = runner.invoke(app, ["followups", "close", first, "--outcome", "resolved", "--json"])
    assert done.exit_code == 0 and json.loads(done.stdout)["outcome"] == "resolved"
    assert runner.invoke(app, ["followups", "close", first, "--outcome", "resolved"]).exit_code == 2
    unknown = runner.invoke(app, ["followups", "list", "--shop", "nope"])
    assert unknown.exit_code == 2


def cli_rows(args: list[str]) -> list[dict[str, Any]]:
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    rows: list[dict[str, Any]] = json.loads(done.stdout)
    return rows


def _loaded(engine: Engine, tmp_path: Path) -> dict[str, int]:
    """FEEDBACK imported: follow-ups of T1 and T3 (taobao/旗舰店) and D1 (douyin/抖音小店); shop ids."""
    load_orders(engine, tmp_path)
    path = tmp_path / "feedback.csv"
    path.write_text(FEEDBACK, encoding="utf-8")
    import_feedback(engine, path, rejects=tmp_path / "r.csv")
    with engine.connect() as conn:
        return {name: i for name, i in conn.execute(select(s.shops.c.name, s.shops.c.id))}


def test_a_callers_shops_bound_what_is_listed_and_acted_on(engine: Engine, tmp_path: Path) -> None:
    shop = _loaded(engine, tmp_path)
    now = datetime(2026, 11, 6, 0, 0)
    taobao = [shop["旗舰店"]]
    mine = list_json(engine, now, shop_ids=taobao)
    assert [r["order_no"] for r in mine] == ["T1", "T3"]
    assert list_json(engine, now, shop_ids=[]) == []
    assert list_json(engine, now, "旗舰店", shop_ids=taobao) == mine
    with pytest.raises(LookupError):  # a shop not granted is named like one that does not exist
        list_json(engine, now, "抖音小店", shop_ids=taobao)
    d1 = next(r["id"] for r in list_json(engine, now) if r["order_no"] == "D1")
    for act in (
        lambda: assign(engine, d1, "小李", "carol", now, shop_ids=taobao),
        lambda: close(engine, d1, "resolved", "carol", now, shop_ids=taobao),
    ):
        with pytest.raises(FollowupNotFound, match=f"no follow-up {d1}"):
            act()
    untouched = next(r for r in list_json(engine, now) if r["id"] == d1)
    assert (untouched["owner"], untouched["status"]) == ("", "open")
    done = assign(engine, d1, "小李", "bob", now, shop_ids=[shop["抖音小店"]])
    assert (done["shop"], done["owner"]) == ("douyin/抖音小店", "小李")  # the answer names its shop


def test_closed_ones_come_after_every_open_one(engine: Engine, tmp_path: Path) -> None:
    _loaded(engine, tmp_path)
    now = datetime(2026, 11, 6, 0, 0)
    first = list_json(engine, now)[0]
    assert first["order_no"] == "T1"  # soonest due (24 h after its feedback)
    closed = close(engine, first["id"], "no_action", "bob", now)
    assert closed["shop"] == "taobao/旗舰店"
    every = list_json(engine, now, include_closed=True)
    assert [(r["order_no"], r["status"]) for r in every] == [("T3", "open"), ("D1", "open"), ("T1", "closed")]
    with pytest.raises(UnknownOutcome):
        close(engine, every[0]["id"], "fixed", "bob", now)


def test_a_blank_owner_is_refused_and_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    from lanshou.followups.service import FollowupRefused

    _loaded(engine, tmp_path)
    now = datetime(2026, 11, 6, 0, 0)
    first = list_json(engine, now)[0]
    assign(engine, first["id"], "小李", "bob", now)
    with pytest.raises(FollowupRefused, match="owner is empty"):
        assign(engine, first["id"], "   ", "bob", now)
    assert next(r for r in list_json(engine, now) if r["id"] == first["id"])["owner"] == "小李"
