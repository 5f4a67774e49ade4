"""Review (审单): accept or hold each paid order by built-in checks and the merchant's rules, merge (合单) and
split, and hand accepted orders to shipping as ready shipments.

- `model`: what review knows of an order, the built-in holds and deadline priority (pure);
- `facts`: loading a batch's orders, lines, buyer history, blacklist hits, merge candidates; rule facts;
- `run`: `review_orders` (`lanshou review run`), `decide` for a batch inside a transaction;
- `staff`: accept / hold / cancel / merge / unmerge in batch (`lanshou orders accept ...`);
- `splitting`: 拆单, one order into several shipments (`lanshou orders split ORDER --lines ...`);
- `queries`: `ready_shipments(conn, *, shop_ids=None, limit=None)` (what shipping takes: one shipment per
  part of a split order), `not_shippable` (a guard shipping checks before taking a waybill), review lists;
- `paging`: keyset pages of the review queue and of the ready shipments (dashboard and API lists);
- `explain`: `lanshou rules test`; `settings`: auto-review switch, blacklist; `subscriptions`: event wiring.
"""
