"""The daily report (日报) as text: the figures of a day, and the paragraphs written from them (issue 18).

`daily_figures` gathers every figure the report states from the read functions the pages and the wall
use (never a copy of their SQL), each line of work as of its own day on or before `day`, as the pages
show it (territory.as_of, alerts.line_filters). Traffic and meals carry their completeness: a day not
fully reported is said to be so instead of being stated as final.

The words are Jinja2 templates (reports/templates/, one per language and part), plain text, so
a stored name prints as typed. Chinese follows the phrasing of the report the dashboard was modelled on
(seed/000_…txt: "辖34个行政村，居民小区14个，119户企业，各类商铺453家（不含农村）。…") with full-width
punctuation, as a document sent up the hierarchy is typeset (GB/T 15834); the seed's web page set some
of its commas, semicolons and brackets half-width, its full stops and enumeration commas full-width.
"""
from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from data_access import (clock, community, completeness, inspections, logistics, reopening, roster, shops, territory,
               traffic)
from data_access.filters import Filters

LANGS = ("zh", "en")
LINES = ("traffic", "reopening", "shops", "survey", "inspections", "logistics")
PLACE_KEYS = {"zh": "report_place_name", "en": "report_place_name_en"}  # settings, when another zone uses it
DEFAULT_PLACE = {"zh": "栖霞经济开发区", "en": "the Qixia Economic Development Zone"}
TEMPLATES = Path(__file__).parent / "templates"
REOPENING_SEARCH_DAYS = 92  # reopening.daily stays per day over this many days (grain.LONGEST["day"])


# ---- the figures ------------------------------------------------------------------------------------

def daily_figures(day: dt.date, zone_id: int | None = None, now: dt.datetime | None = None, engine=None) -> dict:
    """Every figure the daily report states as of `day` for the zone (None: the whole development zone).

    Each line is as of its own last day on or before `day` (`as_of`); traffic totals run from the first day
    with checkpoint reports (the pages' default range) to the traffic day; "since reopening" starts on the
    first day an enterprise was approved (work resumed); completeness is counted at `now` (the clock)."""
    now = now or clock.now(engine)
    ends = {line: territory.as_of(line, day, engine) for line in LINES}
    start = territory.default_range(day, engine)[0]

    def line(name: str) -> Filters:
        return Filters(zone_id=zone_id, start=min(start, ends[name]), end=ends[name])

    cases, shop_figures = reopening.summary(line("reopening"), engine=engine), shops.summary(line("shops"), engine)
    cover = community.coverage_totals(line("survey"), engine)
    return {
        "day": day, "now": now, "zone": zone_of(zone_id, engine), "as_of": ends,
        "territory": {"villages": cover["village"]["sites"], "compounds": cover["compound"]["sites"],
                      "enterprises": cases["enterprises"], "enterprises_above_size": cases["above_size"],
                      "shops": shop_figures["shops"]},
        "survey": cover,
        "reopening": cases,
        "shops": shop_figures,
        "traffic": _traffic(line("traffic"), day, now, engine),
        "inspections": inspections.board_summary(line("inspections"), engine),
        "logistics": _logistics(line("logistics"), engine),
        "duty": _duty(zone_id, day, now, engine),
    }


def zone_of(zone_id: int | None, engine=None) -> dict | None:
    """The work zone as a report names it ({id, code, name}); None for the whole development zone."""
    if zone_id is None:
        return None
    zones = territory.zones(engine)
    row = zones[zones["id"] == zone_id]
    if row.empty:
        raise ValueError(f"no work zone with id {zone_id}")
    return {"id": int(zone_id), "code": row["code"].iat[0], "name": row["name"].iat[0]}


def reopening_day(until: dt.date, engine=None) -> dt.date | None:
    """The first day an enterprise of the development zone was approved to reopen (work resumed), on or
    before `until`: the start of "since reopening" (the demo: 10 February, as the seed report says)."""
    first = territory.season_start(engine)
    while first <= until:  # reopening.daily counts per day over at most REOPENING_SEARCH_DAYS days
        last = min(until, first + dt.timedelta(days=REOPENING_SEARCH_DAYS - 1))
        days = reopening.daily(Filters(start=first, end=last), engine)
        approved = days[days["approvals"] > 0]
        if len(approved):
            return approved["day"].iat[0]
        first = last + dt.timedelta(days=1)
    return None


def _traffic(filters: Filters, day: dt.date, now: dt.datetime, engine) -> dict:
    """Totals since the first day with reports, the busiest day, the average since reopening, the traffic
    day's own figures and its completeness at `now`."""
    figures = traffic.summary(filters, engine)
    status = completeness.summary(filters.end, Filters(zone_id=filters.zone_id), now, engine)
    reopened = reopening_day(filters.end, engine)
    average = None
    if reopened is not None:
        since = traffic.summary(Filters(zone_id=filters.zone_id, start=reopened, end=filters.end), engine)
        average = since["daily_average_vehicles"]
    return {
        "start": filters.start, "end": filters.end, "totals": figures["totals"], "today": figures["today"],
        "yesterday": figures["yesterday"], "busiest_day": figures["busiest_day"],
        "busiest_vehicles": figures["busiest_vehicles"], "reopened": reopened, "average_vehicles": average,
        "completeness": {**{k: status[k] for k in ("expected", "reported", "overdue", "pending", "complete")},
                         "final": status["complete"] or not status["expected"], "at": now},
    }


