"""Duty points, inspections and findings, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data_access import db, inspections
from data_access.db import write_session
from data_access.errors import ConflictError, PermissionDenied, ValidationError
from data_access.filters import Filters
from data_access.models import Finding, Inspection
from tests.test_community import audits, community_territory

TODAY = END = dt.date(2020, 2, 25)
ALL_PASS = {c: True for c in inspections.CHECKS}
D = lambda day: dt.date(2020, 2, day)  # noqa: E731


def visit(site_id, day, passed=True, **extra):
    return Inspection(site_id=site_id, day=day, inspector="纪委一组", recorded_by="seed",
                      **{c: passed for c in inspections.CHECKS}, **extra)


def inspected_territory(engine) -> dict:
    """community_territory plus visits and findings.

    东卡口 visited on the 24th (on time); 阳光小区 on the 22nd (overdue) with a failed check and two
    findings; 和平小区 on the 23rd (just on time); 王家村卡口, 幸福小区 and 西卡口 never (overdue).
    """
    ids = community_territory(engine)
    with write_session(engine) as session:
        session.add(visit(ids["east"], D(20)))
        session.add(visit(ids["east"], D(24)))
        failed = visit(ids["sun"], D(22), passed=False, remarks="夜间值守人员不在岗")
        session.add(failed)
        session.add(visit(ids["peace"], D(23)))
        session.flush()
        session.add_all([
            Finding(inspection_id=failed.id, site_id=ids["sun"], description="值守人员脱岗", owner="刘副科",
                    raised_on=D(22), due_on=D(23), fixed_on=D(23), fix_note="补排班", version=1),  # on time
            Finding(inspection_id=failed.id, site_id=ids["sun"], description="宣传材料未张贴", owner="刘副科",
                    raised_on=D(22), due_on=D(24), version=1),  # open, past due
            Finding(inspection_id=failed.id, site_id=ids["sun"], description="登记本缺页", owner="陈副科",
                    raised_on=D(14), due_on=D(16), fixed_on=D(18), fix_note="已补登", version=1),  # late
            Finding(inspection_id=failed.id, site_id=ids["sun"], description="测温枪无电", owner="陈副科",
                    raised_on=D(24), due_on=D(27), version=1),  # open, not yet due
        ])
    return ids


# ---- board reads -------------------------------------------------------------------------------

def test_duty_points_and_overdue_rule(engine):
    ids = inspected_territory(engine)
    frame = inspections.duty_points(Filters(start=D(1), end=END), engine=engine).set_index("name")
    assert set(frame.index) == {"东卡口", "西卡口", "王家村卡口", "阳光小区", "幸福小区", "和平小区"}
    assert frame.loc["东卡口", "last_day"] == D(24) and frame.loc["东卡口", "visits"] == 2
    assert frame.loc["和平小区", "days_since"] == 2 and not frame.loc["和平小区", "overdue"]
    assert frame.loc["阳光小区", "days_since"] == 3 and frame.loc["阳光小区", "overdue"]
    assert frame.loc["阳光小区", "last_passed"] is False and frame.loc["东卡口", "last_passed"] is True
    assert frame.loc["阳光小区", "open_findings"] == 2 and frame.loc["阳光小区", "past_due_findings"] == 1
    assert frame["overdue"].sum() == 4
    # as of the 21st, 东卡口's visit on the 24th has not happened yet
    earlier = inspections.duty_points(Filters(start=D(1), end=D(21)), engine=engine).set_index("name")
    assert earlier.loc["东卡口", "last_day"] == D(20) and earlier.loc["阳光小区", "last_day"] is None
    one = inspections.duty_points(Filters(site_id=ids["wang"], start=D(1), end=END), engine=engine)
    assert one["name"].tolist() == ["王家村卡口"]  # a village's filter picks its own checkpoint


def test_board_summary(engine):
    ids = inspected_territory(engine)
    summary = inspections.board_summary(Filters(start=D(1), end=END), engine=engine)
    assert summary == {"duty_points": 6, "overdue": 4, "visits": 4, "open_findings": 2, "past_due": 1, "raised": 4,
                       "due": 3, "fixed_on_time": 1, "on_time_share": pytest.approx(1 / 3)}
    zone2 = inspections.board_summary(Filters(zone_id=ids["z2"], start=D(1), end=END), engine=engine)
    assert (zone2["duty_points"], zone2["overdue"], zone2["open_findings"]) == (2, 1, 0)


def test_open_findings_by_owner_and_age(engine):
    inspected_territory(engine)
    frame = inspections.findings_by_owner(Filters(start=D(1), end=END), engine=engine)
    assert sorted(map(tuple, frame.values.tolist())) == [("刘副科", "3-6", 1, 1), ("陈副科", "0-2", 1, 0)]
    open_ = inspections.open_findings(Filters(start=D(1), end=END), engine=engine)
    assert open_["description"].tolist() == ["宣传材料未张贴", "测温枪无电"]
    assert open_["age_days"].tolist() == [3, 1] and open_["past_due"].tolist() == [True, False]
    # as of the 17th the late finding was still open and past due
    then = inspections.open_findings(Filters(start=D(1), end=D(17)), engine=engine)
    assert then["description"].tolist() == ["登记本缺页"] and then["past_due"].tolist() == [True]


def test_week_circular(engine):
    inspected_territory(engine)
    circular = inspections.week_circular(Filters(start=D(1), end=END), engine=engine)
    assert circular["start"] == D(19)
    assert circular["findings"]["description"].tolist() == ["值守人员脱岗", "宣传材料未张贴", "测温枪无电"]
    assert circular["fixed_in_week"] == 1
    assert set(circular["overdue_points"]["name"]) == {"西卡口", "王家村卡口", "阳光小区", "幸福小区"}
    assert circular["past_due"]["description"].tolist() == ["宣传材料未张贴"]


def test_demo_inspections_every_two_days_with_some_overdue(demo_engine):
    filters = Filters(start=dt.date(2020, 2, 1), end=dt.date(2020, 2, 25))
    points = inspections.duty_points(filters, engine=demo_engine)
    summary = inspections.board_summary(filters, engine=demo_engine)
    assert summary["duty_points"] == len(points) > 14  # every checkpoint and the 14 compounds
    assert (points["kind"] == "compound").sum() == 14
    assert 0 < summary["overdue"] < summary["duty_points"]
    assert summary["overdue"] == int(points["overdue"].sum())
    assert summary["past_due"] > 0 and summary["open_findings"] >= summary["past_due"]
    assert 0 < summary["on_time_share"] < 1


# ---- recording a visit -------------------------------------------------------------------------

def findings_rows(engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(Finding.description, Finding.owner, Finding.due_on, Finding.raised_on)
                            .order_by(Finding.id)).all()


def test_record_visit_with_findings_is_audited(engine):
    ids = community_territory(engine)
    version = db.data_version(engine)
    result = inspections.record_inspection(
        "clerk1", ids["sun"], D(25), {**ALL_PASS, "publicity_posted": False}, "纪委二组", "<b>宣传栏</b> 空白",
        [{"description": "宣传栏未更新", "owner": "刘副科", "due_on": D(27)},
         {"description": "测温登记不全", "owner": "张干部", "due_on": "2020-02-26"}],
        today=TODAY, engine=engine)
    assert result["action"] == "inserted" and result["findings"] == 2
    assert db.data_version(engine) == version + 1
    with engine.connect() as conn:
        stored = conn.execute(sa.select(Inspection)).one()
    assert stored.remarks == "<b>宣传栏</b> 空白"  # stored as typed; pages escape it
    assert stored.publicity_posted is False and stored.recorded_by == "clerk1"
    assert findings_rows(engine) == [("宣传栏未更新", "刘副科", D(27), D(25)), ("测温登记不全", "张干部", D(26), D(25))]
    assert [a.action for a in audits(engine, "inspection")] == ["insert"]
    assert [a.action for a in audits(engine, "finding")] == ["insert", "insert"]
    again = inspections.record_inspection(
        "clerk1", ids["sun"], D(25), {**ALL_PASS, "publicity_posted": False}, "纪委二组", "<b>宣传栏</b> 空白",
        [{"description": "宣传栏未更新", "owner": "刘副科", "due_on": D(27)}], today=TODAY, engine=engine)
    assert again["action"] == "unchanged" and len(findings_rows(engine)) == 2  # a double click saves once
    board = inspections.duty_points(Filters(start=D(1), end=END), engine=engine).set_index("name")
    assert not board.loc["阳光小区", "overdue"]


@pytest.mark.parametrize("change, field, expected_en", [
    ({"day": D(26)}, "day", "date cannot be in the future"),
    ({"day": "yesterday"}, "day", "date must look like"),
    ({"inspector": "  "}, "inspector", "required"),
    ({"checks": {**ALL_PASS, "staff_at_post": "yes"}}, "staff_at_post", "choose yes or no"),
    ({"checks": {**ALL_PASS, "staff_at_post": False}}, "findings", "a failed check needs a finding"),
    ({"findings": [{"description": "", "owner": "刘", "due_on": D(26)}]}, "description", "required"),
    ({"findings": [{"description": "x", "owner": None, "due_on": D(26)}]}, "owner", "required"),
    ({"findings": [{"description": "x", "owner": "刘", "due_on": D(20)}]}, "due_on", "the due date cannot be before"),
    ({"findings": [{"description": "x", "owner": "刘", "due_on": "2020-06-30"}]}, "due_on", "the due date is at most"),
    ({"findings": [{"description": "x", "owner": "刘", "due_on": "soon"}]}, "due_on", "date must look like"),
    ({"remarks": "a\x00b"}, "remarks", "contains control characters"),
])
def test_bad_visit_input_is_refused(engine, change, field, expected_en):
    ids = community_territory(engine)
    form = {"day": D(25), "checks": ALL_PASS, "inspector": "纪委二组", "remarks": None, "findings": []}
    form.update(change)
    with pytest.raises(ValidationError) as refused:
        inspections.record_inspection("clerk1", ids["sun"], form["day"], form["checks"], form["inspector"],
                                      form["remarks"], form["findings"], today=TODAY, engine=engine)
    assert [e.field for e in refused.value.errors] == [field]
    assert refused.value.errors[0].en.startswith(expected_en)
    assert audits(engine, "inspection") == []


@pytest.mark.parametrize("user, site", [("clerk1", "west"), ("clerk1", "peace"), ("viewer1", "east")])
def test_visit_rights(engine, user, site):
    ids = community_territory(engine)
    with pytest.raises(PermissionDenied):
        inspections.record_inspection(user, ids[site], D(25), ALL_PASS, "纪委", today=TODAY, engine=engine)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Inspection)).scalar_one() == 0


def test_villages_are_not_duty_points(engine):
    ids = community_territory(engine)
    with pytest.raises(ValidationError):
        inspections.record_inspection("super1", ids["wang"], D(25), ALL_PASS, "纪委", today=TODAY, engine=engine)


# ---- closing a finding -------------------------------------------------------------------------

def open_finding(engine, description="宣传材料未张贴"):
    with engine.connect() as conn:
        return conn.execute(sa.select(Finding).where(Finding.description == description)).one()


def test_close_finding_records_how_and_when(engine):
    inspected_territory(engine)
    row = open_finding(engine)
    result = inspections.close_finding("clerk1", row.id, D(25), "已张贴 <海报>", row.version, today=TODAY, engine=engine)
    assert result == {"action": "close", "version": 2}
    closed = open_finding(engine)
    assert (closed.fixed_on, closed.fix_note, closed.updated_by) == (D(25), "已张贴 <海报>", "clerk1")
    assert [(a.action, a.row_id) for a in audits(engine, "finding")] == [("close", row.id)]
    summary = inspections.board_summary(Filters(start=D(1), end=END), engine=engine)
    assert summary["open_findings"] == 1 and summary["past_due"] == 0
    # the same form saved again changes nothing
    assert inspections.close_finding("clerk1", row.id, D(25), "已张贴 <海报>", row.version, today=TODAY,
                                     engine=engine)["action"] == "unchanged"


def test_closing_from_a_stale_form_is_refused(engine):
    inspected_territory(engine)
    row = open_finding(engine)
    inspections.close_finding("super1", row.id, D(24), "电话督促", row.version, today=TODAY, engine=engine)
    with pytest.raises(ConflictError):
        inspections.close_finding("clerk1", row.id, D(25), "已张贴", row.version, today=TODAY, engine=engine)
    assert open_finding(engine).fix_note == "电话督促"


@pytest.mark.parametrize("fixed_on, note, field", [
    (D(26), "ok", "fixed_on"), (D(21), "ok", "fixed_on"), (D(25), "", "fix_note"), ("x", "ok", "fixed_on")])
def test_bad_close_input(engine, fixed_on, note, field):
    inspected_territory(engine)
    row = open_finding(engine)
    with pytest.raises(ValidationError) as refused:
        inspections.close_finding("clerk1", row.id, fixed_on, note, row.version, today=TODAY, engine=engine)
    assert refused.value.errors[0].field == field
    assert open_finding(engine).fixed_on is None


@pytest.mark.parametrize("user", ["viewer1"])
def test_close_rights(engine, user):
    inspected_territory(engine)
    row = open_finding(engine)
    with pytest.raises(PermissionDenied):
        inspections.close_finding(user, row.id, D(25), "ok", row.version, today=TODAY, engine=engine)


def test_clerk_sees_and_closes_only_own_zone(engine):
    ids = inspected_territory(engine)
    with write_session(engine) as session:
        west_visit = visit(ids["west"], D(24))
        session.add(west_visit)
        session.flush()
        session.add(Finding(inspection_id=west_visit.id, site_id=ids["west"], description="西卡口无登记",
                            owner="王", raised_on=D(24), due_on=D(25), version=1))
    from data_access import auth

    clerk = auth.authenticate("clerk1", "pw12-pw12", engine)
    assert "西卡口无登记" not in inspections.closable_findings(clerk, END, engine=engine)["description"].tolist()
    row = open_finding(engine, "西卡口无登记")
    with pytest.raises(PermissionDenied):
        inspections.close_finding("clerk1", row.id, D(25), "ok", row.version, today=TODAY, engine=engine)
    assert set(inspections.writable_points(clerk, engine=engine)["name"]) == {"东卡口", "王家村卡口", "阳光小区", "幸福小区"}


def test_duty_points_equal_a_plain_recount_of_the_demo_visits(demo_engine):
    """Last visit, visits in the range and whether the last visit passed, read per point through the
    (site, day) index (issue 14), equal the visits recounted in Python, for several ranges."""
    with demo_engine.connect() as conn:
        visits = conn.execute(sa.select(Inspection.site_id, Inspection.day,
                                        *[getattr(Inspection, c) for c in inspections.CHECKS])).all()
    last = max(v.day for v in visits)
    for start, end in ((last - dt.timedelta(days=30), last), (last - dt.timedelta(days=3), last - dt.timedelta(days=5)),
                       (last - dt.timedelta(days=9), last - dt.timedelta(days=4))):
        frame = inspections.duty_points(Filters(start=start, end=end), engine=demo_engine)
        assert len(frame)
        for point in frame.itertuples():
            mine = [v for v in visits if v.site_id == point.site_id and v.day <= end]
            last_day = max((v.day for v in mine), default=None)
            assert point.last_day == last_day
            assert point.visits == sum(1 for v in mine if v.day >= start)
            passed = [all(v[2:]) for v in mine if v.day == last_day]
            assert point.last_passed == (min(passed) if passed else None)
