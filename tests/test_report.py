"""The daily report (日报) as text (issue 18): the demo paragraph holds every figure of the seed report's first
paragraph in its phrasing, zones add up to the whole, an incomplete day says so, English too, and the CLI
writes the file. On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from data_access import clock, db, territory, traffic_totals
from reports import daily as report
from data_access.__main__ import main
from data_access.models import CheckpointDay, Site

DAY = dt.date(2020, 2, 25)
NEXT_MORNING = dt.datetime(2020, 2, 26, 9, 30, tzinfo=clock.zone())
SEED = Path("/work/shared/seed/000_3d678cca6be691b6.txt")
# the seed's first paragraph, its figures in its phrasing (checked against the seed file itself below)
SEED_PHRASES = [
    "辖34个行政村,居民小区14个,119户企业,各类商铺453家(不含农村)",
    "已摸排农村7718户、11222人,居民小区2015户、5276人;已批复开复工企业69户,员工4892人,其中外地返烟人员164人;"
    "已开门营业商铺58户,员工123人,其中外地返烟人员17人",
]
CHECKPOINT_PHRASES = ["盘查车辆15294台次、人员28225人次", "日平均车辆900台次", "日最高车辆1656台次"]
# the report sets full-width punctuation (a document sent up is typeset so); the seed's web page set these
# half-width: the same phrasing either way
WIDTH = str.maketrans({",": "，", ";": "；", "(": "（", ")": "）", ":": "："})


def same_marks(text: str) -> str:
    return text.translate(WIDTH)


def test_the_phrases_are_the_seed_reports():
    if not SEED.exists():
        pytest.skip("the seed report is not on this machine")
    seed = SEED.read_text(encoding="utf-8")
    first, checkpoints = seed.split("栖霞经济开发区辖", 1)[1], seed.split("路域卡口昼夜坚守", 1)[1]
    first = first.split("\n", 1)[0]
    assert all(p.removeprefix("辖") in first for p in SEED_PHRASES)
    assert all(p in checkpoints.split("\n", 1)[0] for p in CHECKPOINT_PHRASES)


def test_demo_paragraph_has_every_seed_figure_in_its_phrasing(demo_engine):
    figures = report.daily_figures(DAY, now=NEXT_MORNING, engine=demo_engine)
    text = report.opening_paragraph(figures)
    for phrase in SEED_PHRASES + CHECKPOINT_PHRASES:
        assert same_marks(phrase) in text, phrase
    assert text.startswith("栖霞经济开发区辖34个行政村，居民小区14个，119户企业，各类商铺453家（不含农村）。")
    assert "自2月1日以来，盘查车辆15294台次、人员28225人次，" in text
    assert "日平均车辆900台次（2月10日复工以来）" in text and "日最高车辆1656台次（2月17日）" in text
    assert "截至2月26日09:30，12个卡口中12个已上报。" in text and "未完" not in text
    assert "（摸排数截至2月24日）" in text  # the survey's last round is of the 24th: said, not hidden
    # the figures behind it, from the pages' reads
    assert figures["as_of"]["survey"] == dt.date(2020, 2, 24) and figures["as_of"]["traffic"] == DAY
    assert figures["traffic"]["reopened"] == dt.date(2020, 2, 10)
    assert round(figures["traffic"]["average_vehicles"]) == 900  # computed (899.8), not written in
    assert figures["traffic"]["completeness"]["final"]


def test_report_text_has_each_line(demo_engine):
    text = report.report_text(DAY, now=NEXT_MORNING, engine=demo_engine)
    assert text.startswith("栖霞经济开发区疫情防控日报（2020年2月25日）\n\n栖霞经济开发区辖34个行政村")
    for heading in ("一、路域卡口", "二、企业复工", "三、商铺管控", "四、摸排（截至2月24日）", "五、专题巡察", "六、后勤保障",
                    "七、值守"):
        assert "\n\n" + heading in text, heading
    assert "已批复开复工企业69户，其中规模以上22户" in text
    assert "未整改问题8个，其中逾期3个" in text and "超过两天未巡察5个" in text
    assert "配餐228份，46个值守点中46个已上报" in text and "第三工作管区口罩87只（约可用1.9天）" in text
    assert "截至2月26日09:30（8-16班），在岗69人/应到72人" in text
    assert "None" not in text and "nan" not in text


ADDITIVE = {
    "territory": ("villages", "compounds", "enterprises", "enterprises_above_size", "shops"),
    "reopening": ("approved", "approved_above_size", "employees", "employees_from_outside", "in_progress", "suspended",
                  "refused", "not_applied", "approved_on_day"),
    "shops": ("open", "closed", "staff", "staff_from_outside", "opened_on_day"),
    "inspections": ("duty_points", "overdue", "open_findings", "past_due", "visits", "raised"),
    "logistics": ("meals", "donated_meals", "reported", "expected"),
    "duty": ("present", "required", "points_short", "points_empty"),
}


def additive(figures: dict) -> dict:
    values = {(part, key): figures[part][key] for part, keys in ADDITIVE.items() for key in keys}
    for kind in ("village", "compound"):
        for key in ("sites", "surveyed", "households_known", "households_reached", "people", "people_from_outside"):
            values["survey", kind, key] = figures["survey"][kind][key]
    traffic = figures["traffic"]
    values.update({("traffic", "total", m): v for m, v in traffic["totals"].items()})
    values.update({("traffic", "day", m): v for m, v in traffic["today"].items()})
    values.update({("traffic", k): traffic["completeness"][k] for k in ("expected", "reported", "overdue", "pending")})
    return values


def test_zones_add_up_to_the_whole(demo_engine):
    whole = report.daily_figures(DAY, now=NEXT_MORNING, engine=demo_engine)
    zones = [report.daily_figures(DAY, zone_id, now=NEXT_MORNING, engine=demo_engine)
             for zone_id in territory.zones(demo_engine)["id"]]
    assert len(zones) == 6 and all(0 < z["territory"]["villages"] < 34 for z in zones)
    total = additive(whole)
    for key, value in total.items():
        assert sum(additive(z)[key] for z in zones) == value, key
    assert total["territory", "villages"] == 34 and total["traffic", "total", "vehicles"] == 15_294
    # not additive: the busiest day of a zone is at most the whole's; every zone says it is one zone
    assert all(z["traffic"]["busiest_vehicles"] <= whole["traffic"]["busiest_vehicles"] for z in zones)
    text = report.report_text(DAY, int(zones[0]["zone"]["id"]), now=NEXT_MORNING, engine=demo_engine)
    assert text.startswith(f"{zones[0]['zone']['name']}疫情防控日报（2020年2月25日）\n\n{zones[0]['zone']['name']}辖"
                           f"{zones[0]['territory']['villages']}个行政村")


def drop_reports(engine, day: dt.date, count: int) -> None:
    """Take `count` road checkpoints' reports of the day away (as if not yet sent), keeping the totals."""
    with db.write_session(engine) as session:
        sites = session.scalars(sa.select(CheckpointDay.id).join(Site, Site.id == CheckpointDay.site_id)
                                .where(CheckpointDay.day == day, *traffic_totals.ROAD_CHECKPOINT)
                                .order_by(CheckpointDay.id).limit(count)).all()
        session.execute(sa.delete(CheckpointDay).where(CheckpointDay.id.in_(sites)))
        traffic_totals.rebuild(session)


