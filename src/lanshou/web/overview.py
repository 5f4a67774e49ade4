"""The overview: the signed-in user's shops with their order counts (a placeholder for the dashboard)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection, func, select

from lanshou.accounts.service import shops_for
from lanshou.api.deps import EngineDep
from lanshou.orders.tables import orders
from lanshou.web.charts import bar_chart
from lanshou.web.i18n import translator
from lanshou.web.rendering import language_of, render
from lanshou.web.security import PageUser, page_router

router = page_router()


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, user: PageUser, engine: EngineDep) -> Response:
    shops = shops_for(engine, user)
    with engine.connect() as conn:
        counts = order_counts(conn, [shop.id for shop in shops])
    rows = [(shop, counts.get(shop.id, 0)) for shop in shops]
    t = translator(language_of(request))
    chart = bar_chart([(shop.label, total) for shop, total in rows], t("overview.chart")) if rows else None
    return render(request, "overview.html", {"rows": rows, "chart": chart})


def order_counts(conn: Connection, shop_ids: list[int]) -> dict[int, int]:
    """shop id -> orders, counted on the (shop_id, order_no) index alone (a count by status would read
    every order row: 2 s on 200k orders; the dashboard will read rollups for that).

    Belongs to the orders area's read side; it moves there with the dashboard."""
    if not shop_ids:
        return {}
    o = orders.c
    stmt = select(o.shop_id, func.count()).where(o.shop_id.in_(shop_ids)).group_by(o.shop_id)
    return {shop_id: int(total) for shop_id, total in conn.execute(stmt)}
