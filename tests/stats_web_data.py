# ruff: noqa: E501
"""Two shops' statistics for the page and API tests: taobao/旗舰店 holds the hand-computed case of
tests/test_stats.py; taobao/专卖店 (another shop) one big order of its own, in a province, category and SKU
shop A never sells, so any of its figures leaking into shop A's view shows.

alice (operator) is granted 旗舰店 only, bob (operator) 专卖店 only, carol (customer service) 旗舰店 without
the statistics permission, boss (owner) everything."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from lanshou.accounts.roles import Role
from lanshou.accounts.service import add_user, issue_token
from lanshou.intake.orders import import_orders
from tests.accounts_data import PASSWORD
from tests.test_stats import _load

SHOP_A, SHOP_B = "taobao/旗舰店", "taobao/专卖店"
FROM, TO = "2026-10-01", "2026-10-03"
B_ORDERS = """platform,shop,order_id,status,created_at,paid_at,buyer_id,province,sku,category,quantity,unit_price,order_amount
taobao,专卖店,B1,paid,2026-10-02 09:59:00,2026-10-02 10:00:00,x1,四川省,SKU-Z,数码,1,999.00,999.00
taobao,专卖店,B2,paid,2026-09-29 09:59:00,2026-09-29 10:00:00,x2,四川省,SKU-Z,数码,2,500.00,1000.00
"""
B_ONLY = ("四川省", "SKU-Z", "数码")


@dataclass(frozen=True)
class StatsSite:
    engine: Engine
    tokens: dict[str, str]


def seed_stats(engine: Engine, folder: Path) -> StatsSite:
    _load(engine, folder)
    (folder / "b.csv").write_text(B_ORDERS, encoding="utf-8")
    assert import_orders(engine, folder / "b.csv", rejects=folder / "rb.csv").rejected_count == 0
    add_user(engine, "alice", PASSWORD, Role.OPERATOR, [SHOP_A])
    add_user(engine, "bob", PASSWORD, Role.OPERATOR, [SHOP_B])
    add_user(engine, "carol", PASSWORD, Role.CUSTOMER_SERVICE, [SHOP_A])
    add_user(engine, "boss", PASSWORD, Role.OWNER)
    return StatsSite(engine, {name: issue_token(engine, name) for name in ("alice", "bob", "carol", "boss")})
