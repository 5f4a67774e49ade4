"""Order queries: filters, local-day boundaries, one statement, masking — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, update

from lanshou import schema as s
from lanshou.intake.orders import import_orders
from lanshou.orders.queries import EXPORT_HEADERS, OrderFilter, export_cells, local_day_bounds, query_orders

HEADER = (
    "platform,shop,order_id,status,created_at,paid_at,is_presale,promised_ship_by,buyer_id,buyer_name,"
    "buyer_phone,province,city,district,address,buyer_message,sku,title,category,quantity,unit_price,"
    "order_amount,carrier,tracking_no,shipped_at"
)
ROWS = [
    # paid 2026-11-01 23:30 Shanghai = 15:30 UTC: inside the local day 11-01; two lines, two parcels
    'tmall,旗舰店,="1001",paid,2026-11-01 23:00:00,2026-11-01 23:30:00,0,,b1,张三,13812345678,浙江省,杭州市,'
    '西湖区,文三路1号,"=HYPERLINK(""http://evil"")",SKU-1,保温杯,家居,2,59.00,128.00,zto,ZT0001,'
    "2026-11-02 10:00:00",
    'tmall,旗舰店,="1001",paid,2026-11-01 23:00:00,2026-11-01 23:30:00,0,,b1,张三,13812345678,浙江省,杭州市,'
    "西湖区,文三路1号,,SKU-2,杯套,家居,1,10.00,128.00,yto,YT0002,2026-11-03 10:00:00",
    # paid 2026-11-02 00:10 Shanghai: outside the local day 11-01 (though 11-01 16:10 UTC)
    "douyin,抖音小店,1002,shipped,2026-11-02 00:05:00,2026-11-02 00:10:00,0,,,李四,13900001111,广东省,深圳市,"
    "南山区,科技园2号,-1+1,SKU-9,+cmd,配饰,3,5.50,16.50,,,",
    # never paid
    "douyin,抖音小店,1003,pending_payment,2026-11-01 12:00:00,,0,,,王五,13700002222,北京市,北京市,朝阳区,"
    "建国路3号,@SUM(A1),SKU-7,@SUM(1+1),配饰,1,8.00,8.00,,,",
]


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    report = import_orders(engine, path, rejects=tmp_path / "rejects.csv")
    assert report.ok and report.inserted == 3
    return engine


def numbers(engine: Engine, flt: OrderFilter, limit: int | None = None, offset: int = 0) -> list[str]:
    with engine.connect() as conn:
        return [row.order_no for row in query_orders(conn, flt, limit, offset)]


def test_all_orders_newest_first_with_summaries(loaded: Engine) -> None:
    with loaded.connect() as conn:
        rows = {row.order_no: row for row in query_orders(conn, OrderFilter())}
    assert list(rows) == ["1003", "1002", "1001"]
    first = rows["1001"]
    assert (first.platform, first.shop, first.shop_timezone) == ("tmall", "旗舰店", "Asia/Shanghai")
    assert (first.line_count, first.quantity) == (2, 3)
    assert sorted(first.skus.split(", ")) == ["SKU-1×2", "SKU-2×1"]
    # every parcel (拆单), in the order the file names them
    assert (first.carrier, first.tracking_no) == ("zto, yto", "ZT0001, YT0002")
    assert first.parcels == (("zto", "ZT0001"), ("yto", "YT0002"))
    assert first.paid_at == datetime(2026, 11, 1, 15, 30)
    none = rows["1003"]
    assert (none.carrier, none.tracking_no, none.paid_at) == ("", "", None)


def test_shop_platform_status_and_order_filters(loaded: Engine) -> None:
    assert numbers(loaded, OrderFilter(shop="抖音小店")) == ["1003", "1002"]
    assert numbers(loaded, OrderFilter(platform="TMALL")) == ["1001"]
    assert numbers(loaded, OrderFilter(statuses=("paid", "shipped"))) == ["1002", "1001"]
    assert numbers(loaded, OrderFilter(order_no=" 1002 ")) == ["1002"]
    assert numbers(loaded, OrderFilter(shop="旗舰店", statuses=("shipped",))) == []
    assert numbers(loaded, OrderFilter(shop="no such shop")) == []


def test_paid_range_is_local_days_inclusive(loaded: Engine) -> None:
    one_day = OrderFilter(paid_from=date(2026, 11, 1), paid_to=date(2026, 11, 1))
    assert numbers(loaded, one_day) == ["1001"]  # 23:30 local counts, 00:10 next day does not
    assert numbers(loaded, OrderFilter(paid_from=date(2026, 11, 2))) == ["1002"]
    assert numbers(loaded, OrderFilter(paid_to=date(2026, 11, 2))) == ["1002", "1001"]
    # in UTC both were paid on 11-01 (15:30 and 16:10)
    utc_day = OrderFilter(paid_from=date(2026, 11, 1), paid_to=date(2026, 11, 1), timezone="UTC")
    assert numbers(loaded, utc_day) == ["1002", "1001"]


def test_paid_range_uses_each_shops_timezone(loaded: Engine) -> None:
    with loaded.begin() as conn:
        conn.execute(update(s.shops).where(s.shops.c.name == "抖音小店").values(timezone="UTC"))
    # 1002 was paid 2026-11-01 16:10 UTC: on 11-01 in its shop's (now UTC) day
    one_day = OrderFilter(paid_from=date(2026, 11, 1), paid_to=date(2026, 11, 1))
    assert numbers(loaded, one_day) == ["1002", "1001"]


def test_local_day_bounds() -> None:
    low, high = local_day_bounds(date(2026, 11, 1), date(2026, 11, 1), "Asia/Shanghai")
    assert (low, high) == (datetime(2026, 10, 31, 16), datetime(2026, 11, 1, 16))


def test_buyer_matches_name_or_whole_stored_phone(loaded: Engine) -> None:
    assert numbers(loaded, OrderFilter(buyer="张")) == ["1001"]
    assert numbers(loaded, OrderFilter(buyer="1234")) == ["1001"]  # hidden by the mask, found anyway
    assert numbers(loaded, OrderFilter(buyer="13900001111")) == ["1002"]
    assert numbers(loaded, OrderFilter(buyer="%")) == []  # LIKE wildcards are literal


def test_limit_and_offset(loaded: Engine) -> None:
    assert numbers(loaded, OrderFilter(), limit=2) == ["1003", "1002"]
    assert numbers(loaded, OrderFilter(), limit=2, offset=2) == ["1001"]


def test_one_statement_per_query(loaded: Engine) -> None:
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *rest: object) -> None:
        statements.append(statement)

    event.listen(loaded, "before_cursor_execute", record)
    try:
        assert len(numbers(loaded, OrderFilter(statuses=("paid", "shipped", "pending_payment")))) == 3
    finally:
        event.remove(loaded, "before_cursor_execute", record)
    assert len([q for q in statements if "orders" in q]) == 1


def test_export_cells_masked_by_default(loaded: Engine) -> None:
    with loaded.connect() as conn:
        (row,) = query_orders(conn, OrderFilter(order_no="1001"))
    cells = dict(zip(EXPORT_HEADERS, export_cells(row), strict=True))
    assert (cells["收件人 Receiver"], cells["电话 Phone"]) == ("张*", "138****5678")
    assert cells["地址 Address"] == "文三路*****"
    assert cells["付款时间 Paid"] == datetime(2026, 11, 1, 23, 30)  # local time of the shop
    whole = dict(zip(EXPORT_HEADERS, export_cells(row, unmask=True), strict=True))
    assert (whole["收件人 Receiver"], whole["电话 Phone"], whole["地址 Address"]) == (
        "张三",
        "13812345678",
        "文三路1号",
    )
