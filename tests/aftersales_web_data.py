"""After-sales cases in the accounts shops (tests/accounts_data.py), for the API and page tests.

Shop A (tmall/旗舰店): carol (customer service) and alice (operator) are granted it; shop B (douyin/抖音小店):
bob (customer service); wang (warehouse) both; boss (owner) everything. Each shop has a case numbered DUP-1.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine

from lanshou.intake.aftersales import import_aftersales
from lanshou.intake.tracking import import_tracking
from tests.accounts_data import Seeded, seed

HEADER = (
    "platform,shop,case_id,order_id,type,status,reason,amount,created_at,return_carrier,return_tracking_no"
)
CASES = [
    "tmall,旗舰店,AS-0,A-1,refund,closed,拍错了,10.00,2026-11-01 12:00:00,,",  # the buyer cancelled it
    "tmall,旗舰店,AS-1,A-1,refund,requested,拍错了,10.00,2026-11-02 09:00:00,,",  # A-1 paid: refund_unshipped
    "tmall,旗舰店,AS-2,A-2,return_refund,requested,质量问题,5.00,2026-11-10 09:00:00,,",
    "tmall,旗舰店,AS-3,A-3,return_refund,returned,尺码不合适,8.00,2026-11-04 09:00:00,zto,RT900",
    "tmall,旗舰店,DUP-1,SAME-1,refund,requested,不想要了,3.00,2026-11-07 09:00:00,,",
    "douyin,抖音小店,BS-1,B-1,refund,requested,不想要了,10.00,2026-11-05 09:00:00,,",
    "douyin,抖音小店,DUP-1,SAME-1,refund,requested,拍错了,2.00,2026-11-06 09:00:00,,",
]
# newest first, as every face lists them
SHOP_A_CASES = ["AS-2", "DUP-1", "AS-3", "AS-1", "AS-0"]
A1_PHONE, A1_MASKED = "13812345678", "138****5678"  # A-1's receiver, 张三


def add_cases(engine: Engine, folder: Path, rows: Sequence[str] = CASES) -> None:
    path = folder / "aftersales.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    report = import_aftersales(engine, path, rejects=folder / "aftersales.rejected.csv")
    assert (report.inserted, report.rejected_count) == (len(rows), 0), report.rejected


def seed_cases(engine: Engine, folder: Path) -> Seeded:
    seeded = seed(engine, folder)
    add_cases(engine, folder)
    return seeded


def return_parcel_moves(engine: Engine, folder: Path) -> None:
    """The carrier's first scan of AS-3's return parcel."""
    path = folder / "return-tracking.csv"
    path.write_text(
        "carrier,tracking_no,event_time,status,location,description\n"
        "zto,RT900,2026-11-05 10:00:00,picked_up,杭州,退货已揽收\n",
        encoding="utf-8",
    )
    assert import_tracking(engine, path, rejects=folder / "return-tracking.rej.csv").rejected_count == 0
