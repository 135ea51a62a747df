"""People and units, A/B responsibility (抓好一线督导, AB角), and who may see a phone number in full.

People serve in units (a zone's staff, a village's cadres, a compound's team, a city department's task
force, police, the health centre). Their phones are kept encrypted (data_access/personal.py): lists show
the masked number; the full number is shown one person at a time to an admin or to a user granted
"view personal data" for the person's zone (or site, or everywhere), and each such view is an audit row.

Responsibility names an A (primary) and a B (backup) person for a line of work in a work zone, for one
site, or for one enterprise. The reads that show a site's lead cadre or an enterprise's owners take the
names from here through `lead_names` (one outer join per read, never a look-up per row).

Admins and supervisors manage people, units and responsibility; clerks and viewers read.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import and_, case, delete, func, literal, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from . import personal
from .audit import audit, write_versioned
from .auth import Actor, load_actor, require_admin
from .db import read_connection, read_frame, write_session
from .errors import ConflictError, FieldError, NotFound, PermissionDenied, ValidationError
from .filters import Filters
from .models import (
    PERSON_STATUSES,
    RESPONSIBILITY_LINES,
    UNIT_KINDS,
    Enterprise,
    OrgUnit,
    Person,
    PersonalDataGrant,
    Responsibility,
    Site,
    User,
    WorkZone,
)
from .validate import Checker, clean_search, form_id as _id

MANAGERS = ("admin", "supervisor")  # who manages people, units and responsibility
TARGET_KINDS = ("line", "site", "enterprise")
STATUS_WORDS = {"在岗": "active", "请假": "leave", "离岗": "left", **{s: s for s in PERSON_STATUSES}}
PERSON_FIELDS = ("name", "unit_id", "zone_id", "title", "phone_masked", "status", "note")  # audited (never the phone)
UNKNOWN_UNIT = ("未知单位", "unknown unit")
UNKNOWN_ZONE = ("未知工作管区", "unknown work zone")
UNKNOWN_PERSON = ("未知人员", "unknown person")
BAD_PHONE = ("电话号码无效：应为 11 位手机号（如 13812345678）", "not a valid phone number: 11 digits such as 13812345678")


# ---- the lead cadre and owner names other reads show ------------------------------------------------

@dataclass(frozen=True)
class LeadNames:
    """The A and B people of a site's or an enterprise's responsibility row, as columns of a read.

    `join(query)` outer-joins them (by the unique index on responsibility.site_id / enterprise_id and the
    people's primary keys); `a` and `b` are the names, `both` reads "A / B" (or the one there is)."""

    row: object
    a_person: object
    b_person: object
    target_id: object
    kind: str

    @property
    def a(self):
        return self.a_person.c.name

    @property
    def b(self):
        return self.b_person.c.name

    @property
    def both(self):
        return case((self.b.is_(None), self.a), (self.a.is_(None), self.b), else_=self.a + " / " + self.b)

    def join(self, query):
        target = self.row.c.site_id if self.kind == "site" else self.row.c.enterprise_id
        return (query.outerjoin(self.row, target == self.target_id)
                .outerjoin(self.a_person, self.a_person.c.id == self.row.c.a_person_id)
                .outerjoin(self.b_person, self.b_person.c.id == self.row.c.b_person_id))


def lead_names(target_id, kind: str = "site") -> LeadNames:
    """Who answers for the site (or enterprise) whose id is the column `target_id`: see LeadNames."""
    if kind not in ("site", "enterprise"):
        raise ValueError(kind)
    return LeadNames(Responsibility.__table__.alias(f"{kind}_lead"), Person.__table__.alias(f"{kind}_lead_a"),
                     Person.__table__.alias(f"{kind}_lead_b"), target_id, kind)


# ---- reads -----------------------------------------------------------------------------------------

def units(engine=None) -> pd.DataFrame:
    """Every unit with its zone, site and how many people serve in it (those who have not left)."""
    serving = (select(Person.unit_id, func.count(Person.id).label("people")).where(Person.status != "left")
               .group_by(Person.unit_id).subquery("serving"))
    query = (select(OrgUnit.id.label("unit_id"), OrgUnit.code, OrgUnit.name, OrgUnit.kind, OrgUnit.zone_id,
                    WorkZone.name.label("zone"), OrgUnit.site_id, Site.name.label("site"), OrgUnit.active,
                    func.coalesce(serving.c.people, 0).label("people"), OrgUnit.version)
             .outerjoin(WorkZone, WorkZone.id == OrgUnit.zone_id)
             .outerjoin(Site, Site.id == OrgUnit.site_id)
             .outerjoin(serving, serving.c.unit_id == OrgUnit.id)
             .order_by(OrgUnit.kind, WorkZone.code, OrgUnit.code))
    frame = read_frame(query, engine)
    frame["active"] = frame["active"].astype(bool)
    frame["people"] = frame["people"].astype("int64")
    return frame


def _in_zone(zone_id: int | None):
    """People serving in the zone, and those serving everywhere (task forces: no zone)."""
    return true() if zone_id is None else or_(Person.zone_id == zone_id, Person.zone_id.is_(None))


def _listed(query, filters: Filters, unit_id, status, search):
    """The people list's conditions on a query joined to OrgUnit."""
    query = query.where(_in_zone(filters.zone_id))
    if unit_id is not None:
        query = query.where(Person.unit_id == unit_id)
    if status:
        query = query.where(Person.status == status)
    search = clean_search(search)
    if search:
        by_phone = personal.hashed_search(search)  # a number typed, or personal.search_term's hash of it
        query = query.where(Person.phone_hash == by_phone if by_phone
                            else Person.name.contains(search, autoescape=True))
    return query


def people(filters: Filters, unit_id: int | None = None, status: str | None = None, search: str | None = None,
           engine=None, limit: int | None = None, person_id: int | None = None) -> pd.DataFrame:
    """The people list: unit, zone, title, masked phone, status. `search` matches a name (part of it) or,
    when it is a whole phone number, the person with that number (by its keyed hash, nothing decrypted); pages
    pass personal.search_term(text), which stands for a number by its keyed hash, so no cache key holds it.
    `limit`: the list's first rows (people_counts counts them all); `person_id`: that person's row alone."""
    query = (select(Person.id.label("person_id"), Person.name, Person.unit_id, OrgUnit.name.label("unit"),
                    OrgUnit.kind.label("unit_kind"), Person.zone_id, WorkZone.name.label("zone"), Person.title,
                    Person.phone_masked, Person.status, Person.note, Person.version)
             .join(OrgUnit, OrgUnit.id == Person.unit_id)
             .outerjoin(WorkZone, WorkZone.id == Person.zone_id)
             .order_by(OrgUnit.kind, OrgUnit.code, Person.name, Person.id)
             .limit(limit))
    if person_id is not None:
        query = query.where(Person.id == person_id)
    return read_frame(_listed(query, filters, unit_id, status, search), engine)


def person_labels(filters: Filters, unit_id: int | None = None, status: str | None = None,
                  search: str | None = None, engine=None) -> pd.DataFrame:
    """The people of people(...) (all of them) as picker labels "姓名（单位）", made in SQL, in the list's
    order: [person_id, label]."""
    query = (select(Person.id.label("person_id"), (Person.name + "（" + OrgUnit.name + "）").label("label"))
             .join(OrgUnit, OrgUnit.id == Person.unit_id)
             .order_by(OrgUnit.kind, OrgUnit.code, Person.name, Person.id))
    return read_frame(_listed(query, filters, unit_id, status, search), engine)


def person_choices(zone_id: int | None = None, engine=None) -> pd.DataFrame:
    """Active people for a picker, labelled "姓名（单位）"; a task-force member is choosable in every zone."""
    query = (select(Person.id.label("person_id"), Person.name, OrgUnit.name.label("unit"))
             .join(OrgUnit, OrgUnit.id == Person.unit_id)
             .where(Person.status == "active", _in_zone(zone_id))
             .order_by(Person.name, Person.id))
    frame = read_frame(query, engine)
    frame["label"] = [f"{name}（{unit}）" for name, unit in zip(frame["name"], frame["unit"])]
    return frame[["person_id", "label"]]


RESPONSIBILITY_COLUMNS = ["responsibility_id", "target_kind", "line", "zone_id", "zone", "site_id", "site",
                          "enterprise_id", "enterprise", "a_person_id", "a_name", "b_person_id", "b_name", "version"]


def responsibilities(filters: Filters, engine=None, kinds: tuple[str, ...] = TARGET_KINDS,
                     limit: int | None = None) -> pd.DataFrame:
    """Who answers for what: every line of work in every zone in scope, then every active site, then every
    enterprise (each with its A and B, None where nobody is named yet: `responsibility_id` None).
    `limit`: the first so many sites and enterprises together (a table's first page; lines are never cut)."""
    a, b = aliased(Person), aliased(Person)
    names = (a.id.label("a_person_id"), a.name.label("a_name"), b.id.label("b_person_id"), b.name.label("b_name"),
             Responsibility.version)

    def people_of(query):
        return (query.outerjoin(a, a.id == Responsibility.a_person_id)
                .outerjoin(b, b.id == Responsibility.b_person_id))

    frames = []
    with read_connection(engine) as conn:
        if "line" in kinds:
            zones = select(WorkZone.id, WorkZone.name).order_by(WorkZone.code)
            if filters.zone_id is not None:
                zones = zones.where(WorkZone.id == filters.zone_id)
            kept = {(r.line, r.zone_id): r for r in conn.execute(people_of(
                select(Responsibility.id, Responsibility.line, Responsibility.zone_id, *names)
                .where(Responsibility.line.is_not(None)))).all()}
            rows = []
            for zone_id, zone in conn.execute(zones).all():
                for line in RESPONSIBILITY_LINES:
                    r = kept.get((line, zone_id))
                    rows.append((r.id if r else None, "line", line, zone_id, zone, None, None, None, None,
                                 *((r.a_person_id, r.a_name, r.b_person_id, r.b_name, r.version) if r
                                   else (None,) * 5)))
            frames.append(pd.DataFrame(rows, columns=RESPONSIBILITY_COLUMNS, dtype=object))
        if "site" in kinds:
            query = people_of(
                select(Responsibility.id, literal("site"), literal(None), Site.zone_id, WorkZone.name, Site.id,
                       Site.name, literal(None), literal(None), *names)
                .join(WorkZone, WorkZone.id == Site.zone_id)
                .outerjoin(Responsibility, Responsibility.site_id == Site.id)
                .where(Site.active.is_(True))
                .order_by(WorkZone.code, Site.kind, Site.name, Site.id))
            if filters.zone_id is not None:
                query = query.where(Site.zone_id == filters.zone_id)
            if filters.site_id is not None:
                query = query.where(Site.id == filters.site_id)
            if limit is not None:
                query = query.limit(limit)
            frames.append(pd.DataFrame([tuple(r) for r in conn.execute(query)], columns=RESPONSIBILITY_COLUMNS,
                                       dtype=object))
            if limit is not None:
                limit = max(0, limit - len(frames[-1]))
        if "enterprise" in kinds and filters.site_id is None and limit != 0:
            query = people_of(
                select(Responsibility.id, literal("enterprise"), literal(None), Enterprise.zone_id, WorkZone.name,
                       literal(None), literal(None), Enterprise.id, Enterprise.name, *names)
                .join(WorkZone, WorkZone.id == Enterprise.zone_id)
                .outerjoin(Responsibility, Responsibility.enterprise_id == Enterprise.id)
                .order_by(WorkZone.code, Enterprise.name, Enterprise.id))
            if filters.zone_id is not None:
                query = query.where(Enterprise.zone_id == filters.zone_id)
            if limit is not None:
                query = query.limit(limit)
            frames.append(pd.DataFrame([tuple(r) for r in conn.execute(query)], columns=RESPONSIBILITY_COLUMNS,
                                       dtype=object))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame([], columns=RESPONSIBILITY_COLUMNS, dtype=object)
    return pd.concat(frames, ignore_index=True)


def count_targets(filters: Filters, engine=None) -> dict:
    """How many rows responsibilities(filters, kinds=("site", "enterprise")) has: {"site", "enterprise"}."""
    sites = select(func.count(Site.id)).where(Site.active.is_(True))
    if filters.zone_id is not None:
        sites = sites.where(Site.zone_id == filters.zone_id)
    if filters.site_id is not None:
        sites = sites.where(Site.id == filters.site_id)
    enterprises = select(func.count(Enterprise.id))
    if filters.zone_id is not None:
        enterprises = enterprises.where(Enterprise.zone_id == filters.zone_id)
    with read_connection(engine) as conn:
        return {"site": int(conn.execute(sites).scalar_one()),
                "enterprise": 0 if filters.site_id is not None else int(conn.execute(enterprises).scalar_one())}


def people_counts(filters: Filters, unit_id: int | None = None, status: str | None = None,
                  search: str | None = None, engine=None) -> dict:
    """How many people people(...) lists: {"count", "active", "leave", "task_force"} (task_force: active in a
    task force); the tiles count everyone in scope, the list's caption its own rows."""
    active = Person.status == "active"
    query = (select(func.count(Person.id), func.coalesce(func.sum(case((active, 1), else_=0)), 0),
                    func.coalesce(func.sum(case((Person.status == "leave", 1), else_=0)), 0),
                    func.coalesce(func.sum(case((and_(active, OrgUnit.kind == "task_force"), 1), else_=0)), 0))
             .join(OrgUnit, OrgUnit.id == Person.unit_id))
    with read_connection(engine) as conn:
        row = conn.execute(_listed(query, filters, unit_id, status, search)).one()
    return dict(zip(("count", "active", "leave", "task_force"), (int(v) for v in row)))


# ---- personal data: who may see a number in full --------------------------------------------------------

def _grant_covers(user_id: int, zone_id: int | None, site_id: int | None):
    """A grant of the user reaching a person of this zone (and unit site): everywhere, the zone, or the site."""
    reach = [and_(PersonalDataGrant.zone_id.is_(None), PersonalDataGrant.site_id.is_(None))]
    if zone_id is not None:
        reach.append(PersonalDataGrant.zone_id == zone_id)
    if site_id is not None:
        reach.append(PersonalDataGrant.site_id == site_id)
    return select(PersonalDataGrant.id).where(PersonalDataGrant.user_id == user_id, or_(*reach)).exists()


def _may_view(conn, username: str, zone_id: int | None, site_id: int | None = None) -> bool:
    user = conn.execute(select(User.id, User.role, User.active).where(User.username == username)).first()
    if user is None or not user.active:
        return False
    return user.role == "admin" or bool(conn.execute(select(_grant_covers(user.id, zone_id, site_id))).scalar())


def may_view_personal(username: str, zone_id: int | None, site_id: int | None = None, engine=None) -> bool:
    """May this account see full personal data of someone serving in the zone (or at the site)?"""
    with read_connection(engine) as conn:
        return _may_view(conn, username, zone_id, site_id)


def full_phone(username: str, person_id: int, engine=None) -> str:
    """One person's phone in full, for an admin or a user granted personal data covering the person's zone or
    unit site; the view is audited (who, whose, when) in the same transaction. "" when none is stored."""
    with write_session(engine) as session:
        row = session.execute(select(Person.id, Person.name, Person.zone_id, Person.phone_cipher, OrgUnit.site_id)
                              .join(OrgUnit, OrgUnit.id == Person.unit_id).where(Person.id == person_id)).first()
        if row is None:
            raise NotFound(f"person {person_id}")
        if not _may_view(session.connection(), username, row.zone_id, row.site_id):
            raise PermissionDenied("您无权查看此人的完整个人信息", "You may not see this person's personal data in full")
        audit(session, username, "personal_view", "person", row.id, None, {"name": row.name, "field": "phone"})
        return personal.decrypt(row.phone_cipher) if row.phone_cipher else ""


def grants(engine=None) -> pd.DataFrame:
    """Every personal-data grant: to whom, where (zone, site, or everywhere: both None), by whom, when."""
    query = (select(PersonalDataGrant.id.label("grant_id"), User.username, User.display_name,
                    PersonalDataGrant.zone_id, WorkZone.name.label("zone"), PersonalDataGrant.site_id,
                    Site.name.label("site"), PersonalDataGrant.granted_by, PersonalDataGrant.granted_at)
             .join(User, User.id == PersonalDataGrant.user_id)
             .outerjoin(WorkZone, WorkZone.id == PersonalDataGrant.zone_id)
             .outerjoin(Site, Site.id == PersonalDataGrant.site_id)
             .order_by(User.username, PersonalDataGrant.id))
    return read_frame(query, engine)


def grant_personal_data(username: str, user: str, zone_id: int | None = None, site_id: int | None = None,
                        engine=None) -> int:
    """Let `user` see personal data in full: everywhere, in one zone, or at one site. Admins only; audited."""
    if zone_id is not None and site_id is not None:
        raise ValidationError([FieldError("site_id", "工作管区和站点只能选一个", "pick a work zone or a site, not both")])
    with write_session(engine) as session:
        require_admin(load_actor(session, username))
        grantee = session.scalar(select(User).where(User.username == user))
        if grantee is None:
            raise ValidationError([FieldError("user", "未知账号", "unknown account")])
        if zone_id is not None and session.get(WorkZone, zone_id) is None:
            raise ValidationError([FieldError("zone_id", *UNKNOWN_ZONE)])
        if site_id is not None and session.get(Site, site_id) is None:
            raise ValidationError([FieldError("site_id", "未知站点", "unknown site")])
        grant = PersonalDataGrant(user_id=grantee.id, zone_id=zone_id, site_id=site_id, granted_by=username,
                                  granted_at=dt.datetime.now(dt.timezone.utc))
        session.add(grant)
        session.flush()
        audit(session, username, "grant", "personal_data_grant", grant.id, None,
              {"username": user, "zone_id": zone_id, "site_id": site_id})
        return grant.id


def revoke_personal_data(username: str, grant_id: int, engine=None) -> None:
    """End a grant. Admins only; audited."""
    with write_session(engine) as session:
        require_admin(load_actor(session, username))
        grant = session.get(PersonalDataGrant, grant_id, with_for_update=True)
        if grant is None:
            raise NotFound(f"personal_data_grant {grant_id}")
        grantee = session.get(User, grant.user_id)
        before = {"username": grantee.username if grantee else None, "zone_id": grant.zone_id, "site_id": grant.site_id}
        session.execute(delete(PersonalDataGrant).where(PersonalDataGrant.id == grant_id))
        audit(session, username, "revoke", "personal_data_grant", grant_id, before, None)


# ---- writes: checks ---------------------------------------------------------------------------------

def _require_manager(actor: Actor) -> None:
    if actor.role not in MANAGERS:
        raise PermissionDenied("仅管理员和督导人员可以管理人员与责任分工",
                               "Only administrators and supervisors manage people and responsibility")


def _phone(check: Checker, raw, row=None) -> str | None:
    """The normalised number, None when empty; an invalid number is refused on "phone"."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or (isinstance(raw, str) and not raw.strip()):
        return None
    phone = personal.normal_phone(raw)
    if phone is None:
        check.fail("phone", *BAD_PHONE, row)
    return phone


def _status(check: Checker, raw, row=None) -> str | None:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or (isinstance(raw, str) and not raw.strip()):
        return "active"
    status = STATUS_WORDS.get(str(raw).strip())
    if status is None:
        check.fail("status", "状态应为 在岗、请假 或 离岗", "status must be active, leave or left", row)
    return status


def _phone_values(phone: str | None) -> dict:
    if phone is None:
        return {"phone_cipher": None, "phone_hash": None, "phone_masked": None}
    return {"phone_cipher": personal.encrypt(phone), "phone_hash": personal.lookup_hash(phone),
            "phone_masked": personal.mask_phone(phone)}


def _phone_taken(session, phone_hash: str, person_id: int | None):
    """The name of someone else already holding this number, else None."""
    query = select(Person.name).where(Person.phone_hash == phone_hash)
    if person_id is not None:
        query = query.where(Person.id != person_id)
    return session.scalar(query.limit(1))


# ---- writes: people ---------------------------------------------------------------------------------

def save_person(username: str, person_id: int | None, fields: dict, version: int | None = None, engine=None) -> int:
    """Add (person_id None) or change a person; returns the id. fields: name, unit_id, zone_id (default: the
    unit's), title, phone (raw; empty keeps the stored number unless `clear_phone`), status, note. The name
    is stored as typed (pages escape it). Admins and supervisors only; audited with the masked number."""
    check = Checker()
    values = {
        "name": check.text("name", fields.get("name"), required=True, column=Person.name),
        "unit_id": _id(check, "unit_id", fields.get("unit_id"), UNKNOWN_UNIT),
        "zone_id": _id(check, "zone_id", fields.get("zone_id"), UNKNOWN_ZONE, required=False),
        "title": check.text("title", fields.get("title"), column=Person.title),
        "status": _status(check, fields.get("status")),
        "note": check.text("note", fields.get("note"), max_len=500),
    }
    phone = _phone(check, fields.get("phone"))
    check.raise_if_any()
    with write_session(engine) as session:
        _require_manager(load_actor(session, username))
        unit = session.get(OrgUnit, values["unit_id"])
        if unit is None:
            raise ValidationError([FieldError("unit_id", *UNKNOWN_UNIT)])
        if values["zone_id"] is not None and session.get(WorkZone, values["zone_id"]) is None:
            raise ValidationError([FieldError("zone_id", *UNKNOWN_ZONE)])
        if values["zone_id"] is None:
            values["zone_id"] = unit.zone_id
        if phone is not None:
            values.update(_phone_values(phone))
            taken = _phone_taken(session, values["phone_hash"], person_id)
            if taken is not None:
                raise ValidationError([FieldError("phone", f"该号码已登记给 {taken}", f"this number is already {taken}'s")])
        elif fields.get("clear_phone"):
            values.update(_phone_values(None))
        return _write_person(session, username, person_id, values, version)


def _write_person(session, username: str, person_id: int | None, values: dict, version: int | None) -> int:
    """The phone's token differs at every encryption of the same number: its keyed hash says whether it changed."""
    shown = {key: values.get(key) for key in PERSON_FIELDS if key in values}
    compared = [*shown, *(["phone_hash"] if "phone_hash" in values else [])]
    return write_versioned(session, username, Person, person_id, values, version, shown=shown, compared=compared).id


IMPORT_HEADERS = {"姓名": "name", "单位": "unit", "职务": "title", "电话": "phone", "状态": "status",
                  "name": "name", "unit": "unit", "title": "title", "phone": "phone", "status": "status"}
IMPORT_REQUIRED = ("name", "unit")


def _import_rows(file_bytes: bytes, filename: str) -> list[tuple[int, dict]]:
    """(spreadsheet line, {column: cell}) of each data row of the first sheet, headers mapped."""
    from .traffic_entry import mapped_xlsx_rows

    return mapped_xlsx_rows(file_bytes, filename, IMPORT_HEADERS, IMPORT_REQUIRED)


def _unit_finder(session):
    """A unit by its code or, when no code matches, its name (a name two units share is ambiguous)."""
    rows = session.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.zone_id)).all()
    by_code = {r.code: r for r in rows}
    by_name: dict[str, list] = {}
    for r in rows:
        by_name.setdefault(r.name, []).append(r)
    return lambda text: by_code.get(text) or (by_name[text][0] if len(by_name.get(text, [])) == 1 else
                                             ("ambiguous" if text in by_name else None))


