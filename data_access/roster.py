"""The duty roster (抓好一线督导 / 路域卡口昼夜坚守): shifts, head counts per duty point, who is rostered when,
and who is on duty now.

A duty point (a checkpoint or a compound's gate, as inspections.DUTY_KINDS) needs `required` people on each
shift (a duty_post row; DEFAULT_REQUIRED without one). A week grid per point assigns people to (day, shift)
cells; a save sends back, per cell, the people it loaded, and a cell someone changed meanwhile is refused
whole (ConflictError, nothing saved). Saves of one point take turns on its site row, so two clerks filling
the same empty cell cannot both win. Double booking and too many hours in a row are warnings, not refusals:
the command post sometimes has no one else.

The wall's reads (on_duty, duty_tile, gaps) run on every refresh after a save: they read only the day in
question through ix_duty_assignment_day (day, shift_id, site_id, person_id, absent) and count in SQL.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pandas as pd
from sqlalchemy import and_, case, delete, func, insert, select, update

from . import clock, scope
from .audit import audit, write_versioned
from .auth import load_actor, require_admin
from .db import read_connection, read_frame, write_session
from .errors import ConflictError, FieldError, NotFound, PermissionDenied, ValidationError
from .filters import Filters
from .inspections import DUTY_KINDS, _duty_scope
from .models import DutyAssignment, DutyPost, DutyShift, Inspection, OrgUnit, Person, Site, WorkZone
from .territory import setting
from .validate import Checker, parse_day

DEFAULT_REQUIRED = 1  # a duty point without a duty_post row needs one person a shift
MAX_REQUIRED = 50
MAX_HOURS_KEY = "duty_max_hours"
DEFAULT_MAX_HOURS = 16
NAME_JOIN = "、"
DAY_MINUTES = 24 * 60
ASSIGNMENT = DutyAssignment.__table__

SHIFT_COLUMNS = ["shift_id", "code", "name", "start_minute", "end_minute", "active", "version"]
WARNING_COLUMNS = ["kind", "person_id", "person", "day", "shift", "site", "other_site", "hours"]
ON_DUTY_COLUMNS = ["site_id", "site", "zone", "shift_id", "shift", "start_minute", "end_minute", "required",
                   "rostered", "absent", "present", "short", "names", "absent_names"]
GAP_COLUMNS = ["site_id", "site", "zone", "shift_id", "shift", "start_minute", "required", "rostered", "present",
               "empty"]


# ---- time ------------------------------------------------------------------------------------------

def local_moment(now: dt.datetime) -> tuple[dt.date, int]:
    """now as (local day, minutes after local midnight): shifts are wall-clock times where the zone is."""
    local = now.astimezone(clock.zone()) if now.tzinfo else now.replace(tzinfo=clock.zone())
    return local.date(), local.hour * 60 + local.minute


def max_hours_in_row(engine=None) -> int:
    """How many hours in a row a person may be on duty before a warning (setting duty_max_hours)."""
    value = setting(MAX_HOURS_KEY, engine=engine)
    try:
        hours = int(value) if value is not None else DEFAULT_MAX_HOURS
    except ValueError:
        return DEFAULT_MAX_HOURS
    return hours if hours > 0 else DEFAULT_MAX_HOURS


# ---- shifts ----------------------------------------------------------------------------------------

def shifts(engine=None, active_only: bool = False) -> pd.DataFrame:
    """The shifts of the day, by start: [shift_id, code, name, start_minute, end_minute, active, version]."""
    query = (select(DutyShift.id.label("shift_id"), DutyShift.code, DutyShift.name, DutyShift.start_minute,
                    DutyShift.end_minute, DutyShift.active, DutyShift.version)
             .order_by(DutyShift.start_minute, DutyShift.code))
    if active_only:
        query = query.where(DutyShift.active.is_(True))
    frame = read_frame(query, engine)
    frame["active"] = frame["active"].astype(bool)
    return frame[SHIFT_COLUMNS]


def _active_shifts(conn) -> list:
    return conn.execute(select(DutyShift.id, DutyShift.name, DutyShift.start_minute, DutyShift.end_minute)
                        .where(DutyShift.active.is_(True)).order_by(DutyShift.start_minute, DutyShift.id)).all()


def shift_at(now: dt.datetime, engine=None) -> dict | None:
    """The active shift covering now's local time: {shift_id, name, start_minute, end_minute, day}; None between shifts."""
    day, minute = local_moment(now)
    with read_connection(engine) as conn:
        rows = _active_shifts(conn)
    for row in rows:
        if row.start_minute <= minute < row.end_minute:
            return {"shift_id": row.id, "name": row.name, "start_minute": row.start_minute,
                    "end_minute": row.end_minute, "day": day}
    return None


def shift_moment(now: dt.datetime, engine=None) -> dt.datetime:
    """The start of the shift covering `now` (now itself between shifts): what on_duty, gaps and the duty
    alerts depend on of the time, so a cache keyed on it changes at each shift, not each minute."""
    current = shift_at(now, engine)
    if current is None:
        return now
    return clock.local_midnight(current["day"]) + dt.timedelta(minutes=current["start_minute"])


