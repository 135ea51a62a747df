"""AppTest: the reports page (日报与通报, issue 18) on the demo data.

The preview is the report as sent (the seed's opening paragraph on 2020-02-25); the circular is chosen and
shows its own formats; a supervisor issues a report, it lands in the archive and is listed, and once data
changes the page names the figure that moved; a viewer cannot issue; a supervisor scoped to one zone is
refused the whole development zone, with the reason shown and nothing stored.
"""
from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from data_access import db, report_archive
from data_access.models import CheckpointDay, User, UserScope
from tests.apptest_helpers import open_in, texts
from ui import guard
from ui.report_view import archive_table_key

PAGE = "pages/report.py"
CJK = lambda text: any("\u4e00" <= ch <= "\u9fff" for ch in text)  # noqa: E731


def _archived(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT COUNT(*) FROM report_archive")).scalar_one()


def _preview(at) -> str:
    return "\n".join(code.value for code in at.code)


def _button(at, key: str):
    return next(b for b in at.button if b.key == key)


def test_the_preview_is_the_report_as_sent(demo_engine):
    at = open_in("supervisor", PAGE, "zh")
    preview = _preview(at)
    assert preview.startswith("栖霞经济开发区疫情防控日报（2020年2月25日）")
    assert "已批复开复工企业69户，员工4892人，其中外地返烟人员164人" in preview
    assert "盘查车辆15294台次、人员28225人次" in preview
    assert [b.key for b in at.get("download_button")][:1] == ["report_download"]
    at.button_group(key="report_kind").set_value("circular").run()
    assert not at.exception, at.exception
    assert _preview(at).startswith("疫情防控专题巡察情况通报")
    assert at.button_group(key="report_format").value == "pdf"  # no workbook for the circular: its first format


def test_an_issued_report_is_archived_listed_and_compared_with_later_data(demo_engine):
    at = open_in("supervisor", PAGE, "zh")
    at.button_group(key="report_format").set_value("txt").run()
    _button(at, "report_issue").click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    assert _archived(demo_engine) == 1
    assert "已签发并存档（档案号 1，daily_20200225_ALL_zh.txt）" in texts(at)
    listed = report_archive.archived(engine=demo_engine)
    assert listed["issued_by"].tolist() == ["supervisor"]
    stored = report_archive.download(int(listed["id"].iat[0]), demo_engine)
    assert stored.content.decode("utf-8").rstrip() == _preview(at).rstrip()  # what was previewed was filed
    with db.write_session(demo_engine) as session:  # a late correction to a figure the report stated
        row = session.scalars(sa.select(CheckpointDay).where(CheckpointDay.day == stored.day)
                              .order_by(CheckpointDay.id).limit(1)).one()
        row.vehicles += 11
    frame = at.dataframe[0]
    assert frame.value["id"].tolist() == [1]
    at.session_state[archive_table_key([1])] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert "报告中的" in shown and "个数字已有变化" in shown
    changed = at.dataframe[1].value
    row = changed[changed["figure"] == "路域卡口 · 累计 · 车辆（台次）"]
    assert row[["stated", "now"]].values.tolist() == [["15,294", "15,305"]]
    # the archived file is still the one issued
    assert report_archive.download(1, demo_engine).content == stored.content


@pytest.mark.parametrize("language", ["en"], indirect=True)
def test_a_viewer_reads_but_cannot_issue(demo_engine, language):
    at = open_in("viewer", PAGE, language)
    assert not any(b.key == "report_issue" for b in at.button)
    assert at.button_group(key="report_lang").value == "en"  # the report in the reader's language by default
    assert _preview(at).startswith("Daily report, the Qixia Economic Development Zone, 25 February 2020")
    assert not CJK(at.title[0].value)
    assert "No report has been issued yet." in texts(at)


def test_a_zone_supervisor_issues_for_their_zone_only(demo_engine):
    with db.write_session(demo_engine) as session:  # the demo supervisor, scoped to zone 1 for this test
        user = session.scalars(sa.select(User).where(User.username == "supervisor")).one()
        session.add(UserScope(user_id=user.id, zone_id=1))
    at = open_in("supervisor", PAGE, "zh")
    assert at.session_state["filters"].zone_id == 1  # the filter bar opens on the supervisor's own zone
    assert any(b.key == "report_issue" for b in at.button)
    at.session_state["filters"] = dataclasses.replace(at.session_state["filters"], zone_id=None)
    at.run()
    assert _preview(at).startswith("栖霞经济开发区疫情防控日报")  # the whole zone's report: read, downloaded
    assert not any(b.key == "report_issue" for b in at.button)  # ... but not issued by a zone's supervisor
    assert [b.key for b in at.get("download_button")][:1] == ["report_download"]


def test_picking_an_issued_report_follows_the_report_not_its_row(demo_engine):
    """Streamlit keeps a table's selection by position: a report issued later (listed first) must not turn
    "download again" into another report than the one picked."""
    at = open_in("supervisor", PAGE, "zh")
    at.button_group(key="report_format").set_value("txt").run()
    _button(at, "report_issue").click().run()
    at.session_state[archive_table_key([1])] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert [b.key for b in at.get("download_button")][-1] == "report_again_1"
    at.button_group(key="report_lang").set_value("en").run()
    _button(at, "report_issue").click().run()  # number 2, now the first row
    assert not at.exception, at.exception
    assert _archived(demo_engine) == 2
    assert not any(b.key.startswith("report_again_") for b in at.get("download_button"))  # nothing picked now


def test_a_damaged_archive_copy_is_refused_in_words(demo_engine):
    at = open_in("supervisor", PAGE, "zh")
    at.button_group(key="report_format").set_value("txt").run()
    _button(at, "report_issue").click().run()
    with demo_engine.begin() as conn:  # the stored bytes changed behind the archive's back
        conn.execute(sa.text("UPDATE report_archive SET content = :c"), {"c": b"tampered"})
    at.session_state[archive_table_key([1])] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not at.exception, at.exception
    assert at.error and "Traceback" not in texts(at)
    assert not any(b.key.startswith("report_again_") for b in at.get("download_button"))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # words, not data
def test_every_figure_a_report_states_has_a_name_in_both_languages(demo_engine):
    import datetime as dt
    import json

    import reports
    from ui.i18n import speaking
    from ui.report_view import figure_label

    for kind in reports.KINDS:
        figures = reports.figures_of(kind, dt.date(2020, 2, 25), engine=demo_engine)
        for path in reports.changes.flatten(json.loads(reports.changes.to_json(figures))):
            with speaking("zh"):
                chinese = figure_label(path)
            with speaking("en"):
                english = figure_label(path)
            assert not any(ch.isascii() and ch.isalpha() for ch in chinese), (path, chinese)
            assert not CJK(english) and "_" not in english, (path, english)


def test_issuing_while_the_database_refuses_says_so_and_keeps_the_choices(demo_engine, monkeypatch):
    at = open_in("supervisor", PAGE, "zh")
    at.button_group(key="report_format").set_value("txt").run()
    at.button_group(key="report_lang").set_value("en").run()
    url = str(demo_engine.url)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/nowhere")  # nothing listens
    db.dispose_engines()
    at.session_state[guard.ROUTED] = False  # the run through app.py, as a server runs it (see
    at.session_state[guard.RETRIED] = False  # tests/test_pages_new_lines_failures.py)
    _button(at, "report_issue").click().run()
    shown = texts(at) + "\n".join(e.value for e in at.error) + "\n".join(str(e.value) for e in at.exception)
    assert not at.exception, shown
    assert "暂时连不上数据库" in shown, shown
    assert "Traceback" not in shown and "psycopg" not in shown and "OperationalError" not in shown
    at.session_state[guard.ROUTED] = False
    at.session_state[guard.RETRIED] = False
    monkeypatch.setenv("DATABASE_URL", url)
    db.dispose_engines()
    at.run()  # the database back: the page as the supervisor left it
    assert not at.exception, at.exception
    assert at.button_group(key="report_format").value == "txt" and at.button_group(key="report_lang").value == "en"
    assert _archived(demo_engine) == 0
