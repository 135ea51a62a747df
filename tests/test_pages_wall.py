"""AppTest: the wall display on SQLite (the browser tests cover its timers on PostgreSQL).

A wall has no sign-in: app.py sends any request with ?key= to pages/wall.py.
"""
from __future__ import annotations

import pytest

from tests.apptest_helpers import app, texts

# A port nothing listens on: every connection is refused at once, as when the server is away.
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/gone"
REPORT = {"累计车辆": "15,294", "累计人员": "28,225", "日最高车辆": "1,656", "批复复工企业": "69",
          "复工员工": "4,892", "营业商铺": "58", "农村已摸排（户）": "7,718", "小区已摸排（户）": "2,015"}


# SQLite only: the wall's PostgreSQL runs are in tests/browser/ and tests/test_smoke_pages.py.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def metric(at, label: str) -> str:
    """The value of the tile labelled `label`, or `label · 截至…` (a panel as of another day than the header)."""
    for element in at.metric:
        if element.label == label or element.label.startswith(label + " · "):
            return element.value
    raise AssertionError(f"no metric {label!r}; have {[m.label for m in at.metric]}")


def wall(key: str = "demo-wall", **query) -> object:
    at = app({"key": key, **query})
    at.run()
    return at


def charts(at) -> list:
    return at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def assert_no_failure(at) -> None:
    """No exception and nothing that reads like one (a path, a driver, an address)."""
    assert not at.exception, at.exception
    shown = texts(at)
    for leak in ("Traceback", 'File "', "sqlalchemy", "psycopg", "OperationalError", "127.0.0.1:"):
        assert leak not in shown, f"{leak!r} on the wall: {shown[:500]}"


def test_demo_key_shows_the_report_figures(demo_engine):
    at = wall()
    assert_no_failure(at)
    for label, figure in REPORT.items():
        assert metric(at, label) == figure
    assert len(charts(at)) == 3  # trend, funnel, map
    assert not at.error


def test_wrong_key_is_refused(demo_engine):
    at = wall("wrong-key")
    assert_no_failure(at)
    assert any("无效或已被撤销" in e.value for e in at.error)
    assert not at.metric and not charts(at)


def test_outage_redraws_the_last_board_from_memory(demo_engine, monkeypatch):
    at = wall()
    assert metric(at, "累计车辆") == "15,294"
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    at.run()
    assert_no_failure(at)
    assert any("数据库未响应" in e.value for e in at.error), texts(at)[:500]
    for label, figure in REPORT.items():
        assert metric(at, label) == figure
    assert len(charts(at)) == 3
    assert "需要处理" in texts(at)  # the alert column is still there
    monkeypatch.setenv("DATABASE_URL", str(demo_engine.url))  # the database is back
    at.run()
    assert_no_failure(at)
    assert not any("数据库未响应" in e.value for e in at.error)
    assert metric(at, "累计车辆") == "15,294"


def test_outage_before_any_good_board_says_so(demo_engine, monkeypatch):
    at = wall()
    at.session_state["_wall_last_board"] = None
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    at.run()
    assert_no_failure(at)
    assert any("暂无数据" in e.value for e in at.error)


@pytest.mark.parametrize("query, notice", [
    ({"scale": "abc"}, "scale"), ({"scale": "nan"}, "scale"), ({"scale": "99"}, "scale"), ({"scale": "0"}, "scale"),
    ({"cycle": "yes"}, "cycle"), ({"cycle": "2"}, "cycle"), ({"lang": "fr"}, "lang"),
])
def test_a_bad_parameter_is_corrected_with_a_notice(demo_engine, query, notice):
    at = wall(**query)
    assert_no_failure(at)
    assert not at.error, [e.value for e in at.error]
    assert metric(at, "累计车辆") == "15,294"
    notices = [w.value for w in at.warning if notice in w.value]
    assert len(notices) == 1 and "\n" not in notices[0].strip(), [w.value for w in at.warning]


def test_several_bad_parameters_share_one_line(demo_engine):
    at = wall(scale="abc", cycle="yes", lang="FR")
    assert_no_failure(at)
    assert not at.error
    notices = [w.value for w in at.warning if "scale" in w.value]
    assert len(notices) == 1 and all(f"{n}=" in notices[0] for n in ("scale", "cycle", "lang"))
    assert "scale=auto" in notices[0] and "cycle=1" in notices[0] and "lang=zh" in notices[0]


def test_good_parameters_give_no_notice(demo_engine):
    at = wall(scale="1.5", cycle="1", lang="en")
    assert_no_failure(at)
    assert metric(at, "Vehicles since start") == "15,294"
    assert all("scale" not in w.value and "cycle" not in w.value for w in at.warning)


