"""Carrier connectors.

- `registry` + `companies/`: one module per carrier; every spelling (names, Kuaidi100/Kdniao/Cainiao
  codes) -> one internal carrier code.
- `text_status`, `code_table`, `kuaidi100.states`, `kdniao`, `aftership`: raw codes and event texts ->
  the normalised statuses (`tracking.status`), one table per provider; unknown is None, never a scan.
- `kuaidi100/`: signing, request builders and parsers (subscribe, query, e-waybill), the push handler.
- `wire` (plain request/reply values) and `transport` (the only I/O, over httpx).
"""
