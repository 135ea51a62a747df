"""Issue 9, item 8 (data side): the season start. No write is dated before it, no range starts before it."""
from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import auth, community, inspections, reopening, shops, territory, traffic_entry
from data_access.__main__ import main
from data_access.db import write_session
from data_access.errors import ValidationError
from data_access.models import AuditLog, CheckpointDay, Enterprise, Finding, Shop, Site, WorkZone

TODAY = dt.date(2020, 2, 26)
SEASON = dt.date(2020, 1, 23)  # the demo's: when the survey began
BEFORE = SEASON - dt.timedelta(days=1)
MESSAGE_EN = "date cannot be before the season start, 2020-01-23"
MESSAGE_ZH = "日期不能早于本季开始日 2020-01-23"


def demo_ids(engine) -> dict:
    with engine.connect() as conn:
        one = lambda query: conn.execute(query.limit(1)).scalar_one()  # noqa: E731
        z1 = one(sa.select(WorkZone.id).where(WorkZone.code == "Z1"))
        return {
            "road": one(sa.select(Site.id).where(Site.checkpoint_type == "road", Site.zone_id == z1).order_by(Site.id)),
            "road_name": one(sa.select(Site.name).where(Site.checkpoint_type == "road", Site.zone_id == z1).order_by(Site.id)),
            "village": one(sa.select(Site.id).where(Site.kind == "village").order_by(Site.id)),
            "compound": one(sa.select(Site.id).where(Site.kind == "compound").order_by(Site.id)),
            "enterprise": one(sa.select(Enterprise.id).where(Enterprise.status == "not_applied").order_by(Enterprise.id)),
            "finding": one(sa.select(Finding.id).where(Finding.fixed_on.is_(None)).order_by(Finding.id)),
            "shop": one(sa.select(Shop.id).where(Shop.is_open.is_(False)).order_by(Shop.id)),
        }


SURVEY = {"households_known": 100, "households_reached": 90, "people": 250, "people_from_outside": 3,
          "unreachable": 5, "utility_checked": 80, "lit_at_night": 2}
ALL_PASS = {name: True for name in inspections.CHECKS}


def _traffic_grid(engine, ids, day):
    traffic_entry.save_checkpoint_days("supervisor", day, [{"site_id": ids["road"], "vehicles": 1, "persons": 1,
                                       "persons_from_outside": 0, "turned_back": 0, "abnormal_temperature": 0,
                                       "version": None}], today=TODAY, engine=engine)


def _traffic_file(engine, ids, day):
    text = f"day,checkpoint,vehicles,persons,persons_from_outside,turned_back,abnormal_temperature\n" \
           f"{day.isoformat()},{ids['road_name']},1,1,0,0,0\n"
    frame = pd.read_csv(io.StringIO(text), dtype=str)
    from sqlalchemy.orm import Session

    with Session(engine) as session:  # the actor without a sign-in (a sign-in is an audit row of its own)
        actor = auth.load_actor(session, "supervisor")
    traffic_entry.check_upload(frame, actor, today=TODAY, engine=engine)


def _survey(engine, ids, day):
    community.save_survey_round("supervisor", ids["village"], SURVEY, day, today=TODAY, engine=engine)


def _reopening(engine, ids, day):
    with engine.connect() as conn:
        version = conn.execute(sa.select(Enterprise.version).where(Enterprise.id == ids["enterprise"])).scalar_one()
    reopening.record_step("supervisor", ids["enterprise"], "applied", day, version, today=TODAY, engine=engine)


def _inspection(engine, ids, day):
    inspections.record_inspection("supervisor", ids["compound"], day, ALL_PASS, "纪委一组", today=TODAY, engine=engine)


def _close_finding(engine, ids, day):
    inspections.close_finding("supervisor", ids["finding"], day, "已整改", 1, today=TODAY, engine=engine)


def _shops(engine, ids, day):
    shops.save_shops("supervisor", day, [{"shop_id": ids["shop"], "version": None, "is_open": True, "staff": 2,
                                          "staff_from_outside": 0}], today=TODAY, engine=engine)


