"""The stock, notification log, carrier scorecard, rule and statistics pages, listed in `PAGE_ROUTERS`."""

from __future__ import annotations

from lanshou.web import aftersales_pages, carrier_pages, notify_pages, rule_pages, stats_pages, stock_pages
from lanshou.web.buyer_pages import router as buyers_router
from lanshou.web.followup_pages import router as followups_router

MORE_ROUTERS = (
    stock_pages.router,
    notify_pages.router,
    carrier_pages.router,
    rule_pages.router,
    stats_pages.router,
    followups_router,
    buyers_router,
    aftersales_pages.router,
)
