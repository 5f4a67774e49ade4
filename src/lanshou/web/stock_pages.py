"""Stock (库存): every SKU per warehouse with the low ones flagged, filters, and a manual adjustment form
(CSRF-checked, for the roles that manage stock) naming one of the existing warehouses. A user sees and
adjusts the SKUs their shops sell (`lanshou.inventory.scope`): another SKU is a page that does not exist."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lanshou.accounts.model import User
from lanshou.accounts.roles import Permission
from lanshou.api.deps import EngineDep
from lanshou.web.rendering import reason_for, render
from lanshou.web.scope import PageScope, page_scope
from lanshou.web.security import page_router, require_page

router = page_router()
StockUser = Annotated[User, Depends(require_page(Permission.STOCK_MANAGE))]
MAX_DELTA = 1_000_000_000


def _clean(text: str) -> str:
    return text.replace("\x00", "").strip()


def _page(
    request: Request,
    engine: EngineDep,
    scope: PageScope,
    sku: str,
    low: bool,
    warehouse: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    from lanshou.inventory.counts import warehouse_codes
    from lanshou.inventory.queries import list_stock
    from lanshou.inventory.scope import stock_scope

    sku = _clean(sku)[:200]
    with engine.connect() as conn:
        visible = stock_scope(conn, scope.shop_ids, scope.every_shop)
        rows = list_stock(conn, low=low, sku=sku or None, scope=visible)
        sites = warehouse_codes(conn)
        own = warehouse_codes(conn, sku) if sku and visible.covers(sku) else []
    context = {
        "scope": scope,
        "rows": rows,
        "sku": sku,
        "low": low,
        "warehouses": sites,
        "chosen": warehouse or (own[0] if len(own) == 1 else ""),
        "error": error,
        "done": request.query_params.get("done"),
    }
    return render(request, "stock.html", context, status=status)


@router.get("/stock", response_class=HTMLResponse)
def stock_page(
    request: Request, user: StockUser, engine: EngineDep, sku: str = "", low: str = "", shop: str = ""
) -> Response:
    return _page(request, engine, page_scope(engine, user, shop), sku, bool(low))


@router.post("/stock/adjust")
def adjust_form(
    request: Request,
    user: StockUser,
    engine: EngineDep,
    sku: Annotated[str, Form(max_length=200)] = "",
    warehouse: Annotated[str, Form(max_length=64)] = "",
    delta: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    from lanshou.inventory.counts import StockError, adjust
    from lanshou.inventory.scope import SkuNotFound, stock_scope
    from lanshou.tracking.record import utc_now

    scope = page_scope(engine, user, None)
    sku, warehouse = _clean(sku), _clean(warehouse)
    try:
        amount = int(delta.strip())
    except ValueError:
        amount = 0
    if amount == 0 or not -MAX_DELTA <= amount <= MAX_DELTA:
        return _page(request, engine, scope, sku, False, warehouse, "stock.bad_delta", status=422)
    with engine.connect() as conn:
        visible = stock_scope(conn, scope.shop_ids, scope.every_shop)
    try:
        adjust(engine, sku, warehouse, amount, utc_now(), user.name, reason.replace("\x00", ""), visible)
    except SkuNotFound:
        raise HTTPException(404) from None
    except StockError as exc:
        return _page(request, engine, scope, sku, False, warehouse, reason_for(request, exc), status=409)
    return RedirectResponse(f"/stock?done={quote(f'{amount:+d}')}", status_code=303)
