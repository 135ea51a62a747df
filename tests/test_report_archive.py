"""Issue 18's archive of issued reports (data_access/report_archive.py), on SQLite and PostgreSQL: a report
downloads again byte for byte as issued, also after data arrives and is corrected (and the lines that moved are
named); the stored checksum is the bytes' SHA-256 and a damaged copy is refused; who may issue (administrators,
supervisors, a zone-scoped supervisor for their zones only; never clerks or viewers); every bad field named and
nothing kept; the audit row; the list's order and filters; migration 0012 on a 0011 database keeping its data."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
import sqlalchemy as sa

from data_access import audit, auth, db, report_archive, schema
from data_access.db import write_session
from data_access.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from data_access.models import AuditLog, Base, CheckpointDay, ReportArchive
from data_access.traffic_entry import save_checkpoint_days
from tests.helpers import day_row, minimal_territory

NOW = "2020-02-26T12:00+08:00"
TODAY = dt.date(2020, 2, 26)
DAY = dt.date(2020, 2, 25)
TZ = dt.timezone(dt.timedelta(hours=8))
# every byte value, NULs and invalid UTF-8 included: a binary report must come back exactly
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\x00\x00%%EOF\n"
FIGURES = {"day": "2020-02-25", "traffic": {"vehicles": 15294, "persons": 28225}, "shops": {"open": 58}}


def _issue(who="admin1", engine=None, **changed) -> int:
    fields = dict(kind="daily", day=DAY, zone_id=None, fmt="pdf", lang="zh", filename="日报-2020-02-25.pdf",
                  mime="application/pdf", content=PDF, figures_json=json.dumps(FIGURES, ensure_ascii=False))
    fields.update(changed)
    return report_archive.issue(who, engine=engine, **fields)


def _rows(engine, table=ReportArchive) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _archive_audits(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(AuditLog)
                            .where(AuditLog.table_name == "report_archive")).scalar_one()


@pytest.fixture
def world(engine, monkeypatch):
    """minimal_territory (admin1, super1, clerk1 of Z1, viewer1), a supervisor scoped to Z1 (superz1); the clock
    at 2020-02-26 12:00."""
    monkeypatch.setenv("DASHBOARD_NOW", NOW)
    ids = minimal_territory(engine)
    auth.add_user("superz1", "pw12-pw12", "supervisor", zone_codes=["Z1"], engine=engine)
    return ids


def test_an_issued_report_downloads_byte_identical_after_more_data_arrives(engine, world):
    before = db.line_versions(engine)
    admin = auth.reload_actor("admin1", engine)
    archive_id = report_archive.issue(admin, kind="daily", day=DAY, zone_id=world["z1"], fmt="pdf", lang="zh",
                                      filename="日报-一区.pdf", mime="application/pdf", content=PDF,
                                      figures_json=json.dumps(FIGURES), engine=engine)
    after = db.line_versions(engine)
    assert {line for line in after if after[line] != before[line]} == {"reports"}  # issuing moves no line of data
    stored = report_archive.download(archive_id, engine)
    assert stored.content == PDF and type(stored.content) is bytes
    assert (stored.filename, stored.mime, stored.kind, stored.day, stored.zone_id, stored.fmt, stored.lang,
            stored.issued_by) == ("日报-一区.pdf", "application/pdf", "daily", DAY, world["z1"], "pdf", "zh", "admin1")
    assert stored.issued_at == dt.datetime(2020, 2, 26, 12, 0, tzinfo=TZ) and stored.issued_at.tzinfo is not None
    with engine.connect() as conn:
        checksum, size, content = conn.execute(sa.select(ReportArchive.checksum, ReportArchive.size,
                                                         ReportArchive.content)).one()
    assert checksum == hashlib.sha256(PDF).hexdigest() == stored.checksum and size == len(PDF)
    assert bytes(content) == PDF
    record = report_archive.issued_record(archive_id, engine)
    assert record["figures"] == FIGURES
    assert record["data_version"] == before  # read in the issuing transaction, before its own bump
    assert report_archive.lines_changed_since(archive_id, engine) == []
    report_archive.issue("super1", **{**_fields(), "content": b"%PDF-other"}, engine=engine)  # another issue: no data
    assert report_archive.lines_changed_since(archive_id, engine) == []

    save_checkpoint_days("super1", TODAY, [day_row(world["cp1"], vehicles=900)], today=TODAY, engine=engine)
    assert report_archive.lines_changed_since(archive_id, engine) == ["traffic"]
    again = report_archive.download(archive_id, engine)
    assert again.content == PDF and again.checksum == stored.checksum
    with write_session(engine) as session:  # a village's known households corrected: territory
        session.execute(sa.text("UPDATE site SET households_known = households_known + 1 WHERE kind = 'village'"))
    assert report_archive.lines_changed_since(archive_id, engine) == ["territory", "traffic"]
    assert report_archive.download(archive_id, engine).content == PDF


def _fields(**changed) -> dict:
    fields = dict(kind="daily", day=DAY, zone_id=None, fmt="pdf", lang="zh", filename="日报.pdf",
                  mime="application/pdf", content=PDF, figures_json="{}")
    fields.update(changed)
    return fields


def test_the_demo_report_is_kept_as_issued_while_the_figures_change(demo_engine):
    """The demo's real daily report as text: kept byte for byte while a correction changes what the same report
    would say now; the correction's line is named."""
    from reports.daily import report_text

    text = report_text(DAY, None, "zh", engine=demo_engine)
    content = text.encode("utf-8")
    archive_id = report_archive.issue("supervisor", kind="daily", day=DAY, zone_id=None, fmt="txt", lang="zh",
                                      filename="日报-2020-02-25.txt", mime="text/plain; charset=utf-8",
                                      content=content, figures_json=json.dumps({"text": text}, ensure_ascii=False),
                                      engine=demo_engine)
    with write_session(demo_engine) as session:  # the busiest day's count corrected after the report went out
        row = session.scalars(sa.select(CheckpointDay).where(CheckpointDay.day == DAY)
                              .order_by(CheckpointDay.vehicles.desc()).limit(1)).one()
        row.vehicles += 1000
    assert report_text(DAY, None, "zh", engine=demo_engine) != text  # the report made now says something else
    stored = report_archive.download(archive_id, demo_engine)
    assert stored.content == content and stored.content.decode("utf-8") == text
    assert report_archive.lines_changed_since(archive_id, demo_engine) == ["traffic"]
    assert report_archive.issued_record(archive_id, demo_engine)["figures"] == {"text": text}


