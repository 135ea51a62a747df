"""A wall display's key: sent once in the URL (/wall?key=…), then kept by the browser in an HttpOnly
cookie so the address bar shows /wall and a reload, a restart or a bookmark of /wall needs no key.

The key is checked on every refresh either way (data_access.auth.check_display_key): revoking it, or
its expiry, blanks the screen at its next refresh.
"""
from __future__ import annotations

import hashlib
import logging

import streamlit as st

from data_access import auth
from ui import cookie_routes

KEY_STATE = "_wall_key"  # the key this session took out of the address bar
log = logging.getLogger("dashboard")


def current_key() -> str | None:
    """The display key this wall opens with: the URL's, else the one it kept, else the browser's cookie."""
    key = st.query_params.get("key")
    if key:
        return key
    if st.session_state.get(KEY_STATE):
        return st.session_state[KEY_STATE]
    try:
        key = st.context.cookies.get(cookie_routes.WALL_COOKIE)
    except Exception:
        key = None
    return key if isinstance(key, str) and key else None


def keep_key() -> None:
    """On a wall opened with ?key=…: once the browser holds the key in its cookie, take it out of the URL
    (the other parameters stay). A wrong key stays where it is, so the page can say it is wrong."""
    key = st.query_params.get("key")
    if not key or not cookie_routes.MOUNTED:
        return
    try:
        if auth.check_display_key(key) is None:
            return
    except Exception:  # the database is away: the wall page shows its last board; try again next run
        return
    call = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    with st.container(key="cookie_sync_wall", height=1, border=False):
        from ui import cookies

        done = cookies.post("wall", {"key": key}, call, key=f"cookie_wall_{call}")
    if done == "ok":
        st.session_state[KEY_STATE] = key
        del st.query_params["key"]
    elif done is not None:
        log.warning("a wall could not keep its key in a cookie; it keeps the key in its address")
