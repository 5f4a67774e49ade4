"""Lanshou's own generic files (METRICS.md "Files merchants bring"): orders, tracking events, feedback."""

from lanshou.platforms.generic import orders  # noqa: F401  (registers the `generic` orders format)
