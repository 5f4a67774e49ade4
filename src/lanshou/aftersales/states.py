"""The after-sales state machine, and each platform's raw statuses mapped onto it.

A case moves only through `transition(status, action)`; anything the table does not list is refused with a
reason naming what was asked and what is allowed, and nothing changes. A platform's status arrives through
`taobao_case`, `taobao_export_case`, `douyin_case` or `pdd_case`, which return a `PlatformCase` keeping the
raw value; a value no table knows gives "unknown platform status X", never an exception.

Sources (WIRE-FORMATS.md §8): Taobao `Refund.status` and `dispute_type` —
bububa/opentaobao:model/tbrefund/Refund.go (the seller-centre export's 退款状态 is the enum's Chinese text);
Douyin `aftersale_type`, `aftersale_status` — zsmhub/doudian-sdk:api/afterSale_List/response/
afterSale_List_response.go; PDD `after_sales_status` — lywzx/pdd-node-sdk:packages/pdd-origin-api/src/
dingDan/PddOrderListGet.ts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lanshou.bilingual import Bilingual


class AfterSaleRefused(ValueError):
    """A refund, return or move refused; the message says what and why (Chinese first, English beside)."""


def refused(zh: str, en: str) -> Bilingual:
    """A refusal's reason: "拒绝 refused: 中文 / English" for the CLI and the API, each half for a page."""
    return Bilingual(f"拒绝：{zh}", f"refused: {en}", f"拒绝 refused: {zh} / {en}")


class CaseType(StrEnum):
    REFUND_UNSHIPPED = "refund_unshipped"  # 仅退款（未发货）
    REFUND_SHIPPED = "refund_shipped"  # 仅退款（已发货）
    RETURN_REFUND = "return_refund"  # 退货退款
    EXCHANGE = "exchange"  # 换货
    RESHIP = "reship"  # 补发 / 补寄
    PRICE_PROTECTION = "price_protection"  # 价保
    REPAIR = "repair"  # 维修 (Taobao REPAIR, PDD 21–27): no Lanshou flow of its own, but it exists


class CaseStatus(StrEnum):
    REQUESTED = "requested"  # 待商家处理: the buyer asked
    AGREED = "agreed"  # 已同意: money (or the reshipment) is on its way, no goods to come back
    WAITING_RETURN = "waiting_return"  # 待买家退货
    RETURNED = "returned"  # 买家已退货: the return parcel is on its way
    RECEIVED = "received"  # 商家已收到退货
    RESHIPPED = "reshipped"  # 已发出换货/补寄/维修件, waiting for the buyer
    REFUNDED = "refunded"  # 退款成功 (end)
    COMPLETED = "completed"  # 换货/补寄/维修完成, no money moved (end)
    REFUSED = "refused"  # 商家拒绝: the buyer may change the request or the platform may step in
    CLOSED = "closed"  # 关闭 / 撤销 (end)


class Action(StrEnum):
    AGREE = "agree"  # 同意 (refund, or reship, with nothing to send back)
    AGREE_RETURN = "agree_return"  # 同意退货: the goods come back first
    REFUSE = "refuse"  # 拒绝
    BUYER_RETURN = "buyer_return"  # 买家寄回
    RECEIVE = "receive"  # 确认收到退货
    REFUND = "refund"  # 退款到账
    RESHIP = "reship"  # 发出换货 / 补寄 / 维修件
    COMPLETE = "complete"  # 买家确认收到
    REAPPLY = "reapply"  # 买家修改后重新申请
    CLOSE = "close"  # 买家撤销 / 超时关闭 / 平台关闭


S, A = CaseStatus, Action

