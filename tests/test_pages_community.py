"""AppTest: the coverage map, survey entry, inspection board and inspection entry pages."""
from __future__ import annotations

import datetime as dt
import json
import re

from data_access.geometry import STATIC_MAPS

import pytest
import sqlalchemy as sa

from data_access import community, inspections
from data_access.models import AuditLog, Finding, Inspection, Site, SurveyRound
from tests.apptest_helpers import metric, signed_in, texts
from tests.test_inspections import inspected_territory

MAP = "pages/coverage_map.py"
SURVEY = "pages/survey_entry.py"
BOARD = "pages/inspections.py"
ENTRY = "pages/inspection_entry.py"
RANGE = {"from": "2020-02-01", "to": "2020-02-25"}
TODAY = dt.date.today()


@pytest.fixture
def territory(engine):
    """The small test territory (accounts admin1 / super1 / clerk1 in Z1 / viewer1, password pw12-pw12)."""
    return inspected_territory(engine)


def as_user(username: str, page: str, query: dict | None = None):
    return signed_in(username, page, query={**RANGE, **(query or {})}, password="pw12-pw12")


def map_spec(at) -> dict:
    charts = [e for e in at.get("vega_lite_chart")]
    assert charts, "no Vega-Lite chart on the page"
    return json.loads(charts[0].proto.spec)


def topology(spec: dict) -> dict:
    """The map's one geometry dataset: TopoJSON in a static file the spec points at (app/static/maps/…)."""
    url = spec["data"]["url"]
    assert url.startswith("app/static/maps/") and spec["data"]["format"] == {"type": "topojson", "feature": "shapes"}
    found = json.loads((STATIC_MAPS / url.rsplit("/", 1)[1]).read_text(encoding="utf-8"))
    assert found["type"] == "Topology"
    return found


def areas(spec: dict) -> list[dict]:
    return [g for g in topology(spec)["objects"]["shapes"]["geometries"] if "zone" not in g.get("properties", {})]


def area_ids(spec: dict) -> set[int]:
    return {g["id"] for g in areas(spec)}


def press(at, label: str):
    """Click the (form submit) button with this label and rerun."""
    return next(b for b in at.button if b.label == label).click().run()


def count(engine, model, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


# ---- the demo data -------------------------------------------------------------------------------

def test_map_page_shows_the_report_totals(demo_engine):
    at = signed_in("supervisor", MAP)
    values = [m.value for m in at.metric]
    assert "7,718" in values and "11,222" in values and "2,015" in values and "5,276" in values
    spec = map_spec(at)
    assert len(areas(spec)) == 48
    # Offline: the only data loaded by URL is the app's own static boundaries file, never a tile server.
    urls = re.findall(r'"url": "([^"]*)"', json.dumps(spec))
    assert urls and all(u.startswith("app/static/maps/") for u in urls)


def test_board_page_on_the_demo_data(demo_engine):
    at = signed_in("viewer", BOARD)
    summary = inspections.board_summary(at.session_state["filters"], engine=demo_engine)
    assert metric(at, "逾期未巡察") == str(summary["overdue"]) and summary["overdue"] > 0
    assert metric(at, "逾期未整改") == str(summary["past_due"])


# ---- the coverage map ----------------------------------------------------------------------------

def test_map_page_totals_layers_and_zone_zoom(territory):
    at = as_user("viewer1", MAP)
    assert not at.exception
    values = [m.value for m in at.metric]
    assert values[:3] == ["199", "600", "86.5%"]  # villages: reached, people, coverage
    spec = map_spec(at)
    assert area_ids(spec) == {territory[k] for k in ("wang", "li", "sun", "joy", "zhao", "peace")}
    assert "逾期未巡察" in json.dumps(spec, ensure_ascii=False)
    # switch the overdue layer off: its markers leave the map
    at.button_group(key="map_layers").set_value(["coverage", "property", "checkpoints"]).run()
    assert "逾期未巡察" not in json.dumps(map_spec(at), ensure_ascii=False)
    # the filter bar zooms to a zone
    zoomed = as_user("viewer1", MAP, {"zone": "Z2"})
    assert area_ids(map_spec(zoomed)) == {territory["zhao"], territory["peace"]}
    assert [m.value for m in zoomed.metric][:2] == ["64", "200"]


def test_only_admins_see_the_geojson_upload(territory):
    assert not as_user("super1", MAP).file_uploader
    assert as_user("admin1", MAP).file_uploader


def test_bad_geojson_upload_is_refused_with_the_reason(territory, engine):
    at = as_user("admin1", MAP)
    bad = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "王家村"},
         "geometry": {"type": "Polygon", "coordinates": [[[120.9, 37.3], [120.91, 37.3], [120.91, 37.31], [120.9, 37.3]]]}},
        {"type": "Feature", "properties": {"name": "无名村"},
         "geometry": {"type": "Polygon", "coordinates": [[[120.9, 37.3], [120.91, 37.3], [120.91, 37.31], [120.9, 37.3]]]}}]}
    at.file_uploader(key="map_geojson").set_value(("bad.geojson", json.dumps(bad).encode(), "application/json")).run()
    assert not at.exception
    assert "文件未通过检查" in texts(at)
    frame = at.dataframe[-1].value
    assert "没有名为“无名村”的站点" in frame.iloc[:, 1].tolist()
    assert not [b for b in at.button if b.key == "map_geojson_save"]
    assert count(engine, AuditLog, AuditLog.table_name == "site") == 0


