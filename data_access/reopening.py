"""Enterprise reopening (企业复工): the figures the pages read, and the audited step write.

The rules (steps, transitions, how the status follows from the steps) are data_access.reopening_rules;
an enterprise's status is derived from its dated steps, never typed in.

Reads are "as of" a day (the filter bar's end): a step dated after it does not count. They all
aggregate in SQL over `_status_as_of`, the SQL twin of `derive_status` (or, when nothing is dated
after that day, over the status the write path stores, which is the same thing and cheaper).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Select, and_, case, func, literal, select, union_all

from . import grain, people, scope
from .audit import audit
from .auth import Actor, load_actor, require_admin
from .db import frame_of, read_connection, read_frame, write_session
from .errors import ConflictError, FieldError, NotFound, ValidationError
from .filters import Filters
from .models import DEPARTMENTS, Enterprise, ReopeningStep, Setting, WorkZone
from . import reopening_rules as rules
from .reopening_rules import (BEFORE_APPROVAL, CHECKS, DONE, FUNNEL, GROUPS, IN_SUSPENSION, LETTERS, NEEDS_REASON,
                              STEPS, WAITING, WORKING, approval_missing, consequence, derive_status, next_steps)
from .territory import season_start
from .validate import Checker

STUCK_SETTING = "stuck_after_days"
STUCK_DEFAULT = 5
STUCK_MAX = 365


# ---- reads: everything aggregated in SQL, as of filters.end ---------------------------------------

S, E = ReopeningStep, Enterprise


def _zone_scope(query: Select, filters: Filters) -> Select:
    return query.where(E.zone_id == filters.zone_id) if filters.zone_id is not None else query


def _per_step(change: dict[str, int]):
    """SQL: what each step adds to a running count (rules.SUSPENSION_CHANGE, rules.WORKFORCE_CHANGE)."""
    return case(change, value=S.step, else_=0)


def _status_after(last_counted_step, open_suspensions):
    """SQL twin of rules.status_after, from the same constants."""
    return case(
        (last_counted_step.is_(None), literal(rules.NO_STEP_STATUS)),
        (open_suspensions > 0, case((last_counted_step == rules.REINSPECTION, literal(rules.REINSPECTED_STATUS)),
                                    else_=literal(rules.OPEN_SUSPENSION_STATUS))),
        else_=last_counted_step,
    )


def _status_as_of(end: dt.date, zone_id: int | None = None, among=None):
    """Subquery: every enterprise (in the zone; of the ids `among` selects, when given) with its status and
    since-day as of `end`, derived from its steps."""
    def narrow(query):
        if zone_id is not None:
            query = query.where(S.enterprise_id.in_(select(E.id).where(E.zone_id == zone_id)))
        return query.where(S.enterprise_id.in_(among)) if among is not None else query

    ranked = narrow(
        select(S.enterprise_id, S.step, S.day,
               func.row_number().over(partition_by=S.enterprise_id, order_by=(S.day.desc(), S.id.desc())).label("rn"))
        .where(S.day <= end, S.passed.is_not(False))
    ).subquery("ranked")
    # the latest counted step alone, so the join below is on the enterprise only (SQLite indexes it; joined
    # on rn as well it scanned every ranked step for every enterprise)
    last = select(ranked.c.enterprise_id, ranked.c.step, ranked.c.day).where(ranked.c.rn == 1).subquery("last_step")
    balance = narrow(
        select(S.enterprise_id, func.sum(_per_step(rules.SUSPENSION_CHANGE)).label("open_suspensions"))
        .where(S.day <= end).group_by(S.enterprise_id)
    ).subquery("balance")
    query = (
        select(E.id.label("enterprise_id"), _status_after(last.c.step, balance.c.open_suspensions).label("status"),
               last.c.day.label("since"))
        .select_from(E)
        .outerjoin(last, last.c.enterprise_id == E.id)
        .outerjoin(balance, balance.c.enterprise_id == E.id)
    )
    if zone_id is not None:
        query = query.where(E.zone_id == zone_id)
    if among is not None:
        query = query.where(E.id.in_(among))
    return query.subquery("as_of")


def _as_of(filters: Filters, engine=None):
    """The as-of subquery for a read. An enterprise with no step dated after filters.end (every one, for
    live data, which is read as of today) has as of then the status the write path keeps on it, which
    is exactly what `_status_as_of` would derive and far cheaper to read; only the others (as of
    yesterday: those with a step today) are derived from their steps."""
    with read_connection(engine) as conn:
        latest = conn.execute(select(func.max(S.day))).scalar()
    stored = select(E.id.label("enterprise_id"), E.status.label("status"), E.status_since.label("since"))
    if filters.zone_id is not None:
        stored = stored.where(E.zone_id == filters.zone_id)
    if latest is None or latest <= filters.end:
        return stored.subquery("as_of")
    changed = select(S.enterprise_id).where(S.day > filters.end)
    derived = _status_as_of(filters.end, filters.zone_id, among=changed)
    return union_all(stored.where(E.id.not_in(changed)), select(derived)).subquery("as_of")


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum_if(condition, column):
    return func.coalesce(func.sum(case((condition, column), else_=0)), 0)


def _cutoff(filters: Filters, threshold: int) -> dt.date:
    """A case is stuck when it has sat at its status for more than `threshold` days on filters.end."""
    return filters.end - dt.timedelta(days=threshold)


def summary(filters: Filters, threshold: int | None = None, engine=None) -> dict:
    """The headline figures as of filters.end."""
    threshold = stuck_after_days(engine) if threshold is None else threshold
    as_of = _as_of(filters, engine)
    working = as_of.c.status.in_(WORKING)
    query = select(
        func.count(E.id).label("enterprises"),
        _count_if(E.above_size.is_(True)).label("above_size"),
        _count_if(working).label("approved"),
        _count_if(and_(working, E.above_size.is_(True))).label("approved_above_size"),
        _sum_if(working, E.employees).label("employees"),
        _sum_if(working, E.employees_from_outside).label("employees_from_outside"),
        _count_if(as_of.c.status.in_(BEFORE_APPROVAL)).label("in_progress"),
        _count_if(as_of.c.status.in_(IN_SUSPENSION)).label("suspended"),
        _count_if(as_of.c.status == "refused").label("refused"),
        _count_if(as_of.c.status == "not_applied").label("not_applied"),
        _count_if(as_of.c.status.in_(DONE)).label("done"),
        _count_if(and_(as_of.c.status.in_(WAITING), as_of.c.since < _cutoff(filters, threshold))).label("stuck"),
    ).select_from(E).join(as_of, as_of.c.enterprise_id == E.id)
    approvals = _zone_scope(select(func.count(S.id)).join(E, E.id == S.enterprise_id)
                            .where(S.step == "approved", S.day == filters.end), filters)
    with read_connection(engine) as conn:
        row = conn.execute(query).mappings().one()
        approved_on_day = conn.execute(approvals).scalar_one()
    return {**{k: int(v or 0) for k, v in row.items()}, "approved_on_day": int(approved_on_day),
            "threshold": threshold, "day": filters.end}


def funnel(filters: Filters, engine=None) -> pd.DataFrame:
    """How many enterprises have ever reached each step by filters.end (a check counts when passed)."""
    query = select(S.step, func.count(func.distinct(S.enterprise_id))).where(S.day <= filters.end,
                                                                             S.passed.is_not(False)).group_by(S.step)
    if filters.zone_id is not None:  # every step has its enterprise: no join for the whole zone (half the time)
        query = query.where(S.enterprise_id.in_(select(E.id).where(E.zone_id == filters.zone_id)))
    with read_connection(engine) as conn:
        reached = dict(conn.execute(query).all())
    steps = [*FUNNEL, "refused", "suspended", "resumed"]
    return pd.DataFrame({
        "step": steps,
        "enterprises": [int(reached.get(s, 0)) for s in steps],
        "stage": ["main" if s in FUNNEL else "side" for s in steps],
        "order": range(len(steps)),
    })


def by_department(filters: Filters, engine=None) -> pd.DataFrame:
    """Enterprises per department, above size or not, and status group; employees of those working."""
    as_of = _as_of(filters, engine)
    group = case(rules.STATUS_GROUP, value=as_of.c.status, else_=as_of.c.status).label("group")
    working = as_of.c.status.in_(WORKING)
    query = (
        select(E.department, E.above_size, group, func.count(E.id).label("enterprises"),
               _sum_if(working, E.employees).label("employees"),
               _sum_if(working, E.employees_from_outside).label("employees_from_outside"))
        .join(as_of, as_of.c.enterprise_id == E.id)
        .group_by(E.department, E.above_size, group)
    )
    frame = read_frame(query, engine)
    frame["above_size"] = frame["above_size"].astype(bool)
    frame["dept_order"] = frame["department"].map({d: i for i, d in enumerate(DEPARTMENTS)})
    frame["group_order"] = frame["group"].map({g: i for i, g in enumerate(GROUPS)})
    return frame.sort_values(["dept_order", "above_size", "group_order"]).reset_index(drop=True)


# an enterprise's owners (A and B) are its responsibility row's people
OWNERS = people.lead_names(E.id, "enterprise")


def _enterprise_columns(as_of):
    """An enterprise's row as the lists show it; the select must go through OWNERS.join."""
    return (E.id.label("enterprise_id"), E.name, WorkZone.name.label("zone"), E.department, E.above_size,
            E.employees, E.employees_from_outside, as_of.c.status, as_of.c.since, OWNERS.a.label("owner"),
            OWNERS.b.label("owner_backup"))


