"""The daily report (日报) as an Excel workbook (issue 18): a summary sheet, then one sheet per line of work.

Every table is read through the data_access functions the pages call, with the filters the report's figures
were made with (`reports.daily.daily_figures`): the same zone, each line as of its own day, traffic over the
report's range. Totals are written as computed numbers, not formulas: the workbook is opened in WPS,
LibreOffice and Excel, and openpyxl (which does not calculate) must read the figures back.

A stored name is written as text whatever it starts with: "=", "+", "-" or "@" would otherwise make a
formula in a reader that re-evaluates the cell (spreadsheet formula injection).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
import unicodedata
from typing import Callable

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from data_access import clock, community, inspections, logistics, reopening, shops, territory, traffic
from data_access.filters import Filters
from data_access.models import DEPARTMENTS
from data_access.reopening_rules import GROUPS
from ui.i18n import translator

from . import daily

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may read as the start of a formula
FORMATS = {"int": "#,##0", "float": "#,##0.0", "pct": "0.0%", "date": "yyyy-mm-dd"}
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="A6A6A6")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TOTAL_BORDER = Border(left=THIN, right=THIN, top=Side(style="medium", color="595959"), bottom=THIN)
BOLD = Font(bold=True)
WIDEST = 42  # characters (a CJK character counts two); a longer text wraps
HEADER_ROW = 3  # each line's sheet: title, note, then its table's header
COVER_WINDOW_DAYS = 7  # logistics.stock's days of cover are over the issues of the last 7 days


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a table: the frame's column, its header's text key, how it is shown and totalled.

    kind: text, int, float, pct, date or flag (yes/no; its total counts the yeses). total: "sum",
    "count" (of yeses), None (nothing: a day, a round number) or a function of the total row's sums
    (a share is the ratio of the summed parts, never a sum of shares)."""
    name: str
    label: str
    kind: str = "int"
    total: str | Callable[[dict], object] | None = "sum"


@dataclasses.dataclass(frozen=True)
class Context:
    """What each sheet is written from: the report's figures, its language and words, the database."""
    figures: dict
    lang: str
    label: Callable[..., str]
    engine: object = None


# ---- the workbook -----------------------------------------------------------------------------------

def daily_workbook(figures: dict, lang: str = "zh", engine=None) -> bytes:
    """The daily report of `figures` (reports.daily.daily_figures) as xlsx bytes, in `lang` (zh or en)."""
    if lang not in daily.LANGS:
        raise ValueError(f"language {lang!r}: one of {', '.join(daily.LANGS)}")
    label = translator(lang)
    book = Workbook()
    summary_sheet(book.active, Context(figures, lang, label, engine))
    for line, write in SHEETS.items():
        sheet = book.create_sheet(label(f"wb.sheet.{line}"))
        write(sheet, Context(figures, lang, label, engine))
        page_setup(sheet)
    book.properties.title = label("wb.title", place=daily.place_name(figures, lang, engine), day=daily.long_day(figures["day"], lang))
    book.properties.creator = label("app.title")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---- the summary sheet ------------------------------------------------------------------------------

SUMMARY_COLUMNS = [Column("line", "wb.col.line", "text"), Column("figure", "wb.col.figure", "text"),
                   Column("value", "wb.col.value", "int"), Column("as_of", "wb.col.as_of", "date"),
                   Column("status", "wb.col.status", "text")]
SUMMARY_HEADER_ROW = 5
SUMMARY_WIDTHS = (12, 36, 12, 12, 24)