def import_people(username: str, file_bytes: bytes, filename: str, engine=None) -> dict:
    """People from an Excel sheet (姓名, 单位, 职务, 电话, 状态; English headers too): a row whose phone (by its
    keyed hash), else name and unit, matches a person updates that person; any other row adds one. Every bad
    cell is named by its spreadsheet line and column, and then nothing is saved."""
    records = _import_rows(file_bytes, filename)
    with write_session(engine) as session:
        _require_manager(load_actor(session, username))
        find_unit = _unit_finder(session)
        check, planned, phones = Checker(), [], {}
        for line, record in records:
            name = check.text("name", record.get("name"), line, required=True, column=Person.name)
            unit_text = check.text("unit", record.get("unit"), line, required=True, column=OrgUnit.name)
            unit = find_unit(unit_text) if unit_text else None
            if unit_text and unit is None:
                check.fail("unit", f"没有名为“{unit_text[:30]}”的单位", f"no unit named '{unit_text[:30]}'", line)
            elif unit == "ambiguous":
                check.fail("unit", "有多个单位同名，请写单位编码", "several units have this name: write the unit's code", line)
                unit = None
            title = check.text("title", record.get("title"), line, column=Person.title)
            phone = _phone(check, record.get("phone"), line)
            status = _status(check, record.get("status"), line)
            if phone is not None:
                if phone in phones:
                    check.fail("phone", f"与第 {phones[phone]} 行的号码重复", f"the same number as line {phones[phone]}", line)
                phones.setdefault(phone, line)
            planned.append((line, name, unit, title, phone, status))
        check.raise_if_any()
        return _apply_import(session, username, planned)


