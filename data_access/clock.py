"""What time it is, for deciding what is due and what is late.

One clock for the whole app, so a test (or a demonstration) can set it: `DASHBOARD_NOW` (an ISO
date-time, e.g. 2020-02-27T11:00+08:00) wins; a demo database keeps its own moment in the setting
`demo_now` (the demo lives in February 2020, where a real 2026 clock would call every report six
years late); otherwise the real time. Due times are wall-clock times where the zone is, in
`DASHBOARD_TIMEZONE` (default Asia/Shanghai).
"""
from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

DEMO_NOW_KEY = "demo_now"


def zone() -> ZoneInfo:
    return ZoneInfo(os.environ.get("DASHBOARD_TIMEZONE", "Asia/Shanghai"))


def parse(text: str) -> dt.datetime | None:
    """An ISO date-time; one without an offset is local time."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except (AttributeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone())


def now(engine=None) -> dt.datetime:
    """The current moment, timezone-aware, to the minute (so reads keyed on it stay cached a minute)."""
    moment = parse(os.environ.get("DASHBOARD_NOW", "")) or _demo_now(engine) or dt.datetime.now(dt.timezone.utc)
    return moment.astimezone(zone()).replace(second=0, microsecond=0)


def today(engine=None) -> dt.date:
    return now(engine).date()


def _demo_now(engine) -> dt.datetime | None:
    from . import territory

    if territory.dataset_kind(engine) != "demo":
        return None
    return parse(territory.setting(DEMO_NOW_KEY, engine=engine) or "")


def as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored time as aware UTC (SQLite hands back naive UTC, PostgreSQL aware times)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment.astimezone(dt.timezone.utc)


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone())
