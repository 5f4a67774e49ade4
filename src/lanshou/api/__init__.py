"""The HTTP face: one FastAPI app serving the REST API under /api/v1 and the server-rendered pages.

`create_app(engine)` in `app` builds it; routers live in `v1/` (one module per resource, listed in
`v1/__init__.py`); shared dependencies (Bearer auth, permissions, shop scope) in `deps`.
"""
