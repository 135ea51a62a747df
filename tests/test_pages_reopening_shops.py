"""AppTest: the reopening and shops pages and both entry forms, on the demo data (SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data_access import reopening, shops
from data_access.filters import Filters
from data_access.models import AuditLog, Enterprise, ReopeningStep, Setting, Shop, WorkZone
from tests.apptest_helpers import metric, signed_in, texts

REOPENING, REOPENING_ENTRY = "pages/reopening.py", "pages/reopening_entry.py"
SHOPS, SHOP_ENTRY = "pages/shops.py", "pages/shop_entry.py"
AS_OF = dt.date(2020, 2, 25)


def _scalar(engine, query):
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def _zone_id(engine, code):
    return _scalar(engine, sa.select(WorkZone.id).where(WorkZone.code == code))


def _enterprise_at(engine, status):
    """(an enterprise whose steps put it at `status` now, who may record for it): the clerk when it is
    in the clerk's zone Z1, else the supervisor (the demo data need not have every status in Z1)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(Enterprise.id, WorkZone.code).join(WorkZone)
                            .order_by(WorkZone.code != "Z1", Enterprise.id)).all()
    for enterprise_id, code in rows:
        info = reopening.detail(enterprise_id, engine)
        if info["status"] == status and (info["last_day"] is None or info["last_day"] <= AS_OF):
            return info, "clerk" if code == "Z1" else "supervisor"
    pytest.fail(f"the demo data set has no enterprise at {status}: the test has nothing to record for")


def _steps(engine, enterprise_id):
    with engine.connect() as conn:
        return conn.execute(sa.select(ReopeningStep.step, ReopeningStep.recorded_by)
                            .where(ReopeningStep.enterprise_id == enterprise_id)
                            .order_by(ReopeningStep.day, ReopeningStep.id)).all()


# ---- the reopening page -----------------------------------------------------------------------------

def test_reopening_page_shows_the_report_figures(demo_engine):
    at = signed_in("supervisor", REOPENING)
    assert metric(at, "批复复工企业") == "69"
    assert metric(at, "复工员工") == "4,892"
    assert metric(at, "外地返烟员工") == "164"
    assert "规模以上 22 家" in texts(at)
    assert metric(at, "企业数") == "119"
    assert len(at.dataframe) >= 1


def test_reopening_page_follows_the_zone_and_the_as_of_day(demo_engine):
    z2 = _zone_id(demo_engine, "Z2")
    end = dt.date(2020, 2, 15)
    expected = reopening.summary(Filters(zone_id=z2, start=dt.date(2020, 2, 1), end=end), engine=demo_engine)
    at = signed_in("supervisor", REOPENING, query={"zone": "Z2", "from": "2020-02-01", "to": "2020-02-15"})
    assert metric(at, "批复复工企业") == f"{expected['approved']:,}"
    assert metric(at, "复工员工") == f"{expected['employees']:,}"
    assert expected["approved"] < 69
    assert "截至 2020-02-15" in texts(at)


def test_status_and_department_filters_narrow_the_table(demo_engine):
    at = signed_in("supervisor", REOPENING)
    at.multiselect(key="reopen_f_status").set_value(["suspended", "reinspected"]).run()
    expected = reopening.count_enterprises(Filters(start=dt.date(2020, 2, 1), end=AS_OF), ("suspended", "reinspected"),
                                           engine=demo_engine)
    assert metric(at, "企业数") == str(expected)
    at.multiselect(key="reopen_f_dept").set_value(["safety"]).run()
    narrowed = reopening.count_enterprises(Filters(start=dt.date(2020, 2, 1), end=AS_OF), ("suspended", "reinspected"),
                                           ("safety",), engine=demo_engine)
    assert not at.exception and narrowed < expected
    assert metric(at, "企业数") == str(narrowed)


def test_only_admins_see_the_threshold_form_and_it_saves_audited(demo_engine):
    at = signed_in("supervisor", REOPENING)
    assert not [n for n in at.number_input if n.key == "reopen_threshold"]
    at = signed_in("admin", REOPENING)
    at.number_input(key="reopen_threshold").set_value(9)
    at.button(key="reopen_threshold_save").click().run()
    assert not at.exception
    assert "超过 9 天即为滞留" in texts(at)
    assert _scalar(demo_engine, sa.select(Setting.value).where(Setting.key == "stuck_after_days")) == "9"
    assert _scalar(demo_engine, sa.select(AuditLog.after).where(AuditLog.table_name == "setting",
                                                                AuditLog.username == "admin")) == '{"stuck_after_days": 9}'
    assert "超过 9 天未推进即为滞留" in texts(at)


