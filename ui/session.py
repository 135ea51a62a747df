"""Who is signed in: kept in the Streamlit session, backed by a session row in the database and an
HttpOnly cookie in the browser (data_access/sessions.py, ui/cookie_routes.py).

app.py calls `current()` once per run: it re-checks the session row (sign-out elsewhere, a disabled
account or a new password end it here at this rerun), or, on a fresh connection (a reload, a new tab,
a bookmark, another app server), finds the session from the browser's cookie. Pages call `actor()`.
"""
from __future__ import annotations

import hashlib
import logging

import streamlit as st

from data_access import auth, sessions
from data_access.auth import Actor, SignInResult
from ui import cookie_routes

ACTOR_KEY = "actor"
SESSION_KEY = "_signin_session"  # the database session row's id
HANDOFF_KEY = "_signin_handoff"  # a one-time code still to be swapped for the cookie
FORGET_KEY = "_signin_forget_cookie"  # the session id whose cookie the browser should drop
COOKIE_CHECKED = "_signin_cookie_checked"  # this connection's cookie has been looked at
ENDED_KEY = "_signin_ended_notice"  # the sign-in page says why it is back
KEEP = ("lang", COOKIE_CHECKED, FORGET_KEY, "_routed_by_app")  # what sign-out leaves in place
log = logging.getLogger("dashboard")


def client_address() -> str:
    """The browser's address as the app server saw it ("local" on loopback). Behind a load balancer the
    server takes it from X-Forwarded-For, from the addresses in FORWARDED_ALLOW_IPS only (uvicorn's
    rule; default 127.0.0.1), so a browser cannot pick its own."""
    try:
        return st.context.ip_address or "local"
    except Exception:
        return "local"


def actor() -> Actor | None:
    return st.session_state.get(ACTOR_KEY)


def _is_database_error(error: BaseException) -> bool:
    from ui.outage import is_database_error

    return is_database_error(error)


def _forget_locally() -> None:
    for key in list(st.session_state.keys()):
        if key not in KEEP:
            del st.session_state[key]
    st.session_state[COOKIE_CHECKED] = True


def current() -> Actor | None:
    """The signed-in actor for this run, checked against the database, or None."""
    state = st.session_state
    session_id = state.get(SESSION_KEY)
    if session_id is not None or state.get(ACTOR_KEY) is not None:
        try:
            user = (sessions.check(session_id) if session_id is not None
                    else auth.reload_actor(state[ACTOR_KEY].username))  # signed in by a test, no browser session
        except Exception as error:
            if _is_database_error(error):
                return state.get(ACTOR_KEY)  # the page's own reads will show the outage; decided when it is back
            raise
        if user is None:
            _forget_locally()
            state[ENDED_KEY] = True
            return None
        state[ACTOR_KEY] = user
        return user
    if not state.get(COOKIE_CHECKED):
        token = _cookie(cookie_routes.SESSION_COOKIE)
        if token:
            try:
                found = sessions.resolve(token)
            except Exception as error:
                if _is_database_error(error):
                    return None  # looked at again on the next run
                raise
            if found is not None:
                state[SESSION_KEY], state[ACTOR_KEY] = found
        state[COOKIE_CHECKED] = True
        return state.get(ACTOR_KEY)
    return None


def _cookie(name: str) -> str | None:
    try:
        value = st.context.cookies.get(name)
    except Exception:
        return None
    return value if isinstance(value, str) and value else None


def sign_in(result: SignInResult) -> None:
    state = st.session_state
    state[ACTOR_KEY] = result.actor
    state[SESSION_KEY] = result.session_id
    state[COOKIE_CHECKED] = True
    state.pop(FORGET_KEY, None)
    if result.handoff:
        state[HANDOFF_KEY] = result.handoff


def sign_out() -> None:
    session_id = st.session_state.get(SESSION_KEY)
    auth.sign_out(session_id=session_id, client=client_address())
    _forget_locally()
    if session_id is not None:
        st.session_state[FORGET_KEY] = session_id


_warned = False


def sync_cookie() -> None:
    """Draw on every run (signed in or not): hands a new session to the browser's cookie, or tells the
    browser to drop the cookie of a session that signed out. Draws nothing once done."""
    global _warned
    state = st.session_state
    if not cookie_routes.MOUNTED:
        if (state.pop(HANDOFF_KEY, None) or state.pop(FORGET_KEY, None)) and not _warned:
            log.warning("started without serve.py: a sign-in lasts only as long as its browser tab")
            _warned = True
        return
    handoff = state.get(HANDOFF_KEY)
    if handoff:
        call = hashlib.sha256(handoff.encode()).hexdigest()[:16]
        done = _post_quietly("session", {"code": handoff}, call)
        if done is not None:
            state.pop(HANDOFF_KEY, None)
            if done != "ok":
                log.warning("the browser could not store its session cookie: the sign-in lasts for this tab only")
    forget = state.get(FORGET_KEY)
    if forget is not None:
        done = _post_quietly("signout", {"session": forget}, f"out{forget}")
        if done is not None:
            state.pop(FORGET_KEY, None)


def _post_quietly(route: str, body: dict, call: str) -> str | None:
    from ui import cookies

    with st.container(key=f"cookie_sync_{route}", height=1, border=False):
        return cookies.post(route, body, call, key=f"cookie_{route}_{call}")