# The whole machine. REFUND straight from REQUESTED is the platforms' fast refund (极速退款 / 未发货秒退);
# AGREE or AGREE_RETURN from REFUSED is the platform stepping in for the buyer (客服介入).
TRANSITIONS: dict[tuple[CaseStatus, Action], CaseStatus] = {
    (S.REQUESTED, A.AGREE): S.AGREED,
    (S.REQUESTED, A.AGREE_RETURN): S.WAITING_RETURN,
    (S.REQUESTED, A.REFUSE): S.REFUSED,
    (S.REQUESTED, A.REFUND): S.REFUNDED,
    (S.REQUESTED, A.CLOSE): S.CLOSED,
    (S.AGREED, A.REFUND): S.REFUNDED,
    (S.AGREED, A.RESHIP): S.RESHIPPED,
    (S.AGREED, A.CLOSE): S.CLOSED,
    (S.WAITING_RETURN, A.BUYER_RETURN): S.RETURNED,
    (S.WAITING_RETURN, A.CLOSE): S.CLOSED,
    (S.RETURNED, A.RECEIVE): S.RECEIVED,
    (S.RETURNED, A.REFUSE): S.REFUSED,
    (S.RECEIVED, A.REFUND): S.REFUNDED,
    (S.RECEIVED, A.RESHIP): S.RESHIPPED,
    (S.RECEIVED, A.REFUSE): S.REFUSED,
    (S.RESHIPPED, A.COMPLETE): S.COMPLETED,
    (S.REFUSED, A.REAPPLY): S.REQUESTED,
    (S.REFUSED, A.AGREE): S.AGREED,
    (S.REFUSED, A.AGREE_RETURN): S.WAITING_RETURN,
    (S.REFUSED, A.CLOSE): S.CLOSED,
}

FINAL = frozenset({S.REFUNDED, S.COMPLETED, S.CLOSED})
# Where a case stops without its goods sent: an end other than 已完成 (which follows 已发出), or a refusal
# (the buyer or the platform may still act on it, but nothing is to go out meanwhile).
SENDS_NOTHING = (FINAL - {S.COMPLETED}) | {S.REFUSED}
_COMMON = frozenset({A.REFUSE, A.REAPPLY, A.CLOSE})

# Which actions make sense for which kind of case (a refund-only case has no return parcel to receive).
ACTIONS_BY_TYPE: dict[CaseType, frozenset[Action]] = {
    CaseType.REFUND_UNSHIPPED: _COMMON | {A.AGREE, A.REFUND},
    CaseType.REFUND_SHIPPED: _COMMON | {A.AGREE, A.REFUND},
    CaseType.RETURN_REFUND: _COMMON | {A.AGREE_RETURN, A.BUYER_RETURN, A.RECEIVE, A.REFUND},
    CaseType.EXCHANGE: _COMMON | {A.AGREE_RETURN, A.BUYER_RETURN, A.RECEIVE, A.RESHIP, A.COMPLETE},
    CaseType.RESHIP: _COMMON | {A.AGREE, A.RESHIP, A.COMPLETE},
    CaseType.PRICE_PROTECTION: _COMMON | {A.AGREE, A.REFUND},
    CaseType.REPAIR: _COMMON | {A.AGREE_RETURN, A.BUYER_RETURN, A.RECEIVE, A.RESHIP, A.COMPLETE},
}

# Kinds that end without money changing hands: their platform "success" is COMPLETED, not REFUNDED.
NO_MONEY_TYPES = frozenset({CaseType.EXCHANGE, CaseType.RESHIP, CaseType.REPAIR})

STATUS_TITLES: dict[CaseStatus, str] = {
    S.REQUESTED: "待处理",
    S.AGREED: "已同意",
    S.WAITING_RETURN: "待买家退货",
    S.RETURNED: "买家已退货",
    S.RECEIVED: "已收到退货",
    S.RESHIPPED: "已发出",
    S.REFUNDED: "退款成功",
    S.COMPLETED: "已完成",
    S.REFUSED: "已拒绝",
    S.CLOSED: "已关闭",
}
ACTION_TITLES: dict[Action, str] = {
    A.AGREE: "同意",
    A.AGREE_RETURN: "同意退货",
    A.REFUSE: "拒绝",
    A.BUYER_RETURN: "买家退货",
    A.RECEIVE: "确认收货",
    A.REFUND: "退款",
    A.RESHIP: "发货",
    A.COMPLETE: "完成",
    A.REAPPLY: "重新申请",
    A.CLOSE: "关闭",
}


