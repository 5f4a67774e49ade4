from __future__ import annotations

from alembic import context

from lanshou.db.metadata import metadata

# The revisions are written by hand: each states its own operations. target_metadata serves only tools
# that compare (autogenerate); they must `import lanshou.schema` first so every area's tables are on it.

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
