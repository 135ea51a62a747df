"""Create or upgrade the schema through Alembic, on SQLite and PostgreSQL alike."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from .db import get_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
INIT_LOCK_ID = 724_020_226  # any constant: serialises first start of several app servers on PostgreSQL


def alembic_config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def _init_lock(connection):
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": INIT_LOCK_ID})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": INIT_LOCK_ID})
    else:
        yield


@contextmanager
def _sqlite_foreign_keys_off(connection):
    """SQLite alters a table by copying it and dropping the old one, which the tables that point at
    it would refuse; foreign keys are switched off for the migration (outside any transaction, the
    only place SQLite honours the switch) and every reference is checked before they go back on."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration left rows pointing nowhere: {broken[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine | None = None) -> None:
    """Bring the schema to the newest revision, then refresh stale planner statistics (every start runs this)."""
    engine = engine or get_engine()
    with engine.connect() as connection:
        with _init_lock(connection):
            connection.commit()
            with _sqlite_foreign_keys_off(connection):
                command.upgrade(alembic_config(connection), "head")
                connection.commit()
    refresh_statistics(engine)


# SQLite: rows ANALYZE reads per index. Approximate statistics are all the planner needs, and the whole
# city-scale database is analysed in a few milliseconds (without a limit it reads every row: seconds).
SQLITE_ANALYSIS_LIMIT = 400
# PostgreSQL: a table is analysed when this many rows changed since its last ANALYZE, plus a share of
# its rows (autovacuum's own rule, for servers that run without it or before it has come round).
PG_ANALYZE_BASE, PG_ANALYZE_SHARE = 50, 0.1
_PG_STALE = text("""
    SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
    WHERE s.schemaname = current_schema()
      AND (c.reltuples < 0 OR s.n_mod_since_analyze > :base + :share * c.reltuples)
    ORDER BY s.relname""")


def refresh_statistics(engine: Engine | None = None) -> list[str]:
    """Give the query planner current statistics, so the reads use their indexes (without them SQLite
    joins a latest-round subquery against every site, and PostgreSQL guesses row counts by the page).

    Cheap enough for every start: PostgreSQL analyses only the tables that changed a lot since their
    last ANALYZE (none, usually); SQLite analyses everything with a sample (SQLITE_ANALYSIS_LIMIT),
    a few milliseconds. Run it too after a bulk load (the demo data, an import). Returns the tables
    analysed (SQLite: all of them)."""
    engine = engine or get_engine()
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
            return sorted(name for name in inspect(connection).get_table_names())
        if connection.dialect.name != "postgresql":
            return []
        stale = connection.execute(_PG_STALE, {"base": PG_ANALYZE_BASE, "share": PG_ANALYZE_SHARE}).scalars().all()
        for table in stale:
            connection.exec_driver_sql(f'ANALYZE "{table}"')
        connection.commit()
        return list(stale)


def current_revision(engine: Engine | None = None) -> str | None:
    with (engine or get_engine()).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_current(engine: Engine | None = None) -> bool:
    return current_revision(engine) == head_revision()


def table_names(engine: Engine | None = None) -> list[str]:
    return inspect(engine or get_engine()).get_table_names()
