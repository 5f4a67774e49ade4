"""Douyin 抖店: the order export reader (`reader.py`), header map, rule pack."""

from lanshou.platforms.registry import marketplace

MARKETPLACE = marketplace("douyin", "抖店", "Douyin")

# importing these registers the export readers (--format) and the batch-ship upload file
from lanshou.platforms.douyin import reader, ship_file  # noqa: E402,F401
