"""The territory: work zones and sites, plus what kind of data set this is and which days it covers."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func, select

from .db import read_connection, read_frame, write_session
from .models import (CheckpointDay, DutyAssignment, GateHourCount, Inspection, MealPointDay, ReopeningStep, Setting,
                     Shop, Site, SurveyRound, WorkZone)

SEASON_START_KEY = "season_start"
DEFAULT_SEASON_START = dt.date(2020, 1, 1)  # when no administrator has set one


def zones(engine=None) -> pd.DataFrame:
    return read_frame(select(WorkZone.id, WorkZone.code, WorkZone.name).order_by(WorkZone.code), engine)


def sites(zone_id: int | None = None, kinds: tuple[str, ...] | None = None, engine=None) -> pd.DataFrame:
    query = select(Site.id, Site.kind, Site.checkpoint_type, Site.zone_id, Site.name).where(Site.active.is_(True))
    if zone_id is not None:
        query = query.where(Site.zone_id == zone_id)
    if kinds:
        query = query.where(Site.kind.in_(kinds))
    return read_frame(query.order_by(Site.kind, Site.name), engine)


def active_site_count(engine=None) -> int:
    """How many active sites there are (the filter bar lists them all only while there are few)."""
    with read_connection(engine) as conn:
        return conn.execute(select(func.count()).select_from(Site).where(Site.active.is_(True))).scalar_one()


def sites_by_id(ids: tuple[int, ...], engine=None) -> pd.DataFrame:
    """The active sites among `ids`, with the columns of sites()."""
    query = select(Site.id, Site.kind, Site.checkpoint_type, Site.zone_id, Site.name).where(
        Site.active.is_(True), Site.id.in_(ids))
    return read_frame(query.order_by(Site.kind, Site.name), engine)


def dataset_kind(engine=None) -> str:
    """'demo' when the demo data set is loaded, 'live' otherwise."""
    with read_connection(engine) as conn:
        value = conn.execute(select(Setting.value).where(Setting.key == "dataset")).scalar()
    return "demo" if value == "demo" else "live"


def setting(key: str, default: str | None = None, engine=None) -> str | None:
    with read_connection(engine) as conn:
        value = conn.execute(select(Setting.value).where(Setting.key == key)).scalar()
    return default if value is None else value


def season_start(engine=None) -> dt.date:
    """The first day of the season: no write may be dated before it, no page range starts before it.

    An administrator sets it (`python -m data_access setting set season_start 2020-01-23`); unset
    or unreadable, DEFAULT_SEASON_START.
    """
    from .validate import parse_day

    value = setting(SEASON_START_KEY, engine=engine)
    return (parse_day(value) if value else None) or DEFAULT_SEASON_START


def set_season_start(value, actor=None, by: str = "cli", today: dt.date | None = None, engine=None) -> dt.date:
    """Set the season start (admins; actor None is the trusted command line), audited."""
    from .audit import audit
    from .auth import _admin_in
    from .validate import Checker

    check = Checker(today)
    day = check.day(SEASON_START_KEY, value)
    check.raise_if_any()
    with write_session(engine) as session:
        by = _admin_in(session, actor, by)
        row = session.get(Setting, SEASON_START_KEY, with_for_update=True)
        before = row.value if row is not None else None
        if row is None:
            session.add(Setting(key=SEASON_START_KEY, value=day.isoformat()))
        else:
            row.value = day.isoformat()
        audit(session, by, "update", "setting", None, {SEASON_START_KEY: before}, {SEASON_START_KEY: day.isoformat()})
    return day


def data_extent(engine=None, earliest: dt.date | None = None,
                latest: dt.date | None = None) -> tuple[dt.date | None, dt.date | None]:
    """First and last day with checkpoint reports (optionally only those between earliest and latest).

    Two queries: each reads one end of the day index, where min() and max() in one query read all of it
    on SQLite (180,000 entries at city scale)."""
    conditions = []
    if earliest is not None:
        conditions.append(CheckpointDay.day >= earliest)
    if latest is not None:
        conditions.append(CheckpointDay.day <= latest)
    with read_connection(engine) as conn:
        first = conn.execute(select(func.min(CheckpointDay.day)).where(*conditions)).scalar()
        last = conn.execute(select(func.max(CheckpointDay.day)).where(*conditions)).scalar()
    return first, last


def default_range(today: dt.date | None = None, engine=None) -> tuple[dt.date, dt.date]:
    """The range a page opens on: demo data ends on its last day; live data ends today.

    It starts on the first day with data (the season's start), so totals mean "since the start".
    Rows dated before the season start or after today are typos: they never stretch the range.
    """
    today = today or dt.date.today()
    season = season_start(engine)
    first, last = data_extent(engine, earliest=season, latest=today)
    end = (last or today) if dataset_kind(engine) == "demo" else today
    start = first if first and first <= end else max(season, end - dt.timedelta(days=29))
    return min(start, end), end


# Each line of work has its own latest day: a new traffic day must not move the reopening "as of".
LINE_DAYS = {"traffic": CheckpointDay.day, "reopening": ReopeningStep.day, "shops": Shop.status_since,
             "survey": SurveyRound.day, "inspections": Inspection.day, "logistics": MealPointDay.day,
             "duty": DutyAssignment.day, "gate": GateHourCount.day}


def as_of(line: str, today: dt.date | None = None, engine=None) -> dt.date:
    """The day a line's figures are shown as of: today for live data; for the demo data set (which
    lives in the past), the line's own last day with data."""
    today = today or dt.date.today()
    if dataset_kind(engine) != "demo":
        return today
    column = LINE_DAYS[line]
    with read_connection(engine) as conn:
        last = conn.execute(select(func.max(column)).where(column.between(season_start(engine), today))).scalar()
    return last or default_range(today, engine)[1]
