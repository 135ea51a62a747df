"""The archive of issued reports (issue 18): each daily report (日报) and weekly circular (通报) kept as issued.

A report is stored as the bytes handed out, with their SHA-256: downloaded again it is byte for byte what was
sent up, however much data arrived or was corrected since, and a copy that no longer matches its checksum is
refused (ArchiveDamaged), never handed out as the report. Beside the bytes: the line versions the database held
in the issuing transaction and the figures the report stated (JSON from the report engine), so the page can
say which lines moved since (lines_changed_since) and, from the figures, what changed.

Issuing is a write like any other: checked first (every bad field named at once), then one transaction with
the issuer re-read (a disabled account cannot issue), the row and its audit row; nothing is kept on failure.
Administrators and supervisors issue; a supervisor whose account is scoped to work zones only for those zones.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select

from . import clock, scope, versions
from .audit import audit
from .auth import Actor, load_actor
from .db import get_engine, read_connection, read_frame, write_session
from .errors import ConflictError, DataError, FieldError, NotFound, PermissionDenied, ValidationError
from .models import REPORT_FORMATS, REPORT_KINDS, REPORT_LANGS, ReportArchive, WorkZone
from .validate import Checker, form_id

MAX_BYTES = 20 * 1024 * 1024  # a daily report's PDF with its charts is well under 1 MB; 20 MB is a mistake
MAX_FIGURES = 5_000_000  # characters of figures JSON (a month's circular states a few thousand numbers)
MAX_LIMIT = 1_000
# What each format is sent as (a charset or other parameter after ";" is allowed).
MIMES = {"txt": "text/plain", "pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# Lines no report states a figure of: bookkeeping that moves all day (sign-ins, accounts, the archive itself).
NOT_STATED = frozenset({"accounts", "sessions", "reports"})
DATA_LINES = tuple(line for line in versions.LINES if line not in NOT_STATED)
UNKNOWN_ZONE = ("没有这个工作管区", "no such work zone")
LIST_COLUMNS = ["id", "kind", "day", "zone_id", "zone", "format", "lang", "filename", "size", "checksum",
                "issued_by", "issued_at"]
R = ReportArchive


class ReportNotFound(NotFound):
    """No archived report has this number."""

    def __init__(self, archive_id):
        super().__init__(f"report_archive {archive_id}")
        self.zh = f"没有编号为 {archive_id} 的存档报告"
        self.en = f"There is no archived report number {archive_id}"


class ArchiveDamaged(DataError):
    """The stored bytes no longer match the checksum taken when the report was issued."""

    def __init__(self, archive_id: int):
        self.archive_id = archive_id
        self.zh = (f"存档报告 {archive_id} 已损坏（内容与签发时的校验值不符），不能作为原报告下载；"
                   "请通知管理员，并重新生成该报告")
        self.en = (f"Archived report {archive_id} is damaged (its content no longer matches the checksum taken "
                   "when it was issued) and cannot be downloaded as the report; tell the administrator and "
                   "generate the report again")
        super().__init__(self.en)


@dataclass(frozen=True)
class StoredReport:
    """An archived report as issued: the bytes (checksum verified) and what they are."""

    content: bytes
    filename: str
    mime: str
    checksum: str
    kind: str
    day: dt.date
    zone_id: int | None
    fmt: str
    lang: str
    issued_by: str
    issued_at: dt.datetime  # aware, local time of the zone


# ---- issuing ----------------------------------------------------------------------------------------

def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _check_fields(check: Checker, kind, fmt, lang, day, zone_id, filename, mime, content, figures_json) -> dict:
    """The fields cleaned; each problem noted on its field (kind, format, lang, day, zone_id, filename, mime,
    content, figures)."""
    if kind not in REPORT_KINDS:
        check.fail("kind", "报告类型应为日报（daily）或通报（circular）", "kind must be daily or circular")
    if fmt not in REPORT_FORMATS:
        check.fail("format", "格式应为 txt、xlsx 或 pdf", "format must be txt, xlsx or pdf")
    if lang not in REPORT_LANGS:
        check.fail("lang", "语言应为中文（zh）或英文（en）", "language must be zh or en")
    values = {
        "kind": kind, "format": fmt, "lang": lang,
        "day": check.day("day", day),  # not after today by the app's clock
        "zone_id": form_id(check, "zone_id", zone_id, UNKNOWN_ZONE, required=False),
        "filename": check.text("filename", filename, required=True, column=R.filename),
        "mime": check.text("mime", mime, required=True, column=R.mime),
    }
    name = values["filename"]
    if name is not None and (any(ch in name for ch in "/\\:") or name.startswith(".")):
        # handed back as a download's name: a path in it would be a path on someone's disk
        check.fail("filename", "文件名不能含有路径（/ \\ :）或以点开头", "a file name cannot hold a path (/ \\ :) or start with a dot")
    if values["mime"] is not None and fmt in MIMES and values["mime"].split(";")[0].strip().lower() != MIMES[fmt]:
        check.fail("mime", f"{fmt} 报告的类型应为 {MIMES[fmt]}", f"a {fmt} report is sent as {MIMES[fmt]}")
    values["content"] = _content(check, content, fmt)
    values["figures"] = _figures(check, figures_json)
    return values


def _content(check: Checker, content, fmt) -> bytes | None:
    if not isinstance(content, (bytes, bytearray, memoryview)):
        check.fail("content", "报告内容应为文件的字节", "the report's content must be the file's bytes")
        return None
    content = bytes(content)
    if not content:
        check.fail("content", "报告内容为空", "the report is empty")
        return None
    if len(content) > MAX_BYTES:
        check.fail("content", f"报告过大（上限 {MAX_BYTES // 1024 // 1024} MB）",
                   f"the report is too large (at most {MAX_BYTES // 1024 // 1024} MB)")
        return None
    # the bytes must be what the format says: an archive that stores a PDF's name over text is no record
    if fmt == "pdf" and not content.startswith(b"%PDF-"):
        check.fail("content", "内容不是 PDF 文件", "the content is not a PDF file")
    elif fmt == "xlsx" and not content.startswith(b"PK\x03\x04"):
        check.fail("content", "内容不是 Excel（.xlsx）文件", "the content is not an Excel (.xlsx) file")
    elif fmt == "txt":
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            check.fail("content", "文本报告应为 UTF-8 编码", "a text report must be UTF-8")
    return content


def _figures(check: Checker, figures_json) -> str | None:
    if not isinstance(figures_json, str) or not figures_json.strip():
        check.fail("figures", "缺少报告所列数字（JSON）", "the report's figures (JSON) are missing")
        return None
    if len(figures_json) > MAX_FIGURES:
        check.fail("figures", "报告所列数字过多", "the report's figures are too long")
        return None
    try:
        json.loads(figures_json)
    except ValueError:
        check.fail("figures", "报告所列数字不是有效的 JSON", "the report's figures are not valid JSON")
        return None
    return figures_json  # stored as given: the engine's own diff reads it back


def _require_issuer(actor: Actor) -> None:
    """Administrators and supervisors issue reports; clerks and viewers never."""
    if actor.role not in scope.EVERYWHERE:
        raise PermissionDenied("只有管理员和督导人员可以签发报告", "Only administrators and supervisors issue reports")


def may_issue(actor: Actor, zone_id: int | None) -> bool:
    """Whether `actor` may issue the report of `zone_id` (None: the whole development zone): administrators
    everywhere; supervisors too, except that one whose account is scoped to work zones issues only for those
    zones (the whole zone's report is the command post's); clerks and viewers never."""
    if actor.role not in scope.EVERYWHERE:
        return False
    return actor.role == "admin" or not actor.zone_ids or zone_id in actor.zone_ids


def _require_zone(actor: Actor, zone_id: int | None) -> None:
    if not may_issue(actor, zone_id):
        raise PermissionDenied("您只能签发本人负责的工作管区的报告",
                               "You may issue reports only for the work zones you are responsible for")


def _username(actor: Actor | str) -> str:
    return actor if isinstance(actor, str) else actor.username


def issue(actor: Actor | str, *, kind: str, day, zone_id: int | None, fmt: str, lang: str, filename: str,
          mime: str, content: bytes, figures_json: str, expected_versions: dict[str, int] | None = None,
          engine=None) -> int:
    """Keep an issued report; returns its archive id. `actor` (an Actor or a username) is re-read inside the
    transaction. The line versions stored are read in the same transaction as the insert; with
    `expected_versions` (the versions of the lines the report read, taken before it was made) the issue is
    refused (ConflictError, its `lines` the lines that moved) if one of them moved meanwhile, so a report is
    never filed under data newer than its figures; the data version stored is then those lines' versions. Raises ValidationError (field names: kind, format, lang, day, zone_id, filename, mime,
    content, figures), PermissionDenied, ConflictError, SaveFailed; nothing is stored on any of them."""
    engine = engine or get_engine()
    username = _username(actor)
    now = clock.now(engine)
    check = Checker(today=now.date())
    values = _check_fields(check, kind, fmt, lang, day, zone_id, filename, mime, content, figures_json)
    check.raise_if_any()
    content = values["content"]
    with write_session(engine) as session:
        conn = session.connection()
        current = load_actor(conn, username)
        _require_issuer(current)  # before saying whether a zone exists
        if values["zone_id"] is not None and conn.execute(
                select(WorkZone.id).where(WorkZone.id == values["zone_id"])).first() is None:
            raise ValidationError([FieldError("zone_id", *UNKNOWN_ZONE)])
        _require_zone(current, values["zone_id"])
        held = versions.current(conn)
        if expected_versions is not None:
            # only the lines the report read: a gate registration does not stale a traffic figure
            held = {line: held.get(line, 0) for line in expected_versions if line in DATA_LINES}
            moved = [line for line in held if int(expected_versions[line]) != held[line]]
            if moved:
                conflict = ConflictError("生成报告期间数据有更新，请重新生成后再签发",
                                         "The data changed while the report was being made; generate it again, "
                                         "then issue it")
                conflict.lines = moved  # which lines moved (codes, for the page to name in its own words)
                raise conflict
        row = R(kind=values["kind"], day=values["day"], zone_id=values["zone_id"], format=values["format"],
                lang=values["lang"], filename=values["filename"], mime=values["mime"], content=content,
                size=len(content), checksum=sha256(content), data_version=json.dumps(held, sort_keys=True),
                figures=values["figures"], issued_by=username,
                issued_at=now.astimezone(dt.timezone.utc))  # UTC: SQLite keeps no offset, as_utc reads it back
        session.add(row)
        session.flush()
        audit(session, username, "insert", "report_archive", row.id, None,
              {"kind": row.kind, "day": row.day, "zone_id": row.zone_id, "format": row.format, "lang": row.lang,
               "filename": row.filename, "size": row.size, "checksum": row.checksum})
        return row.id


# ---- reading the archive ----------------------------------------------------------------------------

def _archive_id(archive_id) -> int:
    check = Checker()
    found = form_id(check, "archive_id", archive_id, ("没有这份存档报告", "no such archived report"))
    check.raise_if_any()
    return found


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else clock.as_utc(moment).astimezone(clock.zone())


def archived(kind: str | None = None, zone_id: int | None = None, limit: int = 200, day: dt.date | None = None,
             engine=None) -> pd.DataFrame:
    """The archived reports, newest issued first (no content): id, kind, day, zone_id (None: the whole
    development zone), zone (its name, '' for the whole), format, lang, filename, size, checksum, issued_by,
    issued_at (aware, local). Filtered by kind, work zone and the day reported on when given."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    query = (select(R.id, R.kind, R.day, R.zone_id, func.coalesce(WorkZone.name, "").label("zone"), R.format,
                    R.lang, R.filename, R.size, R.checksum, R.issued_by, R.issued_at)
             .outerjoin(WorkZone, WorkZone.id == R.zone_id)
             .order_by(R.issued_at.desc(), R.id.desc())
             .limit(limit))
    if kind is not None:
        query = query.where(R.kind == kind)
    if zone_id is not None:
        query = query.where(R.zone_id == int(zone_id))
    if day is not None:
        query = query.where(R.day == day)
    frame = read_frame(query, engine, dtype=object)
    if frame.empty:
        return pd.DataFrame(columns=LIST_COLUMNS)
    frame["id"] = frame["id"].astype("int64")
    frame["size"] = frame["size"].astype("int64")
    frame["zone_id"] = pd.Series([None if z is None else int(z) for z in frame["zone_id"]], index=frame.index,
                                 dtype=object)  # None for the whole development zone, not NaN
    frame["issued_at"] = pd.Series([_local(m) for m in frame["issued_at"]], index=frame.index)
    return frame[LIST_COLUMNS]


