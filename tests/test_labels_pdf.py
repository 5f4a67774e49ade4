"""Label PDFs read back: page size, the barcode decoded from a 203 dpi raster, text, layout, embedded font."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import zxingcpp
from reportlab.pdfbase import pdfmetrics

from lanshou.shipping.labels import (
    LABEL_76X130,
    LABEL_100X180,
    Label,
    LabelError,
    LabelItem,
    LabelSize,
    Party,
    fonts,
)
from lanshou.shipping.labels.fonts import DEFAULT_CJK_FONT, FONT_ENV, LabelFontError
from lanshou.shipping.labels.layout import label_layout
from lanshou.shipping.labels.pdf import write_labels
from tests.test_labels_model import RECEIVER, label

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
pytestmark = pytest.mark.skipif(
    not DEFAULT_CJK_FONT.is_file() and not os.environ.get(FONT_ENV) and not IN_CI,
    reason="no CJK font here: apt-get install fonts-wqy-zenhei (CI installs it and never skips)",
)
SIZES = [LABEL_100X180, LABEL_76X130]
PRINTER_SCALE = 203 / 72  # a 203 dpi thermal printer
LONG_ADDRESS = (
    "新疆维吾尔自治区 伊犁哈萨克自治州 霍尔果斯市 "
    + "亚欧北路口岸国际物流园区西侧第三排仓库旁边的小路进去右转"
    + "再走五百米看到一棵大榆树后左手边的蓝色铁门"
)
LONG_DETAILS = {
    "receiver": Party("欧阳娜娜娜娜娜娜娜", "13800000000-1234", LONG_ADDRESS * 2),
    "sender": Party("蓝山美妆旗舰店官方直营店铺", "0571-88889999", LONG_ADDRESS),
    "items": [
        LabelItem(f"超长商品名称 玻尿酸精华液 款式{n} 大容量家庭装 " * 2, f"SKU-{n}", n) for n in range(1, 30)
    ],
    "order_ids": [f"24050100000{n}" for n in range(8)],
    "sorting_code": "361-A12 03 998-B77 CC",
    "package_center": "乌鲁木齐转运中心集包地 超长名称",
    "short_address": "新疆伊犁霍尔果斯",
    "parent_waybill_no": "YT9999999999999",
    "package_index": 2,
    "package_count": 3,
    "remark": "备注很长" * 30,
}


def pdf_bytes(labels: list[Label], size: LabelSize, **options: object) -> bytes:
    out = io.BytesIO()
    assert write_labels(labels, out, size=size, **options) == len(labels)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.fixture(params=SIZES, ids=lambda s: s.name)
def size(request: pytest.FixtureRequest) -> LabelSize:
    return request.param


def page_text(page: pdfium.PdfPage) -> str:
    return page.get_textpage().get_text_range()


def no_blanks(text: str) -> str:
    return re.sub(r"\s+", "", text)


def chars(page: pdfium.PdfPage) -> Iterator[tuple[str, tuple[float, float, float, float]]]:
    """Every drawn character and its glyph box (left, bottom, right, top), in drawing order."""
    textpage = page.get_textpage()
    for i in range(textpage.count_chars()):
        ch = textpage.get_text_range(i, 1)
        if ch.strip():  # pdfium adds generated blanks and line breaks
            yield ch, textpage.get_charbox(i)


def test_mediabox_is_exactly_the_label_size(size: LabelSize) -> None:
    page = pdfium.PdfDocument(pdf_bytes([label()], size))[0]
    left, bottom, right, top = page.get_mediabox()
    assert (left, bottom) == (0, 0)
    assert right == pytest.approx(size.width_mm * 72 / 25.4, abs=1e-3)
    assert top == pytest.approx(size.height_mm * 72 / 25.4, abs=1e-3)
    expected = {"100x180": (283.46, 510.24), "76x130": (215.43, 368.5)}[size.name]
    assert (round(right, 2), round(top, 2)) == expected


@pytest.mark.parametrize(
    "waybill",
    [
        "SF1402934871625",
        "JDVA01234567890123-ABCDEFGHIJ",  # long: 2 dots a module on 100 mm, 1 dot on 76 mm
        "ab12-CD34_ef56-GH78_ij90-KL12_mn34-OP56",  # the longest the model accepts: 1 dot a module
        "1234567890123456789012345678901234567890",
    ],
)
def test_barcode_scans_at_203_dpi(size: LabelSize, waybill: str) -> None:
    page = pdfium.PdfDocument(pdf_bytes([label(waybill_no=waybill)], size))[0]
    image = page.render(scale=PRINTER_SCALE).to_pil()
    found = [(b.format, b.text) for b in zxingcpp.read_barcodes(image)]
    assert found and all(f == (zxingcpp.BarcodeFormat.Code128, waybill) for f in found)


def test_label_text_reads_back_masked(size: LabelSize) -> None:
    made = label(sorting_code="361-A12 03", package_center="杭州转运中心", short_address="浙江杭州")
    text = page_text(pdfium.PdfDocument(pdf_bytes([made], size))[0])
    assert "王*" in text and "138****5678" in text
    assert "13812345678" not in text and "王小明" not in text
    assert no_blanks(RECEIVER.address) in no_blanks(text)
    for expected in ("240501000001", "361-A12 03", "杭州转运中心", "浙江杭州", "YT1234567890123", "圆通速递"):
        assert expected in text
    assert "玻尿酸精华液 30ml ×2" in text


def test_masking_can_be_turned_off(size: LabelSize) -> None:
    text = page_text(pdfium.PdfDocument(pdf_bytes([label()], size, mask_receiver=False))[0])
    assert "王小明" in text and "13812345678" in text and "138****5678" not in text


def test_multi_package_label_shows_its_index_and_parent(size: LabelSize) -> None:
    made = label(package_index=2, package_count=3, parent_waybill_no="YT9999999999999")
    text = page_text(pdfium.PdfDocument(pdf_bytes([made], size))[0])
    assert "2/3" in text and "YT9999999999999" in text


def test_long_text_wraps_and_stays_inside_page_and_block(size: LabelSize) -> None:
    page = pdfium.PdfDocument(pdf_bytes([label(**LONG_DETAILS)], size))[0]
    blocks = label_layout(size).blocks
    drawn = list(chars(page))
    for ch, (left, bottom, right, top) in drawn:
        assert left >= 0 and right <= size.width_pt and bottom >= 0 and top <= size.height_pt, ch
        assert any(b.contains(left, bottom, right, top, tolerance=0.3) for b in blocks.values()), ch
    # the receiver's address: find its characters in drawing order, all inside the receiver block
    address = no_blanks(LONG_ADDRESS * 2)
    text = "".join(ch for ch, _ in drawn)
    assert "欧*13800000000-1234" in text  # masked name; a virtual number stays whole
    start = text.index(address[:40])
    assert text.startswith(address, start)  # the whole address, not cut short
    boxes = [box for _, box in drawn[start : start + len(address)]]
    assert all(blocks["receiver"].contains(*box) for box in boxes)
    assert len({round(box[1]) for box in boxes}) >= 3  # wrapped over several lines
    assert "等" in text and "件" in text  # the item list was cut short with 等N件


def test_a_label_without_items_or_orders_still_prints(size: LabelSize) -> None:
    text = page_text(pdfium.PdfDocument(pdf_bytes([label(items=[], order_ids=[])], size))[0])
    assert "共0件" in text and "YT1234567890123" in text


def test_short_address_stands_in_for_a_missing_sorting_code(size: LabelSize) -> None:
    page = pdfium.PdfDocument(pdf_bytes([label(short_address="浙江杭州")], size))[0]
    sort_block = label_layout(size).blocks["sort"]
    big = [box for ch, box in chars(page) if ch in "浙江杭州" and sort_block.contains(*box)]
    assert len(big) == 4 and all(top - bottom > 20 for _, bottom, _, top in big)  # printed big


def test_the_cjk_font_is_embedded(size: LabelSize) -> None:
    data = pdf_bytes([label()], size)
    descriptors = re.findall(rb"<<[^>]*/Type /FontDescriptor[^>]*>>", data)
    assert descriptors and all(b"/FontFile2" in d for d in descriptors)
    page = pdfium.PdfDocument(data)[0]
    text_objects = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]))
    assert text_objects
    for obj in text_objects:  # every text drawn uses an embedded font: no viewer font needed
        assert pdfium_c.FPDFFont_GetIsEmbedded(pdfium_c.FPDFTextObj_GetFont(obj.raw)) == 1


def test_many_labels_one_pdf_in_the_given_order(tmp_path: Path) -> None:
    waybills = [f"YT{n:013d}" for n in (907, 13, 500, 2, 77, 31, 600, 8, 45, 1, 300, 12, 66)]
    labels = [label(waybill_no=w, order_ids=[f"o{n}"]) for n, w in enumerate(waybills)]
    out = tmp_path / "batch.pdf"
    # small parts so the batch spans several reportlab documents joined into one file
    assert write_labels(labels, out, size="76x130", part_labels=4) == len(labels)
    doc = pdfium.PdfDocument(out)
    assert len(doc) == len(labels)
    read = [re.search(r"YT\d{13}", page_text(doc[i])).group() for i in range(len(doc))]  # type: ignore[union-attr]
    assert read == waybills
    last = doc[len(doc) - 1].render(scale=PRINTER_SCALE).to_pil()
    assert [b.text for b in zxingcpp.read_barcodes(last)] == [waybills[-1]]
    assert not (tmp_path / "batch.pdf.part").exists()


def test_subset_fonts_are_unique_per_part() -> None:
    labels = [
        label(waybill_no=f"YT{n:013d}", receiver=Party("李四", "13900000000", f"地址{n}号")) for n in range(6)
    ]
    data = pdf_bytes(labels, LABEL_76X130, part_labels=2)
    names = re.findall(rb"/FontName /([A-Z]{6})\+", data)
    assert len(names) == 3 and len(set(names)) == 3


def test_a_failed_batch_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "labels.pdf"
    with pytest.raises(LabelError, match="不是面单 not a Label"):
        write_labels([label(), "not a label"], out)  # type: ignore[list-item]
    assert list(tmp_path.iterdir()) == []


def test_empty_batch_is_an_error() -> None:
    with pytest.raises(LabelError, match="没有面单 no labels"):
        write_labels([], io.BytesIO())


def test_missing_font_names_the_path_and_the_debian_package(tmp_path: Path) -> None:
    missing = tmp_path / "nope.ttf"
    with pytest.raises(
        LabelFontError, match=rf"CJK font not found: {re.escape(str(missing))}.*fonts-wqy-zenhei"
    ):
        write_labels([label()], io.BytesIO(), font=missing)


def test_font_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "env.ttc"
    monkeypatch.setenv(FONT_ENV, str(missing))
    with pytest.raises(LabelFontError, match=re.escape(str(missing))):
        write_labels([label()], io.BytesIO())


def test_a_font_that_is_not_truetype_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "fake.ttf"
    fake.write_bytes(b"OTTO" + bytes(200))  # an OpenType/CFF header, as Noto CJK has
    with pytest.raises(LabelFontError, match="中文字体不可用 unusable CJK font"):
        write_labels([label()], io.BytesIO(), font=fake)


def test_joined_file_cross_reference_is_exact() -> None:
    """Viewers repair a broken xref silently (pdfium does); printers' RIPs may not: check it byte by byte."""
    labels = [label(waybill_no=f"YT{n:013d}") for n in range(5)]
    data = pdf_bytes(labels, LABEL_100X180, part_labels=2)
    xref_at = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", data).group(1))  # type: ignore[union-attr]
    header = re.match(rb"xref\n0 (\d+)\n", data[xref_at:])
    assert header is not None
    size = int(header.group(1))
    entries = re.findall(rb"(\d{10}) (\d{5}) ([nf]) \n", data[xref_at : data.index(b"trailer", xref_at)])
    assert len(entries) == size and entries[0] == (b"0000000000", b"65535", b"f")
    for number, (offset, _, kind) in enumerate(entries[1:], 1):
        assert kind == b"n" and data.startswith(b"%d 0 obj" % number, int(offset))
    assert re.search(rb"/Size %d /Root 1 0 R" % size, data)
    assert re.search(rb"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>", data)
    assert re.search(rb"2 0 obj\n<< /Type /Pages /Kids \[ \d+ 0 R \d+ 0 R \d+ 0 R \] /Count 5 >>", data)


def test_the_font_is_registered_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FONT_ENV, raising=False)
    name = fonts.cjk_font()

    def second_registration(path: Path) -> str:
        raise AssertionError(f"registered {path} again")

    monkeypatch.setattr(fonts, "_register", second_registration)
    assert fonts.cjk_font() == name and fonts.cjk_font(DEFAULT_CJK_FONT) == name
    assert name in pdfmetrics.getRegisteredFontNames()
