"""The errors a write can raise. The UI shows them next to the field they name.

Messages come in both languages so the data layer needs nothing from the UI to explain itself. A
message that names a code (a step, a status) leaves a placeholder for it: the words for codes are
the UI's (ui/text): ui.errors installs the lookup with `name_codes_with`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _code_itself(lang: str, key: str) -> str:
    return key.rsplit(".", 1)[-1]


_name_code: Callable[[str, str], str] = _code_itself


def name_codes_with(lookup: Callable[[str, str], str]) -> None:
    """lookup(language, translation key) -> the words; ui.errors installs it."""
    global _name_code
    _name_code = lookup


@dataclass(frozen=True)
class FieldError:
    field: str
    zh: str
    en: str
    row: int | None = None  # position in a grid or file (0-based), None for a single form
    # (placeholder, translation keys) for each code the message names; several keys make a list
    names: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def text(self, lang: str = "zh") -> str:
        template = self.en if lang == "en" else self.zh
        if not self.names:
            return template
        joiner = ", " if lang == "en" else "、"
        return template.format(**{slot: joiner.join(_name_code(lang, key) for key in keys) for slot, keys in self.names})


class DataError(Exception):
    """Base of everything the data layer refuses on purpose (never a crash)."""

    zh = "操作未完成"
    en = "Not done"

    def text(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


class ValidationError(DataError):
    """Bad input. Carries one message per bad field (and row); nothing was saved."""

    zh = "输入有误，未保存任何内容"
    en = "Some input is not valid; nothing was saved"

    def __init__(self, errors: list[FieldError]):
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.row if e.row is not None else ''}{'.' if e.row is not None else ''}{e.field}: {e.text('en')}" for e in self.errors))

    def for_field(self, field: str, row: int | None = None) -> list[FieldError]:
        return [e for e in self.errors if e.field == field and e.row == row]

    def fields(self) -> set[tuple[int | None, str]]:
        return {(e.row, e.field) for e in self.errors}


class PermissionDenied(DataError):
    def __init__(self, zh: str = "您无权修改此数据", en: str = "You are not allowed to change this data"):
        self.zh, self.en = zh, en
        super().__init__(en)


class ConflictError(DataError):
    """A save from a stale form: someone changed the row since it was loaded."""

    def __init__(self, zh: str | None = None, en: str | None = None, rows: list[int] | None = None):
        self.zh = zh or "数据已被他人修改，请刷新后核对再保存"
        self.en = en or "Someone else changed this data since you loaded it; reload, check and save again"
        self.rows = rows or []
        super().__init__(self.en)


class NotFound(DataError):
    def __init__(self, what: str):
        self.zh = f"未找到：{what}"
        self.en = f"Not found: {what}"
        super().__init__(self.en)


class SaveFailed(DataError):
    """The database did not commit a write: busy, out of space, read-only or out of reach.

    Nothing was saved. The message says so in words a clerk understands, and that what they
    typed is still on the screen, so the page only has to show it.
    """

    MESSAGES = {
        "busy": ("数据库正忙（其他人正在保存），本次未保存。您输入的内容仍在，请稍候再按一次保存。",
                 "The database is busy (someone else is saving); nothing was saved. What you typed is still "
                 "here: press save again in a moment."),
        "full": ("服务器存储空间已满，本次未保存。您输入的内容仍在；请通知管理员清理空间后再保存。",
                 "The server's storage is full; nothing was saved. What you typed is still here: ask the "
                 "administrator to free space, then save again."),
        "read_only": ("数据库当前只读，本次未保存。您输入的内容仍在；请通知管理员。",
                      "The database is read-only at the moment; nothing was saved. What you typed is still "
                      "here: tell the administrator."),
        "unreachable": ("暂时连不上数据库，本次未保存。您输入的内容仍在，连接恢复后请再按一次保存。",
                        "The database cannot be reached; nothing was saved. What you typed is still here: "
                        "press save again once it is back."),
        "rejected": ("数据库拒绝了这次保存，未保存任何内容。您输入的内容仍在；请核对后再试，或通知管理员。",
                     "The database refused this save; nothing was saved. What you typed is still here: check "
                     "it and try again, or tell the administrator."),
    }

    def __init__(self, kind: str):
        self.kind = kind if kind in self.MESSAGES else "rejected"
        self.zh, self.en = self.MESSAGES[self.kind]
        super().__init__(f"save failed: {self.kind}")
