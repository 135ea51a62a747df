"""Reporting completeness on SQLite and PostgreSQL: who reported a day, on time, late or not yet;
on-time rates over a range; like-for-like changes (issue 10)."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data_access import clock, completeness, traffic_entry
from data_access.db import write_session
from data_access.filters import Filters
from data_access.models import CheckpointDay, Site, WorkZone

LAST, NEXT = dt.date(2020, 2, 25), dt.date(2020, 2, 26)
TZ = clock.zone()
ALL = Filters(start=dt.date(2020, 2, 1), end=NEXT)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def road_checkpoints(engine, zone: str | None = None) -> list[int]:
    query = sa.select(Site.id).where(Site.checkpoint_type == "road").order_by(Site.id)
    if zone:
        query = query.join(WorkZone).where(WorkZone.code == zone)
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def report(engine, site_ids, day, when: dt.datetime, username="supervisor", vehicles=10, persons=20):
    """Save the day for the sites with the clock standing at `when`."""
    import os

    os.environ["DASHBOARD_NOW"] = when.isoformat()
    try:
        rows = [{"site_id": s, "version": None, "vehicles": vehicles, "persons": persons, "persons_from_outside": 0,
                 "turned_back": 0, "abnormal_temperature": 0} for s in site_ids]
        return traffic_entry.save_checkpoint_days(username, day, rows, reason="补录", today=dt.date.today(), engine=engine)
    finally:
        os.environ.pop("DASHBOARD_NOW", None)


def test_the_demo_clock_stands_on_the_morning_after_its_last_day(demo_engine):
    assert clock.now(demo_engine) == at(NEXT, 9, 30)


def test_the_last_demo_day_is_complete_and_on_time(demo_engine):
    day = completeness.summary(LAST, ALL, now=at(NEXT, 9, 30), engine=demo_engine)
    assert day["expected"] == 12 and day["reported"] == 12 and day["on_time"] == 12 and day["complete"]


def test_a_day_with_none_some_and_all_reported(demo_engine):
    sites = road_checkpoints(demo_engine)
    before_due = at(NEXT, 15)
    nothing = completeness.summary(NEXT, ALL, now=before_due, engine=demo_engine)
    assert (nothing["reported"], nothing["pending"], nothing["overdue"], nothing["complete"]) == (0, 12, 0, False)

    report(demo_engine, sites[:2], NEXT, before_due)
    some = completeness.summary(NEXT, ALL, now=before_due, engine=demo_engine)
    assert (some["reported"], some["on_time"], some["pending"], some["overdue"]) == (2, 2, 10, 0)
    after_due = at(NEXT + dt.timedelta(days=1), 11)  # 10:00 the next morning has passed
    late = completeness.day_status(NEXT, ALL, now=after_due, engine=demo_engine)
    assert (late["status"] == "overdue").sum() == 10
    assert set(late.loc[late["status"] == "overdue", "late_minutes"]) == {60}
    assert late.loc[late["status"] == "overdue", "due_at"].iloc[0] == at(NEXT + dt.timedelta(days=1), 10)

    report(demo_engine, sites[2:], NEXT, after_due)  # the rest come in an hour late
    everything = completeness.summary(NEXT, ALL, now=after_due, engine=demo_engine)
    assert (everything["reported"], everything["on_time"], everything["late"], everything["complete"]) == (12, 2, 10, True)


def test_a_correction_never_makes_an_on_time_report_late(demo_engine):
    site = road_checkpoints(demo_engine)[0]
    with demo_engine.connect() as conn:
        row = conn.execute(sa.select(CheckpointDay).where(CheckpointDay.site_id == site, CheckpointDay.day == LAST)).one()
    import os

    os.environ["DASHBOARD_NOW"] = at(LAST + dt.timedelta(days=3), 16).isoformat()
    try:
        traffic_entry.save_checkpoint_days("supervisor", LAST, [{
            "site_id": site, "version": row.version, "vehicles": row.vehicles + 1, "persons": row.persons,
            "persons_from_outside": row.persons_from_outside, "turned_back": row.turned_back,
            "abnormal_temperature": row.abnormal_temperature}], reason="电话核实", engine=demo_engine)
    finally:
        os.environ.pop("DASHBOARD_NOW", None)
    status = completeness.day_status(LAST, ALL, now=at(LAST + dt.timedelta(days=3), 17), engine=demo_engine)
    assert (status["status"] == "on_time").all()


def test_a_site_opened_mid_season_is_not_missing_before_it_existed(demo_engine):
    z1 = road_checkpoints(demo_engine, "Z1")
    with write_session(demo_engine) as session:
        zone_id = session.scalar(sa.select(WorkZone.id).where(WorkZone.code == "Z1"))
        session.add(Site(kind="checkpoint", checkpoint_type="road", zone_id=zone_id, name="新设卡口",
                         reporting_from=dt.date(2020, 2, 20), active=True))
    z1_filters = Filters(zone_id=zone_id, start=dt.date(2020, 2, 15), end=LAST)
    assert completeness.summary(dt.date(2020, 2, 19), z1_filters, now=at(NEXT, 9), engine=demo_engine)["expected"] == len(z1)
    on_20th = completeness.summary(dt.date(2020, 2, 20), z1_filters, now=at(NEXT, 9), engine=demo_engine)
    assert on_20th["expected"] == len(z1) + 1 and on_20th["overdue"] == 1 and not on_20th["complete"]
    rates = completeness.site_rates(z1_filters, now=at(NEXT, 9), engine=demo_engine).set_index("name")
    # 20th to 24th are due (the 25th is due at 10:00 on the 26th): not the five days before it opened
    assert (rates.loc["新设卡口", "expected_days"], rates.loc["新设卡口", "pending"]) == (5, 1)
    assert rates.loc["新设卡口", "on_time_rate"] == 0
    assert completeness.latest_complete_day(z1_filters, LAST, engine=demo_engine) == dt.date(2020, 2, 19)


def test_on_time_rates_over_a_range(demo_engine):
    sites = road_checkpoints(demo_engine)
    report(demo_engine, sites[:6], NEXT, at(NEXT, 20))  # on time
    report(demo_engine, sites[6:9], NEXT, at(NEXT + dt.timedelta(days=1), 12))  # two hours late
    now = at(NEXT + dt.timedelta(days=1), 13)  # the last three never came
    rates = completeness.site_rates(Filters(start=LAST, end=NEXT), now=now, engine=demo_engine)
    assert rates["expected_days"].sum() == 24
    assert (rates["on_time"].sum(), rates["late"].sum(), rates["overdue"].sum()) == (18, 3, 3)
    zones = completeness.zone_rates(Filters(start=LAST, end=NEXT), now=now, engine=demo_engine)
    assert zones["expected_days"].sum() == 24
    assert zones["on_time_rate"].between(0, 1).all()
    overall = zones["on_time"].sum() / zones["expected_days"].sum()
    assert overall == pytest.approx(18 / 24)


def test_pending_days_do_not_count_against_the_rate(demo_engine):
    rates = completeness.site_rates(Filters(start=LAST, end=NEXT), now=at(NEXT, 15), engine=demo_engine)
    assert rates["pending"].sum() == 12 and rates["expected_days"].sum() == 12
    assert (rates["on_time_rate"] == 1).all()


def test_like_for_like_change_uses_only_sites_in_on_both_days(demo_engine):
    sites = road_checkpoints(demo_engine)
    report(demo_engine, sites[:2], NEXT, at(NEXT, 20), vehicles=100, persons=150)
    change = completeness.comparable_change(NEXT, ALL, engine=demo_engine)
    assert change["sites"] == 2
    assert change["today"]["vehicles"] == 200
    with demo_engine.connect() as conn:
        yesterday = conn.execute(sa.select(sa.func.sum(CheckpointDay.vehicles)).where(
            CheckpointDay.day == LAST, CheckpointDay.site_id.in_(sites[:2]))).scalar_one()
    assert change["yesterday"]["vehicles"] == yesterday


def test_a_day_still_coming_in_is_marked_and_kept_out_of_averages(demo_engine):
    from data_access import traffic

    before = traffic.summary(Filters(start=dt.date(2020, 2, 1), end=LAST), engine=demo_engine)
    report(demo_engine, road_checkpoints(demo_engine)[:2], NEXT, at(NEXT, 20), vehicles=5)
    filters = Filters(start=dt.date(2020, 2, 1), end=NEXT)
    days = traffic.daily(filters, engine=demo_engine).set_index("day")
    assert bool(days.at[NEXT, "partial"]) and not days.loc[:LAST, "partial"].any()
    whole_six = days.loc[dt.date(2020, 2, 20):LAST, "vehicles"].mean()  # the 10-vehicle day is not averaged in
    assert days.at[NEXT, "vehicles_7d"] == pytest.approx(whole_six, abs=0.05)
    after = traffic.summary(filters, engine=demo_engine)
    assert after["daily_average_vehicles"] == pytest.approx(before["daily_average_vehicles"])
    assert after["totals"]["vehicles"] == before["totals"]["vehicles"] + 10  # totals still count every report
