"""Issue 16's duty roster data layer (data_access/roster.py) on SQLite and PostgreSQL: shifts covering the
day, head counts, the week grid (read, save, a stale cell refused whole, scope), warnings for double booking
and too many hours in a row (across midnight), on duty now and its gaps (empty vs short) as the wall reads
them, copy last week, and absences marked by a failed inspection."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data_access import alerts, auth, clock, db, inspections, roster
from data_access.errors import ConflictError, PermissionDenied, ValidationError
from data_access.filters import Filters
from data_access.models import AuditLog, DutyAssignment, Inspection, OrgUnit, Person, Site
from tests.helpers import minimal_territory

MONDAY = dt.date(2020, 2, 24)
TODAY = dt.date(2020, 2, 25)  # Tuesday


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clock.zone())


@pytest.fixture
def world(engine):
    """minimal_territory (东卡口 in zone 1, 西卡口 in zone 2), a compound in zone 1, a second clerk of zone 1,
    and five people: 张三, 李四, 王五 (zone 1 staff), 赵六 (task force, no zone), 钱七 (left)."""
    ids = minimal_territory(engine)
    auth.add_user("clerk2", "pw12-pw12", "clerk", zone_codes=["Z1"], engine=engine)
    with db.write_session(engine) as session:
        compound = Site(kind="compound", zone_id=ids["z1"], name="幸福小区")
        staff = OrgUnit(code="Z1-staff", name="一区工作人员", kind="zone_staff", zone_id=ids["z1"], version=1)
        force = OrgUnit(code="tax", name="税务局", kind="task_force", version=1)
        session.add_all([compound, staff, force])
        session.flush()
        people = {key: Person(name=name, unit_id=unit.id, zone_id=unit.zone_id, status=status, version=1)
                  for key, name, unit, status in [("p1", "张三", staff, "active"), ("p2", "李四", staff, "active"),
                                                   ("p3", "王五", staff, "active"), ("p4", "赵六", force, "active"),
                                                   ("p5", "钱七", staff, "left")]}
        session.add_all(people.values())
        session.flush()
        ids.update(compound=compound.id, **{key: person.id for key, person in people.items()})
    shifts = roster.shifts(engine)
    ids.update({code: int(shift_id) for code, shift_id in zip(shifts["code"], shifts["shift_id"])})
    return ids


def cell(ids, day, shift, people, loaded=()):
    return {"day": day, "shift_id": ids[shift], "person_ids": [ids[p] for p in people],
            "loaded_person_ids": [ids[p] for p in loaded]}


def stored(engine, site_id) -> set[tuple]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(DutyAssignment.day, DutyAssignment.shift_id, DutyAssignment.person_id)
                                .where(DutyAssignment.site_id == site_id)).all())


def count(engine, model, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def only(frame, **match):
    for key, value in match.items():
        frame = frame[frame[key] == value]
    assert len(frame) == 1, match
    return frame.iloc[0]


# ---- shifts and head counts ---------------------------------------------------------------------------

def test_the_shifts_cover_the_day_and_head_counts_default_to_one(engine, world):
    shifts = roster.shifts(engine)
    assert list(shifts["code"]) == ["night", "day", "evening"]
    assert list(zip(shifts["start_minute"], shifts["end_minute"])) == [(0, 480), (480, 960), (960, 1440)]
    every = sum(1 for minute in range(0, 1440, 30) if roster.shift_at(at(TODAY, 0) + dt.timedelta(minutes=minute),
                                                                           engine) is not None)
    assert every == 48  # each half hour of the day has its shift
    assert roster.shift_at(at(TODAY, 23, 59), engine)["shift_id"] == world["evening"]
    assert roster.shift_moment(at(TODAY, 9, 30), engine) == at(TODAY, 8)
    points = roster.duty_points(Filters(zone_id=world["z1"]), engine)
    assert list(points["name"]) == ["东卡口", "幸福小区"] or set(points["name"]) == {"东卡口", "幸福小区"}
    need = roster.requirements(Filters(), engine)
    assert len(need) == 3 * 3 and set(need["required"]) == {roster.DEFAULT_REQUIRED}
    with pytest.raises(PermissionDenied):
        roster.save_requirements("clerk1", [{"site_id": world["cp1"], "shift_id": world["day"], "required": 2}], engine)
    done = roster.save_requirements("super1", [{"site_id": world["cp1"], "shift_id": world["day"], "required": 2}],
                                    engine)
    assert done == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert only(roster.requirements(Filters(), engine), site_id=world["cp1"], shift_id=world["day"])["required"] == 2
    with pytest.raises(ValidationError):
        roster.save_requirements("super1", [{"site_id": world["village"], "shift_id": world["day"], "required": 1}],
                                 engine)  # a village is no duty point
    with pytest.raises(PermissionDenied):
        roster.save_shift("super1", None, {"code": "x", "name": "x", "start_minute": 0, "end_minute": 60}, engine=engine)
    with pytest.raises(ValidationError):  # overlaps the night shift
        roster.save_shift("admin1", None, {"code": "x", "name": "x", "start_minute": 0, "end_minute": 60}, engine=engine)
    roster.save_shift("admin1", world["night"], {"code": "night", "name": "夜班", "start_minute": 0, "end_minute": 480},
                      version=1, engine=engine)
    assert roster.shifts(engine)["name"].iloc[0] == "夜班"
    assert count(engine, AuditLog, AuditLog.table_name.in_(["duty_post", "duty_shift"])) == 2


# ---- the week grid ------------------------------------------------------------------------------------

def test_a_week_is_saved_read_and_audited(engine, world):
    before = db.line_versions(engine)["duty"]
    result = roster.save_week("clerk1", world["cp1"], [cell(world, MONDAY, "day", ["p1", "p2"]),
                                                       cell(world, TODAY, "night", ["p4"])], engine)
    assert result == {"changed": 2, "warnings": []}
    assert db.line_versions(engine)["duty"] == before + 1
    grid = roster.week(world["cp1"], MONDAY, engine)
    assert len(grid) == 7 * 3 and list(grid.columns) == ["day", "shift_id", "shift", "required", "person_ids", "names",
                                                          "absent_names"]
    monday_day = only(grid, day=MONDAY, shift_id=world["day"])
    assert monday_day["person_ids"] == tuple(sorted([world["p1"], world["p2"]])) and monday_day["names"] == "张三、李四"
    assert only(grid, day=TODAY, shift_id=world["night"])["names"] == "赵六"  # a task force member serves anywhere
    assert only(grid, day=TODAY, shift_id=world["day"])["person_ids"] == ()
    # a change: one out, one in; an unchanged cell sent again is no change
    result = roster.save_week("clerk1", world["cp1"], [cell(world, MONDAY, "day", ["p1", "p3"], loaded=["p1", "p2"]),
                                                       cell(world, TODAY, "night", ["p4"], loaded=["p4"])], engine)
    assert result["changed"] == 1
    assert only(roster.week(world["cp1"], MONDAY, engine), day=MONDAY, shift_id=world["day"])["names"] == "张三、王五"
    with engine.connect() as conn:
        rows = conn.execute(sa.select(AuditLog.username, AuditLog.action, AuditLog.before, AuditLog.after)
                            .where(AuditLog.table_name == "duty_assignment").order_by(AuditLog.id)).all()
    assert len(rows) == 3 and {r.username for r in rows} == {"clerk1"}
    assert "张三、李四" in rows[2].before and "张三、王五" in rows[2].after
    # someone no longer serving cannot be put on duty
    with pytest.raises(ValidationError) as refused:
        roster.save_week("clerk1", world["cp1"], [cell(world, TODAY, "day", ["p5"])], engine)
    assert "钱七" in refused.value.errors[0].zh


def test_two_clerks_on_one_cell_the_second_is_refused_and_saves_nothing(engine, world):
    roster.save_week("clerk1", world["cp1"], [cell(world, TODAY, "day", ["p1"])], engine)
    loaded = roster.week(world["cp1"], MONDAY, engine)
    cell_loaded = list(only(loaded, day=TODAY, shift_id=world["day"])["person_ids"])
    assert cell_loaded == [world["p1"]]
    # both load [张三]; clerk1 adds 李四 and saves first
    roster.save_week("clerk1", world["cp1"], [cell(world, TODAY, "day", ["p1", "p2"], loaded=["p1"])], engine)
    before = stored(engine, world["cp1"])
    with pytest.raises(ConflictError) as refused:
        roster.save_week("clerk2", world["cp1"], [cell(world, MONDAY, "evening", ["p3"]),  # fine on its own
                                                  cell(world, TODAY, "day", ["p1", "p3"], loaded=["p1"])], engine)
    assert refused.value.rows == [1]
    assert stored(engine, world["cp1"]) == before  # nothing partial: Monday's evening not saved either
    # the same people sent from a stale page is no conflict: nothing to change
    assert roster.save_week("clerk2", world["cp1"], [cell(world, TODAY, "day", ["p1", "p2"], loaded=["p1"])],
                            engine)["changed"] == 0


def test_scope_a_clerk_outside_the_zone_and_a_viewer_are_refused(engine, world):
    with pytest.raises(PermissionDenied):
        roster.save_week("clerk1", world["cp2"], [cell(world, TODAY, "day", ["p1"])], engine)  # 西卡口: zone 2
    with pytest.raises(PermissionDenied):
        roster.save_week("viewer1", world["cp1"], [cell(world, TODAY, "day", ["p1"])], engine)
    with pytest.raises(PermissionDenied):
        roster.copy_last_week("clerk1", None, world["z2"], MONDAY, engine)
    with pytest.raises(PermissionDenied):
        roster.copy_last_week("viewer1", world["cp1"], None, MONDAY, engine)
    with pytest.raises(ValidationError):
        roster.save_week("super1", world["village"], [cell(world, TODAY, "day", ["p1"])], engine)
    assert count(engine, DutyAssignment) == 0
    assert count(engine, AuditLog, AuditLog.table_name == "duty_assignment") == 0
    roster.save_week("super1", world["cp2"], [cell(world, TODAY, "day", ["p4"])], engine)  # supervisors anywhere
    assert len(stored(engine, world["cp2"])) == 1


# ---- warnings -----------------------------------------------------------------------------------------

def test_double_booking_is_found_and_saved_with_a_warning(engine, world):
    roster.save_week("super1", world["cp2"], [cell(world, TODAY, "day", ["p4"])], engine)
    result = roster.save_week("clerk1", world["cp1"], [cell(world, TODAY, "day", ["p1", "p4"])], engine)
    assert len(stored(engine, world["cp1"])) == 2  # a warning, not a refusal
    [warning] = result["warnings"]
    assert (warning["kind"], warning["person"], warning["day"], warning["site"], warning["other_site"]) == (
        "double_booked", "赵六", TODAY, "东卡口", "西卡口")
    found = roster.warnings(Filters(), MONDAY, MONDAY + dt.timedelta(days=6), engine)
    assert list(found.columns) == roster.WARNING_COLUMNS
    assert list(found["kind"]) == ["double_booked"] and found.iloc[0]["person_id"] == world["p4"]
    assert roster.warnings(Filters(), MONDAY, MONDAY, engine).empty  # not on that day
    assert len(roster.warnings(Filters(zone_id=world["z2"]), TODAY, TODAY, engine)) == 1  # either point finds it


def test_too_many_hours_in_a_row_across_midnight(engine, world):
    wednesday = TODAY + dt.timedelta(days=1)
    # evening (16-24) and the next night (0-8): 16 hours, the limit itself: no warning
    result = roster.save_week("clerk1", world["cp1"], [cell(world, TODAY, "evening", ["p1"]),
                                                       cell(world, wednesday, "night", ["p1"])], engine)
    assert result["warnings"] == []
    # and the day shift after it, at another point: 24 hours in a row
    result = roster.save_week("clerk1", world["compound"], [cell(world, wednesday, "day", ["p1"])], engine)
    [warning] = result["warnings"]
    assert (warning["kind"], warning["person"], warning["day"], warning["hours"]) == ("too_long", "张三", TODAY, 24.0)
    found = roster.warnings(Filters(site_id=world["compound"]), wednesday, wednesday, engine)
    assert list(found["kind"]) == ["too_long"] and found.iloc[0]["hours"] == 24.0
    # a gap of a shift breaks the stretch
    roster.save_week("clerk1", world["cp1"], [cell(world, wednesday, "night", [], loaded=["p1"])], engine)
    assert roster.warnings(Filters(), MONDAY, MONDAY + dt.timedelta(days=6), engine).empty
    # the limit is a setting
    with db.write_session(engine) as session:
        session.execute(sa.text("INSERT INTO setting (key, value) VALUES ('duty_max_hours', '7')"))
    assert roster.max_hours_in_row(engine) == 7
    assert set(roster.warnings(Filters(), TODAY, wednesday, engine)["kind"]) == {"too_long"}


# ---- on duty now, gaps, the wall ----------------------------------------------------------------------

@pytest.fixture
def tuesday(engine, world):
    """On TODAY's day shift: 东卡口 needs 2, has 张三 and 李四 (one later marked absent: short);
    西卡口 needs 1, nobody rostered (empty); 幸福小区 needs 1, has 王五 (full) and nobody on the evening."""
    roster.save_requirements("super1", [{"site_id": world["cp1"], "shift_id": world["day"], "required": 2}], engine)
    roster.save_week("clerk1", world["cp1"], [cell(world, TODAY, "day", ["p1", "p2"]),
                                              cell(world, TODAY, "evening", ["p1"]),
                                              cell(world, TODAY, "night", [])], engine)
    roster.save_week("clerk1", world["compound"], [cell(world, TODAY, "day", ["p3"]),
                                                   cell(world, TODAY, "night", ["p3"])], engine)
    return world


def test_on_duty_now_and_the_tile(engine, tuesday):
    ids, now = tuesday, at(TODAY, 9, 30)
    board = roster.on_duty(Filters(), now, engine)
    assert list(board.columns) == roster.ON_DUTY_COLUMNS
    assert len(board) == 3 * 2  # the night shift is over: day and evening, the current one first
    assert list(board["shift_id"][:3]) == [ids["day"]] * 3
    east = only(board, site_id=ids["cp1"], shift_id=ids["day"])
    assert (east["required"], east["rostered"], east["present"], east["short"], east["names"]) == (2, 2, 2, False,
                                                                                                     "张三、李四")
    west = only(board, site_id=ids["cp2"], shift_id=ids["day"])
    assert (west["required"], west["rostered"], west["present"], west["short"], west["names"]) == (1, 0, 0, True, "")
    assert roster.duty_tile(Filters(), now, engine) == {"present": 3, "required": 4, "points_short": 1,
                                                        "points_empty": 1, "shift": "8-16"}
    assert roster.duty_tile(Filters(zone_id=ids["z1"]), now, engine)["required"] == 3
    # a surplus at one point does not fill a gap at another
    roster.save_week("clerk1", ids["compound"], [cell(ids, TODAY, "day", ["p3", "p4"], loaded=["p3"])], engine)
    assert roster.duty_tile(Filters(), now, engine)["present"] == 3
    # between midnight and the first shift of the next day: the night shift
    assert roster.duty_tile(Filters(), at(TODAY, 3), engine)["shift"] == "0-8"


def test_gaps_empty_and_short_and_the_alerts(engine, tuesday):
    ids, now = tuesday, at(TODAY, 9, 30)
    gaps = roster.gaps(Filters(), now, engine=engine)
    assert list(gaps.columns) == roster.GAP_COLUMNS
    # empty first, by shift start, zone and point: 西卡口 now, then the evening's 幸福小区 (zone 1) and 西卡口
    assert [(g.site, g.shift_id, g.empty) for g in gaps.itertuples()] == [
        ("西卡口", ids["day"], True), ("幸福小区", ids["evening"], True), ("西卡口", ids["evening"], True)]
    assert roster.count_gaps(Filters(), now, engine) == {"total": 3, "empty": 3}
    roster.save_week("clerk1", ids["cp1"], [cell(ids, TODAY, "day", ["p1"], loaded=["p1", "p2"])], engine)
    gaps = roster.gaps(Filters(), now, engine=engine)
    assert len(gaps) == 4 and list(gaps["empty"]) == [True, True, True, False]
    short = gaps.iloc[3]
    assert (short["site"], short["required"], short["present"]) == ("东卡口", 2, 1)
    assert len(roster.gaps(Filters(), now, limit=2, engine=engine)) == 2
    assert roster.count_gaps(Filters(zone_id=ids["z1"]), now, engine) == {"total": 2, "empty": 1}
    # the evening: the day shift's gaps are over
    assert roster.count_gaps(Filters(), at(TODAY, 17), engine)["total"] == 2
    # the wall's alerts: red for nobody, 2 for short; top() is the head of every alert
    filters = Filters(start=TODAY - dt.timedelta(days=7), end=TODAY)
    every = alerts.alerts(filters, now, engine=engine)
    duty = every[every["kind"] == "duty_gap"]
    assert len(duty) == 4
    assert list(duty["urgency"]) == [1, 1, 1, 2]
    assert only(duty, urgency=2)["detail"] == "8-16 1/2" and only(duty, urgency=2)["subject"] == "东卡口"
    for limit in (1, 2, 5, 40):
        top = alerts.top(filters, now, limit, engine=engine)
        assert top["total"] == len(every)
        assert list(top["rows"]["kind"]) == list(every.head(limit)["kind"])
        assert list(top["rows"]["subject"]) == list(every.head(limit)["subject"])


def test_the_walls_reads_use_the_day_index(engine, tuesday):
    """The day's counts are read through ix_duty_assignment_day, never the whole roster."""
    counts = (sa.select(DutyAssignment.shift_id, DutyAssignment.site_id, sa.func.count())
              .where(DutyAssignment.day == TODAY, DutyAssignment.shift_id.in_([tuesday["day"], tuesday["evening"]]))
              .group_by(DutyAssignment.shift_id, DutyAssignment.site_id))
    sql = str(counts.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(row) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")  # a few rows: the planner would rightly scan them
            plan = " ".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + sql))
    assert "ix_duty_assignment_day" in plan


