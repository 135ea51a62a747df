"""A day that is only partly reported, on SQLite and PostgreSQL (issue 10).

The demo as it is: 02-25 is complete, so nothing says "n/m". Then the Z1 clerk saves 02-26 for their 2 of
12 checkpoints in the evening (the clock, DASHBOARD_NOW, well before 10:00 on 02-27): the traffic page
shows 2/12 and a like-for-like change; the wall keeps 02-25's whole figures, labelled, with "2/12" and a
calm "待上报 10", no late alert. With the clock past 02-27 10:00 the 10 missing checkpoints are late
alerts, each with its due time, how late and who answers.
"""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data_access import traffic_entry
from data_access.models import CheckpointDay, Site, WorkZone
from tests.apptest_helpers import app, signed_in, texts

LAST, NEXT = dt.date(2020, 2, 25), dt.date(2020, 2, 26)
EVENING = "2020-02-26T21:00:00+08:00"
AFTER_DUE = "2020-02-27T11:00:00+08:00"
GRAY, UP = 2, 1  # st.metric's delta colour and arrow (Metric proto)


def save_two_of_twelve(engine) -> None:
    """The Z1 clerk's 2 checkpoints for 02-26: each 10 vehicles and 20 persons more than on 02-25."""
    with engine.connect() as conn:
        before = conn.execute(sa.select(CheckpointDay.site_id, CheckpointDay.vehicles, CheckpointDay.persons)
                              .join(Site, Site.id == CheckpointDay.site_id).join(WorkZone)
                              .where(WorkZone.code == "Z1", Site.checkpoint_type == "road",
                                     CheckpointDay.day == LAST)).all()
    assert len(before) == 2
    traffic_entry.save_checkpoint_days("clerk", NEXT, [
        {"site_id": site, "version": None, "vehicles": vehicles + 10, "persons": persons + 20,
         "persons_from_outside": 1, "turned_back": 0, "abnormal_temperature": 0}
        for site, vehicles, persons in before], engine=engine)


@pytest.fixture
def two_of_twelve(demo_engine, monkeypatch):
    monkeypatch.setenv("DASHBOARD_NOW", EVENING)
    save_two_of_twelve(demo_engine)
    return demo_engine


def tile(at, label: str):
    """The metric whose label is `label`, or `label · …` (completeness or a panel's own day beside it)."""
    for element in at.metric:
        if element.label == label or element.label.startswith(label + " · "):
            return element
    raise AssertionError(f"no metric {label!r}; have {[m.label for m in at.metric]}")


def no_red_drop(at) -> None:
    for element in at.metric:
        assert not (element.delta or "").startswith("-"), (element.label, element.delta)


def traffic_page():
    at = signed_in("supervisor")
    assert not at.exception, at.exception
    return at


def wall():
    at = app({"key": "demo-wall"})
    at.run()
    assert not at.exception, at.exception
    return at


def alert_lines(at) -> list[str]:
    return [m.value for m in at.markdown if "应于" in m.value]


def table(at):
    return at.dataframe[0].value


# ---- the demo as it is: 02-25 complete ------------------------------------------------------------

def test_the_demo_traffic_page_says_nothing_of_completeness(demo_engine):
    at = traffic_page()
    vehicles = tile(at, "当日车辆")
    assert vehicles.label == "当日车辆" and vehicles.value == "1,055"
    assert vehicles.delta == "+25" and vehicles.proto.direction == UP  # 02-25 against 02-24, all 12 on both
    assert "已上报" not in "".join(m.label for m in at.metric)
    assert "12 个卡口全部上报" in texts(at)
    assert set(table(at)["report_status"]) == {"按时"}


def test_the_demo_wall_says_nothing_of_completeness(demo_engine):
    at = wall()
    header = texts(at)
    assert "数据截至 2020-02-25" in header and "已上报" not in header and "待上报" not in header
    assert tile(at, "当日车辆").value == "1,055" and tile(at, "当日车辆").delta == "+25"
    assert not alert_lines(at)
    # each panel as of its own line's day: the survey's last round was on 02-24, the rest on 02-25
    assert tile(at, "农村已摸排（户）").label.endswith("截至02-24")
    assert tile(at, "批复复工企业").label == "批复复工企业"
    no_red_drop(at)


