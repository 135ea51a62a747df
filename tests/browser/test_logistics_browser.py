"""What a supervisor does on 物资保障 (issue 15): issues masks in 第三工作管区 through the issue form, and
the zone's stock on the page, the wall's short-cover alert and logistics tile, and the database all
change by exactly that amount.

On the demo data (2020-02-25) masks in 第三工作管区 have the fewest days of cover of any item and zone
(their last delivery did not come): the wall's logistics tile names them, and their short-cover alert
reads the stock left ("第三工作管区 口罩 不足 3 天：余 … 只"). The demo's clerk writes for 第一工作管区
only, so the supervisor (who may write everywhere) issues here.
"""
from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from tests.browser.conftest import Server, go, screenshot, sign_in, wait_ready

pytestmark = pytest.mark.browser
REFRESH = 3  # seconds; the test server's wall refresh interval
ZONE, ITEM, UNIT = "第三工作管区", "口罩", "只"
ISSUED = 37  # masks: fewer than the zone holds, and a figure no other change on the page could make
DAY = "2020-02-25"
JOINER = "\u2060"  # the wall keeps short names together with word joiners


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a fresh SQLite demo database, with a short wall refresh."""
    folder = tmp_path_factory.mktemp("logistics")
    instance = Server(f"sqlite:///{folder / 'demo.db'}", folder / "server.log",
                      env={"WALL_REFRESH_SECONDS": str(REFRESH)})
    yield instance
    instance.stop()


def _engine(server):
    return sa.create_engine(server.database_url)


def _issues(server) -> list[tuple]:
    """Every issue movement of masks in the zone: (id, quantity, day)."""
    engine = _engine(server)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT m.id, m.quantity, m.day FROM supply_movement m "
                "JOIN supply_item i ON i.id = m.item_id JOIN work_zone z ON z.id = m.zone_id "
                "WHERE m.kind = 'issue' AND i.name = :item AND z.name = :zone ORDER BY m.id"),
                {"item": ITEM, "zone": ZONE}).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in rows]


def _holds(page) -> int:
    """The masks the zone holds, from the line above the issue form ('第三工作管区当前库存：口罩 1,234 只；…')."""
    line = page.locator("[data-testid='stCaptionContainer']", has_text=f"{ZONE}当前库存").first
    line.wait_for(timeout=30_000)
    found = re.search(rf"{ITEM} ([\d,]+) {UNIT}", line.inner_text())
    assert found, line.inner_text()
    return int(found.group(1).replace(",", ""))


def _open_wall(browser, url: str):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/wall?key=demo-wall")
    wait_ready(page)
    page.locator("[data-testid='stMetric']", has_text="今日送餐").first.wait_for(timeout=30_000)
    return context, page


def _wall_figures(page) -> tuple[str, int | None]:
    """(the logistics tile's cover line, e.g. '口罩 2.1 天'; the masks left in the zone's short-cover alert)."""
    tile = page.locator("[data-testid='stMetric']", has_text="今日送餐").first
    cover = tile.locator("[data-testid='stMetricDelta']").inner_text().replace(JOINER, "").strip()
    alerts = page.locator(".st-key-wall_alerts").inner_text().replace(JOINER, "")
    left = re.search(rf"{ZONE} {ITEM} 不足 \d+ 天：余 ([\d,]+) {UNIT}", alerts)
    return cover, int(left.group(1).replace(",", "")) if left else None


def _choose(page, key: str, typed: str) -> None:
    """A selectbox: type to filter its options, Enter picks the first match."""
    page.locator(f".st-key-{key} input").click()
    page.keyboard.type(typed)
    page.keyboard.press("Enter")
    wait_ready(page)


def test_issuing_masks_lowers_the_stock_the_wall_and_the_database_by_exactly_that(browser, server):
    started = time.time()
    wall_context, wall = _open_wall(browser, server.url)
    cover_before, left_before = _wall_figures(wall)
    assert cover_before.startswith(ITEM + " "), f"masks are not the shortest cover on the wall: {cover_before!r}"
    assert left_before is not None, "no short-cover alert for the zone's masks on the wall"
    issues_before = _issues(server)

    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, server.url, "supervisor")
    go(page, "物资保障")
    _choose(page, "sup_zone", ZONE)
    page.get_by_role("tab", name="发放").click()
    wait_ready(page)
    held = _holds(page)
    assert held == left_before  # the page and the wall read the same stock (no movement after the wall's day)
    assert held > ISSUED

    form = page.locator(".st-key-sup_issue_item").locator("xpath=ancestor::*[@data-testid='stForm']")
    _choose(page, "sup_issue_item", ITEM)
    assert form.locator(".st-key-sup_issue_day input").input_value() == DAY
    form.locator(".st-key-sup_issue_quantity input").fill(str(ISSUED))
    form.locator(".st-key-sup_issue_recipient input").fill("浏览器测试值守组")
    form.locator(".st-key-sup_issue_save button").click()
    page.get_by_text(re.compile(f"已发放：{ITEM} {ISSUED} {UNIT}")).wait_for(timeout=30_000)
    saved_at = time.time()
    wait_ready(page)
    message = page.get_by_text(re.compile("已发放：")).first.inner_text()
    assert f"{ZONE}现有 {held - ISSUED:,} {UNIT}" in message, message
    page.get_by_role("tab", name="发放").click()
    wait_ready(page)
    assert _holds(page) == held - ISSUED  # the stock shown went down by exactly what was issued
    # and the form is blank in the browser too (a second press must not send the same issue again)
    assert form.locator(".st-key-sup_issue_quantity input").input_value() == ""
    assert form.locator(".st-key-sup_issue_recipient input").input_value() == ""
    assert ITEM not in form.locator(".st-key-sup_issue_item").inner_text()
    screenshot(page, "logistics_issued")

    # The database: exactly one new issue movement, of -ISSUED, on the form's day.
    after = _issues(server)
    new = [row for row in after if row not in issues_before]
    assert len(after) == len(issues_before) + 1 and len(new) == 1, new
    assert new[0][1] == -ISSUED and str(new[0][2]).startswith(DAY), new

    # The wall, within one refresh (plus the time to draw it): the alert's stock down by exactly ISSUED,
    # and the tile's days of cover now what the database's stock and last week's issues give.
    deadline = saved_at + REFRESH * 2 + 5
    while time.time() < deadline and _wall_figures(wall)[1] == left_before:
        wall.wait_for_timeout(250)
    cover_after, left_after = _wall_figures(wall)
    assert left_after == left_before - ISSUED, (left_before, left_after)
    assert time.time() - saved_at <= REFRESH * 2 + 5
    wait_ready(wall)
    from data_access import db, logistics
    from data_access.filters import Filters
    from ui.logistics_view import days_text

    import datetime as dt

    engine = db.get_engine(server.database_url)
    fewest = logistics.logistics_tile(Filters(end=dt.date(2020, 2, 25)), engine)["fewest_cover"]
    assert fewest["item"] == ITEM and fewest["zone"] == ZONE and fewest["stock"] == left_after
    assert cover_after == f"{ITEM} {days_text(fewest['days'])} 天", (cover_before, cover_after)
    assert cover_after != cover_before  # fewer masks, more issued in the last week: fewer days
    screenshot(wall, "logistics_wall_after_issue")
    context.close()
    wall_context.close()
    assert time.time() - started < 120
