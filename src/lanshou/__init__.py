"""Lanshou (揽收): order and fulfilment management for marketplace merchants."""

__version__ = "0.1.0"