def summary_sheet(sheet: Worksheet, context: Context) -> None:
    """Title, the opening paragraph in one merged cell, then the key figures, each with its line's day and
    whether it is final. No total row: its figures are of different things."""
    figures, label = context.figures, context.label
    sheet.title = label("wb.sheet.summary")
    rows = key_figures(figures, label)
    last = get_column_letter(len(SUMMARY_COLUMNS))
    put(sheet.cell(1, 1), label("wb.title", place=daily.place_name(figures, context.lang, context.engine),
                                day=daily.long_day(figures["day"], context.lang)))
    sheet.cell(1, 1).font = Font(bold=True, size=15)
    made = figures["now"].astimezone(clock.zone())
    put(sheet.cell(2, 1), label("wb.made_at", now=f"{made:%Y-%m-%d %H:%M}"))
    text = daily.opening_paragraph(figures, context.lang, context.engine).strip()
    paragraph = sheet.cell(3, 1)
    put(paragraph, text)
    paragraph.alignment = Alignment(wrap_text=True, vertical="top")
    put(sheet.cell(4, 1), label("wb.key_figures"))
    sheet.cell(4, 1).font = BOLD
    table(sheet, SUMMARY_HEADER_ROW, SUMMARY_COLUMNS, rows, [], label)
    for row, values in enumerate(rows, SUMMARY_HEADER_ROW + 1):  # each value in its own format
        sheet.cell(row, 3).number_format = FORMATS[values["kind"]]
    for letter, least in zip("ABCDE", SUMMARY_WIDTHS):  # wide enough for the paragraph to read well
        sheet.column_dimensions[letter].width = max(least, sheet.column_dimensions[letter].width or 0)
    for row in (1, 2, 3):
        sheet.merge_cells(f"A{row}:{last}{row}")
    width = sum(sheet.column_dimensions[letter].width for letter in "ABCDE")
    sheet.row_dimensions[3].height = paragraph_height(text, width)
    page_setup(sheet, SUMMARY_HEADER_ROW)


def paragraph_height(text: str, width: float) -> float:
    """Points for a wrapped cell `width` characters wide holding `text` (15 points a line)."""
    lines = sum(max(1, math.ceil(text_width(part) / max(width - 2, 1))) for part in text.split("\n"))
    return 15 * lines + 6


def key_figures(figures: dict, label) -> list[dict]:
    """The summary's rows: line, figure, value (and its kind), the line's as-of day and its status."""
    as_of, rows = figures["as_of"], []

    def add(line: str, figure: str, value, kind: str = "int", status: str | None = None, day: dt.date | None = None):
        rows.append({"line": label(f"wb.line.{line}"), "figure": figure, "value": value, "kind": kind,
                     "as_of": day or as_of.get(line), "status": status or label("wb.status.recorded")})

    tr = figures["traffic"]
    done = tr["completeness"]
    status = label("wb.status.final") if done["final"] else label(
        "wb.status.incomplete", reported=done["reported"], expected=done["expected"])
    start = tr["start"].isoformat()
    for key, value in (("vehicles_total", tr["totals"]["vehicles"]), ("persons_total", tr["totals"]["persons"]),
                       ("vehicles_day", tr["today"]["vehicles"]), ("persons_day", tr["today"]["persons"]),
                       ("from_outside_day", tr["today"]["persons_from_outside"]),
                       ("turned_back_total", tr["totals"]["turned_back"])):
        add("traffic", label(f"wb.fig.{key}", start=start), value, status=status)
    if tr["busiest_day"] is not None:
        add("traffic", label("wb.fig.busiest", day=tr["busiest_day"].isoformat()), tr["busiest_vehicles"], status=status)
    if tr["average_vehicles"] is not None:
        add("traffic", label("wb.fig.average", day=tr["reopened"].isoformat()), round(tr["average_vehicles"], 1),
            "float", status)
    add("traffic", label("wb.fig.checkpoints_reported", expected=done["expected"]), done["reported"], status=status)

    cases = figures["reopening"]
    for key in ("enterprises", "approved", "approved_above_size", "employees", "employees_from_outside",
                "in_progress", "suspended"):
        add("reopening", label(f"wb.fig.{key}"), cases[key])
    add("reopening", label("wb.fig.stuck", days=cases["threshold"]), cases["stuck"])

    shop = figures["shops"]
    for key in ("shops", "open"):
        add("shops", label(f"wb.fig.{key}"), shop[key])
    add("shops", label("wb.fig.open_share"), share(shop["open"], shop["shops"]), "pct")
    for key in ("staff", "staff_from_outside"):
        add("shops", label(f"wb.fig.{key}"), shop[key])

    for kind in ("village", "compound"):
        cover, name = figures["survey"][kind], label(f"wb.kind.{kind}")
        add("survey", label("wb.fig.households", kind=name), cover["households_reached"])
        add("survey", label("wb.fig.people", kind=name), cover["people"])
        add("survey", label("wb.fig.coverage", kind=name), cover["coverage"], "pct")

    board = figures["inspections"]
    for key in ("duty_points", "overdue", "open_findings", "past_due"):
        add("inspections", label(f"wb.fig.{key}"), board[key])
    add("inspections", label("wb.fig.visits", start=daily.line_filters(figures, "inspections").start.isoformat()),
        board["visits"])

    meals = figures["logistics"]
    meal_status = label("wb.status.final") if meals["final"] else label(
        "wb.status.incomplete", reported=meals["reported"], expected=meals["expected"])
    add("logistics", label("wb.fig.meals"), meals["meals"], status=meal_status, day=meals["day"])
    add("logistics", label("wb.fig.donated_meals"), meals["donated_meals"], status=meal_status, day=meals["day"])
    add("logistics", label("wb.fig.meal_points", expected=meals["expected"]), meals["reported"], status=meal_status,
        day=meals["day"])
    add("logistics", label("wb.fig.short_items"), len(meals["short"]))

    duty = figures.get("duty")
    if duty:
        at = duty["at"].astimezone(clock.zone())
        add("duty", label("wb.fig.present", required=duty["required"]), duty["present"],
            status=label("wb.status.at", time=f"{at:%H:%M}"), day=at.date())
    return rows


