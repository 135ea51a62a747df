"""Checkpoint traffic charts."""
from __future__ import annotations

import altair as alt
import pandas as pd

from ui.charts import periods

SELECT_CHECKPOINT = "checkpoint"


def daily_trend(frame: pd.DataFrame, metric: str, label: str, average_label: str, day_label: str,
                color: str = "#2f6fb0", height: int = 260, wide_days: bool = False) -> alt.Chart:
    """Daily bars of one metric with its 7-day average as a line. A frame summed by week, month or
    year (a long range) gets one bar spanning each period and the per-day average in the tooltip:
    a line of daily averages would not share the bars' scale.

    `wide_days` (the pages): each day's bar is a column centred on its label, as wide as the days
    allow, on a scale that ends half a day beyond the range (no half bars, no label outside it).
    Without it (the wall's look until it opts in) a day is a thin bar at midnight."""
    kind = periods.grain_of(frame)
    average = f"{metric}_7d" if kind == "day" else f"{metric}_per_day"
    days = len(frame)
    data = periods.with_periods(frame, kind, [metric, average], share=periods.day_bar_share(days))
    axis = periods.time_axis(data, kind, day_label)
    x = alt.X("day:T", axis=axis, scale=periods.time_scale(data, kind)) if wide_days else alt.X("day:T", axis=axis)
    base = alt.Chart(data).encode(x=x)
    y = alt.Y(f"{metric}:Q", title=label)
    tooltip = [alt.Tooltip("day:T", title=day_label, format=periods.TOOLTIP_FORMATS[kind]),
               alt.Tooltip(f"{metric}:Q", title=label, format=",d"),
               alt.Tooltip(f"{average}:Q", title=average_label, format=",.1f")]
    if kind != "day":  # each bar spans its period; y2 keeps it a column from zero (x2 alone lays it sideways)
        return base.mark_bar(color=color, x2Offset=-1).encode(
            x2="day_end:T", y=y, y2=alt.datum(0), opacity=periods.bar_opacity(), tooltip=tooltip,
        ).properties(height=height)
    # a day still coming in (fewer reports than checkpoints) is drawn pale: not read as a drop
    if wide_days:
        bars = alt.Chart(data).mark_bar(color=color).encode(
            x=alt.X("lo:T", axis=axis, scale=periods.time_scale(data, kind)), x2="hi:T", y=y, y2=alt.datum(0),
            tooltip=tooltip, opacity=periods.bar_opacity(0.55, 0.2))
    else:
        bars = base.mark_bar(color=color).encode(y=y, tooltip=tooltip, opacity=periods.bar_opacity(0.55, 0.2))
    line = base.mark_line(color=color, strokeWidth=3, point=wide_days and days == 1).encode(y=f"{average}:Q")
    return (bars + line).properties(height=height)


def checkpoint_ranking(frame: pd.DataFrame, value: str, label: str, name_label: str,
                       focused: int | None = None, height_per_row: int = 24) -> alt.Chart:
    """Checkpoints ranked by a figure; clicking a bar selects that checkpoint."""
    data = frame[["site_id", "name", value]].copy()
    data["focused"] = data["site_id"] == focused if focused else True
    pick = alt.selection_point(name=SELECT_CHECKPOINT, fields=["site_id"], on="click")
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort="-x", title=None, axis=alt.Axis(labelLimit=220, labelOverlap=False)),
            x=alt.X(f"{value}:Q", title=label),
            color=alt.condition(alt.datum.focused, alt.value("#2f6fb0"), alt.value("#b8c7d9")),
            tooltip=[alt.Tooltip("name:N", title=name_label), alt.Tooltip(f"{value}:Q", title=label, format=",d")],
        )
        .add_params(pick)
        .properties(height=alt.Step(height_per_row))  # a fixed height squeezed rows until names dropped out
    )


def checkpoint_heatmap(frame: pd.DataFrame, label: str, day_label: str, name_label: str,
                       row_height: int = 24) -> alt.Chart:
    """Vehicles per checkpoint: one row per checkpoint, one cell per day (or week, month, year over
    a long range: the read sums them), each cell spanning its period on a time axis."""
    if frame.empty:
        return alt.Chart(pd.DataFrame({"x": []})).mark_rect().properties(height=60)
    kind = periods.grain_of(frame)
    data = periods.with_periods(frame, kind, ["name", "vehicles"])
    busiest_first = alt.EncodingSortField("vehicles", op="sum", order="descending")  # as the ranking beside it
    return (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X("lo:T", axis=periods.time_axis(data, kind, day_label), scale=periods.time_scale(data, kind)),
            x2="hi:T",
            y=alt.Y("name:N", title=None, sort=busiest_first, axis=alt.Axis(labelLimit=220, labelOverlap=False)),
            color=alt.Color("vehicles:Q", title=label, scale=alt.Scale(scheme="blues")),
            tooltip=[alt.Tooltip("name:N", title=name_label),
                     alt.Tooltip("day:T", title=day_label, format=periods.TOOLTIP_FORMATS[kind]),
                     alt.Tooltip("vehicles:Q", title=label, format=",d")],
        )
        .properties(height=alt.Step(row_height))  # room for every checkpoint's name, however many
    )
