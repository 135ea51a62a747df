"""An entry grid (st.data_editor) whose typed cells survive runs that do not draw it.

Streamlit drops a widget's state when a run does not draw it, which is every run while the
database is away (the outage screen replaces the page), and a data_editor's state cannot be put
back through session_state. So each change is also copied, as plain values per row, into a
session key of our own (on_change runs first thing in every rerun, outage or not). When the
editor's own state is gone, the grid starts afresh from the loaded rows with those values laid
over them, under a new generation of its key; nothing the clerk typed is lost.
"""
from __future__ import annotations

from typing import Callable

import re

import pandas as pd
import streamlit as st


def _keys(key: str) -> tuple[str, str, str]:
    return f"{key}__typed", f"{key}__generation", f"{key}__drawn"


def widget_key(key: str) -> str:
    """The editor's key in this generation: `key` itself at first, so tests and CSS can find it."""
    generation = st.session_state.get(_keys(key)[1], 0)
    return key if generation == 0 else f"{key}_r{generation}"


def typed(key: str) -> dict:
    """{row id: {column: value}} for every cell changed since the rows were loaded."""
    return st.session_state.get(_keys(key)[0], {})


def _overlay(frame: pd.DataFrame, row_id: str, values: dict) -> pd.DataFrame:
    shown = frame.copy()
    positions = {value: position for position, value in enumerate(frame[row_id])}
    for rid, cells in values.items():
        if rid in positions:
            for column, value in cells.items():
                if column in shown.columns:
                    shown.iat[positions[rid], shown.columns.get_loc(column)] = value
    return shown


def _copy_typed(key: str, base: pd.DataFrame, row_id: str, carried: dict, then: Callable | None) -> None:
    """on_change: what the editor holds now, as absolute values by row id, over what was carried in."""
    state = st.session_state.get(widget_key(key)) or {}
    values = {rid: dict(cells) for rid, cells in carried.items()}
    for position, cells in (state.get("edited_rows") or {}).items():
        rid = base[row_id].iloc[int(position)]
        values.setdefault(rid, {}).update(cells)
    st.session_state[_keys(key)[0]] = values
    if then:
        then()


def kept_editor(key: str, frame: pd.DataFrame, row_id: str, on_change: Callable | None = None,
                **editor_args) -> pd.DataFrame:
    """st.data_editor(frame, key=...) that keeps what was typed through any number of lost runs.

    `frame` must be the same rows on every run (pin it in session_state); `row_id` names a column
    that identifies a row (it may be hidden with column_order)."""
    typed_key, generation_key, drawn_key = _keys(key)
    carried_key = f"{key}__carried"
    current = widget_key(key)
    if st.session_state.get(drawn_key) == current and current not in st.session_state:
        # Drawn before, state gone: start a new generation from what was typed.
        st.session_state[generation_key] = st.session_state.get(generation_key, 0) + 1
        st.session_state[carried_key] = dict(typed(key))
        current = widget_key(key)
    carried = st.session_state.get(carried_key, {})
    base = _overlay(frame, row_id, carried) if carried else frame
    st.session_state[drawn_key] = current
    return st.data_editor(base, key=current, on_change=_copy_typed, args=(key, base, row_id, carried, on_change),
                          **editor_args)


def forget(key: str) -> None:
    """After a save or a reload: the grid starts again from the stored rows."""
    for name in (*_keys(key), f"{key}__carried"):
        st.session_state.pop(name, None)
    generations = re.compile(re.escape(key) + r"(_r\d+)?")
    for name in [k for k in st.session_state if generations.fullmatch(str(k))]:
        st.session_state.pop(name, None)