def _frame(query: Select, filters: Filters, engine=None) -> pd.DataFrame:
    """The enterprise rows of a select of _enterprise_columns, with days at the status and the step awaited."""
    frame = read_frame(query, engine)
    frame["above_size"] = frame["above_size"].astype(bool)
    frame["days"] = [(filters.end - since).days if since is not None else None for since in frame["since"]]
    frame["next_step"] = [rules.expected_next(s) for s in frame["status"]]
    return frame


def enterprises(filters: Filters, statuses: tuple[str, ...] = (), departments: tuple[str, ...] = (),
                limit: int | None = None, engine=None) -> pd.DataFrame:
    """The enterprise table: status as of filters.end, narrowed by zone, status and department."""
    as_of = _as_of(filters, engine)
    query = (
        OWNERS.join(select(*_enterprise_columns(as_of))
                    .join(as_of, as_of.c.enterprise_id == E.id)
                    .join(WorkZone, WorkZone.id == E.zone_id))
        .order_by(WorkZone.code, E.name, E.id)
    )
    if statuses:
        query = query.where(as_of.c.status.in_(statuses))
    if departments:
        query = query.where(E.department.in_(departments))
    if limit:
        query = query.limit(limit)
    return _frame(query, filters, engine)


def count_enterprises(filters: Filters, statuses: tuple[str, ...] = (), departments: tuple[str, ...] = (),
                      engine=None) -> int:
    as_of = _as_of(filters, engine)
    query = select(func.count()).select_from(E).join(as_of, as_of.c.enterprise_id == E.id)
    if statuses:
        query = query.where(as_of.c.status.in_(statuses))
    if departments:
        query = query.where(E.department.in_(departments))
    with read_connection(engine) as conn:
        return int(conn.execute(query).scalar_one())


