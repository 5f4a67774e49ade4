"""Shipping: carrier choice, waybills (电子面单), labels (面单), packing and pick lists, batch shipping."""
