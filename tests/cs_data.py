"""The web2 database (tests/web2_data.py) with what customer service works on: negative feedback, so
follow-ups, in three shops, and a buyer who bought in two shops.

Shops and users as in tests/accounts_data.py: alice (operator) and carol (customer service) are granted
tmall/旗舰店 ("A") only, bob (customer service) douyin/抖音小店 ("B") only, wang (warehouse) A and B, boss
(owner) everything. Buyer douyin:b5 bought C-1 in douyin/旗舰店 and, here, B-2 in B.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from lanshou import schema as s
from lanshou.intake.feedback import import_feedback
from lanshou.intake.orders import import_orders
from tests.accounts_data import HEADER
from tests.web2_data import Both, seed_both

# B-2: the buyer of C-1 (douyin/旗舰店, ¥10) orders in douyin/抖音小店 too
SPANNING_ORDER = (
    "douyin,抖音小店,B-2,paid,2026-11-08 10:00:00,2026-11-08 10:05:00,0,,b5,周八,13400005555,浙江省,杭州市,"
    "西湖区,人民路6号,,SKU-9,商品9,数码,1,88.00,88.00,,,"
)
SPANNING_BUYER = "douyin:b5"
FEEDBACK = """platform,shop,order_id,created_at,rating,tags,content
tmall,旗舰店,A-2,2026-11-10 10:00:00,1,,发货太慢了
douyin,抖音小店,B-1,2026-11-10 11:00:00,2,,包装破损了
douyin,旗舰店,C-1,2026-11-10 12:00:00,1,,等了一周
douyin,抖音小店,B-2,2026-11-10 13:00:00,5,,很好
"""


@dataclass(frozen=True)
class Desk:
    both: Both
    followups: dict[str, int]  # order id -> follow-up id (A-2, B-1, C-1)

    @property
    def engine(self) -> Engine:
        return self.both.engine

    def shop_id(self, label: str) -> int:
        return self.both.seeded.shop_ids[label]


def seed_desk(engine: Engine, folder: Path) -> Desk:
    both = seed_both(engine, folder)
    orders = folder / "spanning.csv"
    orders.write_text(f"{HEADER}\n{SPANNING_ORDER}\n", encoding="utf-8")
    assert import_orders(engine, orders, rejects=folder / "spanning.rej.csv").ok
    feedback = folder / "feedback.csv"
    feedback.write_text(FEEDBACK, encoding="utf-8")
    assert import_feedback(engine, feedback, rejects=folder / "feedback.rej.csv").rejected_count == 0
    f = s.followups.c
    with engine.connect() as conn:
        found = dict(conn.execute(select(f.order_no, f.id)).all())
    assert set(found) == {"A-2", "B-1", "C-1"}, found  # B-2's five stars open none
    return Desk(both, found)
