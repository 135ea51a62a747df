"""AppTest: the compound gate pages (门岗登记, 小区门岗) on the demo data (issue 17).

Each page opens for every role that may open it, in both languages, with no 'None' and no Chinese in the
English title; a bad ID number is refused under its field and kept; a good save shows the compound's new
count; the look-up pre-fills a returning person (numbers masked); a clerk enters and sees only their
compounds; no full ID number or phone is on any of these pages.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from data_access import gate
from tests.apptest_helpers import open_in, texts

GATE, ENTRY = "pages/gate.py", "pages/gate_entry.py"
ROLES = ("admin", "supervisor", "clerk", "viewer")
WRITERS = ("admin", "supervisor", "clerk", "gate")
FORM = "gate_form"
CJK = lambda text: any("\u4e00" <= ch <= "\u9fff" for ch in text)  # noqa: E731
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
FULL_ID = re.compile(r"\d{17}[\dX]")
FULL_PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")


def resident_id(body17: str) -> str:
    """A checksum-valid number (GB 11643) for a 17-digit body: area 99xxxx is no real place."""
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, WEIGHTS)) % 11]


def _errors(at) -> str:
    return "\n".join(e.value for e in at.error)


def _count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT COUNT(*) FROM gate_registration")).scalar_one()


def _no_full_numbers(at) -> None:
    shown = texts(at) + "\n".join(str(frame.value.to_dict()) for frame in at.dataframe)
    assert not FULL_ID.search(shown), FULL_ID.search(shown)
    assert not FULL_PHONE.search(shown), FULL_PHONE.search(shown)


def _compound(at) -> int:
    """The entry page's compound: the only one, or the first one offered, picked."""
    site_id = int(gate.compounds(at.session_state["actor"].username)["site_id"].iloc[0])
    if any(s.key == "gate_site" for s in at.selectbox):
        at.selectbox(key="gate_site").set_value(site_id).run()
        assert not at.exception, at.exception
    return site_id


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # both databases: tests/test_smoke_pages.py
@pytest.mark.parametrize("language", ("zh", "en"), indirect=True)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", (GATE, ENTRY))
def test_page_opens_for_every_role(demo_engine, role, language, page):
    if page == ENTRY and role == "viewer":
        pytest.skip("the entry page is for writers (the router hides it; tests/test_smoke_pages.py)")
    at = open_in(role, page, language)
    if page == ENTRY:
        _compound(at)
        assert not at.error, _errors(at)
    assert at.title
    shown = texts(at)
    assert "None" not in shown and "nan" not in shown.split()
    if language == "en":
        assert not CJK(at.title[0].value)
        assert not CJK(" ".join(m.label for m in at.metric)), [m.label for m in at.metric]
        assert not CJK(" ".join(b.label for b in at.button)), [b.label for b in at.button]
    if page == GATE:
        assert len(at.metric) == 6
        lists = any(s.value.startswith(("最新登记", "Newest")) for s in at.subheader)
        assert lists == (role != "viewer")
        assert any(b.key == "gate_retention_save" for b in at.button) == (role == "admin")
    else:
        assert any(b.key == f"{FORM}_save" for b in at.button)
    _no_full_numbers(at)


def test_the_gate_clerk_has_one_compound_preselected_and_the_zone_clerk_only_theirs(demo_engine):
    at = open_in("gate", ENTRY, "zh")
    assert not any(s.key == "gate_site" for s in at.selectbox)  # one compound: no picker
    assert "翠湖小区 · 今日：进" in texts(at)
    zone_clerk = open_in("clerk", ENTRY, "zh")
    theirs = gate.compounds("clerk")
    everyone = gate.compounds("admin")
    assert 0 < len(theirs) < len(everyone)
    offered = zone_clerk.selectbox(key="gate_site").options
    assert len(offered) == len(theirs)
    assert set(offered) <= set(theirs["name"])
    # the list of the dashboard page holds their compounds only
    board = open_in("clerk", GATE, "zh")
    newest = next(frame.value for frame in board.dataframe if "doc_masked" in frame.value.columns and "site" in frame.value.columns)
    assert len(newest) and set(newest["site"]) <= set(theirs["name"]), set(newest["site"])


def _fill(at, doc_number: str, name: str, building: str = "3号楼2单元501", phone: str = "", temperature: str = "36.5"):
    at.text_input(key=f"{FORM}_doc_number").input(doc_number)
    at.text_input(key=f"{FORM}_name").input(name)
    at.text_input(key=f"{FORM}_building").input(building)
    at.text_input(key=f"{FORM}_phone").input(phone)
    at.text_input(key=f"{FORM}_temperature").input(temperature)
    at.button(key=f"{FORM}_save").click().run()
    assert not at.exception, at.exception


