"""No full ID number or phone anywhere (issue 17): on a page, in an export, an audit line, a log line or the database.

Known numbers are registered in a fresh demo database (SQLite and PostgreSQL) through the data layer
(gate.register, gate.import_registrations, people.save_person) and through the entry page itself, with the
failure paths too (a refused registration, an import file with a broken row). Then every page app.PAGES
registers (read from app.py, so a page added later is covered the day it lands) is opened for every role in
both languages, plus the wall, and everything collected is searched for each number, also written with
separators ("139 1234 5678", "110101-1980…"):
- every element of the page: its protobuf as sent to the browser (markdown, captions, alerts, metrics,
  dataframes' and charts' Arrow data, tables, select options, labels, placeholders) and the decoded texts;
- every file a download button offers, made as a click would make it (CSV as text, .xlsx cell by cell);
- the audit_log table, the log file (DASHBOARD_LOG) and everything logged during the test;
- SQLite: the database file's raw bytes with its -wal and -shm; PostgreSQL: every row of every table as text.
The masked forms are looked for too (on the gate list, the people list and the audit log), so the test sees
the numbers' rows and would fail if they were shown whole.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from streamlit.runtime.dataframe_source_manager import DataframeSourceManager
from streamlit.runtime.media_file_manager import MediaFileManager

from data_access import auth, clock, gate, people, personal
from data_access.errors import DataError, ValidationError
from tests.app_pages import app_pages
from tests.apptest_helpers import app, open_in

ROLES = ("admin", "supervisor", "clerk", "viewer")
LANGS = ("zh", "en")
WALL_KEY = "demo-wall"
FORM = "gate_form"


def resident_id(body17: str) -> str:
    """A checksum-valid resident ID for a 17-digit body."""
    return body17 + personal.id_check_character(body17)


# The known numbers: none of them in the demo data (area 99xxxx, phones 1700000xxxx-1700009xxxx).
ID_A = resident_id("11010119800307123")       # registered through gate.register
ID_B = resident_id("44030519911231456")       # registered with an origin, from outside
ID_C = resident_id("32010219750615002")       # in an import file with a broken row: never saved
ID_D = resident_id("51010719880808441")       # imported
ID_E = resident_id("33010619921102277")       # typed into the entry page
PASSPORT = "EA1234567"                        # 9 characters, other document
HK_PERMIT = "H12345678901"                    # 12 characters: a mask must hide most of it
PHONE_A, PHONE_B, PHONE_C, PHONE_D, PHONE_E = "13912345678", "15887654321", "18611223344", "13655556666", "15011118888"
PHONE_P = "18922334455"                       # a person's phone (people.save_person)
BAD_PHONE = "12912345678"                     # 11 digits, not a mobile number (second digit 2)
BAD_ID = ID_A[:17] + ("0" if ID_A[17] != "0" else "1")  # the check digit wrong
KNOWN = {"ID_A": ID_A, "ID_B": ID_B, "ID_C": ID_C, "ID_D": ID_D, "ID_E": ID_E, "PASSPORT": PASSPORT,
         "HK_PERMIT": HK_PERMIT, "PHONE_A": PHONE_A, "PHONE_B": PHONE_B, "PHONE_C": PHONE_C, "PHONE_D": PHONE_D,
         "PHONE_E": PHONE_E, "PHONE_P": PHONE_P, "BAD_PHONE": BAD_PHONE, "BAD_ID": BAD_ID}
_SEP = r"[\s\-－—.·/_,，]*"  # what people put between digit groups


def _pattern(number: str) -> re.Pattern:
    return re.compile(_SEP.join(re.escape(ch) for ch in number), re.IGNORECASE)


PATTERNS = {name: _pattern(number) for name, number in KNOWN.items()}
PATTERNS_BYTES = {name: re.compile(p.pattern.encode("utf-8"), re.IGNORECASE) for name, p in PATTERNS.items()}


def leaks(text: str, where: str) -> list[str]:
    found = []
    for name, pattern in PATTERNS.items():
        hit = pattern.search(text)
        if hit:
            start = max(0, hit.start() - 60)
            found.append(f"{where}: {name} {hit.group(0)!r} in …{text[start:hit.end() + 60]!r}…")
    return found


def byte_leaks(data: bytes, where: str) -> list[str]:
    return [f"{where}: {name} at byte {hit.start()}" for name, pattern in PATTERNS_BYTES.items()
            if (hit := pattern.search(data))]


def test_the_patterns_find_numbers_with_separators():
    assert leaks("tel 139 1234 5678.", "x") and leaks("139-1234-5678", "x") and leaks("+86 13912345678", "x")
    assert leaks(" ".join([ID_A[:6], ID_A[6:14], ID_A[14:]]).lower(), "x")
    assert not leaks(personal.mask_phone(PHONE_A) + " " + personal.mask_id(ID_A), "x")
    assert len(set(KNOWN.values())) == len(KNOWN) and personal.valid_resident_id(BAD_ID) is None
    assert all(personal.valid_resident_id(n) == n for n in (ID_A, ID_B, ID_C, ID_D, ID_E))


# ---- what pages show and offer --------------------------------------------------------------------

class Downloads:
    """Every file a download button offers during the test: bytes given at once, and the deferred ones
    (made when clicked) called as a click would; and every row of a table the browser would fetch in chunks."""

    def __init__(self, monkeypatch):
        self.files: list[tuple[str, object]] = []
        add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred
        files = self.files

        def recording_add(self_, data, mimetype, coordinates, file_name=None, *args, **kwargs):
            if isinstance(data, (bytes, bytearray, str)):
                files.append((f"{coordinates} {file_name}", data))
            return add(self_, data, mimetype, coordinates, file_name, *args, **kwargs)

        def recording_deferred(self_, callable_, mimetype, coordinates, file_name=None, *args, **kwargs):
            files.append((f"{coordinates} {file_name} (deferred)", callable_))
            return add_deferred(self_, callable_, mimetype, coordinates, file_name, *args, **kwargs)

        register_source = DataframeSourceManager.register_source

        def recording_source(self_, source, coordinates, *args, **kwargs):  # a long table sent in chunks: all its rows
            files.append((f"{coordinates} dataframe rows (lazy)",
                          lambda: source.load_rows(0, source.row_count or 1_000_000).to_pandas().to_csv()))
            return register_source(self_, source, coordinates, *args, **kwargs)

        monkeypatch.setattr(DataframeSourceManager, "register_source", recording_source)
        monkeypatch.setattr(MediaFileManager, "add", recording_add)
        monkeypatch.setattr(MediaFileManager, "add_deferred", recording_deferred)

    def take(self) -> list[tuple[str, object]]:
        taken = list(self.files)
        self.files.clear()
        return taken


def file_text(name: str, data) -> str:
    """A downloaded file as text: CSV/HTML decoded, an .xlsx workbook cell by cell (its zip is compressed)."""
    if callable(data):
        data = data()
    if hasattr(data, "read"):
        data = data.read()
    if isinstance(data, str):
        return data
    data = bytes(data)
    if data.startswith(b"PK\x03\x04"):
        parts = []
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                parts.append("\t".join("" if v is None else str(v) for v in row))
        with zipfile.ZipFile(io.BytesIO(data)) as archive:  # and every part of the file as stored
            parts.extend(archive.read(member).decode("utf-8", "replace") for member in archive.namelist())
        return "\n".join(parts)
    return data.decode("utf-8-sig", "replace")


def _nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


INPUTS = ("text_input", "text_area", "number_input", "chat_input")


def page_text(at, typed_values: bool = True) -> str:
    """Everything the page sends the browser: each element's protobuf (Arrow data included) and its
    decoded value. typed_values=False leaves out what a person typed into a box (a refused number is
    kept in its box on purpose: it is theirs, on their screen), keeping the box's label and placeholder."""
    parts = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if proto is None:
            continue
        if not typed_values and kind in INPUTS:
            parts.extend(str(getattr(proto, f, "")) for f in ("label", "placeholder", "help"))
            continue
        try:
            parts.append(proto.SerializeToString().decode("utf-8", "replace"))
        except Exception:  # noqa: BLE001 - a node without a serialisable proto: its text form then
            parts.append(str(proto))
        value = getattr(node, "value", None) if kind not in INPUTS or typed_values else None
        if kind in ("dataframe", "table") and value is not None:
            parts.append(value.to_csv())
        elif isinstance(value, str):
            parts.append(value)
    return "\n".join(parts)


