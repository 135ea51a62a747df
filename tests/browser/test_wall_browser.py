"""The wall display in headless Chromium: figures, a bad key, a clerk's save, a database outage."""
from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from tests.browser.conftest import READY, Server, go, screenshot, sign_in, wait_ready
from tests.conftest import PG_ADMIN_URL, PG_AVAILABLE, _pg_admin, _pg_url

pytestmark = pytest.mark.browser
REFRESH = 3  # seconds; the test server's wall refresh interval


@pytest.fixture(scope="module")
def wall_server(tmp_path_factory):
    """The app on its own PostgreSQL database (so the test can cut it off), filled with demo data."""
    if not PG_AVAILABLE:
        pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_URL}: run bash scripts/postgres_for_tests.sh", pytrace=False)
    name = f"dash_wall_{int(time.time())}"
    with _pg_admin().connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    folder = tmp_path_factory.mktemp("wall")
    import os

    os.environ["WALL_REFRESH_SECONDS"] = str(REFRESH)
    server = Server(_pg_url(name), folder / "server.log")
    server.database = name
    yield server
    server.stop()
    os.environ.pop("WALL_REFRESH_SECONDS", None)
    with _pg_admin().connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _wall_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def _vehicles_total(page) -> int:
    tile = page.locator("[data-testid='stMetric']", has_text="累计车辆").first
    return int(tile.locator("[data-testid='stMetricValue']").inner_text().replace(",", ""))


def open_wall(browser, url: str, key: str = "demo-wall", size=(1920, 1080)):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/wall?key={key}")
    wait_ready(page)
    return context, page


def test_demo_key_opens_the_wall_with_the_report_figures(browser, wall_server):
    context, page = open_wall(browser, wall_server.url)
    page.locator("[data-testid='stMetric']", has_text="累计车辆").first.wait_for(timeout=30_000)
    text = _wall_text(page)
    for figure in ("15,294", "28,225", "1,656", "69", "4,892", "164", "58", "7,718", "11,222", "2,015", "5,276"):
        assert figure in text, f"{figure} not on the wall"
    assert page.locator("[data-testid='stSidebar']").count() == 0 or not page.locator("[data-testid='stSidebar']").is_visible()
    assert page.locator("input").count() == 0  # nothing to type into
    assert "does not seem to exist" not in page.content()  # /wall is a real address, not a fallback
    screenshot(page, "wall_1920x1080")
    context.close()


def test_wall_fits_4k_without_scrolling(browser, wall_server):
    context, page = open_wall(browser, wall_server.url, size=(3840, 2160))
    page.locator("[data-testid='stMetric']", has_text="累计车辆").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    assert height <= 2160 + 5
    screenshot(page, "wall_3840x2160")
    context.close()


def test_bad_key_shows_nothing(browser, wall_server):
    context, page = open_wall(browser, wall_server.url, key="wrong-key")
    text = _wall_text(page)
    assert "无效或已被撤销" in text
    assert "15,294" not in text and page.locator("[data-testid='stMetric']").count() == 0
    context.close()


def test_a_clerks_save_shows_within_one_refresh(browser, wall_server):
    context, wall = open_wall(browser, wall_server.url)
    wall.locator("[data-testid='stMetric']", has_text="累计车辆").first.wait_for(timeout=30_000)
    before = _vehicles_total(wall)

    clerk_context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    clerk = clerk_context.new_page()
    # A chosen range: the entry page opens on its last day, not on the first day not yet reported.
    sign_in(clerk, wall_server.url, "clerk", query="?from=2020-02-01&to=2020-02-25")
    go(clerk, "卡口日报填报")
    # Correct the last demo day's first checkpoint: +500 vehicles, with a reason.
    grid = clerk.locator(".st-key-entry_grid_2020-02-25")
    grid.wait_for()
    from tests.browser.test_traffic_browser import type_into_cell

    type_into_cell(clerk, grid, 0, "vehicles", "1500")
    clerk.locator(".st-key-entry_reason_2020-02-25 input").fill("大屏联动测试")
    clerk.keyboard.press("Enter")
    wait_ready(clerk)
    confirm = clerk.locator(".st-key-entry_confirm_2020-02-25")
    if confirm.count():
        confirm.locator("label").click()
        wait_ready(clerk)
    from tests.browser.test_traffic_browser import save_and_wait

    save_and_wait(clerk, "修改 1 行")
    saved_at = time.time()

    deadline = saved_at + REFRESH * 2 + 5
    while time.time() < deadline and _vehicles_total(wall) == before:
        wall.wait_for_timeout(250)
    after = _vehicles_total(wall)
    assert after != before, "the wall did not show the save"
    assert time.time() - saved_at <= REFRESH * 2 + 5
    clerk_context.close()
    context.close()


