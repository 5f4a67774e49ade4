"""The menu: each entry shows only to roles with its permission (None: everyone signed in).

Entries with `ready=False` are the slots of pages other areas bring (review, shipping, stock,
notifications): shown greyed out, not links, until their pages land."""

from __future__ import annotations

from dataclasses import dataclass

from lanshou.accounts.model import User
from lanshou.accounts.roles import Permission


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # message key
    permission: Permission | None = None
    ready: bool = True


NAV: tuple[NavItem, ...] = (
    NavItem("/", "nav.overview"),
    NavItem("/queue", "nav.queue"),
    NavItem("/orders", "nav.orders"),
    NavItem("/alerts", "nav.alerts"),
    # every role may read cases; agreeing and refusing take AFTERSALES_MANAGE, receiving AFTERSALES_RECEIVE
    NavItem("/aftersales", "nav.aftersales"),
    NavItem("/followups", "nav.followups"),
    NavItem("/buyers", "nav.buyers"),
    NavItem("/misses", "nav.misses", Permission.METRICS_READ),
    NavItem("/review", "nav.review", Permission.ORDERS_REVIEW),
    NavItem("/ship", "nav.ship", Permission.ORDERS_SHIP),
    NavItem("/stock", "nav.stock", Permission.STOCK_MANAGE),
    NavItem("/notifications", "nav.notifications", Permission.NOTIFICATIONS_MANAGE),
    NavItem("/carriers", "nav.carriers", Permission.METRICS_READ),
    NavItem("/stats", "nav.stats", Permission.METRICS_READ),
    NavItem("/rules", "nav.rules", Permission.ORDERS_REVIEW),
)


def nav_for(user: User | None) -> list[NavItem]:
    if user is None:
        return []
    return [item for item in NAV if item.permission is None or user.may(item.permission)]
