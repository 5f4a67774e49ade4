"""Douyin 抖店: the order export reader (`reader.py`), header map, rule pack."""

from lanshou.platforms.registry import marketplace

MARKETPLACE = marketplace("douyin", "抖店")

from lanshou.platforms.douyin import reader  # noqa: E402,F401  (registers the file format)
