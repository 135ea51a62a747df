"""Due times set by an administrator (audited), the completeness view's reads, and the day a clerk's entry
page opens on, on SQLite and PostgreSQL (issue 10)."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from data_access import auth, clock, completeness, traffic_entry
from data_access.db import write_session
from data_access.errors import NotFound, PermissionDenied, ValidationError
from data_access.filters import Filters
from data_access.models import AuditLog, CheckpointDay, Site, User, UserScope, WorkZone
from data_access.validate import Checker

LAST, NEXT = dt.date(2020, 2, 25), dt.date(2020, 2, 26)
TZ = clock.zone()
FAR_FUTURE = dt.date(2099, 1, 1)  # a real "today" long after the demo: only the demo clock caps the day


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def road(engine, zone: str) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(Site.id).join(WorkZone).where(
            WorkZone.code == zone, Site.checkpoint_type == "road").order_by(Site.id)).scalars())


def zone_id(engine, code: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(WorkZone.id).where(WorkZone.code == code)).scalar_one()


def audit_rows(engine, table: str) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.select(AuditLog).where(AuditLog.action == "set_due_time", AuditLog.table_name == table)
                            .order_by(AuditLog.id)).all()


def actor(engine, name: str):
    return auth.authenticate(name, "demo", engine)


# ---- reading a due time ------------------------------------------------------------------------

@pytest.mark.parametrize("value, minutes", [
    ("10:00+1", 2040), ("18:00", 1080), ("18:00+0", 1080), ("0:00+7", 10080), (" 09:30 + 1 ", 2010),
    (2040, 2040), ("2040", 2040), (0, 0), ((dt.time(8, 30), 1), 1950), ((dt.time(23, 59), 0), 1439),
])
def test_a_due_time_is_read_from_text_minutes_or_time_and_day(value, minutes):
    check = Checker()
    assert completeness.parse_due(check, value) == minutes and not check.errors
    assert completeness.parse_due(Checker(), completeness.format_due(minutes)) == minutes  # the CLI's form round-trips


@pytest.mark.parametrize("value", ["25:00+1", "10:60", "10:00+8", "10081", -1, 10081, "tomorrow", "", 20.5, True,
                                   (dt.time(10, 0), 8), (dt.time(10, 0), -1), ("10:00", 1)])
def test_a_bad_due_time_is_refused_with_a_message(value):
    check = Checker()
    assert completeness.parse_due(check, value) is None
    assert [e.field for e in check.errors] == ["due"] and check.errors[0].zh and check.errors[0].en


# ---- setting it: administrators only, audited -------------------------------------------------------

def test_an_admin_sets_a_zones_due_time_audited(demo_engine):
    admin = actor(demo_engine, "admin")
    result = completeness.set_zone_due("Z2", "09:00+1", actor=admin, reason="早会前汇总", engine=demo_engine)
    assert result == {"changed": True, "before": 2040, "after": 1980}
    zones = completeness.zone_due_times(demo_engine).set_index("code")
    assert zones.loc["Z2", "effective_minutes"] == 1980 and zones.loc["Z1", "effective_minutes"] == 2040
    [row] = audit_rows(demo_engine, "work_zone")
    assert (row.username, row.row_id, row.reason) == ("admin", zone_id(demo_engine, "Z2"), "早会前汇总")
    assert json.loads(row.before) == {"report_due_minutes": 2040, "due": "10:00+1"}
    assert json.loads(row.after) == {"report_due_minutes": 1980, "due": "09:00+1"}
    # the same value again changes nothing and writes no audit row
    assert completeness.set_zone_due("Z2", 1980, actor=admin, engine=demo_engine)["changed"] is False
    assert len(audit_rows(demo_engine, "work_zone")) == 1
    # cleared: the zone falls back to the default, 10:00 the next morning
    completeness.set_zone_due("Z2", None, actor=admin, engine=demo_engine)
    assert completeness.zone_due_times(demo_engine).set_index("code").loc["Z2", "due_minutes"] is None
    assert completeness.zone_due_times(demo_engine).set_index("code").loc["Z2", "effective_minutes"] == 2040


@pytest.mark.parametrize("who", ["supervisor", "clerk", "viewer"])
def test_only_an_admin_sets_due_times(demo_engine, who):
    with pytest.raises(PermissionDenied):
        completeness.set_zone_due("Z1", "09:00+1", actor=actor(demo_engine, who), engine=demo_engine)
    with pytest.raises(PermissionDenied):
        completeness.set_site_due(road(demo_engine, "Z1")[0], "09:00+1", actor=actor(demo_engine, who), engine=demo_engine)
    assert not audit_rows(demo_engine, "work_zone") and not audit_rows(demo_engine, "site")


def test_a_disabled_admin_cannot_set_due_times(demo_engine):
    admin = actor(demo_engine, "admin")
    with write_session(demo_engine) as session:
        session.execute(sa.update(User).where(User.username == "admin").values(active=False))
    with pytest.raises(PermissionDenied):
        completeness.set_zone_due("Z1", "09:00+1", actor=admin, engine=demo_engine)


def test_bad_input_saves_nothing(demo_engine):
    admin = actor(demo_engine, "admin")
    with pytest.raises(ValidationError) as refused:
        completeness.set_zone_due("Z1", "25:00+1", actor=admin, reason="x" * 501, engine=demo_engine)
    assert {e.field for e in refused.value.errors} == {"due", "reason"}
    with pytest.raises(NotFound):
        completeness.set_zone_due("Z9", "09:00+1", actor=admin, engine=demo_engine)
    with pytest.raises(NotFound):
        completeness.set_site_due(999_999, "09:00+1", actor=admin, engine=demo_engine)
    with demo_engine.connect() as conn:
        village_checkpoint = conn.execute(sa.select(Site.id).where(Site.checkpoint_type == "village").limit(1)).scalar_one()
    with pytest.raises(ValidationError) as not_daily:
        completeness.set_site_due(village_checkpoint, "09:00+1", actor=admin, engine=demo_engine)
    assert not_daily.value.errors[0].field == "site_id"
    assert set(completeness.zone_due_times(demo_engine)["effective_minutes"]) == {2040}
    assert not audit_rows(demo_engine, "work_zone") and not audit_rows(demo_engine, "site")


def test_a_sites_own_due_time_wins_over_its_zone_and_can_be_cleared(demo_engine):
    admin = actor(demo_engine, "admin")
    first, second = road(demo_engine, "Z1")
    completeness.set_zone_due("Z1", "08:00+1", actor=admin, engine=demo_engine)
    completeness.set_site_due(first, (dt.time(22, 0), 0), actor=admin, reason="夜班交接", engine=demo_engine)
    sites = completeness.site_due_times(demo_engine).set_index("site_id")
    assert (sites.loc[first, "due_minutes"], sites.loc[first, "effective_minutes"]) == (1320, 1320)
    assert (sites.loc[second, "due_minutes"], sites.loc[second, "effective_minutes"]) == (None, 1920)
    assert completeness.zone_due_times(demo_engine).set_index("code").loc["Z1", "overrides"] == 1
    z1 = Filters(zone_id=zone_id(demo_engine, "Z1"), start=LAST, end=LAST)
    status = completeness.day_status(LAST, z1, now=at(NEXT, 9), engine=demo_engine).set_index("site_id")
    assert status.loc[first, "due_at"] == at(LAST, 22) and status.loc[second, "due_at"] == at(NEXT, 8)
    # the demo reported at 21:30 on the day: on time for 22:00 the same day
    assert set(status["status"]) == {"on_time"}
    completeness.set_site_due(first, None, actor=admin, engine=demo_engine)
    assert completeness.site_due_times(demo_engine).set_index("site_id").loc[first, "effective_minutes"] == 1920
    rows = audit_rows(demo_engine, "site")
    assert [json.loads(r.after)["due"] for r in rows] == ["22:00+0", ""]
    assert rows[0].reason == "夜班交接" and rows[0].row_id == first


def test_the_command_line_is_trusted(demo_engine):
    result = completeness.set_zone_due("Z6", "07:30+1", engine=demo_engine)
    assert result["after"] == 1890
    assert audit_rows(demo_engine, "work_zone")[0].username == "cli"


# ---- the completeness view's reads ---------------------------------------------------------------

def report(engine, site_ids, day, when: dt.datetime, monkeypatch):
    monkeypatch.setenv("DASHBOARD_NOW", when.isoformat())
    rows = [{"site_id": s, "version": None, "vehicles": 10, "persons": 20, "persons_from_outside": 0,
             "turned_back": 0, "abnormal_temperature": 0} for s in site_ids]
    traffic_entry.save_checkpoint_days("supervisor", day, rows, engine=engine)
    monkeypatch.delenv("DASHBOARD_NOW")


def test_overviews_of_a_partly_reported_day(demo_engine, monkeypatch):
    report(demo_engine, road(demo_engine, "Z2"), NEXT, at(NEXT, 20), monkeypatch)
    report(demo_engine, road(demo_engine, "Z3")[:1], NEXT, at(NEXT + dt.timedelta(days=1), 10, 30), monkeypatch)
    filters = Filters(start=dt.date(2020, 2, 1), end=NEXT)
    now = at(NEXT + dt.timedelta(days=1), 11)
    zones = completeness.zone_overview(NEXT, filters, now=now, engine=demo_engine)
    assert list(zones.columns) == completeness.ZONE_OVERVIEW and len(zones) == 6
    assert zones["expected"].sum() == 12 and zones["reported"].sum() == 3
    assert zones["on_time"].sum() == 2 and zones["late"].sum() == 1 and zones["overdue"].sum() == 9
    assert zones["pending"].sum() == 0 and set(zones["due_minutes"]) == {2040}
    sites = completeness.site_overview(NEXT, filters, now=now, engine=demo_engine)
    assert list(sites.columns) == completeness.SITE_OVERVIEW and len(sites) == 12
    assert sites["status"].value_counts().to_dict() == {"overdue": 9, "on_time": 2, "late": 1}
    late = sites[sites["status"] == "late"].iloc[0]
    assert late["late_minutes"] == 30 and late["days_due"] == 26 and late["days_late"] == 1
    assert late["on_time_rate"] == pytest.approx(25 / 26)
    codes = completeness.zone_due_times(demo_engine).set_index("zone_id")["code"]
    assert list(sites["zone_id"].map(codes)) == sorted(sites["zone_id"].map(codes))  # in zone order


def test_overviews_follow_the_filter_and_a_site_added_mid_season(demo_engine):
    z1 = zone_id(demo_engine, "Z1")
    with write_session(demo_engine) as session:
        session.add(Site(kind="checkpoint", checkpoint_type="road", zone_id=z1, name="新设卡口", active=True,
                         reporting_from=NEXT))
    filters = Filters(zone_id=z1, start=dt.date(2020, 2, 20), end=LAST)
    sites = completeness.site_overview(LAST, filters, now=at(NEXT, 9), engine=demo_engine)
    assert set(sites["name"]) == set(completeness.site_due_times(demo_engine).query("zone_code == 'Z1'")["name"]) - {"新设卡口"}
    zones = completeness.zone_overview(LAST, filters, now=at(NEXT, 9), engine=demo_engine)
    assert list(zones["zone_id"]) == [z1] and zones["expected"].iloc[0] == 2


# ---- the day a clerk's entry page opens on -------------------------------------------------------

def test_the_clerk_opens_on_the_day_after_the_last_complete_day(demo_engine):
    clerk = actor(demo_engine, "clerk")
    assert completeness.first_unreported_day(clerk, FAR_FUTURE, engine=demo_engine) == NEXT


def test_a_checkpoint_lacking_the_last_day_opens_that_day(demo_engine):
    clerk = actor(demo_engine, "clerk")
    with write_session(demo_engine) as session:
        session.execute(sa.delete(CheckpointDay).where(CheckpointDay.site_id == road(demo_engine, "Z1")[1],
                                                       CheckpointDay.day == LAST))
    assert completeness.first_unreported_day(clerk, FAR_FUTURE, engine=demo_engine) == LAST


def test_another_zones_gap_is_not_the_clerks(demo_engine):
    with write_session(demo_engine) as session:
        session.execute(sa.delete(CheckpointDay).where(CheckpointDay.site_id.in_(road(demo_engine, "Z2")),
                                                       CheckpointDay.day == LAST))
    assert completeness.first_unreported_day(actor(demo_engine, "clerk"), FAR_FUTURE, engine=demo_engine) == NEXT


def test_never_later_than_today(demo_engine, monkeypatch):
    clerk = actor(demo_engine, "clerk")
    report(demo_engine, road(demo_engine, "Z1"), NEXT, at(NEXT, 20), monkeypatch)  # 02-26 complete too
    monkeypatch.setenv("DASHBOARD_NOW", at(NEXT, 21).isoformat())
    assert completeness.first_unreported_day(clerk, FAR_FUTURE, engine=demo_engine) == NEXT  # the clock's today
    monkeypatch.setenv("DASHBOARD_NOW", at(NEXT + dt.timedelta(days=1), 8).isoformat())
    assert completeness.first_unreported_day(clerk, FAR_FUTURE, engine=demo_engine) == NEXT + dt.timedelta(days=1)
    assert completeness.first_unreported_day(clerk, dt.date(2020, 2, 20), engine=demo_engine) == dt.date(2020, 2, 20)


def test_a_new_checkpoint_counts_from_its_first_reporting_day(demo_engine):
    clerk = actor(demo_engine, "clerk")
    with write_session(demo_engine) as session:
        session.add(Site(kind="checkpoint", checkpoint_type="road", zone_id=zone_id(demo_engine, "Z1"), name="新设卡口",
                         active=True, reporting_from=dt.date(2020, 2, 24)))
    # it never reported: the last day all the clerk's checkpoints reported is the day before it opened
    assert completeness.first_unreported_day(clerk, FAR_FUTURE, engine=demo_engine) == dt.date(2020, 2, 24)


def test_a_clerk_scoped_to_one_site_and_others(demo_engine):
    site = road(demo_engine, "Z4")[0]
    with write_session(demo_engine) as session:
        session.add(User(username="z4one", display_name="四区卡口", role="clerk", active=True,
                         password_hash=auth.hash_password("demo"), scopes=[UserScope(site_id=site)]))
        session.execute(sa.delete(CheckpointDay).where(CheckpointDay.site_id == site,
                                                       CheckpointDay.day >= dt.date(2020, 2, 23)))
    one_site = actor(demo_engine, "z4one")
    assert completeness.first_unreported_day(one_site, FAR_FUTURE, engine=demo_engine) == dt.date(2020, 2, 23)
    for who in ("supervisor", "admin", "viewer"):  # they report for nobody: the page keeps its filter's day
        assert completeness.first_unreported_day(actor(demo_engine, who), FAR_FUTURE, engine=demo_engine) is None


def test_nothing_complete_yet_gives_no_day(demo_engine):
    with write_session(demo_engine) as session:
        session.execute(sa.delete(CheckpointDay).where(CheckpointDay.site_id == road(demo_engine, "Z1")[0]))
    assert completeness.first_unreported_day(actor(demo_engine, "clerk"), FAR_FUTURE, engine=demo_engine) is None