# ---- 2 of 12 in, before the due time ----------------------------------------------------------------

def test_the_traffic_page_says_2_of_12_and_compares_like_for_like(two_of_twelve):
    at = traffic_page()
    assert at.session_state["filters"].end == NEXT  # the range follows the new day
    vehicles, persons = tile(at, "当日车辆"), tile(at, "当日人员")
    assert vehicles.label == "当日车辆 · 2/12 已上报" and persons.label == "当日人员 · 2/12 已上报"
    assert vehicles.delta == "同口径 2 个卡口 +20" and persons.delta == "同口径 2 个卡口 +40"
    assert vehicles.proto.color == GRAY and persons.proto.color == GRAY  # calm, whatever the sign
    no_red_drop(at)
    assert "2/12 已上报 · 待上报 10（02-27 10:00 前）" in texts(at)
    status = table(at)["report_status"].value_counts()
    assert status["按时"] == 2 and status["待上报（02-27 10:00 前）"] == 10


def test_the_wall_keeps_the_last_whole_day_and_says_2_of_12(two_of_twelve):
    at = wall()
    shown = texts(at)
    assert "数据截至 2020-02-25 (周二) 全天" in shown and "02-26 已上报 2/12" in shown
    vehicles = tile(at, "当日车辆")
    assert (vehicles.label, vehicles.value, vehicles.delta) == ("当日车辆", "1,055", "+25")  # 02-25 whole
    assert tile(at, "累计车辆").value == "15,294"  # the partial day is not mixed in
    assert "02-26 待上报 10（02-27 10:00 前）" in shown  # one calm count
    assert not alert_lines(at) and "今日未上报" not in shown  # nobody is late yet
    assert tile(at, "批复复工企业").value == "69" and tile(at, "批复复工企业").label == "批复复工企业"
    no_red_drop(at)


# ---- past the due time --------------------------------------------------------------------------

def test_after_the_due_time_the_ten_missing_checkpoints_are_late(two_of_twelve, monkeypatch):
    monkeypatch.setenv("DASHBOARD_NOW", AFTER_DUE)
    at = wall()
    lines = alert_lines(at)
    assert len(lines) == 10, lines
    for line in lines:
        assert "应于 02-27 10:00 前上报 · 已晚 1 小时 · " in line
        assert line.rsplit(" · ", 1)[1].strip()  # who answers: the clerk or the site's lead
    assert any("第一工作管区填报员" not in line for line in lines)  # lead cadres answer where no clerk does
    assert "待上报" not in texts(at)
    assert "02-26 已上报 2/12" in texts(at)
    no_red_drop(at)

    page = traffic_page()
    assert "逾期未报 10" in texts(page)
    assert (table(page)["report_status"] == "逾期 1 小时").sum() == 10


def test_late_alerts_name_their_clerk_and_the_column_says_what_it_leaves_out(demo_engine, monkeypatch):
    """Nobody reported 02-26: all 12 are late. Z1 has a clerk, so its alerts name the clerk, then the lead.
    The column holds what fits the screen and says how many more there are."""
    monkeypatch.setenv("DASHBOARD_NOW", AFTER_DUE)
    at = wall()
    lines = alert_lines(at)
    z1 = [line for line in lines if "第一工作管区填报员" in line]
    assert len(z1) == 2 and all("、" in line.rsplit(" · ", 1)[1] for line in z1)
    shown_alerts = len([m for m in at.markdown if m.value.startswith((":red[", ":orange[", ":blue[:material/inventory"))])
    total = int(next(s.value for s in at.subheader if s.value.startswith("需要处理")).strip("需要处理（）"))
    more = [c.value for c in at.caption if c.value.startswith("另有")]
    assert len(lines) >= 10 and more == [f"另有 {total - shown_alerts} 项"], (len(lines), total, more)


# ---- the data behind it: data_access.reporting and alerts ---------------------------------------------

def _at(text: str):
    from data_access import clock

    return clock.parse(text)


