"""The audit log as people read it (data_access.audit.changes): one row per change, who made it, the line
of work, the site (or enterprise, shop, account) and day it is about, and only the fields that changed,
ids as names; filters by user, line, site and the days changes were made. SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import audit, auth, clock, completeness, logistics, shops, traffic_entry
from data_access.models import AuditLog, CheckpointDay, Shop, Site, WorkZone

DAY = dt.date(2020, 2, 20)
REAL_TODAY = dt.datetime.now(clock.zone()).date()


def row_of(engine, name: str, day: dt.date):
    with engine.connect() as conn:
        return conn.execute(sa.select(CheckpointDay).join(Site).where(Site.name == name, CheckpointDay.day == day)).one()


def correct_vehicles(engine, name: str = "中古线西关卡口", add: int = 11, user: str = "supervisor",
                     reason: str = "台账核对") -> tuple[int, int, int]:
    row = row_of(engine, name, DAY)
    values = {f: getattr(row, f) for f in traffic_entry.COUNT_FIELDS}
    traffic_entry.save_checkpoint_days(user, DAY, [{"site_id": row.site_id, "version": row.version,
                                                   **{**values, "vehicles": row.vehicles + add}}],
                                       reason=reason, engine=engine)
    return row.site_id, row.vehicles, row.vehicles + add


def test_a_correction_reads_as_site_day_field_before_after_and_reason(demo_engine):
    site_id, before, after = correct_vehicles(demo_engine)
    found = audit.changes(audit.AuditView(), demo_engine)
    newest = found.iloc[0]
    assert (newest["username"], newest["display_name"], newest["action"]) == ("supervisor", "督导组（演示）", "correct")
    assert (newest["line"], newest["subject"], newest["site_id"], newest["day"]) == ("traffic", "中古线西关卡口", site_id, DAY)
    assert newest["items"] == (("vehicles", before, after, "both"),)  # only what changed; no version, no ids
    assert newest["reason"] == "台账核对"
    assert newest["at"].tzinfo is not None and newest["at"].date() == REAL_TODAY


def test_an_insert_names_its_site_and_day_and_lists_its_values(demo_engine):
    clerk = auth.reload_actor("clerk", demo_engine)
    grid = traffic_entry.entry_grid(clerk, dt.date(2020, 2, 26), demo_engine)
    first = grid.iloc[0]
    traffic_entry.save_checkpoint_days("clerk", dt.date(2020, 2, 26), [{
        "site_id": int(first["site_id"]), "version": None, "vehicles": 120, "persons": 200,
        "persons_from_outside": 5, "turned_back": 1, "abnormal_temperature": 0}], today=dt.date(2020, 2, 26),
        engine=demo_engine)
    newest = audit.changes(audit.AuditView(), demo_engine).iloc[0]
    assert (newest["action"], newest["subject"], newest["day"]) == ("insert", first["name"], dt.date(2020, 2, 26))
    assert [field for field, *_ in newest["items"]] == list(traffic_entry.COUNT_FIELDS)
    assert all(shape == "new" for *_, shape in newest["items"]) and newest["items"][0][2] == 120


def test_a_removed_report_keeps_its_site_and_day_and_is_found_by_site(demo_engine):
    """A report removed for a wrong day is gone from its table: its site and day come from its audit rows."""
    site_id, _, _ = correct_vehicles(demo_engine)
    row = row_of(demo_engine, "中古线西关卡口", DAY)
    traffic_entry.delete_checkpoint_day("supervisor", site_id, DAY, row.version, "日期录错", engine=demo_engine)
    for view in (audit.AuditView(), audit.AuditView(site_id=site_id)):
        found = audit.changes(view, demo_engine)
        removal, correction = found.iloc[0], found.iloc[1]
        assert (removal["action"], removal["subject"], removal["day"], removal["reason"]) == \
               ("delete", "中古线西关卡口", DAY, "日期录错")
        assert ("vehicles", row.vehicles, None, "old") in removal["items"]
        assert (correction["action"], correction["subject"], correction["day"]) == ("correct", "中古线西关卡口", DAY)


def test_filters_by_user_line_site_and_days(demo_engine):
    west, _, _ = correct_vehicles(demo_engine)
    north, _, _ = correct_vehicles(demo_engine, "县道X017北岭卡口", 3, user="admin")
    admin = auth.authenticate("admin", "demo", engine=demo_engine)
    auth.set_active("viewer", False, actor=admin, engine=demo_engine)
    completeness.set_site_due(west, "09:00+1", actor=admin, reason="路远", engine=demo_engine)

    everything = audit.changes(audit.AuditView(), demo_engine)
    assert "sign_in" not in set(everything["table_name"])  # signing in is not a change: its own line only
    assert set(everything["line"]) >= {"traffic", "accounts", "settings"}
    assert set(audit.changes(audit.AuditView(line="sign_in"), demo_engine)["action"]) == {"sign_in"}

    by_admin = audit.changes(audit.AuditView(username="admin"), demo_engine)
    assert set(by_admin["username"]) == {"admin"} and len(by_admin) == 3
    traffic = audit.changes(audit.AuditView(line="traffic"), demo_engine)
    assert list(traffic["subject"]) == ["县道X017北岭卡口", "中古线西关卡口"]
    settings = audit.changes(audit.AuditView(line="settings"), demo_engine)
    due = settings[settings["action"] == "set_due_time"].iloc[0]
    assert (due["subject"], due["items"], due["reason"]) == ("中古线西关卡口", (("due", "", "09:00+1", "both"),), "路远")
    at_west = audit.changes(audit.AuditView(site_id=west), demo_engine)
    assert set(at_west["subject"]) == {"中古线西关卡口"} and set(at_west["action"]) == {"correct", "set_due_time"}
    assert audit.count_changes(audit.AuditView(site_id=west), demo_engine) == 2

    yesterday = REAL_TODAY - dt.timedelta(days=1)
    assert audit.changes(audit.AuditView(start=yesterday - dt.timedelta(days=9), end=yesterday), demo_engine).empty
    assert len(audit.changes(audit.AuditView(start=REAL_TODAY, end=REAL_TODAY), demo_engine)) == len(everything)
    assert audit.changes(audit.AuditView(line="no such line"), demo_engine).empty


def test_accounts_keys_and_shops_are_named(demo_engine):
    admin = auth.authenticate("admin", "demo", engine=demo_engine)
    auth.add_user("clerk2", "a-long-password-1", "clerk", "第二管区填报员", ["Z2"], actor=admin, engine=demo_engine)
    auth.create_display_key("第二块屏", admin, engine=demo_engine)
    supervisor = auth.reload_actor("supervisor", demo_engine)
    shop = shops.entry_rows(supervisor, engine=demo_engine).iloc[0]
    shops.save_shops("supervisor", dt.date(2020, 2, 25), [{
        "shop_id": int(shop["shop_id"]), "version": int(shop["version"]), "is_open": not bool(shop["is_open"]),
        "staff": 3, "staff_from_outside": 1}], today=dt.date(2020, 2, 26), engine=demo_engine)
    found = audit.changes(audit.AuditView(), demo_engine)
    by_table = {r.table_name: r for r in found.itertuples()}
    assert by_table["shop"].subject == shop["name"] and by_table["shop"].line == "shops"
    assert ("is_open", bool(shop["is_open"]), not bool(shop["is_open"]), "both") in by_table["shop"].items
    assert by_table["display_key"].subject == "第二块屏"
    assert ("label", None, "第二块屏", "new") in by_table["display_key"].items
    assert all(field != "zone_id" for field, *_ in by_table["display_key"].items)  # nothing to say: no zone
    user = by_table["app_user"]
    assert user.subject == "clerk2" and ("zones", None, ["第二工作管区"], "new") in user.items  # a code as its name
    assert set(audit.users_in_log(demo_engine)["username"]) >= {"admin", "supervisor", "clerk2", "demo-loader"}


def test_a_limit_keeps_the_newest(demo_engine):
    for add in range(1, 4):
        correct_vehicles(demo_engine, add=add)
    found = audit.changes(audit.AuditView(line="traffic", limit=2), demo_engine)
    assert len(found) == 2 and found["id"].is_monotonic_decreasing
    assert audit.count_changes(audit.AuditView(line="traffic"), demo_engine) == 3
    with demo_engine.connect() as conn:
        newest = conn.execute(sa.select(sa.func.max(AuditLog.id))).scalar_one()
    assert int(found["id"].iloc[0]) == newest


# ---- logistics (issue 15): supplies, meals, donations ------------------------------------------------

LOGISTICS_DAY = dt.date(2020, 2, 26)  # the day after the demo's last: clerks enter it next
ANONYMOUS_DONOR = "不愿具名的王先生"  # typed, but the donor asked to stay anonymous: never shown


def logistics_changes(engine) -> dict:
    """What the logistics pages write, by the Z1 clerk: a receipt (an allocation with a note), an issue to a
    checkpoint with a recipient, a stock-take with its reason, a meal grid of two duty points saved and
    corrected the next day, and a named and an anonymous donation of goods (each with its stock movement).
    Returns the names and figures the audit lines must read, and the ids of the audit rows written."""
    with engine.connect() as conn:
        first = conn.execute(sa.select(sa.func.max(AuditLog.id))).scalar_one()
        zone_id, zone = conn.execute(sa.select(WorkZone.id, WorkZone.name).where(WorkZone.code == "Z1")).one()
        point_id, point = conn.execute(sa.select(Site.id, Site.name).where(
            Site.zone_id == zone_id, Site.kind == "checkpoint", Site.active.is_(True)).order_by(Site.id)).first()
    item = logistics.items(engine=engine).iloc[0]
    place = {"item_id": int(item["id"]), "zone_id": zone_id, "day": LOGISTICS_DAY}
    received = logistics.receive("clerk", {**place, "quantity": 500, "kind": "allocation", "note": "市指挥部调拨"},
                                 today=LOGISTICS_DAY, engine=engine)
    issued = logistics.issue("clerk", {**place, "quantity": 30, "recipient_site_id": point_id,
                                       "recipient": "卡口值守组"}, today=LOGISTICS_DAY, engine=engine)
    counted = logistics.stock_take("clerk", {**place, "counted": issued["stock"] - 3, "reason": "破损3只"},
                                   today=LOGISTICS_DAY, engine=engine)
    clerk = auth.reload_actor("clerk", engine)
    grid = logistics.meal_grid(clerk, LOGISTICS_DAY, engine=engine).head(2)
    rows = [{"site_id": int(r.site_id), "meals": 40, "donated_meals": 5, "version": None} for r in grid.itertuples()]
    logistics.save_meal_days("clerk", LOGISTICS_DAY, rows, today=LOGISTICS_DAY, engine=engine)
    grid = logistics.meal_grid(clerk, LOGISTICS_DAY, engine=engine).head(2)
    rows = [{"site_id": int(r.site_id), "meals": 44, "donated_meals": 5, "version": int(r.version)}
            for r in grid.itertuples()]
    logistics.save_meal_days("clerk", LOGISTICS_DAY, rows, reason="漏报夜班", today=LOGISTICS_DAY + dt.timedelta(days=1),
                             engine=engine)
    gift = {"day": LOGISTICS_DAY, "donor_kind": "firm", "donor_origin": "elsewhere", "kind": "goods", "amount": 200,
            "item_id": int(item["id"]), "estimated_value": 600, "received_by": "王建华", "zone_id": zone_id}
    logistics.record_donation("clerk", {**gift, "donor": "某科技有限公司", "anonymous": False, "description": "医用口罩"},
                              today=LOGISTICS_DAY, engine=engine)
    logistics.record_donation("clerk", {**gift, "donor": ANONYMOUS_DONOR, "donor_kind": "person",
                                        "donor_origin": "inside", "anonymous": True, "amount": 100,
                                        "estimated_value": None, "description": "一箱口罩"},
                              today=LOGISTICS_DAY, engine=engine)
    with engine.connect() as conn:
        ids = conn.execute(sa.select(AuditLog.id).where(AuditLog.id > first).order_by(AuditLog.id)).scalars().all()
    return {"item": item["name"], "unit": item["unit"], "zone": zone, "point": point,
            "meal_points": list(grid["name"]), "received": received, "issued": issued, "counted": counted,
            "audit_ids": ids}


def test_logistics_writes_read_as_item_place_duty_point_and_donor(demo_engine):
    done = logistics_changes(demo_engine)
    found = audit.changes(audit.AuditView(line="logistics"), demo_engine)
    # the line finds exactly these writes: 3 movements, 2 + 2 meal days, 2 donations with their 2 movements
    assert sorted(found["id"]) == done["audit_ids"] and len(found) == 11
    assert set(found["line"]) == {"logistics"}
    others = audit.changes(audit.AuditView(), demo_engine)
    assert set(others.loc[others["id"].isin(done["audit_ids"]), "line"]) == {"logistics"}
    for line in audit.LINES:
        if line != "logistics":
            assert not set(audit.changes(audit.AuditView(line=line), demo_engine)["id"]) & set(done["audit_ids"]), line
    by_action = {}
    for row in found.itertuples():
        by_action.setdefault((row.table_name, row.action), []).append(row)
    place = f"{done['item']} · {done['zone']}"

    receipt = by_action[("supply_movement", "allocation")][0]
    assert (receipt.subject, receipt.subject_kind, receipt.day) == (place, "supply", LOGISTICS_DAY)
    assert receipt.items == (("quantity", None, 500, "new"), ("stock", None, done["received"]["stock"], "new"),
                             ("note", None, "市指挥部调拨", "new"))
    issue = by_action[("supply_movement", "issue")][0]
    assert issue.subject == place and issue.items == (
        ("quantity", None, -30, "new"), ("stock", None, done["issued"]["stock"], "new"),
        ("recipient_site_id", None, done["point"], "new"), ("recipient", None, "卡口值守组", "new"))
    take = by_action[("supply_movement", "stocktake")][0]
    assert take.subject == place and take.reason == "破损3只"
    assert take.items == (("quantity", None, -3, "new"), ("stock", None, done["counted"]["stock"], "new"))

    meals = by_action[("meal_point_day", "insert")]
    assert sorted(r.subject for r in meals) == sorted(done["meal_points"])
    assert {(r.day, r.items) for r in meals} == {(LOGISTICS_DAY, (("meals", None, 40, "new"),
                                                                 ("donated_meals", None, 5, "new")))}
    fixes = by_action[("meal_point_day", "correct")]
    assert {(r.subject, r.day, r.items, r.reason) for r in fixes} == {
        (name, LOGISTICS_DAY, (("meals", 40, 44, "both"),), "漏报夜班") for name in done["meal_points"]}
    assert all(r.site_id is not None for r in [*meals, *fixes])

    named, anonymous = sorted(by_action[("donation", "insert")], key=lambda r: r.id)
    assert (named.subject, named.subject_kind, named.day) == ("某科技有限公司", "donor", LOGISTICS_DAY)
    assert named.items[:5] == (("donor_kind", None, "firm", "new"), ("donor_origin", None, "elsewhere", "new"),
                               ("kind", None, "goods", "new"), ("amount", None, 200, "new"),
                               ("item_id", None, done["item"], "new"))
    assert ("zone_id", None, done["zone"], "new") in named.items
    assert anonymous.subject_kind == "anonymous" and pd.isna(anonymous.subject)
    assert ANONYMOUS_DONOR not in repr(found.to_dict("records"))  # the name never leaves the data layer
    gifts = by_action[("supply_movement", "donation")]
    assert [r.subject for r in gifts] == [place, place] and all("donation_id" not in repr(r.items) for r in gifts)
    # a meal day is found by its duty point
    point_id = meals[0].site_id
    at_point = audit.changes(audit.AuditView(site_id=point_id), demo_engine)
    assert {(r.table_name, r.action) for r in at_point.itertuples()} == {("meal_point_day", "insert"),
                                                                         ("meal_point_day", "correct")}


def test_a_supply_item_change_names_the_item(demo_engine):
    item = logistics.items(engine=demo_engine).iloc[0]
    logistics.save_item("admin", {"id": int(item["id"]), "version": int(item["version"]), "code": item["code"],
                                  "name": item["name"], "unit": item["unit"],
                                  "low_threshold": int(item["low_threshold"]) + 10, "active": True}, engine=demo_engine)
    added = logistics.save_item("admin", {"code": "goggles", "name": "护目镜", "unit": "副", "low_threshold": 5},
                                engine=demo_engine)
    found = audit.changes(audit.AuditView(line="logistics"), demo_engine)
    new, changed = found.iloc[0], found.iloc[1]
    assert (new["action"], new["subject"], new["subject_kind"]) == ("insert", "护目镜", "item") and added["id"]
    assert [field for field, *_ in new["items"]] == ["name", "code", "unit", "low_threshold", "active"]
    assert (changed["action"], changed["subject"]) == ("update", item["name"])
    assert changed["items"] == (("low_threshold", int(item["low_threshold"]), int(item["low_threshold"]) + 10, "both"),)


# ---- people, A/B responsibility, the duty roster (issue 16) ---------------------------------------------------

NEW_PHONE, NOTE_PHONE = "13812345678", "13987654321"


def people_and_duty_changes(engine) -> dict:
    """A person added (phone and a note holding another number), their phone changed, a site's B changed, a
    grant, a full phone viewed, a roster cell emptied and a head count raised; the ids and names to expect."""
    from data_access import people, roster
    from data_access.models import DutyAssignment, DutyShift, OrgUnit, Person, Responsibility

    with engine.connect() as conn:
        unit_id, zone_id = conn.execute(sa.select(OrgUnit.id, OrgUnit.zone_id).where(OrgUnit.code == "Z1-STAFF")).one()
        site_id, site = conn.execute(sa.select(Site.id, Site.name).where(Site.name == "中古线西关卡口")).one()
        resp = conn.execute(sa.select(Responsibility).where(Responsibility.site_id == site_id)).one()
        other = conn.execute(sa.select(Person.id, Person.name).where(
            Person.unit_id == unit_id, Person.id.not_in((resp.a_person_id, resp.b_person_id))).limit(1)).one()
        old_b = conn.execute(sa.select(Person.name).where(Person.id == resp.b_person_id)).scalar_one()
        night = conn.execute(sa.select(DutyShift.id).where(DutyShift.code == "night")).scalar_one()
        cell = conn.execute(sa.select(DutyAssignment.person_id, Person.name).join(Person)
                            .where(DutyAssignment.site_id == site_id, DutyAssignment.day == dt.date(2020, 2, 27),
                                   DutyAssignment.shift_id == night)).all()
    before = audit.changes(audit.AuditView(), engine)
    person_id = people.save_person("supervisor", None, {"name": "测试人员", "unit_id": unit_id, "title": "工作人员",
                                                        "phone": NEW_PHONE, "note": f"备用电话{NOTE_PHONE}"}, engine=engine)
    people.save_person("supervisor", person_id, {"name": "测试人员", "unit_id": unit_id, "title": "工作人员",
                                                 "phone": "13700001111"}, version=1, engine=engine)
    people.save_responsibility("supervisor", {"site_id": site_id}, resp.a_person_id, other.id, resp.version,
                               engine=engine)
    people.grant_personal_data("admin", "supervisor", zone_id=zone_id, engine=engine)
    assert people.full_phone("supervisor", person_id, engine=engine) == "13700001111"
    ids = [p for p, _ in cell]
    roster.save_week("supervisor", site_id, [{"day": dt.date(2020, 2, 27), "shift_id": night, "person_ids": [],
                                              "loaded_person_ids": ids}], engine=engine)
    roster.save_requirements("supervisor", [{"site_id": site_id, "shift_id": night, "required": 3}], engine=engine)
    return {"person_id": person_id, "site_id": site_id, "site": site, "zone_id": zone_id, "new_b": other.name,
            "old_b": old_b, "cell": {n for _, n in cell}, "before": set(before["id"])}


def test_people_and_duty_writes_read_as_names_and_never_a_phone_in_clear(demo_engine):
    done = people_and_duty_changes(demo_engine)
    found = audit.changes(audit.AuditView(), demo_engine)
    new = found[~found["id"].isin(done["before"])]
    assert len(new) == 7
    by = {(r.table_name, r.action): r for r in new.itertuples()}
    assert set(by) == {("person", "insert"), ("person", "update"), ("responsibility", "update"),
                       ("personal_data_grant", "grant"), ("person", "personal_view"), ("duty_assignment", "update"),
                       ("duty_post", "update")}
    lines = {key: r.line for key, r in by.items()}
    assert lines == {("person", "insert"): "people", ("person", "update"): "people", ("responsibility", "update"): "people",
                     ("person", "personal_view"): "people", ("personal_data_grant", "grant"): "accounts",
                     ("duty_assignment", "update"): "duty", ("duty_post", "update"): "duty"}
    added = by[("person", "insert")]
    assert (added.subject, added.subject_kind) == ("测试人员", "person")
    fields = {f: new_value for f, _, new_value, _ in added.items}
    assert fields["unit_id"] == "第一工作管区工作人员" and fields["phone_masked"] == "138****5678"
    assert fields["note"] == "备用电话139****4321"  # a number typed in a note is masked too
    changed = by[("person", "update")]
    assert ("phone_masked", "138****5678", "137****1111", "both") in changed.items
    resp = by[("responsibility", "update")]
    assert (resp.subject, resp.site_id) == (done["site"], done["site_id"])
    assert resp.items == (("b_person", done["old_b"], done["new_b"], "both"),)
    viewed = by[("person", "personal_view")]
    assert (viewed.subject, viewed.username) == ("测试人员", "supervisor")
    grant = by[("personal_data_grant", "grant")]
    assert grant.subject == "supervisor" and ("zone_id", None, "第一工作管区", "new") in grant.items
    cell = by[("duty_assignment", "update")]
    assert (cell.subject, cell.day) == (f"{done['site']} · 0-8", dt.date(2020, 2, 27))  # the point and its shift
    [(field, was, now, shape)] = cell.items
    assert (field, set(was.split("、")), now, shape) == ("people", done["cell"], "", "both")
    post = by[("duty_post", "update")]
    assert post.subject == f"{done['site']} · 0-8" and post.items == (("required", 2, 3, "both"),)
    everything = repr(new.to_dict("records"))
    for number in (NEW_PHONE, NOTE_PHONE, "13700001111"):
        assert number not in everything
    # the lines and the site filter find them
    assert set(audit.changes(audit.AuditView(line="people"), demo_engine)["id"]) == {
        by[k].id for k in by if lines[k] == "people"}
    assert set(audit.changes(audit.AuditView(line="duty"), demo_engine)["id"]) == {
        by[("duty_assignment", "update")].id, by[("duty_post", "update")].id}
    at_site = set(audit.changes(audit.AuditView(site_id=done["site_id"]), demo_engine)["id"])
    assert {by[("duty_assignment", "update")].id, by[("duty_post", "update")].id} <= at_site


# ---- compound gates (issue 17) ----------------------------------------------------------------------------

GATE_PHONE = "13912345678"


def gate_changes(engine) -> dict:
    """The gate account registers an arrival (fever, from outside), an admin views its full record, changes the
    retention days and purges what is older than 20 days."""
    from data_access import demo, gate

    number = demo.resident_id("990101", dt.date(1980, 5, 6), 123)
    site_id = int(gate.compounds("gate", engine)["site_id"].iloc[0])
    with engine.connect() as conn:
        before = set(conn.execute(sa.select(AuditLog.id)).scalars())
    registration = gate.register("gate", site_id, {
        "direction": "in", "at": None, "doc_type": "resident_id", "doc_number": number, "name": "测试住户",
        "building": "3号楼2单元501", "phone": GATE_PHONE, "from_outside": True, "origin": "武汉市",
        "temperature": "37.5"}, engine=engine)
    assert gate.full_record("admin", registration, engine=engine)["doc_number"] == number
    gate.set_retention_days("admin", 20, engine=engine)
    purged = gate.purge("admin", engine=engine)
    assert purged["deleted"] > 0
    return {"before": before, "number": number, "site_id": site_id, "registration": registration,
            "deleted": purged["deleted"]}


def test_gate_writes_read_as_the_compound_and_day_masked_never_a_number(demo_engine):
    from ui import audit_view, i18n

    done = gate_changes(demo_engine)
    found = audit.changes(audit.AuditView(), demo_engine)
    new = found[~found["id"].isin(done["before"])]
    by = {(r.table_name, r.action): r for r in new.itertuples()}
    assert set(by) == {("gate_registration", "insert"), ("gate_registration", "personal_view"),
                       ("setting", "update"), ("gate_registration", "purge")}
    assert {k: r.line for k, r in by.items()} == {
        ("gate_registration", "insert"): "gate", ("gate_registration", "personal_view"): "gate",
        ("setting", "update"): "settings", ("gate_registration", "purge"): "gate"}
    added = by[("gate_registration", "insert")]
    assert (added.subject, added.site_id, added.day) == ("翠湖小区", done["site_id"], dt.date(2020, 2, 26))
    fields = {f: value for f, _, value, _ in added.items}
    assert fields["doc_masked"] == done["number"][:6] + "********" + done["number"][-4:]
    assert fields["phone_masked"] == "139****5678" and fields["fever"] is True and fields["origin"] == "武汉市"
    purge = by[("gate_registration", "purge")]
    deleted = dict((f, value) for f, _, value, _ in purge.items)
    assert deleted["deleted"] == done["deleted"] and deleted["days"] == 20
    assert sum(int(part.rsplit(" ", 1)[1]) for part in deleted["sites"]) == done["deleted"]
    with i18n.speaking("zh"):
        words = {k: audit_view.change_text(r.table_name, r.action, r.items) for k, r in by.items()}
        assert words[("gate_registration", "insert")].startswith("门岗登记：进出 进；时间 ")
        assert "证件类型 居民身份证" in words[("gate_registration", "insert")]
        assert "体温 37.5 ℃；体温异常 是" in words[("gate_registration", "insert")]
        assert words[("gate_registration", "personal_view")].startswith("查看完整证件号码和电话：姓名 测试住户")
        assert words[("gate_registration", "purge")].startswith(f"删除超过保留期的登记：删除登记 {done['deleted']:,}")
        assert "保留自 2020-02-06" in words[("gate_registration", "purge")] and "翠湖小区 " in words[("gate_registration", "purge")]
        assert audit_view.subject_text(by[("setting", "update")]) == "门岗登记保留天数"
    with i18n.speaking("en"):
        assert audit_view.change_text("gate_registration", "insert", added.items).startswith(
            "Registered a pass at the gate: In or out in; Time ")
    everything = repr(new.to_dict("records")) + repr(words)
    assert done["number"] not in everything and GATE_PHONE not in everything
    # the line and the site filter find them
    assert set(audit.changes(audit.AuditView(line="gate"), demo_engine)["id"]) == {
        by[k].id for k in by if k[0] == "gate_registration"}
    assert by[("gate_registration", "personal_view")].id not in set(
        audit.changes(audit.AuditView(line="people"), demo_engine)["id"])
    at_site = set(audit.changes(audit.AuditView(site_id=done["site_id"]), demo_engine)["id"])
    assert {by[("gate_registration", "insert")].id, by[("gate_registration", "personal_view")].id} <= at_site


def test_a_number_in_any_audit_text_is_masked():
    number = "110101199003077777"
    assert audit._mask_phones(f"导入 {number}.xlsx 13812345678") == "导入 110101********7777.xlsx 138****5678"
    assert audit._mask_phones("2020-02-26T09:30:00+08:00 第12345678901234567890行") == \
        "2020-02-26T09:30:00+08:00 第12345678901234567890行"
