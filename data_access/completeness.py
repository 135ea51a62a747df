"""Reporting completeness: who has reported a day's figures, on time, late, or not yet.

As health information systems count it: a site that must report daily is *expected* from its first
reporting day on; its report for a day is *due* at a set time (by default 10:00 the next morning,
set per work zone, overridable per site); a report saved by then is *on time*, after it *late*; a
missing report is *pending* until the due time and *overdue* after it. A correction never changes
when a day was first reported. Today every road checkpoint reports daily.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import and_, func, select

from . import clock, territory
from .db import read_connection
from .filters import Filters
from .models import CheckpointDay, Site, User, UserScope, WorkZone
from .traffic import METRICS, _checkpoint_scope

DEFAULT_DUE_MINUTES = 34 * 60  # 10:00 the morning after the day reported on
STATUSES = ("on_time", "late", "overdue", "pending")


def _due_minutes():
    return func.coalesce(Site.report_due_minutes, WorkZone.report_due_minutes, DEFAULT_DUE_MINUTES)


def due_at(day: dt.date, minutes: int) -> dt.datetime:
    return clock.local_midnight(day) + dt.timedelta(minutes=int(minutes))


def _expected(filters: Filters, first: dt.date, last: dt.date):
    """Road checkpoints in the filter that are expected to report on some day between first and last."""
    query = (select(Site.id.label("site_id"), Site.name, Site.zone_id, WorkZone.name.label("zone"),
                    Site.lead_cadre, Site.reporting_from, _due_minutes().label("due_minutes"))
             .join(WorkZone, WorkZone.id == Site.zone_id))
    query = _checkpoint_scope(query, filters)
    return query.where((Site.reporting_from.is_(None)) | (Site.reporting_from <= last))


def _status(reported_at, due: dt.datetime, now: dt.datetime) -> str:
    if reported_at is not None:
        return "on_time" if clock.as_utc(reported_at) <= due else "late"
    return "overdue" if now > due else "pending"


def day_status(day: dt.date, filters: Filters, now: dt.datetime | None = None, engine=None) -> pd.DataFrame:
    """One row per expected site for `day`: due time, when it reported, status, minutes late, who answers."""
    now = now or clock.now(engine)
    season = territory.season_start(engine)
    expected = _expected(filters, day, day).subquery("expected")
    query = (select(expected, CheckpointDay.reported_at)
             .outerjoin(CheckpointDay, and_(CheckpointDay.site_id == expected.c.site_id, CheckpointDay.day == day))
             .order_by(expected.c.zone, expected.c.name))
    with read_connection(engine) as conn:
        rows = conn.execute(query).mappings().all()
        clerks = _clerks(conn)
    records = []
    for row in rows:
        if day < season or (row["reporting_from"] and row["reporting_from"] > day):
            continue
        due = due_at(day, row["due_minutes"])
        status = _status(row["reported_at"], due, now)
        late_by = (clock.as_utc(row["reported_at"]) if row["reported_at"] else now) - due
        records.append({
            "site_id": row["site_id"], "name": row["name"], "zone_id": row["zone_id"], "zone": row["zone"],
            "due_at": due, "reported_at": clock.as_utc(row["reported_at"]), "status": status,
            "late_minutes": max(0, int(late_by.total_seconds() // 60)) if status in ("late", "overdue") else 0,
            "responsible": _responsible(clerks, row["site_id"], row["zone_id"], row["lead_cadre"]),
        })
    return pd.DataFrame(records, columns=["site_id", "name", "zone_id", "zone", "due_at", "reported_at", "status",
                                          "late_minutes", "responsible"])


def _clerks(conn) -> list[tuple[str, int | None, int | None]]:
    """(display name, zone id, site id) of every active clerk's scope."""
    return conn.execute(select(User.display_name, UserScope.zone_id, UserScope.site_id)
                        .join(UserScope, UserScope.user_id == User.id)
                        .where(User.active.is_(True), User.role == "clerk")
                        .order_by(User.display_name)).all()


def _responsible(clerks, site_id: int, zone_id: int, lead_cadre: str | None) -> str:
    names = [name for name, zone, site in clerks if site == site_id or (site is None and zone == zone_id)]
    if lead_cadre:
        names.append(lead_cadre)
    return "、".join(dict.fromkeys(names))


def summary(day: dt.date, filters: Filters, now: dt.datetime | None = None, engine=None) -> dict:
    """Counts for a day: expected, reported, and each status; complete when every expected site reported."""
    status = day_status(day, filters, now, engine)
    counts = status["status"].value_counts()
    result = {s: int(counts.get(s, 0)) for s in STATUSES}
    result.update(day=day, expected=len(status), reported=result["on_time"] + result["late"])
    result["complete"] = result["expected"] > 0 and result["reported"] == result["expected"]
    return result


