"""The report engine (issue 18): the daily report (日报) and the weekly circular (通报) as documents.

Built from the same read functions the pages use (data_access), never from SQL of its own: `daily`
gathers the day's figures and writes the text, `circular` the week's inspection findings; the
workbook and the PDF are further renderings of the same figures. Templates are Jinja2 (templates/).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from data_access import clock, db, inspections, territory, versions
from data_access.filters import Filters

from . import changes, circular, daily

KINDS = {"daily": ("pdf", "xlsx", "txt"), "circular": ("pdf", "txt")}  # the first: what a click gives
MIME = {"txt": "text/plain; charset=utf-8", "pdf": "application/pdf",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclasses.dataclass(frozen=True)
class Document:
    kind: str
    fmt: str
    day: dt.date
    zone_id: int | None
    lang: str
    content: bytes
    filename: str
    mime: str
    figures: dict  # what the document states, for the archive and "what changed since"
    versions: dict  # the line versions read before it was made: an issue refuses data that moved since

    @property
    def figures_json(self) -> str:
        return changes.to_json(self.figures)


def check(kind: str, fmt: str, lang: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"report kind {kind!r}: one of {', '.join(KINDS)}")
    if fmt not in KINDS[kind]:
        raise ValueError(f"a {kind} report is made as {', '.join(KINDS[kind])}, not {fmt!r}")
    if lang not in daily.LANGS:
        raise ValueError(f"language {lang!r}: one of {', '.join(daily.LANGS)}")


def figures_of(kind: str, day: dt.date, zone_id: int | None = None, now: dt.datetime | None = None,
               engine=None) -> dict:
    """What a report of `kind` states for `day` and the zone: the daily figures, or the circular's week."""
    if kind == "daily":
        return daily.daily_figures(day, zone_id, now, engine)
    return _week_figures(week_of(day, zone_id, engine), zone_id, now or clock.now(engine))


def _week_figures(week: dict, zone_id: int | None, now: dt.datetime) -> dict:
    return {"start": week["start"], "end": week["end"], "zone": zone_id, "now": now, "summary": week["summary"],
            "fixed_in_week": week["fixed_in_week"], "findings": len(week["findings"]),
            "overdue_points": len(week["overdue_points"]), "past_due": len(week["past_due"])}


def week_of(day: dt.date, zone_id: int | None, engine=None) -> dict:
    """The circular's week: the seven days ending on the inspections' own day on or before `day`."""
    return inspections.week_circular(Filters(zone_id=zone_id, end=territory.as_of("inspections", day, engine)),
                                     engine)


def render(kind: str, fmt: str, day: dt.date, zone_id: int | None = None, lang: str = "zh",
           now: dt.datetime | None = None, engine=None) -> Document:
    """The report of `kind` for `day` (and a work zone) as a file of format `fmt` in `lang`."""
    check(kind, fmt, lang)
    now = now or clock.now(engine)
    zone = daily.zone_of(zone_id, engine)
    before = db.line_versions(engine)
    with versions.recording() as lines:  # which lines of data the report reads, to check at issue
        if kind == "daily":
            figures = daily.daily_figures(day, zone_id, now, engine)
            content = _daily(fmt, figures, lang, engine)
        else:
            week = week_of(day, zone_id, engine)
            figures = _week_figures(week, zone_id, now)
            content = _circular(fmt, week, lang, _area(zone, lang), engine)
    read_versions = {line: before.get(line, 0) for line in sorted(lines & set(versions.LINES))}
    return Document(kind=kind, fmt=fmt, day=day, zone_id=zone_id, lang=lang, content=content,
                    filename=filename(kind, fmt, day, zone and zone["code"], lang), mime=MIME[fmt], figures=figures,
                    versions=read_versions)


