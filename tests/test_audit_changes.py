"""The audit log as people read it (data_access.audit.changes): one row per change, who made it, the line
of work, the site (or enterprise, shop, account) and day it is about, and only the fields that changed,
ids as names; filters by user, line, site and the days changes were made. SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data_access import audit, auth, clock, completeness, shops, traffic_entry
from data_access.models import AuditLog, CheckpointDay, Shop, Site

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