def _parse(kind: type[StrEnum], value: str, what: str) -> StrEnum:
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(member.value for member in kind)
        raise AfterSaleRefused(
            refused(f"未知{what} {value!r}", f"unknown {kind.__name__} {value!r} (known: {known})")
        ) from None


def as_status(value: CaseStatus | str) -> CaseStatus:
    return CaseStatus(_parse(CaseStatus, value, "状态"))


def as_action(value: Action | str) -> Action:
    return Action(_parse(Action, value, "操作"))


def as_case_type(value: CaseType | str) -> CaseType:
    return CaseType(_parse(CaseType, value, "类型"))


def allowed_actions(status: CaseStatus | str, case_type: CaseType | None = None) -> list[Action]:
    """What may be done next to a case in `status` (of `case_type`, when given), in table order."""
    current = as_status(status)
    fits = ACTIONS_BY_TYPE[case_type] if case_type is not None else frozenset(Action)
    return [action for (start, action) in TRANSITIONS if start == current and action in fits]


def transition(
    status: CaseStatus | str, action: Action | str, case_type: CaseType | None = None
) -> CaseStatus:
    """The status after `action`, or AfterSaleRefused naming the move and what is allowed instead."""
    current, wanted = as_status(status), as_action(action)
    if case_type is not None and wanted not in ACTIONS_BY_TYPE[case_type]:
        raise AfterSaleRefused(
            refused(
                f"{case_type.value} 售后不能「{ACTION_TITLES[wanted]}」",
                f"a {case_type.value} case has no {wanted.value!r} step",
            )
        )
    found = TRANSITIONS.get((current, wanted))
    if found is None:
        allowed = (
            ", ".join(a.value for a in allowed_actions(current, case_type)) or "none: the case is finished"
        )
        raise AfterSaleRefused(
            refused(
                f"「{STATUS_TITLES[current]}」的售后不能「{ACTION_TITLES[wanted]}」",
                f"cannot {wanted.value!r} a case that is {current.value!r} (allowed: {allowed})",
            )
        )
    return found


# --- platform statuses ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformCase:
    """A platform's after-sales status read onto ours; the raw value is kept as the platform sent it."""

    platform: str
    raw: str
    case_type: CaseType | None
    status: CaseStatus | None
    problem: str = ""  # set when something is not in the tables: nothing is guessed

    @property
    def known(self) -> bool:
        return not self.problem


def _unknown(platform: str, raw: str, what: str = "status") -> PlatformCase:
    return PlatformCase(
        platform, raw, None, None, f"未知平台状态 unknown platform {what} {raw!r} ({platform})"
    )


def _mapped(platform: str, raw: str, case_type: CaseType, status: CaseStatus) -> PlatformCase:
    if status is S.REFUNDED and case_type in NO_MONEY_TYPES:
        status = S.COMPLETED  # "售后成功" of an exchange or reship moved goods, not money
    return PlatformCase(platform, raw, case_type, status)


def refund_only(shipped: bool) -> CaseType:
    return CaseType.REFUND_SHIPPED if shipped else CaseType.REFUND_UNSHIPPED


# Taobao/Tmall TOP `Refund.status` (the same enum as `Order.refund_status`).
TAOBAO_STATUS: dict[str, CaseStatus] = {
    "WAIT_SELLER_AGREE": S.REQUESTED,  # 买家已经申请退款，等待卖家同意
    "WAIT_BUYER_RETURN_GOODS": S.WAITING_RETURN,  # 卖家已经同意退款，等待买家退货
    "WAIT_SELLER_CONFIRM_GOODS": S.RETURNED,  # 买家已经退货，等待卖家确认收货
    "SELLER_REFUSE_BUYER": S.REFUSED,  # 卖家拒绝退款
    "CLOSED": S.CLOSED,  # 退款关闭
    "SUCCESS": S.REFUNDED,  # 退款成功
}
# Taobao `dispute_type`; REFUND (仅退款) is before or after shipping, which only the order tells (`shipped`).
TAOBAO_TYPE: dict[str, CaseType | None] = {
    "REFUND": None,
    "REFUND_AND_RETURN": CaseType.RETURN_REFUND,
    "TMALL_EXCHANGE": CaseType.EXCHANGE,
    "TAOBAO_EXCHANGE": CaseType.EXCHANGE,
    "REPAIR": CaseType.REPAIR,
    "RESHIPPING": CaseType.RESHIP,  # 补寄
}
# The seller-centre refund export's 退款状态 column: the enum's Chinese text.
TAOBAO_EXPORT_STATUS: dict[str, CaseStatus] = {
    "买家已经申请退款,等待卖家同意": S.REQUESTED,
    "卖家已经同意退款,等待买家退货": S.WAITING_RETURN,
    "买家已经退货,等待卖家确认收货": S.RETURNED,
    "卖家拒绝退款": S.REFUSED,
    "退款关闭": S.CLOSED,
    "退款成功": S.REFUNDED,
}


