"""Checkpoint traffic charts."""
from __future__ import annotations

import dataclasses
import functools
import math

import altair as alt
import numpy as np
import pandas as pd

from ui.charts import periods
from ui.charts.theme import Ready

SELECT_CHECKPOINT = "checkpoint"


# The trend's rows travel as one named table: its skeleton (everything else) is built by Altair once per
# Trend and kept, so a traffic save re-shapes ~30 rows instead of building the layered chart again
# (~85 ms of the wall's refresh after a save at city scale, issue 14). The coverage map does the same.
TREND = "traffic_trend"


@dataclasses.dataclass(frozen=True)
class Trend:
    """What the trend's spec depends on besides its rows: the grain, the words and looks, and the
    few values taken from the rows (the axis's ticks, the scale's domain, whether it is one day)."""
    kind: str
    metric: str
    average: str
    label: str
    average_label: str
    day_label: str
    color: str
    height: int
    wide_days: bool
    one_day: bool
    ticks: tuple
    domain: tuple | None


def _trend_data(frame: pd.DataFrame, metric: str) -> tuple[str, str, pd.DataFrame]:
    """(grain, the average's column, the rows with their periods) of a daily read."""
    kind = periods.grain_of(frame)
    average = f"{metric}_7d" if kind == "day" else f"{metric}_per_day"
    data = periods.with_periods(frame, kind, [metric, average], share=periods.day_bar_share(len(frame)))
    return kind, average, data


def _trend_shape(frame: pd.DataFrame, metric: str, label: str, average_label: str, day_label: str,
                 color: str, height: int, wide_days: bool) -> tuple[Trend, pd.DataFrame]:
    kind, average, data = _trend_data(frame, metric)
    label_format, interval = periods.ticks_of(data, kind)
    shape = Trend(kind=kind, metric=metric, average=average, label=label, average_label=average_label,
                  day_label=day_label, color=color, height=int(height), wide_days=bool(wide_days),
                  one_day=len(frame) == 1, ticks=(label_format, tuple(interval.items())),
                  domain=periods.domain_of(data, kind))
    return shape, data


def _trend_chart(shape: Trend, source) -> alt.Chart:
    """The trend drawn from `source`: its rows (a frame) or the name of the table that will hold them."""
    kind, metric, color = shape.kind, shape.metric, shape.color
    axis = periods.axis_of(shape.ticks, shape.day_label)
    scale = periods.scale_of(shape.domain)
    x = alt.X("day:T", axis=axis, scale=scale) if shape.wide_days else alt.X("day:T", axis=axis)
    base = alt.Chart(source).encode(x=x)
    y = alt.Y(f"{metric}:Q", title=shape.label)
    tooltip = [alt.Tooltip("day:T", title=shape.day_label, format=periods.TOOLTIP_FORMATS[kind]),
               alt.Tooltip(f"{metric}:Q", title=shape.label, format=",d"),
               alt.Tooltip(f"{shape.average}:Q", title=shape.average_label, format=",.1f")]
    if kind != "day":  # each bar spans its period; y2 keeps it a column from zero (x2 alone lays it sideways)
        return base.mark_bar(color=color, x2Offset=-1).encode(
            x2="day_end:T", y=y, y2=alt.datum(0), opacity=periods.bar_opacity(), tooltip=tooltip,
        ).properties(height=shape.height)
    # a day still coming in (fewer reports than checkpoints) is drawn pale: not read as a drop
    if shape.wide_days:
        bars = alt.Chart(source).mark_bar(color=color).encode(
            x=alt.X("lo:T", axis=axis, scale=scale), x2="hi:T", y=y, y2=alt.datum(0),
            tooltip=tooltip, opacity=periods.bar_opacity(0.55, 0.2))
    else:
        bars = base.mark_bar(color=color).encode(y=y, tooltip=tooltip, opacity=periods.bar_opacity(0.55, 0.2))
    line = base.mark_line(color=color, strokeWidth=3, point=shape.wide_days and shape.one_day).encode(
        y=f"{shape.average}:Q")
    return (bars + line).properties(height=shape.height)


@functools.lru_cache(maxsize=256)
def _skeleton(shape: Trend) -> dict:
    """The trend's spec without its rows, built by Altair once per Trend (not schema-checked here: the
    tests check it). Shared: never changed in place."""
    spec = _trend_chart(shape, alt.NamedData(name=TREND)).to_dict(validate=False)
    spec.pop("datasets", None)
    return spec


def trend_rows(data: pd.DataFrame) -> list[dict]:
    """The rows as Altair writes a frame into a spec: timestamps as ISO text, NaN as None. Written here
    for the trend's columns (dates, counts, averages, flags): Altair's general conversion took ~5 ms of
    30 rows; anything else goes through it."""
    columns = {}
    for name, column in data.items():
        values = _plain(column)
        if values is None:
            return alt.utils.data.to_values(data)["values"]
        columns[name] = values
    names = list(columns)
    return [dict(zip(names, row)) for row in zip(*columns.values())]


def _plain(column: pd.Series) -> list | None:
    """A column's values as Altair writes them, or None for a kind not handled here."""
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else "O"  # pandas' own dtypes (time zones, nullable)
    if kind in "iub":
        return column.tolist()
    if kind == "f":
        return [value if math.isfinite(value) else None for value in column.tolist()]
    if kind == "M":  # isoformat() of whole seconds, never NaT
        stamps = column.to_numpy()
        seconds = stamps.astype("datetime64[s]")
        return None if np.isnat(stamps).any() or (seconds != stamps).any() else np.datetime_as_string(seconds).tolist()
    return None


def daily_trend_chart(frame: pd.DataFrame, metric: str, label: str, average_label: str, day_label: str,
                      color: str = "#2f6fb0", height: int = 260, wide_days: bool = False) -> alt.Chart:
    """daily_trend as an Altair chart with its rows inline, for composing with other charts."""
    shape, data = _trend_shape(frame, metric, label, average_label, day_label, color, height, wide_days)
    return _trend_chart(shape, data)


def daily_trend(frame: pd.DataFrame, metric: str, label: str, average_label: str, day_label: str,
                color: str = "#2f6fb0", height: int = 260, wide_days: bool = False) -> Ready:
    """Daily bars of one metric with its 7-day average as a line. A frame summed by week, month or
    year (a long range) gets one bar spanning each period and the per-day average in the tooltip:
    a line of daily averages would not share the bars' scale.

    `wide_days` (the pages): each day's bar is a column centred on its label, as wide as the days
    allow, on a scale that ends half a day beyond the range (no half bars, no label outside it).
    Without it (the wall's look until it opts in) a day is a thin bar at midnight.

    Returns the finished spec (`Ready`): the kept skeleton with the rows as the table TREND, drawing
    exactly what daily_trend_chart draws."""
    shape, data = _trend_shape(frame, metric, label, average_label, day_label, color, height, wide_days)
    spec = Ready(_skeleton(shape))
    spec["datasets"] = {TREND: trend_rows(data)}
    return spec


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
