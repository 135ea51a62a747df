"""The completeness view in a real browser: the demo's last day (12/12 on time), a day with 2 of 12 in
before the due time (calm: "not yet due") and after it (overdue, who answers), at 1366x768 and 1920x1080
in Chinese and English; a supervisor's click on a checkpoint opens its entry for that day, a viewer's
click focuses the filter. Screenshots go to tests/artifacts/completeness_*.png."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data_access import db, demo, schema, traffic_entry
from data_access.models import Setting, Site, WorkZone
from tests.browser.conftest import Server, go, screenshot, sign_in, wait_ready

pytestmark = pytest.mark.browser

SIZES = ((1366, 768), (1920, 1080))
TITLE = {"zh": "上报完整性", "en": "Reporting completeness"}
LEAKS = ("Traceback", 'File "', "None", "NaN", "NaT", "出现意外错误", "Something unexpected went wrong")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("completeness")
    url = f"sqlite:///{folder / 'demo.db'}"
    engine = db.get_engine(url)
    schema.upgrade(engine)
    demo.load_demo(engine)
    db.dispose_engines()
    running = Server(url, folder / "server.log")
    running.engine = db.get_engine(url)
    yield running
    running.stop()
    db.dispose_engines()


def open_page(browser, server, user: str, size, lang: str):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, server.url, user)
    if lang == "en":
        page.locator("[data-testid='stSidebar']").get_by_text("English", exact=True).click()
        wait_ready(page)
    go(page, TITLE[lang])
    charts_drawn(page, 2)
    return context, page


def charts_drawn(page, at_least: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length >= n", arg=at_least,
        timeout=30_000)
    page.wait_for_timeout(500)


def assert_clean(page, lang: str) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    text = page.locator("[data-testid='stMain']").inner_text()
    assert not [sign for sign in LEAKS if sign in text], text[:2000]
    if lang == "en":  # stored names are Chinese; the UI's own words are not
        for label in ("已上报", "按时", "逾期", "待上报", "责任人", "管区时限"):
            assert label not in text, label


def metric(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']", has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text().strip()


def full_screenshot(page, name: str) -> None:
    """The viewport, then the whole page (Streamlit scrolls inside its main block: the viewport is made as
    tall as the content, at the same width)."""
    screenshot(page, name)
    width = page.viewport_size["width"]
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": max(height, 600) + 40})
    page.wait_for_timeout(800)
    screenshot(page, name + "_full")


def set_clock(engine, moment: str) -> None:
    """The demo's clock (the running server reads it on every run)."""
    with db.write_session(engine) as session:
        session.execute(sa.update(Setting).where(Setting.key == "demo_now").values(value=moment))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_last_demo_day(browser, server, lang):
    for width, height in SIZES:
        context, page = open_page(browser, server, "supervisor", (width, height), lang)
        assert metric(page, "已上报" if lang == "zh" else "Reported") == "12/12"
        assert_clean(page, lang)
        full_screenshot(page, f"completeness_{lang}_{width}x{height}")
        context.close()


def test_a_click_opens_the_entry_for_a_writer_and_focuses_for_a_viewer(browser, server):
    context, page = open_page(browser, server, "supervisor", SIZES[1], "zh")
    click_first_bar(page)
    page.locator(".st-key-entry_day input").wait_for(timeout=30_000)
    wait_ready(page)
    assert page.locator(".st-key-entry_day input").input_value() == "2020-02-25"
    screenshot(page, "completeness_click_supervisor")
    context.close()

    context, page = open_page(browser, server, "viewer", SIZES[1], "zh")
    click_first_bar(page)
    page.get_by_text("已聚焦").first.wait_for(timeout=30_000)
    wait_ready(page)
    screenshot(page, "completeness_click_viewer")
    context.close()


def click_first_bar(page) -> None:
    """The checkpoint chart is the second chart; its first bar starts at the plot's left edge, row one."""
    chart = page.locator(".vega-embed").nth(1)
    chart.scroll_into_view_if_needed()
    box = chart.locator("canvas, svg").first.bounding_box()
    # the y labels take the left part; the first row's bar is full (100%) and reaches the right side
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + 12)
    page.wait_for_timeout(500)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_partial_day_before_and_after_its_due_time(browser, server, lang):
    with server.engine.connect() as conn:
        z2 = list(conn.execute(sa.select(Site.id).join(WorkZone).where(
            WorkZone.code == "Z2", Site.checkpoint_type == "road")).scalars())
        saved = conn.execute(sa.text("SELECT count(*) FROM checkpoint_day WHERE day = '2020-02-26'")).scalar_one()
    if not saved:
        set_clock(server.engine, "2020-02-26T20:00:00+08:00")
        traffic_entry.save_checkpoint_days("supervisor", dt.date(2020, 2, 26), [
            {"site_id": s, "version": None, "vehicles": 90, "persons": 160, "persons_from_outside": 5,
             "turned_back": 2, "abnormal_temperature": 0} for s in z2], engine=server.engine)
    moments = (("2020-02-26T20:00:00+08:00", "before", "0"), ("2020-02-27T11:20:00+08:00", "after", "10"))
    for moment, name, overdue in moments:
        set_clock(server.engine, moment)
        for width, height in SIZES:
            context, page = open_page(browser, server, "supervisor", (width, height), lang)
            assert metric(page, "已上报" if lang == "zh" else "Reported") == "2/12"
            assert metric(page, "逾期未报" if lang == "zh" else "Overdue") == overdue
            assert_clean(page, lang)
            full_screenshot(page, f"completeness_partial_{name}_{lang}_{width}x{height}")
            context.close()
    set_clock(server.engine, "2020-02-26T09:30:00+08:00")


def test_the_admin_due_time_tab(browser, server):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, server.url, "admin")
    more = page.get_by_text("View 3 more")  # 13 pages for an admin: Streamlit folds the menu (see the report)
    if more.count():
        more.first.click()
    go(page, "账号与密钥")
    page.get_by_role("tab", name="上报时限").click()
    page.wait_for_timeout(800)
    assert_clean(page, "zh")
    full_screenshot(page, "completeness_admin_due_times")
    context.close()