def test_an_incomplete_day_says_so(demo_engine, monkeypatch):
    drop_reports(demo_engine, DAY, 3)
    before_due = dt.datetime(2020, 2, 26, 9, 30, tzinfo=clock.zone())  # reports due at 10:00 the next morning
    text = report.report_text(DAY, now=before_due, engine=demo_engine)
    assert "盘查车辆" in text and "15294台次" not in text  # the three missing reports are not in the totals
    assert re.search(r"盘查车辆\d+台次、人员\d+人次（截至2月26日09:30，12个卡口中9个已上报，2月25日数字未完）", text)
    assert "12个卡口中9个已上报，3个未到上报时间，数字未完。" in text
    figures = report.daily_figures(DAY, now=before_due, engine=demo_engine)
    assert not figures["traffic"]["completeness"]["final"] and figures["traffic"]["completeness"]["pending"] == 3
    # the clock (DASHBOARD_NOW) is what the CLI and the pages use: after the due time they are overdue
    monkeypatch.setenv("DASHBOARD_NOW", "2020-02-26T11:00+08:00")
    late = report.report_text(DAY, engine=demo_engine)
    assert "（截至2月26日11:00，12个卡口中9个已上报，2月25日数字未完）" in late
    assert "12个卡口中9个已上报，3个逾期未报，数字未完。" in late
    # on the day itself, in the evening, the time alone
    evening = report.report_text(DAY, now=dt.datetime(2020, 2, 25, 18, 0, tzinfo=clock.zone()), engine=demo_engine)
    assert "（截至18:00，12个卡口中9个已上报，2月25日数字未完）" in evening
    english = report.report_text(DAY, lang="en", now=before_due, engine=demo_engine)
    assert "(at 26 February 09:30, 9 of 12 checkpoints have reported: 25 February is not complete)" in english
    assert "9 of 12 checkpoints have reported, 3 not yet due: the figures are not complete." in english


