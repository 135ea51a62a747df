"""Two app servers on one PostgreSQL behind a real HAProxy (Debian's package, deploy/haproxy.cfg):
sticky sessions, websocket upgrade, one shared server.cookieSecret.

A clerk saves through server A and the wall served by server B shows it at its next refresh; then
server A is killed, and the clerk's browser, reconnected through the balancer to B, is still signed in
and saves again."""
from __future__ import annotations

import secrets
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from data_access import auth, db, shops
from tests.browser.app_servers import HAPROXY, Balancer, app_server
from tests.browser.conftest import screenshot, wait_ready
from tests.conftest import PG_ADMIN_URL, PG_AVAILABLE, _pg_admin, _pg_url

pytestmark = pytest.mark.browser
REFRESH = 3  # the wall's refresh interval on these servers, seconds


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not PG_AVAILABLE:
        pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_URL}: run bash scripts/postgres_for_tests.sh", pytrace=False)
    if not Path(HAPROXY).exists():
        pytest.fail("no haproxy: install Debian's package (apt-get install haproxy; scripts/test.sh does as root)", pytrace=False)
    name = f"dash_lb_{int(time.time())}"
    with _pg_admin().connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    folder = tmp_path_factory.mktemp("two_servers")
    secret = secrets.token_hex(32)  # one server.cookieSecret for both
    env = {"WALL_REFRESH_SECONDS": str(REFRESH)}
    started = []
    try:
        a = app_server(_pg_url(name), folder / "a.log", env=env, cookie_secret=secret)
        started.append(a)
        b = app_server(_pg_url(name), folder / "b.log", env=env, cookie_secret=secret)
        started.append(b)
        balancer = Balancer([a, b], folder / "haproxy.log")
        started.append(balancer)
        yield a, b, balancer, _pg_url(name)
    finally:
        for process in reversed(started):
            process.stop()
        db.dispose_engines()
        with _pg_admin().connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def pinned_context(browser, balancer, server: str, size=(1600, 1000)):
    """A browser that HAProxy has already placed on `server` (its sticky cookie, as HAProxy sets it)."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    context.add_cookies([{"name": "DASHSRV", "value": server, "url": balancer.url}])
    return context


def open_tile(page) -> int:
    tile = page.locator("[data-testid='stMetric']", has_text="营业商铺").first
    tile.wait_for(timeout=30_000)
    return int(tile.locator("[data-testid='stMetricValue']").inner_text().replace(",", ""))


def wait_signed_in(page, seconds: float = 60) -> None:
    page.wait_for_selector(".st-key-sign_out", timeout=seconds * 1000)
    wait_ready(page)


def one_shop_tab(page) -> None:
    """The "one shop" tab (drawn again by every rerun, which may show the first tab once more)."""
    page.get_by_role("tab", name="单家商铺").click()
    page.wait_for_timeout(300)
    wait_ready(page)
    page.get_by_role("tab", name="单家商铺").click()


def open_one_shop(page, name: str, staff: int, saved, address: str | None = None) -> None:
    """On the shop entry page (opened at `address` first, if given), mark one shop open with `staff`
    people, as a clerk does; `saved()` says when the database has it."""
    if address:
        page.goto(address)
    wait_signed_in(page)
    one_shop_tab(page)
    box = page.locator(".st-key-shop_one_id")
    box.wait_for(timeout=30_000)
    box.click()
    page.keyboard.type(name)
    page.get_by_role("option", name=name).first.click()
    page.wait_for_timeout(300)
    wait_ready(page)
    form = page.locator("[data-testid='stForm']:visible").filter(
        has=page.locator("[class*='st-key-shop_one_'][class*='_open']"))
    if not form.count():
        one_shop_tab(page)
    form.wait_for(timeout=30_000)
    form.locator("[data-testid='stRadio']").get_by_text("营业", exact=True).click()
    form.locator("[class*='_staff'] input").first.fill(str(staff))
    form.locator("[class*='_save'] button").click()
    deadline = time.time() + 30
    while time.time() < deadline and not saved():
        page.wait_for_timeout(250)
    if not saved():
        screenshot(page, "two_servers_save_not_answered")
        raise AssertionError(f"{name} was not saved")


def test_a_save_through_a_shows_on_the_wall_served_by_b_and_a_crash_keeps_the_clerk_signed_in(browser, cluster):
    a, b, balancer, url = cluster
    engine = db.get_engine(url)

    # HAProxy places a new browser on a server and keeps it there (its sticky cookie)
    with urllib.request.urlopen(balancer.url + "/") as response:
        assert "DASHSRV=" in (response.headers.get("Set-Cookie") or "")

    wall_context = pinned_context(browser, balancer, "b", size=(1920, 1080))
    wall = wall_context.new_page()
    answer = wall.goto(balancer.url + "/wall?key=demo-wall")
    assert answer.headers.get("x-served-by") == "b"
    wait_ready(wall)
    before = open_tile(wall)

    clerk_context = pinned_context(browser, balancer, "a")
    clerk = clerk_context.new_page()
    answer = clerk.goto(balancer.url + "/")
    assert answer.headers.get("x-served-by") == "a"
    wait_ready(clerk)
    clerk.locator(".st-key-signin_username input").fill("clerk")
    clerk.locator(".st-key-signin_password input").fill("demo")
    clerk.locator(".st-key-signin_submit button").click()
    wait_signed_in(clerk)
    deadline = time.time() + 20
    while time.time() < deadline and not [c for c in clerk_context.cookies() if c["name"] == "dash_session"]:
        time.sleep(0.2)

    clerk_actor = auth.authenticate("clerk", "demo", engine)
    closed = shops.entry_rows(clerk_actor, engine=engine).query("~is_open")["name"].tolist()
    assert len(closed) >= 2, "the demo data has closed shops in the clerk's zone"
    def is_open(name: str, staff: int):
        def check() -> bool:
            row = shops.entry_rows(clerk_actor, engine=engine).set_index("name").loc[name]
            return bool(row["is_open"]) and int(row["staff"]) == staff
        return check

    open_one_shop(clerk, closed[0], 3, is_open(closed[0], 3), address=balancer.url + "/shop-entry")
    saved_at = time.time()
    after = before
    while time.time() < saved_at + REFRESH * 2 + 10 and after == before:
        wall.wait_for_timeout(250)
        after = open_tile(wall)
    assert after == before + 1, f"the wall on B still shows {after} open shops, not {before + 1}"
    screenshot(wall, "two_servers_wall_on_b")

    # Server A dies. The clerk's browser reconnects through HAProxy, which sends it to B.
    a.kill()
    assert a.process.poll() is not None
    clerk.wait_for_timeout(1000)
    deadline = time.time() + 90
    while time.time() < deadline:  # Streamlit says "Connecting" until its websocket is back (now on B)
        text = clerk.locator("[data-testid='stApp']").inner_text().lower()
        if "connecting" not in text and clerk.locator(".st-key-sign_out").count() and "商铺营业登记" in text:
            break
        clerk.wait_for_timeout(500)
    else:
        screenshot(clerk, "two_servers_clerk_not_reconnected")
        raise AssertionError("the clerk's page did not reconnect through the balancer")
    wait_signed_in(clerk)
    assert clerk.locator(".st-key-signin_username").count() == 0, "signed out after the failover"
    screenshot(clerk, "two_servers_clerk_after_failover")
    open_one_shop(clerk, closed[1], 2, is_open(closed[1], 2))  # in the same, reconnected page: no reload
    wall.wait_for_timeout(REFRESH * 1000 * 2 + 2000)
    assert open_tile(wall) == before + 2
    clerk_context.close()
    wall_context.close()
