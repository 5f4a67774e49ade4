"""The waybill guard: masked data is refused per item and never sent; the rest of a batch goes on."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanshou.shipping.waybills import (
    Address,
    Recipient,
    WaybillRefused,
    WaybillRequest,
    WaybillResult,
    masking_in,
    screen,
    screen_batch,
)
from tests.waybill_data import PLAIN, SENDER, request


@pytest.mark.parametrize(
    ("recipient", "reason"),
    [
        (replace(PLAIN, name="王**"), "收件人姓名 recipient name 含脱敏字符 *"),
        (replace(PLAIN, phone="131****1907"), "收件人电话 recipient phone 含脱敏字符 *"),
        (replace(PLAIN, address=replace(PLAIN.address, detail="科技南****")), "收件人地址 recipient address"),
        (replace(PLAIN, name="张＊"), "masked with *"),  # full-width star
        (replace(PLAIN, name="##Ab3dEf##"), "Douyin ciphertext"),
        (replace(PLAIN, phone="$$9f8e7d$$"), "Douyin ciphertext"),
        (replace(PLAIN, phone=""), "缺少收件人电话 (missing recipient phone)"),
        (replace(PLAIN, address=replace(PLAIN.address, detail=" ")), "missing recipient address"),
    ],
)
def test_masked_or_missing_recipient_data_is_refused_with_the_reason(
    recipient: Recipient, reason: str
) -> None:
    with pytest.raises(WaybillRefused, match="拒绝 refused") as caught:
        screen(request(recipient=recipient))
    assert reason in str(caught.value)


def test_a_masked_sender_is_refused_too() -> None:
    with pytest.raises(WaybillRefused, match="寄件人电话 sender phone"):
        screen(request(sender=replace(SENDER, phone="159****6666")))


def test_a_virtual_number_is_not_masking() -> None:
    virtual = request(recipient=replace(PLAIN, phone="12345678901-1234"))
    assert screen(virtual) == virtual


def test_a_token_recipient_drops_the_masked_display_values_and_keeps_the_area() -> None:
    masked = Recipient(
        "王**", "131****1907", Address("广东省", "深圳市", "南山区", detail="****"), oaid="OAID123"
    )
    ready = screen(request(recipient=masked))
    assert ready.recipient == Recipient(address=Address("广东省", "深圳市", "南山区"), oaid="OAID123")
    # clear values ride along with a token
    clear = screen(request(recipient=Recipient("王五", "", Address("广东省"), caid="CAID9"))).recipient
    assert (clear.name, clear.caid) == ("王五", "CAID9")


def test_a_masked_token_is_refused() -> None:
    with pytest.raises(WaybillRefused, match="recipient token"):
        screen(request(recipient=Recipient(oaid="##cipher##")))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"order_ids": ()}, "1 to 100 order ids"),
        ({"order_ids": tuple(str(i) for i in range(101))}, "1 to 100 order ids"),
        ({"order_ids": ("12 34",)}, "letters, digits, _ and -"),
        ({"package_count": 0}, "package_count must be ≥ 1"),
        ({"weight_g": -1}, "weight_g must not be negative"),
        ({"object_id": ""}, "missing object_id"),
    ],
)
def test_request_shape_is_checked(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(WaybillRefused, match=reason):
        screen(request(**changes))  # type: ignore[arg-type]


def test_a_batch_is_screened_item_by_item_in_order() -> None:
    batch = [
        request("a"),
        request("b", recipient=replace(PLAIN, phone="138****1234")),
        request("a"),
        request("c", carrier="sf"),
        request("d"),
    ]
    screened = screen_batch(batch, "zto")
    assert [type(x) for x in screened] == [
        WaybillRequest,
        WaybillResult,
        WaybillResult,
        WaybillResult,
        WaybillRequest,
    ]
    refusals = [x for x in screened if isinstance(x, WaybillResult)]
    assert [r.object_id for r in refusals] == ["b", "a", "c"]
    assert not any(r.ok for r in refusals)
    assert "duplicate in batch" in refusals[1].error
    assert "carrier 'sf', provider is 'zto'" in refusals[2].error


@given(st.text())
def test_masking_check_never_crashes_and_flags_every_star(text: str) -> None:
    reason = masking_in(text)
    if "*" in text:
        assert reason
    assert isinstance(reason, str)
