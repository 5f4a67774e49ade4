"""One module per carrier, each defining `CARRIER`, found by the registry: a new carrier is a new module."""
