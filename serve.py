"""Start the dashboard with `streamlit run serve.py`.

app.py is the app; this file adds the three small routes that set HttpOnly cookies for a sign-in that
lasts across reloads, tabs and app servers (ui/cookie_routes.py). `streamlit run app.py` still works,
but there a sign-in lasts only as long as its tab.
"""
from contextlib import asynccontextmanager

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from ui.cookie_routes import routes
from ui.startup import start_warm_imports


@asynccontextmanager
async def lifespan(_app):
    start_warm_imports()  # in the background: the first view after a start finds Altair loaded (issue 14)
    yield None


# app.py routes every request with st.navigation. Left to itself, Streamlit would route the first request
# after a start by the old pages/ folder convention (file names), and a bookmarked address that is not a
# file name (/traffic-entry, /gate-entry) would get its English "Page not found" dialog; set before any
# session exists, every run, the first included, starts at app.py.
PagesManager.uses_pages_directory = False

app = st.App("app.py", routes=routes(), lifespan=lifespan)