def stuck(filters: Filters, threshold: int | None = None, limit: int | None = None, engine=None,
          statuses: tuple[str, ...] = WAITING) -> pd.DataFrame:
    """Enterprises that have waited at their status (one of `statuses`) more than `threshold` days on
    filters.end, longest first (the `limit` longest when given; summary()["stuck"] counts them all)."""
    threshold = stuck_after_days(engine) if threshold is None else threshold
    as_of = _as_of(filters, engine)
    query = (
        OWNERS.join(select(*_enterprise_columns(as_of))
                    .join(as_of, as_of.c.enterprise_id == E.id)
                    .join(WorkZone, WorkZone.id == E.zone_id))
        .where(as_of.c.status.in_(statuses), as_of.c.since < _cutoff(filters, threshold))
        .order_by(as_of.c.since, WorkZone.code, E.name, E.id)
        .limit(limit)
    )
    return _frame(query, filters, engine)


def count_stuck(filters: Filters, threshold: int | None = None, statuses: tuple[str, ...] = WAITING,
                engine=None) -> int:
    """How many rows stuck(filters, threshold, statuses=statuses) has."""
    threshold = stuck_after_days(engine) if threshold is None else threshold
    as_of = _as_of(filters, engine)
    query = (select(func.count()).select_from(E).join(as_of, as_of.c.enterprise_id == E.id)
             .where(as_of.c.status.in_(statuses), as_of.c.since < _cutoff(filters, threshold)))
    with read_connection(engine) as conn:
        return int(conn.execute(query).scalar_one())


