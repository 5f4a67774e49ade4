"""Stock, notification log, carrier scorecard, rule and statistics routes, listed in `ROUTERS`."""

from __future__ import annotations

from lanshou.api.v1 import carriers, notifications, rules, stats, stock

MORE_ROUTERS = (stock.router, notifications.router, carriers.router, rules.router, stats.router)
