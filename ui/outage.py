"""When the database cannot be reached: a calm message, the time of the last good data, and retries."""
from __future__ import annotations

import datetime as dt
import logging
import os

import streamlit as st

from data_access import db
from ui.i18n import t

RETRY_SECONDS = float(os.environ.get("DASHBOARD_RETRY_SECONDS", "10"))
LAST_GOOD = "_last_good_read"
log = logging.getLogger("dashboard")


def mark_good() -> None:
    st.session_state[LAST_GOOD] = dt.datetime.now()


def last_good_text() -> str:
    last = st.session_state.get(LAST_GOOD)
    return last.strftime("%Y-%m-%d %H:%M:%S") if last else t("db.down.never")


def is_database_error(error: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError

    return isinstance(error, (OperationalError, ConnectionError, TimeoutError)) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


def show_outage(error: BaseException) -> None:
    log.warning("database unreachable: %s", error)
    body = t("db.down.body", seconds=f"{RETRY_SECONDS:g}", last=last_good_text())
    if st.session_state.get("actor") is not None:  # a signed-in user may have typed something
        body += "  \n" + t("db.down.kept")
    st.warning(f"**{t('db.down.title')}**  \n{body}", icon=":material/hourglass_top:")
    _retry()


@st.fragment(run_every=RETRY_SECONDS)
def _retry() -> None:
    try:
        db.data_version()
    except Exception:
        return
    st.rerun(scope="app")


def show_unexpected(error: BaseException) -> None:
    log.exception("unexpected error", exc_info=error)
    st.error(t("error.unexpected"), icon=":material/error:")
