"""Waybill requests for the tests: one plain, one masked, one by token."""

from __future__ import annotations

from dataclasses import replace

from lanshou.shipping.waybills import Address, Item, Party, Recipient, WaybillRequest

SENDER = Party(
    "李四", "15999566666", Address("浙江省", "杭州市", "余杭区", detail="文一西路969号"), company="揽收小店"
)
PLAIN = Recipient("张三", "13800001234", Address("广东省", "深圳市", "南山区", detail="科技南十二路2号"))


def request(object_id: str = "o-1", carrier: str = "zto", **changes: object) -> WaybillRequest:
    base = WaybillRequest(
        object_id=object_id,
        carrier=carrier,
        order_ids=("3812345678901234567",),
        recipient=PLAIN,
        sender=SENDER,
        items=(Item("保温杯", 2),),
        weight_g=850,
        volume_ml=3000,
    )
    return replace(base, **changes)  # type: ignore[arg-type]
