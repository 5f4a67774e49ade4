"""Shops, orders, users and tokens for the accounts, API and page tests.

Three shops: tmall/旗舰店 ("A"), douyin/抖音小店 ("B") and douyin/旗舰店 (same name as A, another platform).
alice (operator) and carol (customer service) are granted A only, bob (customer service) B only, boss
(owner) everything. Every user's password is PASSWORD.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from lanshou import schema as s
from lanshou.accounts.roles import Role
from lanshou.accounts.service import add_user, issue_token
from lanshou.intake.orders import import_orders

PASSWORD = "correct horse 42"
HEADER = (
    "platform,shop,order_id,status,created_at,paid_at,is_presale,promised_ship_by,buyer_id,buyer_name,"
    "buyer_phone,province,city,district,address,buyer_message,sku,title,category,quantity,unit_price,"
    "order_amount,carrier,tracking_no,shipped_at"
)
# (platform, shop, order id, status, receiver, phone, address)
ORDERS = [
    ("tmall", "旗舰店", "A-1", "paid", "张三", "13812345678", "文三路1号"),
    ("tmall", "旗舰店", "A-2", "shipped", "李四", "13900001111", "科技园2号"),
    ("tmall", "旗舰店", "A-3", "paid", "王五", "13700002222", "建国路3号"),
    ("douyin", "抖音小店", "B-1", "paid", "赵六", "13600003333", "南京路4号"),
    ("douyin", "抖音小店", "SAME-1", "paid", "孙七", "13500004444", "中山路5号"),
    ("douyin", "旗舰店", "C-1", "paid", "周八", "13400005555", "人民路6号"),
    ("tmall", "旗舰店", "SAME-1", "paid", "吴九", "13300006666", "解放路7号"),
]
SHOP_A, SHOP_B, SHOP_C = "tmall/旗舰店", "douyin/抖音小店", "douyin/旗舰店"


def orders_csv(path: Path) -> Path:
    lines = [HEADER]
    for i, (platform, shop, order_id, status, name, phone, address) in enumerate(ORDERS):
        shipped = status == "shipped"
        lines.append(
            f"{platform},{shop},{order_id},{status},2026-11-0{i + 1} 10:00:00,2026-11-0{i + 1} 10:05:00,0,,"
            f"b{i},{name},{phone},浙江省,杭州市,西湖区,{address},,SKU-{i},商品{i},家居,1,10.00,10.00,"
            f"{'zto' if shipped else ''},{f'ZT{i:04d}' if shipped else ''},"
            f"{'2026-11-09 10:00:00' if shipped else ''}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Seeded:
    engine: Engine
    tokens: dict[str, str]  # user name -> API token
    shop_ids: dict[str, int]  # platform/name -> id


def seed(engine: Engine, tmp_path: Path) -> Seeded:
    report = import_orders(engine, orders_csv(tmp_path / "orders.csv"), rejects=tmp_path / "rejects.csv")
    assert report.ok and report.inserted == len(ORDERS), report
    add_user(engine, "alice", PASSWORD, Role.OPERATOR, [SHOP_A])
    add_user(engine, "carol", PASSWORD, Role.CUSTOMER_SERVICE, [SHOP_A])
    add_user(engine, "bob", PASSWORD, Role.CUSTOMER_SERVICE, ["抖音小店"])
    add_user(engine, "wang", PASSWORD, Role.WAREHOUSE, [SHOP_A, SHOP_B])
    add_user(engine, "boss", PASSWORD, Role.OWNER)
    tokens = {name: issue_token(engine, name) for name in ("alice", "carol", "bob", "wang", "boss")}
    with engine.connect() as conn:
        shop_ids = {
            f"{p}/{n}": i
            for i, p, n in conn.execute(select(s.shops.c.id, s.shops.c.platform, s.shops.c.name))
        }
    return Seeded(engine, tokens, shop_ids)


def order_ids(platform: str | None = None, shop: str | None = None) -> set[tuple[str, str]]:
    """(shop label, order id) of the seeded orders, optionally of one shop."""
    return {
        (f"{p}/{n}", order_id)
        for p, n, order_id, *_ in ORDERS
        if (platform is None or p == platform) and (shop is None or n == shop)
    }


def route_contexts(app: Any) -> list[Any]:
    """Every route of the app, through included routers (FastAPI >= 0.16x keeps them nested), each with
    `path`, `methods` (None for a mount) and its routers' dependencies in `dependant`."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return list(app.routes)
    return list(iter_route_contexts(app.routes))
