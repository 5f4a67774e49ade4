# ruff: noqa: E501
"""Buyer profiles on SQLite and PostgreSQL: one per buyer across shops and platforms (buyer id, else a keyed
phone hash), hand-computed orders/spend/favourites/repeat, tiers and segments in CEL, blacklist for review,
masked formula-safe segment export; kept current by events and equal to a full recompute."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.buyers.profile import PROFILE_FACTS
from lanshou.buyers.rules import rules_from
from lanshou.buyers.service import blacklist, export_segment, list_json, refresh_all, segment_rows, show_json
from lanshou.buyers.store import buyer_facts, catch_up_buyers
from lanshou.cli.app import app
from lanshou.cli.common import console, err_console
from lanshou.intake.aftersales import import_aftersales
from lanshou.intake.feedback import import_feedback
from lanshou.intake.orders import import_orders
from lanshou.rules.language import RuleError, compile_condition

SECRET = "test-buyer-secret"
ORDERS = """platform,shop,order_id,status,created_at,paid_at,buyer_id,buyer_name,buyer_phone,province,sku,category,quantity,unit_price,order_amount
taobao,旗舰店,T1,delivered,2026-10-01 09:00:00,2026-10-01 09:01:00,tb_1,张三,13812345678,浙江省,SKU-A,家居,2,50.00,100.00
tmall,天猫店,M1,completed,2026-10-05 09:00:00,2026-10-05 09:01:00,tb_1,张三,13812345678,浙江省,SKU-B,服饰,1,300.00,300.00
pdd,拼多多店,P1,paid,2026-10-08 09:00:00,2026-10-08 09:01:00,,=cmd|' /C calc'!A0,13800001111,江苏省,SKU-C,食品,3,10.00,50.00
douyin,抖音小店,D2,shipped,2026-10-02 09:00:00,2026-10-02 09:01:00,,王五,+86 138-0000-1111,江苏省,SKU-D,食品,1,60.00,60.00
taobao,旗舰店,X1,cancelled,2026-10-03 09:00:00,,tb_2,李四,13900000000,广东省,SKU-A,家居,1,50.00,50.00
"""
CASES = """platform,shop,case_id,order_id,type,status,reason,amount,created_at,return_carrier,return_tracking_no
taobao,旗舰店,C1,T1,return_refund,refunded,质量问题,60.00,2026-10-04 10:00:00,,
"""
FEEDBACK = """platform,shop,order_id,created_at,rating,tags,content
tmall,天猫店,M1,2026-10-09 10:00:00,1,,物流太慢
"""
NOW = datetime(2026, 11, 1)


def _phone_key() -> str:
    return "ph:" + hmac.new(SECRET.encode(), b"13800001111", hashlib.sha256).hexdigest()[:32]


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("LANSHOU_BUYER_KEY", SECRET)
    for name, text in (("o.csv", ORDERS), ("c.csv", CASES), ("f.csv", FEEDBACK)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert import_orders(engine, tmp_path / "o.csv", rejects=tmp_path / "r1.csv").rejected_count == 0
    assert import_aftersales(engine, tmp_path / "c.csv", rejects=tmp_path / "r2.csv").rejected_count == 0
    assert import_feedback(engine, tmp_path / "f.csv", rejects=tmp_path / "r3.csv").rejected_count == 0
    return engine


def test_one_profile_per_buyer_across_shops_and_platforms(loaded: Engine) -> None:
    profiles = {p["key"]: p for p in list_json(loaded, limit=10)}
    assert set(profiles) == {"taobao:tb_1", _phone_key(), "taobao:tb_2"}
    tb1 = profiles["taobao:tb_1"]  # Taobao and Tmall share the buyer account
    assert (tb1["orders"], tb1["spend"], tb1["is_repeat"]) == (2, "340.00", True)  # 100 + 300 - 60 refunded
    assert tb1["categories"] == ["家居", "服饰"]  # 2 pieces before 1
    assert tb1["shops"] == ["taobao/旗舰店", "tmall/天猫店"]
    assert (tb1["refunds"], tb1["refunded"], tb1["negative_feedback"]) == (1, "60.00", 1)
    assert tb1["last_order_at"] == "2026-10-05 01:01:00"
    assert (tb1["name"], tb1["phone"]) == ("张*", "138****5678")  # masked by default
    assert (tb1["tier"], tb1["segments"]) == ("回头客", ["complainers"])

    phone = profiles[_phone_key()]  # no buyer id: the same phone (+86, dashes) on PDD and Douyin
    assert (phone["orders"], phone["spend"], phone["categories"]) == (2, "110.00", ["食品"])
    never = profiles["taobao:tb_2"]  # only a cancelled order
    assert (never["orders"], never["spend"], never["tier"], never["last_order_at"]) == (
        0,
        "0.00",
        "潜客",
        None,
    )

    shown = show_json(loaded, "D2")  # by an order number
    assert shown["key"] == _phone_key() and [o["order_no"] for o in shown["order_list"]] == ["D2", "P1"]


def test_incremental_profiles_equal_a_full_recompute(loaded: Engine) -> None:
    def snapshot() -> list[tuple[object, ...]]:
        catch_up_buyers(loaded)  # as every buyers read does first (imports only mark)
        with loaded.connect() as conn:
            rows = conn.execute(select(s.buyer_profiles).order_by(s.buyer_profiles.c.key)).all()
        return [tuple(row)[:-1] for row in rows]  # all but updated_at

    kept = snapshot()
    with loaded.begin() as conn:
        conn.execute(delete(s.buyer_profiles))
        conn.execute(delete(s.buyer_orders))
    assert refresh_all(loaded, NOW) == 3
    assert snapshot() == kept


def test_segments_and_tiers_may_carry_names_for_people_and_else_show_their_own() -> None:
    rules = rules_from(
        {
            "tiers": [{"name": "回头客", "when": "is_repeat", "label_en": "Repeat buyer"}],
            "segments": {
                "vip_club": {"when": "spend > 1.0", "label_zh": "会员", "label_en": "Members"},
                "老客户": "orders > 3",  # a merchant's own, named in words, no labels
            },
        }
    )
    assert [n for n, _ in rules.segments] == ["vip_club", "老客户"]  # the names the filters and CLI use
    shown = [(rules.label(n, False), rules.label(n, True)) for n in ("回头客", "vip_club", "老客户")]
    assert shown == [("回头客", "Repeat buyer"), ("会员", "Members"), ("老客户", "老客户")]
    with pytest.raises(RuleError, match="segment 'x': label_zh"):
        rules_from({"segments": {"x": {"when": "true", "label_zh": 1}}})


def test_segments_and_tiers_are_cel_over_profile_facts(loaded: Engine) -> None:
    assert compile_condition("spend > 100.0 && 'x' in categories", facts=PROFILE_FACTS).facts == {
        "spend",
        "categories",
    }
    with pytest.raises(RuleError, match="did you mean 'spend'"):
        compile_condition("spnd > 1.0", facts=PROFILE_FACTS)
    with pytest.raises(RuleError, match="undeclared reference to 'spend'"):
        compile_condition("spend > 1.0")  # the order facts know no spend
    with pytest.raises(RuleError, match="segment 'x'"):
        rules_from({"segments": {"x": "orders > 1.5"}})
    big = [b["key"] for b in segment_rows(loaded, "big_spenders", NOW)]
    assert big == []  # 340 < 1000
    assert [b["key"] for b in segment_rows(loaded, "complainers", NOW)] == ["taobao:tb_1"]
    # days since the last order are counted when the segment is asked for: 5 Oct → 1 Feb is 119 days
    assert [b["key"] for b in segment_rows(loaded, "sleeping", datetime(2027, 2, 1))] == [
        "taobao:tb_1",
        _phone_key(),
    ]
    with pytest.raises(LookupError, match="no segment 'nope'"):
        list(segment_rows(loaded, "nope", NOW))


def test_segment_export_is_masked_and_formula_safe(loaded: Engine, tmp_path: Path) -> None:
    path = tmp_path / "sleeping.csv"
    assert export_segment(loaded, "sleeping", datetime(2027, 2, 1), path) == 2
    with path.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    by_key = {row[0]: row for row in rows[1:]}
    assert by_key["taobao:tb_1"][1:3] == ["张*", "138****5678"]
    # the phone profile shows its last receiver (P1's), whose name looks like a formula: quoted, masked
    assert by_key[_phone_key()][1:3] == ["'=" + "*" * 17, "138****1111"]
    export_segment(loaded, "sleeping", datetime(2027, 2, 1), path, unmask=True)
    with path.open(encoding="utf-8-sig") as f:
        unmasked = {row[0]: row for row in csv.reader(f)}
    assert unmasked[_phone_key()][1:3] == ["'=cmd|' /C calc'!A0", "13800001111"]


def test_blacklist_is_what_review_reads(loaded: Engine) -> None:
    with loaded.connect() as conn:
        shop = dict(conn.execute(select(s.shops.c.name, s.shops.c.id)).all())
    with pytest.raises(ValueError, match="needs a reason"):
        blacklist(loaded, "M1", True, " ", "alice", NOW)
    with pytest.raises(LookupError):
        blacklist(loaded, "NOPE", True, "x", "alice", NOW)
    done = blacklist(loaded, "M1", True, "恶意退款", "alice", NOW)
    assert done["blacklisted"] and done["blacklist_reason"] == "恶意退款"
    with loaded.connect() as conn:
        facts = buyer_facts(
            conn, [(shop["旗舰店"], "T1"), (shop["拼多多店"], "P1"), (shop["旗舰店"], "NOPE")]
        )
    t1 = facts[(shop["旗舰店"], "T1")]
    assert (t1.orders, t1.spend, t1.is_repeat, t1.blacklisted, t1.tier) == (
        1,
        Decimal("240.00"),
        True,
        True,
        "回头客",
    )
    assert not facts[(shop["拼多多店"], "P1")].blacklisted
    assert (shop["旗舰店"], "NOPE") not in facts
    # the blacklist survives the profile being recomputed by new events
    refresh_all(loaded, NOW)
    assert [b["key"] for b in list_json(loaded, blacklisted=True)] == ["taobao:tb_1"]
    assert not blacklist(loaded, "taobao:tb_1", False, "", "bob", NOW)["blacklisted"]


def test_buyers_cli(cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "_width", 200)
    monkeypatch.setenv("LANSHOU_BUYER_KEY", SECRET)
    runner = CliRunner()
    (tmp_path / "o.csv").write_text(ORDERS, encoding="utf-8")
    assert runner.invoke(app, ["import", "orders", str(tmp_path / "o.csv")]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["buyers", "list", "--json", "--repeat"]).stdout)
    assert {b["key"] for b in listed} == {"taobao:tb_1", _phone_key()}
    table = runner.invoke(app, ["buyers", "list"])
    assert table.exit_code == 0 and "138****5678" in table.output and "13812345678" not in table.output
    assert runner.invoke(app, ["buyers", "show", "T1"]).exit_code == 0
    assert runner.invoke(app, ["buyers", "show", "NOPE"]).exit_code == 2
    assert runner.invoke(app, ["buyers", "segment", "nope"]).exit_code == 2
    out = tmp_path / "seg.csv"
    assert runner.invoke(app, ["buyers", "segment", "big_spenders", "--csv", str(out)]).exit_code == 0
    assert out.exists()
    exported = runner.invoke(app, ["buyers", "segment", "big_spenders", "--csv", str(out), "--json"])
    body = json.loads(exported.stdout)  # JSON, as asked
    members = json.loads(runner.invoke(app, ["buyers", "segment", "big_spenders", "--json"]).stdout)
    assert body == {"exported": len(members), "file": str(out), "masked": True}
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 1 + len(members)  # the header first
    assert runner.invoke(app, ["buyers", "blacklist", "T1"]).exit_code == 2  # no reason
    assert (
        runner.invoke(app, ["buyers", "blacklist", "T1", "--reason", "刷单", "--by", "carol"]).exit_code == 0
    )
    shown = runner.invoke(app, ["buyers", "show", "T1"]).output
    assert "刷单" in shown and "carol" in shown  # why and who blacklisted the buyer
    assert "拉黑 blacklisted" in shown  # in the change history
    assert runner.invoke(app, ["buyers", "refresh"]).exit_code == 0


# T1 again, in another shop and another buyer's (numbers are unique only within a shop); M1 again in a shop of
# the same buyer (Taobao and Tmall share buyer ids)
SAME_NUMBERS = """douyin,抖音小店,T1,paid,2026-10-06 09:00:00,2026-10-06 09:01:00,,赵六,13600003333,江苏省,SKU-D,食品,1,20.00,20.00
taobao,旗舰店,M1,paid,2026-10-07 09:00:00,2026-10-07 09:01:00,tb_1,张三,13812345678,浙江省,SKU-A,家居,1,50.00,50.00
"""


def test_an_order_number_of_two_buyers_in_two_shops_needs_its_shop(
    cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANSHOU_BUYER_KEY", SECRET)
    monkeypatch.setattr(err_console, "_width", 200)  # a wide terminal: the message is one line, unwrapped
    runner = CliRunner()
    (tmp_path / "o.csv").write_text(ORDERS + SAME_NUMBERS, encoding="utf-8")
    assert runner.invoke(app, ["import", "orders", str(tmp_path / "o.csv")]).exit_code == 0
    for command in (["show", "T1"], ["blacklist", "T1", "--reason", "刷单"]):
        refused = runner.invoke(app, ["buyers", *command])
        assert refused.exit_code == 2, refused.output
        line = refused.stderr.strip()
        assert "\n" not in line and "Traceback" not in refused.output, refused.output  # one line
        assert "taobao:旗舰店" in line and "douyin:抖音小店" in line and "--shop" in line, line
    assert json.loads(runner.invoke(app, ["buyers", "list", "--blacklisted", "--json"]).stdout) == []

    def shown(*args: str) -> dict[str, Any]:
        result = runner.invoke(app, ["buyers", "show", *args, "--json"])
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.stdout))

    douyin = shown("T1", "--shop", "抖音小店")
    assert douyin["name"] == "赵*" and [o["order_no"] for o in douyin["order_list"]] == ["T1"]
    assert shown("T1", "--shop", "taobao:旗舰店")["key"] == "taobao:tb_1"
    assert shown("M1")["key"] == "taobao:tb_1"  # two shops' orders, one buyer: nothing to choose
    unknown = runner.invoke(app, ["buyers", "show", "T1", "--shop", "nowhere"])
    assert unknown.exit_code == 2 and "no shop named 'nowhere'" in unknown.stderr
    done = runner.invoke(
        app, ["buyers", "blacklist", "T1", "--shop", "抖音小店", "--reason", "刷单", "--json"]
    )
    assert done.exit_code == 0, done.output
    blacklisted = json.loads(runner.invoke(app, ["buyers", "list", "--blacklisted", "--json"]).stdout)
    assert [b["key"] for b in blacklisted] == [douyin["key"]]  # the douyin buyer, not tb_1


def _shop_ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: i for name, i in conn.execute(select(s.shops.c.name, s.shops.c.id))}


def test_staff_of_some_shops_see_only_those_shops_orders_of_a_buyer(loaded: Engine) -> None:
    shop = _shop_ids(loaded)
    taobao = [shop["旗舰店"]]  # tb_1 bought here (T1) and in the tmall shop (M1); tb_2 only here
    seen = {b["key"]: b for b in list_json(loaded, shop_ids=taobao)}
    assert set(seen) == {"taobao:tb_1", "taobao:tb_2"}  # the phone buyer (PDD, Douyin) is not theirs
    tb1 = seen["taobao:tb_1"]  # T1 alone: 100 - 60 refunded; M1 (300, its bad feedback) left out
    assert (tb1["orders"], tb1["spend"], tb1["shops"], tb1["categories"]) == (
        1,
        "40.00",
        ["taobao/旗舰店"],
        ["家居"],
    )
    assert (tb1["negative_feedback"], tb1["tier"], tb1["segments"], tb1["is_repeat"]) == (
        0,
        "新客",
        [],
        False,
    )
    everything = {b["key"]: b for b in list_json(loaded)}
    assert seen["taobao:tb_2"] == everything["taobao:tb_2"]  # all its orders are here: as stored
    assert list_json(loaded, shop_ids=list(shop.values())) == list(everything.values())
    assert [b["key"] for b in list_json(loaded, tier="新客", shop_ids=taobao)] == ["taobao:tb_1"]
    assert list_json(loaded, repeat=True, shop_ids=taobao) == []

    shown = show_json(loaded, "taobao:tb_1", shop_ids=taobao)
    assert [o["order_no"] for o in shown["order_list"]] == ["T1"] and shown["feedback"] == []
    assert [(f["order_no"], f["rating"]) for f in show_json(loaded, "T1")["feedback"]] == [("M1", 1)]
    for hidden in ("M1", "P1", _phone_key()):  # another shop's order, a buyer who never bought here
        with pytest.raises(LookupError):
            show_json(loaded, hidden, shop_ids=taobao)
    assert [b["key"] for b in segment_rows(loaded, "complainers", NOW, shop_ids=taobao)] == []
    tmall = [shop["天猫店"]]
    assert [b["key"] for b in segment_rows(loaded, "complainers", NOW, shop_ids=tmall)] == ["taobao:tb_1"]


def test_blacklisting_keeps_who_and_stays_in_the_callers_shops(loaded: Engine) -> None:
    taobao = [_shop_ids(loaded)["旗舰店"]]
    with pytest.raises(LookupError):
        blacklist(loaded, "P1", True, "恶意退款", "carol", NOW, shop_ids=taobao)
    assert list_json(loaded, blacklisted=True) == []
    done = blacklist(loaded, "T1", True, "恶意退款", "carol", NOW, shop_ids=taobao)
    assert (done["blacklisted"], done["blacklisted_by"], done["blacklisted_at"]) == (
        True,
        "carol",
        "2026-11-01 00:00:00",
    )
    assert done["spend"] == "40.00"  # answered as the caller sees the buyer
    off = blacklist(loaded, "taobao:tb_1", False, "", "boss", NOW)
    assert (off["blacklisted"], off["blacklist_reason"], off["blacklisted_by"]) == (False, "", "boss")


def test_every_blacklist_change_is_kept_newest_first(loaded: Engine) -> None:
    later = NOW + timedelta(hours=2)
    blacklist(loaded, "T1", True, "恶意退款", "carol", NOW)
    blacklist(loaded, "T1", False, "已沟通 talked it over", "boss", NOW + timedelta(hours=1))
    blacklist(loaded, "T1", True, "再次恶意退款", "dave", later)
    history = show_json(loaded, "taobao:tb_1")["blacklist_history"]
    assert history == [
        {"blacklisted": True, "reason": "再次恶意退款", "by": "dave", "at": "2026-11-01 02:00:00"},
        {"blacklisted": False, "reason": "已沟通 talked it over", "by": "boss", "at": "2026-11-01 01:00:00"},
        {"blacklisted": True, "reason": "恶意退款", "by": "carol", "at": "2026-11-01 00:00:00"},
    ]
    assert show_json(loaded, "taobao:tb_1")["blacklist_reason"] == "再次恶意退款"  # the profile: the last
    with pytest.raises(ValueError):  # refused: no reason, so nothing is recorded
        blacklist(loaded, "T1", True, "", "erin", later)
    assert len(show_json(loaded, "taobao:tb_1")["blacklist_history"]) == 3
    assert show_json(loaded, "P1")["blacklist_history"] == []  # another buyer's changes are not theirs


def test_a_segment_is_one_more_filter_of_the_list(loaded: Engine) -> None:
    assert list_json(loaded, segment="complainers") == list(segment_rows(loaded, "complainers", NOW))
    assert [b["key"] for b in list_json(loaded, segment="complainers", tier="回头客")] == ["taobao:tb_1"]
    assert list_json(loaded, segment="complainers", repeat=False) == []
    with pytest.raises(LookupError, match="no segment 'nope'"):
        list_json(loaded, segment="nope")