def _masked_seen(text: str) -> set[str]:
    masks = {"ID_A": personal.mask_id(ID_A), "ID_B": personal.mask_id(ID_B), "PHONE_A": personal.mask_phone(PHONE_A),
             "PHONE_B": personal.mask_phone(PHONE_B), "PHONE_P": personal.mask_phone(PHONE_P),
             "ID_D": personal.mask_id(ID_D), "ID_E": personal.mask_id(ID_E)}
    return {name for name, mask in masks.items() if mask in text}


# ---- the registrations --------------------------------------------------------------------------

def _xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["时间", "进出", "证件类型", "证件号码", "姓名", "楼盘座号", "电话", "是否外地", "来源地", "体温"])
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows(min_row=2, min_col=4, max_col=4):  # the number column as text, as the help says
        for cell in row:
            cell.number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _refusal_text(error: DataError) -> str:
    fields = getattr(error, "errors", [])
    return "\n".join([str(error), repr(error)] + [f"{f!r} {f.text('zh')} {f.text('en')}" for f in fields])


def register_known(engine) -> dict:
    """The known numbers into the database through the data layer, the refused ones refused; returns what
    the checks need (the compounds, the failure texts)."""
    clerk_sites = gate.compounds("clerk")
    all_sites = gate.compounds("admin")
    site_a = int(clerk_sites["site_id"].iloc[0])
    site_b = int(next(s for s in all_sites["site_id"] if int(s) != site_a))
    now = clock.now()
    # the evening before the demo's now: the last day of the filter bar's default range, newest on the list
    evening = clock.local_midnight(clock.today()) - dt.timedelta(minutes=30)
    first = gate.register("admin", site_a, {"direction": "in", "at": evening, "doc_type": "resident_id",
                                            "doc_number": f"{ID_A[:6]} {ID_A[6:14]} {ID_A[14:].lower()}",
                                            "name": "韩梅梅", "building": "3号楼2单元501", "phone": "139 1234 5678",
                                            "temperature": "36.6"})
    gate.register("clerk", site_a, {"direction": "in", "at": evening + dt.timedelta(minutes=5), "doc_type": "身份证",
                                    "doc_number": ID_B, "name": "李雷", "building": "5号楼101", "phone": PHONE_B,
                                    "from_outside": True, "origin": "湖北武汉", "temperature": 37.5})
    gate.register("admin", site_b, {"direction": "out", "at": evening + dt.timedelta(minutes=10), "doc_type": "passport",
                                    "doc_number": PASSPORT, "name": "Jim Green", "phone": None})
    gate.register("admin", site_b, {"direction": "in", "at": evening + dt.timedelta(minutes=15), "doc_type": "hk_macao",
                                    "doc_number": HK_PERMIT, "name": "陈小明", "phone": "+86 " + PHONE_C[:3] + "-"
                                    + PHONE_C[3:7] + "-" + PHONE_C[7:]})
    # ID_A again at the second compound: a person at 2 compounds, in the follow-up list (masked)
    found = gate.find_person("admin", site_b, PHONE_A)
    assert found and found["doc_masked"] == personal.mask_id(ID_A) and ID_A not in repr(found)
    gate.register("admin", site_b, {"direction": "in", "at": evening + dt.timedelta(minutes=20), "doc_type": "resident_id", "doc_number": "",
                                    "name": "韩梅梅", "phone": ""}, reuse_from=found["registration_id"])
    refusals = []
    for fields in ({"doc_number": BAD_ID, "phone": PHONE_A}, {"doc_number": ID_A, "phone": BAD_PHONE},
                   {"doc_number": ID_B[:-1], "phone": PHONE_B[:-1]}):
        with pytest.raises(ValidationError) as refused:
            gate.register("clerk", site_a, {"direction": "in", "name": "某人", "doc_type": "resident_id", **fields})
        refusals.append(("gate.register refused", _refusal_text(refused.value)))
    # an import with a broken row: nothing saved, and the messages name line and column, never a number
    broken = _xlsx([[f"{now:%Y-%m-%d} 08:00", "进", "身份证", ID_C, "王芳", "1号楼", PHONE_C, "否", "", "36.5"],
                    [f"{now:%Y-%m-%d} 08:05", "进", "身份证", BAD_ID, "赵强", "2号楼", BAD_PHONE, "否", "", "36.4"],
                    [f"{now:%Y-%m-%d} 08:06", "出", "身份证", ID_C[:-1], "孙丽", "2号楼", PHONE_D + "9", "否", "", "x"]])
    with pytest.raises(ValidationError) as refused:
        gate.import_registrations("clerk", site_a, broken, "register.xlsx")
    refusals.append(("gate.import_registrations refused", _refusal_text(refused.value)))
    good = _xlsx([[f"{now:%Y-%m-%d} 07:30", "进", "身份证", ID_D, "周杰", "7号楼", PHONE_D, "是", "广东深圳", "36.8"]])
    assert gate.import_registrations("clerk", site_a, good, f"门岗{PHONE_D}.xlsx")  # a number in a file name == {"created": 1}
    # a person with a phone; a refused phone and a refused import row
    unit_id = int(people.units()["unit_id"].iloc[0])
    person = people.save_person("admin", None, {"name": "刘洋", "unit_id": unit_id, "title": "组长",
                                                "phone": "189 2233 4455"})
    with pytest.raises(ValidationError) as refused:
        people.save_person("admin", None, {"name": "刘海", "unit_id": unit_id,
                                           "phone": BAD_PHONE})
    refusals.append(("people.save_person refused", _refusal_text(refused.value)))
    with pytest.raises(ValidationError) as refused:  # someone else's number: named by its owner, not repeated
        people.save_person("admin", None, {"name": "刘海", "unit_id": unit_id,
                                           "phone": PHONE_P})
    refusals.append(("people.save_person duplicate", _refusal_text(refused.value)))
    # full views by an admin: audited rows, which must hold no number
    assert gate.full_record("admin", first) == {"doc_number": ID_A, "phone": PHONE_A}
    assert people.full_phone("admin", person) == PHONE_P
    return {"site_a": site_a, "site_b": site_b, "refusals": refusals, "person": person, "first": first}