def share(part, whole) -> float | None:
    return part / whole if whole else None


# ---- one sheet per line -----------------------------------------------------------------------------

def traffic_sheet(sheet: Worksheet, context: Context) -> None:
    """Per road checkpoint: the range's totals, then the day's figures (the traffic page's table)."""
    figures, label, engine = context.figures, context.label, context.engine
    tr = figures["traffic"]
    filters = daily.line_filters(figures, "traffic")
    frame = traffic.by_checkpoint(filters, engine)
    columns = [Column("name", "wb.col.checkpoint", "text"), Column("road", "wb.col.road", "text"),
               Column("zone", "wb.col.zone", "text"), Column("vehicles_total", "wb.col.vehicles_total"),
               Column("persons_total", "wb.col.persons_total"), Column("reports_total", "wb.col.reports_total"),
               Column("vehicles", "wb.col.vehicles"), Column("persons", "wb.col.persons"),
               Column("persons_from_outside", "wb.col.persons_from_outside"),
               Column("turned_back", "wb.col.turned_back"),
               Column("abnormal_temperature", "wb.col.abnormal_temperature"),
               Column("vehicles_yesterday", "wb.col.vehicles_yesterday"),
               Column("vehicles_7d", "wb.col.vehicles_7d", "float"), Column("reported", "wb.col.reported", "flag",
                                                                            "count")]
    heading(sheet, context, label("wb.title.traffic", start=tr["start"].isoformat(), end=tr["end"].isoformat()))
    rows = records(frame)
    table(sheet, HEADER_ROW, columns, rows, [(label("wb.total"), rows)], label)


def reopening_sheet(sheet: Worksheet, context: Context) -> None:
    """Per department (经发, 招商, 安检) and size: enterprises at each stage, employees back (the reopening
    page's chart by department, as a table)."""
    figures, label, engine = context.figures, context.label, context.engine
    filters = daily.line_filters(figures, "reopening")
    frame = reopening.by_department(filters, engine)
    rows = []
    for department in DEPARTMENTS:
        for above in (True, False):
            part = frame[(frame["department"] == department) & (frame["above_size"] == above)]
            counts = {g: int(part.loc[part["group"] == g, "enterprises"].sum()) for g in GROUPS}
            rows.append({"department": label(f"reopen.dept.{department}"),
                         "size": label("wb.size.above" if above else "wb.size.below"),
                         "enterprises": int(part["enterprises"].sum()), **counts,
                         "approved_share": share(counts["working"], int(part["enterprises"].sum())),
                         "employees": int(part["employees"].sum()),
                         "employees_from_outside": int(part["employees_from_outside"].sum())})
    columns = [Column("department", "wb.col.department", "text"), Column("size", "wb.col.size", "text"),
               Column("enterprises", "wb.col.enterprises"), Column("working", "wb.col.working"),
               Column("in_progress", "wb.col.in_progress"), Column("suspended", "wb.col.suspended"),
               Column("refused", "wb.col.refused"), Column("not_applied", "wb.col.not_applied"),
               Column("approved_share", "wb.col.approved_share", "pct",
                      lambda s: share(s["working"], s["enterprises"])),
               Column("employees", "wb.col.employees"),
               Column("employees_from_outside", "wb.col.employees_from_outside")]
    heading(sheet, context, label("wb.title.reopening", day=filters.end.isoformat()))
    table(sheet, HEADER_ROW, columns, rows, [(label("wb.total"), rows)], label)


