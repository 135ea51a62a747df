"""AppTest: the accounts page (账号与密钥) and the audit log (审计日志) on the demo data, SQLite."""
from __future__ import annotations

import pytest

from data_access import auth
from tests.apptest_helpers import signed_in, texts

ADMIN = "pages/admin.py"
AUDIT = "pages/audit_log.py"
AUDIT_COLUMNS = ["at", "username", "action", "table_name", "row_id", "before", "after", "reason"]
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def frames(at) -> list:
    return [element.value for element in at.dataframe]


def _users_table(at):
    return next(f for f in frames(at) if "username" in f.columns)


def _keys_table(at):
    return next(f for f in frames(at) if "revoked_at" in f.columns)


def test_accounts_page_lists_every_account_and_key(demo_engine):
    at = signed_in("admin", ADMIN)
    assert not at.exception and not at.error
    users = _users_table(at)
    assert sorted(users["username"]) == ["admin", "clerk", "supervisor", "viewer"]
    assert {"username", "display_name", "role", "active", "zones"} <= set(users.columns)
    assert "id" not in users.columns  # an internal number, not for the table
    by_name = users.set_index("username")
    assert by_name.loc["clerk", "role"] == "clerk" and "Z1" in str(by_name.loc["clerk", "zones"])
    # accounts without a zone show nothing there (not NaN, not "nan")
    for name in ("admin", "supervisor", "viewer"):
        assert str(by_name.loc[name, "zones"]).strip() in ("", "None", "—"), by_name.loc[name, "zones"]
    assert by_name["active"].all()
    keys = _keys_table(at)
    assert list(keys["label"]) == ["指挥部大屏"]
    assert "id" in keys.columns and keys["revoked_at"].isna().all()  # a revoke needs the id


def test_accounts_page_adds_an_account(demo_engine):
    at = signed_in("admin", ADMIN)
    at.text_input(key="admin_new_username").set_value("clerk2")
    at.text_input(key="admin_new_display").set_value("第二管区填报员")
    at.text_input(key="admin_new_password").set_value("a-long-password-1")
    at.selectbox(key="admin_new_role").set_value("clerk")
    at.multiselect(key="admin_new_zones").set_value(["Z2"])
    next(b for b in at.button if b.label in ("新增账号", "Add an account")).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "clerk2" in texts(at)
    assert auth.authenticate("clerk2", "a-long-password-1") is not None


def test_audit_log_shows_who_changed_what(demo_engine):
    admin = auth.authenticate("admin", "demo")
    auth.set_active("viewer", False, actor=admin)
    at = signed_in("admin", AUDIT)
    assert not at.exception and not at.error
    rows = frames(at)[0]
    assert list(rows.columns) == AUDIT_COLUMNS
    newest = rows[rows["action"] != "sign_in"].iloc[0]  # (signing in as admin above is audited too)
    assert (newest["username"], newest["action"], newest["table_name"]) == ("admin", "disable", "app_user")
    assert "False" in str(newest["after"]) or "false" in str(newest["after"])


def test_audit_log_filters_by_table_and_user(demo_engine):
    admin = auth.authenticate("admin", "demo")
    auth.set_active("viewer", False, actor=admin)
    auth.create_display_key("第二块屏", admin)
    at = signed_in("supervisor", AUDIT)
    at.selectbox(key="audit_table").set_value("display_key").run()
    rows = frames(at)[0]
    assert len(rows) >= 1 and set(rows["table_name"]) == {"display_key"}
    at.selectbox(key="audit_table").set_value("").run()
    at.text_input(key="audit_user").set_value("nobody").run()
    assert frames(at)[0].empty
    assert not at.exception and not at.error
