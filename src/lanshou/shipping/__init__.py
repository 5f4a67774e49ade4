"""Shipping: carrier choice, waybills (电子面单), labels and batch shipping."""
