"""Compound gate registration (门岗登记, issue 17): who passed a compound's gate, in or out, and the counts.

Every registration holds the largest body of personal data the command post keeps, so:
- the document number and the phone are stored encrypted (data_access/personal.py), with a keyed hash for
  look-ups (a returning person is found by phone or number without decrypting anything) and a masked form
  for every list; a full record is shown one at a time to an admin or a user granted "view personal data"
  for the compound (its zone, or everywhere), and each such view is an audit row;
- audit rows and error messages carry masked values only (a message never repeats a typed number);
- registrations older than the retention days (setting "gate_retention_days", default 28) are deleted by
  `purge` (the CLI's purge-registrations, and every start); the per-hour counts stay.

Counts: every write adds to gate_hour_count (site, local day, hour) in its own transaction, by an
INSERT ... ON CONFLICT DO UPDATE that adds (on PostgreSQL two gates' clerks writing the same compound and
hour wait for each other's row and both count). The pages' every-rerun reads (summary, hourly, daily)
read only gate_hour_count; lists read gate_registration through its (site_id, at) index with a LIMIT.

Who sees what: admins and supervisors everything, clerks only the compounds of their scope (a zone scope or
a site scope: data_access.scope), viewers the counts only (every list is empty for them).
"""
from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from numbers import Number

import pandas as pd
from sqlalchemy import and_, bindparam, case, delete, desc, false, func, insert, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

from . import clock, personal, scope
from .audit import audit
from .auth import Actor, load_actor, require_admin
from .db import read_connection, write_session
from .errors import FieldError, NotFound, PermissionDenied, ValidationError
from .filters import Filters
from .models import (DOC_TYPES, GateDayCount, GateHourCount, GatePersonSite, GateRegistration, Setting,
                     Site, WorkZone)
from .validate import Checker, clean_search

RETENTION_KEY = "gate_retention_days"
DEFAULT_RETENTION_DAYS = 28
MAX_RETENTION_DAYS = 366
FUTURE_SLACK = dt.timedelta(minutes=5)  # a clock a little ahead of the server's is not "in the future"
FEVER = Decimal("37.3")  # at or above: saved, and flagged
TEMPERATURE_RANGE = (Decimal("34.0"), Decimal("43.0"))
LIST_LIMIT = 200
COUNT_COLUMNS = ("entries", "exits", "from_outside")
REGISTRATION_COLUMNS = ["registration_id", "at", "site", "zone", "direction", "doc_type", "doc_masked", "name",
                        "building", "phone_masked", "from_outside", "origin", "temperature"]
AUDITED = ("site_id", "direction", "at", "doc_type", "doc_masked", "name", "building", "phone_masked",
           "from_outside", "origin", "temperature")  # never a cipher, a hash or a number in clear

BAD_PHONE = ("电话号码无效：应为 11 位手机号", "not a valid mobile number: 11 digits")
BAD_DOCUMENT = ("证件号码无效：应为 5-20 位字母或数字", "not a valid document number: 5-20 letters or digits")
EXCEL_NUMBER = ("证件号码被 Excel 存成了数字，末几位已丢失：请把该列设为“文本”后重新填写",
                "Excel stored the document number as a number and lost its last digits: format the column as "
                "text and type it again")
NOT_A_COMPOUND = ("请选择一个小区", "pick a compound")


# ---- settings -------------------------------------------------------------------------------------------

def retention_days(engine=None, conn=None) -> int:
    """How many days registrations are kept (setting gate_retention_days; default 28)."""
    query = select(Setting.value).where(Setting.key == RETENTION_KEY)
    if conn is not None:
        value = conn.execute(query).scalar()
    else:
        with read_connection(engine) as c:
            value = c.execute(query).scalar()
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_RETENTION_DAYS
    return days if 1 <= days <= MAX_RETENTION_DAYS else DEFAULT_RETENTION_DAYS


def set_retention_days(username: str, days, engine=None) -> int:
    """Admins set how many days registrations are kept (1-366); audited."""
    check = Checker()
    value = check.count("days", days, maximum=MAX_RETENTION_DAYS)
    if value is not None and value < 1:
        check.fail("days", "至少 1 天", "at least 1 day")
    check.raise_if_any()
    with write_session(engine) as session:
        require_admin(load_actor(session, username))
        row = session.get(Setting, RETENTION_KEY, with_for_update=True)
        before = row.value if row is not None else None
        if row is None:
            session.add(Setting(key=RETENTION_KEY, value=str(value)))
        else:
            row.value = str(value)
        audit(session, username, "update", "setting", None, {RETENTION_KEY: before}, {RETENTION_KEY: str(value)})
    return value


def cutoff(days: int, now: dt.datetime) -> dt.datetime:
    """The first moment kept: local midnight `days` days before today (28 days on 2020-02-26: 2020-01-29)."""
    today = now.astimezone(clock.zone()).date()
    return clock.local_midnight(today - dt.timedelta(days=days))


# ---- personal values -----------------------------------------------------------------------------------

def document_values(doc_type: str, number: str) -> dict:
    """The stored columns of a normalised document number: cipher, keyed hash, mask."""
    return {"doc_type": doc_type, "doc_cipher": personal.encrypt(number), "doc_hash": personal.lookup_hash(number),
            "doc_masked": personal.mask_document(doc_type, number)}