def shops_sheet(sheet: Worksheet, context: Context) -> None:
    """Per category: shops, open and closed, staff of the open ones (the shops page's table by category)."""
    figures, label, engine = context.figures, context.label, context.engine
    filters = daily.line_filters(figures, "shops")
    frame = shops.by_category(filters, engine)
    rows = [{**row, "category": label(f"shops.category.{row['category']}"), "open_share": share(row["open"], row["shops"])}
            for row in records(frame)]
    columns = [Column("category", "wb.col.category", "text"), Column("shops", "wb.col.shops"),
               Column("open", "wb.col.open"), Column("closed", "wb.col.closed"),
               Column("open_share", "wb.col.open_share", "pct", lambda s: share(s["open"], s["shops"])),
               Column("staff", "wb.col.staff"), Column("staff_from_outside", "wb.col.staff_from_outside")]
    heading(sheet, context, label("wb.title.shops", day=filters.end.isoformat()))
    table(sheet, HEADER_ROW, columns, rows, [(label("wb.total"), rows)], label)


def survey_sheet(sheet: Worksheet, context: Context) -> None:
    """Per village and compound: its latest round (the coverage map's every-site table); villages first,
    a total for each kind (the report states them apart: 农村 …户, 居民小区 …户), then the whole."""
    figures, label, engine = context.figures, context.label, context.engine
    filters = daily.line_filters(figures, "survey")
    frame = community.site_coverage(filters, engine)
    kinds = {"village": label("kind.village"), "compound": label("kind.compound")}
    yes_no = {True: label("common.yes"), False: label("common.no")}
    rows = []
    for kind in community.AREA_KINDS:
        for row in records(frame[frame["kind"] == kind]):
            managed = row["has_property_management"]
            rows.append({**row, "kind_code": kind, "kind": kinds[kind],
                         "has_property_management": None if managed is None else bool(managed)})
    columns = [Column("name", "wb.col.site", "text"), Column("kind", "wb.col.kind", "text"),
               Column("zone", "wb.col.zone", "text"), Column("round_no", "wb.col.round_no", "int", None),
               Column("round_day", "wb.col.round_day", "date", None),
               Column("households_known", "wb.col.households_known"),
               Column("households_reached", "wb.col.households_reached"),
               Column("coverage", "wb.col.coverage", "pct",
                      lambda s: share(s["households_reached"], s["households_known"])),
               Column("people", "wb.col.people"), Column("people_from_outside", "wb.col.people_from_outside"),
               Column("unreachable", "wb.col.unreachable"), Column("utility_checked", "wb.col.utility_checked"),
               Column("lit_at_night", "wb.col.lit_at_night"),
               Column("has_property_management", "wb.col.property_management", "flag", "count"),
               Column("lead_cadre", "wb.col.lead_cadre", "text"), Column("staff_on_duty", "wb.col.staff_on_duty")]
    totals = [(label("wb.total_of", what=label(f"wb.kind.{kind}")), [r for r in rows if r["kind_code"] == kind])
              for kind in community.AREA_KINDS]
    heading(sheet, context, label("wb.title.survey", day=filters.end.isoformat()))
    table(sheet, HEADER_ROW, columns, rows, [*totals, (label("wb.total"), rows)], label, yes_no)


def inspections_sheet(sheet: Worksheet, context: Context) -> None:
    """Per duty point: its last inspection, visits in the range, open findings; overdue points first,
    the longest waiting first (the inspection board's table)."""
    figures, label, engine = context.figures, context.label, context.engine
    filters = daily.line_filters(figures, "inspections")
    frame = inspections.duty_points(filters, engine)
    frame = frame.sort_values(["overdue", "days_since"], ascending=[False, False], na_position="first", kind="stable")
    kinds = {}
    rows = []
    for row in records(frame):
        key = (row["kind"], row["checkpoint_type"])
        if key not in kinds:
            kinds[key] = label(f"inspect.kind.checkpoint.{row['checkpoint_type']}") if row["kind"] == "checkpoint" \
                else label(f"kind.{row['kind']}")
        rows.append({**row, "kind": kinds[key]})
    columns = [Column("name", "wb.col.duty_point", "text"), Column("kind", "wb.col.kind", "text"),
               Column("zone", "wb.col.zone", "text"), Column("lead_cadre", "wb.col.lead_cadre", "text"),
               Column("staff_on_duty", "wb.col.staff_on_duty"), Column("last_day", "wb.col.last_day", "date", None),
               Column("days_since", "wb.col.days_since", "int", None),
               Column("last_passed", "wb.col.last_passed", "flag", "count"), Column("visits", "wb.col.visits"),
               Column("open_findings", "wb.col.open_findings"),
               Column("past_due_findings", "wb.col.past_due_findings"),
               Column("overdue", "wb.col.overdue", "flag", "count")]
    heading(sheet, context, label("wb.title.inspections", start=filters.start.isoformat(), day=filters.end.isoformat()))
    table(sheet, HEADER_ROW, columns, rows, [(label("wb.total"), rows)], label)


