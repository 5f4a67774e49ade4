"""Taobao 淘宝: the 订单报表 and 宝贝报表 readers (`reader.py`), header map, rule pack."""

from lanshou.platforms.registry import marketplace

MARKETPLACE = marketplace("taobao", "淘宝", "Taobao")

# importing these registers the export readers (--format) and the batch-ship upload file
from lanshou.platforms.taobao import reader, ship_file  # noqa: E402,F401
