"""lanshou.db.statistics: a table PostgreSQL never analyzed is analyzed once it holds rows, once."""

from __future__ import annotations

from sqlalchemy import Engine, text

from lanshou.db.statistics import FIRST_LOOK_TARGET, analyze_new_tables


def _reltuples(engine: Engine, name: str) -> float:
    with engine.connect() as conn:
        value = conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = :n"), {"n": name}).scalar()
    return float(value)


def _histogram_size(engine: Engine, name: str) -> int:
    query = "SELECT array_length(histogram_bounds, 1) FROM pg_stats WHERE tablename = :n AND attname = 'id'"
    with engine.connect() as conn:
        return int(conn.execute(text(query), {"n": name}).scalar_one())


def test_analyzes_only_filled_tables_never_analyzed(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        assert analyze_new_tables(engine, ["orders"]) == []  # SQLite plans without statistics
        return
    with engine.begin() as conn:
        for name in ("probe_filled", "probe_empty"):
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
            conn.execute(text(f"CREATE TABLE {name} (id integer primary key, note text)"))
        conn.execute(text("INSERT INTO probe_filled SELECT g, 'n' || g FROM generate_series(1, 500) g"))
    try:
        assert _reltuples(engine, "probe_filled") < 0  # never analyzed
        found = analyze_new_tables(engine, ["probe_filled", "probe_empty", "no_such_table"])
        assert found == ["probe_filled"]
        assert _reltuples(engine, "probe_filled") == 500
        assert _histogram_size(engine, "probe_filled") == FIRST_LOOK_TARGET + 1  # the small first sample
        assert _reltuples(engine, "probe_empty") < 0  # empty: nothing to learn, left to autovacuum
        assert analyze_new_tables(engine, ["probe_filled"]) == []  # analyzed once, then left alone
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE probe_filled, probe_empty"))
