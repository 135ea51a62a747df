"""Issue 16's people core (data_access/people.py, personal.py) on SQLite and PostgreSQL: phones encrypted at rest
and found by their keyed hash, masking, a full view refused without a grant and audited with one, role refusals,
bad input, the Excel import (all or nothing, line and column named), A/B responsibility (A != B, audited), and
the reads that show lead cadres and owners taking their names from responsibility."""
from __future__ import annotations

import datetime as dt
import io
import os
import stat

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import auth, community, completeness, db, inspections, people, personal, reopening
from data_access.errors import ConflictError, PermissionDenied, ValidationError
from data_access.filters import Filters
from data_access.models import AuditLog, Enterprise, Person, Responsibility, Site
from tests.helpers import minimal_territory

PHONE = "13812345678"
DAY = dt.date(2020, 2, 25)


@pytest.fixture
def world(engine):
    """minimal_territory, a staff unit in each zone and a task force serving everywhere, two people in zone 1,
    one in zone 2 and one in the task force."""
    ids = minimal_territory(engine)
    ids["u1"] = people.save_unit("admin1", None, {"code": "z1-staff", "name": "一区工作人员", "kind": "zone_staff",
                                                  "zone_id": ids["z1"]}, engine=engine)
    ids["u2"] = people.save_unit("super1", None, {"code": "z2-staff", "name": "二区工作人员", "kind": "zone_staff",
                                                  "zone_id": ids["z2"]}, engine=engine)
    ids["tf"] = people.save_unit("admin1", None, {"code": "tax", "name": "税务局", "kind": "task_force"}, engine=engine)
    ids["zhang"] = people.save_person("admin1", None, {"name": "张三", "unit_id": ids["u1"], "phone": PHONE,
                                                       "title": "副科级干部"}, engine=engine)
    ids["li"] = people.save_person("super1", None, {"name": "李四", "unit_id": ids["u1"]}, engine=engine)
    ids["wang"] = people.save_person("admin1", None, {"name": "王五", "unit_id": ids["u2"], "phone": "13900001111"},
                                     engine=engine)
    ids["zhao"] = people.save_person("admin1", None, {"name": "赵六", "unit_id": ids["tf"]}, engine=engine)
    return ids


def count(engine, model, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def audits(engine, action: str, table: str) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.select(AuditLog).where(AuditLog.action == action, AuditLog.table_name == table)
                            .order_by(AuditLog.id)).all()


# ---- personal data at rest ------------------------------------------------------------------------------

def test_a_phone_is_kept_encrypted_and_found_by_its_keyed_hash(engine, world):
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM person WHERE id = :i"), {"i": world["zhang"]}).mappings().one()
    assert not any(PHONE in str(value) for value in row.values()), "the number in clear in the person table"
    assert row["phone_masked"] == "138****5678"
    assert row["phone_hash"] == personal.lookup_hash(PHONE) and len(row["phone_hash"]) == 64
    assert personal.decrypt(row["phone_cipher"]) == PHONE
    with engine.connect() as conn:  # nor in the audit log
        logged = conn.execute(sa.select(AuditLog.after).where(AuditLog.table_name == "person")).scalars().all()
    assert logged and not any(PHONE in (text or "") for text in logged)
    for typed in (PHONE, "+86 138-1234-5678", "138 1234 5678"):
        found = people.people(Filters(), search=typed, engine=engine)
        assert list(found["name"]) == ["张三"], typed
    assert list(people.people(Filters(), search="张", engine=engine)["name"]) == ["张三"]


def test_encryption_and_masks():
    assert personal.encrypt(PHONE) != personal.encrypt(PHONE)  # a fresh token each time
    assert personal.decrypt(personal.encrypt("王家村 13812345678")) == "王家村 13812345678"
    assert personal.lookup_hash(PHONE) == personal.lookup_hash(PHONE) != personal.lookup_hash("13812345679")
    assert personal.mask_phone(PHONE) == "138****5678"
    assert personal.mask_id("370687198001011234") == "370687********1234"
    assert personal.normal_phone("138-1234-5678") == PHONE
    assert personal.normal_phone(13812345678.0) == PHONE  # Excel's number
    assert personal.normal_phone("+8613812345678") == PHONE
    for bad in ("12812345678", "1381234567", "138123456789", "abc", "", None, True, 1.5, "０５３５"):
        assert personal.normal_phone(bad) is None, bad
    with pytest.raises(personal.KeyProblem):
        personal.decrypt("not-a-token")


