"""Reporting completeness charts: the day's status per work zone, each site's on-time rate."""
from __future__ import annotations

import altair as alt
import pandas as pd

from data_access.completeness import STATUSES

SELECT_SITE = "site"
# Calm for what is fine or not yet due, warm for late, red only for what is overdue.
STATUS_COLORS = {"on_time": "#3a8f5c", "late": "#e0a030", "overdue": "#c0392b", "pending": "#a9b6c4",
                 None: "#d9dee4"}


def _status_scale(labels: dict) -> alt.Scale:
    shown = [s for s in (*STATUSES, None) if s in labels]
    return alt.Scale(domain=[labels[s] for s in shown], range=[STATUS_COLORS[s] for s in shown])


def zone_status(frame: pd.DataFrame, labels: dict, count_label: str, status_label: str, zone_label: str,
                row_height: int = 30) -> alt.Chart:
    """Checkpoints per work zone by the day's status, stacked: one row per zone (zone_overview's frame)."""
    data = frame.melt(id_vars=["zone"], value_vars=list(STATUSES), var_name="status", value_name="sites")
    data["label"] = data["status"].map(labels)
    data["order"] = data["status"].map({s: k for k, s in enumerate(STATUSES)})
    return (
        alt.Chart(data[data["sites"] > 0])
        .mark_bar()
        .encode(
            y=alt.Y("zone:N", sort=list(frame["zone"]), title=None, axis=alt.Axis(labelLimit=200)),
            x=alt.X("sites:Q", title=count_label, axis=alt.Axis(tickMinStep=1, tickCount=8, format="d"),
                    scale=alt.Scale(domainMin=0)),
            color=alt.Color("label:N", title=status_label, scale=_status_scale({s: labels[s] for s in STATUSES}),
                            legend=alt.Legend(title=None, orient="bottom", direction="horizontal", labelLimit=200)),
            order=alt.Order("order:Q"),
            tooltip=[alt.Tooltip("zone:N", title=zone_label), alt.Tooltip("label:N", title=status_label),
                     alt.Tooltip("sites:Q", title=count_label)],
        )
        .properties(height=alt.Step(row_height))  # every zone's name gets its row, however many zones
    )


def site_on_time(frame: pd.DataFrame, labels: dict, rate_label: str, status_label: str, name_label: str,
                 zone_label: str, focused: int | None = None, row_height: int = 24) -> alt.Chart:
    """Each site's on-time rate over the range, coloured by its status on the day (site_overview's
    frame); clicking a bar picks the site."""
    data = frame[["site_id", "name", "zone", "status", "on_time_rate", "days_due"]].copy()
    data["label"] = [labels[s if s in labels else None] for s in data["status"]]
    data["rate"] = data["on_time_rate"].astype(float).fillna(0)  # nothing due yet: an empty bar, still clickable
    data["focused"] = data["site_id"] == focused if focused else True
    in_legend = {s: labels[s] for s in STATUSES}
    if data["status"].isna().any():  # "not expected that day" only when a site is
        in_legend[None] = labels[None]
    pick = alt.selection_point(name=SELECT_SITE, fields=["site_id"], on="click")
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort=list(data["name"]), title=None, axis=alt.Axis(labelLimit=220)),
            x=alt.X("rate:Q", title=rate_label, scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format="%", tickCount=5)),
            color=alt.Color("label:N", title=status_label, scale=_status_scale(in_legend),
                            legend=alt.Legend(title=None, orient="bottom", direction="horizontal", labelLimit=200)),
            opacity=alt.condition(alt.datum.focused, alt.value(1.0), alt.value(0.35)),
            tooltip=[alt.Tooltip("name:N", title=name_label), alt.Tooltip("zone:N", title=zone_label),
                     alt.Tooltip("label:N", title=status_label),
                     alt.Tooltip("on_time_rate:Q", title=rate_label, format=".1%")],
        )
        .add_params(pick)
        .properties(height=alt.Step(row_height))
    )
