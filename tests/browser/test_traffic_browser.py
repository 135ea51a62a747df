"""What a person does: a clerk signs in, enters a day for their checkpoints, and sees the new totals."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import go, screenshot, sign_in, wait_ready
from ui.grids import TRAFFIC_ENTRY_COLUMNS

pytestmark = pytest.mark.browser

RANGE = "?from=2020-02-01&to=2020-02-26"


def _metric_value(page, label: str) -> str:
    tile = page.locator("[data-testid='stMetric']", has_text=label).first
    return tile.locator("[data-testid='stMetricValue']").inner_text().strip()


def type_into_cell(page, grid, row: int, column: str, value: str) -> None:
    """Glide Data Grid draws on a canvas: double-click the cell (the entry grid's columns have fixed
    widths, so its position is known), type into the editor that opens, and press Enter."""
    box = grid.locator("canvas").first.bounding_box()
    names = list(TRAFFIC_ENTRY_COLUMNS)
    x = box["x"] + sum(TRAFFIC_ENTRY_COLUMNS[n] for n in names[: names.index(column)]) + TRAFFIC_ENTRY_COLUMNS[column] / 2
    y = box["y"] + 35 + 35 * row + 17  # the header row and each row are 35 px high
    page.mouse.dblclick(x, y)
    editor = page.locator("#portal input.gdg-input:not([disabled]), #portal textarea.gdg-input:not([disabled])").first
    editor.wait_for(timeout=10_000)
    editor.fill(value)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    wait_ready(page)  # each committed edit reruns the script; the next edit waits for it




def save_and_wait(page, expected: str) -> None:
    """Click save once the grid's last edit has been sent; a click that lands while that rerun is
    still starting can be swallowed, so click again if nothing answered (a second save of the same
    figures changes nothing: the write path absorbs double clicks)."""
    page.wait_for_timeout(500)
    wait_ready(page)
    for _ in range(3):
        page.locator(".st-key-entry_save button").click()
        try:
            page.get_by_text(expected).first.wait_for(timeout=15_000)
            return
        except Exception:
            screenshot(page, "traffic_entry_no_answer")
    page.get_by_text(expected).first.wait_for(timeout=15_000)


def test_clerk_enters_a_day_and_sees_new_totals(browser, demo_server):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, demo_server.url, "clerk", query=RANGE)
    go(page, "卡口通行")
    before = int(_metric_value(page, "累计盘查车辆").replace(",", ""))

    go(page, "卡口日报填报")
    grid = page.locator(".st-key-entry_grid_2020-02-26")
    grid.wait_for()
    fields = ["vehicles", "persons", "persons_from_outside", "turned_back", "abnormal_temperature"]
    values = {0: ["120", "200", "5", "1", "0"], 1: ["95", "150", "2", "0", "0"]}
    for row, row_values in values.items():
        for field, value in zip(fields, row_values):
            type_into_cell(page, grid, row, field, value)
    wait_ready(page)
    screenshot(page, "traffic_entry_filled")
    save_and_wait(page, "新增 2 行")
    screenshot(page, "traffic_entry_saved")

    go(page, "卡口通行")
    after = int(_metric_value(page, "累计盘查车辆").replace(",", ""))
    assert after == before + 120 + 95
    screenshot(page, "traffic_after_entry")
    context.close()


def test_clerk_uploads_an_excel_csv_in_chinese_and_a_file_without_rows(browser, demo_server, tmp_path):
    """A CSV as Excel on Chinese Windows saves it (GB18030, Chinese headers) goes in; an empty one says so."""
    import sqlalchemy as sa

    from data_access.models import CheckpointDay, Site, WorkZone

    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, demo_server.url, "clerk")  # the first visit creates the demo database
    go(page, "卡口日报填报")
    engine = sa.create_engine(demo_server.database_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        names = list(conn.execute(sa.select(Site.name).join(WorkZone).where(
            WorkZone.code == "Z1", Site.checkpoint_type == "road").order_by(Site.name)).scalars())
    lines = ["日期,卡口,车辆,人员,外地人员,劝返,体温异常"] + [f"2020-02-24,{n},3{i},5{i},1,0,0" for i, n in enumerate(names)]
    gbk = tmp_path / "卡口日报.csv"
    gbk.write_bytes("\r\n".join(lines).encode("gb18030"))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(lines[0].encode("gb18030"))

    page.locator(".st-key-entry_file input[type='file']").set_input_files(str(gbk))
    page.get_by_text(f"{len(names)} 行全部通过检查").wait_for(timeout=30_000)
    page.locator(".st-key-entry_file_reason input").fill("按纸质台账补录")
    page.keyboard.press("Enter")
    wait_ready(page)
    page.locator(".st-key-entry_file_save button").click()
    page.get_by_text("已保存").first.wait_for(timeout=30_000)
    with engine.connect() as conn:
        stored = sorted(conn.execute(sa.select(CheckpointDay.vehicles).join(Site).where(
            CheckpointDay.day == dt.date(2020, 2, 24),
            Site.name.in_(names))).scalars())
    assert stored == sorted(30 + i for i in range(len(names)))

    page.locator(".st-key-entry_file input[type='file']").set_input_files(str(empty))
    page.get_by_text("没有数据行").first.wait_for(timeout=30_000)
    assert "已保存：" not in page.locator("[data-testid='stMain']").inner_text()  # a new upload clears the old message
    screenshot(page, "traffic_entry_upload_empty")
    context.close()
    engine.dispose()
