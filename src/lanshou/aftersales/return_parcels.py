"""A parcel's track for the users of some shops, return parcels included (`/tracking/{no}`, the API's
`GET /api/v1/tracking/{no}`).

The tracking area lets a user see a parcel that carries an order of their shops. A case's return parcel
carries none (the buyer sends it), yet it is the shop's to follow: the after-sales page links it. So a
parcel is shown to the users of the shops with a case coming back in it, naming only their orders, unless the
number is some shop's outbound parcel (then only that shop's users see it).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Engine

from lanshou.aftersales.store import return_parcel_shops
from lanshou.shops.store import load_shops
from lanshou.tracking.queries import parcel_shops
from lanshou.tracking.show import UnknownParcel, parcel_view


def parcel_for_shops(
    engine: Engine, tracking_no: str, shop_ids: Collection[int], timezone: str | None = None
) -> dict[str, Any]:
    """`tracking show` of the parcel, if it is one of these shops' parcels or return parcels; else
    UnknownParcel."""
    try:
        return parcel_view(engine, tracking_no, timezone, shop_ids=shop_ids)
    except UnknownParcel:
        number = tracking_no.strip()
        with engine.connect() as conn:
            # a number some shop shipped under is that shop's outbound parcel, not a return: a buyer's typo
            # (or a made-up number) on a case must not open another shop's track
            if parcel_shops(conn, number) or not return_parcel_shops(conn, number) & set(shop_ids):
                raise
            shops = load_shops(conn)
    view = parcel_view(engine, number, timezone)
    theirs = {(shops[i].platform, shops[i].shop) for i in shop_ids if i in shops}
    view["orders"] = [o for o in view["orders"] if (o["platform"], o["shop"]) in theirs]
    return view
