"""Checkpoint daily reports (卡口日报): the entry grid, its save, corrections, file uploads and
the removal of a row saved under a wrong day."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Date, Integer, Row, and_, any_, bindparam, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from . import clock, scope, traffic_totals
from .audit import _json as audit_json
from .audit import audit, row_values
from .auth import Actor, load_actor
from .db import read_connection, read_frame, write_connection, write_session
from .errors import ConflictError, FieldError, PermissionDenied, ValidationError
from .models import AuditLog, CheckpointDay, Setting, Site, WorkZone
from .territory import DEFAULT_SEASON_START, SEASON_START_KEY, season_start
from .traffic import ROAD_CHECKPOINT
from .validate import Checker, parse_day

COUNT_FIELDS = ("vehicles", "persons", "persons_from_outside", "turned_back", "abnormal_temperature")
UNUSUAL_FACTOR = 3  # a figure above 3x the checkpoint's 7-day average asks for confirmation
UNUSUAL_MINIMUM = 50  # ...but small numbers never do (10 vehicles after an average of 2 is normal)


# ---- reads for the entry page ------------------------------------------------------------------

def road_checkpoints_of(actor: Actor):
    """Active road checkpoints this actor may write for, as a WHERE condition."""
    return and_(*ROAD_CHECKPOINT, scope.writable_sites(actor))


def entry_grid(actor: Actor, day: dt.date, engine=None, zone_id: int | None = None,
               site_id: int | None = None) -> pd.DataFrame:
    """One row per checkpoint in the actor's scope: the day's saved figures (or blanks),
    the row version, the day before's figures and the 7-day average, for the grid and its checks.
    `zone_id` / `site_id` narrow it further (the filter bar's work zone, or one checkpoint)."""
    yesterday, week_start = day - dt.timedelta(days=1), day - dt.timedelta(days=7)
    saved = select(CheckpointDay).where(CheckpointDay.day == day).subquery("saved")
    before = select(CheckpointDay).where(CheckpointDay.day == yesterday).subquery("before")
    week = (
        select(CheckpointDay.site_id, (func.sum(CheckpointDay.vehicles) / 7.0).label("vehicles_7d"),
               (func.sum(CheckpointDay.persons) / 7.0).label("persons_7d"))
        .where(CheckpointDay.day.between(week_start, yesterday))
        .group_by(CheckpointDay.site_id)
        .subquery("week")
    )
    query = (
        select(
            Site.id.label("site_id"), Site.name, WorkZone.name.label("zone"),
            *[getattr(saved.c, f) for f in COUNT_FIELDS],
            saved.c.version, saved.c.corrected, saved.c.updated_by,
            before.c.vehicles.label("vehicles_yesterday"), before.c.persons.label("persons_yesterday"),
            week.c.vehicles_7d, week.c.persons_7d,
        )
        .join(WorkZone, WorkZone.id == Site.zone_id)
        .outerjoin(saved, saved.c.site_id == Site.id)
        .outerjoin(before, before.c.site_id == Site.id)
        .outerjoin(week, week.c.site_id == Site.id)
        .where(road_checkpoints_of(actor))
        .order_by(WorkZone.code, Site.name)
    )
    if zone_id is not None:
        query = query.where(Site.zone_id == zone_id)
    if site_id is not None:
        query = query.where(Site.id == site_id)
    frame = read_frame(query, engine)
    frame["corrected"] = frame["corrected"].fillna(False).astype(bool)
    return frame


def unusual_rows(rows: list[dict], averages: dict[int, dict[str, float]]) -> list[tuple[int, str, int, float]]:
    """(row, field, value, average) for figures far above the checkpoint's recent average."""
    found = []
    for index, row in enumerate(rows):
        for field in ("vehicles", "persons"):
            value, average = row.get(field), (averages.get(row.get("site_id")) or {}).get(field)
            if isinstance(value, (int, float)) and average and value >= UNUSUAL_MINIMUM and value > UNUSUAL_FACTOR * average:
                found.append((index, field, int(value), float(average)))
    return found


# ---- writes ------------------------------------------------------------------------------------

def _clean_counts(check: Checker, row: dict, index: int) -> dict:
    values = {name: check.count(name, row.get(name), index) for name in COUNT_FIELDS}
    persons = values["persons"]
    for part in ("persons_from_outside", "turned_back", "abnormal_temperature"):
        if persons is not None and values[part] is not None and values[part] > persons:
            check.fail(part, "不能超过检查人数", "cannot exceed persons checked", index)
    return values


def _clean_rows(rows: list[dict], day, reason, today: dt.date, season: dt.date):
    """Every cell checked at once; the clerk sees all problems in one go."""
    check = Checker(today, season)
    clean_day = check.day("day", day)
    cleaned, seen = [], set()
    for index, row in enumerate(rows):
        values = _clean_counts(check, row, index)
        site_id = row.get("site_id")
        if site_id in seen:
            check.fail("site_id", "同一卡口重复填报", "this checkpoint appears twice", index)
        seen.add(site_id)
        cleaned.append({"site_id": site_id, "day": clean_day, "version": row.get("version"), **values})
    clean_reason = check.text("reason", reason, max_len=500)
    check.raise_if_any()
    return cleaned, clean_reason


ROW = CheckpointDay.__table__  # the save writes through Core: 50 ORM objects and their flush cost more than the SQL
AUDIT = AuditLog.__table__
SETTING = Setting.__table__
DATASET_KEY = "dataset"  # territory.dataset_kind's setting: "demo" lets the demo keep its own clock
# Built once: a built statement keeps its cache key, so each save only binds values.
_LOCKED_DAYS = (select(ROW.c.id, ROW.c.site_id, ROW.c.day, *[ROW.c[name] for name in COUNT_FIELDS], ROW.c.version)
                .where(ROW.c.site_id.in_(bindparam("site_ids", expanding=True)),
                       ROW.c.day.in_(bindparam("days", expanding=True)))
                .with_for_update())
# PostgreSQL: the same rows by = ANY(array): one parameter each, so its text never changes (psycopg prepares it
# once) and SQLAlchemy renders no 50 parameters a save.
_PG_LOCKED_DAYS = (select(ROW.c.id, ROW.c.site_id, ROW.c.day, *[ROW.c[name] for name in COUNT_FIELDS], ROW.c.version)
                   .where(ROW.c.site_id == any_(bindparam("site_ids", type_=postgresql.ARRAY(Integer))),
                          ROW.c.day == any_(bindparam("days", type_=postgresql.ARRAY(Date))))
                   .with_for_update())
_COUNTS = slice(3, 3 + len(COUNT_FIELDS))  # a locked row's figures, by position (a row's _mapping is built per access)
_INSERT_ROWS = insert(ROW).returning(ROW.c.id, sort_by_parameter_order=True)
# A changed row: its figures, a version on (the row is locked: the stored version + 1), who and when; a
# correction (an earlier day) is also marked, with its reason. Bound per row only what differs by row.
_UPDATE_ROW = (update(ROW).where(ROW.c.id == bindparam("row_id"))
               .values(version=ROW.c.version + 1,
                       **{name: bindparam(f"new_{name}") for name in (*COUNT_FIELDS, "updated_at", "updated_by")}))
_CORRECT_ROW = _UPDATE_ROW.values(corrected=True, correction_reason=bindparam("new_correction_reason"))
_INSERT_AUDIT = insert(AUDIT)
# PostgreSQL: the changed rows and the audit rows each in one statement, their values in one JSON parameter
# (json.dumps runs in C). Through executemany every row cost its own parameters in SQLAlchemy and its own
# message in psycopg's pipeline: ~3 ms of Python a 50-row save, which 8 clerks saving at once pay in turn
# (one GIL). (SQLite's executemany runs in C, in process: it keeps the statements above.)
_PG_UPDATE_ROWS = text(
    "UPDATE checkpoint_day SET "
    + ", ".join(f"{name} = v.{name}" for name in COUNT_FIELDS)
    + ", version = checkpoint_day.version + 1, updated_at = :updated_at, updated_by = :updated_by"
      ", corrected = checkpoint_day.corrected OR v.correction"
      ", correction_reason = CASE WHEN v.correction THEN :correction_reason ELSE checkpoint_day.correction_reason END"
      " FROM (SELECT CAST(r ->> 0 AS INTEGER) AS id, "
    + ", ".join(f"CAST(r ->> {k} AS INTEGER) AS {name}" for k, name in enumerate(COUNT_FIELDS, start=1))
    + f", CAST(r ->> {len(COUNT_FIELDS) + 1} AS BOOLEAN) AS correction"
      " FROM json_array_elements(CAST(:rows AS JSON)) AS r) AS v"
      " WHERE checkpoint_day.id = v.id")
# The audit rows' own values as one JSON array of [action, row_id, before, after, reason] (an array of text
# parameters costs psycopg ~0.35 ms of Python quoting for 50 rows' JSON; json.dumps runs in C); ->> gives
# back each string as it was. WITH ORDINALITY ... ORDER BY: the rows take their ids in the order given.
_PG_INSERT_AUDIT = text(
    "INSERT INTO audit_log (at, username, action, table_name, row_id, before, after, reason)"
    " SELECT CAST(:at AS TIMESTAMP WITH TIME ZONE), :username, a.e ->> 0, :table_name, CAST(a.e ->> 1 AS INTEGER),"
    " a.e ->> 2, a.e ->> 3, a.e ->> 4"
    " FROM json_array_elements(CAST(:rows AS JSON)) WITH ORDINALITY AS a(e, n) ORDER BY a.n")


# The settings a save reads as its transaction's first statement (three reads of their own cost ~1.3 ms a save).
_SAVE_SETTINGS = select(SETTING.c.key, SETTING.c.value).where(
    SETTING.c.key.in_((SEASON_START_KEY, DATASET_KEY, clock.DEMO_NOW_KEY)))


def _season_and_clock(conn: Connection) -> tuple[dt.date, dt.datetime]:
    """territory.season_start and clock.now, by their rules, from one read of the settings. The clock
    (a demo or a test may set it) is stored as UTC: SQLite keeps no offset, and a local time stored as
    is would read back 8 hours late."""
    found = dict(conn.execute(_SAVE_SETTINGS).all())
    season = (parse_day(found[SEASON_START_KEY]) if found.get(SEASON_START_KEY) else None) or DEFAULT_SEASON_START
    demo_now = clock.parse(found.get(clock.DEMO_NOW_KEY) or "") if found.get(DATASET_KEY) == "demo" else None
    moment = clock.parse(os.environ.get("DASHBOARD_NOW", "")) or demo_now or dt.datetime.now(dt.timezone.utc)
    return season, clock.as_utc(moment.astimezone(clock.zone()).replace(second=0, microsecond=0))


@dataclass(frozen=True)
class _Save:
    """One save of checkpoint-days: who, why, when, and whether rows carry the versions a form loaded."""

    username: str
    reason: str | None
    today: dt.date
    check_versions: bool
    reported_at: dt.datetime
    now: dt.datetime  # one time for every row of the save


def _apply(conn: Connection, username: str, cleaned: list[dict], reason: str | None, today: dt.date,
           check_versions: bool, reported_at: dt.datetime) -> dict:
    """Insert or update checkpoint-days inside the caller's transaction.

    With check_versions (forms), a row whose stored version moved on since the form was loaded is
    refused, unless the stored figures already equal the new ones (a double click saves nothing
    twice). Changing a saved figure of an earlier day is a correction: it needs a reason and
    stays marked as corrected. Every outcome is decided before anything is written, then the new
    rows, the changed rows and their audit rows go in one executemany each.
    """
    sites = _road_checkpoints(conn, load_actor(conn, username), cleaned)
    existing = _locked_days(conn, sites.keys(), {r["day"] for r in cleaned})
    save = _Save(username, reason, today, check_versions, reported_at, dt.datetime.now(dt.timezone.utc))
    outcomes = [_outcome(save, new, existing.get((new["site_id"], new["day"]))) for new in cleaned]
    stale = [index for index, outcome in enumerate(outcomes) if outcome == "stale"]
    if stale:
        raise ConflictError(rows=stale)
    if "needs_reason" in outcomes:
        raise ValidationError([FieldError("reason", "修改已保存的数据需要填写原因", "changing saved figures needs a reason")])
    written = [(new, outcome) for new, outcome in zip(cleaned, outcomes) if outcome in ("inserted", "updated")]
    audits = _insert_rows(conn, save, [new for new, outcome in written if outcome == "inserted"])
    audits += _update_rows(conn, save, [(new, existing[(new["site_id"], new["day"])])
                                        for new, outcome in written if outcome == "updated"])
    _insert_audits(conn, save, audits)
    traffic_totals.add(conn, _total_differences(sites, existing, written))
    return {outcome: outcomes.count(outcome) for outcome in ("inserted", "updated", "unchanged")}


def _total_differences(sites: dict[int, Row], existing: dict, written: list[tuple[dict, str]]) -> dict:
    """What the written rows add to their (day, zone) totals: the new figures and a report for a new row,
    new minus old for a changed one (its old figures are locked), nothing for a site that does not count."""
    differences: dict[tuple[dt.date, int], dict[str, int]] = {}
    for new, outcome in written:
        site = sites[new["site_id"]]
        if not traffic_totals.site_counts(site.kind, site.checkpoint_type, site.active):
            continue
        total = differences.setdefault((new["day"], site.zone_id), dict.fromkeys(traffic_totals.COLUMNS, 0))
        old = existing[(new["site_id"], new["day"])][_COUNTS] if outcome == "updated" else (0,) * len(COUNT_FIELDS)
        for name, before in zip(COUNT_FIELDS, old):
            total[name] += new[name] - before
        total["reports"] += outcome == "inserted"
    return differences


def _road_checkpoints(conn: Connection, actor: Actor, cleaned: list[dict]) -> dict[int, Row]:
    """The sites of a save, each a road checkpoint in the actor's scope (else the whole save is refused)."""
    sites = scope.check_site_rows(conn, actor, {r["site_id"] for r in cleaned})
    not_road = [i for i, r in enumerate(cleaned) if sites[r["site_id"]].checkpoint_type != "road"]
    if not_road:
        raise ValidationError([FieldError("site_id", "不是路域卡口", "not a road checkpoint", i) for i in not_road])
    return sites


def _locked_days(conn, site_ids, days: set) -> dict[tuple[int, dt.date], Row]:
    """The saved rows a save may change, locked until it commits."""
    statement = _PG_LOCKED_DAYS if conn.dialect.name == "postgresql" else _LOCKED_DAYS
    rows = conn.execute(statement, {"site_ids": sorted(site_ids), "days": sorted(days)})
    return {(row.site_id, row.day): row for row in rows}


def _outcome(save: _Save, new: dict, stored: Row | None) -> str:
    """What a row's save will do: inserted, updated, unchanged, or why it cannot (stale, needs_reason)."""
    if stored is None:
        # a row saved when the form loaded, and gone now, is stale
        return "stale" if save.check_versions and new["version"] is not None else "inserted"
    if stored[_COUNTS] == tuple(new[name] for name in COUNT_FIELDS):
        return "unchanged"
    if save.check_versions and new["version"] != stored.version:
        return "stale"
    if new["day"] < save.today and not save.reason:
        return "needs_reason"
    return "updated"


def _audit_row(save: _Save, action: str, row_id: int, before: dict | None, after: dict, reason: str | None) -> dict:
    """The audit row data_access.audit.audit would add, as plain values for one executemany."""
    return {"at": save.now, "username": save.username, "action": action, "table_name": "checkpoint_day",
            "row_id": row_id, "before": audit_json(before), "after": audit_json(after), "reason": reason}


def _insert_rows(conn, save: _Save, rows: list[dict]) -> list[dict]:
    """The new rows in one statement (their ids come back in order); returns their audit rows."""
    if not rows:
        return []
    values = [{"site_id": new["site_id"], "day": new["day"], "reported_at": save.reported_at,
               **CheckpointDay.first_write(save.username, save.now), **{name: new[name] for name in COUNT_FIELDS}}
              for new in rows]
    ids = conn.execute(_INSERT_ROWS, values).scalars().all()
    return [_audit_row(save, "insert", row_id, None,
                       {"site_id": new["site_id"], "day": new["day"], **{name: new[name] for name in COUNT_FIELDS}}, None)
            for row_id, new in zip(ids, rows)]


def _insert_audits(conn, save: _Save, audits: list[dict]) -> None:
    """The audit rows (_audit_row's, all of one save: its time, its user, checkpoint_day) in one statement
    (PostgreSQL) or one executemany (SQLite)."""
    if not audits:
        return
    if conn.dialect.name == "postgresql":
        rows = json.dumps([[a["action"], a["row_id"], a["before"], a["after"], a["reason"]] for a in audits],
                          ensure_ascii=False)
        conn.execute(_PG_INSERT_AUDIT, {"at": save.now, "username": save.username, "table_name": "checkpoint_day",
                                        "rows": rows})
    else:
        conn.execute(_INSERT_AUDIT, audits)


def _update_rows(conn, save: _Save, changes: list[tuple[dict, Row]]) -> list[dict]:
    """The changed rows in one statement (PostgreSQL) or executemany (SQLite), each a version on; a change
    of an earlier day stays marked as corrected, with its reason. Returns their audit rows."""
    if not changes:
        return []
    if conn.dialect.name == "postgresql":
        return _update_rows_pg(conn, save, changes)
    updates, corrections, audits = [], [], []
    for new, stored in changes:
        is_correction = new["day"] < save.today
        values = {name: new[name] for name in COUNT_FIELDS}
        params = {"row_id": stored.id, **{f"new_{name}": value for name, value in values.items()},
                  "new_updated_at": save.now, "new_updated_by": save.username}
        if is_correction:
            corrections.append({**params, "new_correction_reason": save.reason})
        else:
            updates.append(params)
        before = dict(zip(COUNT_FIELDS, stored[_COUNTS]))
        audits.append(_audit_row(save, "correct" if is_correction else "update", stored.id, before, values, save.reason))
    for statement, params in ((_UPDATE_ROW, updates), (_CORRECT_ROW, corrections)):
        if params:
            conn.execute(statement, params)
    return audits


def _update_rows_pg(conn, save: _Save, changes: list[tuple[dict, Row]]) -> list[dict]:
    """_update_rows on PostgreSQL: every changed row in one UPDATE, its values in one JSON parameter."""
    rows, audits = [], []
    for new, stored in changes:
        is_correction = new["day"] < save.today
        values = {name: new[name] for name in COUNT_FIELDS}
        rows.append([stored.id, *values.values(), is_correction])
        before = dict(zip(COUNT_FIELDS, stored[_COUNTS]))
        audits.append(_audit_row(save, "correct" if is_correction else "update", stored.id, before, values, save.reason))
    conn.execute(_PG_UPDATE_ROWS, {"rows": json.dumps(rows), "updated_at": save.now, "updated_by": save.username,
                                   "correction_reason": save.reason})
    return audits


def save_checkpoint_days(username: str, day, rows: list[dict], reason: str | None = None,
                         today: dt.date | None = None, engine=None) -> dict:
    """Save one day's figures for many checkpoints in one transaction (the entry grid).

    Each row: site_id, the five counts, and `version` as loaded (None for a row not saved yet).
    Returns counts of inserted, updated and unchanged rows.
    """
    today = today or dt.date.today()
    try:
        with write_connection(engine) as conn:
            # checked inside the transaction: the settings are its first statement, not a connection of their own
            season, reported_at = _season_and_clock(conn)
            cleaned, reason = _clean_rows(rows, day, reason, today, season)
            return _apply(conn, username, cleaned, reason, today, check_versions=True, reported_at=reported_at)
    except IntegrityError as error:
        # Someone inserted the same checkpoint-day between our read and our insert.
        raise ConflictError() from error


# ---- file upload -------------------------------------------------------------------------------

UPLOAD_COLUMNS = ("day", "checkpoint", *COUNT_FIELDS)
# The entry page's own Chinese column labels (ui/text: col.day, col.checkpoint, col.vehicles ...),
# so a template downloaded in Chinese and filled in Excel comes back readable.
UPLOAD_HEADERS_ZH = {"day": "日期", "checkpoint": "卡口", "vehicles": "车辆", "persons": "人员",
                     "persons_from_outside": "外地人员", "turned_back": "劝返", "abnormal_temperature": "体温异常"}
HEADER_NAMES = {**{name: name for name in UPLOAD_COLUMNS}, **{zh: name for name, zh in UPLOAD_HEADERS_ZH.items()}}
MAX_UPLOAD_BYTES = 2_000_000
MAX_UPLOAD_ROWS = 5_000
MAX_XLSX_UNPACKED = 40_000_000  # a 2 MB .xlsx is a zip: refuse one that unpacks to far more than a sheet of 5,000 rows
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 with or without BOM, else what Excel on Chinese Windows writes
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # all but tab and line breaks
CSV_ERRORS_ZH = {"unexpected end of data": "引号没有闭合", "',' expected after '\"'": "引号之后应紧跟逗号"}


def upload_template(lang: str = "en") -> pd.DataFrame:
    """One example row under the headers the clerk reads: Chinese labels for "zh", field names otherwise."""
    zh = lang == "zh"
    example = {"day": "2020-02-25", "checkpoint": "（卡口名称）" if zh else "(checkpoint name)", **{f: 0 for f in COUNT_FIELDS}}
    frame = pd.DataFrame([example], columns=list(UPLOAD_COLUMNS))
    return frame.rename(columns=UPLOAD_HEADERS_ZH) if zh else frame


def _file_error(zh: str, en: str, line: int | None = None) -> ValidationError:
    return ValidationError([FieldError("file", zh, en, line)])


def read_upload(filename: str, data: bytes) -> pd.DataFrame:
    """Read an uploaded CSV or .xlsx file into text cells under the internal column names.

    Size and row limits are checked before anything is parsed. The frame's index is the
    spreadsheet line of each row (the header is line 1), which check_upload names in its messages.
    Anything wrong with the file as a whole raises ValidationError (field "file"), never a crash.
    """
    data = bytes(data or b"")
    if not data:
        raise _file_error("文件是空的", "the file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        limit = MAX_UPLOAD_BYTES / 1_000_000
        raise _file_error(f"文件过大：{len(data) / 1_000_000:.1f} MB，上限 {limit:g} MB（{MAX_UPLOAD_ROWS:,} 行）",
                          f"the file is too large: {len(data) / 1_000_000:.1f} MB, at most {limit:g} MB "
                          f"({MAX_UPLOAD_ROWS:,} rows)")
    name = (filename or "").lower()
    if name.endswith(".xls"):
        raise _file_error("不支持旧版 Excel（.xls）文件：请另存为 .xlsx 或 CSV",
                          "old Excel files (.xls) cannot be read: save it as .xlsx or CSV")
    if name.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        records = _xlsx_records(data)
    else:
        records = _csv_records(data)
    return _upload_frame(records)


def _too_many_rows(rows: int) -> ValidationError:
    return _file_error(f"文件行数过多：约 {rows:,} 行数据，上限 {MAX_UPLOAD_ROWS:,} 行；请分成几个文件上传",
                       f"the file has too many rows: about {rows:,} data rows, at most {MAX_UPLOAD_ROWS:,}; "
                       "split it into several files")


def _decode(data: bytes) -> str:
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _file_error("无法读取该文件：既不是 UTF-8 也不是 GB18030（GBK）编码的文本。请在 Excel 中另存为“CSV UTF-8”或 .xlsx",
                      "this file cannot be read: it is neither UTF-8 nor GB18030 (GBK) text. "
                      "In Excel, save it as 'CSV UTF-8' or .xlsx")


def _csv_records(data: bytes) -> list[tuple[int, list]]:
    """(line, cells) for every non-blank record of a CSV file."""
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if lines - 1 > MAX_UPLOAD_ROWS:
        raise _too_many_rows(lines - 1)
    text = _decode(data)
    binary = _CONTROL_CHARACTERS.search(text)
    if binary:
        number = text.count("\n", 0, binary.start()) + 1
        raise _file_error(f"第 {number} 行含有二进制内容（控制字符），这不是 CSV 文本文件",
                          f"line {number} holds binary data (control characters): this is not a CSV text file", number)
    records, previous = [], 0
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)  # an unclosed quote is an error, not a huge cell
    try:
        for cells in reader:
            line, previous = previous + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                records.append((line, cells))
    except csv.Error as error:
        line, reason = previous + 1, str(error)[:100]  # the line the broken record starts on
        raise _file_error(f"第 {line} 行无法读取：{CSV_ERRORS_ZH.get(reason, reason)}",
                          f"line {line} cannot be read: {reason}", line) from error
    return records


def mapped_xlsx_rows(file_bytes: bytes, filename: str, headers: dict[str, str],
                     required: tuple[str, ...]) -> list[tuple[int, dict]]:
    """(spreadsheet line, {field: cell}) of each data row of an uploaded .xlsx sheet, its headings mapped to
    fields by `headers` (a heading as written, or lower-cased); a missing `required` column is named by its
    first heading in `headers` (the Chinese one), the file's own faults as "file" messages."""
    data = bytes(file_bytes or b"")
    if not data:
        raise _file_error("文件是空的", "the file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise _file_error("文件过大", "the file is too large")
    if not ((filename or "").lower().endswith(".xlsx") or data.startswith(b"PK\x03\x04")):
        raise _file_error("请上传 Excel（.xlsx）文件", "upload an Excel (.xlsx) file")
    records = _xlsx_records(data)
    if not records:
        raise _file_error("文件中没有表头", "the file has no header")
    header_line, header = records[0]
    names = []
    for cell in header:
        text = "" if cell is None else str(cell).replace("\ufeff", "").strip()
        names.append(headers.get(text) or headers.get(text.lower()))
    heading = {}
    for text, field in headers.items():
        heading.setdefault(field, text)
    missing = [field for field in required if field not in names]
    if missing:
        raise ValidationError([FieldError(field, f"文件缺少“{heading[field]}”列", f"the file lacks the column {field}",
                                          header_line) for field in missing])
    if len(records) == 1:
        raise _file_error("文件中没有数据行（只有表头）", "the file has no data rows (only a header)")
    return [(line, {name: cell for name, cell in zip(names, cells) if name}) for line, cells in records[1:]]


def _xlsx_records(data: bytes) -> list[tuple[int, list]]:
    """(line, cells) for the non-blank rows of the first sheet; reading stops past the row limit."""
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as error:
        raise _file_error("无法读取该 Excel 文件：文件已损坏或不是 .xlsx",
                          "this Excel file cannot be read: it is damaged or not an .xlsx file") from error
    if unpacked > MAX_XLSX_UNPACKED:
        raise _file_error(f"Excel 文件内容过大（上限 {MAX_UPLOAD_ROWS:,} 行）",
                          f"the Excel file holds too much (at most {MAX_UPLOAD_ROWS:,} rows)")
    records = []
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for line, cells in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
                if any(not _blank_cell(cell) for cell in cells):
                    records.append((line, list(cells)))
                if len(records) > MAX_UPLOAD_ROWS + 1:
                    raise _too_many_rows(len(records) - 1)
        finally:
            book.close()
    except ValidationError:
        raise
    except Exception as error:  # openpyxl raises many kinds on a damaged file: all are the clerk's input
        raise _file_error(f"无法读取该 Excel 文件：{type(error).__name__}",
                          f"this Excel file cannot be read: {type(error).__name__}") from error
    return records


def _blank_cell(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _header_name(cell) -> str:
    text = "" if cell is None else str(cell).replace("\ufeff", "").strip()
    return HEADER_NAMES.get(text) or HEADER_NAMES.get(text.lower()) or text


def _upload_frame(records: list[tuple[int, list]]) -> pd.DataFrame:
    """Map the header to internal names, refuse rows wider than the header, and build the frame."""
    if not records:
        raise _file_error("文件中没有内容", "the file holds nothing")
    header_line, header = records[0]
    names = [_header_name(cell) for cell in header]
    while names and not names[-1]:
        names.pop()  # empty cells after the last heading
    width = len(names)
    errors, seen = [], {}
    for position, name in enumerate(names):
        if name in UPLOAD_COLUMNS:
            if name in seen:
                errors.append(FieldError(name, "表头中此列出现了两次", "this column appears twice in the header", header_line))
            seen[name] = position
    for name in UPLOAD_COLUMNS:
        if name not in seen:
            errors.append(FieldError(name, f"文件缺少此列（表头应为“{UPLOAD_HEADERS_ZH[name]}”或 {name}）",
                                     f"the file lacks this column (heading '{UPLOAD_HEADERS_ZH[name]}' or {name})",
                                     header_line))
    rows, lines = [], []
    for line, cells in records[1:]:
        used = len(cells)
        while used and _blank_cell(cells[used - 1]):
            used -= 1
        if used > width:
            errors.append(FieldError("file", f"第 {line} 行比表头多出字段（表头 {width} 列，此行 {used} 列）；"
                                             "数字中的千位分隔逗号请去掉，或给含逗号的格子加引号",
                                     f"line {line} has more fields than the header ({used} instead of {width}); "
                                     "remove thousands separators from numbers, or quote cells that hold a comma", line))
            continue
        rows.append({name: (None if position >= len(cells) or _blank_cell(cells[position]) else cells[position])
                     for name, position in seen.items()})
        lines.append(line)
    if not rows and not errors:
        errors.append(FieldError("file", "文件中没有数据行（只有表头）", "the file has no data rows (only a header)"))
    if errors:
        raise ValidationError(errors)
    frame = pd.DataFrame(rows, columns=[c for c in UPLOAD_COLUMNS if c in seen], dtype=object)
    frame.index = pd.Index(lines, name="line")
    return frame


def check_upload(frame: pd.DataFrame, actor: Actor, today: dt.date | None = None, engine=None,
                 progress=None) -> list[dict]:
    """Check every row of an uploaded file; returns rows ready to save or raises one ValidationError
    listing every bad cell by row (1-based, as the clerk sees it in a spreadsheet, plus the header) and column."""
    today = today or dt.date.today()
    check = Checker(today, season_start(engine))
    frame = frame.rename(columns=lambda c: _header_name(c))
    missing = [c for c in UPLOAD_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationError([FieldError(c, "文件缺少此列", "the file lacks this column") for c in missing])
    if frame.empty:
        raise _file_error("文件中没有数据行（只有表头）", "the file has no data rows (only a header)")
    if len(frame) > MAX_UPLOAD_ROWS:  # a frame read some other way than read_upload
        raise _too_many_rows(len(frame))
    # read_upload numbers rows by their spreadsheet line; any other frame: header on line 1, no blank lines
    lines = list(frame.index) if frame.index.name == "line" else [p + 2 for p in range(len(frame))]
    with read_connection(engine) as conn:
        known = {name: site_id for site_id, name in conn.execute(
            select(Site.id, Site.name).where(road_checkpoints_of(actor)))}
    rows, seen = [], set()
    total = len(frame)
    for position, (line, record) in enumerate(zip(lines, frame.to_dict("records"))):
        day = check.day("day", record.get("day"), line)
        name = check.text("checkpoint", record.get("checkpoint"), line, required=True, column=Site.name)
        site_id = known.get(name) if name else None
        if name and site_id is None:
            check.fail("checkpoint", f"没有您可填报的卡口“{name[:30]}”", f"no checkpoint you may write for named '{name[:30]}'", line)
        values = _clean_counts(check, record, line)
        if site_id and day:
            if (site_id, day) in seen:
                check.fail("checkpoint", "同一卡口同一天出现两次", "the same checkpoint and day appear twice", line)
            seen.add((site_id, day))
        rows.append({"site_id": site_id, "day": day, "version": None, **values})
        if progress and (position % 500 == 0 or position == total - 1):
            progress(min(1.0, (position + 1) / max(total, 1)))
    check.raise_if_any()
    return rows


def save_upload(username: str, rows: list[dict], reason: str | None = None, today: dt.date | None = None,
                engine=None) -> dict:
    """All rows of a checked file in one transaction: all saved, or none.

    A file carries no row versions, so a row that differs from a saved one is a correction: it
    needs a reason, is marked corrected, and its old value stays in the audit log.
    """
    today = today or dt.date.today()
    check = Checker(today)
    reason = check.text("reason", reason, max_len=500)
    check.raise_if_any()
    try:
        with write_connection(engine) as conn:
            _, reported_at = _season_and_clock(conn)
            return _apply(conn, username, rows, reason, today, check_versions=False, reported_at=reported_at)
    except IntegrityError as error:
        raise ConflictError() from error


# ---- removing a row saved under a wrong day ---------------------------------------------------

REMOVERS = ("admin", "supervisor")


def out_of_season_days(today: dt.date | None = None, engine=None) -> pd.DataFrame:
    """Checkpoint-day rows dated before the season start or after today: typos such as 1920-02-25,
    listed so that a supervisor can find and delete them (they are outside every page's range)."""
    today = today or dt.date.today()
    query = (
        select(CheckpointDay.site_id, Site.name, CheckpointDay.day, CheckpointDay.vehicles, CheckpointDay.persons,
               CheckpointDay.version)
        .join(Site, Site.id == CheckpointDay.site_id)
        .where(or_(CheckpointDay.day < season_start(engine), CheckpointDay.day > today))
        .order_by(CheckpointDay.day, Site.name)
    )
    return read_frame(query, engine)


def delete_checkpoint_day(username: str, site_id: int, day, version: int | None, reason,
                          engine=None) -> dict:
    """Delete one checkpoint's row for one day (a row saved under a wrong day), supervisors and admins only.

    `version` is the row's version as listed: a row changed since is refused (ConflictError). The
    reason is required; the audit row keeps every value the row had. A row already gone (a double
    click) deletes nothing: returns {"deleted": 0}.
    """
    check = Checker(today=dt.date.max)  # the row may well lie outside the season: that is why it goes
    clean_day = check.day("day", day)
    reason = check.text("reason", reason, required=True, max_len=500)
    if not isinstance(version, int) or isinstance(version, bool):
        check.fail("version", "缺少数据版本，请刷新后再删除", "the row's version is missing; reload and try again")
    check.raise_if_any()
    with write_session(engine) as session:
        actor = load_actor(session, username)
        if actor.role not in REMOVERS:
            raise PermissionDenied("仅督导或管理员可以删除卡口日报", "Only a supervisor or an administrator can delete a daily report")
        row = session.scalar(select(CheckpointDay).where(CheckpointDay.site_id == site_id, CheckpointDay.day == clean_day)
                             .with_for_update())
        if row is None:
            return {"deleted": 0}
        if row.version != version:
            raise ConflictError()
        before = {"site_id": row.site_id, "day": row.day, "version": row.version, "corrected": row.corrected,
                  "correction_reason": row.correction_reason, "updated_by": row.updated_by,
                  **row_values(row, COUNT_FIELDS)}
        audit(session, username, "delete", "checkpoint_day", row.id, before, None, reason)
        session.delete(row)  # its flush refreshes the day's totals (traffic_totals)
    return {"deleted": 1}