def save_shift(username: str, shift_id: int | None, fields: dict, version: int | None = None, engine=None) -> int:
    """Add (shift_id None) or change a shift: admins only; shifts never cross midnight nor overlap an active
    one. Returns the shift's id."""
    check = Checker()
    values = {
        "code": check.text("code", fields.get("code"), required=True, column=DutyShift.code),
        "name": check.text("name", fields.get("name"), required=True, column=DutyShift.name),
        "start_minute": check.count("start_minute", fields.get("start_minute"), maximum=DAY_MINUTES - 1),
        "end_minute": check.count("end_minute", fields.get("end_minute"), maximum=DAY_MINUTES),
        "active": bool(fields.get("active", True)),
    }
    if None not in (values["start_minute"], values["end_minute"]) and values["start_minute"] >= values["end_minute"]:
        check.fail("end_minute", "结束时间应晚于开始时间（班次不跨零点）", "the end must be after the start (a shift never crosses midnight)")
    check.raise_if_any()
    with write_session(engine) as session:
        require_admin(load_actor(session, username))
        others = session.execute(select(DutyShift.id, DutyShift.code, DutyShift.start_minute, DutyShift.end_minute,
                                        DutyShift.active)).all()
        for other in others:
            if other.id == shift_id:
                continue
            if other.code == values["code"]:
                raise ValidationError([FieldError("code", "该编码已被其他班次使用", "this code is used by another shift")])
            if values["active"] and other.active and other.start_minute < values["end_minute"] \
                    and values["start_minute"] < other.end_minute:
                raise ValidationError([FieldError("start_minute", "与其他班次时间重叠", "overlaps another shift")])
        return write_versioned(session, username, DutyShift, shift_id, values, version).id


# ---- duty points and head counts ---------------------------------------------------------------------

def _points(filters: Filters):
    """The duty points in scope, with their zone, as a subquery (inspections' scope rule)."""
    return _duty_scope(
        select(Site.id.label("site_id"), Site.name.label("site"), Site.kind, Site.checkpoint_type,
               Site.zone_id, WorkZone.name.label("zone"), WorkZone.code.label("zone_code"))
        .join(WorkZone, WorkZone.id == Site.zone_id),
        filters,
    ).subquery("points")


def duty_points(filters: Filters, engine=None) -> pd.DataFrame:
    """Active checkpoints and compounds in scope: [site_id, name, kind, checkpoint_type, zone_id, zone]."""
    points = _points(filters)
    query = (select(points.c.site_id, points.c.site.label("name"), points.c.kind, points.c.checkpoint_type,
                    points.c.zone_id, points.c.zone)
             .order_by(points.c.zone_code, points.c.kind, points.c.site, points.c.site_id))
    return read_frame(query, engine)


def requirements(filters: Filters, engine=None) -> pd.DataFrame:
    """Every duty point in scope x active shift: how many people it needs (DEFAULT_REQUIRED without a row)
    and the row's version (None without one): [site_id, site, zone, shift_id, shift, required, version]."""
    points = _points(filters)
    query = (select(points.c.site_id, points.c.site, points.c.zone, DutyShift.id.label("shift_id"),
                    DutyShift.name.label("shift"), func.coalesce(DutyPost.required, DEFAULT_REQUIRED).label("required"),
                    DutyPost.version)
             .select_from(points)
             .join(DutyShift, DutyShift.active.is_(True))
             .outerjoin(DutyPost, and_(DutyPost.site_id == points.c.site_id, DutyPost.shift_id == DutyShift.id))
             .order_by(points.c.zone_code, points.c.kind, points.c.site, points.c.site_id, DutyShift.start_minute))
    frame = read_frame(query, engine, dtype=object)
    return frame.astype({"site_id": int, "shift_id": int, "required": int})


def save_requirements(username: str, rows: list[dict], engine=None) -> dict:
    """Set head counts: rows of {site_id, shift_id, required, version (optional)}; admins and supervisors.
    One audited transaction. Returns {inserted, updated, unchanged}."""
    check = Checker()
    cleaned, seen = [], set()
    for index, row in enumerate(rows):
        key = (row.get("site_id"), row.get("shift_id"))
        if key in seen:
            check.fail("site_id", "同一岗位班次重复", "this point and shift appear twice", index)
        seen.add(key)
        cleaned.append({"site_id": key[0], "shift_id": key[1], "version": row.get("version"),
                        "required": check.count("required", row.get("required"), index, maximum=MAX_REQUIRED)})
    check.raise_if_any()
    outcome = {"inserted": 0, "updated": 0, "unchanged": 0}
    if not cleaned:
        return outcome
    with write_session(engine) as session:
        actor = load_actor(session, username)
        if actor.role not in scope.EVERYWHERE:
            raise PermissionDenied("仅管理员和督导可以设置岗位人数", "Only administrators and supervisors set head counts")
        points = _duty_sites(session, {r["site_id"] for r in cleaned})
        known = {r.id for r in _active_shifts(session.connection())}
        bad = [i for i, r in enumerate(cleaned) if r["site_id"] not in points or r["shift_id"] not in known]
        if bad:
            raise ValidationError([FieldError("site_id", "不是执勤点或班次", "not a duty point or shift", i) for i in bad])
        stored = {(p.site_id, p.shift_id): p for p in session.scalars(
            select(DutyPost).where(DutyPost.site_id.in_(points)).with_for_update())}
        stale = [i for i, r in enumerate(cleaned) if r["version"] is not None
                 and (r["site_id"], r["shift_id"]) in stored
                 and stored[(r["site_id"], r["shift_id"])].version != r["version"]
                 and stored[(r["site_id"], r["shift_id"])].required != r["required"]]
        if stale:
            raise ConflictError(rows=stale)
        for row in cleaned:
            post = stored.get((row["site_id"], row["shift_id"]))
            values = {"site_id": row["site_id"], "shift_id": row["shift_id"], "required": row["required"]}
            if post is None:
                post = DutyPost(**values, **DutyPost.first_write(username))
                session.add(post)
                session.flush()
                audit(session, username, "insert", "duty_post", post.id, None, values)
                outcome["inserted"] += 1
            elif post.required == row["required"]:
                outcome["unchanged"] += 1
            else:
                before = {**values, "required": post.required}
                post.required = row["required"]
                post.changed_by(username)
                audit(session, username, "update", "duty_post", post.id, before, values)
                outcome["updated"] += 1
    return outcome


