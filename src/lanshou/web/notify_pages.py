"""The buyer-notification delivery log (发送记录) of the user's shops, recipients masked."""

from __future__ import annotations

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
NotifyUser = Annotated[User, Depends(require_page(Permission.NOTIFICATIONS_MANAGE))]


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request, user: NotifyUser, engine: EngineDep, shop: str = "", state: str = ""
) -> Response:
    from lanshou.notifications.log import STATES, delivery_log

    scope = page_scope(engine, user, shop)
    chosen = state if state in STATES else None  # a state it cannot read: the page shows them all
    with engine.connect() as conn:
        rows = delivery_log(conn, scope.shop_ids, state=chosen, limit=500)
    names = {s.id: s.label for s in scope.granted}
    for row in rows:
        row["shop"] = names.get(row["shop_id"], "")
    context = {"scope": scope, "rows": rows, "states": STATES, "state": chosen or ""}
    return render(request, "notifications.html", context)
