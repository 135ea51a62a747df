"""AppTest: the accounts page (账号与密钥) on the demo data, SQLite. (The audit log: tests/test_pages_audit_log.py.)"""
from __future__ import annotations

import pytest

from data_access import auth
from tests.apptest_helpers import signed_in, texts

ADMIN = "pages/admin.py"
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
    assert sorted(users["username"]) == ["admin", "clerk", "gate", "supervisor", "viewer"]
    assert {"username", "display_name", "role", "active", "zones"} <= set(users.columns)
    assert "id" not in users.columns  # an internal number, not for the table
    by_name = users.set_index("username")
    assert by_name.loc["clerk", "role"] == "填报员" and by_name.loc["clerk", "zones"] == "第一工作管区"  # words, not codes
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
