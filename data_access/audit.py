"""The audit trail: who changed what, when, from which value to which, and why."""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from .models import AuditLog


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


# One encoder for every audit row: json.dumps with options builds a new one per call (100 a grid save).
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_plain, sort_keys=True)


def _json(value) -> str | None:
    if value is None:
        return None
    return _ENCODER.encode(value)


def audit(session: Session, username: str, action: str, table: str, row_id: int | None,
          before: dict | None, after: dict | None, reason: str | None = None) -> None:
    """Add the audit row to the caller's transaction: it commits or rolls back with the change."""
    session.add(AuditLog(
        at=dt.datetime.now(dt.timezone.utc), username=username, action=action, table_name=table,
        row_id=row_id, before=_json(before), after=_json(after), reason=reason,
    ))


def row_values(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


def write_versioned(session: Session, username: str, model, row_id: int | None, values: dict,
                    version: int | None = None, *, shown: dict | None = None, compared=None, missing=None):
    """Add a Versioned row (row_id None) or change one, audited in the caller's transaction; returns the row.

    A change is checked against the version its form loaded: a stale form that asks for what is stored
    already loses nobody's work and is no conflict; one that changes something is (ConflictError).
    `shown` is what the audit row holds (default: the values; never a secret), `compared` the keys that
    say whether anything changes (default: the values' keys), `missing` the error for an unknown id."""
    from .errors import ConflictError, NotFound

    table, shown = model.__tablename__, values if shown is None else shown
    if row_id is None:
        row = model(**values, **model.first_write(username))
        session.add(row)
        session.flush()
        audit(session, username, "insert", table, row.id, None, shown)
        return row
    row = session.get(model, row_id, with_for_update=True)
    if row is None:
        raise missing or NotFound(f"{table} {row_id}")
    if all(getattr(row, key) == values[key] for key in (compared or values)):
        return row
    if version is not None and version != row.version:
        raise ConflictError()
    before = {key: getattr(row, key) for key in shown}
    for key, value in values.items():
        setattr(row, key, value)
    row.changed_by(username)
    audit(session, username, "update", table, row.id, before, shown)
    return row


def recent(limit: int = 200, table: str | None = None, username: str | None = None, engine=None):
    """The newest audit rows, newest first (the administration page's log view)."""
    from sqlalchemy import select

    from .db import read_frame
    from .validate import clean_search

    username = clean_search(username)  # typed into a search box: a NUL must not reach PostgreSQL
    query = select(AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.table_name, AuditLog.row_id,
                   AuditLog.before, AuditLog.after, AuditLog.reason).order_by(AuditLog.id.desc()).limit(limit)
    if table:
        query = query.where(AuditLog.table_name == table)
    if username:
        query = query.where(AuditLog.username == username)
    return read_frame(query, engine)


# ---- the audit log as people read it: one line per change ---------------------------------------------

# Lines of work (六横七纵's lines, plus accounts and settings), each the audit rows it covers.
LINES = ("traffic", "reopening", "shops", "survey", "inspections", "logistics", "people", "duty", "gate", "reports",
         "accounts", "settings", "sign_in")
_LINE_TABLES = {
    "traffic": ("checkpoint_day",),
    "reopening": ("enterprise", "reopening_step"),
    "shops": ("shop",),
    "survey": ("survey_round",),
    "inspections": ("inspection", "finding"),
    "logistics": ("supply_item", "supply_movement", "meal_point_day", "donation"),
    "people": ("org_unit", "person", "responsibility"),
    "duty": ("duty_shift", "duty_post", "duty_assignment"),
    "gate": ("gate_registration", "gate_hour_count"),  # issue 17: registrations at compound gates, their purge
    "reports": ("report_archive",),  # issue 18: reports issued into the archive
    "accounts": ("app_user", "display_key", "personal_data_grant"),
    "settings": ("setting",),
    "sign_in": ("sign_in",),
}
# Site and work-zone rows change in two lines: their boundaries (a map upload) and their due times.
# A full phone number shown to a granted user (issue 16) is a "people" row whatever table it names.
_ACTION_LINES = {"geometry": "survey", "set_due_time": "settings", "personal_view": "people"}
# ... except where the table says otherwise: a gate registration's full record viewed (issue 17) is the gate's.
_TABLE_ACTION_LINES = {("gate_registration", "personal_view"): "gate"}
# Bookkeeping in the stored before/after values that says nothing to a person (the subject column
# names the site and day; a version number is the app's own concern).
HIDDEN_FIELDS = frozenset({"version", "updated_by", "inspection_id", "enterprise_id", "site_id", "report_due_minutes",
                           "donation_id", "phone_cipher", "phone_hash", "absent_inspection_id", "recorded_by",
                           "recorded_at", "granted_at", "loaded_person_ids", "doc_cipher", "doc_hash"})
# A phone number (a mainland mobile) in any stored text is read out masked, 138****5678, never in clear.
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
# ... and a resident ID number (18 characters) as its first 6 and last 4 (issue 17).
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_SITE_TABLES = ("checkpoint_day", "survey_round", "inspection", "finding", "meal_point_day")
# Fields a logistics row's subject already says: a movement's item, zone, day and kind (its action); a
# donation's donor (never read out when anonymous: the subject then says "anonymous") and day.
_SUBJECT_FIELDS = {
    "supply_movement": frozenset({"item_id", "zone_id", "day", "kind"}),
    "donation": frozenset({"donor", "anonymous", "day"}),
    # issue 16: the subject names the person, the unit, the responsibility's target, the shift, the duty point
    # and day, the user granted
    "person": frozenset({"name"}),
    "org_unit": frozenset({"name"}),
    "responsibility": frozenset({"zone_id", "enterprise_id", "site", "enterprise", "zone"}),
    "duty_shift": frozenset({"name"}),
    "duty_post": frozenset({"day", "site", "shift_id"}),
    "duty_assignment": frozenset({"day", "site", "monday", "shift_id"}),
    "personal_data_grant": frozenset({"user_id", "username"}),
    # issue 17: a registration's compound and day are its subject; a full record's view says what in its action
    "gate_registration": frozenset({"field"}),
    # issue 18: an issued report's work zone and day are its subject
    "report_archive": frozenset({"zone_id", "day"}),
}
# Tables whose site_id is not the subject (a unit's village or compound, a grant's compound): read out.
_SITE_SHOWN = frozenset({"org_unit", "personal_data_grant"})
# The order fields are read in (stored values keep their keys sorted by name): the forms' order.
FIELD_ORDER = (
    "vehicles", "persons", "persons_from_outside", "turned_back", "abnormal_temperature", "corrected",
    "correction_reason", "round_no", "households_known", "households_reached", "people", "people_from_outside",
    "unreachable", "utility_checked", "lit_at_night", "inspector", "staff_at_post", "no_dereliction",
    "travellers_screened", "publicity_posted", "remarks", "description", "owner", "due_on", "fixed_on", "fix_note",
    "step", "passed", "letters", "employees_called", "problems_found", "reason", "note", "status", "status_since",
    "employees", "employees_from_outside", "is_open", "staff", "staff_from_outside", "username", "role", "zones",
    "active", "sessions_ended", "label", "zone_id", "valid_through", "season_start", "stuck_after_days", "due",
    "geometry", "name", "client", "outcome",
    # logistics (issue 15): supply items, movements, meal days, donations
    "code", "unit", "low_threshold", "item_id", "quantity", "stock", "recipient_site_id", "recipient", "meals",
    "donated_meals", "donor", "donor_kind", "donor_origin", "anonymous", "kind", "amount", "estimated_value",
    "received_by",
    # people and duty (issue 16)
    "title", "unit_id", "phone", "phone_masked", "line", "a_person_id", "a_name", "b_person_id", "b_name",
    "shift_id", "shift", "start_minute", "end_minute", "required", "person_id", "person_ids", "names", "absent",
    "absent_names", "person", "person_name", "a_person", "b_person", "field", "from", "copied",
    # compound gates (issue 17): a registration (masked values only), a purge's counts
    "direction", "at", "doc_type", "doc_masked", "building", "from_outside", "origin", "temperature", "fever",
    "deleted", "days", "cutoff", "sites")
_ORDER = {field: index for index, field in enumerate(FIELD_ORDER)}
# A table whose fields read better in its form's order than in FIELD_ORDER's (fields not named: after these).
_TABLE_ORDER = {
    "supply_item": ("name", "code", "unit", "low_threshold", "active"),
    "supply_movement": ("quantity", "stock", "recipient_site_id", "recipient", "note"),
    "donation": ("donor_kind", "donor_origin", "kind", "amount", "item_id", "estimated_value", "description",
                 "received_by", "zone_id"),
    "gate_registration": ("direction", "at", "name", "doc_type", "doc_masked", "building", "phone_masked",
                          "from_outside", "origin", "temperature", "fever", "deleted", "days", "cutoff", "sites"),
}
CHANGE_COLUMNS = ["id", "at", "username", "display_name", "action", "line", "table_name", "row_id", "subject",
                  "subject_kind", "site_id", "day", "items", "reason"]


@dataclass(frozen=True)
class AuditView:
    """What the audit log page asks for. Dates are local days of when the change was made."""
    start: dt.date | None = None
    end: dt.date | None = None
    username: str | None = None
    line: str | None = None  # None: every line of work, sign-ins left out (they are not changes)
    site_id: int | None = None
    limit: int = 1000


def line_of(table: str, action: str) -> str:
    if (table, action) in _TABLE_ACTION_LINES:
        return _TABLE_ACTION_LINES[(table, action)]
    if action in _ACTION_LINES:
        return _ACTION_LINES[action]
    return next((line for line, tables in _LINE_TABLES.items() if table in tables), "settings")


def _line_condition(line: str | None):
    from sqlalchemy import and_, not_, or_

    if line is None:
        return AuditLog.table_name != "sign_in"
    if line not in _LINE_TABLES:
        return AuditLog.id.is_(None)  # an unknown line matches nothing
    condition = and_(AuditLog.table_name.in_(_LINE_TABLES[line]), not_(AuditLog.action.in_(list(_ACTION_LINES))))
    actions = [action for action, owner in _ACTION_LINES.items() if owner == line]
    elsewhere = [and_(AuditLog.table_name == table, AuditLog.action == action)
                 for (table, action), owner in _TABLE_ACTION_LINES.items() if owner != line]
    mine = [and_(AuditLog.table_name == table, AuditLog.action == action)
            for (table, action), owner in _TABLE_ACTION_LINES.items() if owner == line]
    parts = [condition, *mine]
    if actions:
        parts.append(and_(AuditLog.action.in_(actions), not_(or_(*elsewhere))) if elsewhere else AuditLog.action.in_(actions))
    return or_(*parts) if len(parts) > 1 else condition


def _json_mentions(column, key: str, value: int):
    """`column` (sorted-key JSON written by audit()) holds "key": value, as the last key or not."""
    from sqlalchemy import or_

    return or_(column.like(f'%"{key}": {int(value)},%'), column.like(f'%"{key}": {int(value)}}}%'))


def _site_condition(site_id: int):
    """Audit rows about one site: rows of its checkpoint days, survey rounds, inspections,
    findings and meal days (found through the live record, or, for a record since removed, through the stored
    values of its own audit rows), and the site's own rows (boundary, due time)."""
    from sqlalchemy import and_, or_, select

    from .models import CheckpointDay, Finding, Inspection, MealPointDay, SurveyRound

    live = {"checkpoint_day": CheckpointDay, "survey_round": SurveyRound, "inspection": Inspection, "finding": Finding,
            "meal_point_day": MealPointDay}
    by_record = [and_(AuditLog.table_name == table, AuditLog.row_id.in_(select(model.id).where(model.site_id == site_id)))
                 for table, model in live.items()]
    by_memory = [and_(AuditLog.table_name == table, AuditLog.row_id.in_(_mentioned(table, model, site_id)))
                 for table, model in live.items()]
    # a roster cell or a head count (issue 16) names its duty point in its stored values
    duty = and_(AuditLog.table_name.in_(("duty_post", "duty_assignment")),
                or_(_json_mentions(AuditLog.before, "site_id", site_id), _json_mentions(AuditLog.after, "site_id", site_id)))
    # a gate registration (issue 17) names its compound in its stored values
    gate = and_(AuditLog.table_name == "gate_registration", _json_mentions(AuditLog.after, "site_id", site_id))
    return or_(*by_record, *by_memory, duty, gate, and_(AuditLog.table_name == "site", AuditLog.row_id == site_id))


def _mentioned(table: str, model, site_id: int):
    """Ids of `table`'s records since removed whose audit rows name the site. The removed ids come first,
    from the (table, row) index alone, so only their few rows have their stored values searched (issue 14:
    searching the values of every audit row of these tables took 2-3 s at city scale)."""
    from sqlalchemy import or_, select

    removed = select(AuditLog.row_id).where(AuditLog.table_name == table, AuditLog.row_id.not_in(select(model.id)))
    return select(AuditLog.row_id).where(
        AuditLog.table_name == table, AuditLog.row_id.in_(removed.scalar_subquery()),
        or_(_json_mentions(AuditLog.before, "site_id", site_id), _json_mentions(AuditLog.after, "site_id", site_id)))


def _utc(day: dt.date, zone) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.timezone.utc)


