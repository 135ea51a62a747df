"""The one read-and-cache path: every data_access read and every chart spec goes through here.

Both are keyed on the versions of the lines of work the read touches (data_access/versions.py).
A write bumps the versions of the lines it wrote in the same transaction, so every app server
(each with its own cache) serves fresh figures of those lines on its next rerun and keeps the
rest: a shop save does not rebuild the traffic charts. An unchanged database costs one tiny
query: once per page run when the page loads its data inside `one_version()`, else once per call.
"""
from __future__ import annotations

import contextlib
import contextvars
import importlib
import os
import pickle
import sys
from typing import Callable, Iterator

import pandas as pd
import pyarrow as pa
import streamlit as st

from data_access import db, versions
from ui.i18n import lang

_FUNCTION = "__function__"
# Altair checks every spec against the Vega-Lite schema: a check for programming errors, which the tests
# make (here and on the chart functions), while a server would pay it on every rebuild after a save
# (~35 ms of the reopening page's three charts at city scale, issue 14). DASHBOARD_VALIDATE_CHARTS=1 forces it.
_VALIDATE_SPECS = "pytest" in sys.modules or os.environ.get("DASHBOARD_VALIDATE_CHARTS") == "1"
_NOTHING = object()
_pinned: contextvars.ContextVar[dict | None] = contextvars.ContextVar("pinned_line_versions", default=None)
# A value just computed outside the cache, for _cached_call to store instead of computing it again.
_given: contextvars.ContextVar = contextvars.ContextVar("given_result", default=_NOTHING)
_learned = versions.Learned()


@contextlib.contextmanager
def one_version() -> Iterator[None]:
    """Reads and chart specs inside share one set of line versions: a page's load() reads them once,
    not once per panel. Only for reading: a write inside would not be seen by the reads after it."""
    token = _pinned.set(db.line_versions())
    try:
        yield
    finally:
        _pinned.reset(token)


def line_versions() -> dict[str, int]:
    pinned = _pinned.get()
    return db.line_versions() if pinned is None else pinned


def _function(module: str, name: str) -> Callable:
    return getattr(importlib.import_module(module), name)


def _run(module: str, name: str, args: tuple, kwargs: dict):
    """Call a read and learn which lines it read."""
    with versions.recording() as lines:
        value = _function(module, name)(*args, **kwargs)
    _learned.add((module, name), lines)
    return value


@st.cache_data(max_entries=1000, show_spinner=False)
def _cached_call(module: str, name: str, lines_key: tuple, url: str, key, _args: tuple, _kwargs: dict):
    """`key` stands for the arguments (`_key_of`), which Streamlit then leaves unhashed."""
    given = _given.get()
    return _run(module, name, _args, _kwargs) if given is _NOTHING else given


def _key_of(*values):
    """The arguments as one value for a cache key: their pickle. Streamlit's own hashing walks every
    object in Python (a Filters, a datetime and its zone): ~15 ms of a wall refresh's 23 cached calls
    (issue 14); pickling is done in C. Equal pickles load as equal values, so no two calls are confused;
    what pickle refuses is left to Streamlit's hashing, as before."""
    try:
        return pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # anything unpicklable (pickle raises several kinds)
        return values


def _lines_key(module: str, name: str) -> tuple:
    return versions.key_of(_learned.lines((module, name)), line_versions())


def read(fn: Callable, *args, **kwargs):
    """fn(*args, **kwargs), cached until the next write to a line it reads."""
    module, name, url = fn.__module__, fn.__name__, db.database_url()
    if _learned.lines((module, name)) is None:
        # Its first run in this process: run it to learn its lines, then file the result under them.
        value = _run(module, name, args, kwargs)
        token = _given.set(value)
        try:
            return _cached_call(module, name, _lines_key(module, name), url, _key_of(args, kwargs), args, kwargs)
        finally:
            _given.reset(token)
    return _cached_call(module, name, _lines_key(module, name), url, _key_of(args, kwargs), args, kwargs)


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
def _cached_spec(chart_module: str, chart_name: str, read_module: str, read_name: str, lines_key: tuple, url: str,
                 language: str, key, _read_args: tuple, _chart_kwargs: dict, wall: bool) -> dict:
    """`key` stands for the read's arguments and the chart's keyword arguments (`_key_of`)."""
    data = _cached_call(read_module, read_name, lines_key, url, _key_of(_read_args, {}), _read_args, {})
    chart = _function(chart_module, chart_name)(data, **{k: _from_name(v) for k, v in _chart_kwargs.items()})
    if wall:
        from ui.charts.theme import on_wall

        chart = on_wall(chart)
    spec = chart.to_dict(validate=_VALIDATE_SPECS)
    if "datasets" in spec:  # converted here, once, rather than by st.vega_lite_chart on every rerun
        spec["datasets"] = {name: _arrow_bytes(rows) for name, rows in spec["datasets"].items()}
    return spec


def chart_spec(chart_fn: Callable, read_fn: Callable, read_args: tuple = (), wall: bool = False,
               **chart_kwargs) -> dict:
    """The Vega-Lite spec of chart_fn(read_fn(*read_args), **chart_kwargs), for st.vega_lite_chart.

    Building and schema-checking an Altair chart costs more than the rest of a rerun, so the spec
    is cached like the data it draws: until the next write to a line it reads. chart_kwargs are part
    of the key, so they must be hashable values (texts, dicts, tuples) or module-level functions
    such as ui.i18n.t, which go by name (a lambda is refused: it could not be found again); the
    language is part of the key too. `wall`: restyled for the dark wall (ui.charts.theme.on_wall).
    """
    read(read_fn, *read_args)  # learns the lines it reads on its first run; a cache hit after that
    read_args, chart_kwargs = tuple(read_args), {k: _by_name(v) for k, v in chart_kwargs.items()}
    return _cached_spec(chart_fn.__module__, chart_fn.__name__, read_fn.__module__, read_fn.__name__,
                        _lines_key(read_fn.__module__, read_fn.__name__), db.database_url(), lang(),
                        _key_of(read_args, chart_kwargs), read_args, chart_kwargs, wall)
