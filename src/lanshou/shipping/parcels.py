"""From a ready shipment to what the carrier and the label printer take: the waybill request, the label, the
pick order and the sender. Pure, no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lanshou.carriers.registry import identify
from lanshou.review.ready import ReadyShipment
from lanshou.shipping import labels as lb
from lanshou.shipping.config import ConfigError, sender_from
from lanshou.shipping.waybills import Address, Item, Party, Recipient, WaybillRequest

CHANNELS = {"taobao": "TB", "tmall": "TM", "jd": "JD", "pdd": "PDD", "douyin": "DY"}


def object_id(shipment: ReadyShipment) -> str:
    """The shipment's id in the pool and in waybill requests: "<shop id>:<main order no>", and "#<part>"
    after it for one part of a split order (拆单)."""
    shop_id, order_no = shipment.keys[0]
    return shipment_id(shop_id, order_no, shipment.part)


def shipment_id(shop_id: int, order_no: str, part: int = 0) -> str:
    return f"{shop_id}:{order_no}" + (f"#{part}" if part else "")


def parts_of(shipments: Sequence[ReadyShipment]) -> dict[tuple[int, str], int]:
    """The orders shipped as one part of a split (拆单), and which part."""
    return {s.keys[0]: s.part for s in shipments if s.part}


def part_note(shipment: ReadyShipment) -> str:
    """What the timeline adds for one part of a split order: its number and goods ("" for a whole one)."""
    if not shipment.part:
        return ""
    skus = ", ".join(f"{sku}×{quantity}" for sku, quantity in shipment.goods)
    return f" (拆单包裹 part {shipment.part}: {skus})"


def shop_sender(settings: Mapping[str, object], default: Party | None) -> Party | None:
    """The shop's own sender (settings "sender"), else the configuration's."""
    raw = settings.get("sender")
    if raw is None:
        return default
    try:
        return sender_from(raw, "shop settings sender")
    except ConfigError:
        return default


def shop_masks_receiver(settings: Mapping[str, object], default: bool) -> bool:
    """隐私面单 unless the shop turned it off (settings "privacy_label": false)."""
    value = settings.get("privacy_label")
    return default if not isinstance(value, bool) else value


def waybill_request(shipment: ReadyShipment, carrier: str, service: str, sender: Party) -> WaybillRequest:
    return WaybillRequest(
        object_id=object_id(shipment),
        carrier=carrier,
        order_ids=shipment.order_nos,
        recipient=Recipient(
            shipment.receiver_name,
            shipment.receiver_phone,
            Address(shipment.province, shipment.city, shipment.district, "", shipment.address),
        ),
        sender=sender,
        items=tuple(Item(line.title or line.sku, line.quantity) for line in shipment.lines),
        weight_g=shipment.weight_g or None,
        channel=CHANNELS.get(shipment.platform, "OTHERS"),
        product=service,
        remark=shipment.remark,
    )


def _one_line(address: Address) -> str:
    return "".join(part.strip() for part in address.parts())


def receiver_address(shipment: ReadyShipment) -> str:
    parts = (shipment.province, shipment.city, shipment.district, shipment.address)
    text = ""
    for part in parts:  # exports often repeat the province in the detail: print it once
        part = part.strip()
        if part and part not in text:
            text += part
    return text


@dataclass(frozen=True, slots=True)
class Waybill:
    carrier: str
    tracking_no: str
    sorting_code: str = ""


def label_for(shipment: ReadyShipment, waybill: Waybill, sender: Party) -> lb.Label:
    """The shipment's label (LabelError when it cannot be drawn, e.g. no receiver address)."""
    known = identify(waybill.carrier)
    return lb.Label(
        waybill_no=waybill.tracking_no,
        carrier_code=waybill.carrier,
        carrier_name=known.name_zh if known else waybill.carrier,
        receiver=lb.Party(shipment.receiver_name, shipment.receiver_phone, receiver_address(shipment)),
        sender=lb.Party(sender.name, sender.phone, _one_line(sender.address)),
        items=[lb.LabelItem(line.title or line.sku, line.sku, line.quantity) for line in shipment.lines],
        order_ids=shipment.order_nos,
        shop=shipment.shop,
        sorting_code=waybill.sorting_code,
        remark=shipment.remark,
    )


_DIGITS = re.compile(r"(\d+)")


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in _DIGITS.split(text) if p)


def pick_order(shipment: ReadyShipment) -> tuple[object, ...]:
    """Labels come out in the order the picker walks: warehouse, first bin (A-2-9 before A-2-10), SKU."""
    locations = sorted((_natural(line.location), line.sku) for line in shipment.lines if line.location)
    first = locations[0] if locations else ((), "")
    skus = sorted(line.sku for line in shipment.lines)
    return (shipment.warehouse, not locations, first, skus, -shipment.priority, shipment.order_nos)
