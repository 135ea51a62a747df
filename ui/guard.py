"""Every page runs through app.py's router, never on its own.

Streamlit still routes the very first request after a server start by the old `pages/` folder
convention (before app.py has called st.navigation once), which would run e.g. pages/audit_log.py
without sign-in. app.py marks each session it routes; a page reached any other way hands the
request back to app.py, query string and all, which then signs in, checks the role and routes.
"""
from __future__ import annotations

import streamlit as st

ROUTED = "_routed_by_app"


def mark_routed() -> None:
    st.session_state[ROUTED] = True


def require_router() -> None:
    if not st.session_state.get(ROUTED):
        st.switch_page("app.py", query_params=st.query_params.to_dict())
