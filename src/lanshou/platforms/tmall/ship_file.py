"""Tmall 天猫 批量发货 upload file: the same template and carrier names as Taobao (taobao/shipping.toml)."""

from lanshou.platforms.shipping_api import CsvShipFile, ShipFileSpec, register_ship_file


def ship_file() -> CsvShipFile:
    return CsvShipFile(ShipFileSpec.from_data("tmall", data_from="taobao"))


register_ship_file("tmall", ship_file)