def _duty_sites(session, site_ids) -> dict[int, str]:
    """The active duty points among site_ids: {id: name}."""
    ids = sorted(i for i in site_ids if isinstance(i, int))
    if not ids:
        return {}
    return dict(session.execute(select(Site.id, Site.name).where(
        Site.id.in_(ids), Site.kind.in_(DUTY_KINDS), Site.active.is_(True))).all())


# ---- the week grid -----------------------------------------------------------------------------------

def _names(ids, names: dict[int, str]) -> str:
    return NAME_JOIN.join(names.get(i, str(i)) for i in sorted(ids))


def week(site_id: int, monday: dt.date, engine=None) -> pd.DataFrame:
    """One duty point's week: 7 days x active shifts, [day, shift_id, shift, required, person_ids (sorted
    tuple), names ("张三、李四"), absent_names]. The page keeps each cell's person_ids and sends them back
    as loaded_person_ids (the week's version, per cell)."""
    days = [monday + dt.timedelta(days=k) for k in range(7)]
    with read_connection(engine) as conn:
        active = _active_shifts(conn)
        required = dict(conn.execute(select(DutyPost.shift_id, DutyPost.required).where(DutyPost.site_id == site_id)).all())
        rows = conn.execute(
            select(DutyAssignment.day, DutyAssignment.shift_id, DutyAssignment.person_id, DutyAssignment.absent,
                   Person.name)
            .join(Person, Person.id == DutyAssignment.person_id)
            .where(DutyAssignment.site_id == site_id, DutyAssignment.day.between(days[0], days[-1]))).all()
    cells: dict[tuple, list] = defaultdict(list)
    names = {}
    for row in rows:
        cells[(row.day, row.shift_id)].append((row.person_id, bool(row.absent)))
        names[row.person_id] = row.name
    out = []
    for day in days:
        for shift in active:
            people = sorted(cells.get((day, shift.id), []))
            ids = tuple(p for p, _ in people)
            out.append((day, shift.id, shift.name, int(required.get(shift.id, DEFAULT_REQUIRED)), ids,
                        _names(ids, names), _names([p for p, absent in people if absent], names)))
    return pd.DataFrame(out, columns=["day", "shift_id", "shift", "required", "person_ids", "names", "absent_names"])


def _id_set(check: Checker, field: str, value, row: int) -> frozenset[int] | None:
    if value is None:
        return frozenset()
    try:
        ids = list(value)
    except TypeError:
        check.fail(field, "应为人员列表", "must be a list of people", row)
        return None
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        ids = [int(i) if str(i).strip().lstrip("-").isdigit() else None for i in ids]
        if None in ids:
            check.fail(field, "应为人员列表", "must be a list of people", row)
            return None
    return frozenset(ids)


def _clean_cells(cells: list[dict]) -> list[dict]:
    check = Checker()
    cleaned, seen = [], set()
    for index, cell in enumerate(cells):
        day = parse_day(cell.get("day")) if not isinstance(cell.get("day"), dt.date) else cell.get("day")
        if isinstance(day, dt.datetime):
            day = day.date()
        if day is None:
            check.fail("day", "日期格式应为 2020-02-25", "date must look like 2020-02-25", index)
        shift_id = cell.get("shift_id")
        if not isinstance(shift_id, int) or isinstance(shift_id, bool):
            check.fail("shift_id", "不是可选的班次", "is not a shift", index)
        if (day, shift_id) in seen:
            check.fail("day", "同一班次重复", "this day and shift appear twice", index)
        seen.add((day, shift_id))
        cleaned.append({"day": day, "shift_id": shift_id,
                        "people": _id_set(check, "person_ids", cell.get("person_ids"), index),
                        "loaded": _id_set(check, "loaded_person_ids", cell.get("loaded_person_ids"), index)})
    check.raise_if_any()
    return cleaned


_LOCK_SITE = Site.__table__


