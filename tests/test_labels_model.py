"""Label input model, sizes, 隐私面单 masking, pick-list aggregation and text fitting (pure, no PDF)."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lanshou.shipping.labels.layout import label_layout
from lanshou.shipping.labels.model import (
    LABEL_76X130,
    LABEL_100X180,
    UNASSIGNED_LOCATION,
    Label,
    LabelError,
    LabelItem,
    LabelSize,
    Party,
    PickLine,
    aggregate_pick_list,
    item_summary,
    mask_label_name,
    mask_label_phone,
    pick_lines_for_labels,
    printed_receiver,
)
from lanshou.shipping.labels.textfit import LEADING, fit, fit_line, text_height, wrap

RECEIVER = Party("王小明", "13812345678", "浙江省 杭州市 余杭区 文一西路969号")
SENDER = Party("蓝山美妆旗舰店", "0571-88889999", "浙江省 杭州市 余杭区 良睦路1399号")


def label(**changes: object) -> Label:
    fields: dict[str, object] = {
        "waybill_no": "YT1234567890123",
        "carrier_code": "yto",
        "carrier_name": "圆通速递",
        "receiver": RECEIVER,
        "sender": SENDER,
        "items": [LabelItem("玻尿酸精华液 30ml", "LS-SERUM-30", 2)],
        "order_ids": ["240501000001"],
        "shop": "蓝山美妆旗舰店",
    }
    fields.update(changes)
    return Label(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100x180", LABEL_100X180),
        ("100×180", LABEL_100X180),
        (" 76 * 130 ", LABEL_76X130),
        ("76X130mm", LABEL_76X130),
    ],
)
def test_label_size_parses_the_two_stocks(text: str, expected: LabelSize) -> None:
    assert LabelSize.parse(text) is expected


@pytest.mark.parametrize("text", ["100x150", "A4", "", "180x100"])
def test_other_sizes_are_refused_naming_the_known_ones(text: str) -> None:
    with pytest.raises(LabelError, match=r"不支持的面单尺寸 unsupported label size .*100x180, 76x130"):
        LabelSize.parse(text)


def test_sizes_in_points() -> None:
    assert (round(LABEL_100X180.width_pt, 2), round(LABEL_100X180.height_pt, 2)) == (283.46, 510.24)
    assert (round(LABEL_76X130.width_pt, 2), round(LABEL_76X130.height_pt, 2)) == (215.43, 368.5)


def test_receiver_is_masked_by_default_style() -> None:
    masked = printed_receiver(RECEIVER, mask=True)
    assert (masked.name, masked.phone, masked.address) == ("王*", "138****5678", RECEIVER.address)
    assert printed_receiver(RECEIVER, mask=False) == RECEIVER


@pytest.mark.parametrize(
    ("phone", "shown"),
    [
        ("13812345678", "138****5678"),
        ("138****5678", "138****5678"),  # platforms already hand out masked numbers
        ("13800000000-1234", "13800000000-1234"),  # a virtual number 主号-分机号 is dialled whole
        ("0571-88889999", "057******9999"),
        ("", ""),
    ],
)
def test_label_phone_masking(phone: str, shown: str) -> None:
    assert mask_label_phone(phone) == shown


@pytest.mark.parametrize(
    ("name", "shown"), [("王五", "王*"), ("欧阳娜娜", "欧*"), ("林**", "林*"), ("#x9Ab", "***")]
)
def test_label_name_masking_keeps_one_character(name: str, shown: str) -> None:
    assert mask_label_name(name) == shown


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"waybill_no": "运单123456"}, "运单号无效 invalid waybill number"),
        ({"waybill_no": "YT1"}, "运单号无效"),
        ({"package_index": 3, "package_count": 2}, "包裹序号无效 invalid package 3/2"),
        ({"receiver": Party("王五", "13800000000", "  ")}, "收件地址为空"),
    ],
)
def test_bad_labels_are_refused_with_a_reason(changes: dict[str, object], message: str) -> None:
    with pytest.raises(LabelError, match=message):
        label(**changes)


def test_bad_quantity_is_refused() -> None:
    with pytest.raises(LabelError, match="商品数量无效 invalid quantity 0"):
        LabelItem("x", "SKU-1", 0)


def test_items_and_orders_become_tuples() -> None:
    made = label(order_ids=["a1", "a2"])
    assert made.order_ids == ("a1", "a2") and isinstance(made.items, tuple)


def test_item_summary_counts_what_it_left_off() -> None:
    items = [LabelItem(f"商品{n}", f"S{n}", n) for n in range(1, 6)]
    assert item_summary(items, 2) == (["商品1 ×1", "商品2 ×2"], 3)
    assert item_summary(items, 9) == ([f"商品{n} ×{n}" for n in range(1, 6)], 0)


def test_pick_list_sums_per_location_and_sku_in_walking_order() -> None:
    lines = [
        PickLine("A-2-10", "SKU-B", "乙", 1, "o1"),
        PickLine("A-2-9", "SKU-A", "甲", 2, "o1"),
        PickLine("A-2-10", "SKU-B", "乙", 3, "o2"),
        PickLine("", "SKU-C", "丙", 1, "o3"),
        PickLine("A-2-10", "SKU-A", "甲", 4, "o2"),
        PickLine("A-2-9", "SKU-A", "甲", 1, "o1"),
    ]
    rows = aggregate_pick_list(lines)
    assert [(r.location, r.sku, r.quantity, r.order_ids) for r in rows] == [
        ("A-2-9", "SKU-A", 3, ("o1",)),
        ("A-2-10", "SKU-A", 4, ("o2",)),
        ("A-2-10", "SKU-B", 4, ("o1", "o2")),
        (UNASSIGNED_LOCATION, "SKU-C", 1, ("o3",)),
    ]


def test_pick_lines_from_labels_use_the_location_map() -> None:
    made = label(items=[LabelItem("甲", "SKU-A", 2), LabelItem("乙", "SKU-B", 1)], order_ids=["o9"])
    lines = pick_lines_for_labels([made], {"SKU-A": "B-1-1"})
    assert lines == [PickLine("B-1-1", "SKU-A", "甲", 2, "o9"), PickLine("", "SKU-B", "乙", 1, "o9")]


def test_layout_blocks_tile_the_page_without_overlap() -> None:
    for size in (LABEL_100X180, LABEL_76X130):
        boxes = sorted(label_layout(size).blocks.values(), key=lambda b: -b.top)
        assert all(
            b.x >= 0 and b.right <= size.width_pt and b.y >= 0 and b.top <= size.height_pt for b in boxes
        )
        assert all(upper.y >= lower.top - 1e-9 for upper, lower in pairwise(boxes))


# Text fitting: a fake font where CJK is 1 em wide and everything else half an em.
def unit_width(text: str) -> float:
    return sum(1.0 if ord(ch) > 0x2E80 else 0.5 for ch in text)


def test_wrap_keeps_latin_words_and_numbers_whole() -> None:
    assert wrap("文一西路969号 Building 5", unit_width, 5) == ["文一西路", "969号", "Building 5"]
    assert wrap("ABCDEFGHIJKLMN", unit_width, 3) == ["ABCDEF", "GHIJKL", "MN"]  # too long: per character


def test_fit_shrinks_before_it_wraps_too_much() -> None:
    fitted = fit("浙江省杭州市余杭区", unit_width, 90, 12, max_size=14, min_size=6)
    assert fitted.size == 10 and fitted.lines == ("浙江省杭州市余杭区",) and not fitted.truncated


def test_fit_truncates_with_ellipsis_only_below_the_minimum() -> None:
    fitted = fit("很长的地址" * 40, unit_width, 60, 20, max_size=12, min_size=6)
    assert fitted.truncated and fitted.size == 6 and fitted.lines[-1].endswith("…")
    assert text_height(len(fitted.lines), fitted.size) <= 20


def test_fit_line_shrinks_to_the_width() -> None:
    assert fit_line("361-A12 03", unit_width, 50, max_size=40, min_size=8).size == pytest.approx(10)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet="浙江省杭州市 余杭区文一西路969号ABCxyz-", min_size=1, max_size=120),
    box_width=st.floats(20, 300),
    box_height=st.floats(8, 200),
)
def test_fitted_text_never_leaves_its_box(text: str, box_width: float, box_height: float) -> None:
    fitted = fit(text, unit_width, box_width, box_height, max_size=14, min_size=5)
    assert all(unit_width(line) * fitted.size <= box_width + 1e-6 for line in fitted.lines)
    assert text_height(len(fitted.lines), fitted.size) <= box_height + 1e-6
    assert fitted.leading == pytest.approx(fitted.size * LEADING)
    if not fitted.truncated:  # nothing lost but the blanks at line breaks
        assert "".join(fitted.lines).replace(" ", "") == text.replace(" ", "")
