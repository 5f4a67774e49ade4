"""Inventory: warehouses, stock per SKU and warehouse, platform SKU mappings (bundles), reservations that
never oversell, and a ledger of every movement.

- `tables`: the schema; the database itself refuses negative stock and `reserved > on_hand` (CHECKs).
- `mapping`: an order line's platform SKU -> stock SKUs and quantities (unmapped: the same SKU, once).
- `reserve`: reserve all of an order's lines in one warehouse with one conditional UPDATE per line (no read
  then write), all or none (a savepoint); release on cancel/hold; deduct on ship.
- `counts`: stock counts from a file (a count SETS on-hand, idempotently) and manual adjustments.
- `queries`: the stock list, low-stock alerts (at the safety level), each shop's listable quantity.
Every movement writes a `stock_ledger` row, so summing the ledger per SKU and warehouse gives on-hand and
reserved back (`queries.ledger_mismatches` proves it).
"""
