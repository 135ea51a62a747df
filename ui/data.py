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