def test_english_wall(demo_engine):
    at = wall(lang="en")
    assert_no_failure(at)
    assert metric(at, "Vehicles since start") == "15,294"
    assert "Needs attention" in texts(at)


# ---- the board fills any screen by itself (issue 12): sizes are set here, the browser scales them ----

def specs(at) -> dict:
    """The trend, funnel and map specs as drawn, by the panel that holds them."""
    import json

    found = [json.loads(chart.proto.spec) for chart in charts(at)]
    assert len(found) == 3
    return dict(zip(("trend", "funnel", "map"), found))


def stylesheet(at) -> str:
    return "\n".join(element.proto.body for element in at.get("html"))


def test_charts_are_drawn_at_a_fixed_board_size_as_svg(demo_engine):
    """Each chart fits its whole drawing (axes, legends) in the size the layout gives it on a 1920x1080
    board, as SVG, so that the wall's CSS can scale it to any screen; its text is the wall's size."""
    from ui import wall_style
    from ui.charts.theme import WALL_FONT, WALL_SMALL_FONT

    at = wall()
    assert_no_failure(at)
    drawn = specs(at)
    for name, (width, height) in wall_style.chart_sizes(1).items():  # the demo banner is one line
        spec = drawn[name]
        assert (spec["width"], spec["height"]) == (width, height), name
        assert spec["autosize"] == {"type": "fit", "contains": "padding"}
        assert spec["usermeta"]["embedOptions"]["renderer"] == "svg"
        assert isinstance(spec["padding"], dict)  # Streamlit adds to an object, never to a number
    assert drawn["map"]["width"] >= 0.35 * 1920 and drawn["map"]["height"] >= 0.55 * 1080
    assert drawn["trend"]["config"]["axis"]["labelFontSize"] == WALL_FONT
    values = [layer["mark"] for layer in drawn["funnel"]["layer"] if layer["mark"].get("type") == "text"]
    assert values and all(mark["fontSize"] == WALL_SMALL_FONT for mark in values)  # the page's 13 px is too small here


def test_map_legends_lie_under_the_map_and_names_on_top(demo_engine):
    at = wall()
    spec = specs(at)["map"]
    legends = [channel["legend"] for layer in spec["layer"] for channel in layer.get("encoding", {}).values()
               if isinstance(channel, dict) and channel.get("legend")]
    assert legends and all(legend["orient"] == "bottom" for legend in legends)
    assert spec["layer"][-1]["mark"]["type"] == "text"  # zone names drawn last: over markers and circles
    assert "fillColor" not in spec["config"]["legend"]


def test_the_stylesheet_sizes_everything_in_one_unit_of_the_screen(demo_engine):
    at = wall()
    css = stylesheet(at)
    assert "--u: min(1vw, calc(1vh * 16 / 9));" in css  # no scale: the board fills a 16:9 screen
    assert "vw" not in css.replace("min(1vw", "")  # everything else is in units of that board
    scaled = wall(scale="1.5")
    assert "--u: min(min(1vw, calc(1vh * 16 / 9)), 28.8px);" in stylesheet(scaled)  # 1.5 x 1920 px at most


@pytest.mark.parametrize("raw, unit, notice", [
    ("auto", "--u: min(1vw, calc(1vh * 16 / 9));", None),
    ("2", "--u: min(min(1vw, calc(1vh * 16 / 9)), 38.4px);", None),  # old 4K links still fill a 4K screen
    ("abc", "--u: min(1vw, calc(1vh * 16 / 9));", "scale=abc → scale=auto"),  # a typo: the wall sizes itself
    ("99", "--u: min(min(1vw, calc(1vh * 16 / 9)), 57.6px);", "scale=99 → scale=3"),
])
def test_scale_is_an_override(demo_engine, raw, unit, notice):
    at = wall(scale=raw)
    assert_no_failure(at)
    assert unit in stylesheet(at)
    notices = [w.value for w in at.warning if "scale" in w.value]
    if notice is None:
        assert not notices, notices
    else:
        assert len(notices) == 1 and notice in notices[0], notices


def test_an_outage_redraws_the_board_smaller_under_its_banner(demo_engine, monkeypatch):
    """The stale banner takes a line: the charts are drawn for the room left, the alerts fewer."""
    from ui import wall_style

    at = wall()
    before = specs(at)
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    at.run()
    assert any("数据库未响应" in e.value for e in at.error)
    after = specs(at)
    for name, (width, height) in wall_style.chart_sizes(2).items():
        assert (after[name]["width"], after[name]["height"]) == (width, height)
        assert after[name]["height"] < before[name]["height"]
