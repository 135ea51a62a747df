"""Issue 17's gate registration data layer (data_access/gate.py, personal.py) on SQLite and PostgreSQL: ID check
digits, masking, encryption at rest (the raw table holds no number in clear), look-up by keyed hash, scope (a
clerk's compound only; viewers no lists), retention purge (counts kept, audited), the full view (refused without
a grant, audited with one), concurrent registrations at one compound and hour, all-or-nothing import, messages
that never repeat a number, the every-rerun reads coming from the kept counts alone (gate_hour_count, gate_day_count),
and gate_person_site (each
person's stay at each compound, which "people at 2+ compounds" reads) always equal to a recount of the rows."""
from __future__ import annotations

import datetime as dt
import io
import threading

import openpyxl
import pytest
import sqlalchemy as sa

from data_access import clock, gate, people, personal
from data_access.__main__ import main as cli
from data_access.db import write_session
from data_access.errors import PermissionDenied, ValidationError
from data_access.filters import Filters
from data_access.models import AuditLog, GateDayCount, GateHourCount, GatePersonSite, GateRegistration, Site, User, UserScope
from tests.helpers import minimal_territory

NOW = "2020-02-26T12:00+08:00"
ID_A = "11010519491231002X"  # GB 11643's own example: check digit X
ID_B = "440524198001010013"
PHONE = "13812345678"
PHONE_B = "13900001111"
TZ = dt.timezone(dt.timedelta(hours=8))


def at_once(one, threads: int) -> None:
    """one(0) ... one(threads - 1), each in its own thread, all started before any is waited for."""
    started = [threading.Thread(target=one, args=(i,)) for i in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=60)

def with_check(first17: str) -> str:
    return first17 + personal.id_check_character(first17)


@pytest.fixture
def world(engine, monkeypatch):
    """minimal_territory plus compound A (zone 1) and B (zone 2), a clerk with a site scope on A only (gate1),
    and a supervisor with no grant (super1); the clock at 2020-02-26 12:00."""
    monkeypatch.setenv("DASHBOARD_NOW", NOW)
    ids = minimal_territory(engine)
    with write_session(engine) as session:
        a = Site(kind="compound", zone_id=ids["z1"], name="阳光小区", households_known=100, people_known=300)
        b = Site(kind="compound", zone_id=ids["z2"], name="幸福小区", households_known=80, people_known=200)
        session.add_all([a, b])
        session.flush()
        ids["A"], ids["B"] = a.id, b.id
    from data_access import auth

    auth.add_user("gate1", "pw12-pw12", "clerk", engine=engine)
    with write_session(engine) as session:
        user_id = session.scalar(sa.select(User.id).where(User.username == "gate1"))
        session.add(UserScope(user_id=user_id, site_id=ids["A"]))
    return ids


def entry(**changes) -> dict:
    fields = {"direction": "in", "at": dt.datetime(2020, 2, 26, 9, 15, tzinfo=TZ), "doc_type": "resident_id",
              "doc_number": ID_A, "name": "张三", "building": "3号楼2单元501", "phone": PHONE,
              "from_outside": False, "origin": None, "temperature": 36.5}
    fields.update(changes)
    return fields


