"""Roles and what each may do: a pure table, no I/O.

A face asks `may(role, permission)`; nothing else decides access. Shop scoping (which shops a user sees) is
separate: it comes from the user's grants (see `service.shops_for`).
"""

from __future__ import annotations

from enum import StrEnum

from lanshou.accounts.errors import AccountError


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
