"""The migrations build what the models say, CHECK constraints included (Alembic's compare_metadata,
in test_platform.py, does not compare them: a step added to the rules would pass it while every deployed
database refused the new step). On SQLite and PostgreSQL."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from data_access import db
from data_access.models import Base, one_of


def _checks(engine, schema: str | None = None) -> dict[tuple[str, str], str]:
    """(table, constraint name) -> its condition as the database reports it, spaces and outer brackets aside."""
    inspector = sa.inspect(engine)
    found = {}
    for table in Base.metadata.tables:
        for check in inspector.get_check_constraints(table, schema=schema):
            found[(table, check["name"])] = _plain(check["sqltext"])
    return found


def _plain(condition: str) -> str:
    text = re.sub(r"\s+", " ", condition).strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


@pytest.fixture
def built_from_models(engine, backend, tmp_path):
    """The models' own schema, next to the migrated one: the same database engine, so both are reported alike."""
    if backend == "sqlite":
        models = sa.create_engine(f"sqlite:///{tmp_path / 'from_models.db'}")
        Base.metadata.create_all(models)
        yield models, None
        models.dispose()
        return
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA from_models"))
        conn.execute(sa.text("SET LOCAL search_path TO from_models"))
        Base.metadata.create_all(conn)
    yield engine, "from_models"
    db.dispose_engines()


def test_migrated_check_constraints_match_the_models(engine, built_from_models):
    models, schema = built_from_models
    migrated, wanted = _checks(engine), _checks(models, schema)
    assert wanted, "no CHECK constraint reported: the comparison would prove nothing"
    assert migrated.keys() == wanted.keys(), "CHECK constraints added or removed without a migration"
    changed = {key: (migrated[key], wanted[key]) for key in wanted if migrated[key] != wanted[key]}
    assert not changed, f"CHECK constraints changed without a migration: {changed}"


def test_a_one_value_check_is_valid_sql(engine):
    check = one_of("kind", ("only",), name="only_kind")
    table = sa.Table("one_kind", sa.MetaData(), sa.Column("kind", sa.String(8)), check)
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(table.insert().values(kind="only"))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(table.insert().values(kind="other"))
    assert str(check.sqltext) == "kind IN ('only')"
