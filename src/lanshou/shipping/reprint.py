"""`lanshou waybills reprint`: draw again the labels of waybills already taken (a jammed printer, a torn
label), from what is stored: the shipment's waybill and its orders. The number stays the same."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Connection, Engine, select

from lanshou.orders.tables import order_lines, orders
from lanshou.review.queries import split_parts, units_in_part
from lanshou.review.ready import ReadyLine, ReadyShipment
from lanshou.shipping import labels as lb
from lanshou.shipping.labels.model import printed_receiver
from lanshou.shipping.parcels import Waybill, label_for, shop_masks_receiver, shop_sender
from lanshou.shipping.store import HeldWaybill, config_in_force, held_by_tracking
from lanshou.shops.store import load_shops


class ReprintRefused(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Reprint:
    pages: int
    missing: tuple[str, ...]  # numbers no shipment holds


def reprint_labels(
    engine: Engine, carrier: str, numbers: Sequence[str], out: Path, size: str = "100x180"
) -> Reprint:
    with engine.connect() as conn:
        config = config_in_force(conn)
        shops = load_shops(conn)
        held = {h.tracking_no: h for h in held_by_tracking(conn, carrier, list(numbers))}
        found = [held[n] for n in dict.fromkeys(numbers) if n in held]
        made = []
        for h in found:
            settings = shops[h.shop_id].settings if h.shop_id in shops else {}
            sender = shop_sender(settings, config.sender if config else None)
            if sender is None:
                raise ReprintRefused("未配置寄件人 no sender: load a carrier file with [sender]")
            mask = shop_masks_receiver(settings, config.mask_receiver if config else True)
            waybill = Waybill(h.carrier, h.tracking_no, h.sorting_code)
            made.append((label_for(_shipment(conn, h, shops[h.shop_id].shop), waybill, sender), mask))
    missing = tuple(n for n in numbers if n not in held)
    if not made:
        raise ReprintRefused(f"没有可补打的面单 no shipment holds {', '.join(numbers)} ({carrier})")
    # shops may differ on 隐私面单: each label is masked as its shop wants, then drawn as given
    labels = [replace(label, receiver=printed_receiver(label.receiver, mask)) for label, mask in made]
    pages = lb.write_labels(labels, out, size, mask_receiver=False)
    return Reprint(pages, missing)


def _shipment(conn: Connection, held: HeldWaybill, shop: str) -> ReadyShipment:
    o, t = orders.c, order_lines.c
    main = conn.execute(select(orders).where(o.shop_id == held.shop_id, o.order_no == held.order_no)).one()
    lines = conn.execute(
        select(t.order_no, t.sku, t.title, t.quantity, t.category, t.line_key)
        .where(t.shop_id == held.shop_id, t.order_no.in_(held.order_nos))
        .order_by(t.order_no, t.line_key)
    ).all()
    items = [ReadyLine(r.order_no, r.sku, r.title, r.quantity, r.category) for r in lines]
    if held.part:  # one part of a split order (拆单): its own lines, and of a divided line its own units
        parts = split_parts(conn, [(held.shop_id, held.order_no)]).get((held.shop_id, held.order_no), {})
        units = [units_in_part(parts, r.line_key, r.quantity, held.part) for r in lines]
        items = [replace(item, quantity=n) for item, n in zip(items, units, strict=True) if n > 0]
    return ReadyShipment(
        keys=tuple((held.shop_id, n) for n in held.order_nos),
        platform="",
        shop=shop,
        shop_id=held.shop_id,
        warehouse="",
        priority=0,
        pickup_deadline=None,
        promised_ship_by=main.promised_ship_by,
        receiver_name=main.receiver_name,
        receiver_phone=main.receiver_phone,
        country=main.country or "CN",
        province=main.province,
        city=main.city,
        district=main.district,
        address=main.address,
        buyer_data_masked=bool(main.buyer_data_masked),
        shipping_method="",
        amount=main.order_amount,
        lines=tuple(items),
        remark=main.seller_remark,
        part=held.part,
    )
