"""Saving from a page: every refusal shown where the clerk looks, and a failed save never forgotten.

A save the database did not commit (busy, disk full, out of reach: SaveFailed) is remembered in
the session, so the page can still say "not saved yet" after an outage screen and any number of
reruns, until a save succeeds or the clerk reloads the form.
"""
from __future__ import annotations

from typing import Callable, TypeVar

import streamlit as st

from data_access import db
from data_access.errors import DataError, SaveFailed
from ui import errors
from ui.i18n import t
from ui.outage import is_database_error

T = TypeVar("T")
UNSAVED = "_unsaved_form"


def attempt(form: str, save: Callable[[], T], box=None, show: Callable[[DataError], None] | None = None,
            **show_args) -> T | None:
    """save() or None. A refusal is shown in `box` (or by `show`); the clerk's input stays as typed."""
    try:
        try:
            result = save()
        except Exception as error:  # a read inside the save met the outage: the save did not happen either
            if is_database_error(error):
                raise SaveFailed(db.failure_kind(error)) from error
            raise
    except DataError as error:
        if show is not None:
            show(error)
        else:
            errors.show(error, box, **show_args)
        if isinstance(error, SaveFailed):
            st.session_state[UNSAVED] = form
        return None
    forget(form)
    return result


def forget(form: str) -> None:
    if st.session_state.get(UNSAVED) == form:
        del st.session_state[UNSAVED]


def unsaved_notice(form: str, container=None, saving_now: bool = False) -> None:
    """'Your last save did not go through; what you typed is still here': until it does (not while a
    new attempt is answering for itself)."""
    if st.session_state.get(UNSAVED) == form and not saving_now:
        (container or st).warning(t("save.unsaved"), icon=":material/cloud_off:")


def any_unsaved() -> bool:
    return bool(st.session_state.get(UNSAVED))
