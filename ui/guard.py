"""Every page runs through app.py's router, never on its own.

Streamlit still routes the very first request after a server start by the old `pages/` folder
convention (before app.py has called st.navigation once), which would run e.g. pages/audit_log.py
without sign-in. app.py marks each session it routes; a page reached any other way hands the
request back to app.py, query string and all, which then signs in, checks the role and routes.

On that first request the page asked for is kept: the run starts again at app.py with the same
address (/admin opens the admin page after sign-in, not the first page of the menu), and the first
page is not drawn in passing (issue 14: it cost every other page's first view after a start ~1.5 s).
"""
from __future__ import annotations

import streamlit as st

ROUTED = "_routed_by_app"
RETRIED = "_router_retried"


def mark_routed() -> None:
    st.session_state[ROUTED] = True


def require_router() -> None:
    if st.session_state.get(ROUTED):
        return
    from ui.startup import skip_direct_run_check  # app.py's first line has not run yet in this process

    skip_direct_run_check()
    if _leave_pages_folder_routing():
        st.rerun()  # same address and query string, now routed by app.py's st.navigation
    st.switch_page("app.py", query_params=st.query_params.to_dict())


def _leave_pages_folder_routing() -> bool:
    """True when this run was routed by the pages/ folder convention and the next one no longer will
    be. st.navigation switches that convention off for the process on its first call; switching it
    off a run earlier makes the rerun start at app.py. Tried once per session, so a Streamlit that
    routes differently falls back to switch_page (which opens the first page) instead of looping."""
    from streamlit.runtime.pages_manager import PagesManager

    if st.session_state.get(RETRIED) or getattr(PagesManager, "uses_pages_directory", None) is not True:
        return False
    st.session_state[RETRIED] = True
    PagesManager.uses_pages_directory = False
    return True
