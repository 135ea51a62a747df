"""Issue 9 in a real browser: with a typo row dated 1920 and a 431-day season in the database, the
traffic and reopening pages draw every chart (summed by year or week) and show no error or
exception. Screenshots at 1366x768 and 1920x1080 go to tests/artifacts/long_range_*.png."""
from __future__ import annotations

import pytest

from data_access import db, demo, schema
from tests.browser.conftest import Server, go, screenshot, sign_in, wait_ready
from tests.test_long_ranges import TYPO_DAY, add_long_season, add_typo_row
from tests.test_long_ranges_pages import season_from

pytestmark = pytest.mark.browser

CENTURY = f"?from={TYPO_DAY.isoformat()}&to=2020-02-25"
SEASON = "?from=2020-02-01&to=2021-04-06"
LEAKS = ("Traceback", 'File "', "MaxRowsError", "maximum allowed", "出现意外错误", "Something unexpected went wrong")


@pytest.fixture(scope="module")
def long_server(tmp_path_factory):
    """The app on an SQLite file holding the demo data, a 1920 typo row and 12 checkpoints x 431 days."""
    folder = tmp_path_factory.mktemp("long_range")
    url = f"sqlite:///{folder / 'long.db'}"
    engine = db.get_engine(url)
    schema.upgrade(engine)
    demo.load_demo(engine)
    add_typo_row(engine)
    add_long_season(engine)
    season_from(engine, TYPO_DAY)
    db.dispose_engines()
    server = Server(url, folder / "server.log")
    yield server
    server.stop()


def charts_drawn(page, at_least: int) -> None:
    """Vega-embed has put a canvas or svg in at least `at_least` charts."""
    page.wait_for_function(
        "n => document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length >= n", arg=at_least,
        timeout=30_000)


def assert_clean(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, "an exception is on the page"
    assert page.locator("[data-testid='stAlertContentError']").count() == 0, "an error box is on the page"
    text = page.locator("[data-testid='stApp']").inner_text()
    assert not [sign for sign in LEAKS if sign in text], text[:2000]


def open_view(browser, server, query: str, size: tuple[int, int], lang: str = "zh"):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, server.url, "supervisor", query=query)
    if lang == "en":
        page.locator("[data-testid='stSidebar']").get_by_text("English", exact=True).click()
        wait_ready(page)
    return context, page


def shoot_charts(page, name: str) -> None:
    """The trends, then the ranking and heat map, each scrolled to the middle of the screen (the
    page scrolls inside its own frame, so a full-page shot alone would show only the top)."""
    charts = page.locator("[data-testid='stVegaLiteChart']")
    for index, part in ((0, "trends"), (3, "heatmap")):
        if charts.count() > index:
            charts.nth(index).evaluate("e => e.scrollIntoView({block: 'center'})")
            page.wait_for_timeout(400)
            screenshot(page, f"{name}_{part}")


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_traffic_page_over_a_century_draws_every_chart(browser, long_server, size):
    context, page = open_view(browser, long_server, CENTURY, size)
    charts_drawn(page, 4)  # vehicles and persons per year, the ranking, the heat map
    assert_clean(page)
    assert page.get_by_text("每年车辆", exact=True).count() == 1
    assert page.get_by_text("各卡口每年车辆", exact=True).count() == 1
    shoot_charts(page, f"long_range_century_{size[0]}")

    go(page, "企业复工")
    charts_drawn(page, 3)
    assert_clean(page)
    assert page.get_by_text("每年批复企业数与累计复工员工", exact=True).count() == 1
    page.get_by_text("每年批复企业数与累计复工员工", exact=True).evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    screenshot(page, f"long_range_century_reopening_{size[0]}")
    context.close()


@pytest.mark.parametrize("size, lang", [((1366, 768), "en"), ((1920, 1080), "zh")])
def test_traffic_page_over_a_431_day_season(browser, long_server, size, lang):
    context, page = open_view(browser, long_server, SEASON, size, lang)
    charts_drawn(page, 4)
    assert_clean(page)
    title = "Vehicles per checkpoint and week" if lang == "en" else "各卡口每周车辆"
    assert page.get_by_text(title, exact=True).count() == 1
    shoot_charts(page, f"long_range_season_{lang}_{size[0]}")
    context.close()
