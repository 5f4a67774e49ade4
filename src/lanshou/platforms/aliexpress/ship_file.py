"""AliExpress 速卖通 批量发货 upload file: headers, encoding and carrier names are data in `shipping.toml`."""

from lanshou.platforms.shipping_api import CsvShipFile, ShipFileSpec, register_ship_file


def ship_file() -> CsvShipFile:
    return CsvShipFile(ShipFileSpec.from_data("aliexpress"))


register_ship_file("aliexpress", ship_file)
