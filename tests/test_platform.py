"""The data platform: schema, migrations, connections, accounts and the audited write path."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from data_access import auth, db, schema
from data_access.errors import ConflictError, PermissionDenied, ValidationError
from data_access.models import AuditLog, Base, CheckpointDay
from data_access.traffic_entry import save_checkpoint_days
from tests.helpers import day_row, minimal_territory

DAY = dt.date(2020, 2, 20)
TODAY = dt.date(2020, 2, 20)


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_migrations_match_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models changed without a migration: {diff}"
    assert schema.is_current(engine)


def test_upgrade_twice_changes_nothing(engine):
    version = db.data_version(engine)
    schema.upgrade(engine)
    assert schema.is_current(engine)
    assert db.data_version(engine) == version


def test_sqlite_connection_settings(engine):
    if not db.is_sqlite(engine):
        pytest.skip("SQLite only")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_foreign_keys_are_enforced(engine):
    with pytest.raises(sa.exc.IntegrityError):
        with db.write_session(engine) as session:
            session.add(CheckpointDay(site_id=9999, day=DAY, vehicles=1, persons=1))


def test_passwords_are_salted_and_slow():
    first, second = auth.hash_password("demo"), auth.hash_password("demo")
    assert first != second and "demo" not in first
    assert first.startswith("scrypt$") and int(first.split("$")[1]) >= 2**14
    assert auth.verify_password("demo", first) and not auth.verify_password("Demo", first)


def test_sign_in(engine):
    minimal_territory(engine)
    actor = auth.authenticate("clerk1", "pw12-pw12", engine)
    assert actor.role == "clerk" and len(actor.zone_ids) == 1
    assert auth.authenticate("clerk1", "wrong", engine) is None
    assert auth.authenticate("nobody", "pw12-pw12", engine) is None
    auth.set_active("clerk1", False, engine=engine)
    assert auth.authenticate("clerk1", "pw12-pw12", engine) is None


def test_save_writes_rows_audit_and_version(engine):
    ids = minimal_territory(engine)
    before = db.data_version(engine)
    result = save_checkpoint_days("clerk1", DAY, [day_row(ids["cp1"], vehicles=12)], today=TODAY, engine=engine)
    assert result == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert db.data_version(engine) == before + 1
    with engine.connect() as conn:
        row = conn.execute(sa.select(CheckpointDay)).one()
        audit_row = conn.execute(sa.select(AuditLog).where(AuditLog.table_name == "checkpoint_day")).one()
    assert row.vehicles == 12 and row.version == 1 and row.updated_by == "clerk1"
    assert audit_row.username == "clerk1" and audit_row.action == "insert"
    assert json.loads(audit_row.after)["vehicles"] == 12 and audit_row.before is None


def test_correction_needs_reason_and_is_marked(engine):
    ids = minimal_territory(engine)
    save_checkpoint_days("clerk1", DAY, [day_row(ids["cp1"], vehicles=12)], today=TODAY, engine=engine)
    later = DAY + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        save_checkpoint_days("clerk1", DAY, [day_row(ids["cp1"], vehicles=15, version=1)], today=later, engine=engine)
    assert error.value.for_field("reason")
    save_checkpoint_days("clerk1", DAY, [day_row(ids["cp1"], vehicles=15, version=1)], reason="抄错了",
                         today=later, engine=engine)
    with engine.connect() as conn:
        row = conn.execute(sa.select(CheckpointDay)).one()
        audit_row = conn.execute(sa.select(AuditLog).where(AuditLog.action == "correct")).one()
    assert (row.vehicles, row.version, row.corrected, row.correction_reason) == (15, 2, True, "抄错了")
    assert json.loads(audit_row.before)["vehicles"] == 12 and json.loads(audit_row.after)["vehicles"] == 15
    assert audit_row.reason == "抄错了"


def test_stale_form_is_refused(engine):
    ids = minimal_territory(engine)
    save_checkpoint_days("clerk1", DAY, [day_row(ids["cp1"], vehicles=12)], today=TODAY, engine=engine)
    # Two clerks loaded version 1; the first saves, the second's save must not overwrite it.
    save_checkpoint_days("super1", DAY, [day_row(ids["cp1"], vehicles=13, version=1)], today=TODAY, engine=engine)
    with pytest.raises(ConflictError) as error:
        save_checkpoint_days("clerk1", DAY, [day_row(ids["cp1"], vehicles=14, version=1)], today=TODAY, engine=engine)
    assert error.value.rows == [0]
    with engine.connect() as conn:
        assert conn.execute(sa.select(CheckpointDay.vehicles)).scalar_one() == 13


def test_a_new_row_saved_by_someone_else_meanwhile_is_a_conflict(engine):
    ids = minimal_territory(engine)
    save_checkpoint_days("super1", DAY, [day_row(ids["cp1"], vehicles=13)], today=TODAY, engine=engine)
    with pytest.raises(ConflictError):
        save_checkpoint_days("clerk1", DAY, [day_row(ids["cp1"], vehicles=14)], today=TODAY, engine=engine)


def test_double_click_saves_once(engine):
    ids = minimal_territory(engine)
    rows = [day_row(ids["cp1"], vehicles=12)]
    save_checkpoint_days("clerk1", DAY, rows, today=TODAY, engine=engine)
    version = db.data_version(engine)
    assert save_checkpoint_days("clerk1", DAY, rows, today=TODAY, engine=engine) == {"inserted": 0, "updated": 0, "unchanged": 1}
    assert count(engine, CheckpointDay.__table__) == 1
    assert count(engine, AuditLog.__table__.select().where(AuditLog.table_name == "checkpoint_day").subquery()) == 1
    assert db.data_version(engine) == version  # it wrote nothing, so no cache is thrown away


@pytest.mark.parametrize("user, site_key", [("clerk1", "cp2"), ("viewer1", "cp1")])
def test_rights_are_checked_and_nothing_is_written(engine, user, site_key):
    ids = minimal_territory(engine)
    audits = count(engine, AuditLog.__table__)
    version = db.data_version(engine)
    with pytest.raises(PermissionDenied):
        save_checkpoint_days(user, DAY, [day_row(ids["cp1"]), day_row(ids[site_key])] if user == "clerk1"
                             else [day_row(ids[site_key])], today=TODAY, engine=engine)
    assert count(engine, CheckpointDay.__table__) == 0
    assert count(engine, AuditLog.__table__) == audits
    assert db.data_version(engine) == version


def test_disabled_account_cannot_write(engine):
    ids = minimal_territory(engine)
    auth.set_active("clerk1", False, engine=engine)
    with pytest.raises(PermissionDenied):
        save_checkpoint_days("clerk1", DAY, [day_row(ids["cp1"])], today=TODAY, engine=engine)


@pytest.mark.parametrize(
    "field, value, expected_en",
    [
        ("vehicles", -1, "cannot be negative"),
        ("vehicles", "abc", "must be a whole number"),
        ("persons", 2.5, "must be a whole number"),
        ("persons", None, "required"),
        ("turned_back", True, "must be a whole number"),
        ("persons_from_outside", 999, "cannot exceed persons checked"),
        ("abnormal_temperature", 10**9, "too large"),
    ],
)
def test_bad_counts_are_refused_per_field(engine, field, value, expected_en):
    ids = minimal_territory(engine)
    good = day_row(ids["cp1"])
    bad = {**day_row(ids["cp1"]), "site_id": ids["cp1"], field: value}
    with pytest.raises(ValidationError) as error:
        save_checkpoint_days("clerk1", DAY, [bad], today=TODAY, engine=engine)
    messages = error.value.for_field(field, row=0)
    assert messages and expected_en in messages[0].en and messages[0].zh
    assert count(engine, CheckpointDay.__table__) == 0
    save_checkpoint_days("clerk1", DAY, [good], today=TODAY, engine=engine)  # the good row alone still saves
    assert count(engine, CheckpointDay.__table__) == 1


@pytest.mark.parametrize("day, expected_en", [(TODAY + dt.timedelta(days=1), "future"), ("2020-13-01", "look like"), (None, "required")])
def test_bad_day_is_refused(engine, day, expected_en):
    ids = minimal_territory(engine)
    with pytest.raises(ValidationError) as error:
        save_checkpoint_days("clerk1", day, [day_row(ids["cp1"])], today=TODAY, engine=engine)
    assert expected_en in error.value.for_field("day")[0].en


def test_many_rows_all_or_nothing(engine):
    ids = minimal_territory(engine)
    rows = [day_row(ids["cp1"]), day_row(ids["cp2"], vehicles=-5)]
    with pytest.raises(ValidationError) as error:
        save_checkpoint_days("super1", DAY, rows, today=TODAY, engine=engine)
    assert error.value.fields() == {(1, "vehicles")}
    assert count(engine, CheckpointDay.__table__) == 0


def test_text_is_stored_as_typed(engine):
    ids = minimal_territory(engine)
    save_checkpoint_days("clerk1", DAY, [day_row(ids["cp1"])], today=TODAY, engine=engine)
    reason = "<script>alert('x')</script> 数据有误"
    save_checkpoint_days("clerk1", DAY, [day_row(ids["cp1"], vehicles=99, version=1)], reason=reason,
                         today=DAY + dt.timedelta(days=3), engine=engine)
    with engine.connect() as conn:
        assert conn.execute(sa.select(CheckpointDay.correction_reason)).scalar_one() == reason
    with pytest.raises(ValidationError) as error:
        save_checkpoint_days("clerk1", DAY, [day_row(ids["cp1"], vehicles=98, version=2)], reason="x" * 501,
                             today=DAY + dt.timedelta(days=3), engine=engine)
    assert error.value.for_field("reason")


def test_a_deployed_0001_database_upgrades_in_place_keeping_its_rows(tmp_path, backend, _templates, monkeypatch):
    """Migration 0002 (due times, first-report time) on a database that already holds reports."""
    from alembic import command

    from tests.conftest import _fresh_database

    url, name = _fresh_database(_templates, "empty", backend, tmp_path, monkeypatch)
    engine = db.get_engine(url)
    try:
        with engine.connect() as conn, schema._sqlite_foreign_keys_off(conn):
            command.downgrade(schema.alembic_config(conn), "0001")
            conn.commit()
        stamp = dt.datetime(2020, 2, 20, 12, 0, tzinfo=dt.timezone.utc)
        with engine.begin() as conn:  # rows as the 0001 schema held them (the models have moved on)
            conn.execute(sa.text("INSERT INTO work_zone (code, name) VALUES ('Z1', '一区')"))
            conn.execute(sa.text("INSERT INTO site (kind, zone_id, name, checkpoint_type, active) SELECT 'checkpoint', "
                                 "id, '东卡口', 'road', :t FROM work_zone"), {"t": True})
            conn.execute(sa.text("INSERT INTO checkpoint_day (site_id, day, vehicles, persons, persons_from_outside, "
                                 "turned_back, abnormal_temperature, corrected, version, updated_at, updated_by) "
                                 "SELECT id, :d, 5, 9, 0, 0, 0, :f, 1, :u, 'clerk1' FROM site"),
                         {"d": DAY, "f": False, "u": stamp})
        schema.upgrade(engine)
        assert schema.is_current(engine)
        with engine.connect() as conn:
            row = conn.execute(sa.select(CheckpointDay.vehicles, CheckpointDay.reported_at)).one()
        assert row.vehicles == 5
        from data_access.clock import as_utc

        assert as_utc(row.reported_at) == stamp
    finally:
        from tests.conftest import _drop

        _drop(name)