def phone_values(phone: str | None) -> dict:
    if phone is None:
        return {"phone_cipher": None, "phone_hash": None, "phone_masked": None}
    return {"phone_cipher": personal.encrypt(phone), "phone_hash": personal.lookup_hash(phone),
            "phone_masked": personal.mask_phone(phone)}


# ---- who sees what --------------------------------------------------------------------------------------

def _actor(conn, actor_or_username) -> Actor:
    return actor_or_username if isinstance(actor_or_username, Actor) else load_actor(conn, actor_or_username)


def _listed_sites(actor: Actor):
    """The compounds whose registrations the actor may list (a WHERE condition on Site): viewers none."""
    return scope.writable_sites(actor) if actor.role in scope.WRITER_ROLES else false()


def _filtered(query, filters: Filters, site_column=Site.id, zone_column=Site.zone_id):
    if filters.zone_id is not None:
        query = query.where(zone_column == filters.zone_id)
    if filters.site_id is not None:
        query = query.where(site_column == filters.site_id)
    return query


def _utc(moment: dt.datetime) -> dt.datetime:
    """A moment as aware UTC: what is stored (SQLite keeps the wall time it is given, without its offset)."""
    return moment.astimezone(dt.timezone.utc)


def _local_times(values) -> list:
    return [clock.as_utc(v).astimezone(clock.zone()) if v is not None else None for v in values]


def compounds(actor_or_username, engine=None) -> pd.DataFrame:
    """The active compounds the user may register for: site_id, name, zone_id, zone (viewers: none)."""
    with read_connection(engine) as conn:
        actor = _actor(conn, actor_or_username)
        query = (select(Site.id.label("site_id"), Site.name, Site.zone_id, WorkZone.name.label("zone"))
                 .join(WorkZone, WorkZone.id == Site.zone_id)
                 .where(Site.kind == "compound", Site.active.is_(True), _listed_sites(actor))
                 .order_by(WorkZone.code, Site.name, Site.id))
        rows = conn.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["site_id", "name", "zone_id", "zone"], dtype=object)


# ---- reads: lists (personal data, masked) ---------------------------------------------------------------

def _range_condition(filters: Filters):
    conditions = []
    if filters.start is not None:
        conditions.append(GateRegistration.at >= _utc(clock.local_midnight(filters.start)))
    if filters.end is not None:
        conditions.append(GateRegistration.at < _utc(clock.local_midnight(filters.end + dt.timedelta(days=1))))
    return and_(true(), *conditions)


def _key_condition(key: str | None):
    """A typed phone or document number as a keyed-hash condition; None when it is neither."""
    key = clean_search(key)
    if not key:
        return None
    by_phone = personal.hashed_search(key)  # a mobile number, or personal.search_term's keyed hash of one
    if by_phone is not None:
        return GateRegistration.phone_hash == by_phone
    number = personal.normal_document("resident_id", key) or personal.normal_document("other", key)
    return GateRegistration.doc_hash == personal.lookup_hash(number) if number else None


def registrations(username, filters: Filters, limit: int = LIST_LIMIT, search: str | None = None,
                  engine=None) -> pd.DataFrame:
    """The newest registrations in the filters' range and the user's compounds, newest first, masked. `search`:
    a whole phone or document number (matched by its keyed hash) or part of a name. Viewers: none."""
    with read_connection(engine) as conn:
        actor = _actor(conn, username)
        if actor.role not in scope.WRITER_ROLES:
            return pd.DataFrame([], columns=REGISTRATION_COLUMNS, dtype=object)
        r = GateRegistration
        query = (select(r.id, r.at, Site.name, WorkZone.name, r.direction, r.doc_type, r.doc_masked, r.name,
                        r.building, r.phone_masked, r.from_outside, r.origin, r.temperature)
                 .join(Site, Site.id == r.site_id).join(WorkZone, WorkZone.id == Site.zone_id)
                 .where(_listed_sites(actor), _range_condition(filters))
                 .order_by(r.at.desc(), r.id.desc()).limit(max(1, min(int(limit), 5_000))))
        query = _filtered(query, filters, r.site_id)
        search = clean_search(search)
        if search:
            by_key = _key_condition(search)
            query = query.where(by_key if by_key is not None else r.name.contains(search, autoescape=True))
        rows = conn.execute(query).all()
    frame = pd.DataFrame([tuple(row) for row in rows], columns=REGISTRATION_COLUMNS, dtype=object)
    frame["at"] = _local_times(frame["at"])
    frame["from_outside"] = [bool(v) for v in frame["from_outside"]]
    frame["temperature"] = [None if v is None else float(v) for v in frame["temperature"]]
    return frame


def find_person(username, site_id: int, key: str, engine=None) -> dict | None:
    """A returning person by phone or document number (keyed hash): their most recent registration at this
    compound, else anywhere in the user's compounds. Masked values only, and registration_id (pass it to
    register as reuse_from to keep the stored number and phone). None when not found or not a writer."""
    condition = _key_condition(key)
    if condition is None:
        return None
    r = GateRegistration
    columns = (r.id, r.name, r.doc_type, r.doc_masked, r.building, r.phone_masked, r.from_outside, r.origin)
    with read_connection(engine) as conn:
        actor = _actor(conn, username)
        if actor.role not in scope.WRITER_ROLES:
            return None
        base = select(*columns).join(Site, Site.id == r.site_id).where(condition, _listed_sites(actor))
        row = conn.execute(base.where(r.site_id == site_id).order_by(r.at.desc(), r.id.desc()).limit(1)).first()
        if row is None:
            row = conn.execute(base.order_by(r.at.desc(), r.id.desc()).limit(1)).first()
    if row is None:
        return None
    return {"registration_id": row.id, "name": row.name, "doc_type": row.doc_type, "doc_masked": row.doc_masked,
            "building": row.building, "phone_masked": row.phone_masked, "from_outside": bool(row.from_outside),
            "origin": row.origin}