def taobao_case(status: str, dispute_type: str = "REFUND", *, shipped: bool) -> PlatformCase:
    """A TOP refund (`status`, `dispute_type`); `shipped` tells refund-only before or after shipping."""
    raw = f"{status}/{dispute_type}"
    if dispute_type not in TAOBAO_TYPE:
        return _unknown("taobao", raw, "dispute_type")
    found = TAOBAO_STATUS.get(status.strip().upper())
    if found is None:
        return _unknown("taobao", raw)
    return _mapped("taobao", raw, TAOBAO_TYPE[dispute_type] or refund_only(shipped), found)


def taobao_export_case(status_text: str, *, needs_return: bool, shipped: bool) -> PlatformCase:
    """A refund-export row: 退款状态 text, 是否需要退货 (needs_return), whether the order shipped."""
    key = status_text.strip().replace("，", ",").replace(" ", "")  # full- or half-width comma, stray spaces
    found = TAOBAO_EXPORT_STATUS.get(key)
    if found is None:
        return _unknown("taobao", status_text)
    case_type = CaseType.RETURN_REFUND if needs_return else refund_only(shipped)
    return _mapped("taobao", status_text, case_type, found)


# Douyin afterSale.List `aftersale_type` and `aftersale_status`.
DOUYIN_TYPE: dict[int, CaseType] = {
    0: CaseType.RETURN_REFUND,  # 退货退款
    1: CaseType.REFUND_SHIPPED,  # 已发货仅退款
    2: CaseType.REFUND_UNSHIPPED,  # 未发货仅退款
    3: CaseType.EXCHANGE,  # 换货
    6: CaseType.PRICE_PROTECTION,  # 价保
    7: CaseType.RESHIP,  # 补寄
}
DOUYIN_STATUS: dict[int, CaseStatus] = {
    3: S.RESHIPPED,  # 换货待买家收货
    6: S.REQUESTED,  # 待商家同意
    7: S.WAITING_RETURN,  # 待买家退货
    8: S.AGREED,  # 待商家发货 (a reship the seller agreed to)
    11: S.RETURNED,  # 待商家二次同意: the buyer sent it back, the seller has to confirm
    12: S.REFUNDED,  # 售后成功 (COMPLETED for an exchange or reship)
    14: S.COMPLETED,  # 换货成功
    27: S.REFUSED,  # 商家一次拒绝
    28: S.CLOSED,  # 售后失败 (also a buyer's own cancellation)
    29: S.REFUSED,  # 商家二次拒绝
}
# Where the same code means another step for one kind of case.
DOUYIN_STATUS_BY_TYPE: dict[tuple[CaseType, int], CaseStatus] = {
    (CaseType.EXCHANGE, 8): S.RECEIVED,  # 待商家发货 in an exchange comes after the return arrived (11)
}


def douyin_case(aftersale_type: int | str, aftersale_status: int | str) -> PlatformCase:
    raw = f"{aftersale_type}/{aftersale_status}"
    try:
        type_code, status_code = int(aftersale_type), int(aftersale_status)
    except ValueError:
        return _unknown("douyin", raw)
    case_type = DOUYIN_TYPE.get(type_code)
    if case_type is None:
        return _unknown("douyin", raw, "aftersale_type")
    found = DOUYIN_STATUS_BY_TYPE.get((case_type, status_code)) or DOUYIN_STATUS.get(status_code)
    if found is None:
        return _unknown("douyin", raw)
    return _mapped("douyin", raw, case_type, found)