def test_the_key_file_is_made_once_readable_by_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv(personal.KEY_ENV, raising=False)
    monkeypatch.setenv(personal.KEY_FILE_ENV, str(tmp_path / "keys" / "personal.key"))
    token = personal.encrypt(PHONE)
    path = tmp_path / "keys" / "personal.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert personal.decrypt(token) == PHONE  # the same key read back
    monkeypatch.setenv(personal.KEY_FILE_ENV, str(tmp_path / "other.key"))
    with pytest.raises(personal.KeyProblem):  # another key cannot read it
        personal.decrypt(token)



def test_without_a_set_key_only_the_embedded_database_makes_its_own(tmp_path, monkeypatch):
    """SQLite: a key file beside the database file. PostgreSQL: refused in words until the administrator sets
    one key for every app server (a key each server made for itself could not read the others' numbers)."""
    monkeypatch.delenv(personal.KEY_ENV, raising=False)
    monkeypatch.delenv(personal.KEY_FILE_ENV, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db' / 'dashboard.db'}")
    assert personal.decrypt(personal.encrypt(PHONE)) == PHONE
    assert (tmp_path / "db" / personal.KEY_FILE_NAME).exists()
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    with pytest.raises(personal.KeyProblem) as refused:
        personal.encrypt(PHONE)
    assert "DASHBOARD_PERSONAL_KEY" in refused.value.zh and "every app server" in refused.value.en

# ---- the full number: grants and the audit trail ------------------------------------------------------------

def test_a_full_view_is_refused_without_a_grant_and_audited_with_one(engine, world):
    for user in ("super1", "clerk1", "viewer1"):
        with pytest.raises(PermissionDenied):
            people.full_phone(user, world["zhang"], engine=engine)
    assert audits(engine, "personal_view", "person") == []
    assert people.full_phone("admin1", world["zhang"], engine=engine) == PHONE
    viewed = audits(engine, "personal_view", "person")
    assert [(v.username, v.row_id) for v in viewed] == [("admin1", world["zhang"])]

    with pytest.raises(PermissionDenied):  # only an admin grants
        people.grant_personal_data("super1", "super1", zone_id=world["z1"], engine=engine)
    grant = people.grant_personal_data("admin1", "super1", zone_id=world["z1"], engine=engine)
    assert people.may_view_personal("super1", world["z1"], engine=engine)
    assert not people.may_view_personal("super1", world["z2"], engine=engine)
    assert people.full_phone("super1", world["zhang"], engine=engine) == PHONE
    assert people.full_phone("super1", world["li"], engine=engine) == ""  # none stored
    with pytest.raises(PermissionDenied):  # zone 2 is not granted
        people.full_phone("super1", world["wang"], engine=engine)
    assert len(audits(engine, "personal_view", "person")) == 3
    assert list(people.grants(engine)["username"]) == ["super1"]

    people.revoke_personal_data("admin1", grant, engine=engine)
    with pytest.raises(PermissionDenied):
        people.full_phone("super1", world["zhang"], engine=engine)
    people.grant_personal_data("admin1", "viewer1", engine=engine)  # everywhere
    assert people.full_phone("viewer1", world["wang"], engine=engine) == "13900001111"
    assert [a.username for a in audits(engine, "grant", "personal_data_grant")] == ["admin1", "admin1"]
    assert [a.row_id for a in audits(engine, "revoke", "personal_data_grant")] == [grant]


# ---- who manages people ----------------------------------------------------------------------------

def test_clerks_and_viewers_cannot_manage_people_units_or_responsibility(engine, world):
    for user in ("clerk1", "viewer1"):
        with pytest.raises(PermissionDenied):
            people.save_person(user, None, {"name": "新人", "unit_id": world["u1"]}, engine=engine)
        with pytest.raises(PermissionDenied):
            people.save_unit(user, None, {"code": "x", "name": "x", "kind": "police"}, engine=engine)
        with pytest.raises(PermissionDenied):
            people.save_responsibility(user, {"site_id": world["cp1"]}, world["zhang"], engine=engine)
        with pytest.raises(PermissionDenied):
            people.import_people(user, _xlsx([["姓名", "单位"], ["新人", "一区工作人员"]]), "p.xlsx", engine=engine)
    assert count(engine, Person) == 4 and count(engine, Responsibility) == 0


def test_bad_input_is_refused_on_its_field_and_a_name_is_kept_as_typed(engine, world):
    cases = [
        ({"name": "新人", "unit_id": world["u1"], "phone": "12345"}, "phone"),
        ({"name": "  ", "unit_id": world["u1"]}, "name"),
        ({"name": "新人", "unit_id": 99999}, "unit_id"),
        ({"name": "新人", "unit_id": "abc"}, "unit_id"),
        ({"name": "新\x00人", "unit_id": world["u1"]}, "name"),
        ({"name": "新人", "unit_id": world["u1"], "status": "gone"}, "status"),
        ({"name": "新人", "unit_id": world["u1"], "phone": PHONE}, "phone"),  # already 张三's
    ]
    for fields, field in cases:
        with pytest.raises(ValidationError) as refused:
            people.save_person("admin1", None, fields, engine=engine)
        assert field in {f for _, f in refused.value.fields()}, fields
    html = "<b>王</b><script>alert(1)</script>"
    person_id = people.save_person("admin1", None, {"name": html, "unit_id": world["u1"]}, engine=engine)
    listed = people.people(Filters(zone_id=world["z1"]), engine=engine)
    assert listed.loc[listed["person_id"] == person_id, "name"].item() == html
    assert count(engine, Person) == 5


def test_an_edit_keeps_the_phone_unless_cleared_and_checks_the_version(engine, world):
    listed = people.people(Filters(), engine=engine)
    version = int(listed.loc[listed["person_id"] == world["zhang"], "version"].item())
    people.save_person("super1", world["zhang"], {"name": "张三", "unit_id": world["u1"], "title": "组长",
                                                  "phone": ""}, version=version, engine=engine)
    assert people.full_phone("admin1", world["zhang"], engine=engine) == PHONE
    with pytest.raises(ConflictError):  # a form loaded before that edit
        people.save_person("super1", world["zhang"], {"name": "张三", "unit_id": world["u1"]}, version=version,
                           engine=engine)
    people.save_person("super1", world["zhang"], {"name": "张三", "unit_id": world["u1"], "clear_phone": True},
                       engine=engine)
    assert people.full_phone("admin1", world["zhang"], engine=engine) == ""
    assert people.people(Filters(), search=PHONE, engine=engine).empty


# ---- reads -----------------------------------------------------------------------------------------------

def test_units_people_and_choices(engine, world):
    unit_rows = people.units(engine).set_index("code")
    assert unit_rows.loc["z1-staff", "people"] == 2 and pd.isna(unit_rows.loc["tax", "zone"])
    zone2 = people.people(Filters(zone_id=world["z2"]), engine=engine)
    assert set(zone2["name"]) == {"王五", "赵六"}  # the task force serves everywhere
    assert set(zone2.columns) >= {"person_id", "unit", "unit_kind", "zone", "title", "phone_masked", "status", "version"}
    people.save_person("admin1", world["li"], {"name": "李四", "unit_id": world["u1"], "status": "请假"}, engine=engine)
    choices = people.person_choices(world["z1"], engine=engine)
    assert list(choices["label"]) == ["张三（一区工作人员）", "赵六（税务局）"]
    assert list(people.people(Filters(), status="leave", engine=engine)["name"]) == ["李四"]


# ---- the Excel import -----------------------------------------------------------------------------------

def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_import_with_broken_rows_saves_nothing_and_names_each_line_and_column(engine, world):
    broken = _xlsx([
        ["姓名", "单位", "职务", "电话", "状态"],
        ["孙七", "一区工作人员", "干事", "13700001111", "在岗"],  # line 2: fine
        ["周八", "一区工作人员", None, "1370000", None],  # line 3: bad phone
        ["吴九", "没有的单位", None, None, None],  # line 4: unknown unit
        [None, "二区工作人员", None, "13700002222", None],  # line 5: no name
        ["郑十", "z2-staff", None, "137-0000-1111", "休假"],  # line 6: the number of line 2 again, bad status
    ])
    before = count(engine, Person)
    with pytest.raises(ValidationError) as refused:
        people.import_people("super1", broken, "人员.xlsx", engine=engine)
    assert refused.value.fields() == {(3, "phone"), (4, "unit"), (5, "name"), (6, "phone"), (6, "status")}
    assert count(engine, Person) == before

    with pytest.raises(ValidationError) as refused:
        people.import_people("super1", _xlsx([["姓名", "电话"], ["孙七", PHONE]]), "p.xlsx", engine=engine)
    assert refused.value.fields() == {(1, "unit")}
    with pytest.raises(ValidationError) as refused:
        people.import_people("super1", b"name,unit\n", "p.csv", engine=engine)
    assert refused.value.fields() == {(None, "file")}


def test_an_import_adds_people_and_updates_those_it_matches(engine, world):
    sheet = _xlsx([
        ["name", "unit", "title", "phone", "status"],
        ["孙七", "一区工作人员", "干事", "13700001111", "active"],
        ["张三", "z1-staff", "组长", PHONE, None],  # matched by the phone's hash
        ["李四", "一区工作人员", "联络员", None, "请假"],  # matched by name and unit
    ])
    assert people.import_people("admin1", sheet, "people.xlsx", engine=engine) == {"created": 1, "updated": 2}
    listed = people.people(Filters(), engine=engine).set_index("name")
    assert listed.loc["张三", "title"] == "组长" and listed.loc["李四", "status"] == "leave"
    assert listed.loc["孙七", "phone_masked"] == "137****1111"
    assert people.full_phone("admin1", int(listed.loc["孙七", "person_id"]), engine=engine) == "13700001111"


# ---- A/B responsibility ---------------------------------------------------------------------------------

def test_responsibility_needs_an_a_not_b_serving_and_is_audited(engine, world):
    site = {"site_id": world["cp1"]}
    for a, b, field in ((world["zhang"], world["zhang"], "b_person_id"), (None, world["li"], "a_person_id"),
                        (99999, None, "a_person_id")):
        with pytest.raises(ValidationError) as refused:
            people.save_responsibility("super1", site, a, b, engine=engine)
        assert field in {f for _, f in refused.value.fields()}
    with pytest.raises(ValidationError):
        people.save_responsibility("super1", {"site_id": world["cp1"], "enterprise_id": 1}, world["zhang"], engine=engine)
    with pytest.raises(ValidationError):
        people.save_responsibility("super1", {"line": "nonsense", "zone_id": world["z1"]}, world["zhang"], engine=engine)

    row_id = people.save_responsibility("super1", site, world["zhang"], world["li"], engine=engine)
    inserted = audits(engine, "insert", "responsibility")
    assert '"a_person": "张三"' in inserted[0].after and '"b_person": "李四"' in inserted[0].after
    with pytest.raises(ConflictError):  # someone saved it first: the form thought there was none
        people.save_responsibility("super1", site, world["li"], None, engine=engine)
    people.save_responsibility("admin1", site, world["li"], world["zhao"], version=1, engine=engine)
    updated = audits(engine, "update", "responsibility")
    assert [u.row_id for u in updated] == [row_id]
    assert '"a_person": "张三"' in updated[0].before and '"a_person": "李四"' in updated[0].after
    with pytest.raises(ConflictError):  # stale version
        people.save_responsibility("admin1", site, world["zhang"], None, version=1, engine=engine)

    people.save_person("admin1", world["wang"], {"name": "王五", "unit_id": world["u2"], "status": "left"}, engine=engine)
    with pytest.raises(ValidationError) as refused:
        people.save_responsibility("super1", {"line": "duty", "zone_id": world["z2"]}, world["wang"], engine=engine)
    assert refused.value.fields() == {(None, "a_person_id")}
    people.save_responsibility("super1", {"line": "duty", "zone_id": world["z2"]}, world["zhao"], engine=engine)

    table = people.responsibilities(Filters(zone_id=world["z2"]), engine=engine)
    duty = table[(table["target_kind"] == "line") & (table["line"] == "duty")].iloc[0]
    assert duty["a_name"] == "赵六" and duty["b_name"] is None and duty["version"] == 1
    assert (table["target_kind"] == "line").sum() == 7  # every line of the zone, named or not
    with db.write_session(engine) as session:  # the database refuses A = B on its own too
        session.execute(sa.update(Responsibility).where(Responsibility.id == row_id)
                        .values(b_person_id=None))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.update(Responsibility).where(Responsibility.id == row_id).values(b_person_id=world["li"]))


