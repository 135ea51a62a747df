"""AppTest: the audit log page (审计日志) answers "who changed what, and why" in words: one line per change
(when, who by display name, line of work · site · day · field before → after, reason), filters by user,
line of work, site and days, and exports a CSV Excel opens and an .xlsx. No raw JSON, no identifiers,
no None in either language. SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest

from data_access import audit, auth, clock, completeness, reopening, territory
from tests.apptest_helpers import open_in, texts
from tests.test_audit_changes import ANONYMOUS_DONOR, LOGISTICS_DAY, correct_vehicles, logistics_changes
from ui import audit_view, i18n
from ui.text.audit import TEXT as AUDIT_TEXT

AUDIT = "pages/audit_log.py"
REAL_TODAY = dt.datetime.now(clock.zone()).date()
# what must never reach a person: stored identifiers, JSON, Python's or pandas' words for nothing
IDENTIFIER = re.compile(r"\b(insert|update|correct|delete|checkpoint_day|app_user|display_key|set_due_time|"
                        r"[a-z]+_[a-z_]+)\b|[{}\"]|\bNone\b|\bnan\b|\bNaN\b|\bNaT\b")


def some_changes(engine) -> int:
    """A correction with a reason, an account disabled, a key created, a due time and a threshold set."""
    site_id, _, _ = correct_vehicles(engine)  # 中古线西关卡口 2020-02-20 vehicles +11, by the supervisor
    admin = auth.authenticate("admin", "demo", engine=engine)
    auth.set_active("viewer", False, actor=admin, engine=engine)
    auth.create_display_key("第二块屏", admin, engine=engine)
    completeness.set_site_due(site_id, "09:00+1", actor=admin, reason="路远", engine=engine)
    reopening.set_stuck_after_days("admin", 7, engine=engine)
    territory.set_season_start(dt.date(2020, 1, 20), actor=admin, engine=engine)
    return site_id


def open_log(lang: str, user: str = "admin"):
    return open_in(user, AUDIT, lang)


def table(at):
    return next(d.value for d in at.dataframe if "what" in d.value.columns)


def readable(at) -> str:
    frame = table(at)
    return texts(at) + "\n" + "\n".join(" | ".join(map(str, row)) for row in frame[["when", "who", "what", "reason"]].values)


@pytest.mark.parametrize("lang", ["zh"], indirect=True)
def test_one_line_per_change_in_words(demo_engine, lang):
    before = correct_vehicles.__defaults__  # (name, add, user, reason)
    some_changes(demo_engine)
    at = open_log(lang)
    lines = table(at)
    correction = lines[lines["what"].str.contains("更正")].iloc[0]
    vehicles = [int(v) for v in re.findall(r"车辆 (\d+) → (\d+)", correction["what"])[0]]
    assert correction["what"] == f"卡口通行 · 中古线西关卡口 · 2020-02-20 · 更正：车辆 {vehicles[0]} → {vehicles[1]}"
    assert vehicles[1] - vehicles[0] == before[1]
    assert (correction["who"], correction["reason"]) == ("督导组（演示）", "台账核对")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", correction["when"])
    shown = set(lines["what"])
    assert "账号与密钥 · viewer · 停用账号：账号状态 启用 → 停用；结束的登录 0" in shown
    assert "账号与密钥 · 第二块屏 · 生成密钥：名称 第二块屏" in shown
    assert "系统设置 · 中古线西关卡口 · 设置上报时限：上报时限 跟随管区 → 09:00+1" in shown
    assert "系统设置 · 滞留判定天数 · 修改：滞留判定天数 5 → 7" in shown
    assert "系统设置 · 本季开始日期 · 修改：本季开始日期 2020-01-23 → 2020-01-20" in shown
    assert lines.loc[lines["what"].str.contains("上报时限"), "reason"].iloc[0] == "路远"
    assert not IDENTIFIER.search(readable(at)), IDENTIFIER.search(readable(at))
    # the columns a person reads, in that order, the reason on screen
    assert [c for c in at.dataframe[0].proto.column_order] == ["when", "who", "what", "reason"]


@pytest.mark.parametrize("lang", ["en"], indirect=True)
def test_english_says_it_in_english(demo_engine, lang):
    some_changes(demo_engine)
    at = open_log(lang)
    lines = table(at)
    correction = lines[lines["what"].str.contains("Corrected")].iloc[0]
    assert re.fullmatch(r"Checkpoint traffic · 中古线西关卡口 · 2020-02-20 · Corrected: Vehicles \d+ → \d+",
                        correction["what"]), correction["what"]
    assert "Accounts and keys · viewer · Disabled the account: Account active → disabled; Sessions ended 0" in set(lines["what"])
    text = readable(at)
    assert not IDENTIFIER.search(text), IDENTIFIER.search(text)
    # Chinese only in stored names (a site, a display name), never in the UI's own words
    assert not [word for word in ("更正", "卡口通行", "修改", "账号与密钥", "系统设置", "跟随管区", "停用", "审计日志")
                if word in text]


@pytest.mark.parametrize("lang", ["zh"], indirect=True)
def test_filters_by_user_line_site_and_days(demo_engine, lang):
    site_id = some_changes(demo_engine)
    at = open_log(lang, user="supervisor")  # supervisors read the log too
    everything = len(table(at))
    at.selectbox(key="audit_user").set_value("supervisor").run()
    assert set(table(at)["who"]) == {"督导组（演示）"}
    at.selectbox(key="audit_user").set_value("").run()
    at.selectbox(key="audit_line").set_value("accounts").run()
    assert len(table(at)) == 2 and table(at)["what"].str.startswith("账号与密钥").all()
    at.selectbox(key="audit_line").set_value("").run()
    at.selectbox(key="audit_site").set_value(site_id).run()
    assert len(table(at)) == 2 and table(at)["what"].str.contains("中古线西关卡口").all()
    at.selectbox(key="audit_site").set_value(0).run()
    assert len(table(at)) == everything
    last_week = (REAL_TODAY - dt.timedelta(days=14), REAL_TODAY - dt.timedelta(days=7))
    at.date_input(key="audit_range").set_value(last_week).run()
    assert not any(d.value is not None and "what" in d.value.columns for d in at.dataframe)
    assert "所选范围内没有修改记录" in texts(at)
    at.selectbox(key="audit_line").set_value("sign_in").run()  # sign-ins are their own line, not changes
    at.date_input(key="audit_range").set_value((REAL_TODAY, REAL_TODAY)).run()
    assert table(at)["what"].str.startswith("登录记录").all()
    assert not at.exception and not at.error


@pytest.mark.parametrize("lang", ["zh"], indirect=True)
def test_exports_open_in_excel(demo_engine, lang):
    """The CSV carries a byte-order mark (Excel then reads UTF-8), whole texts and a column per part;
    the .xlsx holds the same rows."""
    some_changes(demo_engine)
    at = open_log(lang)
    assert {b.key for b in at.get("download_button")} >= {"audit_csv", "audit_xlsx"}
    changes = audit.changes(audit.AuditView(), demo_engine)
    frame = audit_view.export_frame(changes)
    data = audit_view.to_csv(frame)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["时间", "人员", "账号", "工作线", "对象", "数据日期", "修改内容", "原因"]
    correction = next(r for r in rows if r[6].startswith("更正"))
    assert correction[1:6] == ["督导组（演示）", "supervisor", "卡口通行", "中古线西关卡口", "2020-02-20"]
    assert correction[7] == "台账核对" and not IDENTIFIER.search(" ".join(" ".join(r) for r in rows[1:]))
    book = openpyxl.load_workbook(io.BytesIO(audit_view.to_xlsx(frame, "审计日志")))
    sheet = book["审计日志"]
    assert [c.value for c in sheet[1]] == rows[0]
    assert sheet.max_row == len(rows)
    assert [c.value or "" for c in sheet[2]] == rows[1]


def test_every_field_and_action_the_app_writes_has_words():
    """Each field (FIELD_ORDER: every key the write paths store) and line of work has a label in both
    languages; an unforeseen one shows as '—', never as its identifier."""
    for field in audit.FIELD_ORDER:
        assert f"audit.field.{field}" in AUDIT_TEXT, field
    for line in audit.LINES:
        assert f"audit.line.{line}" in AUDIT_TEXT, line
    assert audit_view.field_label("checkpoint_day", "no_such_field") == "—"
    for key, (zh, en) in AUDIT_TEXT.items():
        assert zh and en and not IDENTIFIER.search(re.sub(r"\{\w+\}", "", zh)), key


def test_a_change_is_put_into_words_once_and_again_after_a_rename(demo_engine):
    """The words of a change are kept (audit rows never change), keyed on what a rename changes besides."""
    from ui import i18n

    some_changes(demo_engine)
    row = next(audit.changes(audit.AuditView(limit=5), demo_engine).itertuples())
    with i18n.speaking("zh"):
        words = audit_view._words("zh", row)
        assert audit_view._words("zh", row) is words
        renamed = audit_view._words("zh", row._replace(display_name="改过的名字"))
    assert renamed is not words and renamed[0]["who"] == "改过的名字" and words[0]["who"] != "改过的名字"
    with i18n.speaking("en"):
        english = audit_view._words("en", row)
    assert english[0]["what"] != words[0]["what"]  # the language is part of the key


def test_the_user_picker_names_accounts_and_programs_that_changed_something(demo_engine):
    import sqlalchemy as sa

    from data_access.models import AuditLog

    with demo_engine.begin() as conn:
        conn.execute(sa.insert(AuditLog), [
            {"at": dt.datetime(2020, 2, 1, tzinfo=dt.timezone.utc), "username": "night-import", "action": "insert",
             "table_name": "checkpoint_day", "row_id": 1},
            {"at": dt.datetime(2020, 2, 1, tzinfo=dt.timezone.utc), "username": "only-signed-in", "action": "sign_in",
             "table_name": "sign_in", "row_id": None}])
    names = set(audit.users_in_log(demo_engine)["username"])
    assert "night-import" in names and "only-signed-in" not in names and {"admin", "clerk", "demo-loader"} <= names


# ---- logistics (issue 15) ------------------------------------------------------------------------------

LOGISTICS_WORDS = {
    "zh": {"line": "后勤保障", "receipt": "调拨入库：数量 500；结存 {received}；说明 市指挥部调拨",
           "issue": "发放：数量 30；结存 {issued}；发往 {point}；领用人 卡口值守组",
           "take": "盘点：盘盈盘亏 -3；结存 {counted}", "meals": "登记送餐：送餐（份） 40；群众送餐（份） 5",
           "fix": "更正送餐：送餐（份） 40 → 44", "anonymous": "匿名",
           "named": "登记捐赠：捐赠方类型 企业；来自 在外；捐赠类型 捐物；金额（元）或数量 200；物资 {item}；估价（元） 600；"
                    "说明 医用口罩；接收人 王建华；接收管区 {zone}",
           "gift": "登记捐赠：捐赠方类型 个人；来自 本区；捐赠类型 捐物；金额（元）或数量 100；物资 {item}；说明 一箱口罩；"
                   "接收人 王建华；接收管区 {zone}",
           "donated": "捐赠入库：数量 200；结存"},
    "en": {"line": "Logistics", "receipt": "Received (allocation): Quantity 500; Stock after {received}; Note 市指挥部调拨",
           "issue": "Issued: Quantity 30; Stock after {issued}; Issued to {point}; Recipient 卡口值守组",
           "take": "Stock-take: Difference -3; Stock after {counted}",
           "meals": "Recorded the meals: Meals 40; Brought by residents 5", "fix": "Corrected the meals: Meals 40 → 44",
           "anonymous": "Anonymous",
           "named": "Registered a donation: Donor type Firm; Origin From elsewhere; Kind Goods; Amount (yuan) or quantity "
                    "200; Item {item}; Estimated value (yuan) 600; Description 医用口罩; Received by 王建华; "
                    "Receiving zone {zone}",
           "gift": "Registered a donation: Donor type Person; Origin Inside the zone; Kind Goods; Amount (yuan) or "
                   "quantity 100; Item {item}; Description 一箱口罩; Received by 王建华; Receiving zone {zone}",
           "donated": "Received (donation): Quantity 200; Stock after"},
}


def expected_logistics_lines(done: dict, lang: str) -> dict:
    words = LOGISTICS_WORDS[lang]
    figures = {"received": f"{done['received']['stock']:,}", "issued": f"{done['issued']['stock']:,}",
               "counted": f"{done['counted']['stock']:,}", "point": done["point"], "item": done["item"],
               "zone": done["zone"]}
    place, day = f"{done['item']} · {done['zone']}", LOGISTICS_DAY.isoformat()
    line = lambda subject, key: " · ".join((words["line"], subject, day, words[key].format(**figures)))  # noqa: E731
    return {"receipt": line(place, "receipt"), "issue": line(place, "issue"), "take": line(place, "take"),
            **{f"meals {p}": line(p, "meals") for p in done["meal_points"]},
            **{f"fix {p}": line(p, "fix") for p in done["meal_points"]},
            "named": line("某科技有限公司", "named"), "anonymous": line(words["anonymous"], "gift")}


@pytest.mark.parametrize("lang", ["zh", "en"], indirect=True)
def test_logistics_writes_read_in_words_and_the_line_finds_exactly_them(demo_engine, lang):
    """A receipt, an issue to a checkpoint, a stock-take, a meal grid saved and corrected, a named and an
    anonymous gift of goods: each a line in words (item and zone, duty point, donor or "anonymous"), no
    identifier, the anonymous donor's name nowhere; the line "logistics" shows exactly these 11 changes."""
    some_changes(demo_engine)  # changes of other lines, which the logistics line leaves out
    done = logistics_changes(demo_engine)
    at = open_log(lang)
    at.selectbox(key="audit_line").set_value("logistics").run()
    assert not at.exception and not at.error
    lines = table(at)
    assert sorted(lines["id"]) == done["audit_ids"] and len(lines) == 11
    shown = list(lines["what"])
    expected = expected_logistics_lines(done, lang)
    for key, text in expected.items():
        assert text in shown, (key, text, shown)
    donated = [w for w in shown if LOGISTICS_WORDS[lang]["donated"] in w]
    assert len(donated) == 1 and donated[0].startswith(f"{LOGISTICS_WORDS[lang]['line']} · {done['item']} · ")
    take = lines[lines["what"] == expected["take"]].iloc[0]
    assert take["reason"] == "破损3只"
    assert set(lines.loc[lines["what"].isin([expected[k] for k in expected if k.startswith("fix")]), "reason"]) == {"漏报夜班"}
    text = readable(at)
    assert not IDENTIFIER.search(text), IDENTIFIER.search(text)
    assert ANONYMOUS_DONOR not in text and "王先生" not in text
    if lang == "en":
        assert not [w for w in ("后勤保障", "调拨入库", "发放", "盘点", "送餐", "捐赠", "匿名", "结存") if w in text]

    # the export: the same changes, a column per part, in the page's language
    changes = audit.changes(audit.AuditView(line="logistics"), demo_engine)
    with i18n.speaking(lang):
        frame = audit_view.export_frame(changes)
    rows = list(csv.reader(io.StringIO(audit_view.to_csv(frame).decode("utf-8-sig"))))[1:]
    assert len(rows) == 11 and {r[3] for r in rows} == {LOGISTICS_WORDS[lang]["line"]}
    as_lines = {" · ".join(part for part in (r[3], r[4], r[5], r[6]) if part) for r in rows}
    assert set(expected.values()) <= as_lines
    anonymous = next(r for r in rows if r[4] == LOGISTICS_WORDS[lang]["anonymous"])
    assert anonymous[1:3] == ["第一工作管区填报员（演示）", "clerk"] and anonymous[5] == LOGISTICS_DAY.isoformat()
    exported = "\n".join(" ".join(r) for r in rows)
    assert not IDENTIFIER.search(exported), IDENTIFIER.search(exported)
    assert ANONYMOUS_DONOR not in exported and "王先生" not in exported
    book = openpyxl.load_workbook(io.BytesIO(audit_view.to_xlsx(frame, "Log")))
    assert ANONYMOUS_DONOR not in repr([[c.value for c in r] for r in book["Log"].iter_rows()])