# ---- the step entry form ----------------------------------------------------------------------------

def _open(username, enterprise_id):
    at = signed_in(username, REOPENING_ENTRY)
    at.selectbox(key="reopen_entry_status").set_value("all").run()
    at.selectbox(key="reopen_entry_enterprise").set_value(enterprise_id).run()
    assert not at.exception, at.exception
    return at


def _record(at, enterprise_id, step, **fields):
    """Pick the step, fill the form's fields (key suffix → value) and press the form's button."""
    prefix = f"re_{enterprise_id}_"
    at.radio(key=f"{prefix}step").set_value(step).run()
    key = f"{prefix}{step}_"
    for name, value in fields.items():
        if name.startswith("letter_"):
            at.checkbox(key=key + name).set_value(value)
        elif name in ("passed",):
            at.radio(key=key + name).set_value(value)
        elif name in ("called", "problems", "employees", "outside"):
            at.number_input(key=key + name).set_value(value)
        elif name == "day":
            at.date_input(key=key + name).set_value(value)
        else:
            at.text_area(key=key + name).input(value)
    at.button(key=f"{key}save").click().run()
    assert not at.exception, at.exception
    return at


def test_clerk_records_a_whole_approval(demo_engine):
    info, user = _enterprise_at(demo_engine, "not_applied")
    assert user == "clerk"
    eid = info["id"]
    z1 = Filters(zone_id=_zone_id(demo_engine, "Z1"), start=dt.date(2020, 2, 1), end=AS_OF)
    before = reopening.summary(z1, engine=demo_engine)
    at = _open("clerk", eid)
    assert at.radio(key=f"re_{eid}_step").options == ["提交复工申请"]
    _record(at, eid, "applied")
    assert "已登记" in texts(at) and "已申请" in texts(at)
    assert at.radio(key=f"re_{eid}_step").options == ["审批前实地检查", "不予批复"]  # no approval offered yet
    _record(at, eid, "inspected_before", passed=True)
    _record(at, eid, "letters_signed", letter_prevention=True, letter_safety=True, letter_health=True)
    _record(at, eid, "approved", employees=30, outside=2)
    _record(at, eid, "inspected_after", passed=True)
    _record(at, eid, "phone_verified", passed=True, called=10, problems=0, note="<b>抽查</b> 10 人")
    assert "电话核实完成" in texts(at)
    assert [s for s, _ in _steps(demo_engine, eid)] == list(reopening.FUNNEL)
    assert {u for _, u in _steps(demo_engine, eid)} == {"clerk"}  # who recorded each step
    assert _scalar(demo_engine, sa.select(ReopeningStep.note).where(ReopeningStep.enterprise_id == eid,
                                                                       ReopeningStep.step == "phone_verified")) == "<b>抽查</b> 10 人"
    at.switch_page(REOPENING).run()  # the clerk's filter bar starts on their own zone
    assert metric(at, "批复复工企业") == f"{before['approved'] + 1:,}"
    assert metric(at, "复工员工") == f"{before['employees'] + 30:,}"


def test_letters_need_all_three_ticks_and_keep_what_was_ticked(demo_engine):
    info, user = _enterprise_at(demo_engine, "inspected_before")
    eid = info["id"]
    at = _open(user, eid)
    _record(at, eid, "letters_signed", letter_prevention=True, letter_safety=True)
    assert "员工健康监测承诺书" in texts(at) and "未保存任何内容" in texts(at)
    assert at.checkbox(key=f"re_{eid}_letters_signed_letter_prevention").value is True
    assert [s for s, _ in _steps(demo_engine, eid)][-1] == "inspected_before"


def test_a_failed_check_needs_a_reason_and_then_refuses(demo_engine):
    info, user = _enterprise_at(demo_engine, "applied")
    eid = info["id"]
    at = _open(user, eid)
    _record(at, eid, "inspected_before", passed=False)
    assert "检查未通过时须填写原因" in "\n".join(e.value for e in at.error)
    assert at.radio(key=f"re_{eid}_inspected_before_passed").value is False  # what was chosen stays
    at.text_area(key=f"re_{eid}_inspected_before_reason").input("<script>x</script>未建立测温台账")
    at.button(key=f"re_{eid}_inspected_before_save").click().run()
    assert "不予批复" in texts(at)
    assert _steps(demo_engine, eid)[-2:] == [("inspected_before", user), ("refused", user)]
    reason = _scalar(demo_engine, sa.select(ReopeningStep.reason).where(ReopeningStep.enterprise_id == eid,
                                                                           ReopeningStep.step == "refused"))
    assert reason == "<script>x</script>未建立测温台账"


