"""Issue 14: the traffic trend's spec is a kept skeleton with its rows swapped in as one named table.

It must draw exactly what Altair builds from the rows directly (the dataset's name aside), for each
grain, with partial periods, on the pages and on the wall; and, as it is not schema-checked when it is
built, it is checked against the Vega-Lite schema here. No database: the chart takes frames.
"""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema import core

from ui.charts import traffic as traffic_charts
from ui.charts.theme import Ready, on_wall

FIRST = dt.date(2026, 2, 1)
STEP = {"day": dt.timedelta(days=1), "week": dt.timedelta(days=7)}


def trend_frame(grain: str, periods: int, partial: bool = False) -> pd.DataFrame:
    """A traffic.daily-like frame: per day a 7-day average, per week or month a per-day average."""
    days = ([FIRST + STEP[grain] * k for k in range(periods)] if grain in STEP
            else [dt.date(2026, month, 1) for month in range(1, periods + 1)])
    frame = pd.DataFrame({"day": days, "vehicles": range(100, 100 + periods), "persons": range(7, 7 + periods),
                          "vehicles_7d": [99.5] * periods, "persons_7d": [7.25] * periods,
                          "vehicles_per_day": [14.5] * periods, "persons_per_day": [1.5] * periods, "grain": grain})
    if partial and grain == "day":  # the latest day still coming in
        frame["partial"] = [False] * (periods - 1) + [True]
    elif partial:  # the first and last periods only partly inside the range
        full = 7 if grain == "week" else 28
        frame["days"] = [3] + [full] * (periods - 2) + [2] if periods > 1 else [3]
    return frame


def named_alike(spec: dict) -> dict:
    """The spec as JSON with its datasets named by position: Altair names an inline table by its hash."""
    text = json.dumps(spec, sort_keys=True, default=str)
    for number, name in enumerate(spec.get("datasets", {})):
        text = text.replace(json.dumps(name), json.dumps(f"table-{number}"))
    return json.loads(text)


CASES = [("day", 30, False), ("day", 30, True), ("day", 1, False), ("day", 1, True), ("day", 6, True),
         ("week", 10, False), ("week", 10, True), ("month", 6, True), ("month", 1, False)]
OPTIONS = [{}, {"wide_days": True}, {"wide_days": True, "color": "#c0622f", "height": 300}]


@pytest.mark.parametrize("grain, periods, partial", CASES)
@pytest.mark.parametrize("options", OPTIONS, ids=["thin", "wide", "wide-colored"])
@pytest.mark.parametrize("wall", [False, True], ids=["page", "wall"])
def test_the_skeleton_with_rows_is_the_chart_altair_builds(grain, periods, partial, options, wall):
    frame = trend_frame(grain, periods, partial)
    words = ("vehicles", "车辆", "7日均值", "日期")
    spec = traffic_charts.daily_trend(frame, *words, **options)
    chart = traffic_charts.daily_trend_chart(frame, *words, **options)
    if wall:
        spec, chart = on_wall(spec), on_wall(chart)
    assert isinstance(spec, Ready) and list(spec["datasets"]) == [traffic_charts.TREND]
    direct = chart.to_dict()  # schema-checked by Altair
    assert named_alike(spec.to_dict()) == named_alike(direct)
    validate_jsonschema(spec.to_dict(), core.load_schema())


def test_the_skeleton_is_kept_and_never_changed_by_a_spec():
    """Two data versions with the same range share the skeleton; the rows are each version's own."""
    before, after = trend_frame("day", 30), trend_frame("day", 30)
    after["vehicles"] += 5
    first = on_wall(traffic_charts.daily_trend(before, "vehicles", "V", "avg", "Day", wide_days=True))
    second = on_wall(traffic_charts.daily_trend(after, "vehicles", "V", "avg", "Day", wide_days=True))
    assert first["layer"] is second["layer"]  # the skeleton's, not rebuilt
    assert [r["vehicles"] for r in second["datasets"][traffic_charts.TREND]] == list(range(105, 135))
    assert [r["vehicles"] for r in first["datasets"][traffic_charts.TREND]] == list(range(100, 130))
    assert "background" not in traffic_charts.daily_trend(before, "vehicles", "V", "avg", "Day").get("config", {})


def test_the_rows_are_written_as_altair_writes_them():
    """trend_rows' own conversion, and its way back to Altair's for what it does not handle."""
    import altair as alt

    data = traffic_charts._trend_data(trend_frame("day", 9, partial=True), "vehicles")[2]
    odd = {"micro": data.assign(lo=data["lo"] + pd.Timedelta(microseconds=5)),
           "zone": data.assign(lo=data["lo"].dt.tz_localize("UTC")),
           "nan": data.assign(vehicles_7d=[float("nan")] + [1.5] * 8,
                              vehicles=pd.array([None] + list(range(8)), dtype="Int64")),
           "nat": data.assign(hi=[pd.NaT] + list(data["hi"][1:]))}
    for name, frame in {"plain": data, **odd}.items():
        assert traffic_charts.trend_rows(frame) == alt.utils.data.to_values(frame)["values"], name
