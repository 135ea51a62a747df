"""A start at the head revision is told by one SELECT, without Alembic (issue 14: the first view after a
server start); any other database still goes through Alembic."""
from __future__ import annotations

import pytest

from data_access import schema


def test_the_head_read_from_the_files_is_alembics():
    assert schema._head_from_files() == schema.head_revision()


@pytest.mark.parametrize("source, value", [("'0007'", "0007"), ('"0008"', "0008"), ("None", None),
                                           ("('0006', '0007')", False), ("'0007'  # note", False)])
def test_a_revision_line_is_read_only_when_certain(source, value):
    assert schema._literal(source) == value


def test_a_merge_or_an_unreadable_file_leaves_the_head_to_alembic(tmp_path, monkeypatch):
    (tmp_path / "versions").mkdir()
    (tmp_path / "versions" / "a.py").write_text("revision = 'a'\ndown_revision = None\n")
    (tmp_path / "versions" / "b.py").write_text("revision: str = 'b'\ndown_revision: str | None = 'a'\n")
    monkeypatch.setattr(schema, "MIGRATIONS", tmp_path)
    assert schema._head_from_files() == "b"
    (tmp_path / "versions" / "c.py").write_text("revision = 'c'\ndown_revision = ('a', 'b')\n")
    assert schema._head_from_files() is None
    (tmp_path / "versions" / "c.py").write_text("revision = 'c'\ndown_revision = 'a'\n")  # two heads
    assert schema._head_from_files() is None


def test_a_database_at_the_head_starts_without_alembic(engine, monkeypatch):
    def no_alembic(_engine):
        raise AssertionError("Alembic ran on a database already at the head")

    monkeypatch.setattr(schema, "_migrate", no_alembic)
    assert schema.upgrade(engine) == schema.head_revision()


def test_a_database_behind_the_head_is_upgraded(engine):
    from alembic import command

    head = schema.head_revision()
    with engine.connect() as conn, schema._sqlite_foreign_keys_off(conn):
        command.downgrade(schema.alembic_config(conn), "-1")
        conn.commit()
    assert schema.stored_revision(engine) != head
    assert schema.upgrade(engine) == head
    assert schema.stored_revision(engine) == head


def test_a_new_database_has_no_stored_revision(tmp_path):
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert schema.stored_revision(engine) is None
    engine.dispose()


def test_the_server_start_warms_the_imports_in_the_background():
    import asyncio
    import sys
    import threading

    import serve

    async def start():
        async with serve.lifespan(serve.app):
            return [t for t in threading.enumerate() if t.name == "warm-imports"]

    for thread in asyncio.run(start()):
        thread.join(60)
    assert "altair" in sys.modules and "streamlit.emojis" in sys.modules
