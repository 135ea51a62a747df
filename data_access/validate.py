"""Field checks shared by every write: whole counts >= 0, no future dates, sane text.

Each check appends a FieldError and returns the cleaned value (or None), so a form or a grid
collects every problem in one pass and the clerk sees them all at once.
"""
from __future__ import annotations

import datetime as dt
import math
from numbers import Number

from .errors import FieldError, ValidationError

MAX_COUNT = 10_000_000
MAX_TEXT = 2_000


class Checker:
    def __init__(self, today: dt.date | None = None):
        self.errors: list[FieldError] = []
        self.today = today or dt.date.today()

    def fail(self, field: str, zh: str, en: str, row: int | None = None) -> None:
        self.errors.append(FieldError(field, zh, en, row))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)

    def count(self, field: str, value, row: int | None = None, required: bool = True, maximum: int = MAX_COUNT):
        """A whole number >= 0. Accepts ints, whole floats and digit strings ("1,234" too)."""
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
        """A date no later than today."""
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(field, "必填", "required", row)
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip()[:10])
            except ValueError:
                self.fail(field, "日期格式应为 2020-02-25", "date must look like 2020-02-25", row)
                return None
        if hasattr(value, "to_pydatetime"):  # pandas Timestamp
            value = value.to_pydatetime().date()
        if not isinstance(value, dt.date):
            self.fail(field, "日期格式应为 2020-02-25", "date must look like 2020-02-25", row)
            return None
        if value > self.today:
            self.fail(field, "日期不能晚于今天", "date cannot be in the future", row)
            return None
        if earliest and value < earliest:
            self.fail(field, f"日期不能早于 {earliest:%Y-%m-%d}", f"date cannot be before {earliest:%Y-%m-%d}", row)
            return None
        return value

    def text(self, field: str, value, row: int | None = None, required: bool = False, max_len: int = MAX_TEXT):
        """Stored exactly as typed (trimmed); escaping is the display's job."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            value = ""
        value = str(value).strip()
        if not value:
            if required:
                self.fail(field, "必填", "required", row)
            return None
        if len(value) > max_len:
            self.fail(field, f"过长（最多 {max_len} 字）", f"too long (at most {max_len} characters)", row)
            return None
        if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
            self.fail(field, "含有不可见的控制字符", "contains control characters", row)
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
