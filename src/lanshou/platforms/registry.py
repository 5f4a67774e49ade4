"""Import every format module once so each registers itself (no if-chains on format names)."""

from __future__ import annotations

import importlib

FORMAT_MODULES = (
    "lanshou.platforms.generic",
    "lanshou.platforms.taobao",
    "lanshou.platforms.douyin",
    "lanshou.platforms.aliexpress",
)


def load_formats() -> None:
    for module in FORMAT_MODULES:
        importlib.import_module(module)
