"""A tracking event's status read from its text, for payloads that carry only `context` text.

Rules are data: an ordered list per carrier family, the first rule whose keyword appears (and none of
whose exceptions do) wins. A text no rule knows is unknown (None), never a guess: the metrics count any
status other than info_received as a carrier scan, so an unknown text must not pose as a pickup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from lanshou.tracking.status import TrackingStatus as T


def _any_of(words: tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile("|".join(map(re.escape, words))) if words else None


@dataclass(frozen=True, slots=True)
class Rule:
    status: T
    keywords: tuple[str, ...]  # any one of them
    unless: tuple[str, ...] = ()  # ...but not when one of these appears
    # one compiled search per rule: tracking files bring tens of thousands of texts a second
    _keywords: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _unless: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keywords", _any_of(self.keywords))
        object.__setattr__(self, "_unless", _any_of(self.unless))

    def matches(self, text: str) -> bool:
        if self._keywords is None or not self._keywords.search(text):
            return False
        return self._unless is None or not self._unless.search(text)


def rule(status: T, keywords: str, unless: str = "") -> Rule:
    """A rule from space-separated keywords: rule(T.PICKED_UP, "揽收 揽件")."""
    return Rule(status, tuple(keywords.split()), tuple(unless.split()))


# Order matters: a refusal or a return outranks the 签收 it mentions; an explicit "signed" outranks
# the locker it was collected from; a pickup code means the parcel still waits at a locker or station;
# "派件城市" (Kuaidi100 1001) is still transit; the pre-pickup words come before the pickup words.
EXPRESS: tuple[Rule, ...] = (
    rule(T.REJECTED, "拒收 拒签 拒绝签收 拒绝接收 拒绝收货"),
    rule(T.RETURNED, "退签 退回签收 退件签收 退货签收 退回件已签收 退件已签收 寄件人已签收"),
    rule(T.RETURNING, "退回 退件 退货 返回寄件 原路返回 返件"),
    rule(
        T.DELIVERED,
        "已签收 签收人 签收成功 完成签收 本人签收 代签收 异常后签收 妥投 取出 已取走 已领取 被领取",
        unless="未妥投 未签收 待签收 未领取 未取出",
    ),
    rule(T.AVAILABLE_FOR_PICKUP, "取件码 取货码 提货码 凭码 及时取件 尽快取件 待取件 请取件 超时未取"),
    rule(T.DELIVERED, "签收", unless="未签收 待签收 签收前 签收时 派件 派送 正在投递"),
    rule(T.AVAILABLE_FOR_PICKUP, "驿站 快递柜 丰巢 智能柜 自提 代收点 快递超市 已入柜 投柜 暂存"),
    rule(T.DELIVERED, "代收", unless="代收货款"),
    rule(T.LOST, "遗失 丢失 丢件"),
    rule(
        T.FAILED_ATTEMPT,
        "派送不成功 派送失败 派件失败 投递失败 未妥投 派件异常 无法联系 联系不上 无人接听 收件人不在 "
        "重新派送 再次派送 改约",
    ),
    rule(
        T.EXCEPTION,
        "异常 疑难 问题件 滞留 破损 超区 无法派送 地址不详 地址错误 电话错误 拦截 错分 延误 "
        "超时未签收 超时未更新",
    ),
    rule(T.IN_TRANSIT, "派件城市"),
    rule(
        T.OUT_FOR_DELIVERY,
        "派件 派送 正在投递 投递中 安排投递 配送员 配送途中 开始配送 正在配送 为您配送 配送中 送货中",
    ),
    rule(
        T.INFO_RECEIVED,
        "待揽收 等待揽收 待揽件 等待揽件 揽收失败 揽件失败 取消揽收 通知快递 已下单 下单成功 已接单 "
        "订单已提交 提交了订单 卖家已发货 商家已发货 面单已打印",
    ),
    rule(
        T.PICKED_UP,
        "揽收 揽件 已揽 已收件 收件员 收件扫描 收取快件 已收取 取件员 上门取件 已收寄 快递员已取件",
    ),
    rule(
        T.IN_TRANSIT,
        "到达 到件 发往 发出 运输 在途 离开 转运 中转 分拨 集散 分拣 装车 发车 出港 进港 航班 清关 转寄 "
        "转投 途经 经转 已收入",
    ),
)

# JD ships from its own warehouses: the warehouse steps come before the pickup, and the hand-over
# from the warehouse (发货完成) is the first carrier scan.
JD_WAREHOUSE: tuple[Rule, ...] = (
    rule(
        T.INFO_RECEIVED,
        "提交了订单 等待系统确认 进入京东 库房 准备出库 已出库 拣货 打包 打印 复核",
        unless="签收 配送 派送",
    ),
    rule(T.PICKED_UP, "发货完成"),
)

# China Post / EMS say 收寄 for the pickup and 妥投 / 未妥投 for delivered / failed.
POSTAL: tuple[Rule, ...] = (
    rule(T.FAILED_ATTEMPT, "未妥投"),
    rule(T.PICKED_UP, "收寄", unless="退回 退件"),
)

FAMILIES: dict[str, tuple[Rule, ...]] = {
    "express": EXPRESS,
    "jd": JD_WAREHOUSE + EXPRESS,
    "postal": POSTAL + EXPRESS,
}
DEFAULT_FAMILY = "express"


@lru_cache(maxsize=1 << 16)  # a push re-sends a parcel's whole history: each text is read once
def infer_status(text: str, family: str = DEFAULT_FAMILY, overrides: tuple[Rule, ...] = ()) -> T | None:
    """The status an event's text describes, or None when no rule of the family knows the text.

    `overrides` (a carrier's own rules) are tried first; an unknown family reads as the express family.
    """
    if not text:
        return None
    for candidate in (*overrides, *FAMILIES.get(family, EXPRESS)):
        if candidate.matches(text):
            return candidate.status
    return None