def test_good_geojson_upload_replaces_the_boundary(territory, engine):
    at = as_user("admin1", MAP)
    ring = [[120.86, 37.29], [120.87, 37.29], [120.87, 37.30], [120.86, 37.29]]
    good = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "王家村"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    at.file_uploader(key="map_geojson").set_value(("good.geojson", json.dumps(good).encode(), "application/json")).run()
    assert "文件检查通过" in texts(at)
    at.button(key="map_geojson_save").click().run()
    assert "已替换 1 个边界" in texts(at)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(Site.geometry).where(Site.id == territory["wang"])).scalar_one()
    assert json.loads(stored)["coordinates"] == [ring]


# ---- survey entry --------------------------------------------------------------------------------

def survey_form(at, site_id: int, mode: int = 0) -> str:
    return f"survey_form_{site_id}_{mode}"


def fill(at, form: str, values: dict, day: dt.date | None = None):
    for field, value in values.items():
        at.number_input(key=f"{form}_{field}").set_value(value)
    if day:
        at.date_input(key=f"{form}_day").set_value(day)


GOOD = {"households_known": 100, "households_reached": 98, "people": 290, "people_from_outside": 4,
        "unreachable": 2, "utility_checked": 95, "lit_at_night": 1}


def test_survey_new_round_keeps_earlier_rounds(territory, engine):
    at = as_user("clerk1", SURVEY)
    wang = territory["wang"]
    at.selectbox(key="survey_site").set_value(wang).run()
    assert list(at.dataframe[0].value.columns)[1:] == ["第 1 轮", "第 2 轮"]  # rounds side by side
    form = survey_form(at, wang)
    assert at.number_input(key=f"{form}_households_known").value == 100  # carried from the last round
    fill(at, form, GOOD, dt.date(2020, 2, 24))
    press(at, "保存")
    assert not at.exception
    assert "已保存王家村第 3 轮摸排" in texts(at)
    assert count(engine, SurveyRound, SurveyRound.site_id == wang) == 3
    assert list(at.dataframe[0].value.columns)[1:] == ["第 1 轮", "第 2 轮", "第 3 轮"]
    assert "98.0%" in at.dataframe[0].value["第 3 轮"].tolist()  # coverage of the new round