def test_clerks_and_viewers_may_not_issue_and_nothing_is_kept(engine, world):
    before = db.line_versions(engine)
    for who, zone in (("clerk1", world["z1"]), ("clerk1", None), ("viewer1", None), ("viewer1", world["z1"])):
        with pytest.raises(PermissionDenied) as refused:
            _issue(who, engine, zone_id=zone)
        assert refused.value.zh and refused.value.en and refused.value.zh != refused.value.en
    # a supervisor scoped to Z1: Z1 only, not Z2, not the whole development zone
    with pytest.raises(PermissionDenied):
        _issue("superz1", engine, zone_id=world["z2"])
    with pytest.raises(PermissionDenied):
        _issue("superz1", engine, zone_id=None)
    # a clerk is refused before being told whether a zone exists
    with pytest.raises(PermissionDenied):
        _issue("clerk1", engine, zone_id=99999)
    auth.set_active("super1", False, engine=engine)  # a disabled account cannot issue
    with pytest.raises(PermissionDenied):
        _issue("super1", engine)
    with pytest.raises(PermissionDenied):
        _issue("nobody", engine)
    assert _rows(engine) == 0 and _archive_audits(engine) == 0
    assert db.line_versions(engine)["reports"] == before["reports"]
    assert _issue("superz1", engine, zone_id=world["z1"]) > 0
    assert _issue("admin1", engine, zone_id=world["z2"]) > 0 and _issue("admin1", engine) > 0
    assert _rows(engine) == 3


