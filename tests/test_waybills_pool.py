"""The offline number pool: reading a merchant's pool file and handing its numbers out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from lanshou.files.tabular import FileRefused, open_table
from lanshou.shipping.waybills import MemoryNumberPool, PoolWaybillProvider, read_pool
from tests.waybill_data import PLAIN, request


def pool_file(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "pool.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_pool_file_numbers_and_problems_with_line_numbers(tmp_path: Path) -> None:
    path = pool_file(
        tmp_path,
        "tracking_no,备注\n"
        "78000000000001,第一批\n"
        '="78000000000002",spreadsheet-protected\n'
        ",blank number\n"
        "78-0001,malformed\n"
        "78000000000001,repeat\n"
        "'78000000000003,\n",
    )
    table = open_table(path)
    pool = read_pool(table.header, table.rows)
    assert pool.numbers == ("78000000000001", "78000000000002", "78000000000003")
    assert [(p.line, p.number) for p in pool.problems] == [(4, ""), (5, "78-0001"), (6, "78000000000001")]
    assert [str(p) for p in pool.problems] == [
        "第 4 行 line 4: 空单号 blank tracking_no",
        "第 5 行 line 5: 单号格式不对 malformed '78-0001': 8–32 letters/digits",
        "第 6 行 line 6: 重复单号 duplicate '78000000000001' of line 2",
    ]


def test_a_gb18030_file_with_a_chinese_header_is_read(tmp_path: Path) -> None:
    path = pool_file(tmp_path, "运单号\nYT1234567890123\nYT1234567890124\n", encoding="gb18030")
    table = open_table(path)
    assert read_pool(table.header, table.rows).numbers == ("YT1234567890123", "YT1234567890124")


def test_a_file_without_the_column_is_refused(tmp_path: Path) -> None:
    table = open_table(pool_file(tmp_path, "number\n78000000000001\n"))
    with pytest.raises(FileRefused, match="no tracking_no column"):
        read_pool(table.header, table.rows)


def loaded(numbers: list[str], carrier: str = "zto") -> MemoryNumberPool:
    pool = MemoryNumberPool()
    assert pool.add(carrier, numbers) == []
    return pool


def test_numbers_are_handed_out_once_and_a_retry_gets_the_same_number() -> None:
    pool = loaded(["N0000001", "N0000002", "N0000003"])
    provider = PoolWaybillProvider("zto", pool)
    first = provider.issue([request("a"), request("b")])
    assert [(r.object_id, r.ok, r.waybill_no) for r in first] == [
        ("a", True, "N0000001"),
        ("b", True, "N0000002"),
    ]
    again = provider.issue([request("b"), request("c")])
    assert [r.waybill_no for r in again] == ["N0000002", "N0000003"]
    assert pool.free_count("zto") == 0


def test_a_batch_partly_fails_refused_items_burn_no_number_and_a_dry_pool_says_so() -> None:
    pool = loaded(["N0000001", "N0000002"])
    provider = PoolWaybillProvider("zto", pool)
    results = provider.issue(
        [
            request("a"),
            request("masked", recipient=replace(PLAIN, phone="138****1234")),
            request("other", carrier="sf"),
            request("b"),
            request("c"),
        ]
    )
    assert [(r.object_id, r.ok, r.waybill_no) for r in results] == [
        ("a", True, "N0000001"),
        ("masked", False, ""),
        ("other", False, ""),
        ("b", True, "N0000002"),
        ("c", False, ""),
    ]
    assert "recipient phone" in results[1].error
    assert results[4].error == "单号池已用完 number pool of zto is empty"


def test_loading_twice_reports_the_repeats() -> None:
    pool = loaded(["N0000001"])
    assert pool.add("zto", ["N0000001", "N0000002", "N0000002"]) == ["N0000001"]
    assert pool.free_count("zto") == 2
    assert pool.add("sf", ["N0000001"]) == []  # pools are per carrier


def test_cancel_retires_a_number_for_good_and_reprint_needs_an_issued_one() -> None:
    pool = loaded(["N0000001", "N0000002"])
    provider = PoolWaybillProvider("zto", pool)
    [issued] = provider.issue([request("a")])
    assert provider.reprint(issued.waybill_no).ok
    assert provider.cancel(issued.waybill_no).ok
    assert not provider.cancel(issued.waybill_no).ok  # already cancelled
    assert "was not issued" in provider.reprint(issued.waybill_no).error
    assert not provider.reprint("N0000002").ok  # loaded but never issued
    assert [r.waybill_no for r in provider.issue([request("a")])] == [
        "N0000002"
    ]  # a fresh number, never reused
