"""What a supervisor does on 日报与通报 (issue 18), in Chromium against a real server on the demo data: opens
the page from the menu, reads the preview, downloads the PDF and the workbook (real files: a PDF that holds the
seed figures as text, a workbook whose traffic total is the report's), issues the text report and finds it in
the archive, then downloads it again byte for byte. Shot at 1366x768 and 1920x1080 for a look."""
from __future__ import annotations

import hashlib
import io

import pytest

from tests.browser.conftest import query, screenshot, sign_in, wait_ready

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser, demo_server):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", accept_downloads=True)
    yield context.new_page()
    context.close()


def _download(page, key: str) -> bytes:
    with page.expect_download(timeout=60_000) as caught:
        page.locator(f".st-key-{key} button").click()
    return open(caught.value.path(), "rb").read()


def test_a_supervisor_downloads_issues_and_downloads_again(page, demo_server):
    sign_in(page, demo_server.url, "supervisor")
    page.locator("[data-testid='stSidebarNavLink']", has_text="日报与通报").first.click()
    wait_ready(page)
    preview = page.locator("[data-testid='stCode']")  # its text is drawn after the script has finished
    preview.get_by_text("栖霞经济开发区辖34个行政村，居民小区14个，119户企业，各类商铺453家（不含农村）", exact=False) \
        .wait_for(timeout=30_000)
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "Traceback" not in body and "None" not in body
    screenshot(page, "report_1366")

    pdf = _download(page, "report_download")  # PDF is the first format
    assert pdf.startswith(b"%PDF-")
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert "盘查车辆15294台次" in text.replace("\r", "").replace("\n", "")

    page.locator(".st-key-report_format button", has_text="Excel").click()
    wait_ready(page)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(_download(page, "report_download")))
    assert len(book.sheetnames) == 7 and book.sheetnames[0] == "汇总"

    page.locator(".st-key-report_format button", has_text="文本").click()
    wait_ready(page)
    page.locator(".st-key-report_issue button").first.click()
    page.get_by_text("已签发并存档").wait_for(timeout=60_000)
    wait_ready(page)
    rows = query(demo_server, "SELECT id, checksum, filename FROM report_archive")
    assert len(rows) == 1 and rows[0][2] == "daily_20200225_ALL_zh.txt"
    # pick it in the archive table (the first data row), then download it again
    grid = page.locator("[class*='st-key-report_archive_table_'] [data-testid='stDataFrame']")
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 52)  # the row's selection box, left of the first cell
    page.locator(".st-key-report_again_1").wait_for(timeout=30_000)
    wait_ready(page)
    again = _download(page, "report_again_1")
    assert hashlib.sha256(again).hexdigest() == rows[0][1]
    assert "签发以来，报告中的数字没有变化。" in page.locator("[data-testid='stMain']").inner_text()
    page.set_viewport_size({"width": 1920, "height": 1080})
    wait_ready(page)
    screenshot(page, "report_1920")
