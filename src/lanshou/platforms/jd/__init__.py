"""JD 京东: its rule pack (orders come in the generic format until its export reader is added)."""

from lanshou.platforms.registry import marketplace

MARKETPLACE = marketplace("jd", "京东")