def _apply_import(session, username: str, planned: list) -> dict:
    created = updated = 0
    errors = []
    for line, name, unit, title, phone, status in planned:
        values = {"name": name, "unit_id": unit.id, "zone_id": unit.zone_id, "title": title, "status": status}
        match = None
        if phone is not None:
            values.update(_phone_values(phone))
            match = session.scalar(select(Person).where(Person.phone_hash == values["phone_hash"]))
        if match is None:
            match = session.scalar(select(Person).where(Person.name == name, Person.unit_id == unit.id)
                                   .order_by(Person.id).limit(1))
            if match is not None and phone is not None and match.phone_hash not in (None, values["phone_hash"]):
                match = None  # a namesake in the same unit with another number: someone else
        if match is not None and phone is not None and _phone_taken(session, values["phone_hash"], match.id):
            errors.append(FieldError("phone", "该号码已登记给他人", "this number is already someone else's", line))
            continue
        _write_person(session, username, match.id if match else None, values, None)
        created, updated = created + (match is None), updated + (match is not None)
    if errors:
        raise ValidationError(errors)
    return {"created": created, "updated": updated}


# ---- writes: units -----------------------------------------------------------------------------------

UNIT_FIELDS = ("code", "name", "kind", "zone_id", "site_id", "active")


def save_unit(username: str, unit_id: int | None, fields: dict, version: int | None = None, engine=None) -> int:
    """Add (unit_id None) or change a unit: code, name, kind, zone_id, site_id, active. Admins and supervisors."""
    check = Checker()
    values = {
        "code": check.text("code", fields.get("code"), required=True, column=OrgUnit.code),
        "name": check.text("name", fields.get("name"), required=True, column=OrgUnit.name),
        "kind": check.choice("kind", fields.get("kind"), UNIT_KINDS),
        "zone_id": _id(check, "zone_id", fields.get("zone_id"), UNKNOWN_ZONE, required=False),
        "site_id": _id(check, "site_id", fields.get("site_id"), ("未知站点", "unknown site"), required=False),
        "active": bool(fields.get("active", True)),
    }
    check.raise_if_any()
    try:
        with write_session(engine) as session:
            _require_manager(load_actor(session, username))
            if values["zone_id"] is not None and session.get(WorkZone, values["zone_id"]) is None:
                raise ValidationError([FieldError("zone_id", *UNKNOWN_ZONE)])
            if values["site_id"] is not None:
                site = session.get(Site, values["site_id"])
                if site is None:
                    raise ValidationError([FieldError("site_id", "未知站点", "unknown site")])
                values["zone_id"] = values["zone_id"] or site.zone_id
            taken = session.scalar(select(OrgUnit.id).where(OrgUnit.code == values["code"]))
            if taken is not None and taken != unit_id:
                raise ValidationError([FieldError("code", "该编码已被其他单位使用", "this code is used by another unit")])
            return write_versioned(session, username, OrgUnit, unit_id, values, version).id
    except IntegrityError as error:  # the same code added by someone else meanwhile
        raise ConflictError() from error


