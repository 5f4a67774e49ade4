"""The carrier scorecard (线路表现): carrier × destination lanes of the user's shops."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from lanshou.accounts.model import User
from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep
from lanshou.web.rendering import render
from lanshou.web.scope import page_scope
from lanshou.web.security import page_router, require_page

router = page_router()
MetricsUser = Annotated[User, Depends(require_page(Permission.METRICS_READ))]
WINDOWS = (7, 30, 60, 90)


@router.get("/carriers", response_class=HTMLResponse)
def carriers_page(
    request: Request, user: MetricsUser, engine: EngineDep, shop: str = "", days: str = ""
) -> Response:
    from lanshou.shipping.store import measured_lanes

    scope = page_scope(engine, user, shop)
    window = int(days) if days.isdigit() and int(days) in WINDOWS else 60
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.connect() as conn:
        lanes = [lane.as_json() for lane in measured_lanes(conn, now, window, scope.shop_ids)]
    context = {"scope": scope, "lanes": lanes, "days": window, "windows": WINDOWS}
    return render(request, "carriers.html", context)
