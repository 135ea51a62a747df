"""Issue 9, item 8: text a column cannot hold, and NUL bytes, get a field message on both databases
(PostgreSQL refuses both with a database error; SQLite would store them silently)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import auth, community, inspections, reopening, shops, traffic_entry
from data_access.errors import ValidationError
from data_access.filters import Filters
from data_access.models import DisplayKey, Enterprise, Finding, Site, SurveyRound, User
from data_access.validate import Checker, clean_search, column_length

TODAY = dt.date(2020, 2, 26)
NUL = "a\x00b"
ALL_PASS = {name: True for name in inspections.CHECKS}


def field_errors(call) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ValidationError) as refused:
        call()
    return [(e.row, e.field, e.en) for e in refused.value.errors]


def test_lengths_come_from_the_model_columns():
    assert column_length(User.display_name) == User.__table__.c.display_name.type.length == 100
    assert column_length(Finding.owner) == 64
    assert column_length(Finding.description) == 2_000  # a Text column: the common limit
    check = Checker(TODAY)
    assert check.text("name", "x" * 100, column=User.display_name) == "x" * 100
    assert check.text("name", "x" * 101, column=User.display_name) is None
    assert check.errors[0].en == "too long (at most 100 characters, this has 101)"


@pytest.mark.parametrize("value", ["\x00", "a\x07b", "a\x1bb", "a\x7fb", "a\x85b", "a\ud800b"])
def test_control_characters_and_lone_surrogates_are_refused(value):
    check = Checker(TODAY)
    assert check.text("note", value) is None
    assert check.errors[0].en == "contains control characters (such as NUL)"


def test_tabs_and_line_breaks_are_ordinary_text():
    assert Checker(TODAY).text("note", "第一行\r\n第二行\t完") == "第一行\r\n第二行\t完"


# ---- accounts and display keys --------------------------------------------------------------------

def test_a_display_name_longer_than_its_column(demo_engine):
    assert field_errors(lambda: auth.add_user("wu", "pass1-long", "viewer", "名" * 101, engine=demo_engine)) == [
        (None, "display_name", "too long (at most 100 characters, this has 101)")]
    auth.add_user("wu", "pass1-long", "viewer", "名" * 100, engine=demo_engine)
    with demo_engine.connect() as conn:
        assert conn.execute(sa.select(User.display_name).where(User.username == "wu")).scalar_one() == "名" * 100


@pytest.mark.parametrize("call, field", [
    (lambda e: auth.add_user("wu", "pass1-long", "viewer", NUL, engine=e), "display_name"),
    (lambda e: auth.add_user("wu", "pass1-long", "clerk", None, ["Z\x001"], engine=e), "zone"),
    (lambda e: auth.add_user("w\x00u", "pass1-long", "viewer", engine=e), "username"),
    (lambda e: auth.add_user("w" * 65, "pass1-long", "viewer", engine=e), "username"),
    (lambda e: auth.set_active("ad\x00min", False, engine=e), "username"),
    (lambda e: auth.set_password("ad\x00min", "pass1-long", engine=e), "username"),
    (lambda e: auth.create_display_key(NUL, engine=e), "label"),
    (lambda e: auth.create_display_key("屏" * 101, engine=e), "label"),
])
def test_account_text_is_checked(demo_engine, call, field):
    assert [f for _, f, _ in field_errors(lambda: call(demo_engine))] == [field]
    with demo_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(DisplayKey)).scalar_one() == 1


@pytest.mark.parametrize("username, password", [("ad\x00min", "demo"), ("admin\x00", "demo"), ("\x00", ""),
                                                ("a" * 5000, "demo"), ("ad\ud800min", "demo"), ("admin", "de\x00mo"),
                                                ("admin", "de\ud800mo")])
def test_sign_in_with_nul_or_odd_text_simply_fails(demo_engine, username, password):
    assert auth.authenticate(username, password, demo_engine) is None
    assert auth.authenticate("admin", "demo", demo_engine) is not None


def test_a_display_key_that_cannot_be_encoded_opens_nothing(demo_engine):
    assert auth.check_display_key("demo\ud800wall", demo_engine) is None
    assert auth.check_display_key("demo\x00wall", demo_engine) is None


# ---- search boxes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("search", ["\x00", "超\x00市", "\x00\x01", "%_\\", "a" * 500])
def test_shop_search_with_nul_matches_nothing_odd_and_never_fails(demo_engine, search):
    filters = Filters(start=dt.date(2020, 2, 1), end=dt.date(2020, 2, 25))
    table = shops.shop_table(filters, search=search, engine=demo_engine)
    assert shops.count_shops(filters, search=search, engine=demo_engine) == (len(table) if len(table) < 1000 else 1000)
    cleaned = clean_search(search)
    assert all(cleaned in name for name in table["name"]) if cleaned else len(table) == 453
    shops.entry_rows(auth.authenticate("supervisor", "demo", demo_engine), search=search, engine=demo_engine)


def test_clean_search():
    assert clean_search(" 超\x00市 ") == "超市"
    assert clean_search("\x00") is None and clean_search(None) is None and clean_search(5) is None


# ---- every write that stores text -----------------------------------------------------------------

def ids(engine) -> dict:
    with engine.connect() as conn:
        one = lambda query: conn.execute(query.limit(1)).scalar_one()  # noqa: E731
        return {
            "road": one(sa.select(Site.id).where(Site.checkpoint_type == "road").order_by(Site.id)),
            "compound": one(sa.select(Site.id).where(Site.kind == "compound").order_by(Site.id)),
            "village": one(sa.select(SurveyRound.site_id).where(SurveyRound.round_no == 2).order_by(SurveyRound.site_id)),
            "finding": one(sa.select(Finding.id).where(Finding.fixed_on.is_(None)).order_by(Finding.id)),
            "enterprise": one(sa.select(Enterprise.id).where(Enterprise.status == "not_applied").order_by(Enterprise.id)),
        }


def _visit(engine, inspector="纪委一组", remarks=None, findings=None):
    checks = {**ALL_PASS, "publicity_posted": False} if findings else ALL_PASS
    inspections.record_inspection("supervisor", ids(engine)["compound"], dt.date(2020, 2, 25), checks, inspector,
                                  remarks, findings, today=TODAY, engine=engine)


def _finding(**change):
    return [{"description": "宣传栏未更新", "owner": "刘副科", "due_on": dt.date(2020, 2, 27), **change}]


def _survey_correction(engine, reason):
    site = ids(engine)["village"]
    round_ = community.site_rounds(site, engine=engine).iloc[-1]
    values = {f: int(round_[f]) for f in community.SURVEY_FIELDS}
    community.save_survey_round("supervisor", site, {**values, "people": values["people"] + 1}, round_["day"],
                                round_no=int(round_["round_no"]), version=int(round_["version"]), reason=reason,
                                today=TODAY, engine=engine)


def _step(engine, note=None, reason=None):
    enterprise = ids(engine)["enterprise"]
    with engine.connect() as conn:
        version = conn.execute(sa.select(Enterprise.version).where(Enterprise.id == enterprise)).scalar_one()
    reopening.record_step("supervisor", enterprise, "applied", dt.date(2020, 2, 25), version, note=note, reason=reason,
                          today=TODAY, engine=engine)


def _grid(engine, reason):
    row = {"site_id": ids(engine)["road"], "vehicles": 1, "persons": 1, "persons_from_outside": 0, "turned_back": 0,
           "abnormal_temperature": 0, "version": None}
    traffic_entry.save_checkpoint_days("supervisor", dt.date(2020, 2, 26), [row], reason=reason, today=TODAY,
                                       engine=engine)


def _upload_name(engine, name):
    frame = pd.DataFrame([{"day": "2020-02-26", "checkpoint": name, "vehicles": "1", "persons": "1",
                           "persons_from_outside": "0", "turned_back": "0", "abnormal_temperature": "0"}])
    traffic_entry.check_upload(frame, auth.authenticate("supervisor", "demo", engine), today=TODAY, engine=engine)


WRITES = {
    "inspector too long": (lambda e: _visit(e, inspector="组" * 65), (None, "inspector")),
    "inspector NUL": (lambda e: _visit(e, inspector=NUL), (None, "inspector")),
    "remarks NUL": (lambda e: _visit(e, remarks=NUL), (None, "remarks")),
    "remarks too long": (lambda e: _visit(e, remarks="备" * 2001), (None, "remarks")),
    "finding NUL": (lambda e: _visit(e, findings=_finding(description=NUL)), (0, "description")),
    "owner too long": (lambda e: _visit(e, findings=_finding(owner="刘" * 65)), (0, "owner")),
    "fix note NUL": (lambda e: inspections.close_finding("supervisor", ids(e)["finding"], dt.date(2020, 2, 25), NUL, 1,
                                                         today=TODAY, engine=e), (None, "fix_note")),
    "survey reason NUL": (lambda e: _survey_correction(e, NUL), (None, "reason")),
    "step note NUL": (lambda e: _step(e, note=NUL), (None, "note")),
    "step note too long": (lambda e: _step(e, note="注" * 1001), (None, "note")),
    "grid reason NUL": (lambda e: _grid(e, NUL), (None, "reason")),
    "upload name NUL": (lambda e: _upload_name(e, "东\x00卡口"), (2, "checkpoint")),
    "upload name too long": (lambda e: _upload_name(e, "卡" * 101), (2, "checkpoint")),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_text_a_column_cannot_hold_is_refused_by_field(demo_engine, write):
    call, expected = WRITES[write]
    errors = field_errors(lambda: call(demo_engine))
    assert [(row, field) for row, field, _ in errors] == [expected], errors


def test_text_that_fits_is_saved_exactly_on_both_databases(demo_engine):
    _visit(demo_engine, inspector="组" * 64, remarks="备" * 2000, findings=_finding(owner="刘" * 64))
    with demo_engine.connect() as conn:
        assert conn.execute(sa.select(Finding.owner).where(Finding.owner == "刘" * 64)).scalar_one()


def test_audit_log_user_search_with_a_nul_is_cleaned_not_a_crash(demo_engine):
    from data_access import audit

    assert audit.recent(username="ad\x00min", engine=demo_engine).equals(audit.recent(username="admin", engine=demo_engine))
