"""Checkpoint traffic (路域卡口) as the pages read it: every figure aggregated in SQL."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Select, and_, case, func, or_, select

from . import grain, scope
from .auth import Actor
from .db import read_connection, read_frame
from .filters import Filters
from .models import CheckpointDay, CheckpointDayTotal, Site, WorkZone
from .traffic_totals import METRICS, ROAD_CHECKPOINT  # kept here too: other reads import them from this module



def _checkpoint_scope(query: Select, filters: Filters) -> Select:
    """Road checkpoints in the filtered zone; a site filter picks that checkpoint (or a village's own)."""
    query = query.where(*ROAD_CHECKPOINT)
    if filters.zone_id is not None:
        query = query.where(Site.zone_id == filters.zone_id)
    if filters.site_id is not None:
        query = query.where(or_(Site.id == filters.site_id, Site.parent_site_id == filters.site_id))
    return query


def _day_totals(filters: Filters, engine=None) -> pd.DataFrame:
    """The days of the range that have reports, with their sums, in order (days without reports are absent)."""
    if filters.site_id is not None:
        return _site_day_totals(filters, engine)
    return _zone_day_totals(filters, engine)


def _site_day_totals(filters: Filters, engine=None) -> pd.DataFrame:
    """_day_totals of one checkpoint (or a village's own), from its reports: a few hundred rows at most."""
    sums = [func.coalesce(func.sum(getattr(CheckpointDay, m)), 0).label(m) for m in METRICS]
    query = _checkpoint_scope(
        select(CheckpointDay.day, *sums, func.count(CheckpointDay.id).label("reports"))
        .join(Site, Site.id == CheckpointDay.site_id)
        .where(CheckpointDay.day.between(filters.start, filters.end)),
        filters,
    ).group_by(CheckpointDay.day).order_by(CheckpointDay.day)
    return read_frame(query, engine)


def _zone_day_totals(filters: Filters, engine=None) -> pd.DataFrame:
    """_day_totals of one work zone or all, from the per-day, per-zone totals every save keeps
    (data_access/traffic_totals.py): a few rows a day instead of every checkpoint's report."""
    total = CheckpointDayTotal
    query = (select(total.day, *[func.sum(getattr(total, m)).label(m) for m in (*METRICS, "reports")])
             .where(total.day.between(filters.start, filters.end))
             .group_by(total.day).order_by(total.day))
    if filters.zone_id is not None:
        query = query.where(total.zone_id == filters.zone_id)
    return read_frame(query, engine)


def _expected_per_day(filters: Filters, days: pd.Series, engine=None) -> list[int]:
    """How many checkpoints in the filter were expected to report on each day (one opened mid-season
    is not expected before its first reporting day)."""
    # counted per first day in SQL: 1,000 checkpoints share a handful, so the days x starts loop stays short
    query = _checkpoint_scope(select(Site.reporting_from, func.count()), filters).group_by(Site.reporting_from)
    with read_connection(engine) as conn:
        starts = conn.execute(query).all()
    return [sum(count for first, count in starts if first is None or first <= day) for day in days]


def _short_days(frame: pd.DataFrame, filters: Filters, engine=None) -> pd.Series:
    """Days with reports from fewer checkpoints than expected (a day still coming in)."""
    return frame["reports"] < _expected_per_day(filters, frame["day"], engine)


def daily(filters: Filters, engine=None) -> pd.DataFrame:
    """One row per day of the range (days without reports count 0) with a 7-day average; over a longer
    range one row per week, month or year (grain.grain_for), `day` being its first day, with the
    average per day of each period instead (a 7-day average means nothing per month)."""
    kind = grain.grain_for(filters.start, filters.end)
    frame = grain.resample(_day_totals(filters, engine), filters.start, filters.end, kind, [*METRICS, "reports"])
    if kind == "day":  # a day still coming in is drawn paler and kept out of the 7-day average
        frame["partial"] = _short_days(frame, filters, engine) & (frame["reports"] > 0)
    for metric in ("vehicles", "persons"):
        if kind == "day":
            whole = frame[metric].where(~frame["partial"])
            frame[f"{metric}_7d"] = whole.rolling(7, min_periods=1).mean().round(1)
        else:
            frame[f"{metric}_per_day"] = (frame[metric] / frame["days"]).round(1)
    return frame


def _daily_average(days: pd.DataFrame, count: int, filters: Filters, engine=None) -> float:
    """Vehicles per day over whole days: the last day, while still coming in, would pull it down."""
    total = days["vehicles"].sum()
    if filters.end in days.index and _short_days(days.loc[[filters.end]].reset_index(), filters, engine).iat[0]:
        total, count = total - days.at[filters.end, "vehicles"], count - 1
    return float(total / count) if count else 0.0


def summary(filters: Filters, engine=None) -> dict:
    """The headline figures: the day and the change from the day before, totals, average and busiest day.
    Always from the per-day sums, whatever grain the charts draw at: the busiest day stays a day."""
    days = _day_totals(filters, engine).set_index("day")

    def on(day: dt.date) -> dict:
        return {m: int(days.at[day, m]) if day in days.index else 0 for m in METRICS}

    count = filters.days()
    busiest = days["vehicles"].idxmax() if len(days) and days["vehicles"].max() > 0 else None  # the first such day
    totals = {m: int(days[m].sum()) for m in METRICS}
    return {
        "day": filters.end,
        "today": on(filters.end),
        "yesterday": on(filters.end - dt.timedelta(days=1)) if count > 1 else None,
        "totals": totals,
        "days": count,
        "daily_average_vehicles": _daily_average(days, count, filters, engine),
        "busiest_day": busiest,
        "busiest_vehicles": int(days.at[busiest, "vehicles"]) if busiest is not None else 0,
    }


def by_checkpoint(filters: Filters, engine=None) -> pd.DataFrame:
    """Every checkpoint in scope: the as-of day's figures, yesterday, 7-day average, range total, reported?

    The range's totals and the last week's figures are two aggregates: the totals read only the
    (site_id, day, vehicles, persons) index, the week's figures the rows of eight days; in one aggregate
    over the whole range every row of the season was read with all its figures (0.4 s at city scale)."""
    end, start = filters.end, filters.start
    week_start = end - dt.timedelta(days=6)
    yesterday = end - dt.timedelta(days=1)

    def on(day_condition, column):
        return func.sum(case((day_condition, column), else_=None))

    in_scope = CheckpointDay.site_id.in_(_checkpoint_scope(select(Site.id), filters))
    week = (
        select(
            CheckpointDay.site_id,
            on(CheckpointDay.day == end, CheckpointDay.vehicles).label("vehicles"),
            on(CheckpointDay.day == end, CheckpointDay.persons).label("persons"),
            on(CheckpointDay.day == end, CheckpointDay.persons_from_outside).label("persons_from_outside"),
            on(CheckpointDay.day == end, CheckpointDay.turned_back).label("turned_back"),
            on(CheckpointDay.day == end, CheckpointDay.abnormal_temperature).label("abnormal_temperature"),
            on(CheckpointDay.day == yesterday, CheckpointDay.vehicles).label("vehicles_yesterday"),
            func.sum(CheckpointDay.vehicles).label("vehicles_week"),
            func.max(case((and_(CheckpointDay.day == end, CheckpointDay.corrected), 1), else_=0)).label("corrected"),
        )
        .where(in_scope, CheckpointDay.day.between(week_start, end))
        .group_by(CheckpointDay.site_id)
        .subquery("week")
    )
    totals = (
        select(CheckpointDay.site_id, func.sum(CheckpointDay.vehicles).label("vehicles"),
               func.sum(CheckpointDay.persons).label("persons"), func.count().label("reports"))
        .where(in_scope, CheckpointDay.day.between(start, end))
        .group_by(CheckpointDay.site_id)
        .subquery("totals")
    )
    query = _checkpoint_scope(
        select(
            Site.id.label("site_id"), Site.name, Site.road, WorkZone.name.label("zone"),
            week.c.vehicles, week.c.persons, week.c.persons_from_outside, week.c.turned_back,
            week.c.abnormal_temperature, week.c.vehicles_yesterday,
            (func.coalesce(week.c.vehicles_week, 0) / 7.0).label("vehicles_7d"),
            func.coalesce(totals.c.vehicles, 0).label("vehicles_total"),
            func.coalesce(totals.c.persons, 0).label("persons_total"),
            func.coalesce(totals.c.reports, 0).label("reports_total"),
            func.coalesce(week.c.corrected, 0).label("corrected"),
        )
        .join(WorkZone, WorkZone.id == Site.zone_id)
        .outerjoin(week, week.c.site_id == Site.id)
        .outerjoin(totals, totals.c.site_id == Site.id),
        filters,
    ).order_by(WorkZone.name, Site.name)
    frame = read_frame(query, engine)
    frame["reported"] = frame["vehicles"].notna()
    frame["corrected"] = frame["corrected"].astype(bool)
    frame["vehicles_7d"] = frame["vehicles_7d"].astype(float).round(1)
    return frame


def _top(filters: Filters, top: int) -> int:
    """How many checkpoints the heatmap draws: fewer when so many periods would pass what a chart can draw."""
    periods = grain.periods(filters.start, filters.end, grain.grain_for(filters.start, filters.end))
    return max(1, min(top, grain.MAX_ROWS // len(periods)))


def busiest(checkpoints: pd.DataFrame, filters: Filters, top: int = 15) -> tuple[int, ...]:
    """The ids of the `top` busiest checkpoints with reports in the range (most vehicles first, then by
    id), from by_checkpoint's frame: the checkpoints daily_by_checkpoint draws, without a second read
    of the season's reports (issue 14)."""
    reported = checkpoints[checkpoints["reports_total"] > 0]
    ranked = reported.sort_values(["vehicles_total", "site_id"], ascending=[False, True], kind="stable")
    return tuple(int(site_id) for site_id in ranked["site_id"].head(_top(filters, top)))


def daily_by_checkpoint(filters: Filters, top: int = 15, engine=None) -> pd.DataFrame:
    """Vehicles per checkpoint and day (week, month or year over a long range, as `daily`) for the `top`
    busiest checkpoints of the range: fewer when so many periods would pass what a chart can draw.
    A page that reads by_checkpoint anyway passes busiest() to daily_of_checkpoints instead."""
    base = _checkpoint_scope(
        select(Site.id).join(CheckpointDay, CheckpointDay.site_id == Site.id)
        .where(CheckpointDay.day.between(filters.start, filters.end)),
        filters,
    ).group_by(Site.id).order_by(func.sum(CheckpointDay.vehicles).desc(), Site.id).limit(_top(filters, top))
    return _daily_of(filters, CheckpointDay.site_id.in_(base), engine)


def daily_of_checkpoints(filters: Filters, site_ids: tuple[int, ...], engine=None) -> pd.DataFrame:
    """daily_by_checkpoint's frame for these checkpoints (busiest(by_checkpoint(filters), filters)): only
    their reports are read, along the (site, day) index."""
    return _daily_of(filters, CheckpointDay.site_id.in_(list(site_ids)), engine)


def _daily_of(filters: Filters, sites, engine=None) -> pd.DataFrame:
    kind = grain.grain_for(filters.start, filters.end)
    query = (
        select(CheckpointDay.day, Site.id.label("site_id"), Site.name, CheckpointDay.vehicles, CheckpointDay.persons)
        .join(Site, Site.id == CheckpointDay.site_id)
        .where(sites, CheckpointDay.day.between(filters.start, filters.end))
        .order_by(Site.name, CheckpointDay.day)
    )
    frame = read_frame(query, engine)
    frame["day"] = [grain.period_start(d, kind) for d in frame["day"]]
    frame = frame.groupby(["name", "site_id", "day"], as_index=False, sort=True)[["vehicles", "persons"]].sum()
    return frame[["day", "site_id", "name", "vehicles", "persons"]].assign(grain=kind)


def missing_reports(day: dt.date, actor: Actor | None = None, engine=None) -> pd.DataFrame:
    """Road checkpoints (those the actor may write for, or all) with no report for the day."""
    reported = select(CheckpointDay.site_id).where(CheckpointDay.day == day)
    query = (
        select(Site.id.label("site_id"), Site.name, WorkZone.name.label("zone"))
        .join(WorkZone, WorkZone.id == Site.zone_id)
        .where(*ROAD_CHECKPOINT, Site.id.not_in(reported))
        .order_by(WorkZone.code, Site.name)
    )
    if actor is not None:
        query = query.where(scope.writable_sites(actor))
    return read_frame(query, engine)
