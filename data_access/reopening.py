"""Enterprise reopening (企业复工): the rules, the figures the pages read, and the audited step write.

The report's procedure as a small state machine. An enterprise's status is derived from its
dated steps, never typed in:

    not_applied → applied → inspected_before → letters_signed → approved → inspected_after → phone_verified
                     └──────────┴──── refused ───┘                  └──── suspended ──┘         │
    refused → applied (a new application)         suspended → inspected_after (passed) = reinspected → resumed

A failed inspection or phone check is recorded as that check (passed = false) followed, in the same
transaction, by a refusal (before approval) or a suspension (after), both carrying the reason. While
suspended, a re-inspection that fails leaves the enterprise suspended; one that passes makes it
`reinspected`, and only then may it resume. Steps are dated no later than today and never before the
enterprise's previous step, so (day, id) is the order in which things happened.

Reads are "as of" a day (the filter bar's end): a step dated after it does not count. They all
aggregate in SQL over `_status_as_of`, the SQL twin of `derive_status` (or, when nothing is dated
after that day, over the status the write path stores, which is the same thing and cheaper).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Select, and_, case, func, literal, select

from . import grain
from .audit import audit
from .auth import Actor, check_zone, load_actor, require_admin
from .db import read_connection, write_session
from .errors import ConflictError, FieldError, NotFound, ValidationError
from .filters import Filters
from .models import DEPARTMENTS, Enterprise, ReopeningStep, Setting, WorkZone
from .territory import season_start
from .validate import Checker

# ---- the rules (pure) ----------------------------------------------------------------------------

STATUSES = ("not_applied", "applied", "inspected_before", "letters_signed", "approved", "inspected_after",
            "phone_verified", "refused", "suspended", "reinspected", "resumed")
FUNNEL = ("applied", "inspected_before", "letters_signed", "approved", "inspected_after", "phone_verified")
CHECKS = ("inspected_before", "inspected_after", "phone_verified")  # steps that pass or fail
NEEDS_REASON = ("refused", "suspended")
LETTERS = ("prevention", "safety", "health")  # the three commitment letters (三个承诺书)

NEXT_STEPS: dict[str, tuple[str, ...]] = {
    "not_applied": ("applied",),
    "applied": ("inspected_before", "refused"),
    "inspected_before": ("letters_signed", "refused"),
    "letters_signed": ("approved", "refused"),
    "approved": ("inspected_after", "suspended"),
    "inspected_after": ("phone_verified", "suspended"),
    "phone_verified": ("suspended",),
    "refused": ("applied",),
    "suspended": ("inspected_after",),  # the re-inspection after rectification
    "reinspected": ("resumed",),
    "resumed": ("suspended",),
}
BEFORE_APPROVAL = ("applied", "inspected_before", "letters_signed")
WORKING = ("approved", "inspected_after", "phone_verified", "resumed")  # "approved" in the report's count
IN_SUSPENSION = ("suspended", "reinspected")
DONE = ("phone_verified", "resumed")
# Statuses where the next move is the zone's, so time spent there can mean the case is stuck.
WAITING = ("applied", "inspected_before", "letters_signed", "approved", "inspected_after", "suspended", "reinspected")
GROUPS = ("working", "in_progress", "suspended", "refused", "not_applied")

STATUS_LABELS = {
    "not_applied": ("未申请", "Not applied"),
    "applied": ("已申请", "Applied"),
    "inspected_before": ("审批前检查通过", "Inspected before approval"),
    "letters_signed": ("三个承诺书已签", "Three letters signed"),
    "approved": ("已批复复工", "Approved"),
    "inspected_after": ("审批后检查通过", "Inspected after approval"),
    "phone_verified": ("电话核实完成", "Verified by phone"),
    "refused": ("不予批复", "Refused"),
    "suspended": ("停产整顿", "Suspended for rectification"),
    "reinspected": ("整改复查通过", "Re-inspected, may resume"),
    "resumed": ("整顿后复工", "Resumed"),
}
STEP_LABELS = {
    "applied": ("提交复工申请", "Application"),
    "inspected_before": ("审批前实地检查", "Site inspection before approval"),
    "letters_signed": ("签订三个承诺书", "Three commitment letters"),
    "approved": ("批复复工", "Approval"),
    "refused": ("不予批复", "Refusal"),
    "inspected_after": ("审批后实地检查", "Site inspection after approval"),
    "phone_verified": ("电话核实员工", "Phone verification of employees"),
    "suspended": ("停产整顿", "Suspension for rectification"),
    "resumed": ("整顿后复工", "Resumption"),
}
LETTER_LABELS = {
    "prevention": ("疫情防控承诺书", "Epidemic prevention commitment"),
    "safety": ("安全生产承诺书", "Safe production commitment"),
    "health": ("员工健康监测承诺书", "Employee health monitoring commitment"),
}
STUCK_SETTING = "stuck_after_days"
STUCK_DEFAULT = 5
STUCK_MAX = 365


def next_steps(status: str) -> tuple[str, ...]:
    return NEXT_STEPS.get(status, ())


def group_of(status: str) -> str:
    if status in WORKING:
        return "working"
    if status in BEFORE_APPROVAL:
        return "in_progress"
    if status in IN_SUSPENSION:
        return "suspended"
    return status  # refused, not_applied


def consequence(status: str, step: str, passed: bool | None) -> str | None:
    """The step a failed check brings with it: refusal before approval, suspension after.
    A failed re-inspection of a suspended enterprise brings nothing: it simply stays suspended."""
    if step not in CHECKS or passed is not False or status in IN_SUSPENSION:
        return None
    return "refused" if status in BEFORE_APPROVAL else "suspended"


def derive_status(steps: Sequence) -> tuple[str, dt.date | None]:
    """(status, since) from an enterprise's steps (objects or dicts with step, day, passed, id).

    Failed checks never set the status (their consequence does, or the suspension stands); an
    inspection after approval while suspensions outnumber resumptions is the passed re-inspection.
    `_status_as_of` computes exactly this in SQL; the tests hold the two together.
    """
    get = (lambda s, k: s[k]) if steps and isinstance(steps[0], dict) else getattr
    ordered = sorted(steps, key=lambda s: (get(s, "day"), get(s, "id") or 0))
    counted = [s for s in ordered if get(s, "passed") is not False]
    if not counted:
        return "not_applied", None
    open_suspensions = sum(1 if get(s, "step") == "suspended" else -1 if get(s, "step") == "resumed" else 0
                           for s in ordered)
    last = counted[-1]
    status = get(last, "step")
    if open_suspensions > 0:
        status = "reinspected" if status == "inspected_after" else "suspended"
    return status, get(last, "day")


def approval_missing(steps: Sequence) -> list[str]:
    """What approval still needs since the latest application: a passed pre-approval inspection, the letters."""
    get = (lambda s, k: s[k]) if steps and isinstance(steps[0], dict) else getattr
    ordered = sorted(steps, key=lambda s: (get(s, "day"), get(s, "id") or 0))
    applications = [i for i, s in enumerate(ordered) if get(s, "step") == "applied"]
    since = ordered[applications[-1]:] if applications else []
    missing = []
    if not any(get(s, "step") == "inspected_before" and get(s, "passed") is True for s in since):
        missing.append("inspected_before")
    if not any(get(s, "step") == "letters_signed" for s in since):
        missing.append("letters_signed")
    return missing


def _label(labels: dict, key: str, lang: str) -> str:
    pair = labels.get(key, (key, key))
    return pair[1] if lang == "en" else pair[0]


# ---- reads: everything aggregated in SQL, as of filters.end ---------------------------------------

S, E = ReopeningStep, Enterprise


def _zone_scope(query: Select, filters: Filters) -> Select:
    return query.where(E.zone_id == filters.zone_id) if filters.zone_id is not None else query


def _status_as_of(end: dt.date, zone_id: int | None = None):
    """Subquery: every enterprise (in the zone) with its status and since-day as of `end`."""
    in_zone = (lambda q: q.where(S.enterprise_id.in_(select(E.id).where(E.zone_id == zone_id)))) \
        if zone_id is not None else (lambda q: q)
    ranked = in_zone(
        select(S.enterprise_id, S.step, S.day,
               func.row_number().over(partition_by=S.enterprise_id, order_by=(S.day.desc(), S.id.desc())).label("rn"))
        .where(S.day <= end, S.passed.is_not(False))
    ).subquery("ranked")
    balance = in_zone(
        select(S.enterprise_id,
               func.sum(case((S.step == "suspended", 1), (S.step == "resumed", -1), else_=0)).label("open_suspensions"))
        .where(S.day <= end).group_by(S.enterprise_id)
    ).subquery("balance")
    status = case(
        (ranked.c.step.is_(None), literal("not_applied")),
        (balance.c.open_suspensions > 0,
         case((ranked.c.step == "inspected_after", literal("reinspected")), else_=literal("suspended"))),
        else_=ranked.c.step,
    )
    query = (
        select(E.id.label("enterprise_id"), status.label("status"), ranked.c.day.label("since"))
        .select_from(E)
        .outerjoin(ranked, and_(ranked.c.enterprise_id == E.id, ranked.c.rn == 1))
        .outerjoin(balance, balance.c.enterprise_id == E.id)
    )
    if zone_id is not None:
        query = query.where(E.zone_id == zone_id)
    return query.subquery("as_of")


def _as_of(filters: Filters, engine=None):
    """The as-of subquery for a read. When no step is dated after filters.end (always so for live data,
    which is read as of today) the status the write path keeps on each enterprise is exactly what
    `_status_as_of` would derive, and reading it is far cheaper than ranking every step."""
    with read_connection(engine) as conn:
        latest = conn.execute(select(func.max(S.day))).scalar()
    if latest is not None and latest > filters.end:
        return _status_as_of(filters.end, filters.zone_id)
    query = select(E.id.label("enterprise_id"), E.status.label("status"), E.status_since.label("since"))
    if filters.zone_id is not None:
        query = query.where(E.zone_id == filters.zone_id)
    return query.subquery("as_of")


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
        func.count(E.id),
        _count_if(E.above_size.is_(True)),
        _count_if(working),
        _count_if(and_(working, E.above_size.is_(True))),
        _sum_if(working, E.employees),
        _sum_if(working, E.employees_from_outside),
        _count_if(as_of.c.status.in_(BEFORE_APPROVAL)),
        _count_if(as_of.c.status.in_(IN_SUSPENSION)),
        _count_if(as_of.c.status == "refused"),
        _count_if(as_of.c.status == "not_applied"),
        _count_if(as_of.c.status.in_(DONE)),
        _count_if(and_(as_of.c.status.in_(WAITING), as_of.c.since < _cutoff(filters, threshold))),
    ).select_from(E).join(as_of, as_of.c.enterprise_id == E.id)
    approvals = _zone_scope(select(func.count(S.id)).join(E, E.id == S.enterprise_id)
                            .where(S.step == "approved", S.day == filters.end), filters)
    with read_connection(engine) as conn:
        row = conn.execute(query).one()
        approved_on_day = conn.execute(approvals).scalar_one()
    keys = ("enterprises", "above_size", "approved", "approved_above_size", "employees", "employees_from_outside",
            "in_progress", "suspended", "refused", "not_applied", "done", "stuck")
    return {**{k: int(v or 0) for k, v in zip(keys, row)}, "approved_on_day": int(approved_on_day),
            "threshold": threshold, "day": filters.end}


def funnel(filters: Filters, engine=None) -> pd.DataFrame:
    """How many enterprises have ever reached each step by filters.end (a check counts when passed)."""
    query = _zone_scope(
        select(S.step, func.count(func.distinct(S.enterprise_id)))
        .join(E, E.id == S.enterprise_id)
        .where(S.day <= filters.end, S.passed.is_not(False))
        .group_by(S.step),
        filters,
    )
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
    group = case(
        (as_of.c.status.in_(WORKING), literal("working")),
        (as_of.c.status.in_(BEFORE_APPROVAL), literal("in_progress")),
        (as_of.c.status.in_(IN_SUSPENSION), literal("suspended")),
        else_=as_of.c.status,
    ).label("group")
    working = as_of.c.status.in_(WORKING)
    query = (
        select(E.department, E.above_size, group, func.count(E.id),
               _sum_if(working, E.employees), _sum_if(working, E.employees_from_outside))
        .join(as_of, as_of.c.enterprise_id == E.id)
        .group_by(E.department, E.above_size, group)
    )
    with read_connection(engine) as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["department", "above_size", "group", "enterprises", "employees",
                                        "employees_from_outside"])
    frame["above_size"] = frame["above_size"].astype(bool)
    frame["dept_order"] = frame["department"].map({d: i for i, d in enumerate(DEPARTMENTS)})
    frame["group_order"] = frame["group"].map({g: i for i, g in enumerate(GROUPS)})
    return frame.sort_values(["dept_order", "above_size", "group_order"]).reset_index(drop=True)


def _enterprise_columns(as_of):
    return (E.id.label("enterprise_id"), E.name, WorkZone.name.label("zone"), E.department, E.above_size,
            E.employees, E.employees_from_outside, as_of.c.status, as_of.c.since, E.owner, E.owner_backup)


ENTERPRISE_COLUMNS = ["enterprise_id", "name", "zone", "department", "above_size", "employees",
                      "employees_from_outside", "status", "since", "owner", "owner_backup"]


def _frame(rows, filters: Filters) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=ENTERPRISE_COLUMNS)
    frame["above_size"] = frame["above_size"].astype(bool)
    frame["days"] = [(filters.end - since).days if since is not None else None for since in frame["since"]]
    frame["next_step"] = [next(iter(next_steps(s)), None) if s in WAITING else None for s in frame["status"]]
    return frame


def enterprises(filters: Filters, statuses: tuple[str, ...] = (), departments: tuple[str, ...] = (),
                limit: int | None = None, engine=None) -> pd.DataFrame:
    """The enterprise table: status as of filters.end, narrowed by zone, status and department."""
    as_of = _as_of(filters, engine)
    query = (
        select(*_enterprise_columns(as_of))
        .join(as_of, as_of.c.enterprise_id == E.id)
        .join(WorkZone, WorkZone.id == E.zone_id)
        .order_by(WorkZone.code, E.name, E.id)
    )
    if statuses:
        query = query.where(as_of.c.status.in_(statuses))
    if departments:
        query = query.where(E.department.in_(departments))
    if limit:
        query = query.limit(limit)
    with read_connection(engine) as conn:
        return _frame(conn.execute(query).all(), filters)


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


def stuck(filters: Filters, threshold: int | None = None, limit: int | None = None, engine=None) -> pd.DataFrame:
    """Enterprises that have waited at their status more than `threshold` days on filters.end, longest first
    (the `limit` longest when given; summary()["stuck"] counts them all)."""
    threshold = stuck_after_days(engine) if threshold is None else threshold
    as_of = _as_of(filters, engine)
    query = (
        select(*_enterprise_columns(as_of))
        .join(as_of, as_of.c.enterprise_id == E.id)
        .join(WorkZone, WorkZone.id == E.zone_id)
        .where(as_of.c.status.in_(WAITING), as_of.c.since < _cutoff(filters, threshold))
        .order_by(as_of.c.since, WorkZone.code, E.name, E.id)
        .limit(limit)
    )
    with read_connection(engine) as conn:
        return _frame(conn.execute(query).all(), filters)


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
        select(*_enterprise_columns(as_of), latest.c.suspended_on, latest.c.reason)
        .join(as_of, as_of.c.enterprise_id == E.id)
        .join(WorkZone, WorkZone.id == E.zone_id)
        .outerjoin(latest, and_(latest.c.enterprise_id == E.id, latest.c.rn == 1))
        .where(as_of.c.status.in_(IN_SUSPENSION))
        .order_by(latest.c.suspended_on, E.name, E.id)
        .limit(limit)
    )
    with read_connection(engine) as conn:
        rows = conn.execute(query).all()
    frame = _frame([r[:-2] for r in rows], filters)
    frame["suspended_on"] = [r[-2] for r in rows]
    frame["reason"] = [r[-1] for r in rows]
    return frame


def daily(filters: Filters, engine=None) -> pd.DataFrame:
    """Per day of the range: approvals, resumptions, suspensions, and enterprises/employees back (cumulative).
    Over a longer range per week, month or year (grain.grain_for): counts summed, the cumulative
    figures as on the period's last day.

    Approval and resumption bring an enterprise's employees back, suspension takes them away, so the
    running sum of these per-day changes (from before the range) is the number back on each day.
    """
    back = case((S.step.in_(("approved", "resumed")), 1), (S.step == "suspended", -1), else_=0)
    changes = (func.coalesce(func.sum(back), 0), func.coalesce(func.sum(back * E.employees), 0),
               func.coalesce(func.sum(back * E.employees_from_outside), 0))
    per_day = _zone_scope(
        select(S.day, _count_if(S.step == "approved"), _count_if(S.step == "resumed"),
               _count_if(S.step == "suspended"), *changes)
        .join(E, E.id == S.enterprise_id)
        .where(S.day.between(filters.start, filters.end))
        .group_by(S.day),
        filters,
    )
    before = _zone_scope(select(*changes).join(E, E.id == S.enterprise_id).where(S.day < filters.start), filters)
    with read_connection(engine) as conn:
        rows = conn.execute(per_day).all()
        base = conn.execute(before).one()
    columns = ["day", "approvals", "resumptions", "suspensions", "working_change", "employees_change",
               "outside_change"]
    frame = pd.DataFrame(rows, columns=columns).sort_values("day")
    running = {"working": ("working_change", base[0]), "employees": ("employees_change", base[1]),
               "employees_from_outside": ("outside_change", base[2])}
    for target, (source, offset) in running.items():
        frame[target] = frame[source].astype(int).cumsum() + int(offset or 0)
    return grain.resample(frame, filters.start, filters.end, grain.grain_for(filters.start, filters.end),
                          sums=["approvals", "resumptions", "suspensions"], levels=list(running),
                          before={target: int(offset or 0) for target, (_, offset) in running.items()})


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
    with read_connection(engine) as conn:
        return pd.DataFrame(conn.execute(query).all(),
                            columns=["id", "day", "step", "passed", "employees_called", "problems_found", "reason",
                                     "note", "recorded_by", "recorded_at"])


# ---- reads for the entry form ----------------------------------------------------------------------

def _writable(actor: Actor):
    if actor.role in ("admin", "supervisor"):
        return literal(True)
    if actor.role == "clerk":
        return E.zone_id.in_(sorted(actor.zone_ids) or [-1])
    return literal(False)


def choices(actor: Actor, zone_id: int | None = None, department: str | None = None,
            statuses: tuple[str, ...] = (), engine=None) -> pd.DataFrame:
    """The enterprises this actor may record steps for (current status), for the entry form's picker."""
    query = (
        select(E.id, E.name, WorkZone.name.label("zone"), E.department, E.status)
        .join(WorkZone, WorkZone.id == E.zone_id)
        .where(_writable(actor))
        .order_by(E.name, E.id)
    )
    if zone_id is not None:
        query = query.where(E.zone_id == zone_id)
    if department:
        query = query.where(E.department == department)
    if statuses:
        query = query.where(E.status.in_(statuses))
    with read_connection(engine) as conn:
        return pd.DataFrame(conn.execute(query).all(), columns=["id", "name", "zone", "department", "status"])


