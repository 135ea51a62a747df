"""AppTest: the app shell, the traffic page and the checkpoint entry grid, on the demo data."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data_access.models import AuditLog, CheckpointDay, Site, WorkZone
from tests.apptest_helpers import app, metric, signed_in, texts

TRAFFIC = "pages/traffic.py"
ENTRY = "pages/traffic_entry.py"


def test_sign_in_page_then_wrong_and_right_password(demo_engine):
    at = app()
    at.run()
    assert not at.exception
    assert "演示账号" in texts(at)
    at.text_input(key="signin_username").set_value("clerk")
    at.text_input(key="signin_password").set_value("wrong")
    at.button[0].click().run()
    assert "用户名或密码错误" in texts(at)
    at.text_input(key="signin_password").set_value("demo")
    at.button[0].click().run()
    assert at.session_state["actor"].username == "clerk"


def test_traffic_page_shows_the_report_figures(demo_engine):
    at = signed_in("supervisor", TRAFFIC)
    assert metric(at, "累计盘查车辆") == "15,294"
    assert metric(at, "累计盘查人员") == "28,225"
    assert metric(at, "日最高车辆") == "1,656"
    assert "演示数据" in texts(at)


def test_zone_filter_from_the_url(demo_engine):
    with demo_engine.connect() as conn:
        zone_id = conn.execute(sa.select(WorkZone.id).where(WorkZone.code == "Z2")).scalar_one()
        expected = conn.execute(
            sa.select(sa.func.sum(CheckpointDay.vehicles)).join(Site, Site.id == CheckpointDay.site_id)
            .where(Site.zone_id == zone_id)).scalar_one()
    at = signed_in("supervisor", TRAFFIC, query={"zone": "Z2"})
    assert at.session_state["filters"].zone_id == zone_id
    assert metric(at, "累计盘查车辆") == f"{expected:,}"
    assert expected < 15_294


def test_clerk_filter_starts_on_own_zone(demo_engine):
    at = signed_in("clerk", TRAFFIC)
    assert at.selectbox(key="f_zone").value == "Z1"


def test_english_switch(demo_engine):
    at = signed_in("viewer", TRAFFIC, query={"lang": "en"})
    assert metric(at, "Vehicles checked in range") == "15,294"
    assert any("Road checkpoint traffic" in t.value for t in at.title)


def test_viewer_has_no_entry_pages(demo_engine):
    at = signed_in("viewer")
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not registered for a viewer
        at.switch_page(ENTRY).run()


def _edit(at, day, edits: dict):
    at.session_state[f"entry_grid_{day}"] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}


def _saved(engine, day):
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(CheckpointDay).where(CheckpointDay.day == day)).scalar_one()


def test_entry_grid_saves_a_new_day(demo_engine):
    day = dt.date(2020, 2, 26)
    query = {"from": "2020-02-01", "to": "2020-02-26"}
    before = int(metric(signed_in("clerk", query=query), "累计盘查车辆").replace(",", ""))  # the clerk's zone
    at = signed_in("clerk", ENTRY, query=query)
    grid = at.data_editor(key=f"entry_grid_{day}").value
    assert len(grid) == 2  # the clerk's zone Z1 has two road checkpoints
    _edit(at, day, {0: {"vehicles": 100, "persons": 150, "persons_from_outside": 3, "turned_back": 1, "abnormal_temperature": 0},
                    1: {"vehicles": 80, "persons": 120, "persons_from_outside": 2, "turned_back": 0, "abnormal_temperature": 0}})
    at.run()
    at.button(key="entry_save").click().run()
    assert not at.exception
    assert _saved(demo_engine, day) == 2
    assert "新增 2 行" in texts(at)
    assert metric(signed_in("clerk", query=query), "累计盘查车辆") == f"{before + 180:,}"


@pytest.mark.parametrize("cell, expected", [
    ({"vehicles": -5}, "不能为负数"),
    ({"persons": 2.5}, "应为整数"),
    ({"persons": 10, "persons_from_outside": 11}, "不能超过检查人数"),
    ({"vehicles": None}, "必填"),
    ({"vehicles": "1e12"}, "数值过大"),  # a number cell would have stored 112
    ({"persons": "一百"}, "应为整数"),
])
def test_entry_grid_bad_input_saves_nothing_and_keeps_edits(demo_engine, cell, expected):
    day = dt.date(2020, 2, 26)
    at = signed_in("clerk", ENTRY, query={"from": "2020-02-01", "to": "2020-02-26"})
    good = {"vehicles": 100, "persons": 150, "persons_from_outside": 3, "turned_back": 1, "abnormal_temperature": 0}
    _edit(at, day, {0: good, 1: {**good, **cell}})
    at.run()
    at.button(key="entry_save").click().run()
    assert not at.exception
    assert expected in texts(at)
    assert "第 2 行" in texts(at)
    assert _saved(demo_engine, day) == 0
    assert at.session_state[f"entry_grid_{day}"]["edited_rows"]["1"] if "1" in at.session_state[f"entry_grid_{day}"]["edited_rows"] else at.session_state[f"entry_grid_{day}"]["edited_rows"][1]


def test_entry_grid_correction_needs_reason_and_stale_form_is_refused(demo_engine):
    day = dt.date(2020, 2, 25)
    at = signed_in("clerk", ENTRY, query={"from": "2020-02-01", "to": "2020-02-25"})  # else: the first day not reported
    _edit(at, day, {0: {"vehicles": 1}})
    at.run()
    at.button(key="entry_save").click().run()
    assert "需要填写原因" in texts(at)
    # meanwhile a supervisor corrects the same row; the clerk's form is now stale
    other = signed_in("supervisor", ENTRY)
    _edit(other, day, {0: {"vehicles": 2}})
    other.text_input(key=f"entry_reason_{day}").set_value("电话核实")
    other.run()
    other.button(key="entry_save").click().run()
    assert "已保存" in texts(other)
    at.text_input(key=f"entry_reason_{day}").set_value("抄错")
    at.run()
    at.button(key="entry_save").click().run()
    assert "数据已被他人修改" in texts(at)
    with demo_engine.connect() as conn:
        corrections = conn.execute(sa.select(AuditLog.username, AuditLog.reason).where(AuditLog.action == "correct")).all()
    assert corrections == [("supervisor", "电话核实")]


def test_entry_grid_shows_only_the_clerks_scope(demo_engine):
    at = signed_in("clerk", ENTRY)
    names = set(at.data_editor[0].value["name"])
    with demo_engine.connect() as conn:
        z1 = set(conn.execute(sa.select(Site.name).join(WorkZone).where(
            WorkZone.code == "Z1", Site.checkpoint_type == "road")).scalars())
    assert names == z1


def test_database_unreachable_shows_a_calm_message(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    at = app()
    at.run()
    assert not at.exception
    assert "暂时连不上数据库" in texts(at)


def _insert_stray_row(engine, day: dt.date) -> int:
    """A legacy typo row (saved before dates were checked against the season start)."""
    from data_access.db import write_session

    with write_session(engine) as session:
        site_id = session.scalar(sa.select(Site.id).where(Site.checkpoint_type == "road").order_by(Site.id).limit(1))
        session.add(CheckpointDay(site_id=site_id, day=day, vehicles=11, persons=22, persons_from_outside=0,
                                  turned_back=0, abnormal_temperature=0, version=1, updated_by="clerk",
                                  updated_at=dt.datetime.now(dt.timezone.utc)))
    return site_id


def test_supervisor_removes_a_typo_row_with_a_reason(demo_engine):
    stray = dt.date(1920, 2, 25)
    site_id = _insert_stray_row(demo_engine, stray)
    at = signed_in("supervisor", ENTRY)
    assert "早于本季开始" in texts(at)
    picker = at.selectbox(key="entry_delete_pick")
    assert ("stray", site_id, stray) in picker.options or any("1920-02-25" in str(o) for o in picker.options)
    picker.set_value(("stray", site_id, stray)).run()
    at.button(key="entry_delete").click().run()
    assert "必填" in texts(at) or "原因" in texts(at)  # no reason: refused, nothing removed
    with demo_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(CheckpointDay).where(CheckpointDay.day == stray)).scalar_one() == 1
    at.text_input(key="entry_delete_reason").set_value("年份录错")
    at.button(key="entry_delete").click().run()
    assert not at.exception
    assert "已删除" in texts(at)
    with demo_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(CheckpointDay).where(CheckpointDay.day == stray)).scalar_one() == 0
        deleted = conn.execute(sa.select(AuditLog.username, AuditLog.reason).where(AuditLog.action == "delete")).all()
    assert deleted == [("supervisor", "年份录错")]


def test_clerk_sees_no_delete_section(demo_engine):
    at = signed_in("clerk", ENTRY)
    assert not [s for s in at.selectbox if s.key == "entry_delete_pick"]