def _query(view: AuditView, conditions_only: bool = False):
    from sqlalchemy import select

    from .clock import zone
    from .validate import clean_search

    conditions = [_line_condition(view.line)]
    username = clean_search(view.username)  # chosen from a list, but it reaches SQL: no NUL on PostgreSQL
    if username:
        conditions.append(AuditLog.username == username)
    if view.start:
        conditions.append(AuditLog.at >= _utc(view.start, zone()))
    if view.end:
        conditions.append(AuditLog.at < _utc(view.end + dt.timedelta(days=1), zone()))
    if view.site_id:
        conditions.append(_site_condition(view.site_id))
    if conditions_only:
        return conditions
    return select(AuditLog.id, AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.table_name, AuditLog.row_id,
                  AuditLog.before, AuditLog.after, AuditLog.reason).where(*conditions)


# The newest rows are read first: when this many times view.limit of them hold view.limit matches (the
# page's usual view: the last days, every line or a busy one), those are the answer, found without
# sorting every match of the range.
RECENT_ROWS_PER_ROW = 10


def _newest(conn, view: AuditView) -> list:
    """The rows of `view`, newest first, at most view.limit (as a mapping each)."""
    from sqlalchemy import func, select

    query = _query(view).order_by(AuditLog.id.desc()).limit(view.limit)
    top = conn.execute(select(func.max(AuditLog.id))).scalar()
    if top is None or view.site_id or not view.limit:
        return list(conn.execute(query).mappings())
    floor = top - RECENT_ROWS_PER_ROW * view.limit
    # Every match among the newest rows is newer than any match before them: with view.limit of them the
    # answer is complete. Within the newest rows the filters are only checked, never searched by an index
    # (SQLite would rather sort every match of the day range from the `at` index, 0.6 s at city scale).
    recent = (_unindexed_query(view, conn) if conn.dialect.name == "sqlite" else _query(view)).where(AuditLog.id > floor)
    rows = list(conn.execute(recent.order_by(AuditLog.id.desc()).limit(view.limit)).mappings())
    return rows if len(rows) == view.limit else list(conn.execute(query).mappings())


