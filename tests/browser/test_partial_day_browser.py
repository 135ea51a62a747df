"""A day that is only partly reported, in headless Chromium (issue 10): the demo wall, then 2 of 12
checkpoints in for 2020-02-26. Before the due time the wall keeps 02-25's figures, labelled, with
"2/12" beside them, no red drop and no late alert; after it (the demo clock moved) the 10 missing
checkpoints are late, each with its due time, who answers and how late.

Screenshots (tests/artifacts/partial_*.png): the wall at 1920x1080 and 3840x2160 and the traffic
page at 1366x768, in each state.
"""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.browser.conftest import Server, own_postgres_database, screenshot, sign_in, wait_ready

pytestmark = pytest.mark.browser
REFRESH = 3  # seconds; the test server's wall refresh interval
NEXT = dt.date(2020, 2, 26)
EVENING = "2020-02-26T21:00:00+08:00"  # the clerk saves the day in the evening, long before 10:00 the next morning
AFTER_DUE = "2020-02-27T11:00:00+08:00"  # an hour after the 02-26 reports were due
SIZES = {"1920x1080": (1920, 1080), "3840x2160": (3840, 2160)}


@pytest.fixture(scope="module")
def server(tmp_path_factory, monkeypatch_module):
    """The app on its own PostgreSQL database (the test moves its clock), filled with demo data."""
    monkeypatch_module.setenv("WALL_REFRESH_SECONDS", str(REFRESH))
    monkeypatch_module.delenv("DASHBOARD_NOW", raising=False)  # the server's clock is the demo's own setting
    with own_postgres_database("dash_partial") as (url, name):
        instance = Server(url, tmp_path_factory.mktemp("partial") / "server.log")
        instance.database = name
        yield instance
        instance.stop()


def _engine(server):
    from data_access import db

    return db.get_engine(server.database_url)


def set_clock(server, moment: str) -> None:
    """The demo's clock (setting demo_now); the write bumps the data version, so every cache sees it."""
    from data_access.clock import DEMO_NOW_KEY
    from data_access.db import write_session
    from data_access.models import Setting

    with write_session(_engine(server)) as session:
        session.get(Setting, DEMO_NOW_KEY).value = moment


def save_two_of_twelve(server) -> None:
    """The Z1 clerk saves 2020-02-26 for their 2 checkpoints, each 10 vehicles and 20 persons above 02-25."""
    from data_access import traffic_entry
    from data_access.models import CheckpointDay, Site, WorkZone

    engine = _engine(server)
    with engine.connect() as conn:
        before = conn.execute(sa.select(CheckpointDay.site_id, CheckpointDay.vehicles, CheckpointDay.persons)
                              .join(Site, Site.id == CheckpointDay.site_id).join(WorkZone)
                              .where(WorkZone.code == "Z1", Site.checkpoint_type == "road",
                                     CheckpointDay.day == NEXT - dt.timedelta(days=1))).all()
    assert len(before) == 2
    traffic_entry.save_checkpoint_days("clerk", NEXT, [
        {"site_id": site, "version": None, "vehicles": vehicles + 10, "persons": persons + 20,
         "persons_from_outside": 1, "turned_back": 0, "abnormal_temperature": 0}
        for site, vehicles, persons in before], engine=engine)


def open_wall(browser, url: str, size=(1920, 1080)):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/wall?key=demo-wall")
    wait_ready(page)
    page.locator("[data-testid='stMetric']", has_text="累计车辆").first.wait_for(timeout=30_000)
    page.locator("[data-testid='stVegaLiteChart']").nth(2).wait_for(timeout=30_000)
    page.wait_for_timeout(1500)  # let the charts paint
    return context, page


def header(page) -> str:
    return page.locator(".st-key-wall_as_of").inner_text()


def alerts(page) -> str:
    return page.locator(".st-key-wall_alerts").inner_text()


def assert_no_red_drop(page) -> None:
    """No tile shows a drop: no downward arrow and no delta starting with a minus."""
    assert page.locator("[data-testid='stMetricDeltaIcon-Down']").count() == 0
    for delta in page.locator("[data-testid='stMetricDelta']").all_inner_texts():
        assert not delta.strip().startswith(("-", "−")), delta


