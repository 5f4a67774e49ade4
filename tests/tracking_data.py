"""Small tracking and order files the tracking, alert and push tests share."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from lanshou.intake.orders import import_orders
from lanshou.intake.tracking import import_tracking

TRACK_HEADER = "carrier,tracking_no,event_time,status,location,description"
ORDERS_HEADER = (
    "platform,shop,order_id,status,created_at,paid_at,is_presale,promised_ship_by,buyer_id,buyer_name,"
    "buyer_phone,province,city,district,address,buyer_message,sku,title,category,quantity,unit_price,"
    "order_amount,carrier,tracking_no,shipped_at"
)


def order_row(
    order_no: str, tracking_no: str, paid: str = "2026-11-01 09:01:00", status: str = "shipped"
) -> str:
    return (
        f"douyin,小店,{order_no},{status},2026-11-01 09:00:00,{paid},0,,,王五,13900001111,广东省,深圳市,"
        f"南山区,科技园,,SKU-1,发夹,服饰,1,5.50,5.50,zto,{tracking_no},2026-11-01 12:00:00"
    )


def import_order_rows(engine: Engine, tmp: Path, rows: list[str], name: str = "orders.csv") -> None:
    path = tmp / name
    path.write_text("\n".join([ORDERS_HEADER, *rows]) + "\n", encoding="utf-8")
    report = import_orders(engine, path, rejects=tmp / "rej.csv")
    assert report.rejected_count == 0, report.rejected


def import_track_rows(engine: Engine, tmp: Path, rows: list[str], name: str = "track.csv") -> None:
    path = tmp / name
    path.write_text("\n".join([TRACK_HEADER, *rows]) + "\n", encoding="utf-8")
    report = import_tracking(engine, path, rejects=tmp / "rej.csv")
    assert report.rejected_count == 0, report.rejected
