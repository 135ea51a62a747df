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
    engine = engine or get_engine()
    with engine.connect() as connection:
        with _init_lock(connection):
            connection.commit()
            with _sqlite_foreign_keys_off(connection):
                command.upgrade(alembic_config(connection), "head")
                connection.commit()


def current_revision(engine: Engine | None = None) -> str | None:
    with (engine or get_engine()).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_current(engine: Engine | None = None) -> bool:
    return current_revision(engine) == head_revision()


def table_names(engine: Engine | None = None) -> list[str]:
    return inspect(engine or get_engine()).get_table_names()
