"""Time axes for series drawn at a grain (data_access.grain): one bar per day, week, month or year,
ticks that never repeat a date, and labels in a form that says which period is meant.

Per day, a bar or cell is drawn centred on its day (from `lo` to `hi`, around midnight), so the
day's tick and label sit under its middle, never on the border between two days, and the scale
ends half a day either side of the range: the first and last bars are whole and no label names a
day outside the range. Longer periods span their period (`lo` = its first day, `hi` = the next's).
"""
from __future__ import annotations

import math

import altair as alt
import pandas as pd

from data_access import grain as grains

TOOLTIP_FORMATS = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
TICKS_WANTED = 8  # labels on a half-width chart of a laptop screen: about one per 60 px
NICE_YEARS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000)
DAY_BAR_SHARE = 0.8  # a day's bar fills this share of its day once there are a week's days or more
FULL_WEEK = 7


def grain_of(frame: pd.DataFrame) -> str:
    """The grain a read summed its series into (frames of older reads are per day)."""
    return str(frame["grain"].iat[0]) if "grain" in frame and len(frame) else "day"


def day_bar_share(days: int) -> float:
    """How much of its day a bar fills: most of it over a week or more; over fewer days the bars stay
    as wide as a week's would be, so one day is a column, not a slab across the whole chart."""
    return DAY_BAR_SHARE * min(1.0, max(days, 1) / FULL_WEEK)


def with_periods(frame: pd.DataFrame, kind: str, keep: list[str], share: float = 1.0) -> pd.DataFrame:
    """The `keep` columns with `day` as a timestamp plus each period's end (`day_end`, the next
    period's first day) and middle (`mid`), so bars can span their period and points sit in its
    middle; `lo`/`hi` are where a bar or cell starts and stops (per day: `share` of the day around
    its midnight); `partial` marks the periods only partly inside the range (their sums are short)."""
    data = frame[["day", *keep, *(c for c in ("days", "partial") if c in frame)]].copy()
    ends = [grains.following(d, kind) for d in data["day"]]
    data["day"] = pd.to_datetime(data["day"])
    data["day_end"] = pd.to_datetime(ends)
    data["mid"] = data["day"] + (data["day_end"] - data["day"]) / 2
    if kind == "day":
        half = (pd.Timedelta(hours=12) * share).round("min")
        data["lo"], data["hi"] = data["day"] - half, data["day"] + half
    else:
        data["lo"], data["hi"] = data["day"], data["day_end"]
    if "days" in data:  # a period only partly inside the range, or (by day) a day still coming in
        data["partial"] = (data["days"] < (data["day_end"] - data["day"]).dt.days) | data.get("partial", False)
    return data


def bar_opacity(full: float = 0.75, partial: float = 0.4):
    """Paler bars for periods only partly inside the range, so a short edge week is not read as a drop."""
    return alt.condition(alt.datum.partial, alt.value(partial), alt.value(full))


def _ticks(kind: str, days: int) -> tuple[str, dict]:
    """(label format, tick interval) for a range of `days` at a grain: whole periods, about
    TICKS_WANTED of them, so a short range never repeats a date and a long one never crowds."""
    months, years = days / 30.4, days / 365.25
    if kind == "day":
        return "%m-%d", {"interval": "day", "step": max(1, math.ceil(days / TICKS_WANTED))}
    if kind == "week" or (kind == "month" and months <= 36):
        step = max(1, math.ceil(months / TICKS_WANTED))
        return "%Y-%m", {"interval": "month", "step": step if kind == "week" else max(3, 3 * math.ceil(step / 3))}
    step = next((n for n in NICE_YEARS if n >= years / TICKS_WANTED), NICE_YEARS[-1])
    return "%Y", {"interval": "year", "step": step}


def ticks_of(data: pd.DataFrame, kind: str) -> tuple[str, dict]:
    """(label format, tick interval) of an axis over `with_periods` data."""
    days = (data["day_end"].max() - data["day"].min()).days if len(data) else 1
    return _ticks(kind, days)


def axis_of(ticks: tuple[str, dict], title: str, **axis) -> alt.Axis:
    """The axis for `ticks_of`'s (label format, tick interval)."""
    label_format, interval = ticks
    # a label within 16 px of either end is drawn inside (flush) rather than centred past the edge: the
    # last day's label stuck out of a 30-day chart on the wall and was cut
    return alt.Axis(title=title, format=label_format, tickCount=dict(interval), labelAngle=0, labelOverlap=True,
                    **{"labelFlush": 16, **axis})


def time_axis(data: pd.DataFrame, kind: str, title: str, **axis) -> alt.Axis:
    """An axis over `with_periods` data: whole-period ticks and a label format for the grain."""
    return axis_of(ticks_of(data, kind), title, **axis)


def _moment(stamp: pd.Timestamp) -> alt.DateTime:
    return alt.DateTime(year=stamp.year, month=stamp.month, date=stamp.day, hours=stamp.hour, minutes=stamp.minute)


def domain_of(data: pd.DataFrame, kind: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Where the x scale over `with_periods` data starts and ends: exactly the range's periods (per day:
    half a day either side of the first and last day, so their bars are whole and centred on their
    labels); None without data."""
    if not len(data):
        return None
    if kind == "day":
        return data["day"].min() - pd.Timedelta(hours=12), data["day"].max() + pd.Timedelta(hours=12)
    return data["day"].min(), data["day_end"].max()


def scale_of(domain: tuple[pd.Timestamp, pd.Timestamp] | None) -> alt.Scale:
    """The x scale over `domain_of`'s range."""
    if domain is None:
        return alt.Scale()
    return alt.Scale(domain=[_moment(domain[0]), _moment(domain[1])], nice=False)


def time_scale(data: pd.DataFrame, kind: str) -> alt.Scale:
    """The x scale of a chart over `with_periods` data (`domain_of`)."""
    return scale_of(domain_of(data, kind))
