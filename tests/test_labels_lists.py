"""Packing lists and pick lists: A4 PDFs read back as text."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from lanshou.shipping.labels import LabelError, LabelItem, PickLine
from lanshou.shipping.labels.lists import write_packing_list, write_pick_list
from tests.test_labels_model import label
from tests.test_labels_pdf import pytestmark  # noqa: F401  (skip without a CJK font, as there)


def texts(data: bytes | Path) -> list[str]:
    doc = pdfium.PdfDocument(data)
    return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]


def test_packing_list_shows_orders_items_and_masked_receiver() -> None:
    made = label(
        order_ids=["240501000001", "240501000002"],
        items=[LabelItem("玻尿酸精华液 30ml", "LS-SERUM-30", 2), LabelItem("修护面霜 50g", "LS-CREAM-50", 3)],
        remark="送小样",
    )
    out = io.BytesIO()
    assert write_packing_list([made], out) == 1
    (text,) = texts(out.getvalue())
    assert "240501000001, 240501000002" in text
    assert "1 LS-SERUM-30 玻尿酸精华液 30ml 2" in text and "2 LS-CREAM-50 修护面霜 50g 3" in text
    assert "合计 total 5" in text and "备注 remark: 送小样" in text
    assert "王* 138****5678" in text and "13812345678" not in text
    assert "YT1234567890123" in text


def test_packing_list_unmasked_when_asked() -> None:
    out = io.BytesIO()
    write_packing_list([label()], out, mask_receiver=False)
    assert "王小明 13812345678" in texts(out.getvalue())[0]


def test_packing_list_keeps_each_order_whole_on_a_page(tmp_path: Path) -> None:
    many = [
        label(order_ids=[f"O{n:04d}"], items=[LabelItem(f"商品{k}", f"SKU-{k}", 1) for k in range(n % 6 + 1)])
        for n in range(25)
    ]
    out = tmp_path / "packing.pdf"
    pages = write_packing_list(many, out)
    read = texts(out)
    assert pages == len(read) > 1
    for text in read:  # every block that starts on a page ends on it
        assert text.count("装箱单 packing list —") == text.count("合计 total")
    orders = re.findall(r"订单 order (O\d{4})", "".join(read))
    assert orders == [f"O{n:04d}" for n in range(25)]


def test_pick_list_totals_per_location_and_sku() -> None:
    lines = [
        PickLine("A-2-10", "SKU-B", "乙商品", 1, "o1"),
        PickLine("A-2-9", "SKU-A", "甲商品", 2, "o1"),
        PickLine("A-2-10", "SKU-B", "乙商品", 3, "o2"),
        PickLine("A-2-10", "SKU-A", "甲商品", 4, "o2"),
        PickLine("A-2-9", "SKU-A", "甲商品", 1, "o3"),
        PickLine("", "SKU-C", "丙商品", 1, "o3"),
    ]
    out = io.BytesIO()
    assert write_pick_list(lines, out, batch="B0501") == 1
    (text,) = texts(out.getvalue())
    rows = [
        "A-2-9 SKU-A 甲商品 2 3",  # location SKU title orders qty
        "A-2-9 小计 subtotal 3",
        "A-2-10 SKU-A 甲商品 1 4",
        "A-2-10 SKU-B 乙商品 2 4",
        "A-2-10 小计 subtotal 8",
        "SKU-C 丙商品 1 1",
        "合计 total 12",
    ]
    positions = [text.index(row) for row in rows]
    assert positions == sorted(positions)  # walking order: A-2-9 before A-2-10, unassigned last
    assert "拣货单 pick list B0501" in text and "共 12 件" in text


def test_empty_lists_are_errors() -> None:
    with pytest.raises(LabelError, match="没有拣货行 nothing to pick"):
        write_pick_list([], io.BytesIO())
    with pytest.raises(LabelError, match="没有订单 nothing to pack"):
        write_packing_list([], io.BytesIO())
