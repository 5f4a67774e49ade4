"""Generic orders file: parsing, rejects, idempotency, updates — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from lanshou import schema as s
from lanshou.db.engine import open_database
from lanshou.files.export import safe_cell
from lanshou.files.tabular import FileRefused
from lanshou.intake import orders as orders_import
from lanshou.intake import pipeline
from lanshou.intake.limits import from_tables
from lanshou.intake.orders import import_orders

HEADER = (
    "platform,shop,order_id,status,created_at,paid_at,is_presale,promised_ship_by,buyer_id,buyer_name,"
    "buyer_phone,province,city,district,address,buyer_message,sku,title,category,quantity,unit_price,"
    "order_amount,carrier,tracking_no,shipped_at"
)


def write(path: Path, rows: list[str], encoding: str = "utf-8", header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding=encoding)
    return path


ROW_A1 = (
    'tmall,旗舰店,="1000000000000001",paid,2026-11-01 10:00:00,2026-11-01 10:05:00,0,,b1,张三,'
    "13812345678,浙江省,杭州市,西湖区,文三路1号,请尽快发货,SKU-1,保温杯,家居,2,59.00,118.00,,,"
)
ROW_A2 = (
    'tmall,旗舰店,="1000000000000001",paid,2026-11-01 10:00:00,2026-11-01 10:05:00,0,,b1,张三,'
    "13812345678,浙江省,杭州市,西湖区,文三路1号,请尽快发货,SKU-2,杯套,家居,1,10.00,118.00,,,"
)
ROW_B = (
    "douyin,抖音小店,'2000000000000002,paid,2026-11-02 09:00:00,2026-11-02 09:01:00,是,,,李四,"
    "13900001111,广东省,深圳市,南山区,科技园2号,,SKU-9,发夹,配饰,3,5.50,16.50,zto,ZT0001,"
)


def count(engine: Engine, table: s.Table) -> int:  # type: ignore[name-defined]
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_generic_import_stores_orders_lines_parcels(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "orders.csv", [ROW_A1, ROW_A2, ROW_B])
    report = import_orders(engine, path, rejects=tmp_path / "rej.csv")
    assert report.ok and report.inserted == 2 and report.lines == 3
    with engine.connect() as conn:
        order = conn.execute(select(s.orders).where(s.orders.c.order_no == "1000000000000001")).one()
        assert order.paid_at == datetime(2026, 11, 1, 2, 5)  # 10:05 Shanghai is 02:05 UTC
        assert order.order_amount == Decimal("118.00")
        assert order.receiver_phone == "13812345678"  # stored whole; masked only when shown
        presale = conn.execute(select(s.orders.c.is_presale).where(s.orders.c.order_no == "2000000000000002"))
        assert presale.scalar_one() is True
        parcel = conn.execute(select(s.parcels)).one()
        assert (parcel.carrier, parcel.tracking_no) == ("zto", "ZT0001")
    assert count(engine, s.order_lines) == 3


def test_reimport_is_idempotent_and_updates_status(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "orders.csv", [ROW_A1, ROW_A2, ROW_B])
    import_orders(engine, path, rejects=tmp_path / "rej.csv")
    again = import_orders(engine, path, rejects=tmp_path / "rej.csv")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert count(engine, s.orders) == 2 and count(engine, s.order_lines) == 3

    shipped = ROW_B.replace(",paid,", ",shipped,").replace("zto,ZT0001,", "zto,ZT0001,2026-11-02 18:00:00")
    updated = import_orders(engine, write(tmp_path / "update.csv", [shipped]), rejects=tmp_path / "rej.csv")
    assert (updated.inserted, updated.updated) == (0, 1)
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(s.orders.c.status).where(s.orders.c.order_no == "2000000000000002")
            ).scalar_one()
            == "shipped"
        )
        assert count(engine, s.parcels) == 1
        timeline = conn.execute(select(s.order_events.c.detail)).scalars().all()
    assert any("paid -> shipped" in d for d in timeline)


def test_illegal_transition_is_rejected_and_order_kept(engine: Engine, tmp_path: Path) -> None:
    shipped = ROW_B.replace(",paid,", ",shipped,")
    import_orders(engine, write(tmp_path / "a.csv", [shipped]), rejects=tmp_path / "rej.csv")
    back = import_orders(engine, write(tmp_path / "b.csv", [ROW_B]), rejects=tmp_path / "rej.csv")
    assert back.rejected_count == 1 and "shipped -> paid" in back.rejected[0].reason
    with engine.connect() as conn:
        assert conn.execute(select(s.orders.c.status)).scalar_one() == "shipped"


@pytest.mark.parametrize(
    ("bad", "column", "reason"),
    [
        (ROW_B.replace("2026-11-02 09:00:00", "2026-13-45 99:00"), "created_at", "not a date/time"),
        (ROW_B.replace(",3,5.50,", ",-3,5.50,"), "quantity", "must be positive"),
        (ROW_B.replace("douyin,", "ebay,"), "platform", "unknown platform"),
        (ROW_B.replace("SKU-9", ""), "sku", "missing sku"),
        (ROW_B.replace(",是,", ",maybe,"), "is_presale", "yes/no"),
    ],
)
def test_bad_rows_are_reported_and_good_rows_go_in(
    sqlite_engine: Engine, tmp_path: Path, bad: str, column: str, reason: str
) -> None:
    path = write(tmp_path / "orders.csv", [ROW_A1, bad, ROW_A2])
    rejects = tmp_path / "rej.csv"
    report = import_orders(sqlite_engine, path, rejects=rejects)
    assert report.rejected_count == 1
    error = report.rejected[0]
    assert (error.file, error.line, error.column) == ("orders.csv", 3, column)
    assert reason in error.reason
    assert count(sqlite_engine, s.order_lines) == 2  # both good lines of order A
    with rejects.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    # the input's own header and cells, plus why: fixed, the file imports as it is
    assert rows[0] == [*HEADER.split(","), "reason"]
    assert rows[1][:-1] == [safe_cell(c) for c in next(csv.reader([bad]))]  # guarded, as exports
    assert rows[1][-1].startswith(f"line 3 [{column}]: ")


@pytest.mark.parametrize("in_child", [True, False], ids=["parsed-in-child", "parsed-here"])
def test_missing_required_column_refuses_the_file(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_child: bool
) -> None:
    monkeypatch.setattr(pipeline, "PARSE_IN_CHILD", in_child)
    header = HEADER.replace("quantity,", "")
    path = write(tmp_path / "orders.csv", ["x"], header=header)
    with pytest.raises(FileRefused, match="quantity"):
        import_orders(sqlite_engine, path, rejects=tmp_path / "rej.csv")
    assert count(sqlite_engine, s.orders) == 0


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings_are_detected(sqlite_engine: Engine, tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path / "orders.csv", [ROW_A1, ROW_B], encoding=encoding)
    report = import_orders(sqlite_engine, path, rejects=tmp_path / "rej.csv")
    assert report.ok and report.inserted == 2
    with sqlite_engine.connect() as conn:
        names = set(conn.execute(select(s.shops.c.name)).scalars())
    assert names == {"旗舰店", "抖音小店"}


def test_xlsx_is_read(sqlite_engine: Engine, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in [HEADER, ROW_B]:
        sheet.append(next(csv.reader([line])))
    path = tmp_path / "orders.xlsx"
    book.save(path)
    report = import_orders(sqlite_engine, path, rejects=tmp_path / "rej.csv")
    assert report.ok and report.inserted == 1


def test_timezone_option_reads_naive_times(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "orders.csv", [ROW_B])
    import_orders(sqlite_engine, path, timezone="UTC", rejects=tmp_path / "rej.csv")
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(s.orders.c.paid_at)).scalar_one() == datetime(2026, 11, 2, 9, 1)


def test_a_crash_mid_file_leaves_whole_orders_and_a_rerun_finishes(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lanshou.intake import orders as orders_import
    from lanshou.orders.store import OrderStore

    rows = []
    for n in range(6):  # six orders of three lines each
        for sku in ("A", "B", "C"):
            rows.append(ROW_A1.replace("1000000000000001", f"10000000000000{n:02d}").replace("SKU-1", sku))
    path = write(tmp_path / "orders.csv", rows)
    monkeypatch.setattr(orders_import, "BATCH_ORDERS", 2)
    real_save, calls = OrderStore.save, []

    def crash_on_second_batch(self: OrderStore, records: list, source: str = "", **kw: Any) -> object:  # type: ignore[type-arg]
        calls.append(len(records))
        result = real_save(self, records, source, **kw)  # the batch is written … then the process "dies"
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return result

    monkeypatch.setattr(OrderStore, "save", crash_on_second_batch)
    with pytest.raises(RuntimeError, match="power cut"):
        import_orders(engine, path, rejects=tmp_path / "rej.csv")
    with engine.connect() as conn:
        per_order = dict(
            conn.execute(
                select(s.order_lines.c.order_no, func.count()).group_by(s.order_lines.c.order_no)
            ).all()
        )
    # the first batch committed whole; the crashed batch rolled back whole: no half-written order
    assert sorted(per_order.values()) == [3, 3] and count(engine, s.orders) == 2

    monkeypatch.setattr(OrderStore, "save", real_save)
    again = import_orders(engine, path, rejects=tmp_path / "rej.csv")
    assert (again.inserted, again.unchanged) == (4, 2)
    assert count(engine, s.orders) == 6 and count(engine, s.order_lines) == 18


def _contents(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every stored row of the import's tables, without ids and import times."""
    skip = {"id", "updated_at"}
    out = {}
    with engine.connect() as conn:
        for table in (
            s.shops,
            s.orders,
            s.order_lines,
            s.parcels,
            s.parcel_orders,
            s.buyers,
            s.metric_orders,
        ):
            cols = [c for c in table.c if c.name not in skip]
            out[table.name] = sorted((tuple(row) for row in conn.execute(select(*cols))), key=repr)
    return out


