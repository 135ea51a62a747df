"""Headline figures: one st.metric per tile, with the change from the day before."""
from __future__ import annotations

import streamlit as st

from ui import format as fmt


def tile(column, label: str, value, delta=None, help_text: str | None = None, inverse: bool = False) -> None:
    column.metric(
        label,
        fmt.num(value),
        delta=fmt.signed(delta) if delta is not None else None,
        delta_color="inverse" if inverse else "normal",
        delta_arrow="off" if delta == 0 else "auto",
        help=help_text,
        border=True,
    )
