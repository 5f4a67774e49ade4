"""Stock, notification log, carrier scorecard and rule routes, listed in `ROUTERS`."""

from __future__ import annotations

from lanshou.api.v1 import carriers, notifications, rules, stock

MORE_ROUTERS = (stock.router, notifications.router, carriers.router, rules.router)
