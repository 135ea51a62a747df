"""Enterprise reopening: the audited step write and the as-of reads, on SQLite and PostgreSQL (the pure rules:
test_reopening_rules.py)."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from data_access import auth, db, reopening
from data_access.db import write_session
from data_access.errors import ConflictError, PermissionDenied, ValidationError
from data_access.filters import Filters
from data_access.models import AuditLog, Enterprise, OrgUnit, Person, ReopeningStep, Responsibility, Setting
from data_access.validate import Checker
from tests.helpers import minimal_territory
from ui import errors  # noqa: F401  names steps and statuses in the data layer's messages, as the pages do

TODAY = dt.date(2020, 2, 25)
D = lambda n: dt.date(2020, 2, n)  # noqa: E731  (a day in February 2020)
ALL_LETTERS = {letter: True for letter in reopening.LETTERS}
HAPPY_PATH = [
    ("applied", {}),
    ("inspected_before", {"passed": True}),
    ("letters_signed", {"letters": ALL_LETTERS}),
    ("approved", {"employees": 40, "employees_from_outside": 3}),
    ("inspected_after", {"passed": True}),
    ("phone_verified", {"passed": True, "employees_called": 10, "problems_found": 0}),
]


# ---- builders ---------------------------------------------------------------------------------------

def _enterprise(engine, zone_id, name="甲企业", department="econ_dev", above_size=False, employees=50,
                outside=5, owner="王主任") -> int:
    with write_session(engine) as session:
        row = Enterprise(name=name, zone_id=zone_id, department=department, above_size=above_size,
                         employees=employees, employees_from_outside=outside, owner=owner, owner_backup="李副主任")
        session.add(row)
        session.flush()
        _owners(session, zone_id, row.id, owner, "李副主任")
        return row.id


def _owners(session, zone_id, enterprise_id, a_name, b_name) -> None:
    """The enterprise's A and B as responsibility names them (issue 16): people of the zone's staff."""
    unit = session.scalar(sa.select(OrgUnit).where(OrgUnit.code == f"staff-{zone_id}"))
    if unit is None:
        unit = OrgUnit(code=f"staff-{zone_id}", name="工作人员", kind="zone_staff", zone_id=zone_id, version=1)
        session.add(unit)
        session.flush()
    ids = []
    for name in (a_name, b_name):
        person = session.scalar(sa.select(Person).where(Person.zone_id == zone_id, Person.name == name))
        if person is None:
            person = Person(name=name, unit_id=unit.id, zone_id=zone_id, version=1)
            session.add(person)
            session.flush()
        ids.append(person.id)
    session.add(Responsibility(enterprise_id=enterprise_id, a_person_id=ids[0], b_person_id=ids[1], version=1))


def _history(engine, enterprise_id, steps):
    """Steps written straight to the table (for reads), with the derived status stored as the write path would."""
    with write_session(engine) as session:
        rows = [ReopeningStep(enterprise_id=enterprise_id, step=step, day=day, passed=passed, reason=reason,
                              recorded_by="seed") for step, day, passed, reason in steps]
        session.add_all(rows)
        session.flush()
        enterprise = session.get(Enterprise, enterprise_id)
        enterprise.status, enterprise.status_since = reopening.derive_status(rows)


def _version(engine, enterprise_id) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(Enterprise.version).where(Enterprise.id == enterprise_id)).scalar_one()


def record(engine, enterprise_id, step, day=TODAY, user="clerk1", version="current", **fields):
    version = _version(engine, enterprise_id) if version == "current" else version
    return reopening.record_step(user, enterprise_id, step, day, version, today=TODAY, engine=engine, **fields)


def walk(engine, enterprise_id, path, start=10, user="clerk1"):
    result = None
    for offset, (step, fields) in enumerate(path):
        result = record(engine, enterprise_id, step, D(start + offset), user=user, **fields)
    return result


def _count(engine, model, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


@pytest.fixture
def world(engine):
    ids = minimal_territory(engine)
    ids["ent"] = _enterprise(engine, ids["z1"])
    ids["other"] = _enterprise(engine, ids["z2"], name="乙企业", department="safety", above_size=True)
    return ids


# ---- the write path ---------------------------------------------------------------------------------

def test_the_whole_approval_from_application_to_phone_verification(engine, world):
    result = walk(engine, world["ent"], HAPPY_PATH)
    assert result["status"] == "phone_verified" and result["since"] == D(15)
    with engine.connect() as conn:
        enterprise = conn.execute(sa.select(Enterprise).where(Enterprise.id == world["ent"])).one()
        steps = conn.execute(sa.select(ReopeningStep.step, ReopeningStep.recorded_by)
                             .where(ReopeningStep.enterprise_id == world["ent"]).order_by(ReopeningStep.id)).all()
    assert (enterprise.status, enterprise.status_since, enterprise.employees, enterprise.employees_from_outside) == (
        "phone_verified", D(15), 40, 3)
    assert enterprise.version == 1 + len(HAPPY_PATH) and enterprise.updated_by == "clerk1"
    assert [s for s, _ in steps] == [s for s, _ in HAPPY_PATH] and {u for _, u in steps} == {"clerk1"}


def test_every_step_is_audited_with_before_and_after(engine, world):
    walk(engine, world["ent"], HAPPY_PATH[:4])
    with engine.connect() as conn:
        rows = conn.execute(sa.select(AuditLog).where(AuditLog.table_name.in_(("reopening_step", "enterprise")))
                            .order_by(AuditLog.id)).all()
    assert [(r.table_name, r.action) for r in rows] == [("reopening_step", "insert"), ("enterprise", "update")] * 4
    assert {r.username for r in rows} == {"clerk1"}
    letters = json.loads(rows[4].after)
    assert letters["step"] == "letters_signed" and letters["letters"] == list(reopening.LETTERS)
    approval = rows[7]
    assert json.loads(approval.before) == {"status": "letters_signed", "status_since": "2020-02-12",
                                           "employees": 50, "employees_from_outside": 5}
    assert json.loads(approval.after)["status"] == "approved" and json.loads(approval.after)["employees"] == 40


def test_no_approval_before_the_site_inspection_and_the_letters(engine, world):
    record(engine, world["ent"], "applied", D(10))
    with pytest.raises(ValidationError) as error:
        record(engine, world["ent"], "approved", D(11), employees=10, employees_from_outside=0)
    message = error.value.for_field("step")[0]
    assert "审批前实地检查" in message.text("zh") and "三个承诺书" in message.text("zh") and "site inspection" in message.text("en")
    record(engine, world["ent"], "inspected_before", D(11), passed=True)
    with pytest.raises(ValidationError) as error:
        record(engine, world["ent"], "approved", D(12), employees=10, employees_from_outside=0)
    assert "签订三个承诺书" in error.value.for_field("step")[0].text("zh")
    assert _count(engine, ReopeningStep, ReopeningStep.step == "approved") == 0


def test_letters_need_all_three_ticks(engine, world):
    walk(engine, world["ent"], HAPPY_PATH[:2])
    with pytest.raises(ValidationError) as error:
        record(engine, world["ent"], "letters_signed", D(12), letters={"prevention": True, "safety": False})
    assert error.value.fields() == {(None, "letter_safety"), (None, "letter_health")}
    assert _count(engine, ReopeningStep, ReopeningStep.step == "letters_signed") == 0
    record(engine, world["ent"], "letters_signed", D(12), letters=ALL_LETTERS)


def test_a_failed_inspection_before_approval_refuses_with_the_reason(engine, world):
    record(engine, world["ent"], "applied", D(10))
    with pytest.raises(ValidationError) as error:
        record(engine, world["ent"], "inspected_before", D(11), passed=False)
    assert error.value.fields() == {(None, "reason")} and "failed check" in error.value.errors[0].en
    result = record(engine, world["ent"], "inspected_before", D(11), passed=False, reason="无消毒台账")
    assert result["status"] == "refused" and result["steps"] == ["inspected_before", "refused"]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(ReopeningStep.step, ReopeningStep.passed, ReopeningStep.reason)
                            .order_by(ReopeningStep.id)).all()
    assert rows[1:] == [("inspected_before", False, "无消毒台账"), ("refused", None, "无消毒台账")]
    # a refused enterprise may apply again, and the old inspection does not count for the new application
    record(engine, world["ent"], "applied", D(12))
    assert reopening.detail(world["ent"], engine)["approval_missing"] == ["inspected_before", "letters_signed"]


def test_a_failed_phone_check_suspends_and_resumption_needs_a_new_inspection(engine, world):
    walk(engine, world["ent"], HAPPY_PATH[:5])
    result = record(engine, world["ent"], "phone_verified", D(15), passed=False, employees_called=8,
                    problems_found=3, reason="3 名员工未按规定测温")
    assert result["status"] == "suspended" and result["steps"] == ["phone_verified", "suspended"]
    with pytest.raises(ValidationError) as error:
        record(engine, world["ent"], "resumed", D(16))
    assert "整改复查" in error.value.for_field("step")[0].zh
    failed = record(engine, world["ent"], "inspected_after", D(17), passed=False, reason="整改未完成")
    assert failed["status"] == "suspended" and failed["steps"] == ["inspected_after"]
    with pytest.raises(ValidationError):
        record(engine, world["ent"], "resumed", D(18))
    assert record(engine, world["ent"], "inspected_after", D(19), passed=True)["status"] == "reinspected"
    resumed = record(engine, world["ent"], "resumed", D(20))
    assert resumed["status"] == "resumed" and resumed["since"] == D(20)
    assert record(engine, world["ent"], "suspended", D(21), reason="复查发现聚集用餐")["status"] == "suspended"


def test_a_suspension_needs_a_reason_and_only_follows_approval(engine, world):
    record(engine, world["ent"], "applied", D(10))
    with pytest.raises(ValidationError) as error:
        record(engine, world["ent"], "suspended", D(11), reason="x")
    assert "下一步只能是" in error.value.for_field("step")[0].zh
    walk(engine, world["ent"], HAPPY_PATH[1:4], start=11)
    with pytest.raises(ValidationError) as error:
        record(engine, world["ent"], "suspended", D(15), reason="   ")
    assert error.value.fields() == {(None, "reason")}


@pytest.mark.parametrize("day, expected_en", [
    (TODAY + dt.timedelta(days=1), "future"), ("2020-02-31", "look like"), (None, "required"), (D(9), "previous step"),
])
def test_dates_run_forward_and_never_into_the_future(engine, world, day, expected_en):
    record(engine, world["ent"], "applied", D(10))
    with pytest.raises(ValidationError) as error:
        record(engine, world["ent"], "inspected_before", day, passed=True)
    assert expected_en in error.value.for_field("day")[0].en
    record(engine, world["ent"], "inspected_before", D(10), passed=True)  # the same day as the previous step is fine


@pytest.mark.parametrize("fields, field, expected_en", [
    ({"employees": -1, "employees_from_outside": 0}, "employees", "cannot be negative"),
    ({"employees": "四十", "employees_from_outside": 0}, "employees", "whole number"),
    ({"employees": 12.5, "employees_from_outside": 0}, "employees", "whole number"),
    ({"employees": 10, "employees_from_outside": 11}, "employees_from_outside", "cannot exceed"),
    ({"employees": None, "employees_from_outside": 0}, "employees", "required"),
    ({"employees": 10, "employees_from_outside": 0, "note": "a\x00b"}, "note", "control characters"),
])
def test_bad_approval_input_saves_nothing(engine, world, fields, field, expected_en):
    walk(engine, world["ent"], HAPPY_PATH[:3])
    audits = _count(engine, AuditLog)
    with pytest.raises(ValidationError) as error:
        record(engine, world["ent"], "approved", D(13), **fields)
    assert expected_en in error.value.for_field(field)[0].en and error.value.for_field(field)[0].zh
    assert _count(engine, ReopeningStep, ReopeningStep.step == "approved") == 0
    assert _count(engine, AuditLog) == audits


@pytest.mark.parametrize("fields, field, expected_en", [
    ({"passed": True, "employees_called": 0, "problems_found": 0}, "employees_called", "at least one"),
    ({"passed": True, "employees_called": 41, "problems_found": 0}, "employees_called", "cannot exceed"),
    ({"passed": True, "employees_called": 5, "problems_found": -2}, "problems_found", "cannot be negative"),
    ({"passed": None, "employees_called": 5, "problems_found": 0}, "passed", "passed or failed"),
    ({"passed": "yes", "employees_called": 5, "problems_found": 0}, "passed", "passed or failed"),
])
def test_bad_phone_verification_input(engine, world, fields, field, expected_en):
    walk(engine, world["ent"], HAPPY_PATH[:5])
    with pytest.raises(ValidationError) as error:
        record(engine, world["ent"], "phone_verified", D(15), **fields)
    assert expected_en in error.value.for_field(field)[0].en
    assert reopening.detail(world["ent"], engine)["status"] == "inspected_after"


def test_unknown_step_is_refused(engine, world):
    with pytest.raises(ValidationError) as error:
        record(engine, world["ent"], "reopened", D(10))
    assert error.value.fields() == {(None, "step")}


def test_html_in_text_is_stored_as_typed(engine, world):
    record(engine, world["ent"], "applied", D(10), note="<b>急</b> & <script>alert(1)</script>")
    with engine.connect() as conn:
        assert conn.execute(sa.select(ReopeningStep.note)).scalar_one() == "<b>急</b> & <script>alert(1)</script>"


@pytest.mark.parametrize("user, target", [("clerk1", "other"), ("viewer1", "ent")])
def test_rights_clerk_outside_zone_and_viewer(engine, world, user, target):
    version = db.data_version(engine)
    audits = _count(engine, AuditLog)
    with pytest.raises(PermissionDenied):
        record(engine, world[target], "applied", D(10), user=user)
    assert _count(engine, ReopeningStep) == 0 and _count(engine, AuditLog) == audits
    assert db.data_version(engine) == version


def test_supervisor_writes_everywhere_and_disabled_clerk_cannot(engine, world):
    record(engine, world["other"], "applied", D(10), user="super1")
    auth.set_active("clerk1", False, engine=engine)
    with pytest.raises(PermissionDenied):
        record(engine, world["ent"], "applied", D(10))


def test_a_stale_form_is_refused(engine, world):
    loaded = _version(engine, world["ent"])
    record(engine, world["ent"], "applied", D(10), user="super1", version=loaded)
    with pytest.raises(ConflictError) as error:
        record(engine, world["ent"], "applied", D(10), user="clerk1", version=loaded)
    assert "他人" in error.value.zh
    with pytest.raises(ConflictError):  # a different step from the same stale form is refused too
        record(engine, world["ent"], "inspected_before", D(11), user="super1", version=loaded, passed=True)
    assert _count(engine, ReopeningStep) == 1


def test_a_double_click_writes_once(engine, world):
    loaded = _version(engine, world["ent"])
    first = record(engine, world["ent"], "applied", D(10), version=loaded, note="电话申请")
    again = record(engine, world["ent"], "applied", D(10), version=loaded, note="电话申请")
    assert first["repeat"] is False and again["repeat"] is True and again["status"] == "applied"
    assert _count(engine, ReopeningStep) == 1
    walk(engine, world["ent"], HAPPY_PATH[1:5], start=11)
    loaded = _version(engine, world["ent"])
    fail = {"passed": False, "employees_called": 4, "problems_found": 2, "reason": "未测温"}
    record(engine, world["ent"], "phone_verified", D(15), version=loaded, **fail)
    assert record(engine, world["ent"], "phone_verified", D(15), version=loaded, **fail)["repeat"] is True
    assert _count(engine, ReopeningStep, ReopeningStep.step == "suspended") == 1


# ---- reads ------------------------------------------------------------------------------------------

def _filters(end=TODAY, start=D(1), zone_id=None):
    return Filters(zone_id=zone_id, start=start, end=end)


@pytest.fixture
def histories(engine):
    """Seven enterprises in two zones at every kind of status, written straight to the table."""
    ids = minimal_territory(engine)
    z1, z2 = ids["z1"], ids["z2"]
    made = {}
    plans = {
        "done": (z1, "econ_dev", True, 100, 10, [("applied", 10, None), ("inspected_before", 11, True),
                                                ("letters_signed", 11, None), ("approved", 12, None),
                                                ("inspected_after", 14, True), ("phone_verified", 15, True)]),
        "approved": (z1, "investment", False, 30, 2, [("applied", 10, None), ("inspected_before", 12, True),
                                                      ("letters_signed", 12, None), ("approved", 20, None)]),
        "waiting": (z1, "safety", False, 20, 0, [("applied", 11, None)]),
        "refused": (z2, "econ_dev", False, 15, 1, [("applied", 10, None), ("inspected_before", 12, False),
                                                   ("refused", 12, None)]),
        "suspended": (z2, "safety", True, 60, 6, [("applied", 10, None), ("inspected_before", 11, True),
                                                  ("letters_signed", 11, None), ("approved", 13, None),
                                                  ("inspected_after", 16, False), ("suspended", 16, None),
                                                  ("inspected_after", 18, False)]),
        "resumed": (z2, "econ_dev", False, 25, 4, [("applied", 10, None), ("inspected_before", 10, True),
                                                   ("letters_signed", 10, None), ("approved", 11, None),
                                                   ("suspended", 14, None), ("inspected_after", 17, True),
                                                   ("resumed", 19, None)]),
        "idle": (z2, "investment", False, 10, 0, []),
    }
    for key, (zone, department, above, employees, outside, steps) in plans.items():
        made[key] = _enterprise(engine, zone, name=f"{key}企业", department=department, above_size=above,
                                employees=employees, outside=outside)
        _history(engine, made[key], [(s, D(d), p, "整改" if s in ("suspended", "refused") or p is False else None)
                                     for s, d, p in steps])
    return {**ids, **made}


def test_sql_status_as_of_agrees_with_derive_status_on_every_day(engine, histories):
    with engine.connect() as conn:
        steps = [dict(r._mapping) for r in conn.execute(sa.select(ReopeningStep.id, ReopeningStep.enterprise_id,
                                                                   ReopeningStep.step, ReopeningStep.day,
                                                                   ReopeningStep.passed))]
        for day in range(9, 26):
            as_of = reopening._status_as_of(D(day))
            sql = {r.enterprise_id: (r.status, r.since) for r in conn.execute(sa.select(as_of))}
            for enterprise_id, got in sql.items():
                mine = [s for s in steps if s["enterprise_id"] == enterprise_id and s["day"] <= D(day)]
                assert got == reopening.derive_status(mine), (day, enterprise_id)


def test_the_stored_status_shortcut_equals_the_derived_one(engine, histories):
    """With nothing dated after the as-of day, reads use the stored status: it must be the derived one."""
    with engine.connect() as conn:
        derived = set(conn.execute(sa.select(reopening._status_as_of(TODAY))).all())
        stored = set(conn.execute(sa.select(reopening._as_of(_filters(), engine))).all())
        assert "ranked" not in str(sa.select(reopening._as_of(_filters(), engine)))
        assert "ranked" in str(sa.select(reopening._as_of(_filters(end=D(19)), engine)))  # a later step exists
    assert stored == derived


def test_summary_as_of_the_end_day(engine, histories):
    figures = reopening.summary(_filters(), threshold=5, engine=engine)
    assert figures["enterprises"] == 7 and figures["above_size"] == 2
    assert figures["approved"] == 3 and figures["approved_above_size"] == 1  # done, approved, resumed
    assert (figures["employees"], figures["employees_from_outside"]) == (100 + 30 + 25, 10 + 2 + 4)
    assert (figures["in_progress"], figures["suspended"], figures["refused"], figures["not_applied"]) == (1, 1, 1, 1)
    assert figures["stuck"] == 2  # waiting since the 11th, suspended since the 16th (both > 5 days on the 25th)
    # a step dated after the as-of day does not count
    early = reopening.summary(_filters(end=D(12)), threshold=5, engine=engine)
    assert early["approved"] == 2 and early["employees"] == 100 + 25 and early["approved_on_day"] == 1
    assert early["refused"] == 1 and early["in_progress"] == 3


def test_zone_filter(engine, histories):
    z1 = reopening.summary(_filters(zone_id=histories["z1"]), threshold=5, engine=engine)
    assert z1["enterprises"] == 3 and z1["approved"] == 2 and z1["employees"] == 130
    table = reopening.enterprises(_filters(zone_id=histories["z2"]), engine=engine)
    assert set(table["name"]) == {"refused企业", "suspended企业", "resumed企业", "idle企业"}


def test_funnel_counts_who_reached_each_step(engine, histories):
    frame = reopening.funnel(_filters(), engine=engine).set_index("step")["enterprises"]
    assert frame.to_dict() == {"applied": 6, "inspected_before": 4, "letters_signed": 4, "approved": 4,
                               "inspected_after": 2, "phone_verified": 1, "refused": 1, "suspended": 2, "resumed": 1}
    early = reopening.funnel(_filters(end=D(11)), engine=engine).set_index("step")["enterprises"]
    assert early["applied"] == 6 and early["approved"] == 1 and early["suspended"] == 0


def test_by_department(engine, histories):
    frame = reopening.by_department(_filters(), engine=engine)
    assert frame["enterprises"].sum() == 7
    working = frame[frame["group"] == "working"]
    assert working.groupby("department")["enterprises"].sum().to_dict() == {"econ_dev": 2, "investment": 1}
    assert working["employees"].sum() == 155
    above = frame[frame["above_size"]]
    assert set(above["group"]) == {"working", "suspended"}


def test_stuck_list_uses_the_threshold_and_the_as_of_day(engine, histories):
    frame = reopening.stuck(_filters(), threshold=5, engine=engine)
    assert list(frame["name"]) == ["waiting企业", "suspended企业"]
    assert list(frame["days"]) == [14, 9] and list(frame["next_step"]) == ["inspected_before", "inspected_after"]
    assert list(frame["owner"]) == ["王主任", "王主任"]
    assert list(reopening.stuck(_filters(), threshold=10, engine=engine)["name"]) == ["waiting企业"]
    assert list(reopening.stuck(_filters(), threshold=5, limit=1, engine=engine)["name"]) == ["waiting企业"]
    # on the 17th "approved企业" had sat at letters_signed for exactly 5 days (not more): not stuck yet
    assert list(reopening.stuck(_filters(end=D(17)), threshold=5, engine=engine)["name"]) == ["waiting企业"]


def test_suspended_list_with_reasons(engine, histories):
    frame = reopening.suspended(_filters(), engine=engine)
    assert list(frame["name"]) == ["suspended企业"]
    assert reopening.suspended(_filters(end=D(18)), limit=1, engine=engine)["name"].tolist() == ["resumed企业"]
    row = frame.iloc[0]
    assert (row["suspended_on"], row["reason"], row["status"], row["days"]) == (D(16), "整改", "suspended", 9)
    # on the 18th "resumed企业" was still suspended (since the 14th) but had passed its re-inspection
    early = reopening.suspended(_filters(end=D(18)), engine=engine).set_index("name")
    assert early.loc["resumed企业", "status"] == "reinspected" and early.loc["resumed企业", "suspended_on"] == D(14)


def test_enterprise_table_filters(engine, histories):
    frame = reopening.enterprises(_filters(), statuses=("suspended", "refused"), engine=engine)
    assert set(frame["name"]) == {"suspended企业", "refused企业"}
    frame = reopening.enterprises(_filters(), departments=("econ_dev",), engine=engine)
    assert set(frame["name"]) == {"done企业", "refused企业", "resumed企业"}
    assert reopening.count_enterprises(_filters(), departments=("econ_dev",), engine=engine) == 3
    assert len(reopening.enterprises(_filters(), limit=2, engine=engine)) == 2
    idle = reopening.enterprises(_filters(), statuses=("not_applied",), engine=engine).iloc[0]
    assert idle["name"] == "idle企业" and idle["since"] is None and idle["next_step"] is None


def test_timeline(engine, histories):
    frame = reopening.timeline(histories["resumed"], engine=engine)
    assert list(frame["step"]) == ["applied", "inspected_before", "letters_signed", "approved", "suspended",
                                   "inspected_after", "resumed"]
    assert set(frame["recorded_by"]) == {"seed"}
    assert len(reopening.timeline(histories["resumed"], end=D(14), engine=engine)) == 5


def test_daily_approvals_and_employees_back(engine, histories):
    frame = reopening.daily(_filters(start=D(12)), engine=engine).set_index("day")
    assert len(frame) == 14 and frame.index[0] == D(12)
    assert frame.loc[D(12), "approvals"] == 1 and frame.loc[D(20), "approvals"] == 1
    assert frame.loc[D(12), "employees"] == 25 + 100  # resumed企业 approved on the 11th, before the range
    assert frame.loc[D(14), "employees"] == 100 + 60  # resumed企业 suspended on the 14th, suspended企业 approved 13th
    assert frame.loc[D(16), "suspensions"] == 1 and frame.loc[D(16), "employees"] == 100
    figures = reopening.summary(_filters(), threshold=5, engine=engine)
    assert frame.iloc[-1]["employees"] == figures["employees"] and frame.iloc[-1]["working"] == figures["approved"]
    assert frame.iloc[-1]["employees_from_outside"] == figures["employees_from_outside"]


def test_choices_follow_the_actors_zones(engine, histories):
    clerk = auth.authenticate("clerk1", "pw12-pw12", engine)
    assert set(reopening.choices(clerk, engine=engine)["name"]) == {"done企业", "approved企业", "waiting企业"}
    viewer = auth.authenticate("viewer1", "pw12-pw12", engine)
    assert reopening.choices(viewer, engine=engine).empty
    admin = auth.authenticate("admin1", "pw12-pw12", engine)
    assert len(reopening.choices(admin, engine=engine)) == 7
    assert set(reopening.choices(admin, department="safety", engine=engine)["name"]) == {"waiting企业", "suspended企业"}


def test_detail_offers_only_the_steps_that_make_sense(engine, histories):
    info = reopening.detail(histories["suspended"], engine)
    assert info["status"] == "suspended" and info["next_steps"] == ("inspected_after",)
    assert info["since"] == D(16) and info["last_day"] == D(18)


# ---- the stuck threshold ----------------------------------------------------------------------------

def test_stuck_threshold_is_an_audited_admin_setting(engine):
    minimal_territory(engine)
    assert reopening.stuck_after_days(engine) == 5
    assert reopening.set_stuck_after_days("admin1", 7, expected=5, engine=engine) == 7
    assert reopening.stuck_after_days(engine) == 7
    with engine.connect() as conn:
        row = conn.execute(sa.select(AuditLog).where(AuditLog.table_name == "setting")).one()
        stored = conn.execute(sa.select(Setting.value).where(Setting.key == "stuck_after_days")).scalar_one()
    assert stored == "7" and row.username == "admin1"
    assert json.loads(row.before) == {"stuck_after_days": 5} and json.loads(row.after) == {"stuck_after_days": 7}
    with pytest.raises(ConflictError):  # a second admin's form still showed 5
        reopening.set_stuck_after_days("admin1", 3, expected=5, engine=engine)
    for user in ("super1", "clerk1", "viewer1"):
        with pytest.raises(PermissionDenied):
            reopening.set_stuck_after_days(user, 3, engine=engine)
    for bad in (-1, 0, "abc", 366, 2.5):
        with pytest.raises(ValidationError):
            reopening.set_stuck_after_days("admin1", bad, engine=engine)
    assert reopening.stuck_after_days(engine) == 7


# ---- the demo data set ------------------------------------------------------------------------------

@pytest.fixture
def demo(demo_engine):
    from data_access import demo as demo_module

    return demo_engine, Filters(start=dt.date(2020, 2, 1), end=demo_module.DEMO_AS_OF)


def test_demo_figures_exactly(demo):
    engine, filters = demo
    figures = reopening.summary(filters, engine=engine)
    assert figures["enterprises"] == 119 and figures["above_size"] == 24
    assert (figures["approved"], figures["approved_above_size"]) == (69, 22)
    assert (figures["employees"], figures["employees_from_outside"]) == (4_892, 164)
    daily = reopening.daily(filters, engine=engine)
    assert daily.iloc[-1]["employees"] == 4_892 and daily.iloc[-1]["working"] == 69


def test_demo_stored_status_matches_the_steps(demo):
    engine, filters = demo
    with engine.connect() as conn:
        stored = {r.id: (r.status, r.status_since) for r in conn.execute(sa.select(Enterprise))}
        steps = [dict(r._mapping) for r in conn.execute(sa.select(ReopeningStep.id, ReopeningStep.enterprise_id,
                                                                   ReopeningStep.step, ReopeningStep.day,
                                                                   ReopeningStep.passed))]
        as_of = {r.enterprise_id: (r.status, r.since) for r in conn.execute(sa.select(
            reopening._status_as_of(dt.date.today())))}
        latest = conn.execute(sa.select(sa.func.max(ReopeningStep.day))).scalar_one()
    assert latest <= filters.end
    for enterprise_id, (status, since) in stored.items():
        mine = [s for s in steps if s["enterprise_id"] == enterprise_id]
        assert reopening.derive_status(mine) == (status, since if mine else None), enterprise_id
        assert as_of[enterprise_id][0] == status


def test_refusals_name_steps_and_statuses_in_the_uis_words():
    refusal = reopening._refuse_step("approved", "applied", [])
    assert refusal.text("zh") == "当前状态为“已批复复工”，下一步只能是：审批后实地检查、停产整顿"
    assert refusal.text("en") == ("the enterprise is at 'Approved'; the next step can only be: "
                                  "Site inspection after approval, Suspension for rectification")
    missing = reopening._refuse_step("letters_signed", "approved", [])
    assert missing.text("zh") == "批复前须先通过实地检查并签订三个承诺书，尚缺：审批前实地检查、签订三个承诺书"
    check = Checker(TODAY)
    reopening._clean(check, "letters_signed", TODAY, None, None, None, {"prevention": True}, None, None, None, None)
    refused = ValidationError(check.errors)
    assert refused.for_field("letter_safety")[0].text("zh") == "须签订“安全生产承诺书”后才能登记"
    assert refused.for_field("letter_health")[0].text("en") == \
        "the Employee health monitoring commitment letter must be signed first"