def _range_moments(filters: Filters) -> tuple:
    """The range as UTC moments [first, after): None for an open end."""
    first = _utc(clock.local_midnight(filters.start)) if filters.start is not None else None
    after = _utc(clock.local_midnight(filters.end + dt.timedelta(days=1))) if filters.end is not None else None
    return first, after


def multi_compound(username, filters: Filters, min_compounds: int = 2, limit: int = LIST_LIMIT,
                   engine=None) -> pd.DataFrame:
    """People (by document hash) registered at `min_compounds` or more compounds whose stay there (first to last
    registration kept) overlaps the range, for follow-up: person_key (a short prefix of the keyed hash, never the
    number), doc_masked, name (both from the person's latest registration at those compounds up to the range's
    end), compounds, sites ("a、b", first visited first), last_at; most compounds first, then the latest.
    Reads gate_person_site (a row per person and compound, kept by every write), not every pass. Viewers: none."""
    columns = ["person_key", "doc_masked", "name", "compounds", "sites", "last_at"]
    p, r = GatePersonSite, GateRegistration
    first, after = _range_moments(filters)
    overlap = and_(true(), *([p.last_at >= first] if first is not None else []),
                   *([p.first_at < after] if after is not None else []))
    with read_connection(engine) as conn:
        actor = _actor(conn, username)
        if actor.role not in scope.WRITER_ROLES:
            return pd.DataFrame([], columns=columns, dtype=object)
        where = (_listed_sites(actor), overlap)
        people = _filtered(
            select(p.doc_hash, func.count().label("n"), func.max(p.last_at).label("last_at"))
            .join(Site, Site.id == p.site_id).where(*where)
            .group_by(p.doc_hash).having(func.count() >= max(2, int(min_compounds)))
            .order_by(desc("n"), desc("last_at"), p.doc_hash).limit(max(1, int(limit))), filters, p.site_id)
        found = conn.execute(people).all()
        if not found:
            return pd.DataFrame([], columns=columns, dtype=object)
        hashes = [f.doc_hash for f in found]
        sites = {}
        for row in conn.execute(_filtered(
                select(p.doc_hash, Site.name).join(Site, Site.id == p.site_id)
                .where(*where, p.doc_hash.in_(hashes)).order_by(p.doc_hash, p.first_at, Site.name), filters, p.site_id)):
            sites.setdefault(row.doc_hash, []).append(row.name)
        # each person's latest registration at the compounds the user sees, up to the range's end: one probe of
        # the (doc_hash, at) index per person
        newest = r.__table__.alias("newest")
        latest_id = _filtered(
            select(newest.c.id).join(Site, Site.id == newest.c.site_id)
            .where(newest.c.doc_hash == p.doc_hash, _listed_sites(actor), *([newest.c.at < after] if after else []))
            .order_by(newest.c.at.desc(), newest.c.id.desc()).limit(1), filters, newest.c.site_id
        ).correlate(p.__table__).scalar_subquery()
        ids = select(latest_id).where(p.doc_hash.in_(hashes)).distinct()
        latest = {row.doc_hash: row for row in conn.execute(
            select(r.doc_hash, r.doc_masked, r.name, r.at).where(r.id.in_(ids)))}
    rows = []
    for f in found:
        last = latest.get(f.doc_hash)
        rows.append((f.doc_hash[:10], last.doc_masked if last else "", last.name if last else "", int(f.n),
                     "、".join(sites.get(f.doc_hash, [])), _local_times([last.at if last else f.last_at])[0]))
    return pd.DataFrame(rows, columns=columns, dtype=object)


def full_record(username: str, registration_id: int, engine=None) -> dict:
    """One registration's document number and phone in full ("" when none), for an admin or a user granted
    personal data covering the compound, its zone or everywhere; the view is audited in the same transaction."""
    from .people import _may_view

    with write_session(engine) as session:
        r = GateRegistration
        row = session.execute(select(r.id, r.site_id, r.name, r.doc_type, r.doc_masked, r.doc_cipher, r.phone_cipher,
                                     Site.zone_id).join(Site, Site.id == r.site_id)
                              .where(r.id == registration_id)).first()
        if row is None:
            raise NotFound(f"gate_registration {registration_id}")
        if not _may_view(session.connection(), username, row.zone_id, row.site_id):
            raise PermissionDenied("您无权查看此登记的完整个人信息",
                                   "You may not see this registration's personal data in full")
        audit(session, username, "personal_view", "gate_registration", row.id, None,
              {"site_id": row.site_id, "name": row.name, "doc_masked": row.doc_masked, "field": "doc_number,phone"})
        return {"doc_number": personal.decrypt(row.doc_cipher) if row.doc_cipher else "",
                "phone": personal.decrypt(row.phone_cipher) if row.phone_cipher else ""}


# ---- reads: counts (gate_hour_count only) ------------------------------------------------------------------