def _unindexed_query(view: AuditView, conn):
    """_query(view) with SQLite's "+column" on every filtered column: the conditions cannot pick an index."""
    from sqlalchemy import literal_column, select
    from sqlalchemy.sql import visitors

    plain = {column.name: literal_column(f"+audit_log.{column.name}", type_=column.type)
             for column in (AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.table_name)}

    def swap(element):
        return plain.get(element.name) if getattr(element, "table", None) is AuditLog.__table__ else None

    conditions = [visitors.replacement_traverse(condition, {}, swap) for condition in _query(view, True)]
    return select(AuditLog.id, AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.table_name, AuditLog.row_id,
                  AuditLog.before, AuditLog.after, AuditLog.reason).where(*conditions)


def count_changes(view: AuditView, engine=None) -> int:
    from sqlalchemy import func, select

    from .db import read_connection

    with read_connection(engine) as conn:
        return int(conn.execute(select(func.count()).select_from(_query(view).subquery())).scalar_one())


def changes(view: AuditView, engine=None):
    """The newest audit rows matching `view` (at most view.limit), newest first, one per change, each
    with who made it (display name), the line of work, what it is about in names (the site, enterprise,
    shop, account, setting; the day it concerns) and the changed fields as (field, before, after) with
    ids turned into names. The page puts the field names and coded values into words."""
    import pandas as pd
    from sqlalchemy import select

    from .clock import zone
    from .db import read_connection
    from .models import User

    with read_connection(engine) as conn:
        rows = _newest(conn, view)
        names = dict(conn.execute(select(User.username, User.display_name)).all())
        values = [(_loads(row["before"]), _loads(row["after"])) for row in rows]
        lookup = _Lookup(conn, rows, values)
    records = []
    for row, (before, after) in zip(rows, values):
        subject, kind, site_id, day = lookup.subject(row, before, after)
        subject = _mask_phones(subject) if isinstance(subject, str) else subject
        at = row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=dt.timezone.utc)  # SQLite keeps UTC, naive
        records.append({
            "id": row["id"], "at": at.astimezone(zone()), "username": row["username"],
            "display_name": names.get(row["username"]) or row["username"], "action": row["action"],
            "line": line_of(row["table_name"], row["action"]), "table_name": row["table_name"], "row_id": row["row_id"],
            "subject": subject, "subject_kind": kind, "site_id": site_id, "day": day,
            "items": tuple(lookup.items(row["table_name"], before, after, row["reason"])),
            "reason": _mask_phones(row["reason"]) if isinstance(row["reason"], str) else row["reason"],
        })
    return pd.DataFrame(records, columns=CHANGE_COLUMNS)