def test_a_step_dated_before_the_previous_one_is_refused_next_to_the_date(demo_engine):
    info, user = _enterprise_at(demo_engine, "applied")
    eid = info["id"]
    at = _open(user, eid)
    _record(at, eid, "inspected_before", passed=True, day=info["last_day"] - dt.timedelta(days=1))
    assert "不能早于上一步的日期" in "\n".join(e.value for e in at.error)
    assert [s for s, _ in _steps(demo_engine, eid)][-1] == "applied"


def test_phone_check_needs_a_call(demo_engine):
    info, user = _enterprise_at(demo_engine, "inspected_after")
    eid = info["id"]
    at = _open(user, eid)
    _record(at, eid, "phone_verified", passed=True, called=0, problems=0)
    assert "至少核实一名员工" in "\n".join(e.value for e in at.error)


def test_a_stale_form_is_refused(demo_engine):
    info, user = _enterprise_at(demo_engine, "applied")
    eid = info["id"]
    at = _open(user, eid)  # the form is loaded ...
    reopening.record_step("admin", eid, "inspected_before", AS_OF, info["version"], passed=True)  # ... meanwhile
    _record(at, eid, "inspected_before", passed=True)
    assert "已被他人更新" in texts(at)
    assert [s for s, _ in _steps(demo_engine, eid)].count("inspected_before") == 1
    at.button(key=f"re_{eid}_reload").click().run()
    assert at.radio(key=f"re_{eid}_step").options == ["签订三个承诺书", "不予批复"]


def test_clerk_picks_only_enterprises_of_their_zone(demo_engine):
    at = signed_in("clerk", REOPENING_ENTRY)
    at.selectbox(key="reopen_entry_status").set_value("all").run()
    offered = set(at.selectbox(key="reopen_entry_enterprise").options)
    with demo_engine.connect() as conn:
        names = set(conn.execute(sa.select(Enterprise.name).join(WorkZone).where(WorkZone.code == "Z1")).scalars())
    assert offered and {o.split(" · ")[0] for o in offered} == names


@pytest.mark.parametrize("page", [REOPENING_ENTRY, SHOP_ENTRY])
def test_viewer_has_no_entry_pages(demo_engine, page):
    at = signed_in("viewer")
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not registered for a viewer
        at.switch_page(page).run()


# ---- the shops page ---------------------------------------------------------------------------------

def test_shops_page_shows_the_report_figures(demo_engine):
    at = signed_in("supervisor", SHOPS)
    assert metric(at, "商铺总数") == "453"
    assert metric(at, "营业商铺") == "58"
    assert metric(at, "在岗人员") == "123"
    assert metric(at, "外地返烟人员") == "17"


def test_shops_page_zone_and_table_filters(demo_engine):
    z1 = _zone_id(demo_engine, "Z1")  # Z3 has no pharmacy: the list would be empty
    expected = shops.summary(Filters(zone_id=z1, start=dt.date(2020, 2, 1), end=AS_OF), engine=demo_engine)
    at = signed_in("viewer", SHOPS, query={"zone": "Z1"})
    assert metric(at, "营业商铺") == str(expected["open"]) and metric(at, "商铺总数") == str(expected["shops"])
    at.multiselect(key="shops_f_category").set_value(["pharmacy"]).run()
    at.text_input(key="shops_f_search").input("药").run()
    listed = shops.count_shops(Filters(zone_id=z1, start=dt.date(2020, 2, 1), end=AS_OF), ("pharmacy",), None, "药",
                               engine=demo_engine)
    assert not at.exception and 0 < listed < expected["shops"]
    assert f"共 {listed} 家" in texts(at)
    names = at.dataframe[-1].value["name"]
    assert len(names) == listed and all("药" in name for name in names)


# ---- the shop entry ---------------------------------------------------------------------------------

def _grid_edit(at, edits: dict):
    at.session_state["shop_grid"] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}
    at.run()


def _closed_rows(at, n=2):
    grid = at.data_editor(key="shop_grid").value
    closed = [i for i, is_open in enumerate(grid["is_open"]) if not is_open][:n]
    return grid, closed


