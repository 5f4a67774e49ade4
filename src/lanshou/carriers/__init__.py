"""Carrier connectors: each module maps its raw tracking codes onto the normalised statuses."""