def test_every_logistics_action_and_code_has_words():
    """Each movement kind is an action with words of its own; donor type, origin and the kinds of gift and
    movement read as the logistics pages' words in both languages, never as their codes."""
    from data_access.models import DONATION_KINDS, DONOR_KINDS, DONOR_ORIGINS, MOVEMENT_KINDS

    generic = set(AUDIT_TEXT["audit.action.update"])  # what an action without words of its own reads as
    for kind in MOVEMENT_KINDS:
        assert f"audit.action.supply_movement.{kind}" in AUDIT_TEXT, kind
    for table, actions in {"supply_item": ("insert", "update"), "meal_point_day": ("insert", "update", "correct"),
                           "donation": ("insert",)}.items():
        for action in actions:
            assert f"audit.action.{table}.{action}" in AUDIT_TEXT, (table, action)
    coded = [("donation", "kind", DONATION_KINDS), ("supply_movement", "kind", MOVEMENT_KINDS),
             ("donation", "donor_kind", DONOR_KINDS), ("donation", "donor_origin", DONOR_ORIGINS)]
    for lang in ("zh", "en"):
        with i18n.speaking(lang):
            for table, field, codes in coded:
                words = [audit_view.value_text(field, code, table=table) for code in codes]
                assert not set(words) & set(codes) and len(set(words)) == len(codes), (lang, table, field, words)
            for kind in MOVEMENT_KINDS:
                assert audit_view.action_label("supply_movement", kind) not in generic
            assert audit_view.value_text("quantity", -30, table="supply_movement", action="issue") == "30"
            assert audit_view.value_text("quantity", -3, table="supply_movement", action="stocktake") == "-3"
            assert audit_view.value_text("quantity", 2, table="supply_movement", action="stocktake") == "+2"


