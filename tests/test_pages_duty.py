"""AppTest: the people and duty pages (人员与责任, 值班排班) on the demo data, and what issue 16 adds to the
wall, the inspection form, the circular and the admin page.

Each page opens for every role in both languages; a form's bad input shows its message under the field and
keeps what was typed; a good save shows the new figure; a stale roster save reads as a conflict in words.
"""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data_access import clock, roster
from data_access.filters import Filters
from tests.apptest_helpers import app, metric, open_in, signed_in, texts

PEOPLE, ROSTER = "pages/people.py", "pages/roster.py"
ROLES = ("admin", "supervisor", "clerk", "viewer")
MANAGERS = ("admin", "supervisor")
CJK = lambda text: any("\u4e00" <= ch <= "\u9fff" for ch in text)  # noqa: E731


def _errors(at) -> str:
    return "\n".join(e.value for e in at.error)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # both databases: tests/test_smoke_pages.py
@pytest.mark.parametrize("language", ("zh", "en"), indirect=True)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", (PEOPLE, ROSTER))
def test_page_opens_for_every_role(demo_engine, role, language, page):
    at = open_in(role, page, language)
    assert at.title
    shown = texts(at)
    assert "None" not in shown and "nan" not in shown.split()
    if language == "en":
        assert not CJK(at.title[0].value)
        assert not any(CJK(t.label) for t in at.tabs), [t.label for t in at.tabs]
    if page == PEOPLE:
        assert any(b.key and b.key.startswith("people_form_") for b in at.button) == (role in MANAGERS)
    else:
        assert any(b.key == "roster_save" for b in at.button) == (role in MANAGERS or role == "clerk" and _clerk_point(at))


def _clerk_point(at) -> bool:
    """Whether the point the clerk's roster page opened on is in the clerk's zone."""
    user = at.session_state["actor"]
    site_id = at.selectbox(key="roster_point").value
    points = roster.duty_points(Filters())
    return int(points.loc[points["site_id"] == site_id, "zone_id"].iloc[0]) in user.zone_ids


# ---- 人员与责任 -------------------------------------------------------------------------------------

def _count_people(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT COUNT(*) FROM person")).scalar_one()


def _new_person(at, phone: str) -> None:
    from data_access import people
    units = people.units()
    at.text_input(key="people_form_new_name").input("测试人员")
    at.selectbox(key="people_form_new_unit").set_value(int(units.loc[units["active"], "unit_id"].iloc[0]))
    at.text_input(key="people_form_new_phone").input(phone)
    at.button(key="people_form_new_save").click().run()
    assert not at.exception, at.exception


def test_a_bad_phone_is_refused_under_the_field_and_kept_then_a_good_one_adds_the_person(demo_engine):
    at = open_in("supervisor", PEOPLE, "zh")
    before = _count_people(demo_engine)
    assert metric(at, "在册人员") == f"{before:,}"
    _new_person(at, "12345")
    errors = _errors(at)
    assert "未保存任何内容" in errors and "电话号码无效" in errors, errors
    assert at.text_input(key="people_form_new_phone").value == "12345"  # what was typed stays
    assert at.text_input(key="people_form_new_name").value == "测试人员"
    assert _count_people(demo_engine) == before
    # the phone's message sits in the box drawn right under the phone field, not only on top
    boxes = [e for e in at.error if "电话号码无效" in e.value]
    assert any("未保存任何内容" not in e.value for e in boxes), [e.value for e in boxes]

    at.text_input(key="people_form_new_phone").input("13912345678")
    at.button(key="people_form_new_save").click().run()
    assert not at.exception and not at.error, _errors(at)
    assert _count_people(demo_engine) == before + 1
    assert "已保存：测试人员" in texts(at)
    assert metric(at, "在册人员") == f"{before + 1:,}"  # the new figure
    shown = at.dataframe[0].value
    row = shown[shown["name"] == "测试人员"]
    assert len(row) == 1 and row["phone_masked"].iloc[0] == "139****5678"  # masked in the list


def test_an_admin_sees_one_full_phone_and_the_view_is_audited(demo_engine):
    at = open_in("admin", PEOPLE, "zh")
    person_id = int(at.dataframe[0].value["person_id"].iloc[0])
    at.selectbox(key="people_phone_pick").set_value(person_id).run()
    at.button(key="people_phone_show").click().run()
    assert not at.exception and not at.error, _errors(at)
    shown = [i.value for i in at.info if "1700000" in i.value]
    assert shown, [i.value for i in at.info]
    with demo_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM audit_log WHERE action = 'personal_view' AND username = 'admin'")
                            ).scalar_one() == 1
    assert person_id