def detail(enterprise_id: int, engine=None) -> dict:
    """One enterprise as the entry form needs it: its current status (from its steps) and version."""
    with read_connection(engine) as conn:
        row = conn.execute(
            select(E.id, E.name, E.zone_id, WorkZone.name, E.department, E.above_size, E.employees,
                   E.employees_from_outside, E.owner, E.owner_backup, E.version)
            .join(WorkZone, WorkZone.id == E.zone_id).where(E.id == enterprise_id)
        ).one_or_none()
        if row is None:
            raise NotFound(f"enterprise {enterprise_id}")
        steps = [dict(r._mapping) for r in conn.execute(
            select(S.id, S.step, S.day, S.passed).where(S.enterprise_id == enterprise_id))]
    keys = ("id", "name", "zone_id", "zone", "department", "above_size", "employees", "employees_from_outside",
            "owner", "owner_backup", "version")
    status, since = derive_status(steps)
    return {**dict(zip(keys, row)), "status": status, "since": since,
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
    step = check.choice("step", step, REOPENING_STEP_CHOICES)
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
                zh, en = LETTER_LABELS[letter]
                check.fail(f"letter_{letter}", f"须签订“{zh}”后才能登记", f"the {en} letter must be signed first")
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


REOPENING_STEP_CHOICES = tuple(STEP_LABELS)


def _refuse_step(status: str, step: str, steps: list) -> FieldError:
    allowed = next_steps(status)
    if step == "approved" and status in BEFORE_APPROVAL:
        missing = approval_missing(steps) or ["inspected_before", "letters_signed"]
        return FieldError("step",
                          "批复前须先通过实地检查并签订三个承诺书，尚缺：" + "、".join(STEP_LABELS[m][0] for m in missing),
                          "approval needs a passed site inspection and all three letters first; missing: "
                          + ", ".join(STEP_LABELS[m][1] for m in missing))
    if step == "resumed" and status == "suspended":
        return FieldError("step", "停产整顿后须先通过整改复查才能复工", "a suspended enterprise must pass a re-inspection before it resumes")
    zh_allowed = "、".join(STEP_LABELS[s][0] for s in allowed) or "无"
    en_allowed = ", ".join(STEP_LABELS[s][1] for s in allowed) or "none"
    return FieldError("step", f"当前状态为“{STATUS_LABELS[status][0]}”，下一步只能是：{zh_allowed}",
                      f"the enterprise is at '{STATUS_LABELS[status][1]}'; the next step can only be: {en_allowed}")


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
        enterprise = session.get(Enterprise, enterprise_id, with_for_update=True)
        if enterprise is None:
            raise NotFound(f"enterprise {enterprise_id}")
        check_zone(actor, enterprise.zone_id)
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
        enterprise.version += 1
        enterprise.updated_at, enterprise.updated_by = dt.datetime.now(dt.timezone.utc), username
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
