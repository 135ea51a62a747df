"""AppTest: the completeness view (上报完整性), the admin's due-time tab, and the clerk's entry page opening
on the first day not yet reported (issue 10), on the demo data, SQLite."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from data_access import clock, traffic_entry
from data_access.models import AuditLog, CheckpointDay, Site, WorkZone
from tests.apptest_helpers import metric, open_in, signed_in, texts

PAGE = "pages/completeness.py"
ENTRY = "pages/traffic_entry.py"
ADMIN = "pages/admin.py"
LAST, NEXT = dt.date(2020, 2, 25), dt.date(2020, 2, 26)
BEFORE_DUE = "2020-02-26T20:00:00+08:00"  # 2020-02-26 is due at 10:00 on the 27th
AFTER_DUE = "2020-02-27T11:00:00+08:00"
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

LABELS = {  # what each language calls the tiles and the statuses
    "zh": {"reported": "已上报", "on_time": "按时", "late": "迟报", "overdue": "逾期未报", "pending": "待上报",
           "state": "状态", "responsible": "责任人", "late_by": "超时"},
    "en": {"reported": "Reported", "on_time": "On time", "late": "Late", "overdue": "Overdue", "pending": "Not yet due",
           "state": "Status", "responsible": "Who answers", "late_by": "Late by"},
}


def open_page(user: str, lang: str):
    return open_in(user, PAGE, lang)


def site_table(at):
    return next(d.value for d in at.dataframe if "responsible" in d.value.columns)


def road_checkpoints(engine, zones: tuple[str, ...]) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(Site.id).join(WorkZone).where(
            Site.checkpoint_type == "road", WorkZone.code.in_(zones)).order_by(Site.id)).scalars())


def save_next_day(engine, site_ids, monkeypatch, when: str = BEFORE_DUE) -> None:
    monkeypatch.setenv("DASHBOARD_NOW", when)  # the moment the report arrives
    rows = [{"site_id": s, "version": None, "vehicles": 90, "persons": 160, "persons_from_outside": 5,
             "turned_back": 2, "abnormal_temperature": 0} for s in site_ids]
    traffic_entry.save_checkpoint_days("supervisor", NEXT, rows, engine=engine)


@pytest.mark.parametrize("lang", ["zh", "en"], indirect=True)
def test_the_demo_last_day_is_twelve_of_twelve_on_time(demo_engine, lang):
    at = open_page("supervisor", lang)
    words = LABELS[lang]
    assert metric(at, words["reported"]) == "12/12"
    assert metric(at, words["on_time"]) == "12"
    assert metric(at, words["overdue"]) == metric(at, words["pending"]) == metric(at, words["late"]) == "0"
    sites = site_table(at)
    assert len(sites) == 12 and set(sites["state"]) == {words["on_time"]}
    assert "2020-02-25" in texts(at)
    assert not any(str(v) in ("None", "nan", "NaT") for v in sites.astype(str).to_numpy().ravel())
    if lang == "en":
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in at.title[0].value + metric(at, words["reported"]))


@pytest.mark.parametrize("lang", ["zh", "en"], indirect=True)
def test_a_partial_day_before_its_due_time_is_pending_not_overdue(demo_engine, monkeypatch, lang):
    save_next_day(demo_engine, road_checkpoints(demo_engine, ("Z2",)), monkeypatch)  # 2 of 12, at 20:00 on the day
    at = open_page("supervisor", lang)
    words = LABELS[lang]
    assert metric(at, words["reported"]) == "2/12"
    assert metric(at, words["on_time"]) == "2"
    assert metric(at, words["pending"]) == "10"
    assert metric(at, words["overdue"]) == "0"
    assert not at.warning  # nobody is late yet: a calm note, no alarm
    sites = site_table(at)
    assert sorted(sites["state"].value_counts().to_dict().items()) == sorted(
        {words["on_time"]: 2, words["pending"]: 10}.items())


@pytest.mark.parametrize("lang", ["zh", "en"], indirect=True)
def test_after_the_due_time_ten_are_overdue_with_who_answers(demo_engine, monkeypatch, lang):
    save_next_day(demo_engine, road_checkpoints(demo_engine, ("Z2",)), monkeypatch)
    monkeypatch.setenv("DASHBOARD_NOW", AFTER_DUE)
    at = open_page("supervisor", lang)
    words = LABELS[lang]
    assert metric(at, words["overdue"]) == "10"
    assert metric(at, words["on_time"]) == "2" and metric(at, words["pending"]) == "0"
    assert at.warning  # the overdue ones are pointed out
    sites = site_table(at)
    overdue = sites[sites["state"].str.startswith("逾期" if lang == "zh" else "Overdue")]
    assert len(overdue) == 10
    assert (overdue["responsible"].str.len() > 0).all()
    z1 = overdue[overdue["name"].isin(_names(demo_engine, "Z1"))]
    assert len(z1) == 2 and z1["responsible"].str.contains("第一工作管区填报员").all()  # the Z1 clerk answers
    assert set(overdue["state"]) == {"逾期 1小时" if lang == "zh" else "Overdue · 1h"}
    assert set(overdue["due"]) == {"02-27 10:00"}


def _names(engine, zone: str) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(Site.name).join(WorkZone).where(
            WorkZone.code == zone, Site.checkpoint_type == "road")).scalars())


def test_a_picked_site_opens_the_entry_on_that_day_for_a_writer(demo_engine):
    at = open_page("supervisor", "zh")
    # what a click leaves behind (AppTest cannot click a chart or a table row; the browser test does)
    at.session_state["entry_day"] = LAST
    at.session_state["_completeness_open_entry"] = True
    at.run()
    assert not at.exception
    assert at.date_input(key="entry_day").value == LAST
    assert any(e.key == f"entry_grid_{LAST}" for e in at.data_editor)


@pytest.mark.parametrize("lang", ["en"], indirect=True)
def test_the_zone_table_shows_the_due_time_and_rates(demo_engine, lang):
    at = open_page("viewer", lang)
    zones = next(d.value for d in at.dataframe if "reported_of" in d.value.columns)
    assert len(zones) == 6
    assert set(zones["due"]) == {"10:00 the next day"}
    assert (zones["on_time_rate"] == 100).all() and (zones["reported_of"] == "2/2").all()


# ---- the clerk's entry page opens on the first day not yet reported ---------------------------------

def test_the_clerk_opens_on_the_day_after_the_last_complete_day(demo_engine):
    at = signed_in("clerk", ENTRY)
    assert at.date_input(key="entry_day").value == NEXT  # 02-25 is complete for Z1


def test_the_clerk_opens_on_a_day_one_checkpoint_still_lacks(demo_engine):
    missing = road_checkpoints(demo_engine, ("Z1",))[0]
    with demo_engine.begin() as conn:
        conn.execute(sa.delete(CheckpointDay).where(CheckpointDay.site_id == missing, CheckpointDay.day == LAST))
    at = signed_in("clerk", ENTRY)
    assert at.date_input(key="entry_day").value == LAST


def test_a_link_with_a_range_still_opens_on_its_day(demo_engine):
    at = signed_in("clerk", ENTRY, query={"from": "2020-02-01", "to": "2020-02-20"})
    assert at.date_input(key="entry_day").value == dt.date(2020, 2, 20)


# ---- the administrator's due-time tab ----------------------------------------------------------------

def test_admin_changes_a_zones_due_time_and_it_is_audited(demo_engine):
    at = signed_in("admin", ADMIN)
    zones = next(d.value for d in at.dataframe if "overrides" in d.value.columns)
    assert set(zones["due"]) == {"次日 10:00"}
    at.selectbox(key="due_zone").set_value("Z3")
    at.time_input(key="due_zone_time").set_value(dt.time(8, 30))
    at.selectbox(key="due_zone_days").set_value(1)
    at.text_input(key="due_zone_reason").set_value("改为早会前")
    next(b for b in at.button if b.label == "保存" and "due_zone_form" in str(b.form_id)).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "次日 10:00 → 次日 08:30" in texts(at)
    zones = next(d.value for d in at.dataframe if "overrides" in d.value.columns).set_index("code")
    assert zones.loc["Z3", "due"] == "次日 08:30"
    with demo_engine.connect() as conn:
        row = conn.execute(sa.select(AuditLog).where(AuditLog.action == "set_due_time")).one()
        stored = conn.execute(sa.select(WorkZone.report_due_minutes).where(WorkZone.code == "Z3")).scalar_one()
    assert stored == 24 * 60 + 8 * 60 + 30
    assert (row.username, row.table_name, row.reason) == ("admin", "work_zone", "改为早会前")
    assert json.loads(row.before)["report_due_minutes"] == 2040 and json.loads(row.after)["due"] == "08:30+1"


@pytest.mark.parametrize("lang", ["en"], indirect=True)
def test_admin_gives_a_checkpoint_its_own_due_time_and_clears_it(demo_engine, lang):
    site = road_checkpoints(demo_engine, ("Z4",))[0]
    at = signed_in("admin", ADMIN, query={"lang": lang})
    at.session_state["lang"] = lang  # AppTest drops app.py's language switch on a page switch
    at.selectbox(key="due_site").set_value(site)
    at.time_input(key="due_site_time").set_value(dt.time(18, 0))
    at.selectbox(key="due_site_days").set_value(0)
    next(b for b in at.button if "due_site_form" in str(b.form_id)).click().run()
    assert not at.error, [e.value for e in at.error]
    own = next(d.value for d in at.dataframe if "own_due" in d.value.columns)
    assert list(own["own_due"]) == ["18:00 the same day"]
    at.session_state["lang"] = lang
    at.checkbox(key="due_site_clear").check()
    next(b for b in at.button if "due_site_form" in str(b.form_id)).click().run()
    assert "No checkpoint has its own due time" in texts(at)
    with demo_engine.connect() as conn:
        changes = conn.execute(sa.select(AuditLog.after).where(AuditLog.table_name == "site")
                               .order_by(AuditLog.id)).scalars().all()
    assert [json.loads(a)["report_due_minutes"] for a in changes] == [18 * 60, None]
