"""The wall's completeness counts, counted and limited in SQL (issue 14), equal a plain recomputation from
day_status (one row per site and day, statuses decided in Python) on a varied data set: zone and site due
times, sites that start reporting within the window, missing reports, a report without its time, reports
late and exactly on time. On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import completeness, reporting
from data_access.filters import Filters
from data_access.models import CheckpointDay, Site, WorkZone

TZ = completeness.clock.zone()
LAST, NEXT = dt.date(2020, 2, 25), dt.date(2020, 2, 26)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


@pytest.fixture
def varied(demo_engine):
    """The demo, its last week made uneven."""
    with demo_engine.begin() as conn:
        zones = conn.execute(sa.select(WorkZone.id).order_by(WorkZone.code)).scalars().all()
        sites = conn.execute(sa.select(Site.id).where(Site.checkpoint_type == "road").order_by(Site.id)).scalars().all()
        conn.execute(sa.update(WorkZone).where(WorkZone.id == zones[0]).values(report_due_minutes=18 * 60))  # same day
        conn.execute(sa.update(Site).where(Site.id == sites[1]).values(report_due_minutes=3 * 1440 + 600))
        conn.execute(sa.update(Site).where(Site.id == sites[2]).values(reporting_from=LAST - dt.timedelta(days=2)))
        conn.execute(sa.update(Site).where(Site.id == sites[3]).values(reporting_from=NEXT))

        def row(site, day):
            return sa.and_(CheckpointDay.site_id == site, CheckpointDay.day == day)

        for k, site in enumerate(sites[4:9]):  # a missing report here and there, older ones too
            conn.execute(sa.delete(CheckpointDay).where(row(site, LAST - dt.timedelta(days=k))))
        conn.execute(sa.delete(CheckpointDay).where(row(sites[4], LAST - dt.timedelta(days=3))))
        conn.execute(sa.update(CheckpointDay).where(row(sites[9], LAST - dt.timedelta(days=1))).values(reported_at=None))
        for k, site in enumerate(sites[:4]):  # late by an hour, or right at the due time (on time)
            day = LAST - dt.timedelta(days=k)
            due = completeness.due_at(day, 18 * 60 if k == 0 else completeness.DEFAULT_DUE_MINUTES)
            when = due + dt.timedelta(hours=1) if k % 2 else due
            conn.execute(sa.update(CheckpointDay).where(row(site, day)).values(
                reported_at=when.astimezone(dt.timezone.utc)))
    return demo_engine, zones


NOWS = [at(LAST, 20), at(NEXT, 9, 30), at(NEXT, 19), at(NEXT + dt.timedelta(days=1), 11),
        at(NEXT + dt.timedelta(days=3), 17)]


def _window(now):
    return [now.date() - dt.timedelta(days=k) for k in range(reporting.WINDOW_DAYS - 1, -1, -1)]


def _statuses(filters, now, engine):
    """day_status for each day of the window: the plain recomputation."""
    return {day: completeness.day_status(day, filters, now, engine) for day in _window(now)}


@pytest.mark.parametrize("now", NOWS)
def test_day_counts_equal_day_status(varied, now):
    engine, zones = varied
    for filters in (Filters(), Filters(zone_id=zones[0]), Filters(zone_id=zones[1])):
        counts = completeness.day_counts(_window(now), filters, now, engine)
        for day, status in _statuses(filters, now, engine).items():
            per_status = status["status"].value_counts().to_dict()
            expected = {s: per_status.get(s, 0) for s in completeness.STATUSES}
            assert {s: counts[day][s] for s in completeness.STATUSES} == expected, (day, filters)
            assert counts[day]["expected"] == len(status)
            pending = status[status["status"] == "pending"]["due_at"]
            assert counts[day]["pending_due"] == (min(pending) if len(pending) else None)
            summary = completeness.summary(day, filters, now, engine)
            assert (summary["expected"], summary["reported"]) == (len(status), expected["on_time"] + expected["late"])


@pytest.mark.parametrize("now", NOWS)
def test_overdue_and_pending_equal_the_window_recounted(varied, now):
    engine, zones = varied
    seen = 0
    for filters in (Filters(), Filters(zone_id=zones[0])):
        rows = [(*row, day) for day, status in _statuses(filters, now, engine).items()
                for row in status.itertuples(index=False)]
        late = [row for row in rows if row[6] == "overdue"]
        oldest, missed = {}, {}
        for row in late:  # the days in order: the first seen is the oldest
            oldest.setdefault(row[0], row)
            missed[row[0]] = missed.get(row[0], 0) + 1
        plain = pd.DataFrame([(*oldest[s], missed[s]) for s in sorted(oldest)],
                             columns=[*completeness.STATUS_COLUMNS, "day", "missed_days"])
        plain = plain.sort_values(["late_minutes", "zone_id", "name"], ascending=[False, True, True], kind="stable")
        plain = plain[reporting.OVERDUE_COLUMNS].reset_index(drop=True)
        overdue = reporting.overdue(filters, now, engine)
        if len(plain):
            pd.testing.assert_frame_equal(overdue, plain, check_exact=True)
        else:
            assert overdue.empty
        seen += len(plain)
        for limit in (1, 2, 5):
            total, first = reporting.first_overdue(filters, now, limit, engine)
            assert total == len(plain)
            pd.testing.assert_frame_equal(first, overdue.head(limit), check_exact=True, check_dtype=bool(len(first)))
        pending = []
        for day in _window(now):
            waiting = [row for row in rows if row[-1] == day and row[6] == "pending"]
            expected = sum(1 for row in rows if row[-1] == day)
            reported = sum(1 for row in rows if row[-1] == day and row[6] in ("on_time", "late"))
            if expected and waiting and (day < now.date() or reported):
                pending.append({"day": day, "count": len(waiting), "due_at": min(pd.Series([r[4] for r in waiting])),
                                "reported": reported, "expected": expected})
        assert reporting.pending(filters, now, engine) == pending
    assert seen or now < at(NEXT, 10)


def test_comparable_change_and_latest_complete_day_equal_a_plain_recount(varied):
    engine, zones = varied
    with engine.connect() as conn:
        reports = conn.execute(sa.select(CheckpointDay.site_id, CheckpointDay.day, CheckpointDay.vehicles, Site.zone_id,
                                         Site.reporting_from)
                               .join(Site, Site.id == CheckpointDay.site_id).where(Site.checkpoint_type == "road")).all()
        starts = conn.execute(sa.select(Site.zone_id, Site.reporting_from).where(Site.checkpoint_type == "road")).all()
    for zone in (None, zones[0], zones[1]):
        filters = Filters(zone_id=zone, start=dt.date(2020, 2, 1), end=NEXT)
        mine = [r for r in reports if zone in (None, r.zone_id)]
        vehicles = {(r.site_id, r.day): r.vehicles for r in mine}
        for day in (LAST - dt.timedelta(days=k) for k in range(6)):
            both = [s for s, d in vehicles if d == day and (s, day - dt.timedelta(days=1)) in vehicles]
            change = completeness.comparable_change(day, filters, engine)
            assert change["sites"] == len(both)
            assert change["today"]["vehicles"] == sum(vehicles[s, day] for s in both)
            assert change["yesterday"]["vehicles"] == sum(vehicles[s, day - dt.timedelta(days=1)] for s in both)
        for until in (NEXT, LAST, LAST - dt.timedelta(days=2)):
            plain = None  # the reports of the sites expected by `until`, against those expected on the day
            counted = [r.day for r in mine if r.day <= until and (r.reporting_from is None or r.reporting_from <= until)]
            for day in sorted(set(counted), reverse=True):
                expected = sum(1 for z, start in starts if zone in (None, z) and (start is None or start <= day))
                if counted.count(day) >= expected > 0:
                    plain = day
                    break
            assert completeness.latest_complete_day(filters, until, engine) == plain, (zone, until)


@pytest.mark.parametrize("now", NOWS[1:4])
def test_zone_overview_from_the_sites_equals_the_zones_recounted(varied, now):
    """zones_of(site_overview) (the page counts the season's reports once) equals the day's statuses per
    zone from day_status beside zone_rates; zone_statuses (the zone chart) equals its counts."""
    engine, zones = varied
    for filters in (Filters(start=dt.date(2020, 2, 1), end=now.date()), Filters(zone_id=zones[0], start=LAST, end=NEXT)):
        day = filters.end
        overview = completeness.zone_overview(day, filters, now, engine)
        status = completeness.day_status(day, filters, now, engine)
        rates = completeness.zone_rates(filters, now, engine).set_index("zone_id")
        codes = completeness.zone_due_times(engine).set_index("zone_id")["code"]
        assert list(overview["zone_id"]) == sorted(rates.index, key=codes.get)  # the zones with sites, in code order
        for zone in overview.itertuples():
            mine = status[status["zone_id"] == zone.zone_id]["status"].value_counts()
            assert [getattr(zone, s) for s in completeness.STATUSES] == [mine.get(s, 0) for s in completeness.STATUSES]
            assert zone.expected == len(status[status["zone_id"] == zone.zone_id])
            assert zone.reporting_rate == pytest.approx(rates.loc[zone.zone_id, "reporting_rate"], nan_ok=True)
            assert zone.on_time_rate == pytest.approx(rates.loc[zone.zone_id, "on_time_rate"], nan_ok=True)
        pd.testing.assert_frame_equal(completeness.zone_statuses(day, filters, now, engine),
                                      overview[["zone_id", "zone", *completeness.STATUSES]], check_exact=True)