LEAKS = ("Traceback", 'File "', "sqlalchemy", "psycopg", "OperationalError", "127.0.0.1:")


def assert_no_exception_text(page) -> None:
    """Nothing on the page reads like a crash: no exception element, no traceback, driver or address."""
    assert page.locator("[data-testid='stException']").count() == 0, "an exception is on the wall"
    text = page.locator("[data-testid='stApp']").inner_text()
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} on the wall: {text[:600]}"


def _cut_off(name: str) -> None:
    """The database refuses connections (the shared server itself keeps running)."""
    with _pg_admin().connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})


def _reconnect(name: str) -> None:
    with _pg_admin().connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))


CHARTS = "[data-testid='stVegaLiteChart']"


def test_database_outage_shows_stale_banner_and_recovers(browser, wall_server):
    context, page = open_wall(browser, wall_server.url)
    page.locator("[data-testid='stMetric']", has_text="累计车辆").first.wait_for(timeout=30_000)
    page.locator(CHARTS).nth(2).wait_for(timeout=30_000)
    before, charts = _vehicles_total(page), page.locator(CHARTS).count()
    name = wall_server.database
    _cut_off(name)
    try:
        page.get_by_text("数据库未响应").wait_for(timeout=(REFRESH * 3 + 10) * 1000)
        # Several refreshes into the outage: the last board stays, whole, and nothing reads like a crash.
        for _ in range(3):
            page.wait_for_timeout(REFRESH * 1000)
            assert_no_exception_text(page)
            assert "数据库未响应" in _wall_text(page)
            assert _vehicles_total(page) == before  # the last figures stay up
            assert page.locator(CHARTS).count() == charts  # and so do trend, funnel and map
            assert "需要处理" in _wall_text(page)  # and the alert column
        screenshot(page, "wall_stale")
    finally:
        _reconnect(name)
    page.wait_for_function("() => !document.body.innerText.includes('数据库未响应')", timeout=(REFRESH * 4 + 15) * 1000)
    assert "累计车辆" in _wall_text(page)
    assert _vehicles_total(page) == before
    assert page.locator(CHARTS).count() == charts
    assert_no_exception_text(page)
    context.close()


def test_clerk_typed_text_is_plain_text_on_the_wall(browser, wall_server):
    """Findings, suspension reasons and a duty point's name typed as Markdown show as typed:
    no link, bold, strikethrough, maths or colour comes from them."""
    from data_access import db
    from tests.test_plain_text import EVIL, store_evil

    context, page = open_wall(browser, wall_server.url)
    page.locator("[data-testid='stMetric']", has_text="累计车辆").first.wait_for(timeout=30_000)
    store_evil(db.get_engine(_pg_url(wall_server.database)))
    alerts = page.locator(".st-key-wall_alerts")
    alerts.get_by_text("javascript", exact=False).first.wait_for(timeout=(REFRESH * 3 + 10) * 1000)
    wait_ready(page)
    lines = alerts.locator("[data-testid='stMarkdownContainer'] p").filter(has_text="javascript")
    assert lines.count() >= 3  # a past-due finding, a suspension, the renamed duty point
    for i in range(lines.count()):
        line = lines.nth(i)
        assert EVIL in line.inner_text().replace("\u2060", "")  # reads exactly as typed
        for tag in ("a", "strong", "em", "del", "b", ".katex", "code"):
            assert line.locator(tag).count() == 0, f"<{tag}> made from stored text: {line.inner_html()[:300]}"
        assert line.locator("span[style*='color']").count() == 1  # only the line's own marker is coloured
    assert page.locator("[data-testid='stMain'] a[href*='evil'], [data-testid='stMain'] a[href^='javascript']").count() == 0
    assert_no_exception_text(page)
    screenshot(page, "wall_plain_text")
    context.close()


def test_a_bad_link_parameter_is_corrected_with_a_one_line_notice(browser, wall_server):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{wall_server.url}/wall?key=demo-wall&scale=abc&cycle=yes")
    wait_ready(page)
    page.locator("[data-testid='stMetric']", has_text="累计车辆").first.wait_for(timeout=30_000)
    notice = page.locator(".st-key-wall_notice [data-testid='stAlertContainer']")
    assert "scale=auto" in notice.inner_text() and "cycle=1" in notice.inner_text()  # a bad scale: the wall sizes itself
    assert notice.bounding_box()["height"] < 50  # one line
    assert page.locator("[data-testid='stAlertContentError']").count() == 0  # no error box
    assert_no_exception_text(page)
    screenshot(page, "wall_bad_parameter")
    context.close()
