"""Stock (库存): every SKU per warehouse with the low ones flagged, filters, and a manual adjustment form
(CSRF-checked, for the roles that manage stock). Stock is per warehouse, not per shop."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lanshou.accounts.model import User
from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep
from lanshou.web.rendering import reason_for, render
from lanshou.web.security import page_router, require_page

router = page_router()
StockUser = Annotated[User, Depends(require_page(Permission.STOCK_MANAGE))]
MAX_DELTA = 1_000_000_000


def _page(
    request: Request, engine: EngineDep, sku: str, low: bool, error: str = "", status: int = 200
) -> HTMLResponse:
    from lanshou.inventory.queries import list_stock

    sku = sku.replace("\x00", "").strip()[:200]
    with engine.connect() as conn:
        rows = list_stock(conn, low=low, sku=sku or None)
    context = {"rows": rows, "sku": sku, "low": low, "error": error, "done": request.query_params.get("done")}
    return render(request, "stock.html", context, status=status)


@router.get("/stock", response_class=HTMLResponse)
def stock_page(
    request: Request, user: StockUser, engine: EngineDep, sku: str = "", low: str = ""
) -> Response:
    return _page(request, engine, sku, bool(low))


@router.post("/stock/adjust")
def adjust_form(
    request: Request,
    user: StockUser,
    engine: EngineDep,
    sku: Annotated[str, Form(max_length=200)] = "",
    warehouse: Annotated[str, Form(max_length=64)] = "main",
    delta: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    from lanshou.inventory.counts import StockError, adjust
    from lanshou.tracking.record import utc_now

    sku, warehouse = sku.replace("\x00", "").strip(), warehouse.replace("\x00", "").strip()
    try:
        amount = int(delta.strip())
    except ValueError:
        return _page(request, engine, sku, False, "stock.bad_delta", status=422)
    if not -MAX_DELTA <= amount <= MAX_DELTA:
        return _page(request, engine, sku, False, "stock.bad_delta", status=422)
    try:
        adjust(engine, sku, warehouse, amount, utc_now(), user.name, reason.replace("\x00", ""))
    except StockError as exc:
        return _page(request, engine, sku, False, reason_for(request, exc), status=409)
    return RedirectResponse(f"/stock?done={quote(f'{amount:+d}')}", status_code=303)
