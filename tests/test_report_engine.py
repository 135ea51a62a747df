"""The report engine (issue 18): one call makes the daily report or the weekly circular in each format; the
circular as text keeps what the printed one shows; what a report stated is kept as JSON and compared with the
data later. On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

import reports
from data_access import clock, db, inspections
from data_access.filters import Filters
from data_access.models import CheckpointDay
from reports import changes, circular
from ui.i18n import translator

DAY = dt.date(2020, 2, 25)
NEXT_MORNING = dt.datetime(2020, 2, 26, 9, 30, tzinfo=clock.zone())


def test_the_circular_as_text_says_what_the_printed_one_shows(demo_engine):
    week = inspections.week_circular(Filters(end=DAY), demo_engine)
    text = circular.circular_text(week, translator("zh"), "全开发区")
    html = circular.circular_html(week, translator("zh"), "全开发区")
    assert text.startswith("疫情防控专题巡察情况通报\n全开发区 · 2020-02-19 至 2020-02-25\n")
    summary = week["summary"]
    assert f"本周共巡察 {summary['visits']} 次，覆盖执勤点 {summary['duty_points']} 个" in text
    for description in week["findings"]["description"]:  # every finding of the week, as in the HTML
        assert description in text and description in html
    past_due = text.split("四、逾期未整改的问题", 1)[1]
    assert past_due.count("【逾期】") == len(week["past_due"]) > 0  # each row past due is marked
    english = circular.circular_text(week, translator("en"), "the whole development zone")
    assert "1. Overview" in english and "[LATE] " in english and "逾期" not in english


def test_stored_text_prints_as_typed_in_the_text_and_escaped_in_html(demo_engine):
    with demo_engine.begin() as conn:
        conn.execute(sa.text("UPDATE finding SET description = :d WHERE id = (SELECT MIN(id) FROM finding "
                             "WHERE raised_on BETWEEN :a AND :b)"),
                     {"d": "<b>测温枪</b> & 没电", "a": DAY - dt.timedelta(days=6), "b": DAY})
    week = inspections.week_circular(Filters(end=DAY), demo_engine)
    assert "<b>测温枪</b> & 没电" in circular.circular_text(week, translator("zh"), "全开发区")
    html = circular.circular_html(week, translator("zh"), "全开发区")
    assert "&lt;b&gt;测温枪&lt;/b&gt; &amp; 没电" in html and "<b>测温枪" not in html


def test_render_makes_each_kind_in_text(demo_engine):
    daily = reports.render("daily", "txt", DAY, lang="zh", now=NEXT_MORNING, engine=demo_engine)
    assert daily.filename == "daily_20200225_ALL_zh.txt" and daily.mime.startswith("text/plain")
    assert "盘查车辆15294台次、人员28225人次" in daily.content.decode("utf-8")
    assert daily.figures["traffic"]["totals"]["vehicles"] == 15294
    week = reports.render("circular", "txt", DAY, zone_id=1, lang="en", now=NEXT_MORNING, engine=demo_engine)
    assert week.filename == "circular_20200225_Z1_en.txt"
    assert week.figures["end"] == DAY and week.figures["zone"] == 1
    assert week.content.decode("utf-8") == circular.circular_text(
        inspections.week_circular(Filters(zone_id=1, end=DAY), demo_engine), translator("en"), "第一工作管区")
    for kind, fmt, lang in (("circular", "xlsx", "zh"), ("weekly", "txt", "zh"), ("daily", "txt", "fr")):
        with pytest.raises(ValueError):
            reports.render(kind, fmt, DAY, lang=lang, now=NEXT_MORNING, engine=demo_engine)


def test_what_changed_since_names_the_figures_that_moved(demo_engine):
    stated = reports.figures_of("daily", DAY, now=NEXT_MORNING, engine=demo_engine)
    kept = changes.to_json(stated)
    assert json.loads(kept)["traffic"]["totals"]["vehicles"] == 15294  # dates and numpy values become JSON
    later = NEXT_MORNING + dt.timedelta(hours=5)
    assert changes.changes(kept, reports.figures_of("daily", DAY, now=later, engine=demo_engine)) == []
    with db.write_session(demo_engine) as session:  # a checkpoint's figure of the 25th corrected afterwards
        first = session.scalars(sa.select(CheckpointDay).where(CheckpointDay.day == DAY)
                                .order_by(CheckpointDay.id).limit(1)).one()
        first.vehicles += 7  # the day totals follow through the session's own hook (traffic_totals)
    moved = {c["path"]: (c["stated"], c["now"]) for c in
             changes.changes(kept, reports.figures_of("daily", DAY, now=later, engine=demo_engine))}
    assert moved["traffic.totals.vehicles"] == (15294, 15301)
    assert moved["traffic.today.vehicles"][1] - moved["traffic.today.vehicles"][0] == 7
    assert not any(path.startswith(("reopening.", "shops.", "survey.")) for path in moved)


def test_flatten_keeps_empty_lists_and_positions():
    assert changes.flatten({"a": {"b": 1, "c": []}, "d": [{"e": 2}]}) == {"a.b": 1, "a.c": [], "d.0.e": 2}


def test_the_cli_writes_each_format_and_issues_into_the_archive(demo_engine, tmp_path, monkeypatch, capsys):
    from openpyxl import load_workbook

    from data_access import report_archive
    from data_access.__main__ import main

    monkeypatch.setenv("DASHBOARD_NOW", "2020-02-26T09:30+08:00")
    book, paper = tmp_path / "日报.xlsx", tmp_path / "通报.pdf"
    assert main(["report", "--day", "2020-02-25", "--format", "xlsx", "--out", str(book)]) == 0
    assert load_workbook(book).sheetnames[0] == "汇总"
    assert main(["report", "--day", "2020-02-25", "--kind", "circular", "--zone", "Z2", "--format", "pdf",
                 "--out", str(paper), "--issue", "--as", "supervisor"]) == 0
    said = capsys.readouterr().out
    assert "issued as supervisor, archive number 1" in said and paper.read_bytes().startswith(b"%PDF-")
    stored = report_archive.download(1, demo_engine)
    assert stored.content == paper.read_bytes() and stored.filename == "circular_20200225_Z2_zh.pdf"
    assert stored.issued_by == "supervisor" and stored.kind == "circular"
    # a clerk may not issue: refused, the file not written, nothing archived
    assert main(["report", "--day", "2020-02-25", "--format", "txt", "--out", str(tmp_path / "x.txt"),
                 "--issue", "--as", "clerk"]) == 2
    assert not (tmp_path / "x.txt").exists() and len(report_archive.archived(engine=demo_engine)) == 1


def _bump(engine, line: str) -> None:
    from data_access import versions

    with db.write_session(engine) as session:
        versions.bump(session, [line])


def test_issuing_minds_only_the_lines_the_report_read(demo_engine, monkeypatch):
    from data_access import auth
    from data_access.errors import ConflictError

    supervisor = auth.authenticate("supervisor", "demo", engine=demo_engine)
    document = reports.render("daily", "txt", DAY, now=NEXT_MORNING, engine=demo_engine)
    assert {"traffic", "reopening", "shops", "survey", "inspections", "logistics", "duty"} <= set(document.versions)
    assert "gate" not in document.versions  # the daily report reads no gate registration
    _bump(demo_engine, "gate")  # the gates register people all evening: no reason to refuse
    assert reports.issue(supervisor, document, demo_engine) == 1
    again = reports.render("daily", "txt", DAY, now=NEXT_MORNING, engine=demo_engine)
    _bump(demo_engine, "traffic")  # a checkpoint's figures saved while it was being made: refused
    with pytest.raises(ConflictError):
        reports.issue(supervisor, again, demo_engine)
    calls = []  # make_and_issue makes it again from the newer data
    real_render = reports.render

    def render_then_save(*args, **kwargs):
        made = real_render(*args, **kwargs)
        calls.append(made)
        if len(calls) == 1:
            _bump(demo_engine, "traffic")
        return made

    monkeypatch.setattr(reports, "render", render_then_save)
    document, number = reports.make_and_issue(supervisor, "daily", "txt", DAY, now=NEXT_MORNING, engine=demo_engine)
    assert number == 2 and len(calls) == 2 and document is calls[1]


def test_nothing_changed_means_no_change_hours_later(demo_engine, monkeypatch):
    """The duty on post and the checkpoints "not yet due" depend on the moment: read again at the moment
    the report was read, so only data makes a change (here: none, then one correction)."""
    from data_access import auth

    evening = dt.datetime(2020, 2, 25, 21, 30, tzinfo=clock.zone())
    monkeypatch.setenv("DASHBOARD_NOW", "2020-02-25T21:30+08:00")
    supervisor = auth.authenticate("supervisor", "demo", engine=demo_engine)
    document, number = reports.make_and_issue(supervisor, "daily", "txt", DAY, now=evening, engine=demo_engine)
    monkeypatch.setenv("DASHBOARD_NOW", "2020-02-26T09:30+08:00")  # the next morning, other shift, all reported
    assert reports.changes_since(number, demo_engine) == []
    with db.write_session(demo_engine) as session:
        row = session.scalars(sa.select(CheckpointDay).where(CheckpointDay.day == DAY)
                              .order_by(CheckpointDay.id).limit(1)).one()
        row.persons += 3
    moved = {c["path"] for c in reports.changes_since(number, demo_engine)}
    assert "traffic.totals.persons" in moved and not any(p.startswith("duty.") for p in moved)
