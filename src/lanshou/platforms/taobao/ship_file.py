"""Taobao 淘宝 批量发货 upload file: headers, encoding and carrier names are data in `shipping.toml`."""

from lanshou.platforms.shipping_api import CsvShipFile, ShipFileSpec, register_ship_file


def ship_file() -> CsvShipFile:
    return CsvShipFile(ShipFileSpec.from_data("taobao"))


register_ship_file("taobao", ship_file)
