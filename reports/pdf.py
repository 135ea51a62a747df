"""The daily report (日报) and the weekly circular (通报) as print-ready A4 PDF (issue 18).

HTML and CSS laid out by WeasyPrint (pages, running header, "第 n 页 共 m 页" from @page rules), the
words from reports.daily's templates (the same paragraphs as the text report), each line's key figures
as a small table, and the pages' own charts as vector SVG (reports/charts.py). Jinja2 autoescapes: a
stored name prints as typed. Chinese through fontconfig: Debian's fonts-noto-cjk (print.css names them).
"""
from __future__ import annotations

import base64
import datetime as dt
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from data_access import clock, territory
from reports import daily
from ui.i18n import translator

TEMPLATES = Path(__file__).parent / "templates"
PRINT_CSS = TEMPLATES / "print.css"
DEBIAN_PACKAGES = ("libpango-1.0-0", "libpangoft2-1.0-0", "fonts-noto-cjk")
SECTIONS = ("traffic", "reopening", "shops", "survey", "inspections", "logistics", "duty")  # the text's order
# a section of the report text opens with its numbered heading: "一、路域卡口（截至2月24日）。" / "1. Road checkpoints."
SECTION_HEAD = {"zh": re.compile(r"^([一二三四五六七]、[^。]*)。"), "en": re.compile(r"^(\d\. [^.]*)\.\s*")}


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it draws with (Pango) are not installed: no PDF, the rest works."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(f"{zh}\n{en}")


def check() -> None:
    """PdfUnavailable unless a PDF can be made here (the pages ask before they offer one): WeasyPrint with
    Pango, and a Chinese font. Without the font every Chinese character would print as an empty box, while
    the text still extracts as if all were well: such a PDF must never be made, let alone archived."""
    _weasyprint()
    if not chinese_font_installed():
        command = "sudo apt-get install fonts-noto-cjk"
        raise PdfUnavailable(*(translator(lang)("pdf.unavailable", detail="no Chinese font (Noto CJK)", command=command)
                               for lang in ("zh", "en")))


@cache
def chinese_font_installed() -> bool:
    """A font fontconfig offers for Chinese (what WeasyPrint draws with), asked of fc-list; where fontconfig's
    tools are absent, Debian's Noto CJK files themselves."""
    if shutil.which("fc-list"):
        found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20)
        return bool(found.stdout.strip())
    return any(Path("/usr/share/fonts").glob("**/Noto*CJK*"))


def _weasyprint():
    """The weasyprint module, imported when a PDF is asked for (it loads Pango through cffi: an OSError,
    not an ImportError, when Debian's libraries are missing)."""
    try:
        import weasyprint
    except (ImportError, OSError) as error:
        command = "sudo apt-get install " + " ".join(DEBIAN_PACKAGES) + "; .venv/bin/pip install -r requirements.txt"
        detail = f"{type(error).__name__}: {error}".splitlines()[0][:200]
        raise PdfUnavailable(*(translator(lang)("pdf.unavailable", detail=detail, command=command)
                               for lang in ("zh", "en"))) from error
    return weasyprint


# ---- the daily report -------------------------------------------------------------------------------

def daily_pdf(figures: dict, lang: str = "zh", engine=None) -> bytes:
    """The daily report of `figures` (reports.daily.daily_figures) as an A4 PDF."""
    return _pdf(daily_html(figures, lang, engine))


