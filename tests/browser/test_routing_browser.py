"""The first request after a server start must go through app.py's sign-in and roles too.

(Streamlit routes a fresh server's first request by the old pages/ folder convention.)
"""
from __future__ import annotations

import pytest

from tests.browser.conftest import Server, wait_ready

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["/audit_log", "/admin", "/traffic_entry"])
def test_first_request_to_a_page_asks_for_sign_in(browser, tmp_path, path):
    server = Server(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path / "server.log")
    try:
        page = browser.new_page()
        page.goto(server.url + path)
        wait_ready(page)
        page.wait_for_selector(".st-key-signin_username", timeout=30_000)
        text = page.locator("[data-testid='stMain']").inner_text()
        assert "审计日志" not in text and "账号与显示密钥" not in text and "卡口日报填报" not in text
        assert "Traceback" not in page.content()
        page.close()
    finally:
        server.stop()


@pytest.mark.parametrize("path, title", [("/traffic-entry", "卡口日报填报"), ("/coverage-map", "摸排覆盖")])
def test_a_bookmark_opened_first_after_a_start_signs_in_to_its_page(browser, tmp_path, path, title):
    """The shipped entry point (serve.py): a clerk's bookmark of a page whose address is not a file name
    (/traffic-entry, pages/traffic_entry.py) is the server's first request after a restart. No English
    'Page not found' dialog; the sign-in, then the page the bookmark names."""
    server = Server(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path / "server.log", entry="serve.py")
    try:
        page = browser.new_page()
        page.goto(server.url + path)
        wait_ready(page)
        page.wait_for_selector(".st-key-signin_username", timeout=30_000)
        assert "Page not found" not in page.locator("body").inner_text()
        page.locator(".st-key-signin_username input").fill("clerk")
        page.locator(".st-key-signin_password input").fill("demo")
        page.locator(".st-key-signin_submit button").click()
        page.wait_for_selector(".st-key-sign_out", timeout=30_000)
        wait_ready(page)
        assert page.url.split("?")[0].endswith(path)  # the filter bar adds ?zone= for a zone clerk
        assert title in page.locator("[data-testid='stMain'] h1").first.inner_text()
        assert "Page not found" not in page.locator("body").inner_text() and "Traceback" not in page.content()
        page.close()
    finally:
        server.stop()
