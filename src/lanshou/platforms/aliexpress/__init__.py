"""AliExpress 速卖通: the seller-centre order export reader (`reader.py`), header map, rule pack."""

from lanshou.platforms.registry import marketplace

MARKETPLACE = marketplace("aliexpress", "速卖通 AliExpress")

from lanshou.platforms.aliexpress import reader  # noqa: E402,F401  (registers the file format)
