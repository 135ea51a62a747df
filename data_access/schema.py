"""Create or upgrade the schema through Alembic, on SQLite and PostgreSQL alike."""
from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, exc, inspect, text

from .db import get_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
INIT_LOCK_ID = 724_020_226  # any constant: serialises first start of several app servers on PostgreSQL


def alembic_config(connection=None):
    from alembic.config import Config  # Alembic only when a migration runs: importing it costs 0.4 s

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


def upgrade(engine: Engine | None = None) -> str | None:
    """Bring the schema to the newest revision, then refresh stale planner statistics (every start runs
    this). Returns the revision the database is at.

    A database already at the head (every start but the first after an update) is told by one SELECT:
    importing Alembic and running its migration environment would cost ~0.5 s of every server start."""
    engine = engine or get_engine()
    stored = stored_revision(engine)
    if stored is None or stored != _head_from_files():
        stored = _migrate(engine)
    refresh_statistics(engine)
    return stored


def _migrate(engine: Engine) -> str | None:
    from alembic import command

    with engine.connect() as connection:
        with _init_lock(connection):
            connection.commit()
            with _sqlite_foreign_keys_off(connection):
                command.upgrade(alembic_config(connection), "head")
                connection.commit()
    return current_revision(engine)


def stored_revision(engine: Engine | None = None) -> str | None:
    """The revision recorded in alembic_version, or None (no such table yet, or no row)."""
    with (engine or get_engine()).connect() as connection:
        try:
            revisions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
        except exc.DBAPIError:  # a new database: the table does not exist yet
            return None
    return revisions[0] if len(revisions) == 1 else None  # several heads at once: leave it to Alembic


_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=\n]*)?=\s*(.*?)\s*$", re.MULTILINE)
_QUOTED = re.compile(r"""^(?:'([^']*)'|"([^"]*)")$""")


def _head_from_files() -> str | None:
    """The single head of the migration files, read from their `revision = ...` lines without Alembic;
    None whenever that reading is not certain (a merge, an unusual file, two heads), and Alembic decides."""
    revisions: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found or "down_revision" not in found:
            return None
        revision, down = _literal(found["revision"]), _literal(found["down_revision"])
        if not revision or down is False:
            return None
        revisions[revision] = down
    heads = set(revisions) - set(revisions.values())
    return heads.pop() if len(heads) == 1 else None


def _literal(source: str) -> str | None | bool:
    """A quoted string, None for `None`, False for anything else (a tuple of revisions, a name)."""
    if source == "None":
        return None
    match = _QUOTED.match(source)
    return (match.group(1) if match.group(1) is not None else match.group(2)) if match else False


def current_revision(engine: Engine | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with (engine or get_engine()).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_current(engine: Engine | None = None) -> bool:
    return current_revision(engine) == head_revision()


def table_names(engine: Engine | None = None) -> list[str]:
    return inspect(engine or get_engine()).get_table_names()


# A table's planner statistics are stale once this many of its rows changed since its last ANALYZE, plus a
# share of its rows: autovacuum's own rule on PostgreSQL (for servers that run without it or before it has
# come round), and the same rule on SQLite, from the row count ANALYZE recorded (sqlite_stat1).
ANALYZE_BASE, ANALYZE_SHARE = 50, 0.1
# PostgreSQL: never analysed (reltuples -1), changed a lot since, or holding rows without any column
# statistics (a CREATE INDEX counts the rows but collects no statistics; a database copied from an
# unanalysed template starts with no change counted).
_PG_STALE = text("""
    SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
    WHERE s.schemaname = current_schema()
      AND (c.reltuples < 0 OR s.n_mod_since_analyze > :base + :share * c.reltuples
           OR ((c.reltuples > 0 OR s.n_live_tup > 0)
               AND NOT EXISTS (SELECT 1 FROM pg_stats p WHERE p.schemaname = s.schemaname AND p.tablename = s.relname)))
    ORDER BY s.relname""")


def refresh_statistics(engine: Engine | None = None) -> list[str]:
    """Give the query planner current statistics where they are stale, so the reads use their indexes
    (without them SQLite joins a latest-round subquery against every site, and PostgreSQL guesses row
    counts by the page). Returns the tables analysed.

    Cheap enough for every start: only the tables that changed a lot since their last ANALYZE are
    analysed (none, usually). After a bulk load (the demo data, an import, a city-scale benchmark) that
    is all of them, once: 0.4 s (SQLite) and 0.6 s (PostgreSQL) at city scale. SQLite's own sampling
    (PRAGMA analysis_limit) is not used: it is faster, but its row counts are off by a factor of two or
    more, which is enough for the planner to scan an index it should have searched."""
    engine = engine or get_engine()
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            stale = _sqlite_stale(connection)
        elif connection.dialect.name == "postgresql":
            stale = list(connection.execute(_PG_STALE, {"base": ANALYZE_BASE, "share": ANALYZE_SHARE}).scalars())
        else:
            return []
        for table in stale:
            connection.exec_driver_sql(f'ANALYZE "{table}"')
        connection.commit()
    return stale


def _sqlite_stale(connection) -> list[str]:
    """Tables whose row count is off by more than the rule from a count ANALYZE last recorded for it (one
    per index, all the same when it read every row), or that have rows and were never analysed. max(rowid)
    tells cheaply; a count confirms it (rows may have been deleted). And tables with an index ANALYZE has not
    described (added since by a migration)."""
    recorded: dict[str, list[int]] = {}
    described: set[tuple[str, str]] = set()
    # a partial index's statistics count the rows it holds, not the table's (migration 0013)
    partial = set(connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'").scalars())
    if connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        for table, index, stat in connection.exec_driver_sql("SELECT tbl, idx, stat FROM sqlite_stat1"):
            if index not in partial:
                recorded.setdefault(table, []).append(int(str(stat).split()[0]))
            described.add((table, index))
    indexes = connection.exec_driver_sql("SELECT tbl_name, name FROM sqlite_master WHERE type = 'index'").all()

    def off(rows: int, table: str) -> bool:
        counts = recorded.get(table, [0])
        return any(abs(rows - known) > ANALYZE_BASE + ANALYZE_SHARE * known for known in counts)

    stale = []
    for table in sorted(inspect(connection).get_table_names()):
        if not off(connection.exec_driver_sql(f'SELECT max(rowid) FROM "{table}"').scalar() or 0, table):
            continue
        count = connection.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar()
        if off(count, table) or (count and table not in recorded):
            stale.append(table)
    for table, index in indexes:  # an index added since (a migration): the planner knows nothing of it
        unknown = (table, index) not in described and max(recorded.get(table, [0])) > ANALYZE_BASE
        if unknown and table not in stale:
            stale.append(table)
    return stale
