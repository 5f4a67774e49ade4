"""Roles and what each may do: a pure table, no I/O.

A face asks `may(role, permission)`; nothing else decides access. Shop scoping (which shops a user sees) is
separate: it comes from the user's grants (see `service.shops_for`).
"""

from __future__ import annotations

from enum import StrEnum

from lanshou.accounts.errors import AccountError
from lanshou.bilingual import Bilingual


class Role(StrEnum):
    OWNER = "owner"
    OPERATOR = "operator"
    WAREHOUSE = "warehouse"
    CUSTOMER_SERVICE = "customer_service"


class Permission(StrEnum):
    ORDERS_READ = "orders.read"
    ORDERS_REVIEW = "orders.review"
    ORDERS_SHIP = "orders.ship"
    STOCK_MANAGE = "stock.manage"
    LABELS_PRINT = "labels.print"
    AFTERSALES_MANAGE = "aftersales.manage"  # agree to or refuse a case: customer service's decision
    AFTERSALES_RECEIVE = "aftersales.receive"  # record a returned parcel received and inspected
    NOTIFICATIONS_MANAGE = "notifications.manage"
    METRICS_READ = "metrics.read"
    EXPORTS_RUN = "exports.run"
    BUYER_DATA_VIEW = "buyer_data.view"  # receivers' phone numbers and addresses unmasked
    USERS_MANAGE = "users.manage"


P = Permission

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.OPERATOR: frozenset(
        {P.ORDERS_READ, P.ORDERS_REVIEW, P.ORDERS_SHIP, P.LABELS_PRINT, P.METRICS_READ, P.EXPORTS_RUN}
    ),
    # the warehouse packs and ships (批量发货: waybills and labels, which carry the full address, while lists
    # show it masked) and follows up its parcels' alerts; it opens the returned parcels and inspects the
    # goods, so it records a return received (restock or write-off). Which orders ship is review's call.
    Role.WAREHOUSE: frozenset(
        {P.ORDERS_READ, P.ORDERS_SHIP, P.STOCK_MANAGE, P.LABELS_PRINT, P.AFTERSALES_RECEIVE}
    ),
    # customer service calls buyers back, so it sees their phone numbers and addresses
    Role.CUSTOMER_SERVICE: frozenset(
        {P.ORDERS_READ, P.AFTERSALES_MANAGE, P.AFTERSALES_RECEIVE, P.NOTIFICATIONS_MANAGE, P.BUYER_DATA_VIEW}
    ),
}

ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.OWNER: ("店主", "Owner"),
    Role.OPERATOR: ("运营", "Operator"),
    Role.WAREHOUSE: ("仓库", "Warehouse"),
    Role.CUSTOMER_SERVICE: ("客服", "Customer service"),
}

# what each permission lets a person do, in words (a refusal names it so)
PERMISSION_LABELS: dict[Permission, tuple[str, str]] = {
    P.ORDERS_READ: ("查看订单", "view orders"),
    P.ORDERS_REVIEW: ("审单", "review orders"),
    P.ORDERS_SHIP: ("发货", "ship orders"),
    P.STOCK_MANAGE: ("管理库存", "manage stock"),
    P.LABELS_PRINT: ("打印面单", "print labels"),
    P.AFTERSALES_MANAGE: ("处理售后", "handle after-sales cases"),
    P.AFTERSALES_RECEIVE: ("退货收货验收", "receive returns"),
    P.NOTIFICATIONS_MANAGE: ("管理买家通知", "manage buyer notifications"),
    P.METRICS_READ: ("查看物流指标", "view logistics metrics"),
    P.EXPORTS_RUN: ("导出数据", "run exports"),
    P.BUYER_DATA_VIEW: ("查看买家信息", "see buyer data"),
    P.USERS_MANAGE: ("管理用户", "manage users"),
}


def not_allowed(role: Role, permission: Permission) -> Bilingual:
    """The refusal of a step the role may not take, naming the permission and the role in words:
    "无权限: 管理库存（运营） / not allowed: manage stock (operator)"."""
    (what_zh, what_en), (role_zh, role_en) = PERMISSION_LABELS[permission], ROLE_LABELS[role]
    return Bilingual.slashed(f"无权限: {what_zh}（{role_zh}）", f"not allowed: {what_en} ({role_en.lower()})")


_ALIASES: dict[str, Role] = {
    **{role.value: role for role in Role},
    "customer-service": Role.CUSTOMER_SERVICE,
    "cs": Role.CUSTOMER_SERVICE,
    **{zh: role for role, (zh, _en) in ROLE_LABELS.items()},
}


class UnknownRole(AccountError):
    def __init__(self, text: str) -> None:
        known = ", ".join(role.value for role in Role)
        super().__init__(f"未知角色 unknown role {text!r}; one of {known}")


def parse_role(text: str) -> Role:
    """A role from its name, a dashed spelling or its Chinese label."""
    role = _ALIASES.get(text.strip().lower())
    if role is None:
        raise UnknownRole(text)
    return role


def may(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