def daily_html(figures: dict, lang: str = "zh", engine=None) -> str:
    """The HTML the daily PDF is laid out from (print.css inlined)."""
    from reports import charts  # vl-convert: loaded only when a document is made

    if lang not in daily.LANGS:
        raise ValueError(f"language {lang!r}: one of {', '.join(daily.LANGS)}")
    t = translator(lang)
    day, zone = figures["day"], figures["zone"]
    # the same words as the text report, rendered from these figures (not read again): its heading, the
    # opening paragraphs (opening_paragraph's, with the place read from `engine`), then the numbered sections
    blocks = [b.strip() for b in daily.text_of(figures, lang, engine).split("\n\n") if b.strip()]
    first = next((k for k, b in enumerate(blocks) if SECTION_HEAD[lang].match(b)), len(blocks))
    opening, found = blocks[1:first], _sections(blocks[first:], lang)
    drawn = charts.daily_charts(figures, lang, engine)
    sections = [{"key": key, "heading": found[key][0], "paragraphs": found[key][1],
                 "notes": _notes(key, figures, t, lang), "table": _table(key, figures, t, lang),
                 "chart": drawn.get(key)} for key in SECTIONS]
    return _environment().get_template("daily.html.j2").render(
        css=Markup(PRINT_CSS.read_text(encoding="utf-8")), page_css=Markup(_page_css(t)),
        html_lang="zh-CN" if lang == "zh" else "en", lang=lang,
        title=t("pdf.title", place=daily.place_name(figures, lang, engine)), day=_day(day, lang),
        scope=t("pdf.scope", scope=t("pdf.zone", name=zone["name"], code=zone["code"]) if zone else t("pdf.whole_zone")),
        issued=t("pdf.issued", moment=_moment(figures["now"], lang)),
        demo=territory.dataset_kind(engine) == "demo", demo_text=t("pdf.demo"), demo_short=t("pdf.demo_short"),
        summary_heading=t("pdf.summary"), opening=opening, sections=sections,
        incomplete=t("pdf.incomplete"), no_chart=t("pdf.chart.none"))


def _sections(blocks: list[str], lang: str) -> dict[str, tuple[str, list[str]]]:
    """The report text's numbered sections, by line: (heading as the text words it, its paragraphs)."""
    found: dict[str, tuple[str, list[str]]] = {}
    keys = iter(SECTIONS)
    for block in blocks:
        head = SECTION_HEAD[lang].match(block)
        if head:
            found[next(keys)] = (head.group(1), [block[head.end():].strip()])
        elif found:  # a paragraph of its own inside a section
            found[list(found)[-1]][1].append(block)
    missing = [key for key in SECTIONS if key not in found]
    if missing:
        raise ValueError(f"the report text has no section for {', '.join(missing)}")
    return found


def _notes(key: str, figures: dict, t, lang: str) -> list[str]:
    """What is not complete, said at the top of its section (the paragraph says it too, in passing)."""
    if key == "traffic":
        c, end = figures["traffic"]["completeness"], figures["traffic"]["end"]
        if not c["final"]:
            return [t("pdf.traffic_incomplete", at=_moment(c["at"], lang), expected=c["expected"],
                      reported=c["reported"], day=_day(end, lang, year=False))]
    if key == "logistics":
        meals = figures["logistics"]
        if not meals["final"] and meals["day"] is not None:
            return [t("pdf.meals_incomplete", expected=meals["expected"], reported=meals["reported"],
                      day=_day(meals["day"], lang, year=False))]
    if key == "survey":
        return [t("pdf.survey_incomplete", sites=v["sites"], surveyed=v["surveyed"], unit=t(f"pdf.{kind}s"))
                for kind, v in figures["survey"].items() if v["surveyed"] < v["sites"]]
    return []