def test_a_clerk_reads_people_but_sees_no_forms_and_no_full_phones(demo_engine):
    at = open_in("clerk", PEOPLE, "zh")
    assert "人员由管理员和督导维护" in texts(at)
    assert not any(b.key == "people_phone_show" for b in at.button)
    assert "1700000" not in "".join(str(v) for v in at.dataframe[0].value["phone_masked"])


def test_a_responsibility_saved_shows_its_names(demo_engine):
    at = open_in("supervisor", PEOPLE, "zh")
    at.radio(key="resp_kind").set_value("line").run()
    form = next(b.key for b in at.button if b.key and b.key.startswith("resp_form_") and b.key.endswith("_save"))
    prefix = form[: -len("_save")]
    from data_access import people
    choices = people.person_choices(at.selectbox(key="resp_zone").value)
    (a, b), labels = choices["person_id"].iloc[:2].astype(int), choices["label"].tolist()
    # A and B the same person: refused in words, nothing saved
    at.selectbox(key=f"{prefix}_a").set_value(a)
    at.selectbox(key=f"{prefix}_b").set_value(a)
    at.button(key=form).click().run()
    assert not at.exception and "未保存任何内容" in _errors(at), _errors(at)
    at.selectbox(key=f"{prefix}_b").set_value(b)
    at.button(key=form).click().run()
    assert not at.exception and not at.error, _errors(at)
    assert "已保存：" in texts(at) and labels[0] in texts(at)


# ---- 值班排班 --------------------------------------------------------------------------------------

def _now(engine) -> dt.datetime:
    return clock.now(engine)


def _empty_point(engine):
    """A duty point with nobody rostered on the shift on now (the demo leaves a few)."""
    now = _now(engine)
    gaps = roster.gaps(Filters(), now, engine=engine)
    shift = roster.shift_at(now, engine)
    empty = gaps[(gaps["shift_id"] == shift["shift_id"]) & (gaps["rostered"] == 0)]
    assert len(empty), gaps
    return int(empty["site_id"].iloc[0]), shift, now


def _open_week(at, site_id: int) -> None:
    at.selectbox(key="roster_point").set_value(site_id).run()
    assert not at.exception, at.exception


def _edit(at, row: int, shift_id: int, ids: list[int]) -> None:
    at.session_state["roster_week"] = {"edited_rows": {row: {f"s{shift_id}": [str(i) for i in ids]}},
                                       "added_rows": [], "deleted_rows": []}
    at.run()


def test_a_supervisor_fills_an_empty_shift_and_the_tile_counts_it(demo_engine):
    site_id, shift, now = _empty_point(demo_engine)
    tile = roster.duty_tile(Filters(), now, engine=demo_engine)
    at = open_in("supervisor", ROSTER, "zh")
    assert metric(at, "岗位在岗") == f"{tile['present']}/{tile['required']}"
    _open_week(at, site_id)
    zone_id = int(roster.duty_points(Filters(), engine=demo_engine).set_index("site_id").loc[site_id, "zone_id"])
    from data_access import people
    person = int(people.person_choices(zone_id, engine=demo_engine)["person_id"].iloc[0])
    _edit(at, now.date().weekday(), shift["shift_id"], [person])
    at.button(key="roster_save").click().run()
    assert not at.exception and not at.error, _errors(at)
    assert "已保存" in texts(at)
    assert metric(at, "岗位在岗") == f"{tile['present'] + 1}/{tile['required']}"  # the new figure
    assert roster.week(site_id, now.date() - dt.timedelta(days=now.weekday()), engine=demo_engine).pipe(
        lambda w: w[(w["day"] == now.date()) & (w["shift_id"] == shift["shift_id"])]["person_ids"].iloc[0]) == (person,)


def test_a_cell_changed_meanwhile_reads_as_a_conflict_and_saves_nothing(demo_engine):
    site_id, shift, now = _empty_point(demo_engine)
    at = open_in("supervisor", ROSTER, "zh")
    _open_week(at, site_id)  # the week is loaded now (empty on the shift)
    zone_id = int(roster.duty_points(Filters(), engine=demo_engine).set_index("site_id").loc[site_id, "zone_id"])
    from data_access import people
    first, second = (int(i) for i in people.person_choices(zone_id, engine=demo_engine)["person_id"].iloc[:2])
    roster.save_week("admin", site_id, [{"day": now.date(), "shift_id": shift["shift_id"], "person_ids": [first],
                                         "loaded_person_ids": []}], engine=demo_engine)
    _edit(at, now.date().weekday(), shift["shift_id"], [second])
    at.button(key="roster_save").click().run()
    assert not at.exception
    assert "已被他人修改" in _errors(at), _errors(at)
    assert any(b.key == "roster_conflict_reload" for b in at.button)
    week = roster.week(site_id, now.date() - dt.timedelta(days=now.weekday()), engine=demo_engine)
    assert week[(week["day"] == now.date()) & (week["shift_id"] == shift["shift_id"])]["person_ids"].iloc[0] == (first,)