# ---- the reads that show lead cadres and owners ---------------------------------------------------------

def test_lead_cadres_and_owners_come_from_responsibility(engine, world):
    with db.write_session(engine) as session:
        firm = Enterprise(name="某厂", zone_id=world["z1"], department="safety", owner="旧名", owner_backup="旧名二",
                          version=1)
        session.add(firm)
        session.execute(sa.update(Site).where(Site.id == world["cp1"]).values(lon=120.9, lat=37.3))  # on the map
        session.flush()
        firm_id = firm.id
    people.save_responsibility("super1", {"site_id": world["cp1"]}, world["zhang"], world["li"], engine=engine)
    people.save_responsibility("super1", {"site_id": world["village"]}, world["li"], engine=engine)
    people.save_responsibility("super1", {"enterprise_id": firm_id}, world["zhang"], world["zhao"], engine=engine)
    end = Filters(start=DAY, end=DAY)

    points = inspections.duty_points(end, engine=engine).set_index("name")
    assert points.loc["东卡口", "lead_cadre"] == "张三 / 李四"
    assert pd.isna(points.loc["西卡口", "lead_cadre"])
    assert community.checkpoint_places(end, engine=engine).set_index("name").loc["东卡口", "lead_cadre"] == "张三 / 李四"
    assert community.site_coverage(end, engine=engine).set_index("name").loc["王家村", "lead_cadre"] == "李四"
    assert community.map_sites(end, engine=engine).set_index("name").loc["王家村", "lead_cadre"] == "李四"
    assert community.least_covered(end, engine=engine).set_index("name").loc["王家村", "lead_cadre"] == "李四"
    status = completeness.day_status(DAY, Filters(), now=dt.datetime(2020, 2, 27, tzinfo=dt.timezone.utc),
                                     engine=engine).set_index("name")
    assert "张三 / 李四" in status.loc["东卡口", "responsible"]
    firms = reopening.enterprises(end, engine=engine)
    assert tuple(firms.iloc[0][["owner", "owner_backup"]]) == ("张三", "赵六")
    assert (reopening.detail(firm_id, engine=engine)["owner"], reopening.detail(firm_id, engine=engine)["owner_backup"]) \
        == ("张三", "赵六")


def test_a_driver_error_never_carries_the_values_it_was_given(engine):
    """What the log keeps of a refused statement is its SQL, not its bound values (a name, a note, a number)."""
    with pytest.raises(sa.exc.DBAPIError) as refused:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO person (name, unit_id, status, version) VALUES (:n, :u, 'active', 1)"),
                         {"n": "电话" + PHONE, "u": 999_999})  # no such unit: the foreign key refuses it
    assert PHONE not in str(refused.value) and "hidden" in str(refused.value)