def assert_readable(page) -> None:
    text = page.locator("[data-testid='stApp']").inner_text()
    assert "None" not in text and "nan" not in text.split() and "Traceback" not in text
    assert page.locator("[data-testid='stException']").count() == 0


def assert_fits(page, height: int) -> None:
    """Nothing below the screen's edge: the wall has no scroll bar to reach it."""
    scroll = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    assert scroll <= height + 5, f"the wall is {scroll}px high on a {height}px screen"


def wall_shots(browser, server, state: str, check) -> None:
    for label, size in SIZES.items():
        context, page = open_wall(browser, server.url, size)
        screenshot(page, f"partial_wall_{state}_{label}")
        check(page)
        assert_readable(page)
        assert_fits(page, size[1])
        context.close()


def traffic_shot(browser, server, state: str) -> str:
    """The traffic page at 1366x768 for a supervisor; returns its text."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, server.url, "supervisor")
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    screenshot(page, f"partial_traffic_{state}_1366x768")
    page.locator("[data-testid='stDataFrame']").first.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    screenshot(page, f"partial_traffic_{state}_1366x768_table")
    assert_readable(page)
    assert_no_red_drop(page)
    text = page.locator("[data-testid='stMain']").inner_text()
    context.close()
    return text


def test_demo_wall_and_page_say_nothing_of_a_partial_day(browser, server):
    def check(page):
        shown = header(page)
        assert "2020-02-25" in shown and "已上报" not in shown
        assert "已上报" not in page.locator("[data-testid='stMain']").inner_text()
        assert "应于" not in alerts(page) and "待上报" not in alerts(page)
        assert_no_red_drop(page)

    wall_shots(browser, server, "demo", check)
    text = traffic_shot(browser, server, "demo")
    assert "12 个卡口全部上报" in text and "同口径" not in text


def test_two_of_twelve_before_the_due_time(browser, server):
    context, wall = open_wall(browser, server.url)
    set_clock(server, EVENING)
    save_two_of_twelve(server)
    wall.wait_for_function("() => document.body.innerText.includes('02-26 已上报 2/12')",
                           timeout=(REFRESH * 3 + 15) * 1000)
    context.close()

    def check(page):
        shown = header(page)
        assert "2020-02-25" in shown and "全天" in shown and "02-26 已上报 2/12" in shown
        tile = page.locator("[data-testid='stMetric']", has_text="当日车辆").first
        assert tile.locator("[data-testid='stMetricValue']").inner_text() == "1,055"  # 02-25, whole
        assert "待上报 10" in alerts(page)
        assert "应于" not in alerts(page) and "已晚" not in alerts(page)  # nobody is late yet
        assert_no_red_drop(page)

    wall_shots(browser, server, "before_due", check)
    text = traffic_shot(browser, server, "before_due")
    assert "2/12 已上报" in text and "同口径 2 个卡口 +20" in text and "待上报 10" in text


def test_after_the_due_time_the_missing_checkpoints_are_late(browser, server):
    context, wall = open_wall(browser, server.url)
    set_clock(server, AFTER_DUE)
    wall.locator(".st-key-wall_alerts").get_by_text("已晚 1 小时").first.wait_for(timeout=(REFRESH * 3 + 15) * 1000)
    context.close()

    def check(page):
        lines = page.locator(".st-key-wall_alerts [data-testid='stMarkdownContainer'] p").filter(
            has_text="应于 02-27 10:00 前上报")
        assert lines.count() == 10
        for i in range(10):
            line = lines.nth(i).inner_text()
            assert "已晚 1 小时" in line and line.rstrip().split("·")[-1].strip()  # someone answers for it
        assert "待上报" not in alerts(page)
        assert "02-26 已上报 2/12" in header(page)
        assert_no_red_drop(page)

    wall_shots(browser, server, "after_due", check)
    text = traffic_shot(browser, server, "after_due")
    assert "逾期未报 10" in text and "2/12 已上报" in text
