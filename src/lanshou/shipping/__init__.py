"""Shipping: what leaves the warehouse — labels (面单), packing lists and pick lists."""