def suspended(filters: Filters, limit: int | None = None, engine=None) -> pd.DataFrame:
    """Enterprises suspended for rectification as of filters.end, with the latest suspension's day and reason
    (the `limit` suspended longest when given; summary()["suspended"] counts them all)."""
    as_of = _as_of(filters, engine)
    latest = (
        select(S.enterprise_id, S.day.label("suspended_on"), S.reason,
               func.row_number().over(partition_by=S.enterprise_id, order_by=(S.day.desc(), S.id.desc())).label("rn"))
        .where(S.step == "suspended", S.day <= filters.end)
    ).subquery("latest")
    query = (
        OWNERS.join(select(*_enterprise_columns(as_of), latest.c.suspended_on, latest.c.reason)
                    .join(as_of, as_of.c.enterprise_id == E.id)
                    .join(WorkZone, WorkZone.id == E.zone_id))
        .outerjoin(latest, and_(latest.c.enterprise_id == E.id, latest.c.rn == 1))
        .where(as_of.c.status.in_(IN_SUSPENSION))
        .order_by(latest.c.suspended_on, E.name, E.id)
        .limit(limit)
    )
    return _frame(query, filters, engine)


def daily(filters: Filters, engine=None) -> pd.DataFrame:
    """Per day of the range: approvals, resumptions, suspensions, and enterprises/employees back (cumulative).
    Over a longer range per week, month or year (grain.grain_for): counts summed, the cumulative
    figures as on the period's last day.

    Approval and resumption bring an enterprise's employees back, suspension takes them away, so the
    running sum of these per-day changes (from before the range) is the number back on each day.
    """
    back = _per_step(rules.WORKFORCE_CHANGE)
    # Every other step adds 0 to every column, so only these steps' rows are read; grouped by step and
    # day, SQLite reads them along the (step, day) index instead of all 37,000 steps of a city along the
    # day index (~60 -> ~20 ms, issue 14). The steps' rows of a day are added up here.
    counted = S.step.in_(sorted({"approved", "resumed", "suspended", *rules.WORKFORCE_CHANGE}))
    changes = (func.coalesce(func.sum(back), 0).label("working_change"),
               func.coalesce(func.sum(back * E.employees), 0).label("employees_change"),
               func.coalesce(func.sum(back * E.employees_from_outside), 0).label("outside_change"))
    per_day = _zone_scope(
        select(S.day, _count_if(S.step == "approved").label("approvals"), _count_if(S.step == "resumed").label("resumptions"),
               _count_if(S.step == "suspended").label("suspensions"), *changes)
        .join(E, E.id == S.enterprise_id)
        .where(counted, S.day.between(filters.start, filters.end))
        .group_by(S.step, S.day),
        filters,
    )
    before = _zone_scope(select(*changes).join(E, E.id == S.enterprise_id).where(counted, S.day < filters.start),
                         filters)
    with read_connection(engine) as conn:
        frame = _per_day(frame_of(conn.execute(per_day)))
        base = conn.execute(before).one()
    running = {"working": ("working_change", base[0]), "employees": ("employees_change", base[1]),
               "employees_from_outside": ("outside_change", base[2])}
    for target, (source, offset) in running.items():
        frame[target] = frame[source].astype(int).cumsum() + int(offset or 0)
    return grain.resample(frame, filters.start, filters.end, grain.grain_for(filters.start, filters.end),
                          sums=["approvals", "resumptions", "suspensions"], levels=list(running),
                          before={target: int(offset or 0) for target, (_, offset) in running.items()})


