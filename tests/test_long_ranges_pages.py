"""Issue 9 on the pages (AppTest, SQLite and PostgreSQL): a typo row dated 1920 and a 431-day season
must not put the error box on the traffic or reopening page; the charts sum by week, month or year
and say so, in both languages; the headline figures stay exact."""
from __future__ import annotations

import datetime as dt

import json

import pyarrow as pa
import pytest

from data_access.db import write_session
from data_access.models import Setting
from data_access.territory import SEASON_START_KEY
from tests.apptest_helpers import metric, signed_in, texts
from tests.test_long_ranges import (DEMO_BUSIEST, DEMO_VEHICLES, LONG_SEASON_END, TYPO_DAY, TYPO_VEHICLES,
                                    add_long_season, add_typo_row)

TRAFFIC, REOPENING = "pages/traffic.py", "pages/reopening.py"
CENTURY = {"from": TYPO_DAY.isoformat(), "to": "2020-02-25"}


def season_from(engine, day) -> None:
    """A season start set that far back (a typo of its own, or a really long season) is what lets a
    supervisor pick such a range; the filter bar then keeps it, and the charts must cope."""
    with write_session(engine) as session:
        session.merge(Setting(key=SEASON_START_KEY, value=day.isoformat()))


@pytest.fixture
def typo_engine(demo_engine):
    add_typo_row(demo_engine)
    season_from(demo_engine, TYPO_DAY)
    return demo_engine


@pytest.fixture
def season_engine(demo_engine):
    return demo_engine, add_long_season(demo_engine)


def no_error(at) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def charts(at) -> list[dict]:
    """Each chart's Vega-Lite spec, with `rows`: the rows of its largest data set (Streamlit sends those as Arrow)."""
    found = []
    for element in at.get("vega_lite_chart"):
        tables = [pa.ipc.open_stream(d.data.data).read_all().num_rows for d in element.proto.datasets]
        if element.proto.HasField("data"):
            tables.append(pa.ipc.open_stream(element.proto.data.data).read_all().num_rows)
        found.append({**json.loads(element.proto.spec), "rows": max(tables, default=0)})
    return found


def axis_titles(spec) -> set[str]:
    """Every axis title anywhere in a Vega-Lite spec (layers included), set on the axis or its channel."""
    found = set()
    if isinstance(spec, dict):
        axis = spec.get("axis")
        if isinstance(axis, dict):
            found |= {title for title in (axis.get("title"), spec.get("title")) if isinstance(title, str)}
        for value in spec.values():
            found |= axis_titles(value)
    elif isinstance(spec, list):
        for value in spec:
            found |= axis_titles(value)
    return found


# ---- a typo row dated 1920, and a range that reaches it ----------------------------------------------

def test_traffic_page_over_a_century(typo_engine):
    at = signed_in("supervisor", TRAFFIC, query=CENTURY)
    no_error(at)
    assert at.session_state["filters"].start == TYPO_DAY
    assert metric(at, "累计盘查车辆") == f"{DEMO_VEHICLES + TYPO_VEHICLES:,}"  # exact, typo row included
    assert metric(at, "日最高车辆") == f"{DEMO_BUSIEST:,}"  # still a day
    shown = texts(at)
    assert "每年车辆" in shown and "每年人员" in shown and "各卡口每年车辆" in shown and "按年合计" in shown
    specs = charts(at)
    assert len(specs) == 4
    assert sum("年份" in axis_titles(spec) for spec in specs) == 3  # two trends and the heat map
    assert all(spec["rows"] <= 200 for spec in specs)


def test_reopening_page_over_a_century(typo_engine):
    at = signed_in("supervisor", REOPENING, query=CENTURY)
    no_error(at)
    assert metric(at, "批复复工企业") == "69" and metric(at, "复工员工") == "4,892"
    assert "每年批复企业数与累计复工员工" in texts(at)
    assert any("年份" in axis_titles(spec) for spec in charts(at))


# ---- 12 checkpoints reporting for 431 days: the traffic page's default view ------------------------------

def test_traffic_default_view_over_a_431_day_season(season_engine):
    engine, added = season_engine
    at = signed_in("supervisor", TRAFFIC)
    no_error(at)
    filters = at.session_state["filters"]
    assert (filters.days(), filters.end) == (431, LONG_SEASON_END)
    assert metric(at, "累计盘查车辆") == f"{DEMO_VEHICLES + added:,}"
    assert "每周车辆" in texts(at) and "各卡口每周车辆" in texts(at)
    heat_map = charts(at)[3]
    assert "周（起始周一）" in axis_titles(heat_map) and heat_map["rows"] == 12 * 63


def test_reopening_default_view_over_a_431_day_season_in_english(season_engine, monkeypatch):
    # AppTest formats the zone picker's value outside the app's session, in Chinese, so an English
    # session cannot survive a page switch here: pin the language for both sides instead.
    monkeypatch.setattr("ui.i18n.lang", lambda: "en")
    # Reopening keeps its own "as of" (its last day, in the demo) unless a range is chosen: choose
    # the whole 431-day season, as a supervisor's link would.
    start = LONG_SEASON_END - dt.timedelta(days=430)
    at = signed_in("viewer", REOPENING, query={"lang": "en", "from": start.isoformat(), "to": LONG_SEASON_END.isoformat()})
    no_error(at)
    assert "Approvals per week and employees back (cumulative)" in texts(at)
    assert "431 days in range: the charts add up each week (the totals are the same as by day;" in texts(at)
    assert any({"Week of", "Approvals in the week"} <= axis_titles(spec) for spec in charts(at))


def test_traffic_labels_in_english(season_engine):
    at = signed_in("viewer", TRAFFIC, query={"lang": "en"})
    no_error(at)
    assert "Vehicles per week" in texts(at) and "Vehicles per checkpoint and week" in texts(at)
    assert sum("Week of" in axis_titles(spec) for spec in charts(at)) == 3


def test_short_ranges_draw_days_with_whole_day_ticks(demo_engine):
    """Still one bar per day and the 7-day average; and a one-day range no longer labels its
    hourly ticks with the same date over and over: ticks are whole days."""
    at = signed_in("supervisor", TRAFFIC, query={"from": "2020-02-25", "to": "2020-02-25"})
    no_error(at)
    assert "每日车辆与7日均值" in texts(at) and "合计（合计与按日相同" not in texts(at)
    trends = [spec for spec in charts(at) if "vehicles_7d" in json.dumps(spec) or "persons_7d" in json.dumps(spec)]
    assert len(trends) == 2
    for spec in trends:
        assert "日期" in axis_titles(spec)
        assert '"tickCount": {"interval": "day", "step": 1}' in json.dumps(spec)