def _locked_point(session, actor, site_id: int):
    """The duty point a roster write changes, its row locked against other roster writes of it (PostgreSQL:
    FOR NO KEY UPDATE, so two clerks filling the same empty cell take turns; inserts elsewhere referencing the
    site are not held up). Refused for viewers and outside the actor's scope."""
    scope.require_writer(actor)
    site = session.execute(select(_LOCK_SITE.c.id, _LOCK_SITE.c.name, _LOCK_SITE.c.zone_id, _LOCK_SITE.c.kind,
                                  _LOCK_SITE.c.active)
                           .where(_LOCK_SITE.c.id == site_id).with_for_update(key_share=True)).first()
    if site is None:
        raise NotFound(f"site {site_id}")
    scope.refuse_outside([] if scope.may_write_site(actor, site.id, site.zone_id) else [site.name],
                         "排这个执勤点的班", "duty points")
    if site.kind not in DUTY_KINDS or not site.active:
        raise ValidationError([FieldError("site_id", "不是执勤点（卡口或小区）", "not a duty point (checkpoint or compound)")])
    return site


def save_week(username: str, site_id: int, cells: list[dict], engine=None) -> dict:
    """Save a duty point's week grid in one audited transaction. Each cell: day, shift_id, person_ids and
    loaded_person_ids (what the page loaded). A cell whose stored people differ from what was loaded (and
    from what is sent) is refused with the whole save (ConflictError, rows = the cells' positions). A person
    newly put on duty must be active. Returns {"changed": cells changed, "warnings": [dict(kind, person_id,
    person, day, shift, site, other_site, hours)]} for the people and days saved: warnings, not refusals."""
    cleaned = _clean_cells(cells)
    with write_session(engine) as session:
        actor = load_actor(session, username)
        _locked_point(session, actor, site_id)
        conn = session.connection()
        active = {row.id: row for row in _active_shifts(conn)}
        unknown = [i for i, c in enumerate(cleaned) if c["shift_id"] not in active]
        if unknown:
            raise ValidationError([FieldError("shift_id", "不是可选的班次", "is not a shift", i) for i in unknown])
        stored = _stored_cells(conn, site_id, {c["day"] for c in cleaned})
        changes, stale = [], []
        for index, cell in enumerate(cleaned):
            have = stored.get((cell["day"], cell["shift_id"]), frozenset())
            if have == cell["people"]:
                continue
            if have != cell["loaded"]:
                stale.append(index)
            changes.append((cell, have))
        if stale:
            raise ConflictError(rows=stale)
        names = _people(conn, set().union(*(c["people"] | have for c, have in changes)) if changes else set())
        _refuse_unknown_or_inactive(changes, names)
        now = dt.datetime.now(dt.timezone.utc)
        called = {i: name for i, (name, _status) in names.items()}
        for cell, have in changes:
            _apply_cell(conn, username, site_id, cell, have, now)
            key = {"site_id": site_id, "day": cell["day"], "shift_id": cell["shift_id"]}
            audit(session, username, "update", "duty_assignment", None, {**key, "people": _names(have, called)},
                  {**key, "people": _names(cell["people"], called)})
        found = []
        if changes:
            people = set().union(*(c["people"] for c, _ in changes))
            days = {c["day"] for c, _ in changes}
            found = _warnings_of(conn, people, min(days), max(days), max_hours_in_row(engine),
                                 site_id=site_id, days=days) if people else []
    return {"changed": len(changes), "warnings": found}


def _stored_cells(conn, site_id: int, days) -> dict[tuple, frozenset]:
    found: dict[tuple, set] = defaultdict(set)
    if not days:
        return {}
    for day, shift_id, person_id in conn.execute(
            select(ASSIGNMENT.c.day, ASSIGNMENT.c.shift_id, ASSIGNMENT.c.person_id)
            .where(ASSIGNMENT.c.site_id == site_id, ASSIGNMENT.c.day.in_(sorted(days)))):
        found[(day, shift_id)].add(person_id)
    return {key: frozenset(value) for key, value in found.items()}


def _people(conn, ids) -> dict[int, tuple[str, str]]:
    """{person_id: (name, status)} of the people among ids."""
    if not ids:
        return {}
    return {r.id: (r.name, r.status) for r in conn.execute(
        select(Person.id, Person.name, Person.status).where(Person.id.in_(sorted(ids))))}


def _refuse_unknown_or_inactive(changes, people: dict) -> None:
    errors = []
    for index, (cell, have) in enumerate(changes):
        for person_id in sorted(cell["people"] - have):
            if person_id not in people:
                errors.append(FieldError("person_ids", "人员不存在", "no such person", index))
            elif people[person_id][1] != "active":
                errors.append(FieldError("person_ids", f"{people[person_id][0]} 不在岗（请假或离岗），不能排班",
                                         f"{people[person_id][0]} is not active (on leave or left)", index))
    if errors:
        raise ValidationError(errors)


def _apply_cell(conn, username: str, site_id: int, cell: dict, have: frozenset, now: dt.datetime) -> None:
    removed, added = sorted(have - cell["people"]), sorted(cell["people"] - have)
    where = (ASSIGNMENT.c.site_id == site_id, ASSIGNMENT.c.day == cell["day"], ASSIGNMENT.c.shift_id == cell["shift_id"])
    if removed:
        conn.execute(delete(ASSIGNMENT).where(*where, ASSIGNMENT.c.person_id.in_(removed)))
    if added:
        conn.execute(insert(ASSIGNMENT), [
            {"site_id": site_id, "day": cell["day"], "shift_id": cell["shift_id"], "person_id": p, "absent": False,
             "recorded_by": username, "recorded_at": now} for p in added])