def logistics_sheet(sheet: Worksheet, context: Context) -> None:
    """Stock per item and work zone (the supplies page's table), a total per item (their units differ: masks
    and litres are never added up); below it the meals per day (delivered, donated, duty points reported)."""
    figures, label, engine = context.figures, context.label, context.engine
    filters = daily.line_filters(figures, "logistics")
    stock = logistics.stock(Filters(zone_id=filters.zone_id, end=filters.end), engine)
    stock = stock.sort_values(["code", "zone_id"], kind="stable")
    rows = records(stock)
    columns = [Column("item", "wb.col.item", "text"), Column("unit", "wb.col.unit", "text"),
               Column("zone", "wb.col.zone", "text"), Column("stock", "wb.col.stock"),
               Column("threshold", "wb.col.threshold"), Column("issued_7d", "wb.col.issued_7d"),
               Column("daily_rate", "wb.col.daily_rate", "float",
                      lambda s: round(s["issued_7d"] / COVER_WINDOW_DAYS, 1)),
               Column("cover_days", "wb.col.cover_days", "float",
                      lambda s: round(s["stock"] * COVER_WINDOW_DAYS / s["issued_7d"], 1) if s["issued_7d"] else None),
               Column("low", "wb.col.low", "flag", "count")]
    heading(sheet, context, label("wb.title.stock", day=filters.end.isoformat()), note=label("wb.stock_note"))
    per_item = []
    for code in dict.fromkeys(r["code"] for r in rows):  # the items in their order
        of_item = [r for r in rows if r["code"] == code]
        per_item.append((label("wb.total_of", what=of_item[0]["item"]), of_item))
    end = table(sheet, HEADER_ROW, columns, rows, per_item, label)

    meals = logistics.meals_daily(filters, engine)
    meal_rows = [{**row, "complete": row["points_reported"] >= row["points_expected"]} for row in records(meals)]
    meal_columns = [Column("day", "wb.col.day", "date", None), Column("meals", "wb.col.meals"),
                    Column("donated_meals", "wb.col.donated_meals"),
                    Column("points_reported", "wb.col.points_reported", "int", None),
                    Column("points_expected", "wb.col.points_expected", "int", None),
                    Column("complete", "wb.col.complete", "flag", "count")]
    title_row = end + 2
    put(sheet.cell(title_row, 1), label("wb.title.meals", start=filters.start.isoformat(), day=filters.end.isoformat()))
    sheet.cell(title_row, 1).font = BOLD
    table(sheet, title_row + 1, meal_columns, meal_rows, [(label("wb.total"), meal_rows)], label, filtered=False)
    fit_columns(sheet, HEADER_ROW)


SHEETS = {"traffic": traffic_sheet, "reopening": reopening_sheet, "shops": shops_sheet, "survey": survey_sheet,
          "inspections": inspections_sheet, "logistics": logistics_sheet}


# ---- writing a table --------------------------------------------------------------------------------

def heading(sheet: Worksheet, context: Context, title: str, note: str | None = None) -> None:
    """Row 1: the sheet's title; row 2: the place and when the figures were read (and a note)."""
    put(sheet.cell(1, 1), title)
    sheet.cell(1, 1).font = Font(bold=True, size=13)
    made = context.figures["now"].astimezone(clock.zone())
    parts = [daily.place_name(context.figures, context.lang, context.engine),
             context.label("wb.made_at", now=f"{made:%Y-%m-%d %H:%M}"), *([note] if note else [])]
    put(sheet.cell(2, 1), " · ".join(parts))


