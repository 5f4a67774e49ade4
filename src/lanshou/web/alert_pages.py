"""Parcel alerts (物流预警) of the user's shops; acknowledging and resolving them (CSRF-checked forms, for
the roles that ship)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep
from lanshou.web.rendering import render
from lanshou.web.scope import page_scope, read_position
from lanshou.web.security import PageUser, local_path, page_router, require_page

router = page_router()


PAGE_SIZE = 100  # alerts a page shows; the rest are keyset pages away (`?after=`)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request,
    user: PageUser,
    engine: EngineDep,
    shop: str = "",
    all: str = "",
    kind: str = "",
    after: str = "",
) -> Response:
    from lanshou.api.pagination import encode_cursor
    from lanshou.db.paging import MOMENT_CURSOR, Moment, cut
    from lanshou.sla.alert_list import count_by_kind, list_alerts, position_of
    from lanshou.sla.alerts import AlertKind
    from lanshou.tracking.record import utc_now

    scope = page_scope(engine, user, shop)
    chosen = kind if kind in set(AlertKind) else ""
    start = read_position(after, MOMENT_CURSOR, Moment.from_cursor)
    found = list_alerts(
        engine,
        utc_now(),
        include_resolved=bool(all),
        kind=chosen or None,
        limit=PAGE_SIZE + 1,
        shop_ids=scope.shop_ids,
        after=start,
    )
    rows, last = cut(found, PAGE_SIZE, position_of)
    ids = {s.label: s.id for s in scope.granted}
    for row in rows:
        for entry in row["orders"]:
            entry["shop_id"] = ids.get(f"{entry['platform']}/{entry['shop']}", 0)
    counts = count_by_kind(engine, include_resolved=bool(all), shop_ids=scope.shop_ids)
    context = {
        "scope": scope,
        "rows": rows,
        "all": bool(all),
        "kind": chosen,
        "kinds": [(k.value, counts.get(k.value, 0)) for k in AlertKind],
        "total": sum(counts.values()),
        "may_act": user.may(Permission.ORDERS_SHIP),
        "filters": {"shop": scope.shop, "all": "1" if all else "", "kind": chosen},
        "next_after": encode_cursor(last.as_cursor()) if last else None,
        "paged": start is not None,
    }
    return render(request, "alerts.html", context)


@router.post("/alerts/{alert_id}/{action}")
def act_on_alert(
    request: Request,
    user: PageUser,
    engine: EngineDep,
    alert_id: int,
    action: str,
    note: Annotated[str, Form(max_length=1000)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/alerts",
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
    return RedirectResponse(local_path(back, "/alerts"), status_code=303)  # the same filters and page