# ---- copy last week -----------------------------------------------------------------------------------

def test_copy_last_week_fills_empty_cells_only_and_skips_people_gone(engine, world):
    last_monday = MONDAY - dt.timedelta(days=7)
    with db.write_session(engine) as session:  # 钱七 served last week, before leaving
        session.add(DutyAssignment(site_id=world["cp1"], day=last_monday, shift_id=world["night"],
                                   person_id=world["p5"], recorded_by="admin1"))
    roster.save_week("clerk1", world["cp1"], [cell(world, last_monday, "day", ["p1", "p2"]),
                                              cell(world, last_monday + dt.timedelta(days=1), "day", ["p3"]),
                                              cell(world, last_monday + dt.timedelta(days=1), "evening", ["p1"])],
                     engine)
    roster.save_week("clerk1", world["cp1"], [cell(world, TODAY, "day", ["p4"])], engine)  # already filled
    audits = count(engine, AuditLog, AuditLog.table_name == "duty_assignment")
    result = roster.copy_last_week("clerk1", world["cp1"], None, MONDAY, engine)
    assert result == {"copied": 3, "skipped": 2, "filled": 1, "inactive": 1}
    grid = roster.week(world["cp1"], MONDAY, engine)
    assert only(grid, day=MONDAY, shift_id=world["day"])["names"] == "张三、李四"
    assert only(grid, day=TODAY, shift_id=world["day"])["names"] == "赵六"  # not overwritten
    assert only(grid, day=TODAY, shift_id=world["evening"])["names"] == "张三"
    assert only(grid, day=MONDAY, shift_id=world["night"])["names"] == ""  # 钱七 has left
    assert count(engine, AuditLog, AuditLog.table_name == "duty_assignment") == audits + 1
    # again: every cell is filled now
    assert roster.copy_last_week("clerk1", None, world["z1"], MONDAY, engine)["copied"] == 0


