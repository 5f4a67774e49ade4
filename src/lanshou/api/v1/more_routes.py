"""Stock, notification log, carrier scorecard, rule and statistics routes, listed in `ROUTERS`."""

from __future__ import annotations

from lanshou.api.v1 import aftersales, carriers, notifications, rules, stats, stock
from lanshou.api.v1.buyers import router as buyers_router
from lanshou.api.v1.followups import router as followups_router

MORE_ROUTERS = (
    stock.router,
    notifications.router,
    carriers.router,
    rules.router,
    stats.router,
    followups_router,
    buyers_router,
    aftersales.router,
)
