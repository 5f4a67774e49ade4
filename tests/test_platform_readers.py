"""Platform exports (Taobao 订单报表/宝贝报表, Douyin, AliExpress) on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from lanshou import schema as s
from lanshou.files.export import safe_cell
from lanshou.files.tabular import FileRefused, open_table
from lanshou.intake.orders import import_orders
from lanshou.intake.report import ImportReport
from lanshou.platforms.aliexpress.reader import parse_amount, parse_parcels, parse_products, product_line
from lanshou.platforms.douyin.reader import parse_parcels as douyin_parcels
from lanshou.platforms.taobao.reader import split_address
from lanshou.tracking.queries import parcels_of

SAMPLES = Path(__file__).parent / "samples"
TAOBAO_ORDERS = SAMPLES / "taobao_orders.csv"
TAOBAO_ITEMS = SAMPLES / "taobao_items.csv"
DOUYIN = SAMPLES / "douyin_orders.csv"
ALIEXPRESS = SAMPLES / "aliexpress_orders.xlsx"
TAOBAO_SHOP = "蓝手旗舰店"
AE_SHOP = "Lanshou Global Store"  # the AliExpress export names no shop: --shop

ALIEXPRESS_HEADER = [
    "订单号",
    "订单状态",
    "负责人(业务员)",
    "买家名称",
    "下单时间",
    "付款时间",
    "产品总金额",
    "物流费用",
    "订单金额",
    "满立减",
    "产品信息",
    "订单备注",
    "收货地址",
    "收货人名称",
    "收货国家",
    "州/省",
    "城市",
    "地址",
    "邮编",
    "联系电话",
    "手机",
    "买家选择物流",
    "发货期限",
    "实际发货物流:运单号",
    "发货时间",
    "确认收货时间",
]
ALIEXPRESS_ROWS = [
    [
        "8100000000000001",
        "等待买家收货",
        "Lily",
        "john_smith",
        "2026-11-01 09:00:00",
        "2026-11-01 09:10:00",
        "US $28.50",
        "US $0.00",
        "US $28.50",
        "US $0.00",
        "【1】Steel Bottle 500ml | 商家编码: BOT-500 | 属性: Color:Blue, Size:500ml"
        " | 数量: 2 | 单价: US $12.50\n"
        "【2】Silicone Sleeve | 商家编码: SLV-1 | 数量: 1 | 单价: US $3.50",
        "please pack well",
        "12 Main St, Springfield, IL, 62701, United States",
        "John Smith",
        "United States",
        "Illinois",
        "Springfield",
        "12 Main St",
        "62701",
        "",
        "+1 2175550101",
        "AliExpress Standard Shipping",
        "2026-11-08 09:10:00",
        "AliExpress Standard Shipping:LP00123456789CN",
        "2026-11-03 15:00:00",
        "",
    ],
    [
        "8100000000000002",
        "等待您发货",
        "Lily",
        "maria_g",
        "2026-11-02 18:30:00",
        "2026-11-02 18:31:00",
        "US $7.00",
        "US $1.99",
        "US $8.99",
        "US $0.00",
        "Hair Clip Set\n商品编码: CLIP-SET\n数量: 2\n单价: US $3.50",
        "",
        "Calle Mayor 5, Madrid, 28013, Spain",
        "Maria Garcia",
        "Spain",
        "Madrid",
        "Madrid",
        "Calle Mayor 5",
        "28013",
        "",
        "+34 600000000",
        "Cainiao Super Economy",
        "2026-11-09 18:31:00",
        "",
        "",
        "",
    ],
    [
        "8100000000000003",
        "订单关闭",
        "Lily",
        "li_q",
        "2026-11-03 07:00:00",
        "",
        "US $3.50",
        "US $0.00",
        "US $3.50",
        "US $0.00",
        "Silicone Sleeve | 商家编码: SLV-1 | x 1 | US $3.50",
        "",
        "",
        "Li Q",
        "France",
        "Ile-de-France",
        "Paris",
        "1 Rue de Rivoli",
        "75001",
        "",
        "+33 600000000",
        "",
        "",
        "",
        "",
        "",
    ],
]


def write_aliexpress(path: Path, rows: list[list[str]]) -> Path:
    """The AliExpress sample is generated, so the committed XLSX and these rows never drift apart."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "订单"
    sheet.append(ALIEXPRESS_HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def run(engine: Engine, path: Path, fmt: str, tmp_path: Path, **kw: Any) -> ImportReport:
    return import_orders(engine, path, fmt, rejects=tmp_path / "rejected.csv", **kw)


def order(engine: Engine, order_no: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(s.orders).where(s.orders.c.order_no == order_no)).one()


def lines(engine: Engine, order_no: str) -> list[Any]:
    with engine.connect() as conn:
        query = select(s.order_lines).where(s.order_lines.c.order_no == order_no)
        return list(conn.execute(query.order_by(s.order_lines.c.line_key)))


def parcels(engine: Engine, order_no: str) -> list[tuple[str, str, datetime | None]]:
    with engine.connect() as conn:
        shop_id = conn.execute(select(s.orders.c.shop_id).where(s.orders.c.order_no == order_no)).scalar()
        found = parcels_of(conn, shop_id, [order_no]).get(order_no, []) if shop_id else []
        return sorted((p.tracking_no, p.carrier, p.shipped_at) for p in found)


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def rewrite_csv(source: Path, target: Path, change: Any, encoding: str = "utf-8-sig") -> Path:
    """A copy of a sample with `change(rows)` applied (rows include the header)."""
    with source.open(encoding=open_table(source).encoding, newline="") as f:
        rows = list(csv.reader(f))
    change(rows)
    with target.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return target


# ---------------------------------------------------------------- Taobao 订单报表


def test_taobao_orders_sample_is_gb18030_and_decodes() -> None:
    assert TAOBAO_ORDERS.read_bytes()[:3] != b"\xef\xbb\xbf"
    with pytest.raises(UnicodeDecodeError):
        TAOBAO_ORDERS.read_bytes().decode("utf-8")
    table = open_table(TAOBAO_ORDERS)
    assert table.encoding == "gb18030"
    assert table.header[:2] == ["订单编号", "买家会员名"]


def test_taobao_orders_import(engine: Engine, tmp_path: Path) -> None:
    report = run(engine, TAOBAO_ORDERS, "taobao", tmp_path)
    assert report.ok and report.inserted == 6 and report.lines == 0
    done = order(engine, "3000000000000001")  # ="…" protection stripped
    assert done.status == "completed"
    assert (done.created_at, done.paid_at) == (datetime(2026, 11, 1, 2, 0), datetime(2026, 11, 1, 2, 5))
    assert (done.province, done.city, done.district) == ("浙江省", "杭州市", "西湖区")
    assert done.address == "文三路 100号 3幢"  # postcode dropped, spaces inside the detail kept
    assert done.order_amount == Decimal("128.00")
    assert (done.receiver_name, done.receiver_phone, done.buyer_key) == ("张三", "13800000001", "tb_zhang")
    assert done.buyer_message == "请尽快发货" and done.is_presale is False
    assert parcels(engine, "3000000000000001") == [("YT1000000001", "yto", None)]  # 圆通速递: one code
    assert order(engine, "3000000000000002").is_presale is True  # 分阶段订单信息
    assert order(engine, "3000000000000003").status == "cancelled"  # 交易关闭, never paid
    assert order(engine, "3000000000000004").status == "refunded"  # 交易关闭 after payment
    assert [p[0] for p in parcels(engine, "3000000000000005")] == ["YT1000000005", "YT1000000006"]
    assert order(engine, "3000000000000006").status == "pending_payment"
    with engine.connect() as conn:
        shop = conn.execute(select(s.shops.c.platform, s.shops.c.name)).one()
    assert tuple(shop) == ("taobao", TAOBAO_SHOP)


def test_taobao_reimport_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    run(engine, TAOBAO_ORDERS, "taobao", tmp_path)
    run(engine, TAOBAO_ITEMS, "taobao-items", tmp_path, shop=TAOBAO_SHOP)
    for path, fmt in ((TAOBAO_ORDERS, "taobao"), (TAOBAO_ITEMS, "taobao-items")):
        again = run(engine, path, fmt, tmp_path, shop=TAOBAO_SHOP)
        assert (again.inserted, again.updated, again.rejected_count) == (0, 0, 0)
    assert (
        count(engine, s.orders) == 6 and count(engine, s.order_lines) == 5 and count(engine, s.parcels) == 3
    )


def test_tmall_format_sets_the_platform(sqlite_engine: Engine, tmp_path: Path) -> None:
    run(sqlite_engine, TAOBAO_ORDERS, "tmall", tmp_path)
    run(sqlite_engine, TAOBAO_ITEMS, "tmall-items", tmp_path, shop=TAOBAO_SHOP)
    with sqlite_engine.connect() as conn:
        assert set(conn.execute(select(s.shops.c.platform)).scalars()) == {"tmall"}
    assert count(sqlite_engine, s.orders) == 6 and count(sqlite_engine, s.order_lines) == 5


def test_taobao_newer_header_aliases(sqlite_engine: Engine, tmp_path: Path) -> None:
    renames = {"订单创建时间": "买家下单时间", "订单付款时间": "买家付款时间", "物流单号": "运单号"}
    renames["买家实际支付金额"] = "买家实付金额"

    def rename(rows: list[list[str]]) -> None:
        rows[0] = [renames.get(h, h) for h in rows[0]]

    path = rewrite_csv(TAOBAO_ORDERS, tmp_path / "订单报表.csv", rename)
    assert run(sqlite_engine, path, "taobao", tmp_path).ok
    done = order(sqlite_engine, "3000000000000001")
    assert done.paid_at == datetime(2026, 11, 1, 2, 5) and done.order_amount == Decimal("128.00")
    assert parcels(sqlite_engine, "3000000000000001")[0][0] == "YT1000000001"


def test_taobao_missing_required_column_is_named(sqlite_engine: Engine, tmp_path: Path) -> None:
    def drop(rows: list[list[str]]) -> None:
        at = rows[0].index("订单创建时间")
        for row in rows:
            del row[at]

    path = rewrite_csv(TAOBAO_ORDERS, tmp_path / "orders.csv", drop)
    with pytest.raises(FileRefused, match="订单创建时间"):
        run(sqlite_engine, path, "taobao", tmp_path)


def test_taobao_without_shop_needs_the_shop_option(sqlite_engine: Engine, tmp_path: Path) -> None:
    report = run(sqlite_engine, TAOBAO_ITEMS, "taobao-items", tmp_path)
    assert report.rejected_count == 5 and report.inserted == 0
    assert (report.rejected[0].column, report.rejected[0].reason[:12]) == ("店铺名称", "missing shop")


def test_taobao_orders_then_items_keeps_order_fields(engine: Engine, tmp_path: Path) -> None:
    run(engine, TAOBAO_ORDERS, "taobao", tmp_path)
    items = run(engine, TAOBAO_ITEMS, "taobao-items", tmp_path, shop=TAOBAO_SHOP)
    # the items file brings the lines of three stored orders: they are updated, their order fields kept
    assert items.ok and (items.inserted, items.updated, items.lines) == (0, 3, 5)
    again = run(engine, TAOBAO_ITEMS, "taobao-items", tmp_path, shop=TAOBAO_SHOP)
    assert (again.inserted, again.updated, again.unchanged, again.lines) == (0, 0, 3, 5)
    done = order(engine, "3000000000000001")
    assert (done.order_amount, done.province, done.address) == (
        Decimal("128.00"),
        "浙江省",
        "文三路 100号 3幢",
    )
    assert (done.receiver_name, done.buyer_key, done.status) == ("张三", "tb_zhang", "completed")
    assert order(engine, "3000000000000002").is_presale is True
    assert parcels(engine, "3000000000000001") == [("YT1000000001", "yto", None)]  # 圆通速递: one code
    got = [(x.line_key, x.sku, x.title, x.quantity, x.unit_price) for x in lines(engine, "3000000000000001")]
    assert got == [
        ("3000000000000101", "CUP-500-BLUE", "不锈钢保温杯 500ml", 2, Decimal("59.00")),
        ("3000000000000102", "OUT-SLEEVE", "硅胶杯套", 1, Decimal("10.00")),  # 外部系统编号 when no 商家编码
    ]
    with engine.connect() as conn:
        assert (
            conn.execute(select(s.buyers.c.name).where(s.buyers.c.buyer_key == "tb_zhang")).scalar_one()
            == "张三"
        )


def test_taobao_items_then_orders_fills_the_order(engine: Engine, tmp_path: Path) -> None:
    items = run(engine, TAOBAO_ITEMS, "taobao-items", tmp_path, shop=TAOBAO_SHOP)
    assert items.inserted == 3 and order(engine, "3000000000000001").address == ""
    orders = run(engine, TAOBAO_ORDERS, "taobao", tmp_path)
    assert (orders.inserted, orders.updated) == (3, 3)
    done = order(engine, "3000000000000001")
    assert (done.address, done.order_amount) == ("文三路 100号 3幢", Decimal("128.00"))
    assert len(lines(engine, "3000000000000001")) == 2


def test_taobao_items_moves_status_forward_only(sqlite_engine: Engine, tmp_path: Path) -> None:
    run(sqlite_engine, TAOBAO_ORDERS, "taobao", tmp_path)

    def later(rows: list[list[str]]) -> None:  # a newer 宝贝报表: order 2 shipped; order 5 says paid (older)
        at = rows[0].index("订单状态")
        rows[3][at] = "卖家已发货，等待买家确认"
        rows[4][at] = rows[5][at] = "买家已付款，等待卖家发货"

    path = rewrite_csv(TAOBAO_ITEMS, tmp_path / "items.csv", later)
    report = run(sqlite_engine, path, "taobao-items", tmp_path, shop=TAOBAO_SHOP)
    assert report.ok and report.updated == 3  # each stored order gets its lines, order 2 its status too
    assert order(sqlite_engine, "3000000000000002").status == "shipped"
    assert order(sqlite_engine, "3000000000000002").receiver_name == "李四"
    assert order(sqlite_engine, "3000000000000005").status == "shipped"  # never moved back
    assert len(lines(sqlite_engine, "3000000000000005")) == 2


# ---------------------------------------------------------------- Douyin


def test_douyin_import(engine: Engine, tmp_path: Path) -> None:
    report = run(engine, DOUYIN, "douyin", tmp_path)
    assert report.ok and report.inserted == 5 and report.lines == 7
    masked = order(engine, "6920000000000001")  # leading TAB stripped
    assert masked.buyer_data_masked is True and masked.buyer_key == ""
    assert (masked.receiver_name, masked.receiver_phone) == ("##Qk1uYW1lMQ==##", "$$MTM4KioqKjAwMDE=$$")
    assert masked.status == "shipped" and masked.order_amount == Decimal("41.00")
    assert masked.created_at == masked.paid_at == datetime(2026, 11, 6, 4, 0)  # paid when submitted
    assert parcels(engine, "6920000000000001") == [
        ("JT0001234567", "jtexpress", datetime(2026, 11, 7, 1, 30))
    ]
    got = [(x.line_key, x.sku, x.title, x.quantity) for x in lines(engine, "6920000000000001")]
    assert got == [
        ("6920000000000011", "CLIP-1", "珍珠发夹 颜色:白色", 2),
        ("6920000000000012", "BAND-1", "发圈", 1),
    ]
    packed = [(x.line_key, x.sku, x.title, x.quantity) for x in lines(engine, "6920000000000002")]
    assert packed == [
        ("6920000000000021", "CUP-500-BLUE", "保温杯 蓝色", 1),
        ("6920000000000022", "SLEEVE-1", "杯套", 2),
    ]
    plain = order(engine, "6920000000000002")
    assert (
        plain.buyer_data_masked is False and plain.status == "paid" and parcels(engine, plain.order_no) == []
    )
    refunded = order(engine, "6920000000000003")  # 已完成 + 售后状态 退款成功
    assert refunded.status == "refunded"
    assert [p[0] for p in parcels(engine, "6920000000000003")] == ["YT2000000001", "YT2000000002"]
    assert order(engine, "6920000000000004").paid_at is None
    assert order(engine, "6920000000000004").status == "pending_payment"
    assert lines(engine, "6920000000000004")[0].sku == "6920000000000041"  # no 商家编码: the sub-order id
    assert (order(engine, "6920000000000005").status, order(engine, "6920000000000005").paid_at) == (
        "cancelled",
        None,
    )
    again = run(engine, DOUYIN, "douyin", tmp_path)
    assert (again.inserted, again.updated, again.rejected_count) == (0, 0, 0)
    assert count(engine, s.order_lines) == 7 and count(engine, s.parcels) == 3


def test_douyin_pay_time_column_and_aliases(sqlite_engine: Engine, tmp_path: Path) -> None:
    def change(rows: list[list[str]]) -> None:
        rows[0] = ["下单时间" if h == "订单提交时间" else h for h in rows[0]] + ["支付完成时间"]
        for row in rows[1:]:
            row.append("2026-11-06 12:03:00" if "6920000000000001" in row[0] else "-")

    path = rewrite_csv(DOUYIN, tmp_path / "dy.csv", change)
    assert run(sqlite_engine, path, "douyin", tmp_path).ok
    assert order(sqlite_engine, "6920000000000001").paid_at == datetime(2026, 11, 6, 4, 3)
    assert order(sqlite_engine, "6920000000000002").paid_at == datetime(2026, 11, 6, 5, 0)


def test_douyin_packed_counts_must_match(sqlite_engine: Engine, tmp_path: Path) -> None:
    def change(rows: list[list[str]]) -> None:
        rows[3][rows[0].index("商品数量")] = "1"  # two packed sub-orders, one quantity

    path = rewrite_csv(DOUYIN, tmp_path / "dy.csv", change)
    report = run(sqlite_engine, path, "douyin", tmp_path)
    assert report.rejected_count == 1 and report.inserted == 4
    error = report.rejected[0]
    assert (error.file, error.line, error.column) == ("dy.csv", 4, "商品数量")
    assert "1 value(s) for 2 packed sub-orders" in error.reason


def test_douyin_parcel_cell() -> None:
    found = douyin_parcels("\tJT1-极兔速递; YT2-圆通快递;SF3", ";", None)
    assert [(p.tracking_no, p.carrier) for p in found] == [
        ("JT1", "极兔速递"),
        ("YT2", "圆通快递"),
        ("SF3", ""),
    ]
    assert douyin_parcels("-", ";", None) == []


# ---------------------------------------------------------------- AliExpress


def test_aliexpress_sample_matches_its_generator(tmp_path: Path) -> None:
    fresh = open_table(write_aliexpress(tmp_path / "fresh.xlsx", ALIEXPRESS_ROWS))
    committed = open_table(ALIEXPRESS)
    assert committed.header == fresh.header
    assert list(committed.rows) == list(fresh.rows)


def test_aliexpress_import(engine: Engine, tmp_path: Path) -> None:
    report = run(engine, ALIEXPRESS, "aliexpress", tmp_path, shop=AE_SHOP)
    assert report.ok and report.inserted == 3 and report.lines == 4
    shipped = order(engine, "8100000000000001")
    assert shipped.status == "shipped" and shipped.order_amount == Decimal("28.50")
    assert shipped.promised_ship_by == datetime(2026, 11, 8, 1, 10)  # 发货期限, shop time -> UTC
    assert (shipped.province, shipped.city, shipped.address) == ("Illinois", "Springfield", "12 Main St")
    assert (shipped.receiver_name, shipped.receiver_phone, shipped.buyer_key) == (
        "John Smith",
        "+1 2175550101",
        "john_smith",
    )
    assert parcels(engine, "8100000000000001") == [
        ("LP00123456789CN", "AliExpress Standard Shipping", datetime(2026, 11, 3, 7, 0))
    ]
    got = [(x.sku, x.title, x.quantity, x.unit_price) for x in lines(engine, "8100000000000001")]
    assert got == [
        ("BOT-500", "Steel Bottle 500ml (Color:Blue, Size:500ml)", 2, Decimal("12.50")),
        ("SLV-1", "Silicone Sleeve", 1, Decimal("3.50")),
    ]
    block = lines(engine, "8100000000000002")  # one product written over several lines of the cell
    assert [(x.sku, x.title, x.quantity) for x in block] == [("CLIP-SET", "Hair Clip Set", 2)]
    assert order(engine, "8100000000000002").status == "paid"
    assert order(engine, "8100000000000003").status == "cancelled"
    again = run(engine, ALIEXPRESS, "aliexpress", tmp_path, shop=AE_SHOP)
    assert (again.inserted, again.updated, again.rejected_count) == (0, 0, 0)


def test_aliexpress_bad_product_is_reported(engine: Engine, tmp_path: Path) -> None:
    rows = [list(r) for r in ALIEXPRESS_ROWS]
    rows[1][10] = "Hair Clip Set | 商家编码: CLIP-SET | 数量: two"
    path = write_aliexpress(tmp_path / "ae.xlsx", rows)
    report = run(engine, path, "aliexpress", tmp_path, shop=AE_SHOP)
    assert report.rejected_count == 1 and report.inserted == 2
    error = report.rejected[0]
    assert (error.file, error.line, error.column) == ("ae.xlsx", 3, "产品信息")
    assert error.reason.startswith("product 1: quantity is not a number")


def test_product_info_parser() -> None:
    text = (
        "【1】Steel Bottle | SKU: BOT-500 | 产品属性：Color:Blue | 产品数量: 2 件 | 产品单价: US $12.50\n"
        "\n"
        "[2] Plain Sleeve\tx 3\tUS $1,003.50\n"
        "Gift Box\n"
        "Attributes: Red\n"
        "Quantity: 1\n"
    )
    products = parse_products(text)
    assert [(p.title, p.code, p.attributes, p.quantity, p.price) for p in products] == [
        ("Steel Bottle", "BOT-500", "Color:Blue", "2 件", "US $12.50"),
        ("Plain Sleeve", "", "", "3", "US $1,003.50"),
        ("Gift Box", "", "Red", "1", ""),
    ]
    first, second, third = (product_line(p, n) for n, p in enumerate(products, start=1))
    assert (first.sku, first.quantity, first.unit_price) == ("BOT-500", 2, Decimal("12.50"))
    assert (second.sku, second.quantity, second.unit_price) == ("Plain Sleeve", 3, Decimal("1003.50"))
    assert (third.title, third.quantity, third.unit_price) == ("Gift Box (Red)", 1, None)
    assert parse_products("") == [] and parse_products(" \n ") == []
    with pytest.raises(ValueError, match="product 1: quantity must be positive"):
        product_line(parse_products("Thing | 数量: 0")[0], 1)


def test_aliexpress_cell_helpers() -> None:
    assert parse_amount("US $1,028.50") == Decimal("1028.50") and parse_amount("") is None
    assert parse_parcels("Cainiao:LP1\nYanwen：YW2; 12345") == [
        ("Cainiao", "LP1"),
        ("Yanwen", "YW2"),
        ("", "12345"),
    ]


# ---------------------------------------------------------------- shared


def test_split_address() -> None:
    assert split_address("浙江省 杭州市 西湖区 文三路 100号 (310000)") == (
        "浙江省",
        "杭州市",
        "西湖区",
        "文三路 100号",
    )
    assert split_address("上海 上海市 浦东新区 世纪大道1号（200120）") == (
        "上海",
        "上海市",
        "浦东新区",
        "世纪大道1号",
    )
    assert split_address("海外 地址") == ("海外", "地址", "", "")
    assert split_address("") == ("", "", "", "")


@pytest.mark.parametrize(
    ("sample", "fmt", "line", "column", "value", "reason"),
    [
        (TAOBAO_ORDERS, "taobao", 3, "订单创建时间", "2026-13-45 99:00", "not a date/time"),
        (TAOBAO_ORDERS, "taobao", 3, "订单状态", "退款中", "unknown status"),
        (TAOBAO_ITEMS, "taobao-items", 4, "购买数量", "-1", "must be positive"),
        (DOUYIN, "douyin", 4, "主订单编号", "-", "missing 主订单编号"),
        (DOUYIN, "douyin", 4, "订单应付金额", "abc", "not an amount"),
    ],
)
def test_bad_row_is_reported_and_others_go_in(
    engine: Engine, tmp_path: Path, sample: Path, fmt: str, line: int, column: str, value: str, reason: str
) -> None:
    def spoil(rows: list[list[str]]) -> None:  # the file's only row of one order
        rows[line - 1][rows[0].index(column)] = value

    path = rewrite_csv(sample, tmp_path / "bad.csv", spoil)
    rejects = tmp_path / "rejected.csv"
    report = import_orders(engine, path, fmt, shop=TAOBAO_SHOP, rejects=rejects)
    assert report.rejected_count == 1
    error = report.rejected[0]
    assert (error.file, error.line, error.column) == ("bad.csv", line, column)
    assert reason in error.reason
    good = run(engine, sample, fmt, tmp_path / "again", shop=TAOBAO_SHOP)
    assert good.inserted == 1  # only the spoiled row's order was missing
    with rejects.open(encoding="utf-8-sig") as f:
        written = list(csv.reader(f))
    with path.open(encoding="utf-8-sig") as f:
        original = list(csv.reader(f))
    assert written[0] == [*original[0], "reason"]  # the input's header, then why
    assert written[1] == [*map(safe_cell, original[line - 1]), f"line {line} [{column}]: {error.reason}"]


def test_cli_imports_a_platform_export(cli_env: Path, tmp_path: Path) -> None:
    from lanshou.cli.app import app

    result = CliRunner().invoke(app, ["import", "orders", str(DOUYIN), "--format", "douyin"])
    assert result.exit_code == 0, result.output
    assert "douyin" in result.output
    again = CliRunner().invoke(app, ["import", "orders", str(TAOBAO_ORDERS), "--format", "taobao"])
    assert again.exit_code == 0, again.output
    unknown = CliRunner().invoke(app, ["import", "orders", str(DOUYIN), "--format", "ebay"])
    assert unknown.exit_code == 2


def test_taobao_header_variants_read_the_same_fields_and_never_erase(engine: Engine, tmp_path: Path) -> None:
    """The 订单报表's other variant (支付金额 for 买家实际支付金额, 收货人 for 收货人姓名) is the same orders;
    a column a file lacks (here 买家留言) keeps what is stored."""
    first = run(engine, TAOBAO_ORDERS, "taobao", tmp_path)
    before = order(engine, "3000000000000001")
    assert before.order_amount is not None and before.receiver_name and before.buyer_message

    def variant(rows: list[list[str]]) -> None:
        header = rows[0]
        header[header.index("买家实际支付金额")] = "支付金额"
        header[header.index("收货人姓名")] = "收货人"
        gone = header.index("买家留言")
        for r in rows:
            del r[gone]

    path = rewrite_csv(TAOBAO_ORDERS, tmp_path / "variant.csv", variant)
    again = run(engine, path, "taobao", tmp_path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, first.inserted)
    after = order(engine, "3000000000000001")
    assert (after.order_amount, after.receiver_name, after.buyer_message) == (
        before.order_amount,
        before.receiver_name,
        before.buyer_message,
    )
