"""First start: create or upgrade the schema, and fill an empty demo database with the demo data."""
from __future__ import annotations

import logging
import os
import threading

import streamlit as st
from sqlalchemy import func, select

from data_access import db, schema
from data_access.models import WorkZone

log = logging.getLogger("dashboard")


def _wants_demo() -> bool:
    return db.is_embedded_default() or os.environ.get("DASHBOARD_DEMO", "") == "1"


@st.cache_resource(show_spinner=False)
def ensure_database() -> str:
    """Runs once per server process (again only after a failure, since failures are not cached)."""
    revision = schema.upgrade()
    with db.read_connection() as conn:
        empty = conn.execute(select(func.count()).select_from(WorkZone)).scalar_one() == 0
    if empty and _wants_demo():
        from data_access import demo

        demo.load_demo()
        log.info("empty demo database: demo data set loaded")
    purge_registrations()
    if st.runtime.exists():  # a real server, not a test under AppTest
        threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    return revision


def purge_registrations() -> None:
    """Gate registrations past the retention days are deleted at every start (the counts stay). One index probe
    when there is nothing to delete; a failure is logged, never fatal (the CLI's purge-registrations remains)."""
    try:
        from data_access import gate

        result = gate.purge("system")
        if result["deleted"]:
            log.info("retention: %s gate registrations deleted", result["deleted"])
    except Exception:
        log.warning("start-up purge of gate registrations failed", exc_info=True)


def warm_up() -> None:
    """What the first dashboard view after a start would otherwise pay, paid in the background while the
    first person signs in: the imports (warm_imports), and the map's prepared boundaries (a file read, or
    at a city's size 0.7-1.5 s to prepare)."""
    try:
        warm_imports()
        from data_access import geometry
        from ui.charts.coverage import BOUNDARY_PIXELS

        geometry.boundaries(None, BOUNDARY_PIXELS)
    except Exception:  # never fatal: the first view does it instead
        log.warning("start-up warm-up failed", exc_info=True)


def warm_imports() -> None:
    """Importing Altair and loading its Vega-Lite schema (~0.5 s), and Streamlit's emoji catalogue (~0.3 s:
    any button group with a Chinese label loads it, the language switch on every page). No database."""
    import altair as alt
    import pandas as pd
    import streamlit.emojis  # noqa: F401

    alt.Chart(pd.DataFrame({"x": [0]})).mark_point().encode(x="x:Q").to_dict()


def start_warm_imports() -> None:
    """At server start (serve.py), before anyone opens a page: the first view finds the imports done."""
    def run() -> None:
        try:
            warm_imports()
        except Exception:  # never fatal: the first view does it instead
            log.warning("start-up imports failed", exc_info=True)

    threading.Thread(target=run, name="warm-imports", daemon=True).start()


def skip_direct_run_check() -> None:
    """Streamlit's first element in a process checks, to warn, whether the script runs without `streamlit
    run`, through inspect.stack(), which resolves the file of every loaded module: 0.2-0.5 s of the
    first view after a start. This app always runs under the server (or AppTest): the check is marked done."""
    from streamlit import delta_generator

    if hasattr(delta_generator, "_use_warning_has_been_displayed"):
        delta_generator._use_warning_has_been_displayed = True


def configure_logging() -> None:
    """Errors go to stderr and to data/app.log (or $DASHBOARD_LOG) for the administrator."""
    if getattr(configure_logging, "done", False):
        return
    path = os.environ.get("DASHBOARD_LOG") or str(db.PROJECT_ROOT / "data" / "app.log")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    configure_logging.done = True
