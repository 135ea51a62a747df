"""Checkpoint traffic charts."""
from __future__ import annotations

import altair as alt
import pandas as pd

SELECT_CHECKPOINT = "checkpoint"


def daily_trend(frame: pd.DataFrame, metric: str, label: str, average_label: str, day_label: str,
                color: str = "#2f6fb0", height: int = 260) -> alt.Chart:
    """Daily bars of one metric with its 7-day average as a line."""
    data = frame[["day", metric, f"{metric}_7d"]].copy()
    data["day"] = pd.to_datetime(data["day"])
    base = alt.Chart(data).encode(x=alt.X("day:T", title=day_label, axis=alt.Axis(format="%m-%d", labelAngle=0)))
    bars = base.mark_bar(color=color, opacity=0.55).encode(
        y=alt.Y(f"{metric}:Q", title=label),
        tooltip=[alt.Tooltip("day:T", title=day_label, format="%Y-%m-%d"),
                 alt.Tooltip(f"{metric}:Q", title=label, format=",d"),
                 alt.Tooltip(f"{metric}_7d:Q", title=average_label, format=",.1f")],
    )
    line = base.mark_line(color=color, strokeWidth=3).encode(y=f"{metric}_7d:Q")
    return (bars + line).properties(height=height)


def checkpoint_ranking(frame: pd.DataFrame, value: str, label: str, name_label: str,
                       focused: int | None = None, height_per_row: int = 22) -> alt.Chart:
    """Checkpoints ranked by a figure; clicking a bar selects that checkpoint."""
    data = frame[["site_id", "name", value]].copy()
    data["focused"] = data["site_id"] == focused if focused else True
    pick = alt.selection_point(name=SELECT_CHECKPOINT, fields=["site_id"], on="click")
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort="-x", title=None),
            x=alt.X(f"{value}:Q", title=label),
            color=alt.condition(alt.datum.focused, alt.value("#2f6fb0"), alt.value("#b8c7d9")),
            tooltip=[alt.Tooltip("name:N", title=name_label), alt.Tooltip(f"{value}:Q", title=label, format=",d")],
        )
        .add_params(pick)
        .properties(height=max(120, height_per_row * len(data)))
    )


def checkpoint_heatmap(frame: pd.DataFrame, label: str, day_label: str, name_label: str) -> alt.Chart:
    """Daily vehicles per checkpoint: one row per checkpoint, one cell per day."""
    if frame.empty:
        return alt.Chart(pd.DataFrame({"x": []})).mark_rect().properties(height=60)
    data = frame.copy()
    data["day"] = pd.to_datetime(data["day"])
    return (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X("yearmonthdate(day):O", title=day_label, axis=alt.Axis(format="%m-%d", labelAngle=-45)),
            y=alt.Y("name:N", title=None),
            color=alt.Color("vehicles:Q", title=label, scale=alt.Scale(scheme="blues")),
            tooltip=[alt.Tooltip("name:N", title=name_label), alt.Tooltip("day:T", title=day_label, format="%Y-%m-%d"),
                     alt.Tooltip("vehicles:Q", title=label, format=",d")],
        )
        .properties(height=max(120, 24 * data["name"].nunique()))
    )