def copy_last_week(username: str, site_id: int | None, zone_id: int | None, monday: dt.date, engine=None) -> dict:
    """Copy the week before `monday` into this week's empty cells (a cell with anyone in it is left as it
    is), at one duty point, a work zone's points, or (both None) every point the actor may write for; people
    no longer active are left out. Audited per point. Returns {copied, skipped, filled, inactive}: people
    copied, and not copied (a filled cell; not active)."""
    if not isinstance(monday, dt.date):
        monday = parse_day(monday)
        if monday is None:
            raise ValidationError([FieldError("monday", "日期格式应为 2020-02-25", "date must look like 2020-02-25")])
    last = monday - dt.timedelta(days=7)
    with write_session(engine) as session:
        actor = load_actor(session, username)
        conn = session.connection()
        sites = _sites_to_copy(session, actor, site_id, zone_id)
        outcome = {"copied": 0, "skipped": 0, "filled": 0, "inactive": 0}
        if not sites:
            return outcome
        active = {row.id for row in _active_shifts(conn)}
        source = conn.execute(
            select(ASSIGNMENT.c.site_id, ASSIGNMENT.c.day, ASSIGNMENT.c.shift_id, ASSIGNMENT.c.person_id, Person.status)
            .join(Person, Person.id == ASSIGNMENT.c.person_id)
            .where(ASSIGNMENT.c.day.between(last, monday - dt.timedelta(days=1)),
                   ASSIGNMENT.c.site_id.in_(sorted(sites)))).all()
        filled = set(conn.execute(
            select(ASSIGNMENT.c.site_id, ASSIGNMENT.c.day, ASSIGNMENT.c.shift_id).distinct()
            .where(ASSIGNMENT.c.day.between(monday, monday + dt.timedelta(days=6)),
                   ASSIGNMENT.c.site_id.in_(sorted(sites)))).all())
        now = dt.datetime.now(dt.timezone.utc)
        new, per_site = [], defaultdict(int)
        for row in source:
            target = (row.site_id, row.day + dt.timedelta(days=7), row.shift_id)
            if row.shift_id not in active or target in filled:
                outcome["filled"] += 1
            elif row.status != "active":
                outcome["inactive"] += 1
            else:
                new.append({"site_id": row.site_id, "day": target[1], "shift_id": row.shift_id,
                            "person_id": row.person_id, "absent": False, "recorded_by": username, "recorded_at": now})
                per_site[row.site_id] += 1
        if new:
            conn.execute(insert(ASSIGNMENT), new)
        for point, copied in sorted(per_site.items()):
            audit(session, username, "copy", "duty_assignment", None, None,
                  {"site_id": point, "monday": monday, "from": last, "copied": copied})
        outcome["copied"] = len(new)
        outcome["skipped"] = outcome["filled"] + outcome["inactive"]
    return outcome


def _sites_to_copy(session, actor, site_id, zone_id) -> dict[int, str]:
    if site_id is not None:
        site = _locked_point(session, actor, site_id)
        return {site.id: site.name}
    scope.require_writer(actor)
    if zone_id is not None:
        scope.check_zone(actor, zone_id)
    query = (select(_LOCK_SITE.c.id, _LOCK_SITE.c.name)
             .where(_LOCK_SITE.c.kind.in_(DUTY_KINDS), _LOCK_SITE.c.active.is_(True), scope.writable_sites(actor))
             .order_by(_LOCK_SITE.c.id).with_for_update(key_share=True))
    if zone_id is not None:
        query = query.where(_LOCK_SITE.c.zone_id == zone_id)
    return dict(session.execute(query).all())


# ---- warnings: double booking, too many hours in a row -----------------------------------------------------

def warnings(filters: Filters, start: dt.date, end: dt.date, engine=None) -> pd.DataFrame:
    """Between start and end, for people rostered at duty points in scope: a person at two points on the
    same day and shift (double_booked), and a stretch of back-to-back shifts (across midnight too, at any
    point) longer than max_hours_in_row (too_long). [kind, person_id, person, day, shift, site, other_site,
    hours]."""
    points = _points(filters)
    people = (select(ASSIGNMENT.c.person_id).distinct()
              .join(points, points.c.site_id == ASSIGNMENT.c.site_id)
              .where(ASSIGNMENT.c.day.between(start, end)))
    with read_connection(engine) as conn:
        ids = {row.person_id for row in conn.execute(people)}
        found = _warnings_of(conn, ids, start, end, max_hours_in_row(engine)) if ids else []
    return pd.DataFrame(found, columns=WARNING_COLUMNS)


