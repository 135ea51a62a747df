"""Logistics charts: an item's stock per zone over the days, and the meals delivered per day.
Every label arrives translated; the charts only draw."""
from __future__ import annotations

import altair as alt
import pandas as pd

MEALS, DONATED = "#2f6fb0", "#e0a030"
# one clearly different colour per zone (the theme's palette pairs a dark and a light blue, a red and a pink)
ZONE_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf"]


def _day_axis(days: int) -> alt.Axis:
    """A day axis that never repeats a date: about one tick a day up to two weeks, fewer after."""
    return alt.Axis(format="%m-%d", labelAngle=0, tickCount=min(max(days, 1), 10), grid=False)


def stock_trend(frame: pd.DataFrame, stock_label: str, day_label: str, zone_label: str,
                threshold: int | None = None, height: int = 260) -> alt.Chart:
    """One line per work zone: the item's stock at the end of each day (logistics.stock_trend's frame),
    with the low threshold as a dashed rule when there is one."""
    data = frame.assign(day=pd.to_datetime(frame["day"]))
    days = data["day"].nunique()
    zones = list(dict.fromkeys(data["zone"]))  # the frame's order (by zone code), not the names' code points
    lines = alt.Chart(data).mark_line(point=days <= 31, interpolate="step-after").encode(
        x=alt.X("day:T", title=None, axis=_day_axis(days)),
        y=alt.Y("stock:Q", title=stock_label, scale=alt.Scale(domainMin=0), axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("zone:N", title=zone_label, sort=zones,
                        scale=alt.Scale(domain=zones, range=[ZONE_COLOURS[k % len(ZONE_COLOURS)] for k in range(len(zones))]),
                        legend=alt.Legend(orient="bottom", direction="horizontal", title=None, labelLimit=200)),
        tooltip=[alt.Tooltip("day:T", title=day_label, format="%Y-%m-%d"), alt.Tooltip("zone:N", title=zone_label),
                 alt.Tooltip("stock:Q", title=stock_label, format=",d")],
    )
    if threshold:
        rule = alt.Chart(pd.DataFrame({"threshold": [int(threshold)]})).mark_rule(
            strokeDash=[6, 4], color="#c0392b").encode(y="threshold:Q")
        return (lines + rule).properties(height=height)
    return lines.properties(height=height)


def meals_daily(frame: pd.DataFrame, meals_label: str, donated_label: str, day_label: str,
                height: int = 240) -> alt.Chart:
    """One bar per day: the meals delivered, and beside them (stacked on top, another colour) the meals
    residents brought (logistics.meals_daily's frame)."""
    long = frame[["day", "meals", "donated_meals"]].melt(id_vars=["day"], var_name="kind", value_name="count")
    long["day"] = pd.to_datetime(long["day"])
    long["label"] = long["kind"].map({"meals": meals_label, "donated_meals": donated_label})
    long["order"] = long["kind"].map({"meals": 0, "donated_meals": 1})
    days = long["day"].nunique()
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("yearmonthdate(day):T", title=None, axis=_day_axis(days)),
        y=alt.Y("count:Q", title=None, stack="zero", axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("label:N", sort=[meals_label, donated_label],
                        scale=alt.Scale(domain=[meals_label, donated_label], range=[MEALS, DONATED]),
                        legend=alt.Legend(orient="top", direction="horizontal", title=None, labelLimit=200)),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("day:T", title=day_label, format="%Y-%m-%d"), alt.Tooltip("label:N", title=" "),
                 alt.Tooltip("count:Q", title=" ", format=",d")],
    ).properties(height=height)
