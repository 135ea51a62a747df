"""Refresh the README's screenshots (docs/traffic.png, docs/wall.png) from the demo data.

    .venv/bin/python scripts/readme_screenshots.py

Starts `streamlit run serve.py` on a fresh demo database in a temporary folder, opens the traffic page
as the supervisor and the wall with the demo key in Debian's Chromium, and shoots each once everything
has drawn: the script has finished, no element is still a placeholder, every chart has its marks and
the layout has stopped moving (no fixed sleep, which is how the old traffic shot caught empty tiles).
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, READY, Server, sign_in  # noqa: E402

DOCS = ROOT / "docs"
DRAWN = """() => {
  const shown = (selector) => [...document.querySelectorAll(selector)].filter((e) => e.checkVisibility());
  return document.querySelector("[data-testid='stApp'][data-test-script-state='notRunning']")
      && shown("[data-testid='stSkeleton']").length === 0
      && shown("[data-testid='stVegaLiteChart']").length > 0
      && shown("[data-testid='stVegaLiteChart']").every((e) => e.querySelector(".vega-embed svg.marks g.role-mark > *"))
      && shown("[data-testid='stDataFrame']").every((e) => e.querySelector("canvas"));
}"""
LAYOUT = """() => [...document.querySelectorAll('.vega-embed svg.marks')]
  .map((e) => `${e.getAttribute('width')}x${e.getAttribute('height')}:${e.querySelectorAll('*').length}`).join(' ')
  + ' ' + document.querySelectorAll("[data-testid='stMetricValue']").length"""


def drawn(page) -> None:
    """Everything on the page has drawn and stays put for two looks in a row."""
    page.wait_for_selector(READY, timeout=60_000)
    page.wait_for_function(DRAWN, timeout=60_000)
    page.evaluate("() => document.fonts.ready")
    before = None
    for _ in range(50):
        now = page.evaluate(LAYOUT)
        if now == before:
            return
        before = now
        page.wait_for_timeout(200)


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        server = Server(f"sqlite:///{Path(folder) / 'demo.db'}", Path(folder) / "server.log", entry="serve.py")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
            sign_in(page, server.url, "supervisor")
            drawn(page)
            page.screenshot(path=str(DOCS / "traffic.png"))
            wall = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
            wall.goto(f"{server.url}/wall?key=demo-wall")
            wall.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
            drawn(wall)
            wall.screenshot(path=str(DOCS / "wall.png"))
        finally:
            browser.close()
            server.stop()
    print(f"wrote {DOCS / 'traffic.png'} and {DOCS / 'wall.png'}")


if __name__ == "__main__":
    main()
