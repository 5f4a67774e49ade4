# ruff: noqa: E501
"""Shared after-sales test data: orders (Taobao and Douyin), a delivery, and case files."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from lanshou.intake.aftersales import import_aftersales
from lanshou.intake.orders import import_orders
from lanshou.intake.tracking import import_tracking

ORDERS = """platform,shop,order_id,status,created_at,paid_at,buyer_id,buyer_name,buyer_phone,province,city,address,sku,title,category,quantity,unit_price,order_amount,carrier,tracking_no,shipped_at
taobao,旗舰店,T1,shipped,2026-11-01 09:00:00,2026-11-01 09:01:00,tb_buyer_1,张三,13812345678,浙江省,杭州市,文一路1号,SKU-A,杯子,家居,2,50.00,100.00,zto,ZT1,2026-11-01 18:00:00
taobao,旗舰店,T2,paid,2026-11-01 09:00:00,2026-11-01 09:01:00,tb_buyer_2,李四,13900000000,江苏省,南京市,中山路2号,SKU-B,盘子,家居,1,30.00,30.00,,,
taobao,旗舰店,T3,shipped,2026-11-01 09:00:00,2026-11-01 09:01:00,tb_buyer_3,王五,13700000000,广东省,广州市,天河路3号,SKU-C,T恤,服饰,1,120.00,200.00,yto,YT3,2026-11-01 18:00:00
taobao,旗舰店,T3,shipped,2026-11-01 09:00:00,2026-11-01 09:01:00,tb_buyer_3,王五,13700000000,广东省,广州市,天河路3号,SKU-D,袜子,服饰,1,80.00,200.00,yto,YT3,2026-11-01 18:00:00
douyin,抖音小店,D1,shipped,2026-11-01 09:00:00,2026-11-01 09:01:00,dy_buyer_1,赵六,13600000000,四川省,成都市,春熙路4号,SKU-E,帽子,服饰,1,99.00,99.00,sf,SF1,2026-11-01 18:00:00
"""
# T1 is signed for on 3 November 10:00 Shanghai: the 7-day window closes at 11 November 00:00 local
TRACKING = """carrier,tracking_no,event_time,status,location,description
zto,ZT1,2026-11-01 19:00:00,picked_up,杭州,已揽收
zto,ZT1,2026-11-03 10:00:00,delivered,杭州,本人签收
"""
CASES_HEADER = (
    "platform,shop,case_id,order_id,type,status,reason,amount,created_at,return_carrier,return_tracking_no"
)
CASES = [
    "taobao,旗舰店,C1,T1,return_refund,requested,质量问题,60.00,2026-11-05 10:00:00,,",
    "taobao,旗舰店,C2,T1,refund,requested,不想要了,50.00,2026-11-05 11:00:00,,",  # 60 + 50 > 100 paid
    "taobao,旗舰店,C3,T2,refund,requested,拍错了,30.00,2026-11-01 09:30:00,,",  # before shipping
    "taobao,旗舰店,C4,T1,return_refund,requested,七天无理由,40.00,2026-11-11 00:00:00,,",  # window closed
    "taobao,旗舰店,C5,T9,refund,requested,,10,2026-11-05 10:00:00,,",  # order never imported
    "taobao,旗舰店,C6,T3,reship,requested,少件,0,2026-11-06 10:00:00,,",
    "taobao,旗舰店,C7,T3,exchange,requested,尺码不合适,0,2026-11-06 10:00:00,,",
    "taobao,旗舰店,C8,T1,refund,bogus,,1,2026-11-05 10:00:00,,",  # not one of our statuses
    "taobao,旗舰店,C9,T1,return_refund,requested,七天无理由,40.00,2026-11-10 23:59:00,,",  # last minute
]


def write_cases(path: Path, rows: list[str], header: str = CASES_HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def orders_file(path: Path) -> Path:
    path.write_text(ORDERS, encoding="utf-8")
    return path


def load_orders(engine: Engine, tmp_path: Path) -> None:
    report = import_orders(engine, orders_file(tmp_path / "orders.csv"), rejects=tmp_path / "o.rej.csv")
    assert report.rejected_count == 0, report.rejected
    tracking = tmp_path / "tracking.csv"
    tracking.write_text(TRACKING, encoding="utf-8")
    assert import_tracking(engine, tracking, rejects=tmp_path / "t.rej.csv").rejected_count == 0


def import_cases(engine: Engine, tmp_path: Path) -> None:
    """The orders, T1's delivery, and CASES (five taken, four rejected)."""
    load_orders(engine, tmp_path)
    path = write_cases(tmp_path / "cases.csv", CASES)
    report = import_aftersales(engine, path, rejects=tmp_path / "cases.rejected.csv")
    assert (report.rows, report.inserted, report.rejected_count) == (9, 5, 4)


TAOBAO_EXPORT = """退款编号,订单编号,买家实际支付金额,买家退款金额,是否需要退货,退款的申请时间,退款状态,货物状态,买家退款原因
R100,T1,100.00,60.00,是,2026-11-05 10:00:00,买家已经退货，等待卖家确认收货,买家已退货,质量问题
R101,T2,30.00,30.00,否,2026-11-01 09:30:00,退款成功,买家未收到货,拍错了
R102,T3,200.00,10.00,否,2026-11-05 09:30:00,等待发货,,其他
"""
DOUYIN_ROWS = """aftersale_id,order_id,aftersale_type,aftersale_status,apply_time,refund_amount,return_logistics_code,reason
A1,D1,0,7,2026-11-04 10:00:00,9900,,质量问题
A2,D1,3,6,1762308000,0,,尺码不合适
A3,D1,9,6,2026-11-04 10:00:00,100,,
"""
RETURN_TRACKING = """carrier,tracking_no,event_time,status,location,description
zto,RT1,2026-11-07 10:00:00,in_transit,杭州,退货运输中
"""
