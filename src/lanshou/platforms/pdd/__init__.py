"""Pinduoduo 拼多多: its rule pack (orders come in the generic format until its export reader is added)."""

from lanshou.platforms.registry import marketplace

MARKETPLACE = marketplace("pdd", "拼多多", "Pinduoduo")

from lanshou.platforms.pdd import ship_file  # noqa: E402,F401  (registers the batch-ship upload file)