def _int_counts(frame: pd.DataFrame) -> pd.DataFrame:
    for column in COUNT_COLUMNS:
        frame[column] = frame[column].astype("int64")
    return frame


def hourly(filters: Filters, day: dt.date, engine=None) -> pd.DataFrame:
    """Entries, exits and entries from outside per compound and local hour of one day (hours without anyone
    have no row): site_id, site, hour, entries, exits, from_outside."""
    c = GateHourCount
    query = _filtered(select(c.site_id, Site.name.label("site"), c.hour, c.entries, c.exits, c.from_outside)
                      .join(Site, Site.id == c.site_id).where(c.day == day)
                      .order_by(Site.name, c.site_id, c.hour), filters, c.site_id)
    with read_connection(engine) as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["site_id", "site", "hour", *COUNT_COLUMNS])
    frame["hour"] = frame["hour"].astype("int64")
    return _int_counts(frame)


def _day_sums():
    return [func.coalesce(func.sum(getattr(GateDayCount, c)), 0).label(c) for c in COUNT_COLUMNS]


def _by_zone(query, filters: Filters, site_column):
    """The filters' compound or zone on a query of a count table (Site joined only for a zone)."""
    if filters.zone_id is not None:
        query = query.join(Site, Site.id == site_column).where(Site.zone_id == filters.zone_id)
    if filters.site_id is not None:
        query = query.where(site_column == filters.site_id)
    return query


def daily(filters: Filters, per_site: bool = False, engine=None) -> pd.DataFrame:
    """Per day over filters.start..end, summed in SQL across the filters' compounds: day, entries, exits,
    from_outside (from gate_day_count, kept by every write, so days past retention are there too): a row a day,
    however many compounds the city has. per_site=True: a row per day and compound, with site_id, site and zone
    after day."""
    c = GateDayCount
    if per_site:
        query = _filtered(
            select(c.day, c.site_id, Site.name.label("site"), WorkZone.name.label("zone"), c.entries, c.exits,
                   c.from_outside)
            .join(Site, Site.id == c.site_id).join(WorkZone, WorkZone.id == Site.zone_id)
            .order_by(c.day, Site.name, c.site_id), filters, c.site_id)
        columns = ["day", "site_id", "site", "zone", *COUNT_COLUMNS]
    else:
        query = _by_zone(select(c.day, *_day_sums()).group_by(c.day).order_by(c.day), filters, c.site_id)
        columns = ["day", *COUNT_COLUMNS]
    if filters.start is not None:
        query = query.where(c.day >= filters.start)
    if filters.end is not None:
        query = query.where(c.day <= filters.end)
    with read_connection(engine) as conn:
        rows = conn.execute(query).all()
    return _int_counts(pd.DataFrame([tuple(r) for r in rows], columns=columns))


def summary(filters: Filters, engine=None) -> dict:
    """As of filters.end (default today): entries_today, exits_today, from_outside_today, from_outside_total
    (over filters.start..end), registrations_kept (entries and exits within the retention days, which is what
    retention keeps), compounds_reporting (compounds with anyone passing that day). Counts only, from
    gate_day_count (a row per compound and day)."""
    c = GateDayCount
    with read_connection(engine) as conn:
        now = clock.now(engine)
        end = filters.end or now.date()
        first_kept = cutoff(retention_days(conn=conn), now).date()
        start = filters.start
        total = func.sum(case((and_(c.day <= end, *([c.day >= start] if start else [])), c.from_outside), else_=0))
        kept = func.sum(case((c.day >= first_kept, c.entries + c.exits), else_=0))
        today = (func.sum(case((c.day == end, getattr(c, name)), else_=0)) for name in COUNT_COLUMNS)
        reporting = func.sum(case((and_(c.day == end, c.entries + c.exits > 0), 1), else_=0))
        query = select(*today, total, kept, reporting)
        if start is not None:  # every sum is of days from the earliest of these on (kept has no end)
            query = query.where(c.day >= min(first_kept, start, end))
        row = conn.execute(_by_zone(query, filters, c.site_id)).one()
    values = [int(v or 0) for v in row]
    return {"entries_today": values[0], "exits_today": values[1], "from_outside_today": values[2],
            "from_outside_total": values[3], "registrations_kept": values[4], "compounds_reporting": values[5]}


# ---- writes: checks ----------------------------------------------------------------------------------------

def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(value != value)  # NaN, NaT
    except Exception:
        return False


DIRECTION_WORDS = {"in": "in", "out": "out", "进": "in", "入": "in", "进入": "in", "进门": "in", "出": "out",
                   "离开": "out", "出门": "out", "外出": "out", "i": "in", "o": "out"}
DOC_TYPE_WORDS = {**{t: t for t in DOC_TYPES}, "身份证": "resident_id", "居民身份证": "resident_id",
                  "护照": "passport", "港澳": "hk_macao", "港澳通行证": "hk_macao", "回乡证": "hk_macao",
                  "台湾": "taiwan", "台胞证": "taiwan", "台湾通行证": "taiwan", "其他": "other", "其它": "other"}
YES_WORDS = {"是", "外地", "y", "yes", "true", "1", "√", "✓"}
NO_WORDS = {"否", "本地", "n", "no", "false", "0", ""}