def test_a_viewer_reads_the_week_without_a_save_button(demo_engine):
    at = open_in("viewer", ROSTER, "zh")
    assert not any(b.key in ("roster_save", "roster_copy", "roster_req_save") for b in at.button)
    assert "只读" in texts(at)


# ---- the wall, the inspection form, the circular, the admin page ------------------------------------

def test_the_wall_shows_the_duty_tile_and_gaps_in_words(demo_engine):
    at = app({"key": "demo-wall"})
    at.run()
    assert not at.exception
    now = _now(demo_engine)
    tile = roster.duty_tile(Filters(), now, engine=demo_engine)
    shown = next(m for m in at.metric if m.label.startswith("岗位在岗"))
    assert shown.value == f"{tile['present']}/{tile['required']}"
    assert (f"{tile['points_short']} 个点位缺员" if tile["points_short"] else "全部到岗") in shown.delta
    gaps = roster.gaps(Filters(), now, engine=demo_engine)
    empty = gaps[gaps["present"] == 0]
    if len(empty):
        assert f"{empty['site'].iloc[0]} {empty['shift'].iloc[0]} 班无人在岗" in texts(at).replace("\u2060", "").replace("\\", "")


def test_the_inspection_form_names_the_rostered_people_and_the_save_marks_them_away(demo_engine):
    at = open_in("supervisor", "pages/inspection_entry.py", "zh")
    shift_id = at.selectbox(key="inspect_shift").value
    day = at.date_input(key="inspect_form_day").value
    points = at.selectbox(key="inspect_site")
    staffed = None
    for site_id in roster.duty_points(Filters(), engine=demo_engine)["site_id"]:
        if len(roster.rostered(int(site_id), day, shift_id, engine=demo_engine)):
            staffed = int(site_id)
            break
    assert staffed is not None
    points.set_value(staffed).run()
    names = roster.rostered(staffed, day, shift_id, engine=demo_engine)["name"].tolist()
    assert f"该班次排班：{'、'.join(names)}" in texts(at)
    at.number_input(key="inspect_finding_count").set_value(1).run()  # a failed check needs its finding
    at.checkbox(key="inspect_form_staff_at_post").uncheck()
    at.text_input(key="inspect_form_f0_description").input("值守人员不在岗")
    at.text_input(key="inspect_form_f0_owner").input("督导组")
    next(b for b in at.button if b.label == "保存巡察记录").click().run()
    assert not at.exception and not at.error, _errors(at)
    assert "已记为脱岗：" in texts(at) and names[0] in texts(at)
    assert roster.rostered(staffed, day, shift_id, engine=demo_engine)["absent"].all()


def test_the_inspections_board_lists_repeated_absences(demo_engine):
    at = open_in("viewer", "pages/inspections.py", "zh")
    assert "本周多次脱岗的值守点" in texts(at)


def test_an_admin_grants_personal_data_and_the_clerk_may_then_see_full_phones(demo_engine):
    at = open_in("admin", "pages/admin.py", "zh")
    at.selectbox(key="admin_grant_user").set_value("clerk")
    next(b for b in at.button if b.label == "授予查看权限").click().run()
    assert not at.exception and not at.error, _errors(at)
    assert "已授权：clerk" in texts(at)
    clerk = open_in("clerk", PEOPLE, "zh")
    assert any(b.key == "people_phone_show" for b in clerk.button)


def test_changing_a_person_keeps_what_the_form_did_not_touch(demo_engine):
    """A supervisor changes someone's title: the note, the unit and the phone stay as they were."""
    with demo_engine.begin() as conn:
        person_id, unit_id, phone = conn.execute(sa.text(
            "SELECT id, unit_id, phone_cipher FROM person WHERE status = 'active' ORDER BY id LIMIT 1")).one()
        conn.execute(sa.text("UPDATE person SET note = '轮休：周三' WHERE id = :id"), {"id": person_id})
    at = open_in("supervisor", PEOPLE, "zh")
    at.selectbox(key="people_pick").set_value(person_id).run()
    form = f"people_form_{person_id}"
    assert at.text_input(key=f"{form}_note").value == "轮休：周三"  # shown, so a save keeps it
    at.text_input(key=f"{form}_title").input("组长")
    at.button(key=f"{form}_save").click().run()
    assert not at.exception and not at.error, _errors(at)
    with demo_engine.connect() as conn:
        row = conn.execute(sa.text("SELECT title, note, unit_id, phone_cipher FROM person WHERE id = :id"),
                           {"id": person_id}).one()
    assert row == ("组长", "轮休：周三", unit_id, phone)