# ---- writes: responsibility -----------------------------------------------------------------------------

def _target(check: Checker, target: dict) -> dict:
    """{line, zone_id} | {site_id} | {enterprise_id} as the responsibility row's four columns."""
    target = target or {}
    named = [key for key in ("line", "site_id", "enterprise_id") if target.get(key) is not None]
    if len(named) != 1:
        check.fail("target", "请选择一项工作、一个站点或一家企业", "pick one line of work, one site or one enterprise")
        return {}
    values = dict.fromkeys(("line", "zone_id", "site_id", "enterprise_id"))
    if named == ["line"]:
        values["line"] = check.choice("line", target.get("line"), RESPONSIBILITY_LINES)
        values["zone_id"] = _id(check, "zone_id", target.get("zone_id"), UNKNOWN_ZONE)
    elif named == ["site_id"]:
        values["site_id"] = _id(check, "site_id", target.get("site_id"), ("未知站点", "unknown site"))
    else:
        values["enterprise_id"] = _id(check, "enterprise_id", target.get("enterprise_id"), ("未知企业", "unknown enterprise"))
    return values


def _target_exists(session, values: dict) -> None:
    for field, model, words in (("zone_id", WorkZone, UNKNOWN_ZONE), ("site_id", Site, ("未知站点", "unknown site")),
                                ("enterprise_id", Enterprise, ("未知企业", "unknown enterprise"))):
        if values.get(field) is not None and session.get(model, values[field]) is None:
            raise ValidationError([FieldError(field, *words)])


