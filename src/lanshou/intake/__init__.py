"""Import use cases: read a file, validate rows, store good ones in batches, report bad ones."""
