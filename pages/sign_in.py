"""Sign-in: local accounts. Wall displays never come here (they open with a display key).

A good password opens a session that lasts across reloads, tabs, bookmarks and app servers
(ui/session.py); every attempt is throttled and audited (data_access/auth.sign_in).
"""
import math

import streamlit as st

from data_access import auth, sessions, territory
from ui import session
from ui.data import read
from ui.guard import require_router
from ui.i18n import t

require_router()



def settings(box) -> dict:
    """The sign-in form in `box`: what was typed, and whether it was sent."""
    with box.form("sign_in", border=True):
        st.subheader(t("signin.title"))
        # max_chars as the column holds; its count also marks which line under the field is Streamlit's
        # "Press Enter" (ui/chrome.py says it in Chinese)
        username = st.text_input(t("signin.username"), key="signin_username", max_chars=64)
        password = st.text_input(t("signin.password"), type="password", key="signin_password")
        remember = st.checkbox(t("signin.remember", days=max(1, round(sessions.remember_seconds() / 86400))),
                               key="signin_remember")
        submitted = st.form_submit_button(t("signin.submit"), type="primary", width="stretch", key="signin_submit")
    return {"username": username, "password": password, "remember": remember, "submitted": submitted}


def sign_in(form: dict, box) -> None:
    """A good password opens the session and reruns into the app; anything else says why not."""
    result = auth.sign_in(form["username"], form["password"], client=session.client_address(), remember=form["remember"])
    if result.actor is not None:
        session.sign_in(result)
        st.rerun()
    elif result.outcome == "locked":
        box.error(t("signin.locked", minutes=max(1, math.ceil(result.retry_after / 60))), icon=":material/lock_clock:")
    elif result.outcome == "throttled":
        box.error(t("signin.throttled", seconds=result.retry_after), icon=":material/hourglass_top:")
    else:
        box.error(t("signin.failed"))


def load() -> dict:
    return {"demo": read(territory.dataset_kind) == "demo"}


def show(data: dict, box) -> None:
    if data["demo"]:
        box.info(t("signin.demo_hint"), icon=":material/science:")
    box.caption(t("signin.wall_hint"))


def main() -> None:
    st.title(t("app.title"))
    box, _ = st.columns([2, 3])
    if st.session_state.pop(session.ENDED_KEY, False):
        box.info(t("signin.ended"), icon=":material/logout:")
    form = settings(box)
    if form["submitted"]:
        sign_in(form, box)
    show(load(), box)


if __name__ == "__main__":
    main()
