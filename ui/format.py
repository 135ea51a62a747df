"""Numbers and dates formatted for people: 15,294; 2020-02-25 (周二)."""
from __future__ import annotations

import datetime as dt
import math

from ui.i18n import lang

_WEEKDAYS_ZH = "一二三四五六日"


def num(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def signed(value) -> str:
    """A change, always with its sign: +12, -3, 0 (ASCII minus: st.metric reads the sign from it)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{int(round(value)):+,}" if round(value) else "0"


def percent(part, whole) -> str:
    if not whole:
        return "—"
    return f"{100 * part / whole:.1f}%"


def day(value: dt.date | None, weekday: bool = False) -> str:
    if value is None:
        return "—"
    if hasattr(value, "date") and isinstance(value, dt.datetime):
        value = value.date()
    text = value.isoformat()
    if weekday:
        text += f" (周{_WEEKDAYS_ZH[value.weekday()]})" if lang() == "zh" else f" ({value:%a})"
    return text
