"""AliExpress 速卖通: the seller-centre order export reader (`reader.py`), header map, rule pack."""

from lanshou.platforms.registry import marketplace

MARKETPLACE = marketplace("aliexpress", "速卖通", "AliExpress")

# importing these registers the export readers (--format) and the batch-ship upload file
from lanshou.platforms.aliexpress import reader, ship_file  # noqa: E402,F401