def test_clerk_opens_two_shops_in_the_grid(demo_engine):
    at = signed_in("clerk", SHOP_ENTRY)
    grid, (first, second) = _closed_rows(at)
    with demo_engine.connect() as conn:
        z1 = set(conn.execute(sa.select(Shop.name).join(WorkZone).where(WorkZone.code == "Z1")).scalars())
    assert set(grid["name"]) == z1
    _grid_edit(at, {first: {"is_open": True, "staff": 3, "staff_from_outside": 1},
                    second: {"is_open": True, "staff": 2, "staff_from_outside": 0}})
    at.button(key="shop_grid_save").click().run()
    assert not at.exception
    assert "开业 2 家" in texts(at)
    with demo_engine.connect() as conn:
        saved = conn.execute(sa.select(Shop.is_open, Shop.staff, Shop.updated_by)
                             .where(Shop.name.in_([grid["name"].iloc[first], grid["name"].iloc[second]]))).all()
    assert sorted(saved) == [(True, 2, "clerk"), (True, 3, "clerk")]
    at.switch_page(SHOPS).run()


@pytest.mark.parametrize("cell, expected", [
    ({"is_open": True, "staff": 0, "staff_from_outside": 0}, "营业商铺至少有 1 名在岗人员"),
    ({"is_open": True, "staff": 2, "staff_from_outside": 3}, "不能超过在岗人数"),
    ({"is_open": True, "staff": None, "staff_from_outside": 0}, "必填"),
])
def test_bad_grid_rows_save_nothing_and_keep_the_edits(demo_engine, cell, expected):
    at = signed_in("clerk", SHOP_ENTRY)
    grid, (first, second) = _closed_rows(at)
    _grid_edit(at, {first: {"is_open": True, "staff": 3, "staff_from_outside": 0}, second: cell})
    at.button(key="shop_grid_save").click().run()
    message = "\n".join(e.value for e in at.error)
    assert expected in message and f"第 {second + 1} 行" in message and grid["name"].iloc[second] in message
    with demo_engine.connect() as conn:
        assert conn.execute(sa.select(Shop.is_open).where(Shop.name == grid["name"].iloc[first])).scalar_one() is False
    edits = at.session_state["shop_grid"]["edited_rows"]
    assert str(first) in edits or first in edits


def test_a_grid_row_changed_meanwhile_is_refused(demo_engine):
    at = signed_in("clerk", SHOP_ENTRY)
    grid, (first, _) = _closed_rows(at)
    shop_id = _scalar(demo_engine, sa.select(Shop.id).where(Shop.name == grid["name"].iloc[first]))
    shops.save_shops("supervisor", AS_OF, [{"shop_id": shop_id, "is_open": True, "staff": 1, "staff_from_outside": 0,
                                            "version": None}], today=dt.date.today())
    _grid_edit(at, {first: {"is_open": True, "staff": 4, "staff_from_outside": 0}})
    at.button(key="shop_grid_save").click().run()
    assert "数据已被他人修改" in texts(at) and grid["name"].iloc[first] in texts(at)
    assert _scalar(demo_engine, sa.select(Shop.staff).where(Shop.id == shop_id)) == 1


def test_one_shop_form_shows_messages_next_to_the_fields(demo_engine):
    at = signed_in("clerk", SHOP_ENTRY)
    grid, (first, _) = _closed_rows(at)
    shop_id = _scalar(demo_engine, sa.select(Shop.id).where(Shop.name == grid["name"].iloc[first]))
    at.selectbox(key="shop_one_id").set_value(shop_id).run()
    key = f"shop_one_{shop_id}_"
    at.radio(key=f"{key}open").set_value(True)
    at.number_input(key=f"{key}staff").set_value(2)
    at.number_input(key=f"{key}outside").set_value(5)
    at.button(key=f"{key}save").click().run()
    assert "不能超过在岗人数" in "\n".join(e.value for e in at.error)
    assert at.number_input(key=f"{key}outside").value == 5  # what the clerk typed stays
    at.number_input(key=f"{key}outside").set_value(1)
    at.button(key=f"{key}save").click().run()
    assert "开业 1 家" in texts(at)
    with demo_engine.connect() as conn:
        assert conn.execute(sa.select(Shop.is_open, Shop.staff, Shop.staff_from_outside, Shop.status_since)
                            .where(Shop.id == shop_id)).one() == (True, 2, 1, AS_OF)