def test_every_bad_field_is_named_and_nothing_is_kept(engine, world):
    big = b"%PDF-" + b"0" * report_archive.MAX_BYTES
    cases = [
        ({"kind": "weekly"}, {"kind"}),
        ({"fmt": "docx"}, {"format"}),
        ({"lang": "fr"}, {"lang"}),
        ({"day": TODAY + dt.timedelta(days=1)}, {"day"}),  # tomorrow by the app's clock
        ({"day": "2020-02-31"}, {"day"}),
        ({"day": None}, {"day"}),
        ({"content": b""}, {"content"}),
        ({"content": big}, {"content"}),
        ({"content": "%PDF- text, not bytes"}, {"content"}),
        ({"content": b"PK\x03\x04 an xlsx"}, {"content"}),  # not what the format says
        ({"fmt": "txt", "mime": "text/plain", "content": b"\xff\xfe not utf-8"}, {"content"}),
        ({"mime": "text/plain"}, {"mime"}),
        ({"filename": ""}, {"filename"}),
        ({"filename": "../../etc/日报.pdf"}, {"filename"}),
        ({"filename": "a" * 201}, {"filename"}),
        ({"figures_json": "{not json"}, {"figures"}),
        ({"figures_json": ""}, {"figures"}),
        ({"zone_id": "Z1"}, {"zone_id"}),
        ({"zone_id": 99999}, {"zone_id"}),  # no such work zone: found inside the transaction
        ({"kind": "monthly", "lang": None, "content": b""}, {"kind", "lang", "content"}),  # all at once
    ]
    for changed, fields in cases:
        with pytest.raises(ValidationError) as refused:
            _issue("admin1", engine, **changed)
        assert {field for _, field in refused.value.fields()} == fields, changed
        for error in refused.value.errors:
            assert error.text("zh") and error.text("en") and error.text("zh") != error.text("en"), changed
    assert _rows(engine) == 0 and _archive_audits(engine) == 0
    # today is not the future, and each format's own bytes and type pass
    assert _issue("admin1", engine, day=TODAY) > 0
    assert _issue("admin1", engine, fmt="xlsx", filename="日报.xlsx", content=b"PK\x03\x04rest",
                  mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") > 0
    assert _issue("admin1", engine, kind="circular", fmt="txt", lang="en", filename="circular.txt",
                  mime="text/plain; charset=utf-8", content="通报 week 9\n".encode()) > 0
    assert _rows(engine) == 3


def test_the_issue_is_audited_with_its_issuer(engine, world):
    archive_id = _issue("super1", engine, zone_id=world["z2"], filename="日报-二区.pdf")
    with engine.connect() as conn:
        rows = conn.execute(sa.select(AuditLog.username, AuditLog.action, AuditLog.row_id, AuditLog.after)
                            .where(AuditLog.table_name == "report_archive")).all()
    assert len(rows) == 1
    username, action, row_id, after = rows[0]
    assert (username, action, row_id) == ("super1", "insert", archive_id)
    shown = json.loads(after)
    assert shown == {"kind": "daily", "day": "2020-02-25", "zone_id": world["z2"], "format": "pdf", "lang": "zh",
                     "filename": "日报-二区.pdf", "size": len(PDF), "checksum": hashlib.sha256(PDF).hexdigest()}
    change = next(r for r in audit.changes(audit.AuditView(), engine).itertuples() if r.table_name == "report_archive")
    assert (change.username, change.subject, change.day, change.row_id) == ("super1", "二区", DAY, archive_id)
    assert {item[0] for item in change.items} == {"kind", "format", "lang", "filename", "size", "checksum"}


def test_a_damaged_copy_is_never_handed_out(engine, world):
    archive_id = _issue("admin1", engine)
    other = _issue("admin1", engine, content=b"%PDF-second")
    damaged = bytearray(PDF)
    damaged[100] ^= 0x01  # one bit, same length
    for content in (bytes(damaged), PDF[:-1], b""):
        with engine.begin() as conn:
            conn.execute(sa.update(ReportArchive).where(ReportArchive.id == archive_id).values(content=content))
        with pytest.raises(report_archive.ArchiveDamaged) as refused:
            report_archive.download(archive_id, engine)
        assert str(archive_id) in refused.value.text("zh") and "checksum" in refused.value.text("en")
    assert report_archive.download(other, engine).content == b"%PDF-second"  # the others are fine
    with engine.begin() as conn:  # put back as issued: handed out again
        conn.execute(sa.update(ReportArchive).where(ReportArchive.id == archive_id).values(content=PDF))
    assert report_archive.download(archive_id, engine).content == PDF


def test_an_unknown_archive_id_is_refused_clearly(engine, world):
    archive_id = _issue("admin1", engine)
    for read in (report_archive.download, report_archive.issued_record, report_archive.lines_changed_since):
        with pytest.raises(report_archive.ReportNotFound) as missing:
            read(archive_id + 1000, engine)
        assert isinstance(missing.value, NotFound) and str(archive_id + 1000) in missing.value.text("en")
        with pytest.raises(ValidationError) as bad:
            read("abc", engine)
        assert bad.value.fields() == {(None, "archive_id")}
    assert report_archive.download(str(archive_id), engine).content == PDF  # a form's digits are an id


def test_the_list_is_newest_first_filtered_in_sql_and_holds_no_content(engine, world, monkeypatch):
    issued = []
    plan = [("2020-02-26T09:00+08:00", "daily", DAY - dt.timedelta(days=1), world["z1"]),
            ("2020-02-26T10:00+08:00", "daily", DAY, None),
            ("2020-02-26T10:00+08:00", "circular", DAY, world["z2"]),  # the same minute: the later id first
            ("2020-02-26T11:30+08:00", "daily", DAY, world["z1"])]
    for now, kind, day, zone in plan:
        monkeypatch.setenv("DASHBOARD_NOW", now)
        issued.append(_issue("admin1", engine, kind=kind, day=day, zone_id=zone, content=b"%PDF-" + now.encode()))
    frame = report_archive.archived(engine=engine)
    assert list(frame.columns) == report_archive.LIST_COLUMNS and "content" not in frame.columns
    assert frame["id"].tolist() == issued[::-1]
    assert frame["zone"].tolist() == ["一区", "二区", "", "一区"]
    assert frame["zone_id"].tolist() == [world["z1"], world["z2"], None, world["z1"]]
    assert frame["issued_at"].iloc[0] == dt.datetime(2020, 2, 26, 11, 30, tzinfo=TZ)
    assert frame["size"].tolist() == [len(b"%PDF-" + p[0].encode()) for p in plan][::-1]
    assert frame["checksum"].tolist() == [hashlib.sha256(b"%PDF-" + p[0].encode()).hexdigest() for p in plan][::-1]
    assert report_archive.archived(kind="circular", engine=engine)["id"].tolist() == [issued[2]]
    assert report_archive.archived(kind="daily", zone_id=world["z1"], engine=engine)["id"].tolist() == [issued[3],
                                                                                                        issued[0]]
    assert report_archive.archived(day=DAY, kind="daily", engine=engine)["id"].tolist() == [issued[3], issued[1]]
    assert report_archive.archived(limit=2, engine=engine)["id"].tolist() == issued[:1:-1]
    empty = report_archive.archived(kind="daily", zone_id=world["z2"], engine=engine)
    assert empty.empty and list(empty.columns) == report_archive.LIST_COLUMNS


def test_an_issue_under_data_newer_than_its_figures_is_refused(engine, world):
    """expected_versions: the versions read before rendering; a data line that moved since makes the issue a
    conflict (render again), a bookkeeping line (a sign-in, another report) does not."""
    rendered_from = db.line_versions(engine)
    _issue("admin1", engine)  # another report meanwhile: the reports line moves, no data line
    assert _issue("admin1", engine, expected_versions=rendered_from) > 0
    save_checkpoint_days("super1", TODAY, [day_row(world["cp1"])], today=TODAY, engine=engine)
    with pytest.raises(ConflictError) as conflict:
        _issue("admin1", engine, expected_versions=rendered_from)
    assert conflict.value.lines == ["traffic"] and conflict.value.zh and conflict.value.en
    assert _rows(engine) == 2
    assert _issue("admin1", engine, expected_versions=db.line_versions(engine)) > 0


def test_the_model_and_migration_0012_agree(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if "report_archive" in repr(d)] == []
    columns = {c["name"]: c for c in sa.inspect(engine).get_columns("report_archive")}
    assert isinstance(columns["content"]["type"], sa.LargeBinary)  # BLOB / bytea
    indexes = {i["name"]: i["column_names"] for i in sa.inspect(engine).get_indexes("report_archive")}
    assert indexes["ix_report_archive_kind_day"][:2] == ["kind", "day"]
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # the database refuses an unknown format
        conn.execute(sa.insert(ReportArchive).values(
            kind="daily", day=DAY, format="doc", lang="zh", filename="x", mime="x", content=b"x", size=1,
            checksum="0" * 64, data_version="{}", figures="{}", issued_by="x",
            issued_at=dt.datetime(2020, 2, 26, tzinfo=dt.timezone.utc)))


def test_a_0011_database_upgrades_to_0012_in_place_keeping_its_data(engine, monkeypatch):
    from alembic import command

    monkeypatch.setenv("DASHBOARD_NOW", NOW)
    with engine.connect() as conn, schema._sqlite_foreign_keys_off(conn):
        command.downgrade(schema.alembic_config(conn), "0011")
        conn.commit()
    assert "report_archive" not in sa.inspect(engine).get_table_names()
    with engine.begin() as conn:  # rows as the 0011 schema held them
        conn.execute(sa.text("INSERT INTO work_zone (code, name) VALUES ('Z1', '一区')"))
        conn.execute(sa.text("INSERT INTO site (kind, checkpoint_type, zone_id, name, active, lon, lat) "
                             "SELECT 'checkpoint', 'road', id, '东卡口', true, 120.9, 37.3 FROM work_zone"))
        conn.execute(sa.text("INSERT INTO checkpoint_day (site_id, day, vehicles, persons, persons_from_outside, "
                             "turned_back, abnormal_temperature, corrected, version) SELECT id, :d, 120, 200, 3, 1, 0, false, 1 "
                             "FROM site"), {"d": DAY})
    schema.upgrade(engine)
    assert schema.is_current(engine) and schema.current_revision(engine) >= "0012"
    with engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT s.name, c.day, c.vehicles, c.persons FROM checkpoint_day c "
                                    "JOIN site s ON s.id = c.site_id")).all()
        zone_id = conn.execute(sa.text("SELECT id FROM work_zone")).scalar_one()
    assert [(n, str(d)[:10], v, p) for n, d, v, p in kept] == [("东卡口", "2020-02-25", 120, 200)]
    assert _rows(engine) == 0
    auth.add_user("admin1", "pw12-pw12", "admin", engine=engine)
    archive_id = _issue("admin1", engine, zone_id=zone_id)
    assert report_archive.download(archive_id, engine).content == PDF
    # and back down: the archive goes, the data stays
    with engine.connect() as conn, schema._sqlite_foreign_keys_off(conn):
        command.downgrade(schema.alembic_config(conn), "0011")
        conn.commit()
    assert "report_archive" not in sa.inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT sum(vehicles) FROM checkpoint_day")).scalar_one() == 120
    schema.upgrade(engine)
    assert schema.is_current(engine)
