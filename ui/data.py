"""The one read-and-cache path: every data_access read and every chart spec goes through here.

Both are keyed on the database's data version. Any write bumps it in the same transaction, so
every app server (each with its own cache) serves fresh figures on its next rerun, and an
unchanged database costs one tiny query: once per page run when the page loads its data inside
`one_version()`, else once per call.
"""
from __future__ import annotations

import contextlib
import contextvars
import importlib
from typing import Callable, Iterator

import pandas as pd
import pyarrow as pa
import streamlit as st

from data_access import db
from ui.i18n import lang

_FUNCTION = "__function__"
_pinned_version: contextvars.ContextVar[int | None] = contextvars.ContextVar("pinned_data_version", default=None)


@contextlib.contextmanager
def one_version() -> Iterator[None]:
    """Reads and chart specs inside share one data version: a page's load() reads it once, not once
    per panel. Only for reading: a write inside would not be seen by the reads after it."""
    token = _pinned_version.set(db.data_version())
    try:
        yield
    finally:
        _pinned_version.reset(token)


def data_version() -> int:
    pinned = _pinned_version.get()
    return db.data_version() if pinned is None else pinned


def _function(module: str, name: str) -> Callable:
    return getattr(importlib.import_module(module), name)


@st.cache_data(max_entries=1000, show_spinner=False)
def _cached_call(module: str, name: str, version: int, url: str, args: tuple, kwargs: dict):
    return _function(module, name)(*args, **kwargs)


def read(fn: Callable, *args, **kwargs):
    """fn(*args, **kwargs), cached until the next write to the database."""
    return _cached_call(fn.__module__, fn.__name__, data_version(), db.database_url(), args, kwargs)


def _arrow_bytes(rows):
    """A spec's table as Arrow IPC bytes, the form the browser gets it in (st.vega_lite_chart passes
    bytes straight through); anything else as it was (Streamlit then converts it, or keeps geometry)."""
    if not isinstance(rows, list):
        return rows
    try:
        table = pa.Table.from_pandas(pd.DataFrame(rows))
    except (pa.ArrowException, ValueError, TypeError):
        return rows
    sink = pa.BufferOutputStream()
    with pa.RecordBatchStreamWriter(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _by_name(value):
    """A module-level function (ui.i18n.t) as (marker, module, name), which Streamlit can hash."""
    if not callable(value):
        return value
    if getattr(importlib.import_module(value.__module__), value.__name__, None) is not value:
        raise TypeError(f"{value!r}: chart_spec takes module-level functions, not lambdas or local ones")
    return (_FUNCTION, value.__module__, value.__name__)


def _from_name(value):
    return _function(value[1], value[2]) if isinstance(value, tuple) and value[:1] == (_FUNCTION,) else value


@st.cache_data(max_entries=500, show_spinner=False)
def _cached_spec(chart_module: str, chart_name: str, read_module: str, read_name: str, version: int, url: str,
                 language: str, read_args: tuple, chart_kwargs: dict, wall: bool) -> dict:
    data = _cached_call(read_module, read_name, version, url, read_args, {})
    chart = _function(chart_module, chart_name)(data, **{k: _from_name(v) for k, v in chart_kwargs.items()})
    if wall:
        from ui.charts.theme import on_wall

        chart = on_wall(chart)
    spec = chart.to_dict()
    if "datasets" in spec:  # converted here, once, rather than by st.vega_lite_chart on every rerun
        spec["datasets"] = {name: _arrow_bytes(rows) for name, rows in spec["datasets"].items()}
    return spec


def chart_spec(chart_fn: Callable, read_fn: Callable, read_args: tuple = (), wall: bool = False,
               **chart_kwargs) -> dict:
    """The Vega-Lite spec of chart_fn(read_fn(*read_args), **chart_kwargs), for st.vega_lite_chart.

    Building and schema-checking an Altair chart costs more than the rest of a rerun, so the spec
    is cached like the data it draws: until the next write to the database. chart_kwargs are part
    of the key, so they must be hashable values (texts, dicts, tuples) or module-level functions
    such as ui.i18n.t, which go by name (a lambda is refused: it could not be found again); the
    language is part of the key too. `wall`: restyled for the dark wall (ui.charts.theme.on_wall).
    """
    return _cached_spec(chart_fn.__module__, chart_fn.__name__, read_fn.__module__, read_fn.__name__,
                        data_version(), db.database_url(), lang(), tuple(read_args),
                        {k: _by_name(v) for k, v in chart_kwargs.items()}, wall)
