"""What every entry page shares: its heading, the days a form offers, the rows a grid was loaded with,
and what a save leaves behind (a one-line message, a blank form, a rerun).

A page keeps only what is its own: which fields, which data_access write, which words.
"""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Callable, Hashable

import pandas as pd
import streamlit as st

from data_access import territory
from data_access.errors import DataError, SaveFailed, ValidationError
from ui import errors as show_errors
from ui import kept_editor, saving
from ui.data import read
from ui.flash import show_once
from ui.i18n import lang, t
from ui.session import actor

KEEP = "session"  # typed values outlive runs that do not draw them (an outage screen)
# The options one picker sends to the browser on every run. A city has 7,169 unfinished enterprises and
# 3,000 duty points: more than this are found by typing part of a name (bounded_options).
PICKER_LIMIT = 300


@dataclass(frozen=True)
class Days:
    """The days a form offers: from the season's start to today, opening on the filter bar's last day."""
    first: dt.date
    today: dt.date

    def start(self, end: dt.date) -> dt.date:
        return min(max(end, self.first), self.today)


def days() -> Days:
    return Days(first=read(territory.season_start), today=dt.date.today())


def heading(title_key: str, flash_key: str, intro_key: str | None = None, writers_only: bool = False):
    """Title, intro and the message the last save left; the signed-in user. A page only writers may
    use stops here for anyone else (the router hides it from them too: this holds if it is opened)."""
    user = title(title_key, intro_key, writers_only)
    show_once(flash_key)
    return user


def title(title_key: str, intro_key: str | None = None, writers_only: bool = False):
    """The heading without the flash, for a page that shows its message elsewhere; the signed-in user."""
    user = actor()
    st.title(t(title_key))
    if intro_key:
        st.caption(t(intro_key))
    if writers_only and (user is None or not user.writes):
        st.error(t("error.not_allowed"))
        st.stop()
    return user


def bounded_options(labels: dict, search_key: str, box, picked=None, limit: int = PICKER_LIMIT, note=None) -> dict:
    """A picker's options: all of them while they are few (no search box then). Beyond `limit`, a box
    (in `box`, key `search_key`) narrows them by part of the label, the first `limit` matches are
    offered, and the option already `picked` stays offered; a caption (under the box, or in `note`)
    says how many matched."""
    if len(labels) <= limit:
        return labels
    search = box.text_input(t("picker.search"), key=search_key, max_chars=50, placeholder=t("picker.search_hint"),
                            persist_state=KEEP).strip().casefold()
    matched = {k: v for k, v in labels.items() if search in v.casefold()} if search else labels
    offered = dict(itertools.islice(matched.items(), limit))
    if picked in labels and picked not in offered:
        offered[picked] = labels[picked]
    if len(matched) > limit:
        (box if note is None else note).caption(t("picker.limited", n=f"{len(matched):,}", shown=limit))
    return offered


def kept_flash(flash_key: str) -> None:
    """The message the last save left, shown on every run until the page pops it (the user did
    something else): unlike the heading's, a rerun alone keeps it."""
    message = st.session_state.get(flash_key)
    if message:
        st.success(message, icon=":material/check_circle:")


def forget(prefix: str, *keys: str) -> None:
    """Drop a form's widget values (keys starting with `prefix`) and the named keys: the next form is blank."""
    for key in [k for k in st.session_state if str(k).startswith(prefix) or k in keys]:
        del st.session_state[key]


def done(flash_key: str, message: str, prefix: str | None = None, *keys: str) -> None:
    """After a save: leave the message for the next run, blank the form, run the page again."""
    st.session_state[flash_key] = message
    if prefix is not None or keys:
        forget(prefix if prefix is not None else "\0", *keys)
    st.rerun()


def pinned_rows(name: str, selection: Hashable, load: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """The rows (with their versions) a grid is loaded with, kept for as long as the selection stays
    the same: the grid never loses what the clerk typed on a rerun (streamlit#7749), and a save is
    checked against what was loaded, not against what is stored by now."""
    source, signature = f"{name}_source", f"{name}_signature"
    if st.session_state.get(signature) != selection:
        unpin(name)
        st.session_state[signature] = selection
    if source not in st.session_state:
        st.session_state[source] = load()
    return st.session_state[source]


def unpin(name: str) -> None:
    """Forget a grid's loaded rows and its edits: the next run loads what is stored now."""
    for key in (f"{name}_source", f"{name}_signature"):
        st.session_state.pop(key, None)
    kept_editor.forget(name)
    saving.forget(name)


def field_refusal(general, boxes: dict) -> Callable[[DataError], None]:
    """A form's refusal: each field's message under that field; "nothing saved" on top, with the
    messages no field owns (the step, a rule across fields). Anything else (rights, a stale form, a
    failed save) on top in its own words."""
    def show(error: DataError) -> None:
        if not isinstance(error, ValidationError):
            show_errors.show(error, general)
            return
        loose = []
        for item in error.errors:
            if item.field in boxes:
                boxes[item.field].error(show_errors.escape_markdown(item.text(lang())), icon=":material/error:")
            else:
                loose.append(show_errors.escape_markdown(item.text(lang())))
        general.error("  \n".join([t("common.nothing_saved"), *loose]), icon=":material/error:")
    return show


def refusal_with_reload(box, reload_key: str, on_reload: Callable[[], None]) -> Callable[[DataError], None]:
    """A refusal that may be stale (someone saved the same record meanwhile): the message, and a
    button that loads what is stored now. Bad input and a failed save keep what was typed instead."""
    def show(error: DataError) -> None:
        show_errors.show(error, box)
        if not isinstance(error, (ValidationError, SaveFailed)):
            box.button(t("survey.reload"), on_click=on_reload, key=reload_key)
    return show
