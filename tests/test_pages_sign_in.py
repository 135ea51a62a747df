"""AppTest (SQLite): the sign-in form opens a database session, refusals say why, a disabled account is
signed out at its next rerun; the accounts page applies the password policy, keeps the last administrator,
lists recent failed sign-ins and creates keys with a last day."""
from __future__ import annotations

import datetime as dt

import pytest

from data_access import auth, sessions
from tests.apptest_helpers import app, rerun_router, signed_in, texts

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
ADMIN = "pages/admin.py"


def submit(at, username: str, password: str, remember: bool = False):
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(password)
    if remember:
        at.checkbox(key="signin_remember").check()
    at.button(key="signin_submit").click().run()
    return at


def errors(at) -> str:
    return "\n".join(e.value for e in at.error)


def test_signing_in_opens_a_session_that_ends_when_the_account_is_disabled(demo_engine):
    at = app()
    at.run()
    submit(at, "clerk", "demo", remember=True)
    assert not at.exception, at.exception
    rerun_router(at)
    assert at.button(key="sign_out") is not None
    session_id = at.session_state["_signin_session"]
    assert sessions.check(session_id) is not None and sessions.open_sessions("clerk") == 1
    admin = auth.authenticate("admin", "demo")
    auth.set_active("clerk", False, actor=admin)
    rerun_router(at)  # the clerk's next rerun
    assert not at.exception
    assert at.text_input(key="signin_username") is not None
    assert "登录已失效" in texts(at)


def test_wrong_password_then_a_wait_then_a_lock(demo_engine, monkeypatch):
    monkeypatch.setenv("DASHBOARD_SIGNIN_FIRST_DELAY_SECONDS", "30")
    monkeypatch.setenv("DASHBOARD_SIGNIN_LOCK_FAILURES", "6")
    at = app()
    at.run()
    for _ in range(5):
        assert "用户名或密码错误" in errors(submit(at, "viewer", "wrong-password"))
    assert "秒后再试" in errors(submit(at, "viewer", "demo"))  # the right password, too soon
    assert at.session_state["actor"] is None if "actor" in at.session_state else True
    assert "_signin_session" not in at.session_state


def test_english_sign_in_page(demo_engine):
    at = app({"lang": "en"})
    at.run()
    assert "Keep me signed in" in at.checkbox(key="signin_remember").label
    assert "Wrong username or password" in errors(submit(at, "nobody", "whatever"))


def test_accounts_page_policy_last_admin_failures_and_key_expiry(demo_engine):
    auth.sign_in("admin", "not-it", client="10.0.0.5")
    at = signed_in("admin", ADMIN)
    assert not at.exception and not at.error
    assert "10.0.0.5" in str([frame.value.to_dict() for frame in at.dataframe])
    assert "最近的登录失败" in texts(at)

    at.text_input(key="admin_new_username").set_value("clerk2")
    at.text_input(key="admin_new_password").set_value("1234")
    next(b for b in at.button if b.label == "新增账号").click().run()
    assert "至少 8 个字符" in str([e.value for e in at.error]) + texts(at)

    at.selectbox(key="admin_target").set_value("admin")
    at.button(key="admin_disable").click().run()
    assert "最后一个启用的管理员" in str([e.value for e in at.error]) + texts(at)
    assert auth.reload_actor("admin") is not None

    at.selectbox(key="admin_target").set_value("viewer")
    at.selectbox(key="admin_target_role").set_value("supervisor")
    at.button(key="admin_set_role").click().run()
    assert auth.reload_actor("viewer").role == "supervisor"

    last_day = dt.date.today() + dt.timedelta(days=10)
    at.text_input(key="admin_key_label").set_value("临时大屏")
    at.date_input(key="admin_key_valid_through").set_value(last_day)
    next(b for b in at.button if b.label == "生成密钥").click().run()
    assert not at.exception
    keys = auth.list_display_keys().set_index("label")
    assert auth.key_last_day(keys.loc["临时大屏", "expires_at"]) == last_day
