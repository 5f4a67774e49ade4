"""China Post / EMS 中国邮政: one carrier for its express (EMS) and parcel (邮政快递包裹) services."""

from lanshou.carriers.carrier import Carrier

CARRIER = Carrier(
    code="ems",
    name_zh="中国邮政EMS",
    name_en="China Post EMS",
    names=("邮政EMS", "中国邮政", "邮政快递包裹", "邮政包裹", "邮政", "China Post"),
    kuaidi100=("ems", "youzhengguonei"),
    kdniao=("EMS",),
    cainiao=("EMS", "POSTB"),  # POSTB from third-party code only (PLATFORMS.md)
    text_family="postal",
)