def _per_day(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows per step and day summed per day, in order of day."""
    return rows.groupby("day", as_index=False, sort=True).sum()


def timeline(enterprise_id: int, end: dt.date | None = None, engine=None) -> pd.DataFrame:
    """One enterprise's steps in order, with who recorded each (up to `end` when given)."""
    query = (
        select(S.id, S.day, S.step, S.passed, S.employees_called, S.problems_found, S.reason, S.note,
               S.recorded_by, S.recorded_at)
        .where(S.enterprise_id == enterprise_id)
        .order_by(S.day, S.id)
    )
    if end is not None:
        query = query.where(S.day <= end)
    return read_frame(query, engine)


# ---- reads for the entry form ----------------------------------------------------------------------

def choices(actor: Actor, zone_id: int | None = None, department: str | None = None,
            statuses: tuple[str, ...] = (), engine=None) -> pd.DataFrame:
    """The enterprises this actor may record steps for (current status), for the entry form's picker."""
    query = (
        select(E.id, E.name, WorkZone.name.label("zone"), E.department, E.status)
        .join(WorkZone, WorkZone.id == E.zone_id)
        .where(scope.writable_zones(actor, E.zone_id))
        .order_by(E.name, E.id)
    )
    if zone_id is not None:
        query = query.where(E.zone_id == zone_id)
    if department:
        query = query.where(E.department == department)
    if statuses:
        query = query.where(E.status.in_(statuses))
    return read_frame(query, engine)


def detail(enterprise_id: int, engine=None) -> dict:
    """One enterprise as the entry form needs it: its current status (from its steps) and version."""
    with read_connection(engine) as conn:
        row = conn.execute(OWNERS.join(
            select(E.id, E.name, E.zone_id, WorkZone.name.label("zone"), E.department, E.above_size, E.employees,
                   E.employees_from_outside, OWNERS.a.label("owner"), OWNERS.b.label("owner_backup"), E.version)
            .join(WorkZone, WorkZone.id == E.zone_id)).where(E.id == enterprise_id)
        ).mappings().one_or_none()
        if row is None:
            raise NotFound(f"enterprise {enterprise_id}")
        steps = [dict(r._mapping) for r in conn.execute(
            select(S.id, S.step, S.day, S.passed).where(S.enterprise_id == enterprise_id))]
    status, since = derive_status(steps)
    return {**row, "status": status, "since": since,
            "last_day": max((s["day"] for s in steps), default=None), "next_steps": next_steps(status),
            "approval_missing": approval_missing(steps)}


# ---- the stuck threshold (an admin setting) --------------------------------------------------------

def stuck_after_days(engine=None) -> int:
    with read_connection(engine) as conn:
        value = conn.execute(select(Setting.value).where(Setting.key == STUCK_SETTING)).scalar()
    try:
        return int(value) if value is not None else STUCK_DEFAULT
    except ValueError:
        return STUCK_DEFAULT


def set_stuck_after_days(username: str, days, expected: int | None = None, engine=None) -> int:
    """Admins only. `expected` is the value the form showed: a change meanwhile is refused, not overwritten."""
    check = Checker()
    value = check.count("stuck_after_days", days, maximum=STUCK_MAX)
    if value == 0:
        check.fail("stuck_after_days", "至少 1 天", "at least 1 day")
    check.raise_if_any()
    with write_session(engine) as session:
        require_admin(load_actor(session, username))
        row = session.get(Setting, STUCK_SETTING, with_for_update=True)
        current = int(row.value) if row is not None and row.value.isdigit() else STUCK_DEFAULT
        if expected is not None and current != expected:
            raise ConflictError()
        if row is None:
            session.add(Setting(key=STUCK_SETTING, value=str(value)))
        else:
            row.value = str(value)
        audit(session, username, "update", "setting", None, {STUCK_SETTING: current}, {STUCK_SETTING: value})
    return value


# ---- the write: record one step -------------------------------------------------------------------

def _clean(check: Checker, step, day, passed, reason, note, letters, employees, employees_from_outside,
           employees_called, problems_found) -> dict:
    """Field checks that need no database; every problem is collected before anything is refused."""
    step = check.choice("step", step, STEPS)
    values = {"step": step, "day": check.day("day", day), "note": check.text("note", note, max_len=1000),
              "passed": None, "employees_called": None, "problems_found": None,
              "employees": None, "employees_from_outside": None}
    if step in CHECKS:
        if passed is True or passed is False:
            values["passed"] = passed
        else:
            check.fail("passed", "请选择“通过”或“未通过”", "choose passed or failed")
    failed = step in CHECKS and passed is False
    values["reason"] = check.text("reason", reason, max_len=1000)
    if values["reason"] is None and not any(e.field == "reason" for e in check.errors):
        if failed:
            check.fail("reason", "检查未通过时须填写原因", "a failed check needs a reason")
        elif step in NEEDS_REASON:
            check.fail("reason", "须填写原因", "give the reason")
    if step == "letters_signed":
        for letter in LETTERS:
            if (letters or {}).get(letter) is not True:
                check.fail(f"letter_{letter}", "须签订“{letter}”后才能登记", "the {letter} letter must be signed first",
                           names=(("letter", (f"reopen.letter.{letter}",)),))
    if step == "approved":
        values["employees"] = check.count("employees", employees)
        values["employees_from_outside"] = check.count("employees_from_outside", employees_from_outside)
        check.not_more_than("employees_from_outside", values["employees_from_outside"], values["employees"],
                            "复工员工数", "the employees back")
    if step == "phone_verified":
        values["employees_called"] = check.count("employees_called", employees_called)
        values["problems_found"] = check.count("problems_found", problems_found)
        if values["employees_called"] == 0:
            check.fail("employees_called", "至少核实一名员工", "call at least one employee")
        # a problem is found with an employee called: there cannot be more problems than calls
        check.not_more_than("problems_found", values["problems_found"], values["employees_called"] or None,
                            "核实员工数", "the employees called")
    return values


def _step_names(steps) -> tuple[str, ...]:
    return tuple(f"reopen.step.{s}" for s in steps)


def _refuse_step(status: str, step: str, steps: list) -> FieldError:
    """Why this step cannot follow; the steps and the status are named in the UI's words."""
    if step == "approved" and status in BEFORE_APPROVAL:
        missing = approval_missing(steps) or ["inspected_before", "letters_signed"]
        return FieldError("step", "批复前须先通过实地检查并签订三个承诺书，尚缺：{missing}",
                          "approval needs a passed site inspection and all three letters first; missing: {missing}",
                          names=(("missing", _step_names(missing)),))
    if step == "resumed" and status == rules.OPEN_SUSPENSION_STATUS:
        return FieldError("step", "停产整顿后须先通过整改复查才能复工", "a suspended enterprise must pass a re-inspection before it resumes")
    # every status has a next step (rules.NEXT_STEPS), so the list is never empty
    return FieldError("step", "当前状态为“{status}”，下一步只能是：{allowed}",
                      "the enterprise is at '{status}'; the next step can only be: {allowed}",
                      names=(("status", (f"reopen.status.{status}",)), ("allowed", _step_names(next_steps(status)))))


def _step_values(row: ReopeningStep) -> dict:
    return {"enterprise_id": row.enterprise_id, "step": row.step, "day": row.day, "passed": row.passed,
            "employees_called": row.employees_called, "problems_found": row.problems_found,
            "reason": row.reason, "note": row.note}


def _planned(values: dict, status: str, enterprise_id: int, username: str) -> list[ReopeningStep]:
    """The row(s) one recorded step writes: the step itself, and a failed check's consequence."""
    main = ReopeningStep(enterprise_id=enterprise_id, step=values["step"], day=values["day"], passed=values["passed"],
                         employees_called=values["employees_called"], problems_found=values["problems_found"],
                         reason=values["reason"], note=values["note"], recorded_by=username)
    rows = [main]
    follow = consequence(status, values["step"], values["passed"])
    if follow:
        rows.append(ReopeningStep(enterprise_id=enterprise_id, step=follow, day=values["day"], reason=values["reason"],
                                  note=None, recorded_by=username))
    return rows


def _is_repeat(steps: list[ReopeningStep], values: dict, username: str) -> bool:
    """Is the newest write to this enterprise exactly this step by this user (a double click)?"""
    tail = list(steps)
    if values["passed"] is False and tail and tail[-1].step in NEEDS_REASON:
        tail = tail[:-1]  # the failed check's consequence, written with it
    if not tail:
        return False
    last = tail[-1]
    keys = ("step", "day", "passed", "reason", "note", "employees_called", "problems_found")
    return last.recorded_by == username and all(getattr(last, k) == values[k] for k in keys)


def record_step(username: str, enterprise_id: int, step: str, day, version: int | None, *, passed: bool | None = None,
                reason: str | None = None, note: str | None = None, letters: dict[str, bool] | None = None,
                employees=None, employees_from_outside=None, employees_called=None, problems_found=None,
                today: dt.date | None = None, engine=None) -> dict:
    """Record the next step for one enterprise, all or nothing, audited; returns the new status.

    `version` is the enterprise's version when the form was loaded: if anyone recorded a step since,
    the save is refused (unless it is this very save again, from a double click: then nothing is
    written twice and the result is returned as a repeat).
    """
    check = Checker(today, season_start(engine))
    values = _clean(check, step, day, passed, reason, note, letters, employees, employees_from_outside,
                    employees_called, problems_found)
    check.raise_if_any()
    with write_session(engine) as session:
        actor = load_actor(session, username)
        enterprise = scope.locked_row(session, actor, Enterprise, enterprise_id)
        steps = list(session.scalars(select(S).where(S.enterprise_id == enterprise_id).order_by(S.day, S.id)))
        if version is not None and version != enterprise.version:
            if enterprise.version == version + 1 and _is_repeat(steps, values, username):
                status, since = derive_status(steps)
                return {"status": status, "since": since, "steps": [values["step"]], "repeat": True}
            raise ConflictError("此企业的复工记录已被他人更新，请核对后再登记",
                                "Someone recorded a step for this enterprise since you opened the form; check and try again")
        status, _ = derive_status(steps)
        _check_against_history(values, status, steps, enterprise)
        before = {"status": enterprise.status, "status_since": enterprise.status_since,
                  "employees": enterprise.employees, "employees_from_outside": enterprise.employees_from_outside}
        new_rows = _planned(values, status, enterprise_id, username)
        session.add_all(new_rows)
        session.flush()
        for row in new_rows:
            after = _step_values(row)
            if row.step == "letters_signed":
                after["letters"] = list(LETTERS)
            audit(session, username, "insert", "reopening_step", row.id, None, after)
        if values["step"] == "approved":
            enterprise.employees = values["employees"]
            enterprise.employees_from_outside = values["employees_from_outside"]
        new_status, since = derive_status([*steps, *new_rows])
        enterprise.status, enterprise.status_since = new_status, since
        enterprise.changed_by(username)
        audit(session, username, "update", "enterprise", enterprise.id, before,
              {"status": new_status, "status_since": since, "employees": enterprise.employees,
               "employees_from_outside": enterprise.employees_from_outside})
    return {"status": new_status, "since": since, "steps": [r.step for r in new_rows], "repeat": False}


def _check_against_history(values: dict, status: str, steps: list, enterprise: Enterprise) -> None:
    """Rules that need the enterprise's past: the step must follow from its status, dates run forward."""
    errors = []
    if values["step"] not in next_steps(status):
        errors.append(_refuse_step(status, values["step"], steps))
    elif values["step"] == "approved" and approval_missing(steps):
        errors.append(_refuse_step("letters_signed", "approved", steps))
    last_day = max((s.day for s in steps), default=None)
    if last_day and values["day"] < last_day:
        errors.append(FieldError("day", f"不能早于上一步的日期（{last_day:%Y-%m-%d}）",
                                 f"cannot be before the previous step ({last_day:%Y-%m-%d})"))
    called = values["employees_called"]
    if called is not None and enterprise.employees and called > enterprise.employees:
        errors.append(FieldError("employees_called", f"不能超过企业复工员工数（{enterprise.employees}）",
                                 f"cannot exceed the enterprise's employees ({enterprise.employees})"))
    if errors:
        raise ValidationError(errors)
