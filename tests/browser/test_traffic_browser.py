"""What a person does: a clerk signs in, enters a day for their checkpoints, and sees the new totals."""
from __future__ import annotations

import pytest

from tests.browser.conftest import go, screenshot, sign_in, wait_ready

pytestmark = pytest.mark.browser

RANGE = "?from=2020-02-01&to=2020-02-26"


def _metric_value(page, label: str) -> str:
    tile = page.locator("[data-testid='stMetric']", has_text=label).first
    return tile.locator("[data-testid='stMetricValue']").inner_text().strip()


def _type_into_cell(page, grid, row: int, column: int, value: str) -> None:
    """Glide Data Grid is a canvas: click the cell by position, type, press Enter."""
    box = grid.locator("canvas").first.bounding_box()
    header_height, row_height = 35, 35
    column_x = grid.locator(f"[role='columnheader']:nth-child({column + 1})").first.bounding_box()
    x = column_x["x"] + column_x["width"] / 2
    y = box["y"] + header_height + row_height * row + row_height / 2
    page.mouse.dblclick(x, y)
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")
    page.wait_for_timeout(150)


def test_clerk_enters_a_day_and_sees_new_totals(browser, demo_server):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, demo_server.url, "clerk", query=RANGE)
    go(page, "卡口通行")
    before = int(_metric_value(page, "累计盘查车辆").replace(",", ""))

    go(page, "卡口日报填报")
    grid = page.locator(".st-key-entry_grid_2020-02-26")
    grid.wait_for()
    headers = [h.inner_text().strip() for h in grid.locator("[role='columnheader']").all()]
    fields = ["车辆", "人员", "外地人员", "劝返", "体温异常"]
    values = {0: ["120", "200", "5", "1", "0"], 1: ["95", "150", "2", "0", "0"]}
    for row, row_values in values.items():
        for field, value in zip(fields, row_values):
            _type_into_cell(page, grid, row, headers.index(field), value)
    wait_ready(page)
    screenshot(page, "traffic_entry_filled")
    page.locator(".st-key-entry_save button").click()
    page.get_by_text("新增 2 行").wait_for(timeout=30_000)
    screenshot(page, "traffic_entry_saved")

    go(page, "卡口通行")
    after = int(_metric_value(page, "累计盘查车辆").replace(",", ""))
    assert after == before + 120 + 95
    screenshot(page, "traffic_after_entry")
    context.close()
