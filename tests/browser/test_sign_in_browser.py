"""Issue 11 in headless Chromium: a sign-in that lasts (reload, second tab, pasted link), ends everywhere
(sign-out in another tab, a disabled account), is throttled and locked after failures (and audited), keeps
?lang=, and a wall that keeps its key out of the address bar. Screenshots of the sign-in and accounts pages."""
from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa

from data_access import auth, db
from data_access.models import AuditLog
from tests.browser.app_servers import app_server
from tests.browser.conftest import go, screenshot, sign_in, wait_ready

pytestmark = pytest.mark.browser
SESSION_COOKIE = "dash_session"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """serve.py on a fresh SQLite demo database. Here an account locks after 7 failures (5 free, then waits
    of 5 s and 10 s: long enough to see in a browser, short enough not to wait the default 15 minutes)."""
    folder = tmp_path_factory.mktemp("signin")
    app = app_server(f"sqlite:///{folder / 'demo.db'}", folder / "server.log",
                    env={"DASHBOARD_SIGNIN_LOCK_FAILURES": "7", "DASHBOARD_SIGNIN_FIRST_DELAY_SECONDS": "5",
                         "WALL_REFRESH_SECONDS": "5"})
    yield app
    app.stop()


def engine_of(server):
    return db.get_engine(server.database_url)


def new_page(browser, size=(1366, 768), locale="zh-CN"):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=locale)
    return context, context.new_page()


def settle(context, seconds: float = 10) -> None:
    """After a sign-in, give the browser time to store its session cookie (if the app sets one at all)."""
    deadline = time.time() + seconds
    while time.time() < deadline and not [c for c in context.cookies() if c["name"] == SESSION_COOKIE]:
        time.sleep(0.2)


def wait_for_session_cookie(context, seconds: float = 20) -> dict:
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no {SESSION_COOKIE} cookie after signing in: {[c['name'] for c in context.cookies()]}")


def signed_in(page) -> bool:
    return page.locator(".st-key-sign_out").count() > 0 and page.locator(".st-key-signin_username").count() == 0


def open_and_wait(page, url: str) -> None:
    page.goto(url)
    wait_ready(page)
    # a session found from the cookie or the sign-in form: whichever this run draws
    page.wait_for_selector(".st-key-sign_out, .st-key-signin_username", timeout=30_000)
    wait_ready(page)


def test_reload_keeps_the_sign_in(browser, server):
    context, page = new_page(browser)
    sign_in(page, server.url, "supervisor")
    settle(context)
    page.reload()
    wait_ready(page)
    page.wait_for_selector(".st-key-sign_out, .st-key-signin_username", timeout=30_000)
    wait_ready(page)
    assert signed_in(page), "a reload asks for the password again"
    cookie = wait_for_session_cookie(context, 1)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert SESSION_COOKIE not in page.evaluate("document.cookie")  # no script in the page can read it
    context.close()


def test_a_second_tab_and_a_pasted_link_are_signed_in(browser, server):
    context, page = new_page(browser)
    sign_in(page, server.url, "supervisor")
    settle(context)
    second = context.new_page()
    open_and_wait(second, server.url + "/")
    assert signed_in(second), "a second tab asks for the password again"
    pasted = context.new_page()  # a link a colleague sent, or a bookmark
    open_and_wait(pasted, server.url + "/reopening?lang=en")
    assert signed_in(pasted), "a pasted link asks for the password again"
    assert "lang=en" in pasted.url and "/reopening" in pasted.url
    assert "Sign out" in pasted.locator(".st-key-sign_out").inner_text()
    context.close()


def test_sign_out_in_one_tab_ends_the_other(browser, server):
    context, first = new_page(browser)
    sign_in(first, server.url, "clerk")
    settle(context)
    second = context.new_page()
    open_and_wait(second, server.url + "/")
    assert signed_in(second)
    first.locator(".st-key-sign_out button").click()
    first.wait_for_selector(".st-key-signin_username", timeout=30_000)
    wait_ready(first)
    # the other tab, at its next rerun (the clerk moves to another page)
    go(second, "企业复工")
    second.wait_for_selector(".st-key-signin_username", timeout=30_000)
    assert not signed_in(second)
    assert "登录已失效" in second.locator("[data-testid='stMain']").inner_text()
    # and a reload does not bring the session back
    second.reload()
    open_and_wait(second, server.url + "/")
    assert not signed_in(second)
    assert not [c for c in context.cookies() if c["name"] == SESSION_COOKIE], "the cookie outlived the sign-out"
    context.close()


def test_disabling_an_account_ends_its_open_sessions(browser, server):
    engine = engine_of(server)
    auth.add_user("clerk9", "clerk9-password", "clerk", zone_codes=["Z2"], engine=engine)
    context, page = new_page(browser)
    sign_in(page, server.url, "clerk9", password="clerk9-password")
    settle(context)
    other = context.new_page()
    open_and_wait(other, server.url + "/shops")
    assert signed_in(other)
    admin = auth.authenticate("admin", "demo", engine)
    auth.set_active("clerk9", False, actor=admin, engine=engine)
    for tab in (page, other):
        go(tab, "企业复工")  # the next rerun
        tab.wait_for_selector(".st-key-signin_username", timeout=30_000)
        assert not signed_in(tab)
    page.reload()
    open_and_wait(page, server.url + "/")
    assert not signed_in(page)
    context.close()


def failed_attempt(page, username: str, password: str) -> str:
    page.locator(".st-key-signin_username input").fill(username)
    page.locator(".st-key-signin_password input").fill(password)
    page.locator(".st-key-signin_submit button").click()
    page.wait_for_timeout(300)
    wait_ready(page)
    page.wait_for_selector("[data-testid='stAlertContentError']", timeout=30_000)
    return page.locator("[data-testid='stAlertContentError']").first.inner_text()


