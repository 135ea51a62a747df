"""What the reports page shows of issued reports: a figure a report stated, named in the reader's words
("traffic.totals.vehicles" -> 路域卡口 · 累计 · 车辆（台次）), its value, and the archive table's key.

The paths are those of reports.changes (the figures kept with an issued report); each part is a line of work,
a part of one, or a field, in ui/text/report.py. A list's position counts from 1 (the 2nd item short)."""
from __future__ import annotations

import hashlib

from ui.i18n import TEXT, t

KINDS = ("line", "part", "field")


def part_label(part: str) -> str:
    if part.isdigit():
        return str(int(part) + 1)
    for kind in KINDS:
        key = f"report.{kind}.{part}"
        if key in TEXT:
            return t(key)
    return part  # a figure added to the report without a word yet: its name rather than nothing


def figure_label(path: str) -> str:
    return " · ".join(part_label(part) for part in path.split("."))


def value_text(value) -> str:
    """A stated value as a cell shows it: "—" for none, ✓/✗ for yes/no, 15,294 for a count."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return f"{value:,}" if isinstance(value, int) else str(value)


def archive_table_key(ids) -> str:
    """The archive table's widget key, changing with the reports it lists: Streamlit keeps a table's selection
    by row position, so a newly issued report (or another kind or zone) must not leave "download again"
    pointing at a different report than the one picked."""
    return "report_archive_table_" + hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()[:12]
