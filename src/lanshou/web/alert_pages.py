"""Parcel alerts (物流预警) of the user's shops; acknowledging and resolving them (CSRF-checked forms, for
the roles that ship)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep
from lanshou.web.rendering import render
from lanshou.web.scope import page_scope
from lanshou.web.security import PageUser, page_router, require_page

router = page_router()


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request, user: PageUser, engine: EngineDep, shop: str = "", all: str = ""
) -> Response:
    from lanshou.sla.alert_list import list_alerts
    from lanshou.tracking.record import utc_now

    scope = page_scope(engine, user, shop)
    rows = list_alerts(engine, utc_now(), include_resolved=bool(all), limit=500, shop_ids=scope.shop_ids)
    ids = {s.label: s.id for s in scope.granted}
    for row in rows:
        for entry in row["orders"]:
            entry["shop_id"] = ids.get(f"{entry['platform']}/{entry['shop']}", 0)
    context = {"scope": scope, "rows": rows, "all": bool(all), "may_act": user.may(Permission.ORDERS_SHIP)}
    return render(request, "alerts.html", context)


@router.post("/alerts/{alert_id}/{action}")
def act_on_alert(
    request: Request,
    user: PageUser,
    engine: EngineDep,
    alert_id: int,
    action: str,
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    from lanshou.sla.alert_store import AlertClosed, AlertNotFound, acknowledge, resolve
    from lanshou.tracking.record import utc_now

    require_page(Permission.ORDERS_SHIP)(user)
    if action not in ("ack", "resolve") or not 0 < alert_id < 2**31:
        raise HTTPException(404)
    scope = page_scope(engine, user, None)
    act = resolve if action == "resolve" else acknowledge
    try:
        act(engine, alert_id, user.name, utc_now(), note.replace("\x00", ""), shop_ids=scope.shop_ids)
    except AlertNotFound:
        raise HTTPException(404) from None
    except AlertClosed:
        pass  # resolved meanwhile (by someone else, or the scan): the list shows it so
    return RedirectResponse("/alerts", status_code=303)