def site_rates(filters: Filters, now: dt.datetime | None = None, engine=None) -> pd.DataFrame:
    """Per site over the filter's days: days expected, reported, on time, late, overdue, and the rates.

    Days still pending (not yet due) are left out of the rates: nobody can be late for them yet."""
    now = now or clock.now(engine)
    season = territory.season_start(engine)
    first, last = max(filters.start, season), filters.end
    expected = _expected(filters, first, last).subquery("expected")
    query = (select(expected.c.site_id, CheckpointDay.day, CheckpointDay.reported_at)
             .join(CheckpointDay, CheckpointDay.site_id == expected.c.site_id)
             .where(CheckpointDay.day.between(first, last)))
    with read_connection(engine) as conn:
        sites = pd.DataFrame(conn.execute(select(expected)).mappings().all(),
                             columns=["site_id", "name", "zone_id", "zone", "lead_cadre", "reporting_from", "due_minutes"])
        reports = {(site_id, day): reported_at for site_id, day, reported_at in conn.execute(query)}
    rows = []
    for site in sites.itertuples():
        counts = dict.fromkeys(STATUSES, 0)
        start = max(first, site.reporting_from) if site.reporting_from else first
        for offset in range((last - start).days + 1):
            day = start + dt.timedelta(days=offset)
            counts[_status(reports.get((site.site_id, day)), due_at(day, site.due_minutes), now)] += 1
        due_days = counts["on_time"] + counts["late"] + counts["overdue"]
        rows.append({"site_id": site.site_id, "name": site.name, "zone_id": site.zone_id, "zone": site.zone,
                     "expected_days": due_days, **counts,
                     "reporting_rate": (counts["on_time"] + counts["late"]) / due_days if due_days else None,
                     "on_time_rate": counts["on_time"] / due_days if due_days else None})
    return pd.DataFrame(rows, columns=["site_id", "name", "zone_id", "zone", "expected_days", *STATUSES,
                                       "reporting_rate", "on_time_rate"])


def zone_rates(filters: Filters, now: dt.datetime | None = None, engine=None) -> pd.DataFrame:
    """site_rates summed per work zone."""
    sites = site_rates(filters, now, engine)
    zones = sites.groupby(["zone_id", "zone"], as_index=False)[["expected_days", *STATUSES]].sum()
    due = zones["expected_days"].where(zones["expected_days"] > 0)
    zones["reporting_rate"] = (zones["on_time"] + zones["late"]) / due
    zones["on_time_rate"] = zones["on_time"] / due
    return zones


def latest_complete_day(filters: Filters, until: dt.date, engine=None) -> dt.date | None:
    """The last day up to `until` on which every expected site in the filter reported."""
    season = territory.season_start(engine)
    expected = _expected(filters, season, until).subquery("expected")
    per_day = (select(CheckpointDay.day, func.count().label("n"))
               .join(expected, expected.c.site_id == CheckpointDay.site_id)
               .where(CheckpointDay.day.between(season, until))
               .group_by(CheckpointDay.day).order_by(CheckpointDay.day.desc()).limit(62))
    with read_connection(engine) as conn:
        sites = conn.execute(select(expected.c.reporting_from)).scalars().all()
        days = conn.execute(per_day).all()
    for day, reported in days:
        if reported >= sum(1 for start in sites if start is None or start <= day) > 0:
            return day
    return None


def comparable_change(day: dt.date, filters: Filters, engine=None) -> dict:
    """The day against the day before on the same sites only (those that reported on both days),
    so a day that is only partly in never reads as a drop."""
    before = day - dt.timedelta(days=1)
    both = (select(CheckpointDay.site_id).where(CheckpointDay.day.in_([day, before]))
            .group_by(CheckpointDay.site_id).having(func.count() == 2))
    sums = [func.coalesce(func.sum(getattr(CheckpointDay, m)), 0).label(m) for m in METRICS]
    query = _checkpoint_scope(
        select(CheckpointDay.day, func.count().label("sites"), *sums)
        .join(Site, Site.id == CheckpointDay.site_id)
        .where(CheckpointDay.day.in_([day, before]), CheckpointDay.site_id.in_(both)),
        filters,
    ).group_by(CheckpointDay.day)
    with read_connection(engine) as conn:
        rows = {row.day: row for row in conn.execute(query)}
    today, yesterday = rows.get(day), rows.get(before)
    return {
        "sites": int(today.sites) if today else 0,
        "today": {m: int(getattr(today, m)) if today else 0 for m in METRICS},
        "yesterday": {m: int(getattr(yesterday, m)) if yesterday else 0 for m in METRICS},
    }
