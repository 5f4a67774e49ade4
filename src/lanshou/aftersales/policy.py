"""Per-shop after-sales policy and the reasons buyers give: pure, read from the shop's settings.

The policy lives in the shop's settings JSON under "aftersales", every key optional:
    {"return_days": 7,                    # 七天无理由: days after delivery a return may be asked for
     "auto_agree_below": "30.00",         # money-only cases asking less than this are agreed at once
     "seller_pays_return_for": ["quality", "damaged", "wrong_item", "missing", "not_as_described"],
     "window_exempt": [...same default]}  # reasons the window does not apply to (the seller's fault)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from lanshou.aftersales.money import ReturnPolicy, to_money
from lanshou.aftersales.states import AfterSaleRefused, CaseType
from lanshou.config import DEFAULT_TIMEZONE

# code -> (Chinese title, words in a buyer's free text that name it)
REASONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "no_reason": ("七天无理由", ("无理由", "不想要", "拍错", "多拍", "不喜欢", "no reason", "changed mind")),
    "quality": ("质量问题", ("质量", "quality", "defect", "坏了", "故障")),
    "damaged": ("破损", ("破损", "损坏", "压坏", "damaged", "broken")),
    "wrong_item": ("错发", ("错发", "发错", "wrong item", "wrong size")),
    "missing": ("少件/漏发", ("少件", "漏发", "缺件", "missing")),
    "not_as_described": ("描述不符", ("描述不符", "与描述", "not as described")),
    "late": ("发货/物流慢", ("发货慢", "物流慢", "未按约定时间发货", "late", "delay")),
    "price": ("价保", ("价保", "降价", "price protection")),
    "other": ("其他", ()),
}
SELLER_FAULT = frozenset({"quality", "damaged", "wrong_item", "missing", "not_as_described"})
# Case types whose goods come back: the return window applies to them.
RETURN_TYPES = frozenset({CaseType.RETURN_REFUND, CaseType.EXCHANGE})
MONEY_TYPES = frozenset(
    {CaseType.REFUND_UNSHIPPED, CaseType.REFUND_SHIPPED, CaseType.RETURN_REFUND, CaseType.PRICE_PROTECTION}
)


def reason_code(text: str) -> str:
    """A buyer's reason (a code, a Chinese title or free text) -> one of REASONS; "other" when none fits."""
    value = text.strip().lower()
    if value in REASONS:
        return value
    for code, (title, words) in REASONS.items():
        if value == title or any(word in value for word in words):
            return code
    return "other"


@dataclass(frozen=True)
class ShopPolicy:
    return_days: int = 7
    timezone: str = DEFAULT_TIMEZONE
    auto_agree_below: Decimal | None = None
    seller_pays_return_for: frozenset[str] = SELLER_FAULT
    window_exempt: frozenset[str] = SELLER_FAULT

    @property
    def window(self) -> ReturnPolicy:
        return ReturnPolicy(self.return_days, self.timezone)

    def return_shipping_payer(self, case_type: CaseType, reason: str) -> str:
        """Who pays the parcel back: "seller" for the reasons the shop takes on, else "buyer"; "" when
        nothing comes back."""
        if case_type not in RETURN_TYPES and case_type is not CaseType.REPAIR:
            return ""
        return "seller" if reason in self.seller_pays_return_for else "buyer"

    def window_applies(self, case_type: CaseType, reason: str) -> bool:
        return case_type in RETURN_TYPES and reason not in self.window_exempt

    def auto_agrees(self, case_type: CaseType, amount: Decimal) -> bool:
        limit = self.auto_agree_below
        return limit is not None and case_type in MONEY_TYPES and 0 < amount < limit


def policy_from_settings(settings: Mapping[str, object], timezone: str = DEFAULT_TIMEZONE) -> ShopPolicy:
    """The shop's policy from its settings; a bad value is refused naming the key."""
    raw = settings.get("aftersales") or {}
    if not isinstance(raw, Mapping):
        raise AfterSaleRefused("店铺售后设置须为对象 / shop setting 'aftersales' must be an object")
    days = raw.get("return_days", 7)
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise AfterSaleRefused(f"aftersales.return_days {days!r}: 须为非负整数 must be a whole number ≥ 0")
    below = raw.get("auto_agree_below")
    limit = None if below in (None, "") else to_money(str(below), "aftersales.auto_agree_below")
    return ShopPolicy(
        return_days=days,
        timezone=timezone,
        auto_agree_below=limit,
        seller_pays_return_for=_reasons(raw, "seller_pays_return_for"),
        window_exempt=_reasons(raw, "window_exempt"),
    )


def _reasons(raw: Mapping[str, object], key: str) -> frozenset[str]:
    given = raw.get(key)
    if given is None:
        return SELLER_FAULT
    if not isinstance(given, list) or any(not isinstance(code, str) or code not in REASONS for code in given):
        raise AfterSaleRefused(
            f"aftersales.{key} {given!r}: 须为原因代码列表 "
            f"must be a list of reason codes ({', '.join(REASONS)})"
        )
    return frozenset(given)