def test_lockout_after_repeated_failures_with_audit_rows(browser, server):
    context, page = new_page(browser)
    open_and_wait(page, server.url + "/")
    for _ in range(5):  # five free failures
        assert "用户名或密码错误" in failed_attempt(page, "viewer", "not-the-password")
    # the right password at once is refused: a growing delay
    assert "秒后再试" in failed_attempt(page, "viewer", "demo")
    assert not signed_in(page)
    time.sleep(5.2)
    assert "用户名或密码错误" in failed_attempt(page, "viewer", "still-wrong")
    assert "秒后再试" in failed_attempt(page, "viewer", "demo")  # now 10 s
    time.sleep(10.2)
    assert "用户名或密码错误" in failed_attempt(page, "viewer", "wrong-again")
    message = failed_attempt(page, "viewer", "demo")  # seven failures: locked, the right password too
    assert "锁定" in message, message
    screenshot(page, "signin_locked_1366x768_zh")
    with engine_of(server).connect() as conn:
        rows = conn.execute(sa.select(AuditLog.username, AuditLog.after).where(AuditLog.action == "sign_in")
                            .order_by(AuditLog.id)).all()
    mine = [json.loads(after) for name, after in rows if name == "viewer"]
    outcomes = [row["outcome"] for row in mine]
    assert outcomes == (["wrong_password"] * 5 + ["throttled", "wrong_password", "throttled", "wrong_password", "locked"]), outcomes
    assert all(row["client"] == "local" and row["name"] == "viewer" for row in mine)

    # an administrator sees them on the accounts page
    admin_context, admin = new_page(browser)
    sign_in(admin, server.url, "admin")
    settle(admin_context)
    open_and_wait(admin, server.url + "/admin")  # a typed address: the sign-in holds
    section = admin.locator(".st-key-admin_signins")
    section.wait_for(timeout=30_000)
    text = section.inner_text()
    assert "最近的登录失败" in text and "当前锁定" in text and "viewer" in text
    admin_context.close()
    context.close()


def test_lang_survives_sign_in(browser, tmp_path):
    """On a freshly started server (where the issue showed it: the first session lost ?lang=en at sign-in)."""
    fresh = app_server(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path / "server.log")
    try:
        context, page = new_page(browser, locale="en-US")
        sign_in(page, fresh.url, "supervisor", query="?lang=en")
        page.wait_for_timeout(1500)  # the runs that follow a sign-in
        wait_ready(page)
        assert "Sign out" in page.locator(".st-key-sign_out").inner_text()
        assert "lang=en" in page.url, page.url
        go(page, "Enterprise reopening")
        assert "lang=en" in page.url and "/reopening" in page.url, page.url
        assert "Sign out" in page.locator(".st-key-sign_out").inner_text()
        context.close()
    finally:
        fresh.stop()


def test_the_wall_keeps_its_key_out_of_the_address_bar(browser, server):
    context, page = new_page(browser, size=(1920, 1080))
    page.goto(server.url + "/wall?key=demo-wall&lang=en")
    wait_ready(page)
    page.wait_for_function("() => !location.search.includes('key=')", timeout=30_000)
    assert page.url.endswith("/wall?lang=en"), page.url
    wall_cookie = [c for c in context.cookies() if c["name"] == "dash_wall"]
    assert wall_cookie and wall_cookie[0]["httpOnly"]
    page.locator("[data-testid='stMetric']").first.wait_for(timeout=30_000)
    page.reload()
    wait_ready(page)
    page.locator("[data-testid='stMetric']").first.wait_for(timeout=30_000)
    assert "15,294" in page.locator("[data-testid='stMain']").inner_text()
    assert page.locator("[data-testid='stSidebar']").count() == 0 or not page.locator("[data-testid='stSidebar']").is_visible()
    # a bookmark of /wall in the same browser, with no key at all
    fresh = context.new_page()
    fresh.goto(server.url + "/wall")
    wait_ready(fresh)
    fresh.locator("[data-testid='stMetric']").first.wait_for(timeout=30_000)
    with engine_of(server).connect() as conn:
        from data_access.models import DisplayKey

        assert conn.execute(sa.select(DisplayKey.last_used_at).where(DisplayKey.label == "指挥部大屏")).scalar_one()
    context.close()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_screenshots_of_sign_in_and_accounts_pages(browser, server, language):
    context, page = new_page(browser, locale="zh-CN" if language == "zh" else "en-US")
    query = "?lang=en" if language == "en" else ""
    open_and_wait(page, server.url + "/" + query)
    screenshot(page, f"signin_1366x768_{language}")
    sign_in(page, server.url, "admin", query=query)
    settle(context)
    open_and_wait(page, server.url + "/admin" + query)
    section = page.locator(".st-key-admin_signins")
    section.wait_for(timeout=30_000)
    screenshot(page, f"accounts_1366x768_{language}")
    page.locator(".st-key-admin_set_role").scroll_into_view_if_needed()
    screenshot(page, f"accounts_roles_1366x768_{language}")
    section.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    screenshot(page, f"accounts_signins_1366x768_{language}")
    page.get_by_role("tab", name="显示密钥（指挥大屏）" if language == "zh" else "Display keys (wall displays)").click()
    page.locator(".st-key-admin_key_valid_through").wait_for(timeout=30_000)
    wait_ready(page)
    screenshot(page, f"accounts_keys_1366x768_{language}")
    context.close()
