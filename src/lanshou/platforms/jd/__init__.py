"""JD 京东: its rule pack (orders come in the generic format until its export reader is added)."""

from lanshou.platforms.registry import marketplace

MARKETPLACE = marketplace("jd", "京东", "JD")

from lanshou.platforms.jd import ship_file  # noqa: E402,F401  (registers the batch-ship upload file)
