"""A batch's PDFs: one labels file in the order given (pick order), and the pick and packing lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from lanshou.review.ready import ReadyShipment
from lanshou.shipping import labels as lb
from lanshou.shipping.labels.model import printed_receiver

Printable = Sequence[tuple[ReadyShipment, lb.Label]]


def write_labels_pdf(batch: Printable, out: Path, size: str, masks: Mapping[int, bool]) -> int:
    """The labels, 隐私面单 as each shop wants (masks: shop id → mask the receiver); returns the pages."""
    wanted = {masks.get(shipment.shop_id, True) for shipment, _ in batch}
    if len(wanted) == 1:
        return lb.write_labels((label for _, label in batch), out, size, wanted.pop())
    # shops differ on 隐私面单: mask each label as its shop wants, then draw them as given
    shown = (
        replace(label, receiver=printed_receiver(label.receiver, masks.get(shipment.shop_id, True)))
        for shipment, label in batch
    )
    return lb.write_labels(shown, out, size, mask_receiver=False)


def write_lists(
    batch: Printable, pick_list: Path | None, packing_list: Path | None, name: str, mask: bool
) -> None:
    if pick_list is not None:
        lines = [
            lb.PickLine(line.location, line.sku, line.title, line.quantity, line.order_no)
            for shipment, _ in batch
            for line in shipment.lines
        ]
        lb.write_pick_list(lines, pick_list, batch=name)
    if packing_list is not None:
        lb.write_packing_list((label for _, label in batch), packing_list, mask)