# ---- the places numbers could end up ------------------------------------------------------------

def database_text(engine) -> str:
    """Every row of every table as text (PostgreSQL: row::text; SQLite: every column cast to text)."""
    inspector = sa.inspect(engine)
    parts = []
    with engine.connect() as conn:
        for table in inspector.get_table_names():
            if engine.dialect.name == "postgresql":
                rows = conn.execute(sa.text(f'SELECT t::text FROM "{table}" AS t')).scalars()
            else:
                columns = ", ".join(f'CAST("{c["name"]}" AS TEXT)' for c in inspector.get_columns(table))
                rows = ("\t".join("" if v is None else str(v) for v in row)
                        for row in conn.execute(sa.text(f'SELECT {columns} FROM "{table}"')))
            parts.append(f"== {table}\n" + "\n".join(rows))
    return "\n".join(parts)


def sqlite_files(engine) -> list[Path]:
    path = Path(engine.url.database)
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")) if p.exists()]


@pytest.fixture
def log_file(tmp_path, monkeypatch):
    """DASHBOARD_LOG in the test's folder, made anew for this test; every record logged meanwhile kept too."""
    from ui import startup

    path = tmp_path / "app.log"
    monkeypatch.setenv("DASHBOARD_LOG", str(path))
    before = list(startup.log.handlers)
    monkeypatch.setattr(startup.configure_logging, "done", False, raising=False)
    startup.configure_logging()
    everything = logging.FileHandler(tmp_path / "all.log", encoding="utf-8")
    everything.setLevel(logging.DEBUG)
    everything.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(everything)
    level = root.level
    root.setLevel(logging.DEBUG)
    yield path, tmp_path / "all.log"
    root.removeHandler(everything)
    root.setLevel(level)
    everything.close()
    for handler in list(startup.log.handlers):
        if handler not in before:
            startup.log.removeHandler(handler)
            handler.close()


