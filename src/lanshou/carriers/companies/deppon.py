"""Deppon 德邦: its depots write 开单 (waybill opened) when they take the goods in."""

from lanshou.carriers.carrier import Carrier
from lanshou.carriers.text_status import rule
from lanshou.tracking.status import TrackingStatus

CARRIER = Carrier(
    code="deppon",
    name_zh="德邦快递",
    name_en="Deppon Express",
    names=("德邦物流", "德邦"),
    kuaidi100=("debangkuaidi", "debangwuliu"),  # debangwuliu: the freight code common in public code
    kdniao=("DBL",),
    cainiao=("DBKD",),  # from third-party code only (PLATFORMS.md)
    text_rules=(rule(TrackingStatus.PICKED_UP, "已开单"),),
)
