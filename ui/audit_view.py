"""The audit log in words: data_access.audit.changes() gives each change's fields and values; this
puts them into the UI language, one line per change ("卡口通行 · 中古线西关卡口 · 2020-02-20 ·
更正：车辆 120 → 131"), and into the CSV (with a BOM, so Excel opens it as UTF-8) and .xlsx exports.

No raw JSON and no identifier reaches the page: every field and coded value has words in
ui/text/audit.py (tests check each one the app writes), and anything unforeseen shows as "—".
"""
from __future__ import annotations

import datetime as dt
import io
import math

import pandas as pd

from ui import format as fmt
from ui import i18n
from ui.i18n import TEXT, t

ARROW = " → "
_BOOL_WORDS = {"is_open", "active", "passed", "absent"}  # fields whose yes/no has words of its own
# A coded value's text key, by field or, where a field's codes differ between tables, by "table.field".
_CODES = {"status": "reopen.status.{}", "step": "reopen.step.{}", "role": "role.{}", "category": "shops.category.{}",
          "outcome": "audit.outcome.{}", "donor_kind": "don.donor_kind.{}", "donor_origin": "don.donor_origin.{}",
          "donation.kind": "don.kind.{}", "supply_movement.kind": "sup.kind.{}",
          "org_unit.kind": "audit.unit_kind.{}", "person.status": "audit.person_status.{}", "line": "audit.resp_line.{}",
          "person.field": "audit.viewed.{}",
          "gate_registration.direction": "audit.gate_direction.{}", "gate_registration.doc_type": "audit.doc_type.{}"}
_MINUTE_FIELDS = {"start_minute", "end_minute"}  # a shift's start and end, minutes after midnight: read as 08:00
MAX_TEXT = 80  # a typed text longer than this is cut in the table (the export keeps it whole)


def _has(key: str) -> bool:
    return key in TEXT


def field_label(table: str, field: str, action: str | None = None) -> str:
    """audit.field.<table>.<action>.<field>, else audit.field.<table>.<field>, else audit.field.<field>."""
    for key in (f"audit.field.{table}.{action}.{field}", f"audit.field.{table}.{field}", f"audit.field.{field}"):
        if _has(key):
            return t(key)
    return "—"  # never the identifier itself


def action_label(table: str, action: str) -> str:
    for key in (f"audit.action.{table}.{action}", f"audit.action.{action}"):
        if _has(key):
            return t(key)
    return t("audit.action.update")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _code_key(table: str | None, field: str) -> str | None:
    return _CODES.get(f"{table}.{field}") or _CODES.get(field)


def value_text(field: str, value, cut: bool = True, table: str | None = None, action: str | None = None) -> str:
    """A stored value as a person reads it."""
    if field == "geometry":
        return t("audit.value.geometry")
    if field == "due":
        return value or t("audit.value.due.default")
    if _missing(value):
        return "—"
    if isinstance(value, bool):
        if field in _BOOL_WORDS:
            return t(f"audit.value.{field}.{str(value).lower()}")
        return t("audit.value.yes" if value else "audit.value.no")
    code = _code_key(table, field)
    if code and _has(code.format(value)):
        return t(code.format(value))
    if table == "duty_assignment" and field == "people" and value == "":
        return t("audit.value.nobody")  # a roster cell emptied, or empty before
    if field in _MINUTE_FIELDS and isinstance(value, int):
        return f"{value // 60:02d}:{value % 60:02d}"
    if table == "gate_registration" and isinstance(value, str) and field in ("at", "cutoff"):
        # stored as local ISO moments: a pass's time of day (its day is the subject's), a purge's first day kept
        return value[11:16] if field == "at" else value[:10]
    if table == "gate_registration" and field == "temperature":
        return f"{value} ℃"
    if table == "supply_movement" and field == "quantity" and isinstance(value, (int, float)):
        # stored signed (an issue is negative): a stock-take's difference keeps its sign, the rest read as counts
        return fmt.signed(value) if action == "stocktake" else fmt.num(abs(value))
    if field == "letters" and isinstance(value, list):
        value = [t(f"reopen.letter.{v}") if _has(f"reopen.letter.{v}") else str(v) for v in value]
    if isinstance(value, list):
        return ("、" if i18n.lang() == "zh" else ", ").join(str(v) for v in value) or "—"
    if isinstance(value, dict):
        return "—"
    if isinstance(value, (int, float)):
        return fmt.num(value)
    text = str(value).replace("\r", " ").replace("\n", " ").strip()
    if text == "":
        return t("audit.value.blank")
    return text[: MAX_TEXT - 1] + "…" if cut and len(text) > MAX_TEXT else text