def _direction(check: Checker, raw, row=None):
    value = DIRECTION_WORDS.get(str(raw).strip().lower()) if not _blank(raw) else None
    if value is None:
        check.fail("direction", "请选择进或出", "pick in or out", row)
    return value


def _doc_type(check: Checker, raw, row=None):
    if _blank(raw):
        return "resident_id"
    value = DOC_TYPE_WORDS.get(str(raw).strip().lower()) or DOC_TYPE_WORDS.get(str(raw).strip())
    if value is None:
        check.fail("doc_type", "证件类型应为 身份证、护照、港澳、台湾 或 其他",
                   "document type must be resident_id, passport, hk_macao, taiwan or other", row)
    return value


def _document(check: Checker, doc_type: str | None, raw, row=None, required: bool = True, today=None):
    """The normalised number; a problem is named without repeating the number."""
    if _blank(raw):
        if required:
            check.fail("doc_number", "必填", "required", row)
        return None
    if doc_type is None:
        return None
    if isinstance(raw, Number) and not isinstance(raw, bool) and abs(float(raw)) >= 1e15:
        check.fail("doc_number", *EXCEL_NUMBER, row)
        return None
    number = personal.normal_document(doc_type, raw)
    if number is None:
        problem = personal.resident_id_problem(str(raw), today) if doc_type == "resident_id" else None
        check.fail("doc_number", *(problem or BAD_DOCUMENT), row)
    return number


def _phone(check: Checker, raw, row=None):
    if _blank(raw):
        return None
    phone = personal.normal_phone(raw)
    if phone is None:
        check.fail("phone", *BAD_PHONE, row)
    return phone


def _yes(check: Checker, raw, row=None) -> bool:
    if isinstance(raw, bool):
        return raw
    if _blank(raw):
        return False
    text = str(raw).strip().lower()
    if text in YES_WORDS:
        return True
    if text not in NO_WORDS:
        check.fail("from_outside", "是否外地应填 是 或 否", "from outside must be yes or no", row)
    return False


def _temperature(check: Checker, raw, row=None) -> Decimal | None:
    if _blank(raw):
        return None
    try:
        value = Decimal(str(raw).strip().rstrip("℃°CcＣ").strip()) if not isinstance(raw, bool) else None
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite():
        check.fail("temperature", "体温应为数字，如 36.5", "temperature must be a number such as 36.5", row)
        return None
    value = value.quantize(Decimal("0.1"))
    if not TEMPERATURE_RANGE[0] <= value <= TEMPERATURE_RANGE[1]:
        check.fail("temperature", "体温应在 34.0 至 43.0 ℃ 之间", "temperature must be between 34.0 and 43.0 °C", row)
        return None
    return value


_MOMENT_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M",
                   "%Y-%m-%dT%H:%M:%S")


def _moment(check: Checker, raw, now: dt.datetime, first_kept: dt.datetime, row=None) -> dt.datetime | None:
    """When the person passed: a datetime (naive: local time) or text "2020-02-25 08:30"; None: now. Not more
    than 5 minutes ahead, not before the retention window."""
    if _blank(raw):
        return now
    moment = None
    if isinstance(raw, pd.Timestamp):
        raw = raw.to_pydatetime()
    if isinstance(raw, dt.datetime):
        moment = raw
    elif isinstance(raw, str):
        text = raw.strip()
        moment = clock.parse(text)
        for pattern in _MOMENT_FORMATS:
            if moment is not None:
                break
            try:
                moment = dt.datetime.strptime(text, pattern)
            except ValueError:
                continue
    if moment is None:
        check.fail("at", "时间格式应为 2020-02-25 08:30", "time must look like 2020-02-25 08:30", row)
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=clock.zone())
    if moment > now + FUTURE_SLACK:
        check.fail("at", "时间不能晚于现在", "the time cannot be in the future", row)
        return None
    if moment < first_kept:
        shown = f"{first_kept.astimezone(clock.zone()):%Y-%m-%d}"
        check.fail("at", f"时间早于保留期（{shown} 起）", f"the time is before the retention window (from {shown})", row)
        return None
    return moment


def _check_fields(check: Checker, fields: dict, now, first_kept, row=None, reusing: bool = False) -> dict:
    """The registration's values from a form's or a file row's fields; problems collected on `check`."""
    doc_type = _doc_type(check, fields.get("doc_type"), row)
    values = {
        "direction": _direction(check, fields.get("direction"), row),
        "at": _moment(check, fields.get("at"), now, first_kept, row),
        "doc_type": doc_type,
        "doc_number": _document(check, doc_type, fields.get("doc_number"), row, required=not reusing,
                                today=now.date()),
        "name": check.text("name", fields.get("name"), row, required=True, column=GateRegistration.name),
        "building": check.text("building", fields.get("building"), row, column=GateRegistration.building),
        "phone": _phone(check, fields.get("phone"), row),
        "from_outside": _yes(check, fields.get("from_outside"), row),
        "origin": check.text("origin", fields.get("origin"), row, column=GateRegistration.origin),
        "temperature": _temperature(check, fields.get("temperature"), row),
    }
    if values["from_outside"] and not values["origin"]:
        check.fail("origin", "外地来人请填写来源地", "give the place of origin of someone from outside", row)
    if not values["from_outside"]:
        values["origin"] = None
    return values


# ---- writes ---------------------------------------------------------------------------------------------

