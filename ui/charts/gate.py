"""Compound gate charts: passings per hour per compound on a day, and per day over the range.
Every label arrives translated; the charts only draw."""
from __future__ import annotations

import altair as alt
import pandas as pd

ENTRIES, EXITS, OUTSIDE = "#2f6fb0", "#e0a030", "#c0392b"
HOURLY_COMPOUNDS = 20  # rows of the hour map: the busiest compounds of the day (a city has thousands)


def busiest(frame: pd.DataFrame, most: int = HOURLY_COMPOUNDS) -> pd.DataFrame:
    """The hourly rows of the `most` compounds with the most passings that day."""
    if frame.empty:
        return frame
    totals = (frame["entries"] + frame["exits"]).groupby(frame["site_id"]).sum().sort_values(ascending=False, kind="stable")
    return frame[frame["site_id"].isin(totals.index[:most])]


def _long(frame: pd.DataFrame, keys: list[str], entries_label: str, exits_label: str) -> pd.DataFrame:
    long = frame[[*keys, "entries", "exits"]].melt(id_vars=keys, var_name="kind", value_name="count")
    long["label"] = long["kind"].map({"entries": entries_label, "exits": exits_label})
    return long


def hourly(frame: pd.DataFrame, site_id: int, entries_label: str, exits_label: str, hour_label: str,
           height: int = 300) -> alt.Chart:
    """One compound's in and out per hour 0-23 of the day, side by side (gate.hourly's frame); as wide as
    its container, on a phone too."""
    data = frame[frame["site_id"] == site_id]
    hours = pd.DataFrame({"hour": range(24)}).merge(data[["hour", "entries", "exits"]], on="hour", how="left").fillna(0)
    long = _long(hours, ["hour"], entries_label, exits_label)
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("hour:O", title=hour_label, axis=alt.Axis(labelAngle=0, values=list(range(0, 24, 3)))),
        xOffset=alt.XOffset("label:N", sort=[entries_label, exits_label]),
        y=alt.Y("count:Q", title=None, axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("label:N", sort=[entries_label, exits_label],
                        scale=alt.Scale(domain=[entries_label, exits_label], range=[ENTRIES, EXITS]),
                        legend=alt.Legend(orient="top", direction="horizontal", title=None, labelLimit=200)),
        tooltip=[alt.Tooltip("hour:O", title=hour_label), alt.Tooltip("label:N", title=" "),
                 alt.Tooltip("count:Q", title=" ", format=",d")],
    ).properties(height=height)


def hourly_map(frame: pd.DataFrame, entries_label: str, exits_label: str, count_label: str, hour_label: str,
               compound_label: str, row_height: int = 26) -> alt.Chart:
    """Every compound (the busiest HOURLY_COMPOUNDS) by hour: a cell's colour is the passings, in and out
    (gate.hourly's frame); as wide as its container."""
    data = busiest(frame).assign(count=lambda f: f["entries"] + f["exits"])
    order = list(data.groupby("site")["count"].sum().sort_values(ascending=False, kind="stable").index)
    return alt.Chart(data).mark_rect().encode(
        x=alt.X("hour:O", title=hour_label, scale=alt.Scale(domain=list(range(24))),
                axis=alt.Axis(labelAngle=0, values=list(range(0, 24, 3)))),
        y=alt.Y("site:N", title=None, sort=order, axis=alt.Axis(labelLimit=120, labelOverlap=False)),
        color=alt.Color("count:Q", title=count_label, scale=alt.Scale(scheme="blues"),
                        legend=alt.Legend(orient="top", direction="horizontal", format=",d")),
        tooltip=[alt.Tooltip("site:N", title=compound_label), alt.Tooltip("hour:O", title=hour_label),
                 alt.Tooltip("entries:Q", title=entries_label, format=",d"),
                 alt.Tooltip("exits:Q", title=exits_label, format=",d")],
    ).properties(height=alt.Step(row_height))  # a row per compound; a fixed height squeezed 3 rows into a strip


def _day_axis(days: int) -> alt.Axis:
    return alt.Axis(format="%m-%d", labelAngle=0, tickCount=min(max(days, 1), 10), grid=False)


def daily(frame: pd.DataFrame, entries_label: str, exits_label: str, outside_label: str, day_label: str,
          height: int = 240) -> alt.Chart:
    """Per day over the range, every compound together: in and out as bars side by side, from outside
    as a red line (gate.daily's frame)."""
    per_day = frame.groupby("day", as_index=False)[["entries", "exits", "from_outside"]].sum()
    per_day["day"] = pd.to_datetime(per_day["day"])
    days = per_day["day"].nunique()
    long = _long(per_day, ["day"], entries_label, exits_label)
    bars = alt.Chart(long).mark_bar().encode(
        x=alt.X("yearmonthdate(day):T", title=None, axis=_day_axis(days)),
        xOffset=alt.XOffset("label:N", sort=[entries_label, exits_label]),
        y=alt.Y("count:Q", title=None, axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("label:N", sort=[entries_label, exits_label, outside_label],
                        scale=alt.Scale(domain=[entries_label, exits_label, outside_label],
                                        range=[ENTRIES, EXITS, OUTSIDE]),
                        legend=alt.Legend(orient="top", direction="horizontal", title=None, labelLimit=200)),
        tooltip=[alt.Tooltip("day:T", title=day_label, format="%Y-%m-%d"), alt.Tooltip("label:N", title=" "),
                 alt.Tooltip("count:Q", title=" ", format=",d")],
    )
    outside = per_day.assign(label=outside_label)
    line = alt.Chart(outside).mark_line(point=days <= 31, color=OUTSIDE).encode(
        x=alt.X("yearmonthdate(day):T", title=None),
        y=alt.Y("from_outside:Q"),
        color=alt.Color("label:N"),
        tooltip=[alt.Tooltip("day:T", title=day_label, format="%Y-%m-%d"),
                 alt.Tooltip("from_outside:Q", title=outside_label, format=",d")],
    )
    return (bars + line).properties(height=height)