def table(sheet: Worksheet, header_row: int, columns: list[Column], rows: list[dict],
          totals: list[tuple[str, list[dict]]], label, yes_no: dict | None = None, filtered: bool = True) -> int:
    """Header, one row per record, then each total row (label, the records it adds up); the last row written.
    The first table of a sheet gets the frozen header, the autofilter (over its records, not its totals) and
    the column widths."""
    yes_no = yes_no or {True: label("common.yes"), False: label("common.no")}
    for index, column in enumerate(columns, 1):
        cell = sheet.cell(header_row, index)
        put(cell, label(column.label))
        cell.font, cell.fill, cell.border = BOLD, HEADER_FILL, BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    row_number = header_row
    for record in rows:
        row_number += 1
        for index, column in enumerate(columns, 1):
            write_value(sheet.cell(row_number, index), column, record.get(column.name), yes_no)
    last_record = row_number
    for total_label, part in totals:
        row_number += 1
        values = total_values(columns, part)
        for index, column in enumerate(columns, 1):
            cell = sheet.cell(row_number, index)
            value = total_label if index == 1 else values.get(column.name)
            write_value(cell, Column(column.name, column.label, "text" if index == 1 else
                                     ("int" if column.kind == "flag" else column.kind)), value, yes_no)
            cell.font, cell.fill, cell.border = BOLD, TOTAL_FILL, TOTAL_BORDER
    if filtered:
        last = get_column_letter(len(columns))
        sheet.freeze_panes = sheet.cell(header_row + 1, 1).coordinate
        sheet.auto_filter.ref = f"A{header_row}:{last}{max(last_record, header_row)}"
        sheet.print_title_rows = f"{header_row}:{header_row}"
        fit_columns(sheet, header_row)
    if not rows:
        put(sheet.cell(header_row + 1, 1), label("wb.empty"))
    return row_number


def total_values(columns: list[Column], rows: list[dict]) -> dict:
    """The total row's values: sums, counts of yeses, then ratios of the sums."""
    sums: dict = {}
    for column in columns:
        values = [row.get(column.name) for row in rows]
        if column.total == "sum" and column.kind in ("int", "float"):
            present = [v for v in values if v is not None]
            total = sum(present)
            sums[column.name] = round(total, 1) if column.kind == "float" else int(total)
        elif column.total == "count":  # none at all when no record has it (a village has no property management)
            known = [v for v in values if v is not None]
            sums[column.name] = sum(1 for v in known if v is True) if known else None
    for column in columns:
        if callable(column.total):
            sums[column.name] = column.total(sums)
    return sums


def write_value(cell, column: Column, value, yes_no: dict) -> None:
    cell.border = BOX
    value = plain(value)
    if column.kind == "flag":
        put(cell, "—" if value is None else yes_no[bool(value)])
        cell.alignment = Alignment(horizontal="center")
        return
    if column.kind == "date" and isinstance(value, dt.datetime):
        value = value.date()
    put(cell, value)
    if column.kind in FORMATS and value is not None and not isinstance(value, str):
        cell.number_format = FORMATS[column.kind]


def plain(value):
    """A frame's value as a cell takes it: None for every kind of missing, Python numbers and dates."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return value.item()
    return value


def put(cell, value) -> None:
    """Write a value; a text is always text: a leading "=" (or +, -, @) never becomes a formula, control
    characters a spreadsheet cannot hold are dropped, markup is kept as typed."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = value
        cell.data_type = "s"  # openpyxl reads a leading "=" as a formula
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True  # and a reader editing the cell keeps it text
        return
    cell.value = value


def records(frame: pd.DataFrame) -> list[dict]:
    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


# ---- widths and printing ----------------------------------------------------------------------------

def text_width(text: str) -> int:
    """Columns a text takes: a CJK (wide) character two, another one."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def shown_width(cell) -> int:
    value = cell.value
    if value is None:
        return 0
    if isinstance(value, bool):
        return 4
    if isinstance(value, (dt.date, dt.datetime)):
        return 10
    if isinstance(value, int):
        return len(f"{value:,}")
    if isinstance(value, float):
        return len(f"{value:,.1f}") + (1 if cell.number_format == FORMATS["pct"] else 0)
    return max(text_width(line) for line in str(value).split("\n"))


def fit_columns(sheet: Worksheet, header_row: int) -> None:
    """Each column as wide as its header and its widest value below (titles above the header overflow), at
    most WIDEST; a longer header wraps."""
    widths: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=header_row):
        for cell in row:
            if cell.value is not None:
                widths[cell.column] = max(widths.get(cell.column, 0), shown_width(cell))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 6), WIDEST)


def page_setup(sheet: Worksheet, header_row: int = HEADER_ROW) -> None:
    """A4 landscape, as wide as one page (as many pages down as it takes), the header on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.oddFooter.center.text = "&P / &N"
    if not sheet.print_title_rows:
        sheet.print_title_rows = f"{header_row}:{header_row}"
