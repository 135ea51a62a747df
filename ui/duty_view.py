"""What the people and duty pages share: words for codes, people as picker labels, a week's Monday,
the state of a point-shift on the on-duty board, and the roster's warnings in words."""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from data_access.scope import EVERYWHERE
from ui import format as fmt
from ui.i18n import lang, t

SHORT_RED, OK_GREEN, LATER_GREY = "#d62728", "#2f8f5b", "#8a8f98"


def missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def word(prefix: str, code) -> str:
    """A code in words ('active' -> 在岗); a code without words shows itself, a missing one a dash."""
    if missing(code):
        return "—"
    key = f"{prefix}.{code}"
    text = t(key)
    return str(code) if text == key else text


def status_word(code) -> str:
    return word("people.status", code)


def kind_word(code) -> str:
    return word("people.kind", code)


def line_word(code) -> str:
    return word("duty.line", code)


def joined(names) -> str:
    return ("、" if lang() == "zh" else ", ").join(str(n) for n in names if not missing(n))


def manages_people(user) -> bool:
    """Admins and supervisors manage people, units and A/B (the data layer checks again)."""
    return user is not None and user.role in EVERYWHERE


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_days(first: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range(7)]


def minutes_text(minute) -> str:
    return f"{int(minute) // 60:02d}:{int(minute) % 60:02d}"


def person_labels(choices: pd.DataFrame) -> dict[int, str]:
    """{person id: '姓名（单位）'} for pickers, from people.person_choices."""
    if choices is None or choices.empty:
        return {}
    return {int(i): str(label) for i, label in zip(choices["person_id"], choices["label"])}


def short_labels(labels: dict[int, str]) -> dict[int, str]:
    """A grid cell's chips: the name alone ('张三'), with its unit only where two people share a name,
    so three shifts of two people each fit a laptop's width."""
    names = {i: label.split("（")[0].split(" (")[0] for i, label in labels.items()}
    counts = pd.Series(list(names.values())).value_counts() if names else pd.Series(dtype=int)
    return {i: labels[i] if counts.get(name, 0) > 1 else name for i, name in names.items()}


def point_state(row, now_minute: int) -> str:
    """A point-shift on the board: unmanned or short (red: on now, or rostered short for later today, as
    the wall's alerts count them), manned, or later (not begun, fully rostered)."""
    present, required = int(row["present"] or 0), int(row["required"] or 0)
    if required and present == 0:
        return "empty"
    if present < required:
        return "short"
    return "later" if int(row["start_minute"]) > now_minute else "ok"


def warning_text(warning) -> str:
    """One roster warning in words; `warning` a dict (save_week's answer) or a row of roster.warnings."""
    get = warning.get if isinstance(warning, dict) else (lambda k, d=None: getattr(warning, k, d))
    kind = get("kind")
    day = get("day")
    values = {"person": fmt.plain(get("person") or "—"), "day": fmt.day(day) if isinstance(day, dt.date) else str(day or "—"),
              "shift": fmt.plain(get("shift") or "—"), "other_site": fmt.plain(get("other_site") or "—"),
              "hours": fmt.num(get("hours"))}
    key = f"roster.warn.{kind}"
    return t(key, **values) if t(key) != key else f"{values['person']} · {kind}"
