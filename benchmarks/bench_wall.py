"""The wall display: script time per refresh (demo and large data set) and memory over many refreshes.

    .venv/bin/python benchmarks/bench_wall.py [--refreshes 300] [--interval 0.5]

1. Median AppTest script time of the wall, cold and warm, on the demo data and on a large data set
   (100 checkpoints x 180 days), and the large/demo warm ratio (goal: warm < 0.1 s, ratio < 1.5).
2. A real `streamlit run` with the wall refreshing every --interval seconds in headless Chromium:
   the server's resident memory and the page's JS heap after every 50 refreshes.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import APP, ROOT, fresh_demo_database, report

sys.path.insert(0, str(ROOT / "benchmarks"))


def time_wall(url: str, runs: int = 15) -> dict:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from data_access import db

    os.environ["DATABASE_URL"] = url
    db.dispose_engines()
    colds = []
    for _ in range(3):
        st.cache_data.clear()
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params["key"] = "demo-wall"
        started = time.perf_counter()
        at.run()
        colds.append(time.perf_counter() - started)
        assert not at.exception, at.exception
        assert any(m.label for m in at.metric), "the wall showed no figures"
    warms = []
    for _ in range(runs):
        started = time.perf_counter()
        at.run()
        warms.append(time.perf_counter() - started)
    return {"cold": statistics.median(colds), "warm": statistics.median(warms)}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def soak(url: str, refreshes: int, interval: float) -> None:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))
    from tests.browser.conftest import Server, wait_ready

    os.environ["WALL_REFRESH_SECONDS"] = str(interval)
    log = Path(url.split("///", 1)[1]).with_suffix(".log")
    server = Server(url, log)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--enable-precise-memory-info", "--js-flags=--expose-gc"])
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(f"{server.url}/wall?key=demo-wall")
            wait_ready(page)
            page.wait_for_selector("[data-testid='stMetric']")
            print(f"\nsoak: {refreshes} refreshes every {interval} s ({refreshes * interval / 60:.1f} min)")
            print(f"{'refreshes':>9} {'server RSS MiB':>15} {'JS heap MiB':>12} {'DOM nodes':>10}")
            for done in range(0, refreshes + 1, 50):
                if done:
                    page.wait_for_timeout(int(50 * interval * 1000))
                page.evaluate("window.gc()")  # count what is kept, not garbage not yet collected
                heap = page.evaluate("performance.memory.usedJSHeapSize") / 2**20
                nodes = page.evaluate("document.getElementsByTagName('*').length")
                print(f"{done:9d} {rss_kib(server.process.pid) / 1024:15.1f} {heap:12.1f} {nodes:10d}")
            browser.close()
    finally:
        server.stop()
        os.environ.pop("WALL_REFRESH_SECONDS", None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--refreshes", type=int, default=300)
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args()
    from bench_traffic import grow

    demo_url = fresh_demo_database("wall_demo")
    large_url = fresh_demo_database("wall_large")
    grow(large_url)
    report("wall display: median script time in seconds (AppTest)",
           [("pages/wall.py", time_wall(demo_url), time_wall(large_url))])
    soak(fresh_demo_database("wall_soak"), args.refreshes, args.interval)


if __name__ == "__main__":
    main()