@pytest.mark.parametrize("lang", ["zh", "en"], indirect=True)
@pytest.mark.parametrize("line", ["people", "duty"])
def test_people_and_duty_lines_read_in_words_and_never_show_a_phone(demo_engine, lang, line):
    """Issue 16: a person added and changed, a site's B, a full phone viewed, a roster cell emptied, a head count
    raised: the page's line filter knows "people" and "duty" and shows exactly those changes, in words (A/B,
    the unit, the shift, the names), no identifier, and a phone only masked (138****5678), never in clear."""
    from tests.test_audit_changes import NEW_PHONE, NOTE_PHONE, people_and_duty_changes

    done = people_and_duty_changes(demo_engine)
    at = open_log(lang)
    at.selectbox(key="audit_line").set_value(line).run()
    assert not at.exception and not at.error
    shown = list(table(at)["what"])
    words = {
        "zh": {"people": ["人员与责任 · 测试人员 · 新增人员：", "138****5678", "备用电话139****4321", "调整AB角：B角 ",
                          "查看完整电话：查看内容 完整电话"],
               "duty": [f"值班排班 · {done['site']} · 0-8 · 2020-02-27 · 调整排班：值班人员 ", " → 无人",
                        f"值班排班 · {done['site']} · 0-8 · 修改在岗人数：应在岗人数 2 → 3"]},
        "en": {"people": ["People and responsibility · 测试人员 · Added the person: ", "138****5678", "Changed A and B: B (backup) ",
                          "Viewed the full phone number: Viewed the full phone number"],
               "duty": [f"Duty roster · {done['site']} · 0-8 · 2020-02-27 · Changed the roster: On duty ", " → nobody",
                        f"Duty roster · {done['site']} · 0-8 · Changed the head count: People required 2 → 3"]},
    }[lang][line]
    assert len(shown) == (4 if line == "people" else 2)
    for word in words:
        assert any(word in w for w in shown), (word, shown)
    text = readable(at)
    assert not IDENTIFIER.search(text), IDENTIFIER.search(text)
    for number in (NEW_PHONE, NOTE_PHONE, "13700001111"):
        assert number not in text
    changes = audit.changes(audit.AuditView(line=line), demo_engine)
    with i18n.speaking(lang):
        exported = audit_view.to_csv(audit_view.export_frame(changes)).decode("utf-8-sig")
    assert NEW_PHONE not in exported and NOTE_PHONE not in exported and not IDENTIFIER.search(exported.split("\n", 1)[1])