def _today_in(at) -> int:
    found = re.search(r"进 ([\d,]+)", texts(at))
    assert found, texts(at)
    return int(found.group(1).replace(",", ""))


def test_a_bad_id_is_refused_under_its_field_and_kept_then_a_good_one_shows_the_new_count(demo_engine):
    at = open_in("gate", ENTRY, "zh")
    before, entries = _count(demo_engine), _today_in(at)
    good = resident_id("99010219850317001")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")  # the check digit wrong
    _fill(at, bad, "测试访客")
    errors = _errors(at)
    assert "未保存任何内容" in errors, errors
    under = [e.value for e in at.error if "未保存任何内容" not in e.value]
    assert under, errors  # the number's own message, in the box under its field
    assert bad not in errors  # the refusal never echoes the number
    assert at.text_input(key=f"{FORM}_doc_number").value == bad  # what was typed stays
    assert at.text_input(key=f"{FORM}_name").value == "测试访客"
    assert _count(demo_engine) == before

    at.text_input(key=f"{FORM}_doc_number").input(good)
    at.button(key=f"{FORM}_save").click().run()
    assert not at.exception and not at.error, _errors(at)
    assert _count(demo_engine) == before + 1
    shown = texts(at)
    assert "已登记：测试访客 990102********" in shown, shown
    assert _today_in(at) == entries + 1  # the compound's new count
    assert at.text_input(key=f"{FORM}_doc_number").value == ""  # blank for the next person
    assert at.text_input(key=f"{FORM}_name").value == ""
    _no_full_numbers(at)


def test_a_returning_person_is_found_by_phone_and_pre_filled(demo_engine):
    site_id = int(gate.compounds("gate", engine=demo_engine)["site_id"].iloc[0])
    number, phone = resident_id("99030219700101002"), "17000098765"
    gate.register("gate", site_id, {"direction": "in", "at": None, "doc_type": "resident_id", "doc_number": number,
                                    "name": "回访测试", "building": "5号楼1单元302", "phone": phone,
                                    "from_outside": True, "origin": "潍坊市", "temperature": 36.4}, engine=demo_engine)
    at = open_in("gate", ENTRY, "zh")
    before = _count(demo_engine)
    at.text_input(key="gate_lookup").input(phone).run()
    assert not at.exception, at.exception
    assert at.text_input(key=f"{FORM}_name").value == "回访测试"
    assert at.text_input(key=f"{FORM}_building").value == "5号楼1单元302"
    assert at.text_input(key=f"{FORM}_origin").value == "潍坊市"
    assert at.checkbox(key=f"{FORM}_from_outside").value is True
    assert at.text_input(key="gate_lookup").value == ""  # the typed number does not stay on the screen
    assert "证件号、电话沿用上次登记" in texts(at)
    _no_full_numbers(at)
    at.segmented_control(key=f"{FORM}_direction").set_value("out")
    at.button(key=f"{FORM}_save").click().run()
    assert not at.exception and not at.error, _errors(at)
    assert _count(demo_engine) == before + 1
    with demo_engine.connect() as conn:
        row = conn.execute(sa.text("SELECT name, direction, doc_masked, phone_masked FROM gate_registration "
                                   "ORDER BY id DESC LIMIT 1")).one()
    assert tuple(row) == ("回访测试", "out", number[:6] + "********" + number[-4:], "170****8765")


def test_a_viewer_sees_counts_but_no_lists_and_an_admin_sets_the_retention(demo_engine):
    at = open_in("viewer", GATE, "zh")
    assert "查看账号只看统计" in texts(at)
    assert not at.dataframe
    admin = open_in("admin", GATE, "zh")
    admin.number_input(key="gate_retention_value").set_value(35)
    admin.button(key="gate_retention_save").click().run()
    assert not admin.exception and not admin.error, _errors(admin)
    assert "已保存：登记保留 35 天" in texts(admin)
    assert any(m.label == "保留天数" and m.value == "35" for m in admin.metric)


def test_an_admin_sees_one_full_record_and_the_view_is_audited(demo_engine):
    at = open_in("admin", GATE, "zh")
    newest = next(f.value for f in at.dataframe if "registration_id" in f.value.columns)
    at.selectbox(key="gate_full_pick").set_value(int(newest["registration_id"].iloc[0])).run()
    at.button(key="gate_full_show").click().run()
    assert not at.exception and not at.error, _errors(at)
    assert any(FULL_ID.search(i.value) for i in at.info), [i.value for i in at.info]
    with demo_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM audit_log WHERE action = 'personal_view' "
                                    "AND table_name = 'gate_registration'")).scalar_one() == 1