WRITES = {"traffic_grid": (_traffic_grid, "day", None), "traffic_file": (_traffic_file, "day", 2),
          "survey": (_survey, "day", None), "reopening": (_reopening, "day", None),
          "inspection": (_inspection, "day", None), "close_finding": (_close_finding, "fixed_on", None),
          "shops": (_shops, "day", None)}


def test_season_start_defaults_when_unset(engine):
    assert territory.season_start(engine) == territory.DEFAULT_SEASON_START == dt.date(2020, 1, 1)


def test_demo_season_starts_when_the_survey_began(demo_engine):
    assert territory.season_start(demo_engine) == SEASON


@pytest.mark.parametrize("write", list(WRITES))
def test_every_dated_write_refuses_a_day_before_the_season(demo_engine, write):
    run, field, row = WRITES[write]
    ids = demo_ids(demo_engine)
    with demo_engine.connect() as conn:
        audit_rows = conn.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar_one()
    with pytest.raises(ValidationError) as refused:
        run(demo_engine, ids, BEFORE)
    errors = refused.value.for_field(field, row)
    assert errors and errors[0].en == MESSAGE_EN and errors[0].zh == MESSAGE_ZH, refused.value.errors
    with demo_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar_one() == audit_rows


def test_the_season_start_itself_is_accepted(demo_engine):
    ids = demo_ids(demo_engine)
    _traffic_grid(demo_engine, ids, SEASON)
    _survey(demo_engine, ids, SEASON + dt.timedelta(days=30))  # after the demo's last round
    with demo_engine.connect() as conn:
        assert conn.execute(sa.select(CheckpointDay.id).where(CheckpointDay.day == SEASON)).first()


def test_a_legacy_row_from_1920_does_not_stretch_the_default_range(demo_engine):
    ids = demo_ids(demo_engine)
    before = territory.default_range(today=TODAY, engine=demo_engine)
    with write_session(demo_engine) as session:
        session.add(CheckpointDay(site_id=ids["road"], day=dt.date(1920, 2, 25), vehicles=5, persons=5, version=1))
        session.add(CheckpointDay(site_id=ids["road"], day=dt.date(2099, 2, 25), vehicles=5, persons=5, version=1))
    start, end = territory.default_range(today=TODAY, engine=demo_engine)
    assert (start, end) == before == (dt.date(2020, 2, 1), dt.date(2020, 2, 25))


def test_default_range_of_an_empty_live_database_starts_no_earlier_than_the_season(engine):
    territory.set_season_start("2020-02-20", today=TODAY, engine=engine)
    assert territory.default_range(today=dt.date(2020, 3, 1), engine=engine) == (dt.date(2020, 2, 20), dt.date(2020, 3, 1))


def test_cli_sets_and_gets_the_season_start_with_an_audit_row(engine, capsys):
    assert main(["setting", "get", "season_start"]) == 0
    assert capsys.readouterr().out.startswith("2020-01-01")
    assert main(["setting", "set", "season_start", "2020-01-23"]) == 0
    assert main(["setting", "get", "season_start"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2020-01-23"
    assert territory.season_start(engine) == SEASON
    with engine.connect() as conn:
        audit_row = conn.execute(sa.select(AuditLog).where(AuditLog.table_name == "setting")).one()
    assert audit_row.username == "cli" and "2020-01-23" in audit_row.after
    assert main(["setting", "set", "season_start", "2020-01-23 garbage"]) == 2
    assert main(["setting", "set", "season_start", "2999-01-01"]) == 2  # not in the future
    assert main(["setting", "set", "no_such_setting", "1"]) == 2
    assert territory.season_start(engine) == SEASON


def test_only_an_admin_sets_the_season_start(demo_engine):
    from data_access.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        territory.set_season_start("2020-01-25", actor=auth.authenticate("supervisor", "demo", demo_engine),
                                   engine=demo_engine)
    territory.set_season_start("2020-01-25", actor=auth.authenticate("admin", "demo", demo_engine), engine=demo_engine)
    assert territory.season_start(demo_engine) == dt.date(2020, 1, 25)
