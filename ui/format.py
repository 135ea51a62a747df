"""Numbers and dates formatted for people: 15,294; 2020-02-25 (周二)."""
from __future__ import annotations

import datetime as dt
import math
import re

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


# ---- stored text shown as plain text -------------------------------------------------------------

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation mark: CommonMark escapes them all
WORD_JOINER = "\u2060"  # invisible and never a line break
# GFM finds www., http:// and e-mail autolinks in the text left after escapes are resolved, so a
# backslash does not stop them (checked in Chromium on Streamlit 1.67): a word joiner splits them.
_AUTOLINKS = ((re.compile(r"(?i)(www)(\\\.)"), "\\1" + WORD_JOINER + "\\2"),
              (re.compile(r"(\\:)(\\/\\/)"), "\\1" + WORD_JOINER + "\\2"),
              (re.compile(r"(\\@)"), WORD_JOINER + "\\1"))


def plain(text) -> str:
    """Stored text (a name, a finding, a reason) made safe to put into any Streamlit Markdown:
    it shows exactly as typed, never as bold, a link, maths, a colour, an icon or an emoji.

    A backslash goes before every ASCII punctuation mark (CommonMark allows it before any): that
    stops CommonMark and GFM syntax, KaTeX's `$`, Streamlit's :color[...], :material/...: and
    emoji shortcodes. Line breaks stay line breaks; leading blanks and empty lines (which would
    start a code block or a new paragraph) are dropped.
    """
    if text is None:
        return ""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "  \n".join(_plain_line(line.strip()) for line in lines if line.strip())


def _plain_line(line: str) -> str:
    escaped = _PUNCTUATION.sub(r"\\\1", line)
    for pattern, replacement in _AUTOLINKS:
        escaped = pattern.sub(replacement, escaped)
    return escaped