def _active_people(session, a_id: int, b_id: int | None) -> dict[int, str]:
    """The A and B named, each refused on its field unless they serve (status active)."""
    ids = [i for i in (a_id, b_id) if i is not None]
    found = {r.id: r for r in session.execute(select(Person.id, Person.name, Person.status).where(Person.id.in_(ids)))}
    errors = []
    for field, person_id in (("a_person_id", a_id), ("b_person_id", b_id)):
        if person_id is None:
            continue
        row = found.get(person_id)
        if row is None:
            errors.append(FieldError(field, *UNKNOWN_PERSON))
        elif row.status != "active":
            errors.append(FieldError(field, f"{row.name} 当前不在岗", f"{row.name} is not serving at present"))
    if errors:
        raise ValidationError(errors)
    return {person_id: row.name for person_id, row in found.items()}


def save_responsibility(username: str, target: dict, a_person_id, b_person_id=None, version: int | None = None,
                        engine=None) -> int:
    """Name the A (required) and B (optional, not A) for a line of work in a zone, a site or an enterprise;
    returns the row's id. `version` is the row's as loaded (None: there was none). Admins and supervisors;
    audited with the names before and after."""
    check = Checker()
    values = _target(check, target)
    a_id = _id(check, "a_person_id", a_person_id, UNKNOWN_PERSON)
    b_id = _id(check, "b_person_id", b_person_id, UNKNOWN_PERSON, required=False)
    if a_id is not None and a_id == b_id:
        check.fail("b_person_id", "B角不能与A角是同一人", "B cannot be the same person as A")
    check.raise_if_any()
    key = {k: v for k, v in values.items() if v is not None}
    try:
        with write_session(engine) as session:
            _require_manager(load_actor(session, username))
            _target_exists(session, values)
            names = _active_people(session, a_id, b_id)
            row = session.scalar(select(Responsibility).filter_by(**key).with_for_update())
            after = {**key, "a_person": names[a_id], "b_person": names.get(b_id)}
            if row is None:
                if version is not None:  # it was there when the form was loaded: someone removed it
                    raise ConflictError()
                row = Responsibility(**values, a_person_id=a_id, b_person_id=b_id, **Responsibility.first_write(username))
                session.add(row)
                session.flush()
                audit(session, username, "insert", "responsibility", row.id, None, after)
                return row.id
            if version is None or version != row.version:
                raise ConflictError()
            if (row.a_person_id, row.b_person_id) == (a_id, b_id):
                return row.id
            before = {**key, "a_person": _name(session, row.a_person_id), "b_person": _name(session, row.b_person_id)}
            row.a_person_id, row.b_person_id = a_id, b_id
            row.changed_by(username)
            audit(session, username, "update", "responsibility", row.id, before, after)
            return row.id
    except IntegrityError as error:  # the same target's row added by someone else meanwhile
        raise ConflictError() from error


def _name(session, person_id: int | None) -> str | None:
    return None if person_id is None else session.scalar(select(Person.name).where(Person.id == person_id))