def download(archive_id, engine=None) -> StoredReport:
    """The report exactly as issued. Raises ReportNotFound (a NotFound) for an unknown id, ValidationError
    (archive_id) for one that is no number, and ArchiveDamaged when the stored bytes do not match their checksum."""
    number = _archive_id(archive_id)
    with read_connection(engine) as conn:
        row = conn.execute(select(R.content, R.filename, R.mime, R.checksum, R.size, R.kind, R.day, R.zone_id,
                                  R.format, R.lang, R.issued_by, R.issued_at).where(R.id == number)).first()
    if row is None:
        raise ReportNotFound(number)
    content = bytes(row.content) if row.content is not None else b""
    if len(content) != row.size or sha256(content) != row.checksum:
        raise ArchiveDamaged(number)
    return StoredReport(content=content, filename=row.filename, mime=row.mime, checksum=row.checksum, kind=row.kind,
                        day=row.day, zone_id=row.zone_id, fmt=row.format, lang=row.lang, issued_by=row.issued_by,
                        issued_at=_local(row.issued_at))


def issued_record(archive_id, engine=None) -> dict:
    """What was on record when the report was issued: id, kind, day, zone_id, format, lang, filename, size,
    checksum, issued_by, issued_at, figures (the stated figures, parsed) and data_version ({line: version})."""
    number = _archive_id(archive_id)
    with read_connection(engine) as conn:
        row = conn.execute(select(R.id, R.kind, R.day, R.zone_id, R.format, R.lang, R.filename, R.size, R.checksum,
                                  R.issued_by, R.issued_at, R.figures, R.data_version).where(R.id == number)).first()
    if row is None:
        raise ReportNotFound(number)
    record = dict(row._mapping)
    record["issued_at"] = _local(record["issued_at"])
    record["figures"] = json.loads(row.figures)
    record["data_version"] = {line: int(v) for line, v in json.loads(row.data_version).items()}
    return record


def lines_changed_since(archive_id, engine=None) -> list[str]:
    """The lines of data whose version moved since the report was issued (data arrived or was corrected),
    in versions.LINES order; bookkeeping lines (NOT_STATED) are never named."""
    stored = issued_record(archive_id, engine)["data_version"]
    with read_connection(engine) as conn:
        now = versions.current(conn)
    return [line for line in DATA_LINES if line in stored and now.get(line, 0) != stored[line]]
