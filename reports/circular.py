"""The weekly inspection circular (通报): a printable HTML page, and its body for the on-page preview.

Rendered by Jinja2 with autoescaping (reports/templates/circular.html.j2): every stored text (site names,
findings, owners, fix notes) prints as the characters typed: a finding typed as "<script>" is never markup.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

CIRCULAR_CSS = """
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", serif; margin: 2.5cm 2cm; color: #111; }
h1 { text-align: center; font-size: 22pt; margin-bottom: 0.2em; }
.meta { text-align: center; color: #444; margin-bottom: 1.5em; }
h2 { font-size: 14pt; border-bottom: 1px solid #999; padding-bottom: 2px; margin-top: 1.4em; }
table { border-collapse: collapse; width: 100%; font-size: 10.5pt; }
th, td { border: 1px solid #999; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
.late { color: #b00020; font-weight: bold; }
@media print { body { margin: 1.5cm; } h2 { page-break-after: avoid; } tr { page-break-inside: avoid; } }
"""


# The on-page preview: the same rules scoped to .circular, because st.html's styles apply to the
# whole page (an unscoped "h1" rule would restyle the dashboard's own title).
PREVIEW_CSS = """
.circular { font-family: "Noto Serif CJK SC", "Source Han Serif SC", serif; color: #111; background: #fff;
            padding: 1.2em 1.6em; border: 1px solid #ddd; }
.circular h1 { text-align: center; font-size: 1.5rem; margin: 0 0 0.2em 0; }
.circular .meta { text-align: center; color: #444; }
.circular h2 { font-size: 1.05rem; border-bottom: 1px solid #999; padding-bottom: 2px; margin-top: 1.2em; }
.circular table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
.circular th, .circular td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
.circular th { background: #f0f0f0; }
.circular .late { color: #b00020; font-weight: bold; }
"""


@cache
def _template(name: str = "circular.html.j2"):
    # HTML escapes every stored text; the plain-text circular is not markup, so it prints what was typed
    environment = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                              autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
                              trim_blocks=True, lstrip_blocks=True)
    return environment.get_template(name)


def _value(value):
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[list]:
    return [[_value(v) for v in row] for row in frame[columns].itertuples(index=False)]


def _sections(data: dict, label) -> list[dict]:
    """The circular's three tables: the week's findings, the overdue duty points, the findings past due."""
    findings, end = data["findings"], data["end"]
    late = {i for i, (fixed, due) in enumerate(zip(findings["fixed_on"], findings["due_on"]))
            if (fixed is None and due < end) or (fixed is not None and fixed > due)}
    status = [label("inspect.status.fixed", day=f, note=n or "") if f is not None else label("inspect.status.open")
              for f, n in zip(findings["fixed_on"], findings["fix_note"])]
    overdue = data["overdue_points"].assign(
        last_day=[d if d is not None else label("inspect.never") for d in data["overdue_points"]["last_day"]])
    past_due = data["past_due"]
    return [
        {"heading": label("inspect.circular.findings"),
         "headers": [label(k) for k in ("inspect.col.raised_on", "col.zone", "inspect.col.point", "inspect.col.description",
                                        "inspect.col.owner", "inspect.col.due_on", "inspect.col.status")],
         "rows": [r + [s] for r, s in zip(_rows(findings, ["raised_on", "zone", "site", "description", "owner", "due_on"]),
                                          status)],
         "late_rows": late},
        {"heading": label("inspect.circular.overdue_points"),
         "headers": [label(k) for k in ("col.zone", "inspect.col.point", "inspect.col.last_day")],
         "rows": _rows(overdue, ["zone", "name", "last_day"]), "late_rows": set()},
        {"heading": label("inspect.circular.past_due"),
         "headers": [label(k) for k in ("col.zone", "inspect.col.point", "inspect.col.description", "inspect.col.owner",
                                        "inspect.col.due_on", "inspect.col.age_days")],
         "rows": _rows(past_due, ["zone", "site", "description", "owner", "due_on", "age_days"]),
         "late_rows": set(range(len(past_due)))},
        *_absences(data.get("repeated_absences"), label),
    ]


def _absences(absences, label) -> list[dict]:
    """Duty points found unmanned on two or more visits of the week, with the rostered people named
    (none when the data has no roster: an older database, or no absences to list)."""
    if absences is None:
        return []
    return [{"heading": label("inspect.circular.repeated"),
             "headers": [label(k) for k in ("col.zone", "inspect.col.point", "inspect.col.absences", "inspect.col.absent_names")],
             "rows": _rows(absences, ["zone", "name", "count", "names"]), "late_rows": set(range(len(absences)))}]


def _words(data: dict, label, area: str) -> dict:
    """What both the printed and the text circular say: heading, overview, the tables."""
    summary = data["summary"]
    share = "—" if summary["on_time_share"] is None else f"{summary['on_time_share']:.0%}"
    return dict(
        heading=label("inspect.circular.heading"),
        meta=label("inspect.circular.meta", area=area, start=data["start"], end=data["end"]),
        overview_heading=label("inspect.circular.overview"),
        overview=label("inspect.circular.summary", visits=summary["visits"], points=summary["duty_points"],
                       overdue=summary["overdue"], raised=summary["raised"], fixed=data["fixed_in_week"],
                       open=summary["open_findings"], past_due=summary["past_due"], share=share),
        none_text=label("inspect.circular.none"), sections=_sections(data, label))


def _render(data: dict, label, area: str, body_only: bool, lang: str = "zh") -> str:
    return _template().render(body_only=body_only, html_lang="en" if lang == "en" else "zh-CN",
                              css=Markup(CIRCULAR_CSS), **_words(data, label, area))


def circular_body(data: dict, label, area: str) -> str:
    """The circular's content (headings, summary, tables), escaped, for the on-page preview."""
    return _render(data, label, area, body_only=True)


def circular_html(data: dict, label, area: str, lang: str = "zh") -> str:
    """A complete, print-ready HTML document (open it and print, or save as PDF)."""
    return _render(data, label, area, body_only=False, lang=lang)


def circular_text(data: dict, label, area: str) -> str:
    """The circular as plain text for a message: a row past due is marked "【逾期】" / "[LATE] "."""
    text = _template("circular.txt.j2").render(sep="｜", late=label("inspect.circular.late_mark"),
                                               **_words(data, label, area))
    return text.strip() + "\n"
