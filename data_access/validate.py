"""Field checks shared by every write: whole counts >= 0, dates within the season, sane text.

Each check appends a FieldError and returns the cleaned value (or None), so a form or a grid
collects every problem in one pass and the clerk sees them all at once.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from numbers import Number

import numpy as np

from .errors import FieldError, ValidationError

MAX_COUNT = 10_000_000
MAX_TEXT = 2_000  # for Text columns, which have no length of their own
ALLOWED_CONTROLS = "\t\n\r"
# An ISO day, or Excel's 2020/2/26; pandas adds " 00:00:00" to Excel dates it reads as text.
_DAY_PATTERNS = (
    re.compile(r"(\d{4})-(\d{2})-(\d{2})(?: 00:00:00)?"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})(?: 00:00:00)?"),
)


def column_length(column) -> int:
    """The longest text a model column holds: its String(n), or MAX_TEXT for a Text column.

    `column` is a mapped attribute (User.display_name) or a Column; the number is never copied.
    """
    length = getattr(getattr(column, "type", None), "length", None)
    return int(length) if length else MAX_TEXT


def has_bad_characters(value: str) -> bool:
    """NUL and other control characters (PostgreSQL refuses NUL outright), and lone surrogates
    (not encodable as UTF-8). Tabs and line breaks are ordinary text."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in ALLOWED_CONTROLS for ch in value)


def clean_search(value) -> str | None:
    """A typed search string made safe to put in a query: control characters dropped, trimmed.
    None when nothing searchable is left (the caller then does not filter)."""
    if not isinstance(value, str):
        return None
    cleaned = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cs")).strip()
    return cleaned or None


def _missing(value) -> bool:
    """None, blank text, NaN and NaT (what pandas puts in an empty cell)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(value != value)
    except Exception:  # arrays and other odd objects: not "missing", refused later as a bad value
        return False


def parse_day(value) -> dt.date | None:
    """A date from a date/datetime/Timestamp or from strict text; None when it is not one."""
    if isinstance(value, dt.datetime):  # pandas Timestamp too
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        for pattern in _DAY_PATTERNS:
            match = pattern.fullmatch(value.strip())
            if match:
                try:
                    return dt.date(*(int(part) for part in match.groups()))
                except ValueError:
                    return None
    return None


class Checker:
    def __init__(self, today: dt.date | None = None, season_start: dt.date | None = None):
        self.errors: list[FieldError] = []
        self.today = today or dt.date.today()
        self.season_start = season_start  # a day before it is refused (see territory.season_start)

    def fail(self, field: str, zh: str, en: str, row: int | None = None, names=()) -> None:
        self.errors.append(FieldError(field, zh, en, row, names))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)

    def count(self, field: str, value, row: int | None = None, required: bool = True, maximum: int = MAX_COUNT):
        """A whole number >= 0. Accepts ints, whole floats and digit strings ("1,234" too)."""
        if type(value) is int and 0 <= value <= maximum:  # what a grid sends: no float round trip (250 cells a save)
            return value
        if value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(field, "必填", "required", row)
            return None
        if isinstance(value, bool):
            self.fail(field, "应为整数", "must be a whole number", row)
            return None
        if isinstance(value, str):
            text = value.strip().replace(",", "").replace("，", "")
            try:
                number = float(text)
            except ValueError:
                self.fail(field, f"应为整数，而不是“{value[:20]}”", f"must be a whole number, not '{value[:20]}'", row)
                return None
        elif isinstance(value, Number):
            number = float(value)
        else:
            self.fail(field, "应为整数", "must be a whole number", row)
            return None
        if math.isnan(number) or math.isinf(number) or number != int(number):
            self.fail(field, "应为整数", "must be a whole number", row)
            return None
        number = int(number)
        if number < 0:
            self.fail(field, "不能为负数", "cannot be negative", row)
            return None
        if number > maximum:
            self.fail(field, f"数值过大（上限 {maximum:,}）", f"too large (at most {maximum:,})", row)
            return None
        return number

    def day(self, field: str, value, row: int | None = None, required: bool = True, earliest: dt.date | None = None):
        """A date no later than today and not before the season start.

        Text must be a whole date (2020-02-25 or 2020/2/25, at most followed by a midnight time):
        anything trailing is a typo, not something to cut off.
        """
        if _missing(value):
            if required:
                self.fail(field, "必填", "required", row)
            return None
        value = parse_day(value)
        if value is None:
            self.fail(field, "日期格式应为 2020-02-25", "date must look like 2020-02-25", row)
            return None
        if value > self.today:
            self.fail(field, "日期不能晚于今天", "date cannot be in the future", row)
            return None
        if self.season_start and value < self.season_start:
            start = f"{self.season_start:%Y-%m-%d}"
            self.fail(field, f"日期不能早于本季开始日 {start}", f"date cannot be before the season start, {start}", row)
            return None
        if earliest and value < earliest:
            self.fail(field, f"日期不能早于 {earliest:%Y-%m-%d}", f"date cannot be before {earliest:%Y-%m-%d}", row)
            return None
        return value

    def text(self, field: str, value, row: int | None = None, required: bool = False, max_len: int | None = None,
             column=None):
        """Stored exactly as typed (trimmed); escaping is the display's job.

        The length limit is the model column's (`column`, e.g. User.display_name), else `max_len`
        (a policy limit for a Text column), else MAX_TEXT: a longer text would fail in PostgreSQL.
        """
        if value is None or (isinstance(value, float) and math.isnan(value)):
            value = ""
        value = str(value).strip()
        if not value:
            if required:
                self.fail(field, "必填", "required", row)
            return None
        if has_bad_characters(value):
            self.fail(field, "含有不可见的控制字符（如 NUL）", "contains control characters (such as NUL)", row)
            return None
        limit = min(max_len or MAX_TEXT, column_length(column)) if column is not None else (max_len or MAX_TEXT)
        if len(value) > limit:
            self.fail(field, f"过长（最多 {limit} 字，现有 {len(value)} 字）",
                      f"too long (at most {limit} characters, this has {len(value)})", row)
            return None
        return value

    def choice(self, field: str, value, allowed, row: int | None = None):
        if value not in allowed:
            self.fail(field, "不是可选的值", "is not one of the allowed values", row)
            return None
        return value

    def not_more_than(self, field: str, value, limit, limit_zh: str, limit_en: str, row: int | None = None) -> None:
        if value is not None and limit is not None and value > limit:
            self.fail(field, f"不能超过{limit_zh}", f"cannot exceed {limit_en}", row)


def form_id(check: Checker, field: str, value, unknown: tuple[str, str], required: bool = True, row=None) -> int | None:
    """An id a form sends (a select box's value): a whole number, else refused as unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip()):
        if required:
            check.fail(field, "必填", "required", row)
        return None
    if isinstance(value, (bool, np.bool_)):
        check.fail(field, *unknown, row)
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, Number) and float(value).is_integer():
        return int(value)
    check.fail(field, *unknown, row)
    return None
