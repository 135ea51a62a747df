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