def test_parsing_in_a_second_process_stores_exactly_what_parsing_here_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [ROW_A1, ROW_B.replace("SKU-9", ""), ROW_A2, ROW_B]
    for n in range(7):  # more batches than one
        rows.append(ROW_B.replace("2000000000000002", f"30000000000000{n:02d}").replace("ZT0001", f"ZT9{n}"))
    path = write(tmp_path / "orders.csv", rows)
    monkeypatch.setattr(orders_import, "BATCH_ORDERS", 3)
    pids = tmp_path / "pids.txt"
    real_to_rows = orders_import.to_rows

    def to_rows_noting_the_process(records: list) -> list:  # type: ignore[type-arg]
        with pids.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return real_to_rows(records)

    monkeypatch.setattr(orders_import, "to_rows", to_rows_noting_the_process)
    results = {}
    for in_child in (True, False):
        monkeypatch.setattr(pipeline, "PARSE_IN_CHILD", in_child)
        engine = open_database(f"sqlite:///{tmp_path / f'child-{in_child}.db'}")
        report = import_orders(engine, path, rejects=tmp_path / f"rej-{in_child}.csv")
        results[in_child] = (
            report.inserted,
            report.lines,
            [str(e) for e in report.rejected],
            _contents(engine),
        )
        engine.dispose()
        parsed_in = set(pids.read_text().split())
        pids.unlink()
        assert (str(os.getpid()) not in parsed_in) is in_child
    assert results[True] == results[False]
    assert results[True][0] == 9 and results[True][2] == ["orders.csv:3 [sku]: missing sku"]


def test_batches_start_small_and_double_up_to_the_batch_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer starts on a small first batch while the parser reads on; batches never split an order."""
    rows = []
    for n in range(40):
        number = f"10000000000{n:05d}"
        rows += [ROW_A1.replace("1000000000000001", number), ROW_A2.replace("1000000000000001", number)]
    path = write(tmp_path / "orders.csv", rows)
    monkeypatch.setattr(orders_import, "FIRST_BATCH_ORDERS", 3)
    monkeypatch.setattr(orders_import, "BATCH_ORDERS", 10)
    orders_import.load_platforms()
    ctx = orders_import.ReadContext(shop=None, timezone=None, shop_timezones={}, limits=from_tables())
    batches = [m for m in orders_import.parse_chunks(path, "generic", ctx) if isinstance(m, pipeline.Batch)]
    orders = [len({item.key for item in batch.items}) for batch in batches]
    lines = [sum(len(item.lines) for item in batch.items) for batch in batches]
    assert orders == [3, 6, 10, 10, 10, 1] and lines == [2 * n for n in orders]