def _table(key: str, figures: dict, t, lang: str) -> dict:
    """The section's key figures: {"headers": [...], "rows": [[...]], "numeric": the columns set right-aligned}."""
    n = _number(lang)
    start = _day(figures["traffic"]["start"], lang, year=False)
    pairs = {"headers": [t("pdf.col.figure"), t("pdf.col.value")] * 2, "numeric": (1, 3)}
    if key == "traffic":
        tr = figures["traffic"]
        today, c = tr["today"], tr["completeness"]
        rows = [(t("pdf.k.vehicles_total", start=start), n(tr["totals"]["vehicles"])),
                (t("pdf.k.persons_total", start=start), n(tr["totals"]["persons"])),
                (t("pdf.k.vehicles_day"), n(today["vehicles"])), (t("pdf.k.persons_day"), n(today["persons"])),
                (t("pdf.k.outside_day"), n(today["persons_from_outside"])),
                (t("pdf.k.turned_back_day"), n(today["turned_back"])),
                (t("pdf.k.fever_day"), n(today["abnormal_temperature"]))]
        if tr["busiest_day"] is not None:
            rows.append((t("pdf.k.busiest", day=_day(tr["busiest_day"], lang, year=False)), n(tr["busiest_vehicles"])))
        if tr["average_vehicles"] is not None:
            rows.append((t("pdf.k.average"), n(round(tr["average_vehicles"]))))
        if c["expected"]:
            rows.append((t("pdf.k.reported"), f"{c['reported']} / {c['expected']}"))
        return {**pairs, "rows": _two_up(rows)}
    if key == "reopening":
        r = figures["reopening"]
        rows = [(t("pdf.k.enterprises"), f"{n(r['enterprises'])}（{n(r['above_size'])}）" if lang == "zh"
                 else f"{n(r['enterprises'])} ({n(r['above_size'])})"),
                (t("pdf.k.approved"), _with(n(r["approved"]), n(r["approved_above_size"]), lang)),
                (t("pdf.k.employees"), _with(n(r["employees"]), n(r["employees_from_outside"]), lang)),
                (t("pdf.k.approved_on_day"), n(r["approved_on_day"])), (t("pdf.k.in_progress"), n(r["in_progress"])),
                (t("pdf.k.suspended"), n(r["suspended"])), (t("pdf.k.refused"), n(r["refused"])),
                (t("pdf.k.not_applied"), n(r["not_applied"])), (t("pdf.k.stuck", days=r["threshold"]), n(r["stuck"]))]
        return {**pairs, "rows": _two_up(rows)}
    if key == "shops":
        s = figures["shops"]
        rows = [(t("pdf.k.shops"), n(s["shops"])), (t("pdf.k.open"), _with(n(s["open"]), n(s["opened_on_day"]), lang)),
                (t("pdf.k.staff"), _with(n(s["staff"]), n(s["staff_from_outside"]), lang)),
                (t("pdf.k.closed"), n(s["closed"]))]
        return {**pairs, "rows": _two_up(rows)}
    if key == "survey":
        rows = [[t(f"pdf.s.{kind}"), f"{v['surveyed']} / {v['sites']}", n(v["households_reached"]),
                 n(v["households_known"]), daily.percent(v["households_reached"], v["households_known"]), n(v["people"]),
                 n(v["people_from_outside"])] for kind, v in figures["survey"].items()]
        return {"headers": [t(f"pdf.s.{k}") for k in ("kind", "reported", "households", "known", "coverage", "people",
                                                        "outside")], "rows": rows, "numeric": (1, 2, 3, 4, 5, 6)}
    if key == "inspections":
        i = figures["inspections"]
        share = "—" if i.get("on_time_share") is None else f"{i['on_time_share']:.0%}"
        rows = [(t("pdf.k.duty_points"), _with(n(i["duty_points"]), n(i["overdue"]), lang)),
                (t("pdf.k.open_findings"), _with(n(i["open_findings"]), n(i["past_due"]), lang)),
                (t("pdf.k.visits", start=start), n(i["visits"])), (t("pdf.k.raised", start=start), n(i["raised"])),
                (t("pdf.k.on_time"), share)]
        return {**pairs, "rows": _two_up(rows)}
    if key == "logistics":
        l = figures["logistics"]
        rows = [(t("pdf.k.meals"), n(l["meals"])), (t("pdf.k.donated"), n(l["donated_meals"])),
                (t("pdf.k.meal_points"), f"{l['reported']} / {l['expected']}")]
        table = {**pairs, "rows": _two_up(rows)}
        if l["short"]:
            table["short"] = {
                "headers": [t(f"pdf.l.{k}") for k in ("zone", "item", "stock", "threshold", "cover")],
                "rows": [[x["zone"], x["item"], f"{n(x['stock'])} {x['unit']}", f"{n(x['threshold'])} {x['unit']}",
                          "—" if x["cover_days"] is None else daily.cover(x["cover_days"])] for x in l["short"]],
                "numeric": (2, 3, 4)}
        return table
    d = figures["duty"]  # duty
    if d["shift"] is None:
        rows = [(t("pdf.k.shift"), t("pdf.no_shift"))]
    else:
        rows = [(t("pdf.k.shift"), str(d["shift"])), (t("pdf.k.present"), f"{d['present']} / {d['required']}"),
                (t("pdf.k.posts_short"), _with(n(d["points_short"]), n(d["points_empty"]), lang))]
    return {**pairs, "rows": _two_up(rows)}


