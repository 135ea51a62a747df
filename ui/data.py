"""Cached reads: every data_access read goes through here, keyed on the database's data version.

Any write bumps the version in the same transaction, so every app server (each with its own
cache) serves fresh figures on its next rerun, and an unchanged database costs one tiny query.
"""
from __future__ import annotations

from typing import Callable

import streamlit as st

from data_access import db


@st.cache_data(max_entries=1000, show_spinner=False)
def _cached_call(module: str, name: str, version: int, url: str, args: tuple, kwargs: dict):
    import importlib

    return getattr(importlib.import_module(module), name)(*args, **kwargs)


def read(fn: Callable, *args, **kwargs):
    """fn(*args, **kwargs), cached until the next write to the database."""
    version = db.data_version()
    return _cached_call(fn.__module__, fn.__name__, version, db.database_url(), args, kwargs)


@st.cache_data(max_entries=500, show_spinner=False)
def _cached_spec(chart_module: str, chart_name: str, read_module: str, read_name: str, version: int, url: str,
                 read_args: tuple, chart_kwargs: dict, wall: bool) -> dict:
    import importlib

    frame = _cached_call(read_module, read_name, version, url, read_args, {})
    chart = getattr(importlib.import_module(chart_module), chart_name)(frame, **chart_kwargs)
    if wall:
        from ui.charts.theme import on_wall

        chart = on_wall(chart)
    return chart.to_dict()


def chart_spec(chart_fn: Callable, read_fn: Callable, read_args: tuple, wall: bool = False, **chart_kwargs) -> dict:
    """The Vega-Lite spec of chart_fn(read_fn(*read_args), **chart_kwargs), for st.vega_lite_chart.

    Building and schema-checking an Altair chart costs more than the rest of a rerun, so the spec
    is cached like the data it draws: until the next write to the database. The chart's labels
    (and so the language) are part of chart_kwargs and therefore of the key.
    """
    return _cached_spec(chart_fn.__module__, chart_fn.__name__, read_fn.__module__, read_fn.__name__,
                        db.data_version(), db.database_url(), read_args, chart_kwargs, wall)