def users_in_log(engine=None):
    """(username, display_name) of everyone who changed something, accounts first, for the page's picker."""
    import pandas as pd
    from sqlalchemy import func, select

    from .db import read_connection
    from .models import User

    # Every name in the log, one index step each (a loose index scan: the next name after the last one),
    # kept when the name made a change; grouping 1.2 million rows by name took seconds.
    names = select(func.min(AuditLog.username).label("username")).cte("names", recursive=True)
    names = names.union_all(
        select(select(func.min(AuditLog.username)).where(AuditLog.username > names.c.username).scalar_subquery())
        .where(names.c.username.is_not(None)))
    # Whether a name made a change is asked only of names without an account (the demo loader, the command
    # line): an account's many sign-ins would each be stepped over (~20 ms of every rerun after a save).
    changed = select(AuditLog.id).where(AuditLog.username == names.c.username, AuditLog.table_name != "sign_in").exists()
    with read_connection(engine) as conn:
        accounts = conn.execute(select(User.username, User.display_name).order_by(User.username)).all()
        known = [name for name, _ in accounts]
        others = conn.execute(select(names.c.username).where(names.c.username.is_not(None),
                                                             names.c.username.not_in(known), changed)
                              .order_by(names.c.username)).scalars().all()
    rows = [*accounts, *[(name, name) for name in others]]
    return pd.DataFrame(rows, columns=["username", "display_name"])