@functools.cache
def _add_counts(dialect: str, model=GateHourCount):
    """INSERT ... ON CONFLICT (site_id, day[, hour]) DO UPDATE adding to the counts already there."""
    table = model.__table__
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return statement.on_conflict_do_update(
        index_elements=[c for c in table.primary_key.columns],
        set_={name: table.c[name] + statement.excluded[name] for name in COUNT_COLUMNS})


def hour_counts(rows: Iterable[tuple[int, dt.datetime, str, bool]]) -> list[dict]:
    """(site_id, at, direction, from_outside) of registrations as gate_hour_count rows (local day and hour):
    what a write adds, and what a bulk loader (the demo, the city benchmark) inserts."""
    counts: Counter = Counter()
    zone = clock.zone()
    for site_id, at, direction, from_outside in rows:
        local = clock.as_utc(at).astimezone(zone)
        key = (site_id, local.date(), local.hour)
        if direction == "in":
            counts[key + ("entries",)] += 1
            if from_outside:
                counts[key + ("from_outside",)] += 1
        else:
            counts[key + ("exits",)] += 1
    merged: dict[tuple, dict] = {}
    for (site_id, day, hour, column), n in counts.items():
        merged.setdefault((site_id, day, hour), {"site_id": site_id, "day": day, "hour": hour,
                                                 **dict.fromkeys(COUNT_COLUMNS, 0)})[column] = n
    return [merged[key] for key in sorted(merged)]


def day_counts(counts: list[dict]) -> list[dict]:
    """hour_counts' rows summed by compound and day: gate_day_count's rows, in key order."""
    days: dict[tuple, dict] = {}
    for row in counts:
        day = days.setdefault((row["site_id"], row["day"]), {"site_id": row["site_id"], "day": row["day"],
                                                               **dict.fromkeys(COUNT_COLUMNS, 0)})
        for column in COUNT_COLUMNS:
            day[column] += row[column]
    return [days[key] for key in sorted(days)]


def add_counts(conn, counts: list[dict]) -> None:
    """Add hour_counts' rows to gate_hour_count, and their days to gate_day_count, inside the caller's
    transaction (safe under concurrent writers: rows locked in key order, hours before days)."""
    if counts:
        conn.execute(_add_counts(conn.dialect.name), counts)
        conn.execute(_add_counts(conn.dialect.name, GateDayCount), day_counts(counts))


def rebuild_counts(conn) -> int:
    """gate_hour_count and gate_day_count anew from the registrations kept (after a bulk load; counts of purged
    days are lost, so never after a purge). Returns the number of hour rows. The rows are streamed (yield_per on the statement:
    set on the connection it would outlive the read, and PostgreSQL refuses the insert's executemany on the
    server-side cursor it leaves behind)."""
    r, h = GateRegistration, GateHourCount
    conn.execute(delete(GateHourCount))
    conn.execute(delete(GateDayCount))
    result = conn.execute(select(r.site_id, r.at, r.direction, r.from_outside).execution_options(yield_per=50_000))
    counts = hour_counts(tuple(row) for row in result)
    if counts:
        conn.execute(insert(GateHourCount), counts)  # the tables were just emptied: plain rows, no upsert
    conn.execute(insert(GateDayCount).from_select(
        ["site_id", "day", *COUNT_COLUMNS],
        select(h.site_id, h.day, *(func.sum(getattr(h, c)) for c in COUNT_COLUMNS)).group_by(h.site_id, h.day)))
    return len(counts)


# ---- gate_person_site: each person's first and last registration kept at each compound ----------------------

@functools.cache
def _add_person_sites(dialect: str):
    """INSERT ... ON CONFLICT (doc_hash, site_id) DO UPDATE widening the stay and adding the passes (on PostgreSQL
    a second writer of the same person and compound waits for the row and then adds to it)."""
    table = GatePersonSite.__table__
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[table.c.doc_hash, table.c.site_id],
        set_={"first_at": case((new.first_at < table.c.first_at, new.first_at), else_=table.c.first_at),
              "last_at": case((new.last_at > table.c.last_at, new.last_at), else_=table.c.last_at),
              "passes": table.c.passes + new.passes})


def person_sites(rows: Iterable[tuple[str, int, dt.datetime]]) -> list[dict]:
    """(doc_hash, site_id, at) of registrations as gate_person_site rows (first_at, last_at, passes), in key
    order (concurrent writers lock rows in the same order)."""
    stays: dict[tuple, dict] = {}
    for doc_hash, site_id, at in rows:
        at = _utc(clock.as_utc(at))
        stay = stays.get((doc_hash, site_id))
        if stay is None:
            stays[(doc_hash, site_id)] = {"doc_hash": doc_hash, "site_id": site_id, "first_at": at, "last_at": at,
                                          "passes": 1}
        else:
            stay["first_at"], stay["last_at"] = min(stay["first_at"], at), max(stay["last_at"], at)
            stay["passes"] += 1
    return [stays[key] for key in sorted(stays)]


def add_person_sites(conn, stays: list[dict]) -> None:
    """Add person_sites' rows to gate_person_site inside the caller's transaction (safe under concurrent writers)."""
    if stays:
        conn.execute(_add_person_sites(conn.dialect.name), stays)