def count(engine, model, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def audits(engine, action: str, table: str = "gate_registration") -> list:
    with engine.connect() as conn:
        return conn.execute(sa.select(AuditLog).where(AuditLog.action == action, AuditLog.table_name == table)
                            .order_by(AuditLog.id)).all()


def hour_row(engine, site_id, day, hour):
    with engine.connect() as conn:
        return conn.execute(sa.select(GateHourCount.entries, GateHourCount.exits, GateHourCount.from_outside)
                            .where(GateHourCount.site_id == site_id, GateHourCount.day == day,
                                   GateHourCount.hour == hour)).first()


def no_number_in(text: str, *numbers) -> bool:
    text = text or ""
    return not any(n in text or n.lower() in text for n in numbers)


# ---- check digits, documents, masks (no database) ------------------------------------------------------------

def test_resident_id_check_digit_and_birth_date():
    assert personal.valid_resident_id(ID_A) == ID_A
    assert personal.valid_resident_id(ID_A.lower()) == ID_A  # a lower-case x is the same number
    assert personal.valid_resident_id(" 110105 19491231 002x ") == ID_A
    assert personal.valid_resident_id(ID_B) == ID_B
    assert personal.valid_resident_id("110105194912310021") is None  # wrong check digit
    assert personal.valid_resident_id(with_check("11010519490230002")) is None  # 30 February
    assert personal.valid_resident_id(with_check("11010518991231002")) is None  # before 1900
    assert personal.valid_resident_id(with_check("11010521000101002")) is None  # born in the future
    assert personal.valid_resident_id("11010519491231002") is None  # 17 characters
    assert personal.valid_resident_id("1101051949123100XX") is None
    assert personal.valid_resident_id(None) is None
    assert "校验" in personal.resident_id_problem("110105194912310021")[0]
    assert "出生日期" in personal.resident_id_problem(with_check("11010519490230002"))[0]
    for problem in (personal.resident_id_problem("110105194912310021"), personal.resident_id_problem("123")):
        assert no_number_in(" ".join(problem), "110105194912310021")


def test_documents_and_masks():
    assert personal.normal_document("resident_id", ID_A.lower()) == ID_A
    assert personal.normal_document("passport", " e1234-5678 ") == "E12345678"
    assert personal.normal_document("passport", "E1") is None
    assert personal.normal_document("other", "有汉字123") is None
    assert personal.normal_document("resident_id", 1.1010519491231002e17) is None  # digits Excel lost
    assert personal.mask_document("resident_id", ID_A) == "110105********002X"
    assert personal.mask_document("passport", "E12345678") == "E1*****78"
    assert personal.mask_document("other", "AB123") == "*****"


# ---- at rest, masked, found by keyed hash -----------------------------------------------------------------------

def test_numbers_are_encrypted_at_rest_and_masked(engine, world):
    first = gate.register("gate1", world["A"], entry(doc_number=ID_A.lower()), engine=engine)
    gate.register("admin1", world["B"], entry(doc_number=ID_B, phone=PHONE_B, name="李四"), engine=engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM gate_registration")).mappings().all()
        logged = conn.execute(sa.text("SELECT * FROM audit_log")).mappings().all()
    assert len(rows) == 2
    for row in [*rows, *logged]:
        for value in row.values():
            assert no_number_in(str(value), ID_A, ID_B, PHONE, PHONE_B), "a number in clear in the database"
    one = next(r for r in rows if r["id"] == first)
    assert one["doc_masked"] == "110105********002X" and one["phone_masked"] == "138****5678"
    assert one["doc_hash"] == personal.lookup_hash(ID_A) and one["phone_hash"] == personal.lookup_hash(PHONE)
    assert personal.decrypt(one["doc_cipher"]) == ID_A and personal.decrypt(one["phone_cipher"]) == PHONE
    listed = gate.registrations("admin1", Filters(), engine=engine)
    assert list(listed["name"]) == ["李四", "张三"] or set(listed["name"]) == {"李四", "张三"}
    assert no_number_in(listed.to_csv(), ID_A, ID_B, PHONE, PHONE_B)
    assert set(listed["doc_masked"]) == {"110105********002X", "440524********0013"}
    assert listed["at"].iloc[0].utcoffset() == dt.timedelta(hours=8)


def test_a_returning_person_is_found_by_keyed_hash_and_reused(engine, world):
    first = gate.register("gate1", world["A"], entry(), engine=engine)
    for key in (PHONE, "138 1234 5678", ID_A, ID_A.lower()):
        found = gate.find_person("gate1", world["A"], key, engine=engine)
        assert found is not None and found["registration_id"] == first, key
        assert found["name"] == "张三" and found["doc_masked"] == "110105********002X"
        assert found["phone_masked"] == "138****5678" and found["building"] == "3号楼2单元501"
        assert no_number_in(str(found), ID_A, PHONE)
    assert gate.find_person("gate1", world["A"], "13800000000", engine=engine) is None
    assert gate.find_person("gate1", world["A"], "张", engine=engine) is None
    again = gate.register("gate1", world["A"], entry(direction="out", doc_number="", phone=""), reuse_from=first,
                          engine=engine)
    with engine.connect() as conn:
        row = conn.execute(sa.select(GateRegistration).where(GateRegistration.id == again)).one()
    assert row.doc_hash == personal.lookup_hash(ID_A) and row.phone_hash == personal.lookup_hash(PHONE)
    assert row.direction == "out"
    found = gate.registrations("gate1", Filters(), search=ID_A.lower(), engine=engine)
    assert len(found) == 2


# ---- scope -----------------------------------------------------------------------------------------------------

def test_a_clerk_enters_and_sees_only_their_compound_and_viewers_no_lists(engine, world):
    gate.register("admin1", world["B"], entry(name="李四", doc_number=ID_B, phone=PHONE_B), engine=engine)
    with pytest.raises(PermissionDenied):
        gate.register("gate1", world["B"], entry(), engine=engine)
    with pytest.raises(PermissionDenied):
        gate.register("viewer1", world["A"], entry(), engine=engine)
    with pytest.raises(ValidationError) as refused:  # a checkpoint is not a compound
        gate.register("admin1", world["cp1"], entry(), engine=engine)
    assert refused.value.fields() == {(None, "site_id")}
    gate.register("gate1", world["A"], entry(), engine=engine)
    assert list(gate.compounds("gate1", engine=engine)["name"]) == ["阳光小区"]
    assert set(gate.compounds("admin1", engine=engine)["name"]) == {"阳光小区", "幸福小区"}
    assert gate.compounds("viewer1", engine=engine).empty
    assert list(gate.registrations("gate1", Filters(), engine=engine)["site"]) == ["阳光小区"]
    assert len(gate.registrations("super1", Filters(), engine=engine)) == 2
    assert gate.registrations("viewer1", Filters(), engine=engine).empty
    assert list(gate.registrations("viewer1", Filters(), engine=engine).columns) == gate.REGISTRATION_COLUMNS
    assert gate.find_person("gate1", world["A"], PHONE_B, engine=engine) is None  # B's person: not theirs
    assert gate.find_person("viewer1", world["A"], PHONE, engine=engine) is None
    gate.register("admin1", world["B"], entry(), engine=engine)  # 张三 at A and B
    multi = gate.multi_compound("admin1", Filters(), engine=engine)
    assert list(multi["name"]) == ["张三"] and multi["compounds"].iloc[0] == 2
    assert multi["sites"].iloc[0] in ("阳光小区、幸福小区", "幸福小区、阳光小区")
    assert multi["person_key"].iloc[0] == personal.lookup_hash(ID_A)[:10]
    assert no_number_in(multi.to_csv(), ID_A, PHONE)
    assert gate.multi_compound("gate1", Filters(), engine=engine).empty  # at 2 compounds, but they see one
    assert gate.multi_compound("viewer1", Filters(), engine=engine).empty
    # counts are for everyone
    assert gate.summary(Filters(end=dt.date(2020, 2, 26)), engine=engine)["entries_today"] == 3


# ---- the full record ----------------------------------------------------------------------------------------------

def test_full_record_refused_without_a_grant_and_audited_with_one(engine, world):
    registration = gate.register("gate1", world["A"], entry(), engine=engine)
    for user in ("gate1", "super1", "viewer1"):
        with pytest.raises(PermissionDenied):
            gate.full_record(user, registration, engine=engine)
    assert audits(engine, "personal_view") == []
    people.grant_personal_data("admin1", "gate1", site_id=world["B"], engine=engine)  # another compound
    with pytest.raises(PermissionDenied):
        gate.full_record("gate1", registration, engine=engine)
    people.grant_personal_data("admin1", "gate1", site_id=world["A"], engine=engine)
    assert gate.full_record("gate1", registration, engine=engine) == {"doc_number": ID_A, "phone": PHONE}
    people.grant_personal_data("admin1", "super1", zone_id=world["z1"], engine=engine)
    assert gate.full_record("super1", registration, engine=engine)["doc_number"] == ID_A
    assert gate.full_record("admin1", registration, engine=engine)["phone"] == PHONE
    views = audits(engine, "personal_view")
    assert [(v.username, v.row_id) for v in views] == [("gate1", registration), ("super1", registration),
                                                        ("admin1", registration)]
    assert all(no_number_in(v.after, ID_A, PHONE) for v in views)


# ---- retention ------------------------------------------------------------------------------------------------

def _old_registration(engine, site_id, at: dt.datetime) -> None:
    """A registration from before the retention window (register refuses those), with its counts and stay."""
    with write_session(engine) as session:
        session.add(GateRegistration(site_id=site_id, direction="in", at=at.astimezone(dt.timezone.utc),
                                     **gate.document_values("resident_id", ID_B), **gate.phone_values(PHONE_B),
                                     name="王五", from_outside=True, origin="武汉", recorded_by="admin1",
                                     recorded_at=at))
        gate.add_counts(session.connection(), gate.hour_counts([(site_id, at, "in", True)]))
        gate.add_person_sites(session.connection(), gate.person_sites([(personal.lookup_hash(ID_B), site_id, at)]))


def test_purge_deletes_old_registrations_keeps_counts_and_is_audited(engine, world):
    old = dt.datetime(2020, 1, 20, 8, 30, tzinfo=TZ)
    _old_registration(engine, world["A"], old)
    _old_registration(engine, world["A"], old)
    _old_registration(engine, world["B"], old)
    kept = gate.register("gate1", world["A"], entry(at=dt.datetime(2020, 1, 29, 0, 5, tzinfo=TZ)), engine=engine)
    with pytest.raises(ValidationError) as refused:  # 28 days on 2020-02-26: 2020-01-29 onward
        gate.register("gate1", world["A"], entry(at=dt.datetime(2020, 1, 28, 23, 55, tzinfo=TZ)), engine=engine)
    assert refused.value.fields() == {(None, "at")}
    with pytest.raises(PermissionDenied):
        gate.purge("gate1", engine=engine)
    result = gate.purge(engine=engine)
    assert result["deleted"] == 3
    assert result["oldest_kept"] == dt.datetime(2020, 1, 29, 0, 5, tzinfo=TZ)
    assert count(engine, GateRegistration) == 1 and count(engine, GateRegistration, GateRegistration.id == kept) == 1
    assert tuple(hour_row(engine, world["A"], dt.date(2020, 1, 20), 8)) == (2, 0, 2)  # the counts stay
    daily = gate.daily(Filters(start=dt.date(2020, 1, 20), end=dt.date(2020, 1, 20)), engine=engine)
    assert int(daily["entries"].sum()) == 3 and int(daily["from_outside"].sum()) == 3
    purges = audits(engine, "purge")
    assert len(purges) == 1 and purges[0].username == "system"
    import json

    logged = json.loads(purges[0].after)
    assert logged["deleted"] == 3 and logged["sites"] == {str(world["A"]): 2, str(world["B"]): 1}
    assert no_number_in(purges[0].after, ID_B, PHONE_B)
    again = gate.purge(engine=engine)  # nothing left to delete: no write, no audit row
    assert again["deleted"] == 0 and len(audits(engine, "purge")) == 1
    assert gate.purge(days=1, now=dt.datetime(2020, 3, 10, tzinfo=TZ), engine=engine)["deleted"] == 1
    assert gate.purge(engine=engine)["oldest_kept"] is None


def test_purge_from_the_command_line(engine, world, capsys):
    _old_registration(engine, world["A"], dt.datetime(2020, 1, 2, 10, 0, tzinfo=TZ))
    assert cli(["purge-registrations", "--days", "28"]) == 0
    assert "1 gate registration(s)" in capsys.readouterr().out
    assert count(engine, GateRegistration) == 0
    assert cli(["purge-registrations", "--days", "0"]) == 2


def test_retention_days_setting(engine, world):
    assert gate.retention_days(engine) == 28
    with pytest.raises(PermissionDenied):
        gate.set_retention_days("super1", 14, engine=engine)
    with pytest.raises(ValidationError):
        gate.set_retention_days("admin1", 0, engine=engine)
    assert gate.set_retention_days("admin1", 14, engine=engine) == 14
    assert gate.retention_days(engine) == 14
    with pytest.raises(ValidationError):
        gate.register("gate1", world["A"], entry(at=dt.datetime(2020, 2, 10, 8, 0, tzinfo=TZ)), engine=engine)


# ---- counts -------------------------------------------------------------------------------------------------

def test_counts_kept_per_hour_and_read_from_the_counts_alone(engine, world):
    at = dt.datetime(2020, 2, 26, 9, 15, tzinfo=TZ)
    gate.register("gate1", world["A"], entry(at=at), engine=engine)
    gate.register("gate1", world["A"], entry(at=at, from_outside=True, origin="湖北武汉", doc_number=ID_B,
                                            temperature="37.5"), engine=engine)
    gate.register("gate1", world["A"], entry(at=at + dt.timedelta(minutes=30), direction="out"), engine=engine)
    gate.register("admin1", world["B"], entry(at=at - dt.timedelta(days=1)), engine=engine)
    assert tuple(hour_row(engine, world["A"], dt.date(2020, 2, 26), 9)) == (2, 1, 1)
    # the local day and hour: 00:30 in Beijing is the previous day in UTC
    gate.register("gate1", world["A"], entry(at=dt.datetime(2020, 2, 26, 0, 30, tzinfo=TZ)), engine=engine)
    assert tuple(hour_row(engine, world["A"], dt.date(2020, 2, 26), 0)) == (1, 0, 0)
    fever = [a for a in audits(engine, "insert") if '"fever": true' in (a.after or "")]
    assert len(fever) == 1
    statements = []

    def note(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        summary = gate.summary(Filters(start=dt.date(2020, 2, 1), end=dt.date(2020, 2, 26)), engine=engine)
        hourly = gate.hourly(Filters(zone_id=world["z1"]), dt.date(2020, 2, 26), engine=engine)
        daily = gate.daily(Filters(start=dt.date(2020, 2, 1), end=dt.date(2020, 2, 26)), engine=engine)
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    assert statements
    assert not any("gate_registration" in s for s in statements), "an every-rerun read scanned the registrations"
    assert summary == {"entries_today": 3, "exits_today": 1, "from_outside_today": 1, "from_outside_total": 1,
                       "registrations_kept": 5, "compounds_reporting": 1}
    assert list(hourly["hour"]) == [0, 9] and list(hourly["entries"]) == [1, 2] and list(hourly["exits"]) == [0, 1]
    assert set(hourly["site"]) == {"阳光小区"}
    assert len(daily) == 2 and int(daily["entries"].sum()) == 4
    assert gate.summary(Filters(site_id=world["B"], end=dt.date(2020, 2, 25)), engine=engine)["entries_today"] == 1


def test_concurrent_registrations_at_one_compound_and_hour_are_both_counted(engine, world):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every write transaction (BEGIN IMMEDIATE)")
    barrier, errors = threading.Barrier(4), []

    def one(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(3):
                gate.register("gate1", world["A"], entry(name=f"人{i}"), engine=engine)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    at_once(one, 4)
    assert errors == []
    assert count(engine, GateRegistration) == 12
    assert tuple(hour_row(engine, world["A"], dt.date(2020, 2, 26), 9)) == (12, 0, 0)


# ---- bad input ----------------------------------------------------------------------------------------------

def test_bad_input_is_refused_on_its_field_without_repeating_the_number(engine, world):
    bad = {"doc_number": "110105194912310021", "phone": "1381234567", "direction": "sideways",
           "temperature": "45", "name": "", "from_outside": True, "origin": "",
           "at": dt.datetime(2020, 2, 26, 13, 0, tzinfo=TZ)}
    with pytest.raises(ValidationError) as refused:
        gate.register("gate1", world["A"], entry(**bad), engine=engine)
    assert refused.value.fields() == {(None, f) for f in ("doc_number", "phone", "direction", "temperature", "name",
                                                           "origin", "at")}
    words = str(refused.value) + " ".join(e.text("zh") + e.text("en") for e in refused.value.errors)
    assert no_number_in(words, "110105194912310021", "1381234567")
    with pytest.raises(ValidationError) as refused:
        gate.register("gate1", world["A"], entry(doc_number=with_check("11010519490230002")), engine=engine)
    assert "出生日期" in refused.value.errors[0].zh
    with pytest.raises(ValidationError):
        gate.register("gate1", world["A"], entry(doc_type="passport", doc_number="E1"), engine=engine)
    assert count(engine, GateRegistration) == 0 and count(engine, GateHourCount) == 0


def _sheet(rows, headers=("时间", "进出", "证件类型", "证件号码", "姓名", "楼盘座号", "电话", "是否外地", "来源地", "体温")) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_is_all_or_nothing_with_line_and_column(engine, world):
    good = [("2020-02-26 08:00", "进", "身份证", ID_A, "张三", "1号楼101", PHONE, "否", None, 36.4),
            (dt.datetime(2020, 2, 26, 8, 20), "出", "", ID_A.lower(), "张三", "1号楼101", int(PHONE), "", None, None),
            ("2020-02-26 09:10", "in", "护照", "E12345678", "John", None, None, "是", "香港", "36.8")]
    bad = good + [("2020-02-26 09:30", "进", "身份证", "110105194912310021", "李四", None, "12345", "是", None, 36.6),
                  ("2020-02-27 09:30", "进", "身份证", 110105194912310020, "赵六", None, None, "也许", None, "热")]
    with pytest.raises(ValidationError) as refused:
        gate.import_registrations("gate1", world["A"], _sheet(bad), "register.xlsx", engine=engine)
    assert refused.value.fields() == {(5, "doc_number"), (5, "phone"), (5, "origin"), (6, "at"), (6, "doc_number"),
                                      (6, "from_outside"), (6, "temperature")}
    assert no_number_in(str(refused.value) + " ".join(e.zh for e in refused.value.errors), "110105194912310021")
    assert count(engine, GateRegistration) == 0 and count(engine, GateHourCount) == 0
    with pytest.raises(PermissionDenied):
        gate.import_registrations("gate1", world["B"], _sheet(good), "register.xlsx", engine=engine)
    assert count(engine, GateRegistration) == 0
    with pytest.raises(ValidationError) as refused:
        gate.import_registrations("gate1", world["A"], _sheet(good, headers=("时间", "姓名")), "r.xlsx", engine=engine)
    assert {f for _, f in refused.value.fields()} == {"direction", "doc_number"}
    english = ("at", "direction", "doc_type", "doc_number", "name", "building", "phone", "from_outside", "origin",
               "temperature")
    assert gate.import_registrations("gate1", world["A"], _sheet(good, english), "r.xlsx", engine=engine) == \
        {"created": 3}
    assert tuple(hour_row(engine, world["A"], dt.date(2020, 2, 26), 8)) == (1, 1, 0)
    assert tuple(hour_row(engine, world["A"], dt.date(2020, 2, 26), 9)) == (1, 0, 1)
    listed = gate.registrations("gate1", Filters(), engine=engine)
    assert list(listed["doc_masked"]) == ["E1*****78", "110105********002X", "110105********002X"]
    assert listed["from_outside"].tolist() == [True, False, False] and listed["origin"].iloc[0] == "香港"


# ---- gate_person_site: kept by every write, equal to a recount ------------------------------------------------

def _utc_text(value) -> str:
    return clock.as_utc(value).astimezone(dt.timezone.utc).isoformat()


def kept_stays(engine) -> dict:
    p = GatePersonSite
    with engine.connect() as conn:
        rows = conn.execute(sa.select(p.doc_hash, p.site_id, p.first_at, p.last_at, p.passes)).all()
    return {(h, s): (_utc_text(f), _utc_text(la), n) for h, s, f, la, n in rows}


def recounted_stays(engine) -> dict:
    r = GateRegistration
    with engine.connect() as conn:
        rows = conn.execute(sa.select(r.doc_hash, r.site_id, sa.func.min(r.at), sa.func.max(r.at), sa.func.count())
                            .group_by(r.doc_hash, r.site_id)).all()
    return {(h, s): (_utc_text(f), _utc_text(la), n) for h, s, f, la, n in rows}


def day_rows(engine) -> dict:
    d = GateDayCount
    with engine.connect() as conn:
        return {(s, day): (e, x, o) for s, day, e, x, o in conn.execute(
            sa.select(d.site_id, d.day, d.entries, d.exits, d.from_outside))}


def days_from_hours(engine) -> dict:
    h = GateHourCount
    with engine.connect() as conn:
        return {(s, day): (int(e), int(x), int(o)) for s, day, e, x, o in conn.execute(
            sa.select(h.site_id, h.day, sa.func.sum(h.entries), sa.func.sum(h.exits), sa.func.sum(h.from_outside))
            .group_by(h.site_id, h.day))}


def test_person_sites_kept_by_register_import_and_purge(engine, world):
    old = dt.datetime(2020, 1, 20, 8, 30, tzinfo=TZ)
    _old_registration(engine, world["A"], old)
    _old_registration(engine, world["A"], old + dt.timedelta(hours=1))
    _old_registration(engine, world["B"], old)
    # ID_B at A again inside the window: its stay at A begins before the cutoff and outlives the purge
    gate.register("gate1", world["A"], entry(doc_number=ID_B, phone=PHONE_B, name="王五",
                                             at=dt.datetime(2020, 2, 10, 7, 0, tzinfo=TZ)), engine=engine)
    gate.register("gate1", world["A"], entry(at=dt.datetime(2020, 2, 20, 9, 0, tzinfo=TZ)), engine=engine)
    gate.register("gate1", world["A"], entry(at=dt.datetime(2020, 2, 5, 9, 0, tzinfo=TZ)), engine=engine)  # earlier
    gate.register("admin1", world["B"], entry(direction="out"), engine=engine)
    stays = kept_stays(engine)
    assert stays == recounted_stays(engine) and len(stays) == 4
    a = stays[(personal.lookup_hash(ID_A), world["A"])]
    assert a[2] == 2 and a[0] < a[1]  # the earlier pass moved first_at back
    rows = [("2020-02-26 08:00", "进", "身份证", ID_A, "张三", None, None, "否", None, None),
            ("2020-02-26 08:40", "出", "身份证", ID_A, "张三", None, None, "否", None, None),
            ("2020-02-26 09:10", "in", "护照", "E12345678", "John", None, None, "是", "香港", "36.8")]
    assert gate.import_registrations("gate1", world["A"], _sheet(rows), "r.xlsx", engine=engine) == {"created": 3}
    stays = kept_stays(engine)
    assert stays == recounted_stays(engine) and stays[(personal.lookup_hash(ID_A), world["A"])][2] == 4
    assert day_rows(engine) == days_from_hours(engine)  # the days kept with the hours
    with pytest.raises(ValidationError):  # refused: nothing kept changes
        gate.import_registrations("gate1", world["A"], _sheet(rows + [("x", "进", "身份证", ID_A, "张三", None, None,
                                                                       "否", None, None)]), "r.xlsx", engine=engine)
    assert kept_stays(engine) == stays
    assert gate.purge(engine=engine)["deleted"] == 3
    stays = kept_stays(engine)
    assert stays == recounted_stays(engine)
    assert (personal.lookup_hash(ID_B), world["B"]) not in stays  # every pass there purged
    b = stays[(personal.lookup_hash(ID_B), world["A"])]
    assert b[2] == 1 and b[0] == b[1] == _utc_text(dt.datetime(2020, 2, 10, 7, 0, tzinfo=TZ))  # first_at moved up
    assert gate.purge(days=1, now=dt.datetime(2020, 2, 21, 12, tzinfo=TZ), engine=engine)["deleted"] == 2
    assert kept_stays(engine) == recounted_stays(engine)
    assert day_rows(engine) == days_from_hours(engine) and len(day_rows(engine)) == 7  # counts outlive the purge
    # a bulk loader's rebuild gives the same rows
    with write_session(engine) as session:
        assert gate.rebuild_kept(session.connection())["gate_person_site"] == len(recounted_stays(engine))
    assert kept_stays(engine) == recounted_stays(engine)


def test_rebuilds_equal_what_the_writes_kept(engine, world):
    """gate.rebuild_kept (the demo's and the city benchmark's) on both databases: on PostgreSQL the counts'
    rebuild streams its read and then inserts (an executemany on a server-side cursor was refused)."""
    for i, at in enumerate((dt.datetime(2020, 2, 25, 7, 5, tzinfo=TZ), dt.datetime(2020, 2, 25, 7, 50, tzinfo=TZ),
                            dt.datetime(2020, 2, 26, 0, 30, tzinfo=TZ))):
        gate.register("admin1", world["A" if i % 2 else "B"], entry(at=at, from_outside=bool(i), origin="武汉"),
                      engine=engine)
    with engine.connect() as conn:
        counts_before = conn.execute(sa.select(GateHourCount.site_id, GateHourCount.day, GateHourCount.hour,
                                               GateHourCount.entries, GateHourCount.exits, GateHourCount.from_outside)
                                     .order_by(GateHourCount.site_id, GateHourCount.day, GateHourCount.hour)).all()
    stays_before = kept_stays(engine)
    days_before = day_rows(engine)
    assert days_before == days_from_hours(engine) and len(days_before) == 3
    with write_session(engine) as session:
        assert gate.rebuild_kept(session.connection()) == {"gate_hour_count": 3, "gate_day_count": 3,
                                                           "gate_person_site": 2}
    assert day_rows(engine) == days_before
    with engine.connect() as conn:
        assert conn.execute(sa.select(GateHourCount.site_id, GateHourCount.day, GateHourCount.hour,
                                      GateHourCount.entries, GateHourCount.exits, GateHourCount.from_outside)
                            .order_by(GateHourCount.site_id, GateHourCount.day, GateHourCount.hour)).all() == counts_before
    assert kept_stays(engine) == stays_before == recounted_stays(engine)


def test_concurrent_registrations_keep_person_sites_exact(engine, world):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every write transaction (BEGIN IMMEDIATE)")
    barrier, errors = threading.Barrier(4), []
    numbers = [ID_A, ID_B]
    # one write first: the test database's line_version has no "gate" row yet, and versions.bump's first
    # insert of a line is not made for writers racing (a fresh database has the row from its migration)
    gate.register("admin1", world["A"], entry(at=dt.datetime(2020, 2, 25, 8, 0, tzinfo=TZ)), engine=engine)

    def one(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            for k in range(4):  # the same two people at both compounds from four gates at once
                at = dt.datetime(2020, 2, 26, 8, 10 * k + i, tzinfo=TZ)
                gate.register("admin1", world["A" if (i + k) % 2 else "B"],
                              entry(doc_number=numbers[k % 2], phone=None, at=at), engine=engine)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    at_once(one, 4)
    assert errors == []
    assert count(engine, GateRegistration) == 17
    stays = kept_stays(engine)
    assert stays == recounted_stays(engine) and len(stays) == 4 and sum(n for *_, n in stays.values()) == 17
    assert day_rows(engine) == days_from_hours(engine)
    assert sum(e for e, _, _ in day_rows(engine).values()) == 17
    multi = gate.multi_compound("admin1", Filters(start=dt.date(2020, 2, 26), end=dt.date(2020, 2, 26)), engine=engine)
    assert sorted(multi["compounds"]) == [2, 2]


def test_multi_compound_reads_the_kept_stays(engine, world):
    """People at 2+ compounds: grouped from gate_person_site (never a GROUP BY over the registrations); a stay
    overlapping the range counts; names and masks from the latest registration up to the range's end; a zone or
    a compound chosen counts only the compounds in it."""
    gate.register("admin1", world["A"], entry(name="张三旧", at=dt.datetime(2020, 2, 10, 9, 0, tzinfo=TZ)),
                  engine=engine)
    gate.register("admin1", world["B"], entry(at=dt.datetime(2020, 2, 20, 9, 0, tzinfo=TZ)), engine=engine)
    gate.register("admin1", world["A"], entry(name="张三新", at=dt.datetime(2020, 2, 25, 9, 0, tzinfo=TZ)),
                  engine=engine)
    gate.register("admin1", world["A"], entry(doc_number=ID_B, name="李四"), engine=engine)  # one compound only
    statements = []

    def note(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        multi = gate.multi_compound("admin1", Filters(start=dt.date(2020, 2, 1), end=dt.date(2020, 2, 26)),
                                    engine=engine)
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    assert not any("GROUP BY" in s.upper() and "gate_registration" in s for s in statements)
    assert list(multi["name"]) == ["张三新"] and list(multi["compounds"]) == [2]
    assert multi["sites"].iloc[0] == "阳光小区、幸福小区"  # first visited first
    assert multi["last_at"].iloc[0] == dt.datetime(2020, 2, 25, 9, 0, tzinfo=TZ)
    # the range ends before the last pass: the name then; the stay at A (10th-25th) overlaps it, B (20th) too
    until = gate.multi_compound("admin1", Filters(start=dt.date(2020, 2, 20), end=dt.date(2020, 2, 21)),
                                engine=engine)
    assert list(until["name"]) == ["张三"] and until["last_at"].iloc[0] == dt.datetime(2020, 2, 20, 9, 0, tzinfo=TZ)
    # a day after every stay at B ended: one compound left
    assert gate.multi_compound("admin1", Filters(start=dt.date(2020, 2, 24), end=dt.date(2020, 2, 26)),
                               engine=engine).empty
    assert gate.multi_compound("admin1", Filters(zone_id=world["z1"]), engine=engine).empty  # A only
    assert gate.multi_compound("admin1", Filters(site_id=world["A"]), engine=engine).empty
    assert len(gate.multi_compound("admin1", Filters(), limit=1, engine=engine)) == 1


def test_daily_sums_per_day_in_sql_and_per_compound_on_request(engine, world):
    gate.register("admin1", world["A"], entry(at=dt.datetime(2020, 2, 25, 9, 0, tzinfo=TZ)), engine=engine)
    gate.register("admin1", world["B"], entry(at=dt.datetime(2020, 2, 25, 10, 0, tzinfo=TZ)), engine=engine)
    gate.register("admin1", world["B"], entry(direction="out", at=dt.datetime(2020, 2, 26, 8, 0, tzinfo=TZ)),
                  engine=engine)
    span = Filters(start=dt.date(2020, 2, 1), end=dt.date(2020, 2, 26))
    days = gate.daily(span, engine=engine)
    assert list(days.columns) == ["day", "entries", "exits", "from_outside"]
    assert [(d, e, x) for d, e, x in zip(days["day"], days["entries"], days["exits"])] == [
        (dt.date(2020, 2, 25), 2, 0), (dt.date(2020, 2, 26), 0, 1)]
    z1 = gate.daily(Filters(start=span.start, end=span.end, zone_id=world["z1"]), engine=engine)
    assert list(z1["entries"]) == [1] and list(z1["day"]) == [dt.date(2020, 2, 25)]
    b = gate.daily(Filters(start=span.start, end=span.end, site_id=world["B"]), engine=engine)
    assert list(b["entries"]) == [1, 0] and list(b["exits"]) == [0, 1]
    per_site = gate.daily(span, per_site=True, engine=engine)
    assert list(per_site.columns) == ["day", "site_id", "site", "zone", "entries", "exits", "from_outside"]
    assert len(per_site) == 3 and int(per_site["entries"].sum()) == 2
