"""Reporting completeness: who has reported a day's figures, on time, late, or not yet.

As health information systems count it: a site that must report daily is *expected* from its first
reporting day on; its report for a day is *due* at a set time (by default 10:00 the next morning,
set per work zone, overridable per site); a report saved by then is *on time*, after it *late*; a
missing report is *pending* until the due time and *overdue* after it. A correction never changes
when a day was first reported. Today every road checkpoint reports daily.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
from sqlalchemy import String, and_, case, func, literal, or_, select, true, type_coerce
from sqlalchemy.orm import aliased

from . import clock, people, territory
from .audit import audit
from .auth import Actor, _admin_in
from .db import frame_of, read_connection, read_frame, write_session
from .errors import FieldError, NotFound, ValidationError
from .filters import Filters
from .models import CheckpointDay, Site, User, UserScope, WorkZone
from .traffic import METRICS, ROAD_CHECKPOINT, _checkpoint_scope
from .traffic_entry import road_checkpoints_of
from .validate import Checker

_REPORTED_AT = CheckpointDay.reported_at.type  # a due time bound as reported_at is stored
DEFAULT_DUE_MINUTES = 34 * 60  # 10:00 the morning after the day reported on
STATUSES = ("on_time", "late", "overdue", "pending")


def _due_minutes():
    return func.coalesce(Site.report_due_minutes, WorkZone.report_due_minutes, DEFAULT_DUE_MINUTES)


def due_at(day: dt.date, minutes: int) -> dt.datetime:
    return clock.local_midnight(day) + dt.timedelta(minutes=int(minutes))


def _expected(filters: Filters, first: dt.date, last: dt.date):
    """Road checkpoints in the filter that are expected to report on some day between first and last."""
    leads = people.lead_names(Site.id)
    query = leads.join(select(Site.id.label("site_id"), Site.name, Site.zone_id, WorkZone.name.label("zone"),
                              leads.both.label("lead_cadre"), Site.reporting_from, _due_minutes().label("due_minutes"))
                       .join(WorkZone, WorkZone.id == Site.zone_id))
    query = _checkpoint_scope(query, filters)
    return query.where((Site.reporting_from.is_(None)) | (Site.reporting_from <= last))


def _status(reported_at, due: dt.datetime, now: dt.datetime) -> str:
    if reported_at is not None:
        return "on_time" if clock.as_utc(reported_at) <= due else "late"
    return "overdue" if now > due else "pending"


STATUS_COLUMNS = ["site_id", "name", "zone_id", "zone", "due_at", "reported_at", "status", "late_minutes",
                  "responsible"]


def day_status(day: dt.date, filters: Filters, now: dt.datetime | None = None, engine=None) -> pd.DataFrame:
    """One row per expected site for `day`: due time, when it reported, status, minutes late, who answers."""
    now = now or clock.now(engine)
    if day < territory.season_start(engine):
        return pd.DataFrame([], columns=STATUS_COLUMNS)
    expected = _expected(filters, day, day).subquery("expected")
    query = (select(*_site_columns(expected), CheckpointDay.reported_at)
             .outerjoin(CheckpointDay, and_(CheckpointDay.site_id == expected.c.site_id, CheckpointDay.day == day))
             .order_by(expected.c.zone, expected.c.name))
    with read_connection(engine) as conn:
        rows = conn.execute(query).all()
        responsible = _Responsible(_clerks(conn))
    return pd.DataFrame(list(_status_rows(day, rows, now, responsible)), columns=STATUS_COLUMNS)


def _site_columns(expected):
    return (expected.c.site_id, expected.c.name, expected.c.zone_id, expected.c.zone, expected.c.lead_cadre,
            expected.c.reporting_from, expected.c.due_minutes)


def _status_rows(day: dt.date, rows, now: dt.datetime, responsible):
    """day_status's rows (STATUS_COLUMNS) from (site_id, name, zone_id, zone, lead_cadre, reporting_from,
    due_minutes, reported_at) rows; `responsible` None leaves who answers out (counting needs no names)."""
    midnight, dues = clock.local_midnight(day), {}
    for site_id, name, zone_id, zone, lead_cadre, reporting_from, minutes, reported_at in rows:
        if reporting_from and reporting_from > day:
            continue
        due = dues.get(minutes)
        if due is None:
            due = dues[minutes] = midnight + dt.timedelta(minutes=int(minutes))
        reported = clock.as_utc(reported_at)
        if reported is not None:
            status = "on_time" if reported <= due else "late"
        else:
            status = "overdue" if now > due else "pending"
        late = max(0, int(((reported or now) - due).total_seconds() // 60)) if status in ("late", "overdue") else 0
        yield (site_id, name, zone_id, zone, due, reported, status, late,
               responsible(site_id, zone_id, lead_cadre) if responsible else None)


def _clerks(conn, sites=None, zones=None) -> list[tuple[str, int | None, int | None]]:
    """(display name, zone id, site id) of every active clerk's scope; only the scopes of these sites and
    zones when given (the few rows a list shows need no index of every clerk)."""
    query = (select(User.display_name, UserScope.zone_id, UserScope.site_id)
             .join(UserScope, UserScope.user_id == User.id)
             .where(User.active.is_(True), User.role == "clerk"))
    if sites is not None:
        query = query.where(or_(UserScope.site_id.in_(sites),
                                and_(UserScope.site_id.is_(None), UserScope.zone_id.in_(zones))))
    return conn.execute(query.order_by(User.display_name)).all()


class _Responsible:
    """Who answers for a site's report: the clerks whose scope holds the site (itself or its zone), in the
    order of `clerks`, then its lead cadre; each name once. Indexed once, asked once per site."""

    def __init__(self, clerks):
        self.by_site: dict[int, list] = {}
        self.by_zone: dict[int, list] = {}
        self.known: dict[tuple, str] = {}  # a site asked again (another day of the week)
        for position, (name, zone, site) in enumerate(clerks):
            if site is not None:
                self.by_site.setdefault(site, []).append((position, name))
            else:
                self.by_zone.setdefault(zone, []).append((position, name))

    def __call__(self, site_id: int, zone_id: int, lead_cadre: str | None) -> str:
        key = (site_id, zone_id, lead_cadre)
        known = self.known.get(key)
        if known is None:
            names = [name for _, name in sorted(self.by_site.get(site_id, []) + self.by_zone.get(zone_id, []))]
            if lead_cadre:
                names.append(lead_cadre)
            known = self.known[key] = "、".join(dict.fromkeys(names))
        return known


def _window_days(days, engine) -> list[dt.date]:
    season = territory.season_start(engine)
    return sorted(day for day in set(days) if day >= season)


def _expected_groups(conn, expected) -> list[tuple[int, dt.date | None, int]]:
    """(due minutes, first reporting day, how many sites) of the expected sites: a handful of rows."""
    query = (select(expected.c.due_minutes, expected.c.reporting_from, func.count())
             .group_by(expected.c.due_minutes, expected.c.reporting_from))
    return [(int(minutes), start, int(n)) for minutes, start, n in conn.execute(query)]


def _due_of(expected, dues: dict[tuple[dt.date, int], dt.datetime]):
    """SQL: a report's due time, from {(day, due minutes): due time} computed here as _status_rows does, and
    bound as reported_at is stored (a CASE, not a joined table of dues: that would lead SQLite's plan)."""
    return case(*[(and_(CheckpointDay.day == day, expected.c.due_minutes == minutes),
                   literal(clock.as_utc(due), _REPORTED_AT)) for (day, minutes), due in dues.items()])


def _reports_of(expected, first: dt.date, last: dt.date):
    """Join condition: the reports of an expected site between first and last, on days it was expected.
    Outer-joined from the sites, so SQLite reads them site by site along the covering (site, day, ...,
    reported_at) index instead of along the day index and every row (twice as slow)."""
    return and_(CheckpointDay.site_id == expected.c.site_id, CheckpointDay.day.between(first, last),
                CheckpointDay.reported_at.is_not(None),
                or_(expected.c.reporting_from.is_(None), expected.c.reporting_from <= CheckpointDay.day))


def day_counts(days: list[dt.date], filters: Filters, now: dt.datetime | None = None, engine=None) -> dict:
    """Per day of `days` from the season on: what summary() counts (each status, expected, reported),
    and `pending_due`, the first due time among the sites pending (None without one). Counted in SQL per
    day and due time, never a row per site (that cost ~10 ms a day at city scale)."""
    now = now or clock.now(engine)
    days = _window_days(days, engine)
    if not days:
        return {}
    expected = _expected(filters, days[0], days[-1]).subquery("expected")
    with read_connection(engine) as conn:
        groups = _expected_groups(conn, expected)
        dues = {(day, minutes): due_at(day, minutes) for day in days for minutes in {g[0] for g in groups}}
        reported = [] if not dues else conn.execute(_reported_per_due(expected, dues, days)).all()
    counts = {day: dict.fromkeys((*STATUSES, "expected", "reported"), 0) | {"pending_due": None} for day in days}
    missing = {pair: sum(n for minutes, start, n in groups if minutes == pair[1] and (start is None or start <= pair[0]))
               for pair in dues}  # every expected site, less those that reported below
    for day, minutes, count, on_time in reported:
        if day is None:  # the sites without a report
            continue
        missing[day, minutes] -= count
        counts[day]["on_time"] += on_time
        counts[day]["late"] += count - on_time
    for (day, minutes), left in missing.items():
        due, count = dues[day, minutes], counts[day]
        count["overdue" if now > due else "pending"] += left
        if left and now <= due and (count["pending_due"] is None or due < count["pending_due"]):
            count["pending_due"] = due
    for count in counts.values():
        count["reported"] = count["on_time"] + count["late"]
        count["expected"] = sum(count[s] for s in STATUSES)
    return counts


def _reported_per_due(expected, dues, days):
    """Per day and due time: how many expected sites reported, and how many of them on time (and a row
    with no day for the sites that reported none of the days)."""
    on_time = func.coalesce(func.sum(case((CheckpointDay.reported_at <= _due_of(expected, dues), 1), else_=0)), 0)
    return (select(CheckpointDay.day, expected.c.due_minutes, func.count(CheckpointDay.site_id), on_time)
            .select_from(expected).outerjoin(CheckpointDay, _reports_of(expected, days[0], days[-1]))
            .group_by(CheckpointDay.day, expected.c.due_minutes))


def summary(day: dt.date, filters: Filters, now: dt.datetime | None = None, engine=None) -> dict:
    """Counts for a day: expected, reported, and each status; complete when every expected site reported."""
    return summary_of(day, day_counts([day], filters, now, engine).get(day))


def summary_of(day: dt.date, counts: dict | None) -> dict:
    """summary() from day_counts()'s counts of the day (None: before the season)."""
    counts = counts or dict.fromkeys(STATUSES, 0)
    result = {s: counts[s] for s in STATUSES}
    result.update(day=day, expected=sum(counts[s] for s in STATUSES), reported=result["on_time"] + result["late"])
    result["complete"] = result["expected"] > 0 and result["reported"] == result["expected"]
    return result


def overdue_sites(days: list[dt.date], filters: Filters, now: dt.datetime | None = None, limit: int | None = None,
                  engine=None) -> tuple[int, list[tuple]]:
    """The sites with a report overdue on some of `days`: how many, and day_status's row (STATUS_COLUMNS,
    then the day and the number of days missed) of each one's oldest missed day, longest late first, then
    by work zone, name and id; the `limit` first when given.

    One small row per site, the days it reported summed in SQL as the bits of one number, sorted here;
    who answers is looked up for the rows returned only."""
    now = now or clock.now(engine)
    days = _window_days(days, engine)
    if not days:
        return 0, []
    if len(days) > 62:
        raise ValueError("at most 62 days: one bit per day in a 64-bit sum")
    expected = _expected(filters, days[0], days[-1]).subquery("expected")
    bits = func.sum(case(*[(CheckpointDay.day == day, 1 << k) for k, day in enumerate(days)], else_=0))
    query = (select(*_site_columns(expected), func.coalesce(bits, 0))
             .select_from(expected).outerjoin(CheckpointDay, _reports_of(expected, days[0], days[-1]))
             .group_by(*_site_columns(expected)))
    with read_connection(engine) as conn:
        late = sorted(_missed(conn.execute(query), days, now))
        shown = late if limit is None else late[:limit]
        responsible = _Responsible(_clerks(conn, {r[3][0] for r in shown}, {r[3][2] for r in shown}))
    rows = []
    for minus_late, _, _, (site_id, name, zone_id, zone, lead_cadre, _, minutes, _), oldest, missed in shown:
        rows.append((site_id, name, zone_id, zone, due_at(oldest, minutes), None, "overdue", -minus_late,
                     responsible(site_id, zone_id, lead_cadre), oldest, missed))
    return len(late), rows


def _missed(sites, days: list[dt.date], now: dt.datetime):
    """(-late minutes, zone id, name, site, oldest missed day, days missed) of each site with a report
    overdue: the order overdue_sites lists them in (ties by site id, Python's string order as pandas')."""
    expected_bits: dict[tuple, int] = {}  # (due minutes, first day) -> the days overdue the site owes
    for site in sites:
        minutes, start, done = site[6], site[5], site[7]
        owed = expected_bits.get((minutes, start))
        if owed is None:
            owed = expected_bits[minutes, start] = sum(
                1 << k for k, day in enumerate(days) if (start is None or start <= day) and now > due_at(day, minutes))
        missing = owed & ~int(done)
        if missing:
            first = (missing & -missing).bit_length() - 1
            due = due_at(days[first], minutes)
            late = max(0, int((now - due).total_seconds() // 60))
            yield -late, site[2], site[1], tuple(site), days[first], bin(missing).count("1")


def site_rates(filters: Filters, now: dt.datetime | None = None, engine=None) -> pd.DataFrame:
    """Per site over the filter's days: days expected, reported, on time, late, overdue, and the rates.

    Days still pending (not yet due) are left out of the rates: nobody can be late for them yet.

    Counted in SQL: how many days each site reported and how many of those on time (the due time
    computed there, when the work zone's clock keeps one UTC offset over the range, as it does where it
    has no summer time); only the last week, where a missing day may not be due yet, is looked at day
    by day. Day by day over the whole range it took 1-2 s at city scale (1,000 sites x 180 days)."""
    now = now or clock.now(engine)
    season = territory.season_start(engine)
    first, last = max(filters.start, season), filters.end
    expected = _expected(filters, first, last).subquery("expected")
    offsets = {clock.local_midnight(first + dt.timedelta(days=k)).utcoffset() for k in range((last - first).days + 1)}
    with read_connection(engine) as conn:
        # plain rows, not a frame: iterating a frame's rows cost more than the counting (1,000 sites, issue 14)
        sites = conn.execute(select(expected)).all()
        if len(offsets) != 1:  # a clock change within the range (or no day at all)
            counted = _counted_day_by_day(conn, sites, expected, first, last, now)
        else:
            counted = _counted_in_sql(conn, sites, expected, first, last, now, offsets.pop())
    rows = []
    for site in sites:
        counts = counted.get(site.site_id) or dict.fromkeys(STATUSES, 0)
        due_days = counts["on_time"] + counts["late"] + counts["overdue"]
        rows.append({"site_id": site.site_id, "name": site.name, "zone_id": site.zone_id, "zone": site.zone,
                     "expected_days": due_days, **counts,
                     "reporting_rate": (counts["on_time"] + counts["late"]) / due_days if due_days else None,
                     "on_time_rate": counts["on_time"] / due_days if due_days else None})
    return pd.DataFrame(rows, columns=["site_id", "name", "zone_id", "zone", "expected_days", *STATUSES,
                                       "reporting_rate", "on_time_rate"])


def _first_day(site, first: dt.date) -> dt.date:
    return max(first, site.reporting_from) if site.reporting_from else first


def _counted_day_by_day(conn, sites, expected, first, last, now) -> dict[int, dict]:
    """site id -> its count of each status over its days in the range, one day at a time."""
    query = (select(expected.c.site_id, CheckpointDay.day, CheckpointDay.reported_at)
             .join(CheckpointDay, CheckpointDay.site_id == expected.c.site_id)
             .where(CheckpointDay.day.between(first, last)))
    reports = {(site_id, day): reported_at for site_id, day, reported_at in conn.execute(query)}
    counted = {}
    for site in sites:
        counts = dict.fromkeys(STATUSES, 0)
        start = _first_day(site, first)
        for offset in range((last - start).days + 1):
            day = start + dt.timedelta(days=offset)
            counts[_status(reports.get((site.site_id, day)), due_at(day, site.due_minutes), now)] += 1
        counted[site.site_id] = counts
    return counted


def _due(conn, day, minutes, offset: dt.timedelta):
    """SQL: the due time of `day`'s report, `minutes` after its local midnight, as the database compares it
    with reported_at (UTC), for a clock `offset` ahead of UTC."""
    shift = minutes - int(offset.total_seconds() // 60)  # minutes after the day's midnight in UTC
    if conn.dialect.name == "postgresql":
        return func.timezone("UTC", day + func.make_interval(0, 0, 0, 0, 0, shift))
    # SQLite keeps times as text, 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC: the same text, to the microsecond
    return func.strftime("%Y-%m-%d %H:%M:%f", day, func.printf("%+d minutes", shift)).concat("000")


def _on_time_count_sqlite(expected, dues, offset: dt.timedelta):
    """SQL (SQLite): how many of the joined reports were on time. A report made on or before its day's
    UTC date is on time whenever its due time falls on a later UTC date (as the default, 10:00 the next
    morning, does), which the stored text tells without a look-up; only the other reports (~3% at city
    scale) look their due time up among the dues. Joined to the dues, every report paid a look-up that
    cost as much as the rest of the count (issue 14)."""
    due = (select(dues.c.due).where(dues.c.day == CheckpointDay.day, dues.c.due_minutes == expected.c.due_minutes)
           .scalar_subquery())
    due_on_a_later_date = expected.c.due_minutes >= 1440 + int(offset.total_seconds() // 60)
    # reported_at is stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC), day as 'YYYY-MM-DD': ' ' sorts before 'T'
    made_by_its_date = CheckpointDay.reported_at < type_coerce(CheckpointDay.day, String).concat("T")
    on_time = case((and_(due_on_a_later_date, made_by_its_date), 1), (CheckpointDay.reported_at <= due, 1), else_=0)
    return func.coalesce(func.sum(on_time), 0)


def _counted_in_sql(conn, sites, expected, first, last, now, offset) -> dict[int, dict]:
    """site id -> its count of each status over its days in the range: reported and on time counted in SQL,
    the days not reported split into overdue and pending by their due time (only the last week's can be
    pending: a report is due at most 7 days after its day)."""
    reported = CheckpointDay.reported_at.is_not(None)
    own_days = and_(CheckpointDay.day.between(first, last),
                    or_(expected.c.reporting_from.is_(None), CheckpointDay.day >= expected.c.reporting_from))
    query = (select(expected.c.site_id, func.count(CheckpointDay.id))
             .join(CheckpointDay, and_(CheckpointDay.site_id == expected.c.site_id, reported, own_days))
             .group_by(expected.c.site_id))
    if conn.dialect.name == "sqlite":
        # each due time computed once per day and due minutes (DISTINCT keeps SQLite from recomputing it per row)
        days = select(CheckpointDay.day).where(CheckpointDay.day.between(first, last)).distinct().subquery("days")
        minutes = select(expected.c.due_minutes).distinct().subquery("minutes")
        dues = (select(days.c.day, minutes.c.due_minutes, _due(conn, days.c.day, minutes.c.due_minutes, offset).label("due"))
                .select_from(days).join(minutes, true()).distinct().subquery("dues"))
        query = query.add_columns(_on_time_count_sqlite(expected, dues, offset))
    else:
        # PostgreSQL computes each report's due time in the row (~180,000 at city scale, a few ms): joined to
        # the dues, the planner sorted every report to merge them, on disk past work_mem (~150 ms, issue 14)
        on_time = CheckpointDay.reported_at <= _due(conn, CheckpointDay.day, expected.c.due_minutes, offset)
        query = query.add_columns(func.coalesce(func.sum(case((on_time, 1), else_=0)), 0))
    counts = {site_id: (int(days), int(in_time)) for site_id, days, in_time in conn.execute(query)}
    not_due = _not_due(sites, first, last, now)
    # the reports of those days only (as a rule the last day alone), not of the whole last week
    pending_days = sorted(set().union(*not_due.values()))
    recent_query = (select(CheckpointDay.site_id, CheckpointDay.day)
                    .where(reported, CheckpointDay.day.in_(pending_days),
                           CheckpointDay.site_id.in_(select(expected.c.site_id))))
    recent_reports = {(site_id, day) for site_id, day in conn.execute(recent_query)} if pending_days else set()
    counted = {}
    for site in sites:
        start = _first_day(site, first)
        days = max(0, (last - start).days + 1)
        reported_days, in_time = counts.get(site.site_id, (0, 0))
        pending = sum(1 for day in not_due[site.due_minutes]
                      if day >= start and (site.site_id, day) not in recent_reports)
        counted[site.site_id] = {"on_time": in_time, "late": reported_days - in_time,
                                 "overdue": days - reported_days - pending, "pending": pending}
    return counted


def _not_due(sites, first: dt.date, last: dt.date, now: dt.datetime) -> dict[int, list[dt.date]]:
    """Due minutes of the sites -> the days of the range not due yet (due >= now): only the last week's
    can be, a report being due at most 7 days after its day."""
    recent = max(first, now.date() - dt.timedelta(days=MAX_DUE_MINUTES // 1440 + 1))
    week = [recent + dt.timedelta(days=k) for k in range((last - recent).days + 1)]
    return {minutes: [day for day in week if now <= due_at(day, minutes)] for minutes in {s.due_minutes for s in sites}}


def zone_rates(filters: Filters, now: dt.datetime | None = None, engine=None) -> pd.DataFrame:
    """site_rates summed per work zone."""
    sites = site_rates(filters, now, engine)
    zones = sites.groupby(["zone_id", "zone"], as_index=False)[["expected_days", *STATUSES]].sum()
    due = zones["expected_days"].where(zones["expected_days"] > 0)
    zones["reporting_rate"] = (zones["on_time"] + zones["late"]) / due
    zones["on_time_rate"] = zones["on_time"] / due
    return zones


LOOK_BACK_DAYS = 62  # days with reports a wall looks back over for a complete one
FIRST_LOOK_DAYS = 2  # read first: the complete day is nearly always the latest or the one before


def latest_complete_day(filters: Filters, until: dt.date, engine=None) -> dt.date | None:
    """The last day up to `until` on which every expected site in the filter reported (among the last
    LOOK_BACK_DAYS days with reports). The last FIRST_LOOK_DAYS days are counted first and the rest only
    when none of them is complete: counting every day of the season took 50 ms at city scale."""
    season = territory.season_start(engine)
    expected = _expected(filters, season, until).subquery("expected")

    def per_day(first: dt.date, last: dt.date, limit: int):
        return (select(CheckpointDay.day, func.count().label("n"))
                .join(expected, expected.c.site_id == CheckpointDay.site_id)
                .where(CheckpointDay.day.between(first, last))
                .group_by(CheckpointDay.day).order_by(CheckpointDay.day.desc()).limit(limit))

    recent = max(season, until - dt.timedelta(days=FIRST_LOOK_DAYS - 1))
    with read_connection(engine) as conn:
        starts = conn.execute(select(expected.c.reporting_from, func.count())
                              .group_by(expected.c.reporting_from)).all()  # a handful of first days
        days = conn.execute(per_day(recent, until, LOOK_BACK_DAYS)).all()
        found = _complete(days, starts)
        if found is None and recent > season and len(days) < LOOK_BACK_DAYS:
            found = _complete(conn.execute(per_day(season, recent - dt.timedelta(days=1),
                                                   LOOK_BACK_DAYS - len(days))).all(), starts)
    return found


def _complete(days, starts) -> dt.date | None:
    """The first of `days` (day, reports) with a report from every site expected then, from (first
    reporting day, how many sites)."""
    for day, reported in days:
        if reported >= sum(n for start, n in starts if start is None or start <= day) > 0:
            return day
    return None


def comparable_change(day: dt.date, filters: Filters, engine=None) -> dict:
    """The day against the day before on the same sites only (those that reported on both days),
    so a day that is only partly in never reads as a drop. Each report of the day joined to the same
    site's report of the day before, both read from covering indexes."""
    before = aliased(CheckpointDay)
    sums = [func.coalesce(func.sum(getattr(table, m)), 0) for table in (CheckpointDay, before) for m in METRICS]
    query = _checkpoint_scope(
        select(func.count(), *sums)
        .join(before, and_(before.site_id == CheckpointDay.site_id, before.day == day - dt.timedelta(days=1)))
        .join(Site, Site.id == CheckpointDay.site_id)
        .where(CheckpointDay.day == day),
        filters,
    )
    with read_connection(engine) as conn:
        sites, *figures = conn.execute(query).one()
    return {
        "sites": int(sites),
        "today": {m: int(v) for m, v in zip(METRICS, figures[:len(METRICS)])},
        "yesterday": {m: int(v) for m, v in zip(METRICS, figures[len(METRICS):])},
    }


# ---- the completeness view: the day's status beside the range's rates -------------------------------

def _zone_codes(engine) -> dict[int, str]:
    zones = territory.zones(engine)
    return dict(zip(zones["id"], zones["code"]))


SITE_OVERVIEW = ["site_id", "name", "zone_id", "zone", "status", "due_at", "reported_at", "late_minutes",
                 "responsible", "days_due", "days_on_time", "days_late", "days_overdue", "reporting_rate",
                 "on_time_rate"]


def site_overview(day: dt.date, filters: Filters, now: dt.datetime | None = None, engine=None) -> pd.DataFrame:
    """Per site, ordered by work zone: the day's status (day_status) and its rates over the filter's
    range (site_rates). A site not yet expected on the day has no status (None)."""
    now = now or clock.now(engine)
    status = day_status(day, filters, now, engine)
    rates = site_rates(filters, now, engine).rename(columns={
        "expected_days": "days_due", "on_time": "days_on_time", "late": "days_late", "overdue": "days_overdue"})
    merged = rates.drop(columns="pending").merge(status.drop(columns=["name", "zone_id", "zone"]), on="site_id",
                                                 how="left")
    merged["status"] = merged["status"].astype(object).where(merged["status"].notna(), None)
    codes = _zone_codes(engine)
    merged["zone_code"] = merged["zone_id"].map(codes)
    return merged.sort_values(["zone_code", "name"]).reset_index(drop=True)[SITE_OVERVIEW]


ZONE_OVERVIEW = ["zone_id", "zone", "expected", "reported", *STATUSES, "due_minutes", "reporting_rate",
                 "on_time_rate"]


def zone_overview(day: dt.date, filters: Filters, now: dt.datetime | None = None, engine=None) -> pd.DataFrame:
    """Per work zone with sites in the filter: the day's counts (expected, reported, each status), the
    zone's due time (its sites may override it) and its rates over the filter's range: zones_of the
    site_overview (for a day on or before filters.end, as the completeness page asks)."""
    now = now or clock.now(engine)
    return zones_of(site_overview(day, filters, now, engine), zone_due_times(engine))


def zones_of(sites: pd.DataFrame, due_times: pd.DataFrame) -> pd.DataFrame:
    """zone_overview from site_overview's frame and zone_due_times(), without a read of its own: a page
    that shows both counts the season's reports once (each count is a scan of them at city scale)."""
    shown = sites[sites["status"].notna()]
    counts = (shown.groupby(["zone_id", "status"]).size().unstack(fill_value=0) if len(shown)
              else pd.DataFrame()).reindex(columns=list(STATUSES), fill_value=0)
    zones = sites.groupby(["zone_id", "zone"], as_index=False)[["days_due", "days_on_time", "days_late"]].sum()
    due = zones["days_due"].where(zones["days_due"] > 0)
    zones["reporting_rate"] = (zones["days_on_time"] + zones["days_late"]) / due
    zones["on_time_rate"] = zones["days_on_time"] / due
    frame = zones[["zone_id", "zone", "reporting_rate", "on_time_rate"]].merge(counts, left_on="zone_id",
                                                                                right_index=True, how="left")
    frame[list(STATUSES)] = frame[list(STATUSES)].fillna(0).astype(int)
    frame["expected"] = frame[list(STATUSES)].sum(axis=1)
    frame["reported"] = frame["on_time"] + frame["late"]
    due_times = due_times.set_index("zone_id")
    frame["due_minutes"] = frame["zone_id"].map(due_times["effective_minutes"])
    frame["zone_code"] = frame["zone_id"].map(due_times["code"])
    return frame.sort_values("zone_code").reset_index(drop=True)[ZONE_OVERVIEW]


def zone_statuses(day: dt.date, filters: Filters, now: dt.datetime | None = None, engine=None) -> pd.DataFrame:
    """zone_overview's zone_id, zone and the day's count of each status, in its order: all its chart
    draws, without the range's rates (so the chart is not a second count of the season's reports)."""
    now = now or clock.now(engine)
    zones = _expected(filters, filters.end, filters.end).subquery("expected")
    query = (select(zones.c.zone_id, zones.c.zone, WorkZone.code).distinct()
             .join(WorkZone, WorkZone.id == zones.c.zone_id))
    with read_connection(engine) as conn:
        frame = frame_of(conn.execute(query))
        per_zone = _zone_counts(conn, day, filters, now) if day >= territory.season_start(engine) else {}
    for status in STATUSES:
        frame[status] = [per_zone.get(zone, {}).get(status, 0) for zone in frame["zone_id"]]
    return frame.sort_values("code").reset_index(drop=True)[["zone_id", "zone", *STATUSES]]


def _zone_counts(conn, day: dt.date, filters: Filters, now: dt.datetime) -> dict[int, dict]:
    """zone id -> the day's count of each status, counted in SQL per zone and due time as day_counts counts
    per day (a status decided in Python for each of a city's 1,000 sites cost ~10 ms, issue 14)."""
    expected = _expected(filters, day, day).subquery("expected")
    dues = {(day, minutes): due_at(day, minutes) for minutes, _, _ in _expected_groups(conn, expected)}
    if not dues:
        return {}
    on_time = func.coalesce(func.sum(case((CheckpointDay.reported_at <= _due_of(expected, dues), 1), else_=0)), 0)
    query = (select(expected.c.zone_id, expected.c.due_minutes, func.count(), func.count(CheckpointDay.site_id), on_time)
             .select_from(expected).outerjoin(CheckpointDay, _reports_of(expected, day, day))
             .group_by(expected.c.zone_id, expected.c.due_minutes))
    per_zone: dict[int, dict] = {}
    for zone_id, minutes, sites, reported, in_time in conn.execute(query):
        counts = per_zone.setdefault(zone_id, dict.fromkeys(STATUSES, 0))
        counts["on_time"] += int(in_time)
        counts["late"] += int(reported) - int(in_time)
        counts["overdue" if now > dues[day, minutes] else "pending"] += int(sites) - int(reported)
    return per_zone


def first_unreported_day(actor: Actor, today: dt.date, engine=None) -> dt.date | None:
    """The day a clerk's entry page opens on: the day after the last day on which every checkpoint they
    report for had reported, not later than today (nor the demo clock's today).

    None when there is no such day (no checkpoints, nothing complete yet), and for anyone but a clerk:
    supervisors and admins report for nobody, they correct any day."""
    if actor.role != "clerk":
        return None
    last = min(today, clock.today(engine))
    season = territory.season_start(engine)
    scope = road_checkpoints_of(actor)
    expected_then = or_(Site.reporting_from.is_(None), Site.reporting_from <= CheckpointDay.day)
    per_day = (select(CheckpointDay.day, func.count().label("n"))
               .join(Site, Site.id == CheckpointDay.site_id)
               .where(scope, expected_then, CheckpointDay.day.between(season, last))
               .group_by(CheckpointDay.day).order_by(CheckpointDay.day.desc()))
    with read_connection(engine) as conn:
        starts = conn.execute(select(Site.reporting_from).where(scope)).scalars().all()
        days = conn.execute(per_day).all()
    for day, reported in days:
        expected = sum(1 for start in starts if start is None or start <= day)
        if expected and reported >= expected:
            return min(day + dt.timedelta(days=1), last)
    return None


# ---- due times: set per work zone by an admin, overridden per site, audited --------------------------

_DAILY_SITE = ROAD_CHECKPOINT  # the sites that report daily today
MAX_DUE_MINUTES = 7 * 24 * 60  # the database allows a week after the day (CHECK 0..10080)
_DUE_TEXT = re.compile(r"(\d{1,2}):(\d{2})(?:\s*\+\s*(\d))?")


def due_minutes(time_of_day: dt.time, days_after: int) -> int:
    """10:00 on the day after -> 2040 (minutes after the reported day's midnight)."""
    return int(days_after) * 1440 + time_of_day.hour * 60 + time_of_day.minute


def due_parts(minutes: int) -> tuple[int, dt.time]:
    """2040 -> (1, 10:00): days after the reported day, and the time of day."""
    days, rest = divmod(int(minutes), 1440)
    return days, dt.time(rest // 60, rest % 60)


def format_due(minutes: int | None) -> str:
    """2040 -> '10:00+1' (the form the command line takes); None -> ''."""
    if minutes is None or minutes != minutes:  # None or NaN
        return ""
    days, time_of_day = due_parts(minutes)
    return f"{time_of_day:%H:%M}+{days}"


def parse_due(check: Checker, value, field: str = "due") -> int | None:
    """A due time as minutes after the reported day's midnight, from minutes (0-10080), from text
    ('10:00+1': 10:00 the next day; '18:00' or '18:00+0': the same day), or from (time, days after).
    Adds a field error and returns None when it is none of these."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], dt.time):
        days = value[1]
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 7:
            check.fail(field, "天数应为 0（当日）到 7", "days after must be 0 (same day) to 7")
            return None
        minutes = due_minutes(value[0], days)
    elif isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        minutes = int(value.strip())
    elif isinstance(value, str) and (match := _DUE_TEXT.fullmatch(value.strip())):
        hour, minute, days = int(match[1]), int(match[2]), int(match[3] or 0)
        if hour > 23 or minute > 59:
            check.fail(field, f"“{value.strip()}”不是有效的时刻", f"'{value.strip()}' is not a time of day")
            return None
        minutes = days * 1440 + hour * 60 + minute
    else:
        shown = str(value)[:20]
        check.fail(field, f"时限应写作 10:00+1（次日 10:00）或分钟数，而不是“{shown}”",
                   f"a due time looks like 10:00+1 (10:00 the next day) or a number of minutes, not '{shown}'")
        return None
    if not 0 <= minutes <= MAX_DUE_MINUTES:
        check.fail(field, f"时限应在当日 0:00 到 7 天后（0–{MAX_DUE_MINUTES} 分钟）之间",
                   f"a due time must lie between the day's midnight and 7 days after (0-{MAX_DUE_MINUTES} minutes)")
        return None
    return minutes


def zone_due_times(engine=None) -> pd.DataFrame:
    """Every work zone: its own due time (None: the default), the time in force, and how many of its
    daily-reporting sites override it."""
    overrides = (select(Site.zone_id, func.count().label("overrides"))
                 .where(*_DAILY_SITE, Site.report_due_minutes.is_not(None)).group_by(Site.zone_id).subquery())
    query = (select(WorkZone.id.label("zone_id"), WorkZone.code, WorkZone.name,
                    WorkZone.report_due_minutes.label("due_minutes"),
                    func.coalesce(overrides.c.overrides, 0).label("overrides"))
             .outerjoin(overrides, overrides.c.zone_id == WorkZone.id).order_by(WorkZone.code))
    frame = read_frame(query, engine, dtype=object)
    frame["effective_minutes"] = [DEFAULT_DUE_MINUTES if m is None else int(m) for m in frame["due_minutes"]]
    return frame


def site_due_times(engine=None) -> pd.DataFrame:
    """Every daily-reporting site: its own due time (None: its zone's) and the time in force."""
    query = (select(Site.id.label("site_id"), Site.name, WorkZone.code.label("zone_code"), WorkZone.name.label("zone"),
                    Site.report_due_minutes.label("due_minutes"), _due_minutes().label("effective_minutes"))
             .join(WorkZone, WorkZone.id == Site.zone_id).where(*_DAILY_SITE).order_by(WorkZone.code, Site.name))
    return read_frame(query, engine, dtype=object)



def _checked_due(due, reason) -> tuple[int | None, str | None]:
    check = Checker()
    minutes = None if due is None else parse_due(check, due)
    reason = check.text("reason", reason, max_len=500)
    check.raise_if_any()
    return minutes, reason


def set_zone_due(zone_code: str, due, actor: Actor | None = None, by: str = "cli", reason: str | None = None,
                 engine=None) -> dict:
    """Set a work zone's due time (None: back to the default, 10:00 the next morning). Administrators only
    (actor None is the trusted command line); audited with the value before and after."""
    minutes, reason = _checked_due(due, reason)
    with write_session(engine) as session:
        by = _admin_in(session, actor, by)
        zone = session.scalar(select(WorkZone).where(WorkZone.code == str(zone_code)).with_for_update())
        if zone is None:
            raise NotFound(f"work zone {str(zone_code)[:20]}")
        return _change_due(session, by, zone, "work_zone", minutes, reason)


def set_site_due(site_id: int, due, actor: Actor | None = None, by: str = "cli", reason: str | None = None,
                 engine=None) -> dict:
    """Give one daily-reporting site its own due time, or clear it (None: its zone's time applies).
    Administrators only; audited."""
    minutes, reason = _checked_due(due, reason)
    with write_session(engine) as session:
        by = _admin_in(session, actor, by)
        site = session.scalar(select(Site).where(Site.id == site_id).with_for_update())
        if site is None:
            raise NotFound(f"site {site_id}")
        if not (site.kind == "checkpoint" and site.checkpoint_type == "road" and site.active):
            raise ValidationError([FieldError("site_id", "该站点不需每日上报（仅路域卡口每日上报）",
                                              "this site does not report daily (only road checkpoints do)")])
        return _change_due(session, by, site, "site", minutes, reason)


def _change_due(session, by: str, row, table: str, minutes: int | None, reason: str | None) -> dict:
    before = row.report_due_minutes
    if before == minutes:
        return {"changed": False, "before": before, "after": minutes}  # nothing to write, nothing to audit
    row.report_due_minutes = minutes
    audit(session, by, "set_due_time", table, row.id, {"report_due_minutes": before, "due": format_due(before)},
          {"report_due_minutes": minutes, "due": format_due(minutes)}, reason)
    return {"changed": True, "before": before, "after": minutes}