# PDD order-level `after_sales_status`: (type, status). A None type is a refund whose kind the order-level
# code does not tell (refund only or return-and-refund): refund-only by `shipped` unless the caller knows.
# 换货补寄 (14–18) covers exchanges and reships alike: read as an exchange unless the caller says reship.
PDD_STATUS: dict[int, tuple[CaseType | None, CaseStatus]] = {
    2: (None, S.REQUESTED),  # 买家申请退款，待商家处理
    3: (CaseType.RETURN_REFUND, S.REQUESTED),  # 退货退款，待商家处理
    4: (None, S.AGREED),  # 商家同意退款，退款中
    5: (None, S.AGREED),  # 平台同意退款，退款中
    6: (None, S.REFUSED),  # 驳回退款，待买家处理
    7: (CaseType.RETURN_REFUND, S.WAITING_RETURN),  # 已同意退货退款，待用户发货
    8: (None, S.REQUESTED),  # 平台处理中: undecided, now in the platform's hands
    9: (None, S.CLOSED),  # 平台拒绝退款，退款关闭
    10: (None, S.REFUNDED),  # 退款成功
    11: (None, S.CLOSED),  # 买家撤销
    12: (None, S.CLOSED),  # 买家逾期未处理，退款失败
    13: (None, S.CLOSED),  # 买家逾期，超过有效期
    14: (CaseType.EXCHANGE, S.REQUESTED),  # 换货补寄待商家处理
    15: (CaseType.EXCHANGE, S.WAITING_RETURN),  # 换货补寄待用户处理
    16: (CaseType.EXCHANGE, S.COMPLETED),  # 换货补寄成功
    17: (CaseType.EXCHANGE, S.CLOSED),  # 换货补寄失败
    18: (CaseType.EXCHANGE, S.RESHIPPED),  # 换货补寄待用户确认完成
    21: (CaseType.REPAIR, S.REQUESTED),  # 待商家同意维修
    22: (CaseType.REPAIR, S.WAITING_RETURN),  # 待用户确认发货
    24: (CaseType.REPAIR, S.CLOSED),  # 维修关闭
    25: (CaseType.REPAIR, S.COMPLETED),  # 维修成功
    27: (CaseType.REPAIR, S.RESHIPPED),  # 待用户确认收货
    31: (CaseType.REFUND_SHIPPED, S.AGREED),  # 已同意拒收退款，待用户拒收
    32: (CaseType.RESHIP, S.AGREED),  # 补寄待商家发货
}


def pdd_case(
    after_sales_status: int | str, *, shipped: bool, case_type: CaseType | None = None
) -> PlatformCase | None:
    """A PDD order's after-sales status; None for 0 (无售后). `case_type` wins when the caller knows it."""
    raw = str(after_sales_status)
    try:
        code = int(after_sales_status)
    except ValueError:
        return _unknown("pdd", raw)
    if code == 0:
        return None
    entry = PDD_STATUS.get(code)
    if entry is None:
        return _unknown("pdd", raw)
    table_type, status = entry
    return _mapped("pdd", raw, case_type or table_type or refund_only(shipped), status)


def route(
    start: CaseStatus | str, goal: CaseStatus | str, case_type: CaseType | None = None
) -> list[Action] | None:
    """The shortest run of allowed actions from `start` to `goal` (empty when they are equal), or None.

    A platform reports snapshots, so an imported case may skip steps (requested → refunded); it may never
    go where the machine cannot lead (refunded → requested)."""
    first, last = as_status(start), as_status(goal)
    fits = ACTIONS_BY_TYPE[case_type] if case_type is not None else frozenset(Action)
    paths: dict[CaseStatus, list[Action]] = {first: []}
    frontier = [first]
    while frontier:
        if last in paths:
            return paths[last]
        following = []
        for status in frontier:
            for (begin, action), end in TRANSITIONS.items():
                if begin == status and action in fits and end not in paths:
                    paths[end] = [*paths[status], action]
                    following.append(end)
        frontier = following
    return paths.get(last)