def _daily(fmt: str, figures: dict, lang: str, engine) -> bytes:
    if fmt == "txt":
        return daily.text_of(figures, lang, engine).encode("utf-8")
    if fmt == "xlsx":
        from . import workbook  # openpyxl is loaded only when a workbook is asked for

        return workbook.daily_workbook(figures, lang, engine)
    from . import pdf  # WeasyPrint (and its system libraries) only when a PDF is asked for

    return pdf.daily_pdf(figures, lang, engine)


def _circular(fmt: str, week: dict, lang: str, area: str, engine) -> bytes:
    from ui.i18n import translator

    if fmt == "txt":
        return circular.circular_text(week, translator(lang), area).encode("utf-8")
    from . import pdf

    return pdf.circular_pdf(week, lang, area, engine)


def _area(zone: dict | None, lang: str) -> str:
    from ui.i18n import text_in

    return text_in(lang, "inspect.circular.whole_zone") if zone is None else zone["name"]


def filename(kind: str, fmt: str, day: dt.date, zone_code: str | None, lang: str) -> str:
    """daily_20200225_Z1_zh.pdf: what, which day, which zone (ALL: the whole development zone), language."""
    return f"{kind}_{day:%Y%m%d}_{zone_code or 'ALL'}_{lang}.{fmt}"


def issue(actor, document: Document, engine=None) -> int:
    """Store `document` in the archive as issued by `actor` (their right to issue is checked there): the
    bytes exactly as made, with what they state and the data version they were made from."""
    from data_access import report_archive

    return report_archive.issue(actor, kind=document.kind, day=document.day, zone_id=document.zone_id,
                                fmt=document.fmt, lang=document.lang, filename=document.filename,
                                mime=document.mime, content=document.content,
                                figures_json=document.figures_json, expected_versions=document.versions,
                                engine=engine)


def preview(kind: str, day: dt.date, zone_id: int | None, lang: str, now: dt.datetime | None = None,
            engine=None) -> str:
    """The report as text, what the page shows before a file is made."""
    return render(kind, "txt", day, zone_id, lang, now, engine).content.decode("utf-8")


def changes_since(archive_id: int, engine=None) -> list[dict]:
    """What has changed in the figures an archived report stated: read again from today's data for its day
    and zone, at the moment it was read then (the duty on post and a checkpoint "not yet due" depend on
    the moment, not on the data): [{path, stated, now}], empty while the report still holds."""
    from data_access import report_archive

    issued = report_archive.issued_record(archive_id, engine)
    stated = issued["figures"]
    moment = dt.datetime.fromisoformat(stated["now"]) if stated.get("now") else issued["issued_at"]
    figures = figures_of(issued["kind"], issued["day"], issued["zone_id"], moment, engine)
    return changes.changes(stated, figures)


def unavailable(fmt: str) -> tuple[str, str] | None:
    """Why files of `fmt` cannot be made on this machine ((zh, en)), or None: a PDF needs WeasyPrint, its
    system libraries and the CJK fonts, which a set-up may lack; the page says so instead of failing."""
    if fmt != "pdf":
        return None
    from . import pdf  # its own imports are light: WeasyPrint is loaded by check()

    try:
        pdf.check()
    except pdf.PdfUnavailable as error:
        return error.zh, error.en
    return None


ISSUE_ATTEMPTS = 3  # data arriving while a report is made: made again from the newer data, at most this often


def make_and_issue(actor, kind: str, fmt: str, day: dt.date, zone_id: int | None = None, lang: str = "zh",
                   now: dt.datetime | None = None, engine=None) -> tuple[Document, int]:
    """Make the report and issue it: (the document, its archive number). On a working day clerks save all
    the time; a line that moved while the report was being made means it is made again from the newer data
    (the archive never files a report under data newer than its figures)."""
    from data_access.errors import ConflictError

    for attempt in range(ISSUE_ATTEMPTS):
        document = render(kind, fmt, day, zone_id, lang, now, engine)
        try:
            return document, issue(actor, document, engine)
        except ConflictError:
            if attempt == ISSUE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
