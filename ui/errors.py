"""Showing the data layer's refusals: each message next to the field (or grid row) it names."""
from __future__ import annotations

import streamlit as st

from data_access.errors import ConflictError, DataError, ValidationError, name_codes_with
from ui.format import plain
from ui.i18n import TEXT, lang, t


def code_words(language: str, key: str) -> str:
    """The words for a code the data layer's messages name (a step, a status), in `language`."""
    zh, en = TEXT.get(key, (key, key))
    return en if language == "en" else zh


name_codes_with(code_words)


def field_label(field: str) -> str:
    label = t(f"col.{field}")
    return field if label == f"col.{field}" else label


def message_lines(error: ValidationError, row_names: dict[int, str] | None = None,
                  row_numbers: dict[int, int] | None = None) -> list[str]:
    """'Row 2 · 东卡口 · Vehicles: cannot be negative' for grids; 'Reason: required' for forms.

    row_numbers maps the position in what was saved to the position in the grid the clerk sees."""
    lines = []
    for item in error.errors:
        where = ""
        if item.row is not None:
            name = (row_names or {}).get(item.row)
            shown = (row_numbers or {}).get(item.row, item.row)
            where = t("common.row", row=shown + 1 if row_names is not None else shown) + (f" · {name}" if name else "") + " · "
        lines.append(f"{where}{field_label(item.field)}：{item.text(lang())}" if lang() == "zh"
                     else f"{where}{field_label(item.field)}: {item.text(lang())}")
    return lines


def show(error: DataError, container=None, row_names: dict[int, str] | None = None,
         row_numbers: dict[int, int] | None = None) -> None:
    """Render any refusal calmly. Every line is plain text: names in it are stored text."""
    target = container or st
    if isinstance(error, ValidationError):
        target.error(t("common.nothing_saved") + "  \n" + "  \n".join(escape_markdown(line) for line in message_lines(error, row_names, row_numbers)), icon=":material/error:")
    elif isinstance(error, ConflictError):
        names = [row_names.get(r, str(r + 1)) for r in error.rows] if row_names else []
        target.error(plain(error.text(lang()) + (f"：{'、'.join(names)}" if names else "")), icon=":material/sync_problem:")
    else:  # a refusal may name what it refused (NotFound: a typed user name): plain text
        target.error(plain(error.text(lang())), icon=":material/block:")


# Stored text in Markdown: one escape function for the whole app (see ui.format.plain).
escape_markdown = plain
_escape_md = plain  # older name, still used by some pages
