"""Read-side use cases: the metrics report, its misses, the at-risk queue (database in, plain data out)."""