def _logistics(filters: Filters, engine) -> dict:
    """The day's meals (duty points reported of expected) and the items short in a zone's store."""
    meals = logistics.meals_today(filters, engine)
    low = logistics.low_stock(filters, engine)
    short = [{"item": r.item, "zone": r.zone, "stock": int(r.stock), "unit": r.unit, "threshold": int(r.threshold),
              "cover_days": None if pd.isna(r.cover_days) else float(r.cover_days)} for r in low.itertuples()]
    return {"day": meals["day"], "meals": meals["meals"], "donated_meals": meals["donated_meals"],
            "reported": meals["reported"], "expected": meals["expected"],
            "final": meals["reported"] >= meals["expected"], "short": short}


def duty_moment(day: dt.date, now: dt.datetime) -> dt.datetime:
    """When the duty figure is read: `now` when the report is issued on its day or the morning after (the
    shift on now, as the wall shows it); for an older or later day, the same time of day on that day."""
    if 0 <= (now.date() - day).days <= 1:
        return now
    return dt.datetime.combine(day, now.timetz().replace(tzinfo=None), tzinfo=now.tzinfo)


def _duty(zone_id: int | None, day: dt.date, now: dt.datetime, engine) -> dict:
    moment = duty_moment(day, now)
    return {**roster.duty_tile(Filters(zone_id=zone_id), moment, engine), "at": moment}


# ---- the words --------------------------------------------------------------------------------------

def opening_paragraph(figures: dict, lang: str = "zh", engine=None) -> str:
    """The opening paragraph (territory, survey, reopening, shops) and the checkpoint paragraph, from `figures`."""
    return _render("opening", figures, lang, engine)


def report_text(day: dt.date, zone_id: int | None = None, lang: str = "zh", now: dt.datetime | None = None,
                engine=None) -> str:
    """The daily report as plain text: a heading, the opening paragraphs, then each line's figures."""
    return text_of(daily_figures(day, zone_id, now, engine), lang, engine)


def text_of(figures: dict, lang: str = "zh", engine=None) -> str:
    """The daily report's text from figures already gathered (the workbook and the PDF state the same)."""
    return _render("report", figures, lang, engine)


def _render(part: str, figures: dict, lang: str, engine=None) -> str:
    if lang not in LANGS:
        raise ValueError(f"language {lang!r}: one of {', '.join(LANGS)}")
    text = _environment().get_template(f"{part}.{lang}.txt.j2").render(
        f=figures, place=place_name(figures, lang, engine), percent=percent)
    return text.strip() + "\n"


def place_name(figures: dict, lang: str, engine=None) -> str:
    """The development zone's name (a setting, when another zone uses the dashboard), or the work zone's;
    a work zone's stored name is Chinese, so English names it by its code too."""
    zone = figures["zone"]
    if zone is None:
        return territory.setting(PLACE_KEYS[lang], engine=engine) or DEFAULT_PLACE[lang]
    return zone["name"] if lang == "zh" else f"work zone {zone['code']} ({zone['name']})"


@cache
def _environment() -> Environment:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    environment.filters.update(zh_day=zh_day, en_day=en_day, en_num=en_num, clock_time=clock_time,
                               percent=percent, cover=cover)
    return environment


def line_filters(figures: dict, line: str) -> Filters:
    """The filters `figures` read `line` with: the zone, the report's first day, the line's own day (the
    workbook's tables and the PDF's charts read each line so, to show what the report states)."""
    end, start, zone = figures["as_of"][line], figures["traffic"]["start"], figures["zone"]
    return Filters(zone_id=None if zone is None else zone["id"], start=min(start, end), end=end)


def long_day(day: dt.date, lang: str) -> str:
    """2020年2月25日 / 25 February 2020: a document's own day."""
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else f"{day.day} {day:%B} {day.year}"


def zh_day(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def en_day(day: dt.date) -> str:
    return f"{day.day} {day:%B}"


def en_num(value) -> str:
    return f"{int(value):,}"


def clock_time(moment: dt.datetime, lang: str = "zh", day: dt.date | None = None) -> str:
    """'10:00' on the report's own day; with its date ('2月26日10:00', '26 February 10:00') on another."""
    local = moment.astimezone(clock.zone())
    time = f"{local:%H:%M}"
    if day is not None and local.date() == day:
        return time
    return f"{zh_day(local.date())}{time}" if lang == "zh" else f"{en_day(local.date())} {time}"


def percent(part, whole) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def cover(days: float | None) -> str:
    return "-" if days is None else f"{days:.1f}"