def test_survey_rules_are_shown_and_nothing_saved(territory, engine):
    at = as_user("clerk1", SURVEY)
    wang = territory["wang"]
    at.selectbox(key="survey_site").set_value(wang).run()
    form = survey_form(at, wang)
    fill(at, form, {**GOOD, "households_reached": 120}, dt.date(2020, 2, 24))
    press(at, "保存")
    assert "已入户：不能超过已知户数" in texts(at)
    assert count(engine, SurveyRound, SurveyRound.site_id == wang) == 2
    assert at.number_input(key=f"{form}_households_reached").value == 120  # the clerk's input stays


def test_survey_correction_from_a_stale_form_is_refused(territory, engine):
    at = as_user("clerk1", SURVEY)
    wang = territory["wang"]
    at.selectbox(key="survey_site").set_value(wang).run()
    at.button_group(key=f"survey_mode_{wang}").set_value(2).run()
    form = survey_form(at, wang, 2)
    assert at.number_input(key=f"{form}_households_reached").value == 95
    # meanwhile a supervisor corrects round 2
    community.save_survey_round("super1", wang, {**GOOD, "households_known": 100, "households_reached": 96},
                                dt.date(2020, 2, 15), round_no=2, version=1, reason="电话核实", engine=engine)
    at.number_input(key=f"{form}_households_reached").set_value(90)
    at.text_input(key=f"{form}_reason").set_value("抄错")
    press(at, "保存")
    assert "数据已被他人修改" in texts(at)
    with engine.connect() as conn:
        reached = conn.execute(sa.select(SurveyRound.households_reached).where(
            SurveyRound.site_id == wang, SurveyRound.round_no == 2)).scalar_one()
    assert reached == 96


def test_survey_clerk_sees_only_own_zone_and_viewer_has_no_entry(territory):
    at = as_user("clerk1", SURVEY)
    assert set(at.selectbox(key="survey_site").options) == {
        "王家村（村 · 一区）", "李家村（村 · 一区）", "阳光小区（小区 · 一区）", "幸福小区（小区 · 一区）"}
    viewer = signed_in("viewer1", None, query=RANGE, password="pw12-pw12")
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not registered for a viewer
        viewer.switch_page(SURVEY).run()


# ---- inspections board ---------------------------------------------------------------------------

def test_board_shows_overdue_points_and_findings(territory):
    at = as_user("viewer1", BOARD)
    assert not at.exception
    assert metric(at, "执勤点") == "6" and metric(at, "逾期未巡察") == "4"
    assert metric(at, "未整改问题") == "2" and metric(at, "逾期未整改") == "1"
    assert metric(at, "按期整改率") == "33%"
    download = [e for e in at.get("download_button")]
    assert download, "no circular download"


def test_circular_escapes_stored_text(territory, engine):
    inspections.record_inspection("super1", territory["sun"], dt.date(2020, 2, 25), {c: True for c in inspections.CHECKS},
                                  "纪委", "<script>alert(1)</script>",
                                  [{"description": "<img src=x onerror=alert(1)>", "owner": "刘<b>副科</b>",
                                    "due_on": dt.date(2020, 2, 27)}], today=dt.date(2020, 2, 25), engine=engine)
    from reports import circular
    from ui.i18n import translator
    from data_access.filters import Filters

    data = inspections.week_circular(Filters(start=dt.date(2020, 2, 1), end=dt.date(2020, 2, 25)), engine=engine)
    document = circular.circular_html(data, translator("zh"), "一区")
    assert "&lt;img src=x onerror=alert(1)&gt;" in document and "<img" not in document
    assert "刘&lt;b&gt;副科&lt;/b&gt;" in document
    at = as_user("viewer1", BOARD)
    at.toggle(key="inspect_show_circular").set_value(True).run()
    html_blocks = [e.proto.body for e in at.get("html")]
    assert html_blocks and all("<img" not in body and "<script" not in body for body in html_blocks)
    with engine.connect() as conn:  # stored exactly as typed
        assert conn.execute(sa.select(Finding.description).order_by(Finding.id.desc())).first()[0] == "<img src=x onerror=alert(1)>"