def _warnings_of(conn, person_ids, start: dt.date, end: dt.date, max_hours: int, site_id: int | None = None,
                 days=None) -> list[dict]:
    """The warnings of these people between start and end (a stretch counts if it touches those days;
    with site_id and days: only those that involve that point on those days)."""
    ids = sorted(person_ids)
    rows = conn.execute(
        select(ASSIGNMENT.c.person_id, Person.name.label("person"), ASSIGNMENT.c.day, ASSIGNMENT.c.site_id,
               Site.name.label("site"), DutyShift.name.label("shift"), DutyShift.start_minute, DutyShift.end_minute)
        .join(Person, Person.id == ASSIGNMENT.c.person_id)
        .join(Site, Site.id == ASSIGNMENT.c.site_id)
        .join(DutyShift, DutyShift.id == ASSIGNMENT.c.shift_id)
        .where(ASSIGNMENT.c.person_id.in_(ids),
               ASSIGNMENT.c.day.between(start - dt.timedelta(days=2), end + dt.timedelta(days=2)))
        .order_by(ASSIGNMENT.c.person_id, ASSIGNMENT.c.day, DutyShift.start_minute, ASSIGNMENT.c.site_id)).all()
    by_person: dict[int, list] = defaultdict(list)
    for row in rows:
        by_person[row.person_id].append(row)
    found = []
    for person_rows in by_person.values():
        found += _double_booked(person_rows, start, end, site_id, days)
        found += _too_long(person_rows, start, end, max_hours, site_id, days)
    found.sort(key=lambda w: (w["day"], w["person"], w["kind"]))
    return found


def _double_booked(rows, start, end, site_id, days) -> list[dict]:
    found, slots = [], defaultdict(list)
    for row in rows:
        if start <= row.day <= end:
            slots[(row.day, row.start_minute)].append(row)
    for same in slots.values():
        for k, first in enumerate(same):
            for other in same[k + 1:]:
                if site_id is not None and (site_id not in (first.site_id, other.site_id) or first.day not in days):
                    continue
                here, there = (first, other) if site_id in (None, first.site_id) else (other, first)
                found.append({"kind": "double_booked", "person_id": first.person_id, "person": first.person,
                              "day": first.day, "shift": first.shift, "site": here.site, "other_site": there.site,
                              "hours": None})
    return found


def _too_long(rows, start, end, max_hours: int, site_id, days) -> list[dict]:
    """Back-to-back shifts (one ends when the next starts, midnight included) make one stretch."""
    found, stretch = [], []

    def close():
        if not stretch:
            return
        first, begin, finish = stretch[0], stretch[0][1], max(s[2] for s in stretch)
        hours = (finish - begin) / 60
        touched = {r.day for r, _, _ in stretch}
        if hours > max_hours and any(start <= d <= end for d in touched) and (
                site_id is None or any(r.site_id == site_id and r.day in days for r, _, _ in stretch)):
            found.append({"kind": "too_long", "person_id": first[0].person_id, "person": first[0].person,
                          "day": first[0].day, "shift": first[0].shift, "site": first[0].site, "other_site": None,
                          "hours": round(hours, 1)})

    base = min(row.day for row in rows)
    for row in rows:
        offset = (row.day - base).days * DAY_MINUTES
        begin, finish = offset + row.start_minute, offset + row.end_minute
        if stretch and begin > max(s[2] for s in stretch):
            close()
            stretch = []
        stretch.append((row, begin, finish))
    close()
    return found


# ---- on duty now ----------------------------------------------------------------------------------------

def _shifts_left(conn, minute: int) -> list:
    """The active shifts of the day not ended at `minute`: the current one first, then by start."""
    rows = [r for r in _active_shifts(conn) if r.end_minute > minute]
    return sorted(rows, key=lambda r: (r.start_minute > minute, r.start_minute))


def _point_shifts(filters: Filters, day: dt.date, shift_ids: list[int]):
    """Every duty point in scope x the given shifts: required, rostered, present (rostered and not marked
    absent), counted in SQL from the day's rows of ix_duty_assignment_day alone."""
    points = _points(filters)
    counts = (select(ASSIGNMENT.c.shift_id, ASSIGNMENT.c.site_id, func.count().label("rostered"),
                     func.sum(case((ASSIGNMENT.c.absent.is_(True), 0), else_=1)).label("present"))
              .where(ASSIGNMENT.c.day == day, ASSIGNMENT.c.shift_id.in_(shift_ids))
              .group_by(ASSIGNMENT.c.shift_id, ASSIGNMENT.c.site_id).subquery("counts"))
    required = func.coalesce(DutyPost.required, DEFAULT_REQUIRED)
    return (select(points.c.site_id, points.c.site, points.c.zone, points.c.zone_code, points.c.kind,
                   DutyShift.id.label("shift_id"), DutyShift.name.label("shift"), DutyShift.start_minute,
                   DutyShift.end_minute, required.label("required"),
                   func.coalesce(counts.c.rostered, 0).label("rostered"),
                   func.coalesce(counts.c.present, 0).label("present"))
            .select_from(points)
            .join(DutyShift, DutyShift.id.in_(shift_ids))
            .outerjoin(DutyPost, and_(DutyPost.site_id == points.c.site_id, DutyPost.shift_id == DutyShift.id))
            .outerjoin(counts, and_(counts.c.site_id == points.c.site_id, counts.c.shift_id == DutyShift.id)))