def _loads(text):
    if text is None:
        return None
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {"value": text}
    return value if isinstance(value, dict) else {"value": value}


def _id(value) -> int | None:
    """A stored id (an int, or its digits) as an int; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _mask_phones(text: str) -> str:
    """Every mobile number (138****5678) and resident ID number (first 6 and last 4) in the text masked."""
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(3)[-4:]}", text)
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


_PEOPLE_TABLES = frozenset({"person", "org_unit", "responsibility", "duty_shift", "duty_post", "duty_assignment",
                            "personal_data_grant"})


def _as_day(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


class _Lookup:
    """The names behind the ids in a page of audit rows, read in one query per kind of record."""

    def __init__(self, conn, rows, parsed):
        from sqlalchemy import select

        from .models import (CheckpointDay, DisplayKey, Enterprise, Finding, Inspection, MealPointDay, ReopeningStep,
                             Shop, Site, SupplyItem, SurveyRound, User, WorkZone)

        wanted: dict[str, set[int]] = {}
        self._tables = {row["table_name"] for row in rows}
        for row in rows:
            if row["row_id"] is not None:
                wanted.setdefault(row["table_name"], set()).add(int(row["row_id"]))
        ids = lambda table: sorted(wanted.get(table, ()))  # noqa: E731

        def fetch(columns, id_column, table):
            chosen = ids(table)
            return {r[0]: tuple(r[1:]) for r in conn.execute(select(id_column, *columns).where(id_column.in_(chosen)))} \
                if chosen else {}

        # record id -> (site id, day) for the records that belong to a site
        self.at_site = {
            "checkpoint_day": fetch([CheckpointDay.site_id, CheckpointDay.day], CheckpointDay.id, "checkpoint_day"),
            "survey_round": fetch([SurveyRound.site_id, SurveyRound.day], SurveyRound.id, "survey_round"),
            "inspection": fetch([Inspection.site_id, Inspection.day], Inspection.id, "inspection"),
            "finding": fetch([Finding.site_id, Finding.raised_on], Finding.id, "finding"),
            "meal_point_day": fetch([MealPointDay.site_id, MealPointDay.day], MealPointDay.id, "meal_point_day"),
        }
        self.rounds = fetch([SurveyRound.round_no], SurveyRound.id, "survey_round")
        self.step_of = fetch([ReopeningStep.enterprise_id, ReopeningStep.day], ReopeningStep.id, "reopening_step")
        # a record removed since (a wrong day's report): its site and day from its own audit rows
        gone = {table: sorted(set(ids(table)) - set(self.at_site[table])) for table in _SITE_TABLES}
        self.remembered: dict[tuple[str, int], dict] = {}
        for table, missing in gone.items():
            if missing:
                for row_id, before, after in conn.execute(
                        select(AuditLog.row_id, AuditLog.before, AuditLog.after)
                        .where(AuditLog.table_name == table, AuditLog.row_id.in_(missing))):
                    for values in (_loads(before), _loads(after)):
                        if values and "site_id" in values:
                            self.remembered.setdefault((table, row_id), values)
        site_ids = {s for values in self.at_site.values() for s, _ in values.values()}
        site_ids |= {int(v["site_id"]) for v in self.remembered.values() if str(v.get("site_id", "")).isdigit()}
        site_ids |= set(ids("site"))
        item_ids = set(ids("supply_item"))
        for pair in parsed:  # a site or item named inside the stored values (a new inspection, a finding, a movement)
            for stored in pair:
                for field in ("site_id", "recipient_site_id"):
                    if str((stored or {}).get(field, "")).isdigit():
                        site_ids.add(int(stored[field]))
                if str((stored or {}).get("item_id", "")).isdigit():
                    item_ids.add(int(stored["item_id"]))
                if isinstance((stored or {}).get("sites"), dict):  # a gate purge's counts per compound
                    site_ids |= {int(k) for k in stored["sites"] if str(k).isdigit()}
        self.sites = dict(conn.execute(select(Site.id, Site.name).where(Site.id.in_(sorted(site_ids)))).all()) \
            if site_ids else {}
        self.items_named = dict(conn.execute(select(SupplyItem.id, SupplyItem.name)
                                             .where(SupplyItem.id.in_(sorted(item_ids)))).all()) if item_ids else {}
        self.zones = {z.id: (z.code, z.name) for z in conn.execute(select(WorkZone.id, WorkZone.code, WorkZone.name))}
        enterprise_ids = set(ids("enterprise")) | {e for e, _ in self.step_of.values()}
        enterprise_ids |= {_id(stored.get("enterprise_id")) for pair in parsed for stored in pair
                           if stored and _id(stored.get("enterprise_id")) is not None}  # a responsibility's
        self.enterprises = dict(conn.execute(select(Enterprise.id, Enterprise.name)
                                             .where(Enterprise.id.in_(sorted(enterprise_ids)))).all()) if enterprise_ids else {}
        self.shops = dict(conn.execute(select(Shop.id, Shop.name).where(Shop.id.in_(ids("shop")))).all()) \
            if ids("shop") else {}
        self.users = dict(conn.execute(select(User.id, User.username).where(User.id.in_(ids("app_user")))).all()) \
            if ids("app_user") else {}
        self._people_lookups(conn, ids, parsed)
        self.keys = dict(conn.execute(select(DisplayKey.id, DisplayKey.label)
                                      .where(DisplayKey.id.in_(ids("display_key")))).all()) if ids("display_key") else {}

    def subject(self, row, before: dict | None, after: dict | None) -> tuple[str | None, str | None, int | None, dt.date | None]:
        """(name, kind, site id, day) of what an audit row is about."""
        table, row_id = row["table_name"], row["row_id"]
        values = {**(before or {}), **(after or {})}
        if table in _SITE_TABLES:
            site_id, day = self.at_site[table].get(row_id, (None, None))
            if site_id is None:
                remembered = {**self.remembered.get((table, row_id), {}), **values}
                site_id = int(remembered["site_id"]) if str(remembered.get("site_id", "")).isdigit() else None
                day = _as_day(remembered.get("day") or remembered.get("raised_on"))
            return self.sites.get(site_id), "site", site_id, _as_day(values.get("day")) or day
        if table == "site":
            return self.sites.get(row_id), "site", row_id, None
        if table == "work_zone":
            return self.zones.get(row_id, (None, None))[1], "zone", None, None
        if table == "enterprise":
            return self.enterprises.get(row_id), "enterprise", None, None
        if table == "reopening_step":
            enterprise_id, day = self.step_of.get(row_id, (values.get("enterprise_id"), None))
            return self.enterprises.get(enterprise_id), "enterprise", None, _as_day(values.get("day")) or day
        if table == "shop":
            return self.shops.get(row_id), "shop", None, None
        if table == "app_user":
            return values.get("username") or self.users.get(row_id), "account", None, None
        if table == "display_key":
            return values.get("label") or self.keys.get(row_id), "key", None, None
        if table == "sign_in":
            return values.get("name"), "account", None, None
        if table == "supply_movement":
            return self._movement_subject(values), "supply", _id(values.get("site_id")), _as_day(values.get("day"))
        if table == "supply_item":
            return values.get("name") or self.items_named.get(row_id), "item", None, None
        if table == "donation":
            if values.get("anonymous"):  # the donor's name, if one was typed, is never read out
                return None, "anonymous", None, _as_day(values.get("day"))
            return values.get("donor") or None, "donor", None, _as_day(values.get("day"))
        if table == "setting":
            return next((k for k in values if k not in ("value", "rows")), None), "setting", None, None
        if table in _PEOPLE_TABLES:
            return self._people_subject(table, row_id, values)
        if table == "gate_registration":  # the compound and the day of passing; a purge has neither
            site_id = _id(values.get("site_id"))
            if site_id is None:
                return None, None, None, None
            return self.sites.get(site_id), "site", site_id, _as_day(values.get("at"))
        if table == "report_archive":  # an issued report (issue 18): its work zone (none: the whole) and day
            return self.zones.get(_id(values.get("zone_id")), (None, None))[1], "zone", None, _as_day(values.get("day"))
        return None, None, None, None

    # ---- people and duty (issue 16) ----

    def _people_lookups(self, conn, ids, parsed) -> None:
        """Names of the people, units, shifts and users the new tables' rows name (ids in the values)."""
        from sqlalchemy import select

        from .models import DutyShift, OrgUnit, Person, User

        person_ids, unit_ids, user_ids = set(ids("person")), set(ids("org_unit")), set(ids("personal_data_grant"))
        for pair in parsed:
            for stored in pair:
                stored = stored or {}
                for field in ("person_id", "a_person_id", "b_person_id"):
                    if _id(stored.get(field)) is not None:
                        person_ids.add(_id(stored[field]))
                for field in ("person_ids", "absent_person_ids"):
                    if isinstance(stored.get(field), list):
                        person_ids |= {_id(v) for v in stored[field] if _id(v) is not None}
                if _id(stored.get("unit_id")) is not None:
                    unit_ids.add(_id(stored["unit_id"]))
                if _id(stored.get("user_id")) is not None:
                    user_ids.add(_id(stored["user_id"]))
        self.people = dict(conn.execute(select(Person.id, Person.name).where(Person.id.in_(sorted(person_ids)))).all()) \
            if person_ids else {}
        self.units = dict(conn.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(sorted(unit_ids)))).all()) \
            if unit_ids else {}
        self.shifts = dict(conn.execute(select(DutyShift.id, DutyShift.name)).all()) if any(
            table in {"duty_shift", "duty_post", "duty_assignment"} for table in self._tables) else {}
        self.grantees = dict(conn.execute(select(User.id, User.username).where(User.id.in_(sorted(user_ids)))).all()) \
            if user_ids else {}

    def _people_subject(self, table: str, row_id, values: dict) -> tuple[str | None, str | None, int | None, dt.date | None]:
        site_id = _id(values.get("site_id"))
        if table == "person":
            return values.get("name") or self.people.get(row_id), "person", None, None
        if table == "org_unit":
            return values.get("name") or self.units.get(row_id), "unit", None, None
        if table == "duty_shift":
            return values.get("name") or self.shifts.get(row_id), "shift", None, None
        if table == "responsibility":
            enterprise = self.enterprises.get(_id(values.get("enterprise_id"))) or values.get("enterprise")
            if site_id is not None or values.get("site"):
                return self.sites.get(site_id) or values.get("site"), "site", site_id, None
            if enterprise:
                return enterprise, "enterprise", None, None
            return self.zones.get(_id(values.get("zone_id")), (None, values.get("zone")))[1], "zone", None, None
        if table in ("duty_post", "duty_assignment"):
            day = _as_day(values.get("day") or values.get("monday"))  # a cell's day; a copied week's Monday
            place = " · ".join(part for part in (self.sites.get(site_id) or values.get("site"),
                                                 self.shifts.get(_id(values.get("shift_id")))) if part)
            return place or None, "site", site_id, day  # "中古线西关卡口 · 0-8": the point and its shift
        if table == "personal_data_grant":
            return values.get("username") or self.grantees.get(_id(values.get("user_id"))), "account", None, None
        return None, None, None, None

    def _movement_subject(self, values: dict) -> str | None:
        """A movement is about its item at its place: "口罩 · 第一工作管区" (· the duty point holding its own)."""
        item = self.items_named.get(_id(values.get("item_id")))
        zone = self.zones.get(_id(values.get("zone_id")), (None, None))[1]
        site = self.sites.get(_id(values.get("site_id")))
        return " · ".join(part for part in (item, zone, site) if part) or None

    def items(self, table: str, before: dict | None, after: dict | None,
              reason: str | None = None) -> list[tuple[str, object, object, str]]:
        """The changed fields as (field, before, after, shape), ids as names, bookkeeping left out; shape
        is "both" (a change: before -> after), "new" (a value set: an insert) or "old" (a value removed).
        A field that did not change is left out, and so is an empty field of a new record, and a field the
        subject says (a movement's item and place; a donation's donor)."""
        before, after = before or {}, after or {}
        order = {field: index - len(_TABLE_ORDER.get(table, ())) for index, field in enumerate(_TABLE_ORDER.get(table, ()))}
        hidden = HIDDEN_FIELDS | _SUBJECT_FIELDS.get(table, frozenset())
        if table in _SITE_SHOWN:
            hidden = hidden - {"site_id"}
        fields = sorted((f for f in dict.fromkeys([*after, *before]) if f not in hidden),
                        key=lambda f: order.get(f, _ORDER.get(f, len(_ORDER))))
        if table in _SITE_TABLES or table == "reopening_step":
            fields = [f for f in fields if f != "day"]  # the day is the subject's, shown beside it
        if table == "supply_movement" and reason is not None and after.get("note") == reason:
            fields = [f for f in fields if f != "note"]  # a stock-take's reason, in the reason column already
        found = []
        for field in fields:
            old, new = self._value(field, before.get(field)), self._value(field, after.get(field))
            if field in before and field in after:
                if old != new:
                    found.append((field, old, new, "both"))
            elif field in after:
                if new is not None or field == "due":
                    found.append((field, None, new, "new"))
            else:
                found.append((field, old, None, "old"))
        return found

    def _value(self, field: str, value):
        if isinstance(value, str) and (_PHONE.search(value) or _ID_NUMBER.search(value)):
            return _mask_phones(value)  # a number typed anywhere (a phone field, a note) never in clear
        if field in ("person_id", "a_person_id", "b_person_id") and value is not None:
            return self.people.get(_id(value))
        if field in ("person_ids", "absent_person_ids") and isinstance(value, list):
            return [self.people.get(_id(v)) or "—" for v in value]
        if field == "unit_id" and value is not None:
            return self.units.get(_id(value))
        if field == "shift_id" and value is not None:
            return self.shifts.get(_id(value))
        if field == "site_id" and value is not None:
            return self.sites.get(_id(value))
        if field == "sites" and isinstance(value, dict):  # a gate purge: "翠湖小区 12" per compound
            return [f"{self.sites.get(_id(site)) or '—'} {n}" for site, n in value.items()]
        if field == "user_id" and value is not None:
            return self.grantees.get(_id(value))
        if field == "zone_id" and value is not None:
            return self.zones.get(value, (None, value))[1]
        if field == "item_id" and value is not None:
            return self.items_named.get(_id(value))  # never the id itself
        if field == "recipient_site_id" and value is not None:
            return self.sites.get(_id(value))
        if field == "zones" and isinstance(value, list):
            return [self.zones.get(v, (v, v))[1] if isinstance(v, int) else
                    next((name for code, name in self.zones.values() if code == v), v) for v in value]
        return value
