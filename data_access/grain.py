"""The time grain of a chart over a date range: days over short ranges, then weeks, months, years.

Altair refuses a chart of more than 5,000 rows, and nobody reads 400 bars anyway. Every per-day
series a chart draws is summed into the grain its range calls for (at most ~120 periods up to ten
years, one a year beyond), here in one place so that every page and the wall agree. Sums stay
exact at every grain; headline figures (totals, busiest day) are computed per day elsewhere.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

GRAINS = ("day", "week", "month", "year")
# The longest range (in days) drawn at each grain; a longer one moves on to the next grain.
LONGEST = {"day": 92, "week": 731, "month": 3653}
MAX_ROWS = 4_000  # rows one chart may draw (Altair's limit is 5,000; headroom for a second layer)


def grain_for(start: dt.date, end: dt.date) -> str:
    """'day' up to 92 days, 'week' (ISO, from Monday) up to two years, 'month' up to ten, then 'year'."""
    days = (end - start).days + 1
    return next((grain for grain, longest in LONGEST.items() if days <= longest), "year")


def period_start(day: dt.date, grain: str) -> dt.date:
    """The first day of the period holding `day`: the day itself, its week's Monday, the 1st, 1 January."""
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "year":
        return day.replace(month=1, day=1)
    return day


def following(start: dt.date, grain: str) -> dt.date:
    """The first day of the period after the one starting on `start`."""
    if grain == "week":
        return start + dt.timedelta(days=7)
    if grain == "month":
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    if grain == "year":
        return start.replace(year=start.year + 1)
    return start + dt.timedelta(days=1)


def periods(start: dt.date, end: dt.date, grain: str) -> list[dt.date]:
    """The first day of every period from the one holding `start` to the one holding `end`."""
    first, last = period_start(start, grain), period_start(end, grain)
    found = [first]
    while found[-1] < last:
        found.append(following(found[-1], grain))
    return found


def resample(frame: pd.DataFrame, start: dt.date, end: dt.date, grain: str, sums: Iterable[str],
             levels: Iterable[str] = (), before: dict | None = None) -> pd.DataFrame:
    """Per-day rows (a `day` column; days without data may be absent) as one row per period from
    start to end, `day` being the period's first day. `sums` add up; `levels` (running totals) keep
    their value on the period's last day with data, carried over empty periods (and `before`'s
    value ahead of the first). `days` counts the range's days in each period, `grain` names it."""
    sums, levels, before = list(sums), list(levels), before or {}
    keys = periods(start, end, grain)
    data = frame.sort_values("day")
    data = data.assign(period=[period_start(d, grain) for d in data["day"]])
    grouped = data.groupby("period")[[*sums, *levels]].agg({**dict.fromkeys(sums, "sum"),
                                                             **dict.fromkeys(levels, "last")})
    out = grouped.reindex(keys)
    for column in sums:
        out[column] = out[column].fillna(0).astype(int)
    for column in levels:
        out[column] = out[column].ffill().fillna(before.get(column, 0)).astype(int)
    ends = [*(d - dt.timedelta(days=1) for d in keys[1:]), end]
    out["days"] = [(min(last, end) - max(first, start)).days + 1 for first, last in zip(keys, ends)]
    out["grain"] = grain
    return out.rename_axis("day").reset_index()