def test_english_text(demo_engine):
    text = report.report_text(DAY, lang="en", now=NEXT_MORNING, engine=demo_engine)
    assert text.startswith("Daily report, the Qixia Economic Development Zone, 25 February 2020\n\n"
                           "The Qixia Economic Development Zone has 34 administrative villages, 14 residential "
                           "compounds, 119 enterprises and 453 shops of all kinds (not counting rural ones).")
    for phrase in ("7,718 households and 11,222 people in the villages", "2,015 households and 5,276 people in the compounds",
                   "69 enterprises have been approved to reopen, with 4,892 employees, 164 of them back from outside",
                   "58 shops are open, with 123 staff, 17 of them back from outside",
                   "since 1 February, 15,294 vehicles and 28,225 persons checked",
                   "900 vehicles a day on average since reopening on 10 February", "busiest day 1,656 vehicles",
                   "At 26 February 09:30, 12 of 12 checkpoints have reported.", "(survey figures as of 24 February)",
                   "\n\n7. Duty. At 26 February 09:30 (shift 8-16), 69 of 72 on duty"):
        assert phrase in text, phrase
    assert not re.search(r"[\u4e00-\u9fff]", text.split("6. Logistics")[0])  # Chinese only in stored names
    with pytest.raises(ValueError):
        report.report_text(DAY, lang="fr", now=NEXT_MORNING, engine=demo_engine)


def test_cli_writes_the_report(demo_engine, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DASHBOARD_NOW", "2020-02-26T09:30+08:00")
    out = tmp_path / "日报.txt"
    assert main(["report", "--day", "2020-02-25", "--format", "txt", "--out", str(out)]) == 0
    text = out.read_bytes().decode("utf-8")
    assert text == report.report_text(DAY, engine=demo_engine)
    assert same_marks(SEED_PHRASES[1]) in text and "written to" in capsys.readouterr().out
    zone = tmp_path / "z1.txt"
    assert main(["report", "--day", "2020-02-25", "--zone", "Z1", "--format", "txt", "--out", str(zone)]) == 0
    assert zone.read_text(encoding="utf-8").startswith("第一工作管区疫情防控日报（2020年2月25日）")
    target = tmp_path / "circular.xlsx"  # the circular has no workbook: refused, nothing written
    assert main(["report", "--day", "2020-02-25", "--kind", "circular", "--format", "xlsx", "--out", str(target)]) == 2
    assert "a circular report is made as pdf, txt" in capsys.readouterr().err and not target.exists()
    assert main(["report", "--day", "2020-02-25", "--format", "pdf"]) == 2  # a PDF is not printed to a terminal
    assert "give --out FILE" in capsys.readouterr().err
    assert main(["report", "--day", "2020-02-25", "--issue", "--out", str(target)]) == 2
    assert "--issue needs --as USERNAME" in capsys.readouterr().err and not target.exists()
    assert main(["report", "--day", "2020-02-25", "--zone", "Z9", "--out", str(tmp_path / "x.txt")]) == 2
    assert main(["report", "--day", "25.2.2020", "--out", str(tmp_path / "x.txt")]) == 2
    assert "no work zone Z9" in capsys.readouterr().err and not (tmp_path / "x.txt").exists()
