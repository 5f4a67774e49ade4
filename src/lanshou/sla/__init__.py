"""Service levels: the at-risk queue (orders that may miss their pickup or shipping deadline) and alerts."""
