"""The migrations build what the models say, CHECK constraints included (Alembic's compare_metadata,
in test_platform.py, does not compare them: a step added to the rules would pass it while every deployed
database refused the new step). On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
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


def test_a_0008_database_with_supplies_upgrades_in_place(engine):
    """Migration 0009 (issue 15): movements get their kind, the kept stock their sums, donations their donor."""
    from alembic import command

    from data_access import schema

    with engine.connect() as conn, schema._sqlite_foreign_keys_off(conn):
        command.downgrade(schema.alembic_config(conn), "0008")
        conn.commit()
    with engine.begin() as conn:  # rows as the 0008 schema held them
        conn.execute(sa.text("INSERT INTO work_zone (code, name) VALUES ('Z1', '一区')"))
        conn.execute(sa.text("INSERT INTO supply_item (code, name, unit, low_threshold) VALUES ('masks', '口罩', '只', 50)"))
        for day, quantity in (("2020-02-01", 100), ("2020-02-02", -30), ("2020-02-03", -20)):
            conn.execute(sa.text("INSERT INTO supply_movement (item_id, zone_id, day, quantity, recorded_by) "
                                 "SELECT supply_item.id, work_zone.id, :d, :q, 'clerk1' FROM supply_item, work_zone"),
                         {"d": dt.date.fromisoformat(day), "q": quantity})
        conn.execute(sa.text("INSERT INTO donation (day, donor, kind, amount, recorded_by) "
                             "VALUES (:d, '某公司', 'money', 1000, 'clerk1')"), {"d": dt.date(2020, 2, 3)})
    schema.upgrade(engine)
    assert schema.is_current(engine)
    with engine.connect() as conn:
        kinds = conn.execute(sa.text("SELECT quantity, kind FROM supply_movement ORDER BY id")).all()
        stock = conn.execute(sa.text("SELECT stock, site_id FROM supply_stock")).all()
        donation = conn.execute(sa.text("SELECT donor_kind, donor_origin, anonymous, item_id FROM donation")).one()
        active = conn.execute(sa.text("SELECT active FROM supply_item")).scalar_one()
    assert [tuple(k) for k in kinds] == [(100, "allocation"), (-30, "issue"), (-20, "issue")]
    assert [tuple(s) for s in stock] == [(50, None)]
    assert tuple(donation) == ("person", "inside", False, None) and active
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # the database refuses a negative stock
        conn.execute(sa.text("UPDATE supply_stock SET stock = stock - 51"))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # one row per place, NULL sites alike
        conn.execute(sa.text("INSERT INTO supply_stock (item_id, zone_id, stock) SELECT item_id, zone_id, 1 FROM supply_stock"))
    # and back down, rows kept
    with engine.connect() as conn, schema._sqlite_foreign_keys_off(conn):
        command.downgrade(schema.alembic_config(conn), "0008")
        conn.commit()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT sum(quantity) FROM supply_movement")).scalar_one() == 50
    schema.upgrade(engine)
    assert schema.is_current(engine)


def test_a_0009_database_keeps_its_lead_cadres_and_owners_as_people(engine):
    """Migration 0010 (issue 16): the names on sites and enterprises become people of their zone's staff and
    the A (and B) of responsibility rows, so the pages show the same names; a downgrade puts them back."""
    from alembic import command

    from data_access import community, reopening, schema
    from data_access.filters import Filters

    with engine.connect() as conn, schema._sqlite_foreign_keys_off(conn):
        command.downgrade(schema.alembic_config(conn), "0009")
        conn.commit()
    with engine.begin() as conn:  # rows as the 0009 schema held them
        for code, name in (("Z1", "一区"), ("Z2", "二区"), ("Z3", "三区")):
            conn.execute(sa.text("INSERT INTO work_zone (code, name) VALUES (:c, :n)"), {"c": code, "n": name})
        sites = (("Z1", "东卡口", "张三"), ("Z1", "北卡口", " 张三 "), ("Z1", "南卡口", "李四（财政局）"),
                 ("Z2", "西卡口", "张三"), ("Z2", "空卡口", "  "), ("Z3", "无名卡口", None))
        for zone, name, cadre in sites:
            conn.execute(sa.text("INSERT INTO site (kind, checkpoint_type, zone_id, name, lead_cadre, active, lon, lat) "
                                 "SELECT 'checkpoint', 'road', id, :n, :c, true, 120.9, 37.3 FROM work_zone "
                                 "WHERE code = :z"), {"n": name, "c": cadre, "z": zone})
        firms = (("甲厂", "张三", "王五"), ("乙厂", "王五", "王五"), ("丙厂", None, "赵六"), ("丁厂", None, None))
        for name, owner, backup in firms:
            conn.execute(sa.text("INSERT INTO enterprise (name, zone_id, department, above_size, employees, "
                                 "employees_from_outside, owner, owner_backup, status, version) SELECT :n, id, "
                                 "'safety', false, 0, 0, :o, :b, 'not_applied', 1 FROM work_zone WHERE code = 'Z1'"),
                         {"n": name, "o": owner, "b": backup})
    schema.upgrade(engine)
    assert schema.is_current(engine)
    with engine.connect() as conn:
        units = conn.execute(sa.text("SELECT code, name, kind FROM org_unit ORDER BY code")).all()
        persons = conn.execute(sa.text("SELECT w.code, p.name FROM person p JOIN work_zone w ON w.id = p.zone_id "
                                       "ORDER BY w.code, p.name")).all()
        rows = conn.execute(sa.text("SELECT count(*) FROM responsibility")).scalar_one()
    assert [tuple(u) for u in units] == [("zone-staff-Z1", "一区工作人员", "zone_staff"),
                                         ("zone-staff-Z2", "二区工作人员", "zone_staff")]
    assert [tuple(p) for p in persons] == [("Z1", "张三"), ("Z1", "李四（财政局）"), ("Z1", "王五"), ("Z1", "赵六"),
                                           ("Z2", "张三")]  # one person per name and zone
    assert rows == 4 + 3  # the named sites, the firms with an owner or a backup
    day = Filters(start=dt.date(2020, 2, 25), end=dt.date(2020, 2, 25))
    cadres = dict(zip(*community.checkpoint_places(day, engine=engine)[["name", "lead_cadre"]].T.values))
    assert cadres["东卡口"] == cadres["北卡口"] == cadres["西卡口"] == "张三"
    assert cadres["南卡口"] == "李四（财政局）"
    owners = reopening.enterprises(day, engine=engine).set_index("name")[["owner", "owner_backup"]]
    assert tuple(owners.loc["甲厂"]) == ("张三", "王五")
    assert owners.loc["乙厂", "owner"] == "王五" and owners.loc["乙厂"].isna()["owner_backup"]  # A is not also B
    assert owners.loc["丙厂"].isna()["owner"] and owners.loc["丙厂", "owner_backup"] == "赵六"
    # and back down: the names responsibility holds now go back to the old columns
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE person SET name = '张叁' WHERE name = '张三' AND zone_id = "
                             "(SELECT id FROM work_zone WHERE code = 'Z1')"))
    with engine.connect() as conn, schema._sqlite_foreign_keys_off(conn):
        command.downgrade(schema.alembic_config(conn), "0009")
        conn.commit()
    with engine.connect() as conn:
        back = dict(conn.execute(sa.text("SELECT name, lead_cadre FROM site")).all())
        firm = conn.execute(sa.text("SELECT owner, owner_backup FROM enterprise WHERE name = '甲厂'")).one()
    assert back["东卡口"] == "张叁" and back["西卡口"] == "张三" and back["无名卡口"] is None
    assert tuple(firm) == ("张叁", "王五")
    schema.upgrade(engine)
    assert schema.is_current(engine)