# ---- inspections --------------------------------------------------------------------------------------

FAILED = {"staff_at_post": False, "no_dereliction": True, "travellers_screened": True, "publicity_posted": True}
FINDING = [{"description": "岗位无人", "owner": "张三", "due_on": TODAY}]


def test_a_failed_inspection_marks_the_rostered_people_absent(engine, tuesday):
    ids, now = tuesday, at(TODAY, 9, 30)
    assert list(roster.rostered(ids["cp1"], TODAY, ids["day"], engine)["name"]) == ["张三", "李四"]
    result = inspections.record_inspection("clerk1", ids["cp1"], TODAY, FAILED, "纪委", findings=FINDING, today=TODAY,
                                           engine=engine, shift_id=ids["day"])
    assert result["absent"] == ["张三", "李四"] and result["shift_id"] == ids["day"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(Inspection.shift_id).where(Inspection.id == result["inspection_id"])).scalar() \
            == ids["day"]
        marked = conn.execute(sa.select(DutyAssignment.absent_inspection_id).where(
            DutyAssignment.site_id == ids["cp1"], DutyAssignment.day == TODAY, DutyAssignment.shift_id == ids["day"])).all()
    assert [m for (m,) in marked] == [result["inspection_id"]] * 2
    assert count(engine, AuditLog, AuditLog.action == "absent", AuditLog.table_name == "duty_assignment") == 1
    people = roster.rostered(ids["cp1"], TODAY, ids["day"], engine)
    assert list(people.columns) == ["person_id", "name", "unit", "absent"] and list(people["absent"]) == [True, True]
    assert set(people["unit"]) == {"一区工作人员"}
    east = only(roster.on_duty(Filters(), now, engine), site_id=ids["cp1"], shift_id=ids["day"])
    assert (east["rostered"], east["absent"], east["present"], east["absent_names"]) == (2, 2, 0, "张三、李四")
    assert roster.duty_tile(Filters(), now, engine)["points_empty"] == 2
    assert roster.week(ids["cp1"], MONDAY, engine).pipe(
        lambda grid: only(grid, day=TODAY, shift_id=ids["day"])["absent_names"]) == "张三、李四"
    # a visit that found staff at post, or on another shift, marks no one
    passed = inspections.record_inspection("clerk1", ids["compound"], TODAY, {**FAILED, "staff_at_post": True},
                                           "纪委", today=TODAY, engine=engine, shift_id=ids["day"])
    assert passed["absent"] == []
    with pytest.raises(ValidationError):
        inspections.record_inspection("clerk1", ids["cp1"], TODAY, FAILED, "纪委", findings=FINDING, today=TODAY,
                                      engine=engine, shift_id=9999)


def test_the_circular_lists_points_with_repeated_absences(engine, tuesday):
    ids = tuesday
    inspections.record_inspection("clerk1", ids["cp1"], TODAY, FAILED, "纪委", findings=FINDING, today=TODAY,
                                  engine=engine, shift_id=ids["day"])
    inspections.record_inspection("clerk1", ids["compound"], TODAY, FAILED, "纪委", findings=FINDING, today=TODAY,
                                  engine=engine, shift_id=ids["night"])
    week = Filters(end=TODAY + dt.timedelta(days=1))
    assert inspections.week_circular(week, engine)["repeated_absences"].empty  # once each: not repeated
    inspections.record_inspection("clerk1", ids["cp1"], TODAY, FAILED, "纪委二组", findings=FINDING, today=TODAY,
                                  engine=engine, shift_id=ids["evening"])
    repeated = inspections.week_circular(week, engine)["repeated_absences"]
    assert list(repeated.columns) == ["name", "zone", "count", "names"]
    assert repeated.to_dict("records") == [{"name": "东卡口", "zone": "一区", "count": 2, "names": "张三、李四"}]
    assert inspections.week_circular(Filters(zone_id=ids["z2"], end=TODAY), engine)["repeated_absences"].empty
