"""Status from provider codes (one table per provider) and from event text (one rule list per family)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanshou.carriers.aftership import aftership_status
from lanshou.carriers.codes import normalise_status, status_of
from lanshou.carriers.kdniao import KDNIAO
from lanshou.carriers.kuaidi100.states import KUAIDI100
from lanshou.carriers.text_status import FAMILIES, infer_status
from lanshou.tracking.status import TrackingStatus as T


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the brief's examples
        ("快件已被【菜鸟驿站】代收，请凭取件码取件", T.AVAILABLE_FOR_PICKUP),
        ("快件已被【XX小区丰巢柜】代收，如有问题请电联", T.AVAILABLE_FOR_PICKUP),
        ("快件已被门卫代收，如有疑问请电联快递员", T.DELIVERED),
        ("快件已被 XX 驿站签收", T.DELIVERED),
        ("【杭州市】您的快件已签收，签收人凭取货码签收", T.DELIVERED),
        ("您的快递已签收，签收人在【丰巢柜】领取", T.DELIVERED),
        ("快件已从驿站取出", T.DELIVERED),
        ("您的快件已签收，派件员：张三，如有疑问请联系快递员", T.DELIVERED),
        ("收件人拒收，快件将退回", T.REJECTED),
        ("快件退回中，正在返回寄件人", T.RETURNING),
        ("退回件已签收，签收人：寄件人", T.RETURNED),
        ("【杭州萧山】的张三（138xxxx）正在第1次派件，请保持电话畅通", T.OUT_FOR_DELIVERY),
        ("快件交给李四，正在派送途中（联系电话：139xxxx）", T.OUT_FOR_DELIVERY),
        ("【浙江杭州公司】已揽收", T.PICKED_UP),
        ("顺丰速运 已收取快件", T.PICKED_UP),
        ("【XX网点】的收件员【王五】已收件", T.PICKED_UP),
        ("快件已到达【杭州转运中心】", T.IN_TRANSIT),
        ("快件离开【杭州中心】已发往【上海中心】", T.IN_TRANSIT),
        ("快件到达派件城市【上海】", T.IN_TRANSIT),
        ("商家已通知快递员揽件，等待揽收", T.INFO_RECEIVED),
        ("您的订单已下单成功", T.INFO_RECEIVED),
        ("快件派送不成功，收件人电话无人接听", T.FAILED_ATTEMPT),
        ("快件在【XX中心】滞留", T.EXCEPTION),
        ("快件遗失，请联系客服", T.LOST),
        ("快件超时未签收", T.EXCEPTION),
        ("派件异常后已签收", T.DELIVERED),
        ("您好，欢迎使用本服务", None),
        ("", None),
    ],
)
def test_express_texts(text: str, expected: T | None) -> None:
    assert infer_status(text) == expected


def test_jd_warehouse_steps_are_not_pickups() -> None:
    assert infer_status("您提交了订单，请等待系统确认", "jd") == T.INFO_RECEIVED
    assert infer_status("您的订单已拣货完成", "jd") == T.INFO_RECEIVED
    assert infer_status("您的订单已打包完成", "jd") == T.INFO_RECEIVED
    assert infer_status("您的订单在京东【北京仓】发货完成，准备送往京东【北京分拣中心】", "jd") == T.PICKED_UP
    assert infer_status("配送员开始配送，请您准备收货", "jd") == T.OUT_FOR_DELIVERY
    # the express family does not know the warehouse steps: unknown, not a scan
    assert infer_status("您的订单已拣货完成") is None


def test_postal_family() -> None:
    assert infer_status("【北京揽投部】已收寄，揽投员：张三", "postal") == T.PICKED_UP
    assert infer_status("未妥投，原因：收件人不在", "postal") == T.FAILED_ATTEMPT
    assert infer_status("已妥投，投递并签收", "postal") == T.DELIVERED


def test_carrier_overrides_come_first() -> None:
    # Deppon's depots write 开单 when they take the goods in
    assert status_of("【上海青浦营业部】已开单", "德邦快递") == T.PICKED_UP
    assert status_of("【上海青浦营业部】已开单", "中通快递") is None


def test_unknown_family_reads_as_express() -> None:
    assert infer_status("已揽收", "no-such-family") == T.PICKED_UP
    assert set(FAMILIES) == {"express", "jd", "postal"}


@pytest.mark.parametrize(
    ("code", "kuaidi100", "kdniao"),
    [
        ("201", T.EXCEPTION, T.IN_TRANSIT),  # 超时未签收 vs 到达派件城市
        ("4", T.RETURNED, T.EXCEPTION),  # 退签 vs 问题件
        ("3", T.DELIVERED, T.DELIVERED),
        ("2", T.EXCEPTION, T.IN_TRANSIT),  # 疑难 vs 在途中
        ("202", T.EXCEPTION, T.OUT_FOR_DELIVERY),
        ("1", T.PICKED_UP, T.PICKED_UP),
        ("0", T.IN_TRANSIT, T.INFO_RECEIVED),  # 在途 vs 无轨迹
    ],
)
def test_kuaidi100_and_kdniao_codes_clash_and_keep_their_own_tables(
    code: str, kuaidi100: T, kdniao: T
) -> None:
    assert KUAIDI100.status(code) == kuaidi100
    assert KDNIAO.status(code) == kdniao


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("101", T.INFO_RECEIVED),
        ("102", T.INFO_RECEIVED),
        ("103", T.PICKED_UP),
        ("1001", T.IN_TRANSIT),
        ("501", T.AVAILABLE_FOR_PICKUP),
        ("304", T.DELIVERED),
        ("14", T.REJECTED),
        ("401", T.RETURNED),
        ("203", T.REJECTED),
        ("204", T.FAILED_ATTEMPT),
        ("8", T.IN_TRANSIT),
        ("10", T.IN_TRANSIT),
        ("13", T.EXCEPTION),
        ("清关异常", T.EXCEPTION),
        ("已揽收", T.PICKED_UP),
        ("9999", None),
    ],
)
def test_kuaidi100_states(code: str, expected: T | None) -> None:
    assert KUAIDI100.status(code) == expected


def test_a_coarse_main_state_is_refined_by_its_text_within_its_sub_states() -> None:
    # state 1 揽收 spans 101 已下单 .. 103: a pre-pickup text stays info_received
    assert KUAIDI100.event_status("1", "商家已通知快递员上门揽件，等待揽收") == T.INFO_RECEIVED
    assert KUAIDI100.event_status("揽收", "【杭州】已揽收") == T.PICKED_UP
    assert KUAIDI100.event_status("5", "快件已放入XX快递柜，请凭取件码取件") == T.AVAILABLE_FOR_PICKUP
    # ... but never outside them: a 签收 text under 在途 stays in transit, a leaf code is trusted
    assert KUAIDI100.event_status("0", "快件已签收") == T.IN_TRANSIT
    assert KUAIDI100.event_status("103", "等待揽收") == T.PICKED_UP
    # no code: the text alone
    assert KUAIDI100.event_status("", "快件已签收") == T.DELIVERED
    assert KUAIDI100.event_status("77", "快件已签收") == T.DELIVERED


def test_kdniao_state_ex() -> None:
    assert KDNIAO.status("211") == T.AVAILABLE_FOR_PICKUP
    assert KDNIAO.status("311") == T.DELIVERED
    assert KDNIAO.status("404") == T.REJECTED
    assert KDNIAO.status("405") == T.FAILED_ATTEMPT
    assert KDNIAO.status("406") == T.RETURNED
    assert KDNIAO.status("415") is None
    assert KDNIAO.event_status("415", "客户取消发货") is None  # no text rule knows it either


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("InTransit", T.IN_TRANSIT),
        ("intransit", T.IN_TRANSIT),
        ("InTransit_004", T.IN_TRANSIT),
        ("Exception_003", T.REJECTED),
        ("Exception_011", T.RETURNED),
        ("Exception_013", T.LOST),
        ("Exception_099", T.EXCEPTION),
        ("Pending", T.INFO_RECEIVED),
        ("Expired", None),
        ("Nonsense", None),
    ],
)
def test_aftership_tags(tag: str, expected: T | None) -> None:
    assert aftership_status(tag) == expected


# What the tracking-file reader relied on before the tables moved: every value must read the same.
PREVIOUS = {
    "已下单": "info_received",
    "待揽收": "info_received",
    "揽收": "picked_up",
    "已揽收": "picked_up",
    "在途": "in_transit",
    "运输中": "in_transit",
    "派件": "out_for_delivery",
    "派送中": "out_for_delivery",
    "待取件": "available_for_pickup",
    "驿站": "available_for_pickup",
    "签收": "delivered",
    "已签收": "delivered",
    "疑难": "exception",
    "退回": "returning",
    "退回中": "returning",
    "退签": "returned",
    "拒签": "rejected",
    "遗失": "lost",
    "丢失": "lost",
    "pending": "info_received",
    "inforeceived": "info_received",
    "outfordelivery": "out_for_delivery",
    "attemptfail": "failed_attempt",
    "availableforpickup": "available_for_pickup",
    "exception": "exception",
    "7": "in_transit",
    "205": "available_for_pickup",
    "206": "failed_attempt",
    "12": "in_transit",
}


def test_normalise_status_reads_what_it_read_before() -> None:
    assert {raw: normalise_status(raw) for raw in PREVIOUS} == PREVIOUS


def test_normalise_status_reads_event_texts_with_the_carrier_family() -> None:
    assert normalise_status("【杭州市】快件已被菜鸟驿站代收，请及时取件") == "available_for_pickup"
    assert normalise_status("您的订单已打包完成", carrier="京东物流") == "info_received"
    with pytest.raises(ValueError, match="unknown tracking status '您的订单已打包完成'"):
        normalise_status("您的订单已打包完成", carrier="zto")


@given(st.text())
def test_no_text_crashes_the_inference_or_the_tables(text: str) -> None:
    for family in (*FAMILIES, "unknown"):
        assert infer_status(text, family) in {None, *T}
    for table in (KUAIDI100, KDNIAO):
        assert table.status(text) in {None, *T}
        assert table.event_status(text, text) in {None, *T}
    assert aftership_status(text) in {None, *T}
    assert status_of(text, carrier=text) in {None, *T}
    try:
        assert normalise_status(text) in {s.value for s in T}
    except ValueError as exc:
        assert "unknown tracking status" in str(exc)
