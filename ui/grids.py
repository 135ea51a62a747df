"""Column layouts of the entry grids: fixed widths (px) so a grid reads the same on every screen,
every header is whole, and every figure a clerk types fits on a laptop (1366 px wide, sidebar
open: the main column is 906 px) without scrolling sideways.

A grid header is drawn on a canvas in one line and cut where its column ends: it needs its text
plus 8 px padding either side, plus 24 px for the pencil Streamlit draws before the header of
every editable column (there is no option to leave it out). `header_room` says whether a label
fits; tests check every label in both languages against it.
"""
from __future__ import annotations

import functools

import pandas as pd

LAPTOP_GRID_WIDTH = 904  # the main column at 1366x768 with the sidebar open, less the grid's border
ROW_HEIGHT = 35  # Streamlit's default row (and header) height in px
MAX_ROWS_SHOWN = 15  # taller grids scroll inside

# widths by language: English labels are longer, so the columns share the same 904 px differently
TRAFFIC_ENTRY_LAYOUT = {
    "zh": {"name": 140, "zone": 104, "status": 64,
           "vehicles": 84, "persons": 84, "persons_from_outside": 104, "turned_back": 84, "abnormal_temperature": 104,
           "before": 104},
    "en": {"name": 130, "zone": 100, "status": 74,
           "vehicles": 90, "persons": 88, "persons_from_outside": 119, "turned_back": 114, "abnormal_temperature": 105,
           "before": 82},
}
TRAFFIC_ENTRY_COLUMNS = TRAFFIC_ENTRY_LAYOUT["zh"]  # in the order shown (browser tests find cells by it)
TRAFFIC_ENTRY_EDITABLE = ("vehicles", "persons", "persons_from_outside", "turned_back", "abnormal_temperature")

PADDING, EDIT_ICON = 8, 24
# Source Sans at 14 px (the grid's font), measured in Chromium; CJK and other wide characters are 1 em
_ASCII_PX = dict(zip(
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
    (2.8, 4.05, 5.96, 6.96, 6.96, 11.54, 8.53, 3.49, 4.24, 4.24, 5.85, 6.96, 3.49, 4.35, 3.49, 4.9,
     *[6.96] * 10, 3.49, 3.49, 6.96, 6.96, 6.96, 5.95, 11.86,
     7.6, 8.23, 7.99, 8.61, 7.38, 6.92, 8.64, 9.13, 3.68, 6.71, 8.11, 6.8, 10.18, 9.06, 9.3, 7.92, 9.3, 7.97,
     7.48, 7.5, 9.03, 7.21, 11, 7.18, 6.66, 7.55, 4.24, 4.9, 4.24, 6.96, 7, 7.59,
     7.06, 7.74, 6.38, 7.77, 6.94, 4.09, 7.06, 7.62, 3.44, 3.46, 6.93, 3.57, 11.61, 7.66, 7.59, 7.77, 7.77, 4.86,
     5.87, 4.73, 7.62, 6.54, 10.07, 6.24, 6.54, 5.95, 4.24, 3.37, 4.24, 6.96)))


def text_px(text: str) -> float:
    """How wide `text` is drawn in a grid cell or header (14 px Source Sans; wide characters 14 px)."""
    return _px(str(text))


@functools.lru_cache(maxsize=16384)
def _px(text: str) -> float:
    """Kept per text: a table's column widths are fitted to its values on every rerun, and the values
    (names, zones, statuses) are the same run after run."""
    return sum(_ASCII_PX.get(ch, 14.0) for ch in text)


def header_room(label: str, editable: bool) -> float:
    """The column width a header needs to be drawn whole."""
    return text_px(label) + 2 * PADDING + (EDIT_ICON if editable else 0)


def fit(label: str, values=(), editable: bool = False, extra: int = 0, least: int = 0, most: int = 400) -> int:
    """A column width (px) that holds its header and its longest value whole: for columns that were
    clipped (当前状态, 包保干部, 逾期未整改). `extra`: room a cell needs beside its text (a pill's padding)."""
    longest = max((text_px(v) for v in set(values) if isinstance(v, str)), default=0)  # 1,000 rows, 6 zones
    needed = max(header_room(label, editable), longest + 2 * PADDING + extra, least)
    return int(min(most, needed + 2))


def traffic_entry_columns(lang: str) -> dict[str, int]:
    return TRAFFIC_ENTRY_LAYOUT.get(lang, TRAFFIC_ENTRY_COLUMNS)


def grid_height(rows: int) -> int:
    """Every row in view up to MAX_ROWS_SHOWN (no scrolling inside a clerk's grid), header included."""
    return ROW_HEIGHT * (min(rows, MAX_ROWS_SHOWN) + 1) + 3


def as_count(value):
    """A cell as a number where it reads as one ('1,200' -> 1200), else as typed (the check explains)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip().replace(",", "").replace("，", "")
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() else value


def as_cell(value) -> str | None:
    """Stored figures shown as text cells: the clerk may type anything, and the check says what is wrong
    (a number cell silently turns '1e12' into 112)."""
    return None if value is None or pd.isna(value) else str(int(value))