def change_text(table: str, action: str, items, cut: bool = True) -> str:
    """'更正：车辆 120 → 131；人员 200 → 210' (an insert lists the values, a removal the old ones)."""
    parts = []
    for field, before, after, shape in items or ():
        label = field_label(table, field, action)
        if field == "geometry":
            parts.append(label + t("audit.value.geometry"))
        elif shape == "both":
            parts.append(f"{label} {value_text(field, before, cut, table, action)}{ARROW}"
                         f"{value_text(field, after, cut, table, action)}")
        else:
            parts.append(f"{label} {value_text(field, after if shape == 'new' else before, cut, table, action)}")
    verb = action_label(table, action)
    if action == "load_demo" or not parts:
        return verb
    if i18n.lang() == "zh":
        return f"{verb}：{'；'.join(parts)}"
    return f"{verb}: {'; '.join(parts)}"


def subject_text(row) -> str:
    if row.subject_kind == "setting" and isinstance(row.subject, str):
        key = f"audit.setting.{row.subject}"
        return t(key) if _has(key) else "—"
    if row.subject_kind == "anonymous":  # an anonymous donor: never a name, whatever was typed
        return t("audit.subject.anonymous")
    return "" if _missing(row.subject) else str(row.subject)


def when_text(moment) -> str:
    return "" if moment is None or pd.isna(moment) else moment.strftime("%Y-%m-%d %H:%M")


def day_text(day) -> str:
    return day.isoformat() if isinstance(day, dt.date) else ""


def who_text(row) -> str:
    """The display name; a program's account (the demo loader, the command line) in words."""
    key = f"audit.who.{row.username}"
    return t(key) if row.display_name == row.username and _has(key) else str(row.display_name)


def reason_text(reason) -> str:
    return "" if _missing(reason) else str(reason).replace("\r", " ").replace("\n", " ").strip()


def _shown_row(row) -> dict:
    what = [t(f"audit.line.{row.line}"), subject_text(row), day_text(row.day), change_text(row.table_name, row.action, row.items)]
    return {"id": row.id, "when": when_text(row.at), "who": who_text(row),
            "what": " · ".join(part for part in what if part), "reason": reason_text(row.reason)}


def _export_row(row) -> list:
    return [when_text(row.at), who_text(row), str(row.username), t(f"audit.line.{row.line}"), subject_text(row),
            day_text(row.day), change_text(row.table_name, row.action, row.items, cut=False), reason_text(row.reason)]


def shown(changes: pd.DataFrame) -> pd.DataFrame:
    """One line per change for the page: when, who, what (line · subject · day · change), why."""
    return pd.DataFrame([_shown_row(row) for row in changes.itertuples()], columns=["id", "when", "who", "what", "reason"])


def _export_headers() -> list[str]:
    return [t(f"audit.col.{c}") for c in ("when", "who", "account", "line", "subject", "day", "change", "reason")]


def export_frame(changes: pd.DataFrame) -> pd.DataFrame:
    """The same changes, a column per part, texts whole, headers in the UI language (for a spreadsheet)."""
    return pd.DataFrame([_export_row(row) for row in changes.itertuples()], columns=_export_headers())


# An audit row never changes once written; what its words are made of besides (the names of the person, the
# subject and the ids in its values, which a rename changes) is part of the key. So after a save only the new
# changes are put into words: labelling the 1,000 lines shown cost ~60 ms of every rerun after any save.
_WORDS: dict[tuple, tuple[dict, list]] = {}
_WORDS_KEPT = 20_000


def _words_key(language: str, row) -> tuple | None:
    try:
        key = (language, row.id, row.display_name, row.subject_kind, row.subject, row.day, repr(row.items))
        hash(key)
    except TypeError:
        return None
    return key


def _words(language: str, row) -> tuple[dict, list]:
    key = _words_key(language, row)
    found = _WORDS.get(key) if key is not None else None
    if found is None:
        found = (_shown_row(row), _export_row(row))
        if key is not None:
            if len(_WORDS) >= _WORDS_KEPT:
                _WORDS.clear()
            _WORDS[key] = found
    return found


def labelled(view, language: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """shown() and export_frame() of audit.changes(view) in `language` (the session's, part of the cache
    key), for ui.data.read: kept per data version and language, and each change put into words once."""
    from data_access import audit

    changes = audit.changes(view)
    with i18n.speaking(language):
        words = [_words(language, row) for row in changes.itertuples()]
        headers = _export_headers()
    return (pd.DataFrame([shown for shown, _ in words], columns=["id", "when", "who", "what", "reason"]),
            pd.DataFrame([export for _, export in words], columns=headers))


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark: Excel on Chinese Windows then opens it without garbling."""
    return frame.to_csv(index=False).encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, sheet_name: str) -> bytes:
    """An Excel workbook of one sheet (no session needed: it may run when the download is asked for)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet_name[:31])
        sheet = writer.sheets[sheet_name[:31]]
        for column, width in zip("ABCDEFGH", (17, 16, 12, 12, 18, 12, 60, 30)):
            sheet.column_dimensions[column].width = width
    return buffer.getvalue()