def rebuild_person_sites(conn) -> int:
    """gate_person_site anew from the registrations kept (after a bulk load), by one INSERT ... SELECT grouping
    them by person and compound. Returns the number of rows."""
    r, p = GateRegistration, GatePersonSite
    conn.execute(delete(p))
    conn.execute(insert(p).from_select(
        ["doc_hash", "site_id", "first_at", "last_at", "passes"],
        select(r.doc_hash, r.site_id, func.min(r.at), func.max(r.at), func.count()).group_by(r.doc_hash, r.site_id)))
    return int(conn.execute(select(func.count()).select_from(p)).scalar())


def rebuild_kept(conn) -> dict:
    """Both kept tables anew from the registrations (after a bulk load: the demo, the city benchmark)."""
    hours = rebuild_counts(conn)
    days = int(conn.execute(select(func.count()).select_from(GateDayCount)).scalar())
    return {"gate_hour_count": hours, "gate_day_count": days, "gate_person_site": rebuild_person_sites(conn)}


def _trim_person_sites(conn, removed: Counter, first_kept: dt.datetime) -> None:
    """After the purge deleted registrations: each (person, compound) loses the passes deleted; a stay with none
    left goes, and one that began before the cutoff begins at its first registration kept. The passes are taken
    off (not recounted), so a registration written meanwhile by another transaction is never lost."""
    p, r = GatePersonSite, GateRegistration
    if not removed:
        return
    table = p.__table__
    conn.execute(delete(p).where(p.last_at < first_kept))  # every pass of the stay deleted
    conn.execute(update(table).where(table.c.doc_hash == bindparam("h"), table.c.site_id == bindparam("s"),
                                     table.c.first_at < first_kept)
                 .values(passes=table.c.passes - bindparam("n")),
                 [{"h": h, "s": s, "n": n} for (h, s), n in sorted(removed.items())])
    conn.execute(delete(p).where(p.passes <= 0))  # none left (only if the table had drifted from the rows)
    first = (select(func.min(r.at)).where(r.doc_hash == p.doc_hash, r.site_id == p.site_id)
             .correlate(table).scalar_subquery())
    conn.execute(update(table).where(table.c.first_at < first_kept).values(first_at=first))


def _compound(conn, actor: Actor, site_id) -> object:
    """The compound written for, share-locked; refused when out of scope or not a compound."""
    try:
        site_id = int(site_id)
    except (TypeError, ValueError):
        raise ValidationError([FieldError("site_id", *NOT_A_COMPOUND)]) from None
    try:
        site = scope.check_site_rows(conn, actor, [site_id])[site_id]
    except NotFound:
        raise ValidationError([FieldError("site_id", *NOT_A_COMPOUND)]) from None
    if site.kind != "compound" or not site.active:
        raise ValidationError([FieldError("site_id", *NOT_A_COMPOUND)])
    return site


def _reused(conn, actor: Actor, registration_id) -> object:
    """The registration a returning person's stored number and phone are copied from (in the user's compounds)."""
    r = GateRegistration
    row = conn.execute(select(r.doc_type, r.doc_cipher, r.doc_hash, r.doc_masked, r.phone_cipher, r.phone_hash,
                              r.phone_masked).join(Site, Site.id == r.site_id)
                       .where(r.id == registration_id, _listed_sites(actor))).first()
    if row is None:
        raise ValidationError([FieldError("doc_number", "上次登记已不存在（可能已过保留期），请重新填写证件号码",
                                          "the earlier registration is gone (past retention): type the number again")])
    return row


def _row_values(values: dict, reused=None) -> dict:
    """The stored columns of checked values: number and phone encrypted (or copied from `reused`)."""
    stored = {key: values[key] for key in ("direction", "name", "building", "from_outside", "origin", "temperature")}
    stored["at"] = _utc(values["at"])
    if values["doc_number"] is not None:
        stored.update(document_values(values["doc_type"], values["doc_number"]))
    else:
        stored.update(doc_type=reused.doc_type, doc_cipher=reused.doc_cipher, doc_hash=reused.doc_hash,
                      doc_masked=reused.doc_masked)
    if values["phone"] is not None or reused is None:
        stored.update(phone_values(values["phone"]))
    else:
        stored.update(phone_cipher=reused.phone_cipher, phone_hash=reused.phone_hash, phone_masked=reused.phone_masked)
    return stored


def _shown(stored: dict, site_id: int) -> dict:
    shown = {key: stored.get(key) for key in AUDITED}
    shown["site_id"] = site_id
    shown["at"] = stored["at"].astimezone(clock.zone()).isoformat(timespec="minutes")
    shown["temperature"] = None if stored.get("temperature") is None else str(stored["temperature"])
    if stored.get("temperature") is not None and stored["temperature"] >= FEVER:
        shown["fever"] = True
    return shown


def _insert(session, username: str, site_id: int, stored: dict, reason: str | None = None) -> int:
    row = GateRegistration(site_id=site_id, **stored, recorded_by=username,
                           recorded_at=dt.datetime.now(dt.timezone.utc))
    session.add(row)
    session.flush()
    audit(session, username, "insert", "gate_registration", row.id, None, _shown(stored, site_id), reason)
    return row.id


