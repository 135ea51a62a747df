"""Shared pieces of the benchmark scripts: a demo database, AppTest timing, medians."""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

APP = str(ROOT / "app.py")


def fresh_demo_database(name: str) -> str:
    """A new SQLite file holding the demo data set; returns its URL."""
    from data_access import db, demo, schema

    folder = Path(tempfile.mkdtemp(prefix=f"bench_{name}_"))
    url = f"sqlite:///{folder / 'bench.db'}"
    engine = db.get_engine(url)
    schema.upgrade(engine)
    demo.load_demo(engine)
    return url


def time_page(url: str, page: str, username: str = "supervisor", warm_runs: int = 15) -> dict:
    """Median script time of one page under AppTest: cold (empty caches) and warm (reruns)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from data_access import auth, db

    os.environ["DATABASE_URL"] = url
    db.dispose_engines()
    colds = []
    for _ in range(3):
        st.cache_data.clear()
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["actor"] = auth.authenticate(username, "demo")
        at.run()
        st.cache_data.clear()  # the sign-in run above filled the caches; cold means empty
        started = time.perf_counter()
        at.switch_page(page).run()
        colds.append(time.perf_counter() - started)
        assert not at.exception, at.exception
    warms = []
    for _ in range(warm_runs):
        started = time.perf_counter()
        at.run()
        warms.append(time.perf_counter() - started)
    return {"cold": statistics.median(colds), "warm": statistics.median(warms)}


def report(title: str, rows: list[tuple[str, dict, dict]]) -> None:
    """Print demo vs large timings and the warm ratio for each page."""
    print(f"\n{title}")
    print(f"{'page':32} {'demo cold':>10} {'demo warm':>10} {'large cold':>11} {'large warm':>11} {'warm ratio':>11}")
    for page, demo, large in rows:
        ratio = large["warm"] / demo["warm"] if demo["warm"] else float("nan")
        print(f"{page:32} {demo['cold']:10.3f} {demo['warm']:10.3f} {large['cold']:11.3f} {large['warm']:11.3f} {ratio:11.2f}")
