"""Cainiao 菜鸟无忧物流: AliExpress's cross-border service; the demo's AliExpress shop ships with it."""

from lanshou.carriers.carrier import Carrier

CARRIER = Carrier(
    code="cainiao",
    name_zh="菜鸟无忧物流",
    name_en="Cainiao",
    names=("无忧物流", "菜鸟"),
)