def test_day_report_partial_whole_and_empty(two_of_twelve):
    from data_access import reporting
    from data_access.filters import Filters

    everywhere = Filters(start=dt.date(2020, 2, 1), end=NEXT)
    partial = reporting.day_report(NEXT, everywhere, _at(EVENING))
    assert (partial["reported"], partial["expected"], partial["partial"], partial["like_for_like"]) == (2, 12, True, True)
    assert partial["sites"] == 2 and partial["change"]["vehicles"] == 20
    whole = reporting.day_report(LAST, everywhere, _at(EVENING))
    assert (whole["partial"], whole["like_for_like"], whole["sites"]) == (False, False, 12)
    nothing = reporting.day_report(NEXT + dt.timedelta(days=1), everywhere, _at(EVENING))
    assert nothing["reported"] == 0 and nothing["change"] is None  # no site reported both days: no change at all


def test_the_walls_day_is_the_last_complete_one(two_of_twelve):
    from data_access import reporting
    from data_access.filters import Filters

    day = reporting.wall_day(Filters(), NEXT, _at(EVENING))
    assert day == {"day": LAST, "newer": {"day": NEXT, "reported": 2, "expected": 12}}
    with two_of_twelve.connect() as conn:
        z1 = conn.execute(sa.select(WorkZone.id).where(WorkZone.code == "Z1")).scalar_one()
    assert reporting.wall_day(Filters(zone_id=z1), NEXT, _at(EVENING)) == {"day": NEXT, "newer": None}  # Z1 is all in


def test_not_yet_due_is_counted_once_the_day_is_over_or_begun(demo_engine):
    from data_access import reporting
    from data_access.filters import Filters

    assert reporting.pending(Filters(), _at("2020-02-26T09:30:00+08:00")) == []  # 02-26 has just begun
    before_due = reporting.pending(Filters(), _at("2020-02-27T09:00:00+08:00"))  # 02-26 is over, due at 10:00
    assert [(p["day"], p["count"]) for p in before_due] == [(NEXT, 12)]
    assert reporting.overdue(Filters(), _at("2020-02-27T09:00:00+08:00")).empty
    late = reporting.overdue(Filters(), _at("2020-02-29T11:00:00+08:00"))  # 02-26, 02-27 and 02-28 all missed
    assert len(late) == 12 and set(late["missed_days"]) == {3} and set(late["day"]) == {NEXT}
    assert set(late["late_minutes"]) == {2 * 24 * 60 + 60}  # counted from the oldest missed day's due time


def test_a_new_traffic_day_does_not_make_reopening_cases_look_stuck_longer(demo_engine, monkeypatch):
    from data_access import alerts
    from data_access.filters import Filters

    board = Filters(start=dt.date(2020, 2, 1), end=NEXT)
    monkeypatch.setenv("DASHBOARD_NOW", EVENING)
    before = alerts.alerts(board)["kind"].value_counts().to_dict()
    save_two_of_twelve(demo_engine)
    after = alerts.alerts(board)["kind"].value_counts().to_dict()
    assert after == before and "overdue_report" not in after
    monkeypatch.setenv("DASHBOARD_NOW", AFTER_DUE)
    late = alerts.alerts(board)
    assert (late["kind"] == "overdue_report").sum() == 10
    assert list(late["kind"][:10]) == ["overdue_report"] * 10  # late reports lead the column


def test_in_english(two_of_twelve, monkeypatch):
    at = app({"key": "demo-wall", "lang": "en"})
    at.run()
    assert not at.exception, at.exception
    assert "As of 2020-02-25 (Tue), whole day" in texts(at) and "02-26: 2/12 in" in texts(at)
    assert "02-26: 10 not yet due (by 02-27 10:00)" in texts(at)
    monkeypatch.setenv("DASHBOARD_NOW", AFTER_DUE)
    at.run()
    assert len([m for m in at.markdown if "due 02-27 10:00 · 1 h late · " in m.value]) == 10
    page = signed_in("supervisor", query={"lang": "en"})
    assert tile(page, "Vehicles on the day").label == "Vehicles on the day · 2/12 reported"
    assert tile(page, "Vehicles on the day").delta == "same 2 checkpoints +20"
