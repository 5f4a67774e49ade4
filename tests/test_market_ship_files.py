"""Batch-ship upload files: bytes decoded back and checked for encoding, headers and spreadsheet safety."""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanshou.platforms.shipping_api import (
    CARRIERS,
    FORMULA_STARTS,
    ShipFileRefused,
    Shipment,
    as_text_id,
    is_digits,
    neutralise,
    ship_file_platforms,
    ship_file_writer,
)
from lanshou.platforms.values import clean_id

EXPECTED = {  # platform: (encoding, headers)
    "taobao": ("gb18030", ["订单编号", "物流公司", "运单号"]),
    "tmall": ("gb18030", ["订单编号", "物流公司", "运单号"]),
    "douyin": ("utf-8-sig", ["订单号", "物流公司", "运单号"]),
    "pdd": ("utf-8-sig", ["订单号", "快递公司", "快递单号"]),
    "jd": ("utf-8-sig", ["订单号", "物流公司", "运单号"]),
    "aliexpress": ("utf-8-sig", ["订单号", "物流服务", "运单号"]),
}
SHIPMENTS = [
    Shipment("3456789012345678901", "yto", "YT7512345678901"),
    Shipment("0012345", "zto", "75312345678901"),
    Shipment("260301-123456789", "jtexpress", "JT0001"),
]


def read_back(data: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def test_every_platform_has_a_writer() -> None:
    assert ship_file_platforms() == tuple(sorted(EXPECTED))


@pytest.mark.parametrize("platform", sorted(EXPECTED))
def test_file_decodes_with_its_encoding_headers_and_text_ids(platform: str) -> None:
    encoding, headers = EXPECTED[platform]
    writer = ship_file_writer(platform)
    data = writer.write(SHIPMENTS)
    assert writer.filename == f"{platform}_批量发货.csv"
    assert data.startswith(codecs.BOM_UTF8) is (encoding == "utf-8-sig")
    assert b"\r\n" in data and data.count(b"\r\n") == len(SHIPMENTS) + 1
    rows = read_back(data, encoding)
    assert rows[0] == headers
    # digit-only ids carry the TAB a spreadsheet keeps as text (no 3.45E+18, no lost leading zero)
    assert [row[0] for row in rows[1:]] == ["\t3456789012345678901", "\t0012345", "260301-123456789"]
    assert [row[2] for row in rows[1:]] == ["YT7512345678901", "\t75312345678901", "JT0001"]
    # and the importer's usual clean-up gives the ids back exactly
    assert [clean_id(row[0]) for row in rows[1:]] == [s.order_id for s in SHIPMENTS]


def test_taobao_writes_gb18030_bytes_and_taobao_carrier_names() -> None:
    data = ship_file_writer("taobao").write(SHIPMENTS)
    assert "订单编号".encode("gb18030") in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert [row[1] for row in read_back(data, "gbk")[1:]] == ["圆通速递", "中通快递", "极兔速递"]


@pytest.mark.parametrize("platform", sorted(EXPECTED))
def test_every_lanshou_carrier_is_written(platform: str) -> None:
    rows = read_back(
        ship_file_writer(platform).write([Shipment("1", c, "T1") for c in CARRIERS]), EXPECTED[platform][0]
    )
    assert len(rows) == len(CARRIERS) + 1 and all(row[1] for row in rows[1:])


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_formula_cells_are_neutralised(start: str) -> None:
    payload = f'{start}HYPERLINK("http://x","点我")'
    data = ship_file_writer("douyin").write([Shipment(payload, "sf", payload)])
    row = read_back(data, "utf-8-sig")[1]
    assert row[0] == row[2] == "'" + payload


def test_bad_rows_refuse_the_whole_file_naming_each() -> None:
    rows = [
        Shipment("1", "sf", "SF1"),
        Shipment("2", "ups", "1Z"),
        Shipment("", "sf", "SF3"),
        Shipment("4", "sf", "SF\n4"),
    ]
    with pytest.raises(ShipFileRefused) as refused:
        ship_file_writer("pdd").write(rows)
    message = str(refused.value)
    assert "pdd_批量发货.csv" in message and "3 行有误 bad rows" in message
    assert "row 2 (2)" in message and "'ups'" in message
    assert "row 3 (-)" in message and "empty" in message
    assert "row 4 (4)" in message and "control character" in message
    assert "row 1 " not in message


def test_unknown_platform_is_a_clear_lookup_error() -> None:
    with pytest.raises(LookupError, match="no batch-ship file for 'ebay'"):
        ship_file_writer("ebay")


def test_an_empty_batch_is_just_the_header() -> None:
    assert read_back(ship_file_writer("jd").write([]), "utf-8-sig") == [EXPECTED["jd"][1]]


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1))
def test_no_written_cell_starts_a_formula(value: str) -> None:
    assert not neutralise(value).startswith(FORMULA_STARTS)
    assert neutralise(value).endswith(value)
    text = as_text_id(value)
    assert text == ("\t" + value if is_digits(value) else neutralise(value))


@given(st.lists(st.text(alphabet="0123456789", min_size=1, max_size=20), min_size=1, max_size=8))
def test_digit_ids_survive_the_round_trip(ids: list[str]) -> None:
    data = ship_file_writer("taobao").write([Shipment(i, "sf", i) for i in ids])
    rows = read_back(data, "gb18030")[1:]
    assert [clean_id(row[0]) for row in rows] == ids
    assert [clean_id(row[2]) for row in rows] == ids