# ---- inspection entry ----------------------------------------------------------------------------

def test_record_a_visit_with_a_finding(territory, engine):
    at = as_user("clerk1", ENTRY)
    at.selectbox(key="inspect_site").set_value(territory["sun"]).run()
    at.number_input(key="inspect_finding_count").set_value(1).run()
    at.date_input(key="inspect_form_day").set_value(dt.date(2020, 2, 25))
    at.checkbox(key="inspect_form_publicity_posted").uncheck()
    at.text_area(key="inspect_form_remarks").set_value("<b>宣传栏</b>空白")
    at.text_input(key="inspect_form_f0_description").set_value("宣传栏未更新")
    at.text_input(key="inspect_form_f0_owner").set_value("刘副科")
    at.date_input(key="inspect_form_f0_due_on").set_value(dt.date(2020, 2, 27))
    press(at, "保存巡察记录")
    assert not at.exception
    assert "已保存阳光小区的巡察记录（问题 1 个）" in texts(at)
    with engine.connect() as conn:
        row = conn.execute(sa.select(Inspection).order_by(Inspection.id.desc())).first()
    assert (row.remarks, row.publicity_posted, row.recorded_by) == ("<b>宣传栏</b>空白", False, "clerk1")
    assert count(engine, Finding, Finding.inspection_id == row.id) == 1


def test_failed_check_without_finding_is_refused(territory, engine):
    at = as_user("clerk1", ENTRY)
    at.selectbox(key="inspect_site").set_value(territory["east"]).run()
    at.checkbox(key="inspect_form_staff_at_post").uncheck()
    before = count(engine, Inspection)
    press(at, "保存巡察记录")
    assert "须登记问题" in texts(at)
    assert count(engine, Inspection) == before


def test_close_a_finding_and_stale_close_is_refused(territory, engine):
    at = as_user("clerk1", ENTRY)
    with engine.connect() as conn:
        finding_id = conn.execute(sa.select(Finding.id).where(Finding.description == "宣传材料未张贴")).scalar_one()
    at.selectbox(key="close_finding").set_value(finding_id).run()
    other = as_user("super1", ENTRY)
    other.selectbox(key="close_finding").set_value(finding_id).run()
    other.text_area(key=f"close_form_{finding_id}_note").set_value("已张贴海报")
    press(other, "整改完成，销号")
    assert "已销号：阳光小区" in texts(other)
    at.text_area(key=f"close_form_{finding_id}_note").set_value("已张贴")
    press(at, "整改完成，销号")
    assert "数据已被他人修改" in texts(at)
    with engine.connect() as conn:
        notes = dict(conn.execute(sa.select(Finding.description, Finding.fix_note)).all())
    assert notes["宣传材料未张贴"] == "已张贴海报"
    assert notes["测温枪无电"] is None  # the stale form did not slide onto another finding


def test_map_keeps_the_whole_zone_when_a_site_is_picked(territory):
    from data_access import geometry
    from data_access.filters import Filters
    from ui.charts import coverage
    from ui.i18n import translator

    data = geometry.map_data(Filters(site_id=territory["sun"], start=dt.date(2020, 2, 1), end=dt.date(2020, 2, 25)), 900)
    markers = coverage.map_markers(data, translator("zh"))
    assert set(markers.loc[markers["marker"] == "逾期未巡察", "name"]) == {"王家村卡口", "阳光小区", "幸福小区"}
    assert set(markers.loc[markers["marker"] == "无物业小区", "name"]) == {"阳光小区"}
    geometries = topology({"data": {"url": data["topology_url"], "format": {"type": "topojson", "feature": "shapes"}}}
                          )["objects"]["shapes"]["geometries"]
    assert [g["id"] for g in geometries if g.get("properties", {}).get("focused")] == [territory["sun"]]
    assert len([g for g in geometries if "id" in g]) == 4  # every village and compound of 一区
