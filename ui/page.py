"""How a page runs: settings() → load(view) → show(view, data).

settings() draws the page's widgets and filters and returns what they select (the view); load()
makes one data_access call per panel through ui.data, all on one data version; show() draws. Only
load() is wrapped: a page that writes (a form in show) reads fresh after its write. The language cannot
change between settings() and the end of the run (the switch's callback runs before the next run).
"""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from ui.data import one_version
from ui.i18n import lang, speaking
from ui.kpi import TILE_STYLE


def run(settings: Callable[[], Any], load: Callable[[Any], dict], show: Callable[[Any, dict], None]) -> None:
    st.html(TILE_STYLE)  # style only: it takes no room on the page
    view = settings()
    with one_version(), speaking(lang()):
        data = load(view)
    with speaking(lang()):  # a table's thousand labels without asking the session each time (~15 us a call)
        show(view, data)