def _two_up(pairs: list[tuple[str, str]]) -> list[list[str]]:
    """Label/value pairs two to a row (label, value, label, value): half the height on the page."""
    half = (len(pairs) + 1) // 2
    left, right = pairs[:half], pairs[half:]
    return [[*a, *(right[k] if k < len(right) else ("", ""))] for k, a in enumerate(left)]


def _with(value: str, part: str, lang: str) -> str:
    return f"{value}（{part}）" if lang == "zh" else f"{value} ({part})"


def _number(lang: str):
    """Counts as the text writes them: plain in Chinese (the seed report's "15294台次"), grouped in English."""
    return (lambda v: str(int(v))) if lang == "zh" else (lambda v: f"{int(v):,}")


def _day(day: dt.date, lang: str, year: bool = True) -> str:
    if not year:
        return daily.zh_day(day) if lang == "zh" else daily.en_day(day)
    return daily.long_day(day, lang)


def _moment(moment: dt.datetime, lang: str) -> str:
    local = moment.astimezone(clock.zone())
    return f"{_day(local.date(), lang)} {local:%H:%M}"


# ---- the circular -----------------------------------------------------------------------------------

def circular_pdf(week: dict, lang: str, area: str, engine=None) -> bytes:
    """The weekly circular (reports.circular, unchanged) as an A4 PDF: its own HTML with the print rules
    (page size, margins, page numbers, a table's header on each page, the demo label on demo data) added
    after its own styles."""
    from reports.circular import circular_html

    t = translator(lang)
    html = circular_html(week, t, area, lang)
    demo = ""
    if territory.dataset_kind(engine) == "demo":  # a printed page says it too, as every screen does
        demo = "@page { @bottom-right { content: %s; color: #b00020; } }" % _css_string(t("pdf.demo_short"))
    # the demo label after the print rules: they set the page's corners for the daily report
    extra = f"<style>{_page_css(t)}\n{PRINT_CSS.read_text(encoding='utf-8')}\n{demo}</style>"
    # after the circular's own <style>: same specificity, later wins (its screen margins give way to @page)
    html = html.replace("</head>", extra + "</head>", 1) if "</head>" in html else extra + html
    return _pdf(html)


# ---- shared -----------------------------------------------------------------------------------------

def _pdf(html: str) -> bytes:
    weasyprint = _weasyprint()
    return weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf()


def _page_css(t) -> str:
    """The page-number line ("第 n 页 共 m 页" / "Page n of m") as @page content, from the translation table."""
    parts = re.split(r"(\{page\}|\{pages\})", t("pdf.page"))
    content = " ".join({"{page}": "counter(page)", "{pages}": "counter(pages)"}.get(p) or _css_string(p)
                       for p in parts if p)
    return "@page { @bottom-center { content: %s; } }" % content


def _css_string(text: str) -> str:
    return '"' + "".join(c if c.isalnum() or c in " ,.:;()（）-" else f"\\{ord(c):x} " for c in text) + '"'


@cache
def _environment() -> Environment:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["b64"] = lambda text: base64.b64encode(text.encode("utf-8")).decode("ascii")
    return environment
