"""JD Logistics 京东: ships from its own warehouses, so its texts need the warehouse family."""

from lanshou.carriers.carrier import Carrier

CARRIER = Carrier(
    code="jd",
    name_zh="京东物流",
    name_en="JD Logistics",
    names=("京东快递", "京东"),
    kuaidi100=("jd",),
    kdniao=("JD",),
    cainiao=("JD",),  # from third-party code only (PLATFORMS.md)
    text_family="jd",
)