# ---- the test ---------------------------------------------------------------------------------------

def _entry_page_failures_and_a_save(lang: str, downloads: Downloads) -> tuple[list[str], str]:
    """The entry page as the gate's clerk: a refused ID and phone (messages never repeat them), a look-up of
    a returning person (pre-filled masked), a save with a 12-character permit (the confirmation masked)."""
    failures = []
    at = open_in("gate", "pages/gate_entry.py", lang)
    at.text_input(key=f"{FORM}_doc_number").input(BAD_ID)
    at.text_input(key=f"{FORM}_name").input("某人")
    at.text_input(key=f"{FORM}_phone").input(BAD_PHONE)
    at.button(key=f"{FORM}_save").click().run()
    assert not at.exception, at.exception
    assert at.error or any("校验" in m.value or "check" in m.value for m in at.markdown), "no refusal shown"
    failures += leaks(page_text(at, typed_values=False), f"gate_entry/{lang} refused save")
    at.text_input(key=f"{FORM}_doc_number").input(ID_E)
    at.text_input(key=f"{FORM}_phone").input(PHONE_E)
    at.button(key=f"{FORM}_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    saved = page_text(at)
    failures += leaks(saved, f"gate_entry/{lang} saved")
    at.selectbox(key=f"{FORM}_doc_type").set_value("hk_macao")
    at.text_input(key=f"{FORM}_doc_number").input(HK_PERMIT)
    at.text_input(key=f"{FORM}_name").input("陈小明")
    at.button(key=f"{FORM}_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    permit = page_text(at)
    failures += leaks(permit, f"gate_entry/{lang} saved a permit")
    assert personal.mask_document("hk_macao", HK_PERMIT) in permit  # H1********01, as the lists show it
    assert personal.mask_id(HK_PERMIT) not in permit  # not 10 of its 12 characters
    at.text_input(key="gate_lookup").input(PHONE_E).run()  # a returning person: pre-filled, numbers masked
    assert not at.exception, at.exception
    failures += leaks(page_text(at), f"gate_entry/{lang} look-up")
    for name, data in downloads.take():
        failures += leaks(file_text(name, data), f"gate_entry/{lang} download {name}")
    return failures, saved


@pytest.mark.parametrize("language", LANGS, indirect=True)
def test_no_page_export_log_or_stored_text_holds_a_full_number(demo_engine, language, log_file, monkeypatch):
    lang = language
    downloads = Downloads(monkeypatch)
    known = register_known(demo_engine)
    failures = []
    for where, text in known["refusals"]:
        failures += leaks(text, where)
    entry_failures, saved = _entry_page_failures_and_a_save(lang, downloads)
    failures += entry_failures
    assert "ID_E" in _masked_seen(saved), "the entry page's confirmation shows the masked number"

    pages = [(entry[1], frozenset(entry[-1])) for entry in app_pages()]
    assert {"pages/gate.py", "pages/gate_entry.py", "pages/people.py", "pages/audit_log.py"} <= {p for p, _ in pages}
    masked: dict[str, set[str]] = {}
    opened = 0
    for role in ROLES:
        user = auth.authenticate(role, "demo")
        at = app({"lang": lang} if lang == "en" else None)
        at.session_state["actor"] = user
        at.run()
        failures += leaks(page_text(at), f"{role}/{lang} first page")
        for path, roles in pages:
            if role not in roles:
                continue
            at.session_state["lang"] = lang
            at.switch_page(path).run()
            assert not at.exception, (role, path, at.exception)
            opened += 1
            text = page_text(at)
            failures += leaks(text, f"{role}/{lang} {path}")
            masked.setdefault(f"{role} {path}", set()).update(_masked_seen(text))
            for name, data in downloads.take():
                exported = file_text(name, data)
                failures += leaks(exported, f"{role}/{lang} {path} download {name}")
                masked[f"{role} {path}"].update(_masked_seen(exported))
    wall = app({"key": WALL_KEY, **({"lang": lang} if lang == "en" else {})})
    wall.run()
    assert not wall.exception, wall.exception
    failures += leaks(page_text(wall), f"wall/{lang}")
    for name, data in downloads.take():
        failures += leaks(file_text(name, data), f"wall/{lang} download {name}")

    # the database: the audit log and every other table as text; SQLite's raw file too
    with demo_engine.connect() as conn:
        audit_rows = "\n".join(str(tuple(r)) for r in conn.execute(sa.text("SELECT * FROM audit_log")))
    failures += leaks(audit_rows, "audit_log table")
    assert personal.mask_id(ID_A) in audit_rows and personal.mask_phone(PHONE_P) in audit_rows
    assert "personal_view" in audit_rows
    failures += leaks(database_text(demo_engine), f"{demo_engine.dialect.name} tables")
    if demo_engine.dialect.name == "sqlite":
        files = sqlite_files(demo_engine)
        assert files and files[0].stat().st_size > 0
        for path in files:
            failures += byte_leaks(path.read_bytes(), f"sqlite file {path.name}")
    app_log, all_log = log_file
    for path in (app_log, all_log):
        if path.exists():
            failures += leaks(path.read_text(encoding="utf-8", errors="replace"), f"log {path.name}")

    assert not failures, "\n".join(failures)
    # the rows are there, masked: the test saw them (it would fail if they were shown whole)
    assert opened >= len([p for p, roles in pages if "admin" in roles])
    assert {"ID_A", "ID_B", "PHONE_A", "PHONE_B"} <= masked["admin pages/gate.py"], masked["admin pages/gate.py"]
    assert {"ID_A", "PHONE_A"} <= masked["clerk pages/gate.py"], masked["clerk pages/gate.py"]
    assert not masked.get("viewer pages/gate.py"), "viewers see counts only"
    assert "PHONE_P" in masked["admin pages/people.py"], masked["admin pages/people.py"]
    assert {"ID_A", "PHONE_P"} <= masked["admin pages/audit_log.py"], masked["admin pages/audit_log.py"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", ["zh"], indirect=True)
def test_a_phone_typed_in_a_search_box_reaches_the_cache_as_its_keyed_hash(demo_engine, language, monkeypatch):
    """ui.data.read keys its cache on the arguments: a phone searched for must not be one of them."""
    from ui import data as ui_data

    unit_id = int(people.units()["unit_id"].iloc[0])
    people.save_person("admin", None, {"name": "刘洋", "unit_id": unit_id, "phone": PHONE_P})
    keys, key_of = [], ui_data._key_of
    monkeypatch.setattr(ui_data, "_key_of", lambda *values: keys.append(repr(values)) or key_of(*values))
    at = open_in("admin", "pages/people.py", "zh")
    at.text_input(key="people_search").input("189 2233 4455").run()
    assert not at.exception, at.exception
    listed = next(frame.value for frame in at.dataframe if "phone_masked" in frame.value.columns)
    assert list(listed["phone_masked"]) == [personal.mask_phone(PHONE_P)]  # found by the number
    assert keys and not leaks("\n".join(keys), "cache keys")
    assert personal.search_term(" 189-2233-4455 ") == personal.HASHED_SEARCH + personal.lookup_hash(PHONE_P)
    assert personal.hashed_search(personal.search_term(PHONE_P)) == personal.hashed_search(PHONE_P)
    assert personal.search_term(" 刘洋 ") == "刘洋" and personal.hashed_search("刘洋") is None
