"""Chart specs that stay readable (issue 12): per-day bars centred on their day and never hairlines,
date ticks that cannot repeat a day or name one outside the range, and category rows sized by count
(alt.Step) so every checkpoint is labelled, two or twelve. No database: the charts take frames."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ui.charts import periods
from ui.charts import reopening as reopening_charts
from ui.charts import traffic as traffic_charts

FIRST = dt.date(2020, 2, 12)


def daily_frame(days: int) -> pd.DataFrame:
    index = [FIRST + dt.timedelta(days=k) for k in range(days)]
    return pd.DataFrame({"day": index, "vehicles": range(100, 100 + days), "vehicles_7d": [100.0] * days,
                         "persons": range(200, 200 + days), "persons_7d": [200.0] * days, "grain": "day"})


def moment(value: dict) -> pd.Timestamp:
    return pd.Timestamp(year=value["year"], month=value["month"], day=value["date"], hour=value.get("hours", 0))


def layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def tick_days(axis: dict, domain: tuple[pd.Timestamp, pd.Timestamp]) -> list[dt.date]:
    """The days Vega puts a tick on: every midnight in the domain that is a whole number of steps
    into its month (d3's timeDay.every(step)), as the axis's tickCount asks."""
    assert axis["tickCount"]["interval"] == "day"
    step = axis["tickCount"]["step"]
    midnights = pd.date_range(domain[0].ceil("D"), domain[1].floor("D"), freq="D")
    return [m.date() for m in midnights if (m.day - 1) % step == 0]


@pytest.mark.parametrize("days", range(1, 15))
def test_a_short_range_labels_each_day_once_and_only_days_in_range(days):
    spec = traffic_charts.daily_trend(daily_frame(days), "vehicles", "车辆", "7日均值", "日期", wide_days=True).to_dict()
    bars = next(layer for layer in layers(spec) if layer["mark"]["type"] == "bar")
    x = bars["encoding"]["x"]
    domain = tuple(moment(v) for v in x["scale"]["domain"])
    last = FIRST + dt.timedelta(days=days - 1)
    # the scale ends half a day beyond the first and the last day: both bars whole, nothing after the range
    assert domain == (pd.Timestamp(FIRST) - pd.Timedelta(hours=12), pd.Timestamp(last) + pd.Timedelta(hours=12))
    assert x["axis"]["format"] == "%m-%d"
    ticks = tick_days(x["axis"], domain)
    labels = [d.strftime("%m-%d") for d in ticks]
    assert ticks and len(labels) == len(set(labels)), labels  # no date printed twice
    assert all(FIRST <= d <= last for d in ticks), labels  # no label for a day outside the range
    # each bar is a column centred on its day's tick, as wide as a week's bars (not Vega's 5 px default)
    data = next(iter(spec["datasets"].values()))
    widths = {(pd.Timestamp(r["hi"]) - pd.Timestamp(r["lo"])) for r in data}
    assert len(widths) == 1 and abs(widths.pop() - pd.Timedelta(days=1) * periods.day_bar_share(days)) < pd.Timedelta(minutes=2)
    assert periods.day_bar_share(days) >= periods.day_bar_share(1) > 0.1
    assert all(pd.Timestamp(r["lo"]) + (pd.Timestamp(r["hi"]) - pd.Timestamp(r["lo"])) / 2 == pd.Timestamp(r["day"])
               for r in data)
    assert (bars["encoding"]["x"]["field"], bars["encoding"]["x2"]["field"]) == ("lo", "hi")


def test_the_wall_keeps_its_own_trend_unless_it_asks():
    """The wall's trend (another page's look) is unchanged by default: thin bars at midnight."""
    spec = traffic_charts.daily_trend(daily_frame(14), "vehicles", "Vehicles", "avg", "Day").to_dict()
    bars = next(layer for layer in layers(spec) if layer["mark"]["type"] == "bar")
    assert bars["encoding"]["x"]["field"] == "day" and "x2" not in bars["encoding"]


def test_the_heat_map_centres_each_day_and_lists_checkpoints_busiest_first():
    rows = [{"day": FIRST + dt.timedelta(days=k), "site_id": s, "name": name, "vehicles": v + k, "grain": "day"}
            for k in range(3) for s, name, v in ((1, "县道X017北岭卡口", 40), (2, "中古线西关卡口", 130))]
    spec = traffic_charts.checkpoint_heatmap(pd.DataFrame(rows), "车辆", "日期", "卡口").to_dict()
    x, y = spec["encoding"]["x"], spec["encoding"]["y"]
    assert (x["field"], spec["encoding"]["x2"]["field"]) == ("lo", "hi")
    domain = tuple(moment(v) for v in x["scale"]["domain"])
    assert [d.strftime("%m-%d") for d in tick_days(x["axis"], domain)] == ["02-12", "02-13", "02-14"]
    assert y["sort"] == {"field": "vehicles", "op": "sum", "order": "descending"}  # as the ranking beside it
    assert spec["height"] == {"step": 24} and y["axis"]["labelOverlap"] is False


@pytest.mark.parametrize("checkpoints", [1, 2, 12])
def test_rows_are_sized_by_count_so_every_name_has_room(checkpoints):
    """The declared height is per row (alt.Step): two checkpoints get two readable rows, twelve get twelve,
    and Vega adds the axes' room to it instead of squeezing the rows into a fixed height."""
    frame = pd.DataFrame({"site_id": range(checkpoints), "name": [f"卡口{k}" for k in range(checkpoints)],
                          "vehicles_total": range(checkpoints)})
    spec = traffic_charts.checkpoint_ranking(frame, "vehicles_total", "车辆", "卡口").to_dict()
    assert spec["height"] == {"step": 24}
    assert spec["encoding"]["y"]["axis"]["labelOverlap"] is False  # every name printed, none skipped


def test_reopening_bars_span_their_day_and_counts_are_whole():
    frame = pd.DataFrame({"day": [FIRST + dt.timedelta(days=k) for k in range(5)], "approvals": [0, 2, 1, 0, 3],
                          "employees": [10, 40, 60, 60, 90], "grain": "day"})
    spec = reopening_charts.over_time(frame, "批复", "员工", "日期").to_dict()
    bars, line = spec["layer"]
    assert (bars["encoding"]["x"]["field"], bars["encoding"]["x2"]["field"]) == ("lo", "hi")
    assert bars["encoding"]["y"]["axis"]["format"] == "d"  # no "0.5 approvals"
    assert bars["encoding"]["x"]["scale"] == line["encoding"]["x"]["scale"]
