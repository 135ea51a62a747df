"""The territory: work zones and sites, plus what kind of data set this is and which days it covers."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func, select

from .db import read_connection
from .models import CheckpointDay, Setting, Site, WorkZone


def zones(engine=None) -> pd.DataFrame:
    with read_connection(engine) as conn:
        rows = conn.execute(select(WorkZone.id, WorkZone.code, WorkZone.name).order_by(WorkZone.code)).all()
    return pd.DataFrame(rows, columns=["id", "code", "name"])


def sites(zone_id: int | None = None, kinds: tuple[str, ...] | None = None, engine=None) -> pd.DataFrame:
    query = select(Site.id, Site.kind, Site.checkpoint_type, Site.zone_id, Site.name).where(Site.active.is_(True))
    if zone_id is not None:
        query = query.where(Site.zone_id == zone_id)
    if kinds:
        query = query.where(Site.kind.in_(kinds))
    with read_connection(engine) as conn:
        rows = conn.execute(query.order_by(Site.kind, Site.name)).all()
    return pd.DataFrame(rows, columns=["id", "kind", "checkpoint_type", "zone_id", "name"])


def dataset_kind(engine=None) -> str:
    """'demo' when the demo data set is loaded, 'live' otherwise."""
    with read_connection(engine) as conn:
        value = conn.execute(select(Setting.value).where(Setting.key == "dataset")).scalar()
    return "demo" if value == "demo" else "live"


def setting(key: str, default: str | None = None, engine=None) -> str | None:
    with read_connection(engine) as conn:
        value = conn.execute(select(Setting.value).where(Setting.key == key)).scalar()
    return default if value is None else value


def data_extent(engine=None) -> tuple[dt.date | None, dt.date | None]:
    """First and last day with checkpoint reports."""
    with read_connection(engine) as conn:
        first, last = conn.execute(select(func.min(CheckpointDay.day), func.max(CheckpointDay.day))).one()
    return first, last


def default_range(today: dt.date | None = None, engine=None) -> tuple[dt.date, dt.date]:
    """The range a page opens on: demo data ends on its last day; live data ends today.

    It starts on the first day with data (the season's start), so totals mean "since the start".
    """
    today = today or dt.date.today()
    first, last = data_extent(engine)
    end = (last or today) if dataset_kind(engine) == "demo" else today
    start = first if first and first <= end else end - dt.timedelta(days=29)
    return start, end