def on_duty(filters: Filters, now: dt.datetime, engine=None, short_only: bool = False,
            limit: int | None = None) -> pd.DataFrame:
    """Per duty point in scope and shift of now's day not yet ended (the current shift first): required,
    rostered, absent, present, short (present < required), names (present, "张三、李四"), absent_names.
    short_only: only the point-shifts with fewer present than required, the unmanned ones (nobody present)
    first, then by shift start, zone and point (the board's order), the `limit` first: a city's command post
    sees its gaps without the thousands of manned rows; the names are joined for those rows alone."""
    day, minute = local_moment(now)
    with read_connection(engine) as conn:
        left = _shifts_left(conn, minute)
        if not left:
            return pd.DataFrame(columns=ON_DUTY_COLUMNS)
        ids = [r.id for r in left]
        rows = _point_shifts(filters, day, ids).subquery("rows")
        query = select(rows)
        if short_only:
            query = (query.where(rows.c.present < rows.c.required)
                     .order_by(case((rows.c.present == 0, 0), else_=1), rows.c.start_minute, rows.c.zone_code,
                               rows.c.kind, rows.c.site, rows.c.site_id)
                     .limit(limit))
        else:
            order = case(*[(rows.c.shift_id == shift_id, k) for k, shift_id in enumerate(ids)])
            query = query.order_by(order, rows.c.zone_code, rows.c.kind, rows.c.site, rows.c.site_id).limit(limit)
        frame = pd.DataFrame(conn.execute(query).all(), columns=[c.name for c in rows.c])
        sites = sorted({int(i) for i in frame["site_id"]}) if short_only or limit is not None else None
        names = _names_on(conn, filters, day, ids, sites) if len(frame) else {}
    frame = frame.drop(columns=["zone_code", "kind"])
    for column in ("required", "rostered", "present"):
        frame[column] = frame[column].astype(int)
    frame["absent"] = frame["rostered"] - frame["present"]
    frame["short"] = frame["present"] < frame["required"]
    keys = list(zip(frame["site_id"], frame["shift_id"]))
    frame["names"] = [names.get((*k, False), "") for k in keys]
    frame["absent_names"] = [names.get((*k, True), "") for k in keys]
    return frame[ON_DUTY_COLUMNS].reset_index(drop=True)


def _names_on(conn, filters: Filters, day: dt.date, shift_ids: list[int], site_ids: list[int] | None = None
              ) -> dict[tuple, str]:
    """{(site_id, shift_id, absent): "张三、李四"} for the day (at these points only, if given), joined in SQL."""
    points = _points(filters)
    query = (select(ASSIGNMENT.c.site_id, ASSIGNMENT.c.shift_id, ASSIGNMENT.c.absent,
                    func.aggregate_strings(Person.name, NAME_JOIN).label("names"))
             .join(points, points.c.site_id == ASSIGNMENT.c.site_id)
             .join(Person, Person.id == ASSIGNMENT.c.person_id)
             .where(ASSIGNMENT.c.day == day, ASSIGNMENT.c.shift_id.in_(shift_ids))
             .group_by(ASSIGNMENT.c.site_id, ASSIGNMENT.c.shift_id, ASSIGNMENT.c.absent))
    if site_ids is not None:
        query = query.where(ASSIGNMENT.c.site_id.in_(site_ids))
    # the order inside an aggregate is the database's: sorted here, so a refresh never reshuffles the names
    return {(site, shift, bool(absent)): NAME_JOIN.join(sorted(names.split(NAME_JOIN)))
            for site, shift, absent, names in conn.execute(query)}


def duty_tile(filters: Filters, now: dt.datetime, engine=None) -> dict:
    """The wall's "岗位在岗 46/48" for the shift covering now: present = the sum over point-shifts of
    min(present, required) (a surplus at one point does not fill a gap at another), required = their sum;
    points_short: point-shifts with fewer present than required, points_empty: those of them with nobody present;
    shift: the shift's name (None between shifts: all figures 0)."""
    day, minute = local_moment(now)
    with read_connection(engine) as conn:
        current = next((r for r in _active_shifts(conn) if r.start_minute <= minute < r.end_minute), None)
        if current is None:
            return {"present": 0, "required": 0, "points_short": 0, "points_empty": 0, "shift": None}
        rows = _point_shifts(filters, day, [current.id]).subquery("rows")
        present, required = rows.c.present, rows.c.required
        totals = conn.execute(select(
            func.coalesce(func.sum(case((present < required, present), else_=required)), 0),
            func.coalesce(func.sum(required), 0),
            func.coalesce(func.sum(case((present < required, 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(present == 0, required > 0), 1), else_=0)), 0))).one()
    return {"present": int(totals[0]), "required": int(totals[1]), "points_short": int(totals[2]),
            "points_empty": int(totals[3]), "shift": current.name}


def _gap_query(filters: Filters, now: dt.datetime, conn):
    day, minute = local_moment(now)
    left = _shifts_left(conn, minute)
    if not left:
        return None, []
    rows = _point_shifts(filters, day, [r.id for r in left]).subquery("rows")
    return rows, [r.id for r in left]