def register(username: str, site_id: int, fields: dict, reuse_from: int | None = None, engine=None) -> int:
    """One person passing the compound's gate; returns the registration's id. fields: direction (in/out), at
    (None: now), doc_type, doc_number, name, building, phone, from_outside, origin (required when from outside),
    temperature (34.0-43.0; 37.3 and above is saved and flagged). With `reuse_from` (find_person's
    registration_id) an empty doc_number and phone keep that registration's stored ones. Clerks only for their
    compounds; audited with masked values; the hour's counts are added in the same transaction."""
    with write_session(engine) as session:
        conn = session.connection()
        now = clock.now(engine)
        first_kept = cutoff(retention_days(conn=conn), now)
        check = Checker(today=now.date())
        values = _check_fields(check, dict(fields or {}), now, first_kept, reusing=reuse_from is not None)
        check.raise_if_any()
        actor = load_actor(conn, username)
        site = _compound(conn, actor, site_id)
        reused = _reused(conn, actor, reuse_from) if reuse_from is not None and (
            values["doc_number"] is None or values["phone"] is None) else None
        stored = _row_values(values, reused)
        registration_id = _insert(session, username, site.id, stored)
        add_counts(conn, hour_counts([(site.id, stored["at"], stored["direction"], stored["from_outside"])]))
        add_person_sites(conn, person_sites([(stored["doc_hash"], site.id, stored["at"])]))
        return registration_id


IMPORT_HEADERS = {
    "时间": "at", "进出": "direction", "证件类型": "doc_type", "证件号码": "doc_number", "姓名": "name",
    "楼盘座号": "building", "电话": "phone", "是否外地": "from_outside", "来源地": "origin", "体温": "temperature",
    "at": "at", "time": "at", "direction": "direction", "in/out": "direction", "doc_type": "doc_type",
    "document type": "doc_type", "doc_number": "doc_number", "document number": "doc_number", "id number": "doc_number",
    "name": "name", "building": "building", "phone": "phone", "from_outside": "from_outside",
    "from outside": "from_outside", "origin": "origin", "temperature": "temperature",
}
IMPORT_REQUIRED = ("at", "direction", "doc_number", "name")


def _import_records(file_bytes: bytes, filename: str) -> list[tuple[int, dict]]:
    from .traffic_entry import mapped_xlsx_rows

    return mapped_xlsx_rows(file_bytes, filename, IMPORT_HEADERS, IMPORT_REQUIRED)


def import_registrations(username: str, site_id: int, file_bytes: bytes, filename: str, engine=None) -> dict:
    """A day's paper register for one compound from an .xlsx sheet (时间, 进出, 证件类型, 证件号码, 姓名, 楼盘座号,
    电话, 是否外地, 来源地, 体温; English headings too): the form's checks on every row; every bad cell named by its
    spreadsheet line and column (never repeating a number), and then nothing is saved. Returns {created}."""
    records = _import_records(file_bytes, filename)
    with write_session(engine) as session:
        conn = session.connection()
        now = clock.now(engine)
        first_kept = cutoff(retention_days(conn=conn), now)
        check = Checker(today=now.date())
        planned = [_check_fields(check, record, now, first_kept, row=line) for line, record in records]
        check.raise_if_any()
        actor = load_actor(conn, username)
        site = _compound(conn, actor, site_id)
        reason = f"import {personal.mask_numbers_in(str(filename or ''))[:80]}"  # a file named by a number
        counted, stays = [], []
        for values in planned:
            stored = _row_values(values)
            _insert(session, username, site.id, stored, reason)
            counted.append((site.id, stored["at"], stored["direction"], stored["from_outside"]))
            stays.append((stored["doc_hash"], site.id, stored["at"]))
        add_counts(conn, hour_counts(counted))
        add_person_sites(conn, person_sites(stays))
    return {"created": len(planned)}


def purge(username: str = "system", days: int | None = None, now: dt.datetime | None = None, engine=None) -> dict:
    """Delete the registrations older than the retention days (the setting, or `days`), keeping the counts;
    one audit row "purge" with how many per compound. Nothing to delete costs one index probe and writes
    nothing. Returns {deleted, oldest_kept (local time, None when none is kept), cutoff}. "system" is the start
    and the command line; anyone else must be an admin."""
    from .db import get_engine

    engine = engine or get_engine()
    r = GateRegistration
    with read_connection(engine) as conn:
        keep = int(days) if days is not None else retention_days(conn=conn)
        if keep < 1:
            raise ValidationError([FieldError("days", "至少 1 天", "at least 1 day")])
        first_kept = _utc(cutoff(keep, now or clock.now(engine)))
        stale = conn.execute(select(r.id).where(r.at < first_kept).limit(1)).first()
    deleted = 0
    if stale is not None:
        with write_session(engine) as session:
            if username != "system":
                require_admin(load_actor(session, username))
            conn = session.connection()
            removed = Counter(tuple(row) for row in conn.execute(
                delete(r.__table__).where(r.at < first_kept).returning(r.doc_hash, r.site_id)))
            per_site: Counter = Counter()
            for (_, site), n in removed.items():
                per_site[site] += n
            per_site = dict(sorted(per_site.items()))
            _trim_person_sites(conn, removed, first_kept)
            deleted = sum(per_site.values())
            audit(session, username, "purge", "gate_registration", None, None,
                  {"deleted": deleted, "days": keep, "cutoff": first_kept.astimezone(clock.zone()).isoformat(),
                   "sites": {str(site): n for site, n in per_site.items()}})
    with read_connection(engine) as conn:
        oldest = conn.execute(select(func.min(r.at))).scalar()
    return {"deleted": deleted, "oldest_kept": _local_times([oldest])[0],
            "cutoff": first_kept.astimezone(clock.zone())}