def test_every_people_and_duty_action_and_code_has_words():
    from data_access.models import PERSON_STATUSES, RESPONSIBILITY_LINES, UNIT_KINDS

    generic = set(AUDIT_TEXT["audit.action.update"])
    for table, actions in {"person": ("insert", "update", "personal_view"), "org_unit": ("insert", "update"),
                           "responsibility": ("insert", "update"), "duty_shift": ("insert", "update"),
                           "duty_post": ("insert", "update"), "duty_assignment": ("update", "copy"),
                           "personal_data_grant": ("grant", "revoke")}.items():
        for lang in ("zh", "en"):
            with i18n.speaking(lang):
                for action in actions:
                    assert audit_view.action_label(table, action) not in generic, (table, action)
    coded = [("org_unit", "kind", UNIT_KINDS), ("person", "status", PERSON_STATUSES),
             ("responsibility", "line", RESPONSIBILITY_LINES)]
    for lang in ("zh", "en"):
        with i18n.speaking(lang):
            for table, field, codes in coded:
                words = [audit_view.value_text(field, code, table=table) for code in codes]
                assert not set(words) & set(codes) and len(set(words)) == len(codes), (lang, table, field, words)
            assert audit_view.value_text("start_minute", 480, table="duty_shift") == "08:00"
            assert audit_view.value_text("absent", True, table="duty_assignment") != audit_view.value_text("absent", False)