def gaps(filters: Filters, now: dt.datetime, limit: int | None = None, engine=None) -> pd.DataFrame:
    """Point-shifts today (the current shift and later ones) with fewer present than required: the empty
    ones first (nobody present: the wall's red), then by shift start, zone and point; the `limit` first.
    [site_id, site, zone, shift_id, shift, start_minute, required, rostered, present, empty]."""
    with read_connection(engine) as conn:
        rows, _ids = _gap_query(filters, now, conn)
        if rows is None:
            return pd.DataFrame(columns=GAP_COLUMNS)
        empty = (rows.c.present == 0).label("empty")
        query = (select(rows.c.site_id, rows.c.site, rows.c.zone, rows.c.shift_id, rows.c.shift, rows.c.start_minute,
                        rows.c.required, rows.c.rostered, rows.c.present, empty)
                 .where(rows.c.present < rows.c.required)
                 .order_by(case((rows.c.present == 0, 0), else_=1), rows.c.start_minute, rows.c.zone_code,
                           rows.c.kind, rows.c.site, rows.c.site_id)
                 .limit(limit))
        frame = pd.DataFrame(conn.execute(query).all(), columns=GAP_COLUMNS)
    for column in ("required", "rostered", "present", "start_minute"):
        frame[column] = frame[column].astype(int)
    frame["empty"] = frame["empty"].astype(bool)
    return frame


def count_gaps(filters: Filters, now: dt.datetime, engine=None) -> dict:
    """How many rows gaps(filters, now) has: {"total", "empty"}."""
    with read_connection(engine) as conn:
        rows, _ids = _gap_query(filters, now, conn)
        if rows is None:
            return {"total": 0, "empty": 0}
        total, empty = conn.execute(select(func.count(), func.coalesce(func.sum(case((rows.c.present == 0, 1), else_=0)), 0))
                                    .where(rows.c.present < rows.c.required)).one()
    return {"total": int(total), "empty": int(empty)}


# ---- inspections: who was rostered, who was absent -----------------------------------------------------

def rostered(site_id: int, day: dt.date, shift_id: int, engine=None) -> pd.DataFrame:
    """The people rostered at one point, day and shift: [person_id, name, unit, absent] (the entry page
    names them when "staff at post" is unticked)."""
    query = (select(Person.id.label("person_id"), Person.name, OrgUnit.name.label("unit"), ASSIGNMENT.c.absent)
             .select_from(ASSIGNMENT)
             .join(Person, Person.id == ASSIGNMENT.c.person_id)
             .outerjoin(OrgUnit, OrgUnit.id == Person.unit_id)
             .where(ASSIGNMENT.c.day == day, ASSIGNMENT.c.shift_id == shift_id, ASSIGNMENT.c.site_id == site_id)
             .order_by(Person.name, Person.id))
    frame = read_frame(query, engine)
    frame["absent"] = frame["absent"].astype(bool)
    return frame


def mark_absent(session, site_id: int, day: dt.date, shift_id: int, inspection_id: int) -> list[str]:
    """Inside an inspection's transaction: the people rostered at this point, day and shift are marked
    absent by that inspection (those marked by an earlier visit keep theirs). Returns every rostered name."""
    conn = session.connection()
    where = (ASSIGNMENT.c.site_id == site_id, ASSIGNMENT.c.day == day, ASSIGNMENT.c.shift_id == shift_id)
    conn.execute(update(ASSIGNMENT).where(*where, ASSIGNMENT.c.absent.is_(False))
                 .values(absent=True, absent_inspection_id=inspection_id))
    return [name for (name,) in conn.execute(
        select(Person.name).join(ASSIGNMENT, ASSIGNMENT.c.person_id == Person.id).where(*where)
        .order_by(Person.name, Person.id))]


def known_shift(session, shift_id) -> bool:
    return session.execute(select(DutyShift.id).where(DutyShift.id == shift_id)).first() is not None


def repeated_absences(filters: Filters, engine=None) -> pd.DataFrame:
    """Duty points in scope where 2 or more inspections between filters.start and filters.end found staff
    not at post: [name, zone, count, names (the people those visits marked absent)], most first."""
    start, end = filters.start or filters.end, filters.end
    failed = _duty_scope(
        select(Site.id.label("site_id"), Site.name, WorkZone.name.label("zone"), WorkZone.code.label("zone_code"),
               func.count(Inspection.id).label("count"))
        .join(Site, Site.id == Inspection.site_id)
        .join(WorkZone, WorkZone.id == Site.zone_id)
        .where(Inspection.day.between(start, end), Inspection.staff_at_post.is_(False)),
        filters,
    ).group_by(Site.id, Site.name, WorkZone.name, WorkZone.code).having(func.count(Inspection.id) >= 2)
    with read_connection(engine) as conn:
        points = conn.execute(failed.order_by(func.count(Inspection.id).desc(), WorkZone.code, Site.name)).all()
        ids = [p.site_id for p in points]
        named: dict[int, set] = defaultdict(set)
        if ids:
            for site_id, name in conn.execute(
                    select(Inspection.site_id, Person.name)
                    .join(ASSIGNMENT, ASSIGNMENT.c.absent_inspection_id == Inspection.id)
                    .join(Person, Person.id == ASSIGNMENT.c.person_id)
                    .where(Inspection.site_id.in_(ids), Inspection.day.between(start, end))):
                named[site_id].add(name)
    return pd.DataFrame([(p.name, p.zone, int(p.count), NAME_JOIN.join(sorted(named[p.site_id]))) for p in points],
                        columns=["name", "zone", "count", "names"])
