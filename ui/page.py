"""How a page runs: settings() → load(view) → show(view, data).

settings() draws the page's widgets and filters and returns what they select (the view); load()
makes one data_access call per panel through ui.data, all on one data version; show() draws. Only
load() is wrapped: a page that writes (a form in show) reads fresh after its write.
"""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from ui.data import one_version
from ui.kpi import TILE_STYLE


def run(settings: Callable[[], Any], load: Callable[[Any], dict], show: Callable[[Any, dict], None]) -> None:
    st.html(TILE_STYLE)  # style only: it takes no room on the page
    view = settings()
    with one_version():
        data = load(view)
    show(view, data)
