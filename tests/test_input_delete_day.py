"""Issue 9, item 9 (data side): a supervisor finds a row saved under a wrong day and deletes it,
with a reason, version-checked and audited with every value the row had."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from data_access import territory
from data_access.db import write_session
from data_access.errors import ConflictError, PermissionDenied, ValidationError
from data_access.models import AuditLog, CheckpointDay, Site
from data_access.traffic_entry import delete_checkpoint_day, out_of_season_days

TODAY = dt.date(2020, 2, 26)
TYPO = dt.date(1920, 2, 25)
FUTURE = dt.date(2120, 2, 25)


@pytest.fixture
def typo(demo_engine) -> dict:
    """The issue's case: one uploaded row dated 1920-02-25, and one dated a century ahead."""
    with demo_engine.connect() as conn:
        site_id, name = conn.execute(sa.select(Site.id, Site.name).where(Site.checkpoint_type == "road")
                                     .order_by(Site.id).limit(1)).one()
    with write_session(demo_engine) as session:
        session.add_all([
            CheckpointDay(site_id=site_id, day=TYPO, vehicles=812, persons=1460, persons_from_outside=3, version=1,
                          updated_by="clerk"),
            CheckpointDay(site_id=site_id, day=FUTURE, vehicles=7, persons=9, version=2, updated_by="clerk"),
        ])
    return {"site_id": site_id, "name": name}


def stored(engine, site_id, day):
    with engine.connect() as conn:
        return conn.execute(sa.select(CheckpointDay).where(CheckpointDay.site_id == site_id,
                                                           CheckpointDay.day == day)).first()


def test_out_of_season_rows_are_listed(demo_engine, typo):
    listed = out_of_season_days(today=TODAY, engine=demo_engine)
    assert list(listed.columns) == ["site_id", "name", "day", "vehicles", "persons", "version"]
    assert [(r.site_id, r.name, r.day, r.vehicles, r.persons, r.version) for r in listed.itertuples()] == [
        (typo["site_id"], typo["name"], TYPO, 812, 1460, 1), (typo["site_id"], typo["name"], FUTURE, 7, 9, 2)]


def test_the_season_start_decides_what_is_out_of_season(demo_engine, typo):
    territory.set_season_start("2020-02-02", today=TODAY, engine=demo_engine)
    listed = out_of_season_days(today=TODAY, engine=demo_engine)
    assert dt.date(2020, 2, 1) in set(listed["day"]) and TYPO in set(listed["day"])


def test_a_supervisor_deletes_the_typo_row_with_a_reason_and_an_audit_row(demo_engine, typo):
    assert delete_checkpoint_day("supervisor", typo["site_id"], "1920-02-25", 1, "年份录错（应为 2020 年）",
                                 engine=demo_engine) == {"deleted": 1}
    assert stored(demo_engine, typo["site_id"], TYPO) is None
    with demo_engine.connect() as conn:
        entry = conn.execute(sa.select(AuditLog).where(AuditLog.action == "delete")).one()
    assert (entry.username, entry.table_name, entry.reason, entry.after) == (
        "supervisor", "checkpoint_day", "年份录错（应为 2020 年）", None)
    before = json.loads(entry.before)
    assert before["day"] == "1920-02-25" and before["vehicles"] == 812 and before["persons"] == 1460
    assert before["site_id"] == typo["site_id"] and before["version"] == 1 and before["updated_by"] == "clerk"
    assert list(out_of_season_days(today=TODAY, engine=demo_engine)["day"]) == [FUTURE]
    # the range no longer has a reason to reach back (it never did: the season start bounds it)
    assert territory.default_range(today=TODAY, engine=demo_engine)[0] == dt.date(2020, 2, 1)


def test_a_double_click_deletes_once(demo_engine, typo):
    assert delete_checkpoint_day("admin", typo["site_id"], TYPO, 1, "录错", engine=demo_engine) == {"deleted": 1}
    assert delete_checkpoint_day("admin", typo["site_id"], TYPO, 1, "录错", engine=demo_engine) == {"deleted": 0}
    with demo_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(AuditLog.action == "delete")).scalar_one() == 1


@pytest.mark.parametrize("user", ["clerk", "viewer"])
def test_only_supervisors_and_admins_delete(demo_engine, typo, user):
    with pytest.raises(PermissionDenied):
        delete_checkpoint_day(user, typo["site_id"], TYPO, 1, "录错", engine=demo_engine)
    assert stored(demo_engine, typo["site_id"], TYPO) is not None


@pytest.mark.parametrize("reason", [None, "", "   ", "录\x00错"])
def test_a_reason_is_required(demo_engine, typo, reason):
    with pytest.raises(ValidationError) as refused:
        delete_checkpoint_day("supervisor", typo["site_id"], TYPO, 1, reason, engine=demo_engine)
    assert [e.field for e in refused.value.errors] == ["reason"]
    assert stored(demo_engine, typo["site_id"], TYPO) is not None


def test_a_stale_version_is_refused(demo_engine, typo):
    with pytest.raises(ConflictError):
        delete_checkpoint_day("supervisor", typo["site_id"], FUTURE, 1, "录错", engine=demo_engine)  # it is at 2
    assert stored(demo_engine, typo["site_id"], FUTURE) is not None
    with pytest.raises(ValidationError) as refused:
        delete_checkpoint_day("supervisor", typo["site_id"], FUTURE, None, "录错", engine=demo_engine)
    assert [e.field for e in refused.value.errors] == ["version"]
    assert delete_checkpoint_day("supervisor", typo["site_id"], FUTURE, 2, "录错", engine=demo_engine) == {"deleted": 1}


def test_a_day_that_is_not_a_date_is_refused(demo_engine, typo):
    with pytest.raises(ValidationError) as refused:
        delete_checkpoint_day("supervisor", typo["site_id"], "1920-02-25 garbage", 1, "录错", engine=demo_engine)
    assert [e.field for e in refused.value.errors] == ["day"]
