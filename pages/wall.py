"""指挥大屏: the command post's wall display. Opened with a display key, read-only, refreshes itself.

Every panel is drawn by the same read functions and chart functions the dashboard pages use.
A refresh first computes the whole board (figures and chart specs) and keeps it in the session;
when the database is away the last good board is redrawn from that copy alone, without a query.
"""
import dataclasses
import datetime as dt
import logging
import math
import os

import streamlit as st

from data_access import (alerts, auth, clock, community, inspections, logistics, reopening, reopening_rules,
                         reporting, roster, shops, territory, traffic)
from data_access.filters import Filters
from ui import format as fmt
from ui.charts import coverage as coverage_charts
from ui.charts import reopening as reopening_charts
from ui.charts import traffic as traffic_charts
from ui.charts.theme import WALL_FONT, wall_spec
from ui.data import chart_spec, line_versions, one_version, read
from ui.i18n import LANGS, lang, t
from ui.kpi import day_tile, due_text, late_text, short_day
from ui.logistics_view import SHORT_COVER_DAYS, days_text
from ui.outage import is_database_error
from ui import wall_access
from ui import wall_style
from ui.guard import require_router

require_router()

REFRESH_SECONDS = float(os.environ.get("WALL_REFRESH_SECONDS", "30"))
TREND_DAYS = 30
ALERT_LINE_WIDTH = 27  # CJK characters on one line of the alert column (its width and text are in units)
LINES = ("reopening", "shops", "survey", "inspections")  # each panel's own "as of" besides traffic
LAST_BOARD = "_wall_last_board"
# Alerts read for the column: more than it ever holds (24 one-line alerts, with no banner); the rest
# are only counted (alerts.top), not built: a city has thousands.
ALERTS_READ = 40
MARKERS = {1: ":red[:material/error:]", 2: ":orange[:material/schedule:]", 3: ":blue[:material/inventory_2:]"}
SCALES = (0.5, 3.0)
AUTO = "auto"
CYCLE_WORDS = {"1": True, "0": False, "": False, "true": True, "yes": True, "on": True, "false": False,
               "no": False, "off": False}
log = logging.getLogger("dashboard")


# ---- URL parameters: a wall is set up once from a link, so a typo is corrected, never fatal ----

def scale_parameter(raw: str | None) -> tuple[float | None, str | None]:
    """The wall fills any screen by itself (None: no override). `?scale=s` is an override: a board of
    s x 1920x1080 CSS px, never larger than the screen (ui/wall_style.py), e.g. to leave a margin on
    a television that cuts its edges; `?scale=2` on a native 4K screen, as old links have it, fills it.
    Returns the factor and, for a value that had to be corrected, what it became."""
    if raw is None or not raw.strip() or raw.strip().lower() == AUTO:
        return None, None
    try:
        value = float(raw)
    except ValueError:
        return None, AUTO
    if math.isnan(value):
        return None, AUTO
    fixed = max(SCALES[0], min(SCALES[1], value))
    return fixed, None if fixed == value else f"{fixed:g}"


def cycle_parameter(raw: str | None) -> tuple[bool, str | None]:
    """?cycle=1 walks the whole zone and each work zone in turn; 0 (or no parameter) does not."""
    if raw is None or raw in ("0", "1"):
        return raw == "1", None
    value = CYCLE_WORDS.get(raw.strip().lower(), False)
    return value, "1" if value else "0"


def lang_parameter(raw: str | None) -> tuple[str | None, str | None]:
    if raw is None or raw in LANGS:
        return raw, None
    value = raw.strip().lower()
    value = value if value in LANGS else "zh"
    return value, value


def read_parameters() -> tuple[float | None, bool, list[tuple[str, str, str]]]:
    """The scale and cycle settings, the session's language, and (name, value, correction) for each
    parameter that had to be corrected."""
    scale, scale_fix = scale_parameter(st.query_params.get("scale"))
    cycle, cycle_fix = cycle_parameter(st.query_params.get("cycle"))
    language, lang_fix = lang_parameter(st.query_params.get("lang"))
    if "lang" not in st.session_state or lang_fix:
        st.session_state["lang"] = language or "zh"
    fixes = [(name, st.query_params.get(name), fix)
             for name, fix in (("scale", scale_fix), ("cycle", cycle_fix), ("lang", lang_fix)) if fix is not None]
    return scale, cycle, fixes


def parameter_notice(fixes) -> None:
    """One line above the board naming each corrected parameter (URL values shown as plain text)."""
    if fixes:
        shown = "；" if lang() == "zh" else "; "
        with st.container(key="wall_notice"):
            st.warning(t("wall.bad_parameters", fixes=shown.join(
                f"{name}={fmt.plain(value[:40])} → {name}={fix}" for name, value, fix in fixes)), icon=":material/link_off:")


def settings() -> dict:
    """The wall's URL settings, its CSS, and a notice naming any parameter that had to be corrected."""
    scale, cycle, fixes = read_parameters()
    st.html(wall_style.wall_css(scale))
    parameter_notice(fixes)
    return {"cycle": cycle, "notice": bool(fixes)}


# The frame's own vw/vh are its box, which the wall's CSS sizes in units: the time is as large as the
# box allows and always whole (19 characters, about 10.4 em wide in bold).
CLOCK_HTML = """<style>html,body{margin:0;height:100%;overflow:hidden;background:transparent}</style>
<div id="c" style="font:700 min(64vh, 9.4vw) 'Noto Sans CJK SC',system-ui,sans-serif;color:#fff;display:flex;
align-items:center;justify-content:flex-end;line-height:1.2;height:100vh;white-space:nowrap;margin:0"></div><script>
const c=document.getElementById('c');const p=n=>String(n).padStart(2,'0');function tick(){const d=new Date();
c.textContent=d.getFullYear()+'-'+p(d.getMonth()+1)+'-'+p(d.getDate())+' '+p(d.getHours())+':'+p(d.getMinutes())
+':'+p(d.getSeconds());}tick();setInterval(tick,1000);</script>"""


def ticking_clock() -> None:
    """A clock that ticks in the browser: right between refreshes, and it shows when a screen froze.
    Static markup with no stored text in it, so an iframe with script is safe here."""
    with st.container(key="wall_clock"):
        st.iframe(CLOCK_HTML, height=int(wall_style.UNIT_PX * 2.8))  # the CSS sets its real height


def load(zone_id: int | None) -> dict:
    """Everything the wall shows, chart specs included, each line of work as of its own day: kept
    whole in the session so that a failed refresh redraws it without reading anything (a cached
    spec's key reads the data version, which is a query).

    Traffic shows the last complete day while a newer day is coming in (reporting.wall_traffic), so a
    day that is partly reported never reads as a collapse; the newer day is one calm line. The data
    version is read once for the whole board.

    While no line has changed (and the zone, the minute and the language are the same) the session's
    last board is the board: a refresh then costs the version read, not 23 cache look-ups (each hashes
    its arguments and unpickles its value: ~20 ms of a warm refresh at city scale, issue 14)."""
    with one_version():
        now = clock.now()
        key = (zone_id, now, lang(), tuple(sorted(line_versions().items())))
        last = st.session_state.get(LAST_BOARD)
        if last is not None and last.get("key") == key:
            return {**last, "read_at": dt.datetime.now()}
        return {**_read_board(zone_id, now), "key": key}


def _read_board(zone_id: int | None, now: dt.datetime) -> dict:
    today = now.date()
    start, _ = read(territory.default_range, today)
    zone = Filters(zone_id=zone_id)
    day = read(reporting.wall_traffic, zone, now)  # the shown day, its report and the pending ones, counted once
    ends = {"traffic": day["day"], **{line: read(territory.as_of, line, today) for line in LINES}}
    # meals and stock as of their own day where the data layer knows it (demo data), else the traffic day's
    ends["logistics"] = (read(territory.as_of, "logistics", today) if "logistics" in territory.LINE_DAYS
                         else day["day"])
    lines = {line: Filters(zone_id=zone_id, start=min(start, end), end=end) for line, end in ends.items()}
    cases = lines["reopening"]
    zones = read(territory.zones)
    return {
        "filters": lines["traffic"],
        "ends": ends,
        "zone": dict(zip(zones["id"], zones["name"])).get(zone_id),
        "demo": read(territory.dataset_kind) == "demo",
        "traffic": read(traffic.summary, lines["traffic"]),
        "report": day["report"],
        "newer": day["newer"],
        "reopening": read(reopening.summary, cases),
        "reopening_before": read(reopening.summary, dataclasses.replace(cases, end=cases.end - dt.timedelta(days=1))),
        "shops": read(shops.summary, lines["shops"]),
        "coverage": read(community.coverage_totals, lines["survey"]),
        "findings": read(inspections.board_summary, lines["inspections"]),
        "logistics": read(logistics.logistics_tile, lines["logistics"]),
        # the shift on now, not a day's figure: kept per shift (its start), not re-read every minute
        "duty": read(roster.duty_tile, zone, read(roster.shift_moment, now)),
        "alerts": wall_alerts(Filters(zone_id=zone_id, start=start, end=today), now),
        "pending": day["pending"],
        "charts": chart_specs(lines),
        "read_at": dt.datetime.now(),
    }


def wall_alerts(filters: Filters, now) -> dict:
    """alerts.top's answer, its two parts cached apart: a traffic save reads the late reports again, not
    the inspections, reopening cases and supplies (~50 ms of the refresh after it at city scale)."""
    # duty gaps change when a shift starts, not each minute: the cached alerts are keyed on that moment
    return alerts.first_of(read(alerts.late_reports, filters, now, ALERTS_READ),
                           read(alerts.other_alerts, filters, ALERTS_READ, now=read(roster.shift_moment, now)),
                           ALERTS_READ)


def chart_specs(lines: dict[str, Filters]) -> dict:
    """The Vega-Lite specs of the trend, the reopening funnel and the coverage map, each on its line's day.
    Their size is set when they are drawn (`charts`), from the board's layout alone."""
    filters = lines["traffic"]
    recent = dataclasses.replace(filters, start=max(filters.start, filters.end - dt.timedelta(days=TREND_DAYS - 1)))
    step_labels = {s: t(f"reopen.step.{s}") for s in reopening_rules.STEPS}
    width, height = wall_style.chart_sizes(1)["map"]
    return {
        "trend": chart_spec(traffic_charts.daily_trend, traffic.daily, (recent,), wall=True, metric="vehicles",
                            label=t("traffic.vehicles"), average_label=t("traffic.avg7"), day_label=t("common.day"),
                            color="#5aa9ff", wide_days=True),  # each day a column, not a hairline
        "funnel": chart_spec(reopening_charts.funnel, reopening.funnel, (lines["reopening"],), wall=True,
                             step_labels=step_labels, count_label=t("reopen.enterprises")),
        # legends in a row under the map, never over a zone's name; names over the markers; no tooltips
        # (nobody points at a wall), so only what is drawn is sent: 17 KB of figures for 2,000 areas, not 340 KB
        # in pieces, each kept under its own line: a save re-reads only its piece, not the 2,000 areas
        "map": coverage_charts.cached_map(lines["survey"], t, layers=coverage_charts.LAYERS, width=width,
                                          height=height, dark=True, legend_orient="bottom", font_size=WALL_FONT,
                                          names_on_top=True, tooltips=False),
    }


def own_day(board: dict, line: str) -> str:
    """' · 02-24' after a panel's label when its line of work is as of another day than the header."""
    day = board["ends"][line]
    return "" if day == board["ends"]["traffic"] else " · " + t("wall.line_as_of", day=short_day(day))


def tiles(board: dict) -> None:
    figures, rec, shop, cover, findings = (board[k] for k in ("traffic", "reopening", "shops", "coverage", "findings"))
    today, totals, report = figures["today"], figures["totals"], board["report"]
    first = st.columns(7, wrap=False)  # short labels: the logistics tile fits here, not beside the survey's long ones
    day_tile(first[0], t("wall.vehicles_today"), today["vehicles"], report, "vehicles", border=False)
    day_tile(first[1], t("wall.persons_today"), today["persons"], report, "persons", border=False)
    first[2].metric(t("wall.vehicles_total"), fmt.num(totals["vehicles"]), f"+{today['vehicles']:,}")
    first[3].metric(t("wall.persons_total"), fmt.num(totals["persons"]), f"+{today['persons']:,}")
    first[4].metric(t("wall.busiest"), fmt.num(figures["busiest_vehicles"]), fmt.day(figures["busiest_day"]),
                    delta_arrow="off", delta_color="off")
    first[5].metric(t("wall.open_findings") + own_day(board, "inspections"), fmt.num(findings["open_findings"]),
                    t("wall.past_due", n=findings["past_due"]), delta_color="inverse" if findings["past_due"] else "off",
                    delta_arrow="off")
    logistics_tile(first[6], board)
    # the survey tiles' labels carry their own day ('农村已摸排（户） · 截至02-24'): wider than the others
    second = st.columns([1, 1, 0.9, 1.35, 1.35, 1, 1], wrap=False)
    before, cases = board["reopening_before"], own_day(board, "reopening")
    second[0].metric(t("wall.approved") + cases, fmt.num(rec["approved"]), fmt.signed(rec["approved"] - before["approved"]))
    second[1].metric(t("wall.employees") + cases, fmt.num(rec["employees"]),
                     t("wall.outside", n=fmt.num(rec["employees_from_outside"])), delta_arrow="off", delta_color="off")
    second[2].metric(t("wall.shops_open") + own_day(board, "shops"), fmt.num(shop["open"]),
                     f"+{shop['opened_on_day']}" if shop["opened_on_day"] else "0",
                     delta_arrow="off" if not shop["opened_on_day"] else "auto")
    for column, kind, label in ((second[3], "village", "wall.village_survey"), (second[4], "compound", "wall.compound_survey")):
        c = cover[kind]
        column.metric(t(label) + own_day(board, "survey"), fmt.num(c["households_reached"]),
                      t("wall.people_coverage", people=fmt.num(c["people"]),
                        share=fmt.percent(c["households_reached"], c["households_known"])),
                      delta_arrow="off", delta_color="off")
    second[5].metric(t("traffic.from_outside"), fmt.num(totals["persons_from_outside"]),
                     f"+{today['persons_from_outside']:,}")
    duty_tile(second[6], board.get("duty") or {})


def duty_tile(column, figures: dict) -> None:
    """'岗位在岗 46/48' on the shift on now: present (never more than required a point) of required;
    under it how many points are short, in red, or that every post is manned."""
    required, present = int(figures.get("required") or 0), int(figures.get("present") or 0)
    short = int(figures.get("points_short") or 0)
    if not required:
        change, colour = t("wall.duty_none"), "off"
    elif short:
        change, colour = t("wall.duty_short", n=fmt.num(short)), "inverse"
    else:
        change, colour = t("wall.duty_full"), "off"
    label = t("wall.duty") + (f" · {fmt.plain(figures['shift'])}" if figures.get("shift") else "")
    column.metric(label, f"{present:,}/{required:,}", change, delta_color=colour, delta_arrow="off")


def logistics_tile(column, board: dict) -> None:
    """Meals on the day with how many duty points reported, and the item with the fewest days of cover
    (red under SHORT_COVER_DAYS)."""
    figures = board["logistics"]
    label = t("wall.meals_today") + own_day(board, "logistics")
    expected, reported = int(figures.get("meals_expected") or 0), int(figures.get("meals_reported") or 0)
    if expected and reported < expected:
        label += " · " + t("wall.meals_reported", n=reported, m=expected)
    fewest = figures.get("fewest_cover")
    if fewest:
        cover = t("wall.cover", item=fmt.plain(keep_together(fewest["item"])), days=days_text(fewest["days"]))
        short = float(fewest["days"]) < SHORT_COVER_DAYS
    else:
        cover, short = t("wall.cover_none"), False
    column.metric(label, fmt.num(figures.get("meals")), cover, delta_color="inverse" if short else "off",
                  delta_arrow="off")


WORD_JOINER = "\u2060"
KEEP_TOGETHER = 12  # a name (and its unit) this short never breaks across the alert's two lines


def keep_together(text) -> str | None:
    """A short name such as '林学军（市环保局）' with word joiners between its characters: the line breaks
    before it, never inside it. Longer text may break anywhere (it must fit two lines)."""
    if text is None or len(str(text)) > KEEP_TOGETHER:
        return text
    return WORD_JOINER.join(str(text))


def alert_text(row) -> str:
    """One alert as the wall reads it; names, findings and people are typed by clerks: plain text."""
    if row.kind == "overdue_report":
        text = t("wall.alert.overdue_report", subject=fmt.plain(row.subject), due=due_text(row.due_at),
                 late=late_text(row.late_minutes), who=fmt.plain(keep_together(row.detail)) or t("alerts.nobody"))
        return text + (t("wall.missed_days", n=int(row.missed_days)) if row.missed_days > 1 else "")
    if row.kind == "duty_gap":
        return duty_gap_text(row)
    return t(f"wall.alert.{row.kind}", subject=fmt.plain(row.subject), detail=fmt.plain(row.detail), days=row.days)


def duty_gap_text(row) -> str:
    """'东柳村卡口 8-16 班无人在岗（应到 1）' or '县道X017泉口卡口 8-16 班缺员：在岗 1/2' from the alert's
    detail '<shift> <present>/<required>' (the shift's name is an admin's text: plain)."""
    shift, _, figures = str(row.detail).rpartition(" ")
    present, _, required = figures.partition("/")
    if not shift or not present.isdigit() or not required.isdigit():
        return t("wall.alert.duty_gap", subject=fmt.plain(row.subject), shift=fmt.plain(row.detail), figures="")
    key = "wall.alert.duty_empty" if int(present) == 0 else "wall.alert.duty_gap"
    return t(key, subject=fmt.plain(row.subject), shift=fmt.plain(shift), figures=figures, required=required)


def lines_needed(text: str) -> int:
    """How many lines an alert takes in the column (it wraps once, then is cut): CJK characters are
    about twice as wide as Latin letters and digits."""
    width = sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in text.replace("\\", "").replace(WORD_JOINER, ""))
    return 1 if width <= ALERT_LINE_WIDTH else 2


def pending_line(board: dict) -> str | None:
    """Reports not yet due, one calm count per day: nobody is late for them."""
    parts = [t("wall.pending", day=short_day(p["day"]), n=p["count"], due=due_text(p["due_at"])) for p in board["pending"]]
    return ":blue[:material/schedule: " + " · ".join(parts) + "]" if parts else None


def alert_column(board: dict, banners: int = 1) -> None:
    """As many alerts as the column holds, then 'n more'. The column's height is known in units (the
    header, `banners` one-line banners and the tiles above it), and so is each line's: the count is
    the same on every screen."""
    items, total = board["alerts"]["rows"], board["alerts"]["total"]
    room = wall_style.alert_room(banners)
    with st.container(key="wall_alerts"):
        st.subheader(t("wall.alerts", n=total))
        calm = pending_line(board)
        if calm:
            st.container(key="wall_pending").markdown(calm)
            room -= wall_style.alert_height(lines_needed(calm))
        if items.empty:
            st.markdown(":green[:material/check_circle:] " + t("wall.no_alerts"))
        # Only as many as could fit even if each took one line, and one more (to know the column is
        # full): at city scale there are thousands of alerts and the column shows about fifteen.
        most = int(max(room, 0) // wall_style.alert_height(1)) + 1
        texts = [(row, alert_text(row)) for row in items.head(most).itertuples()]
        costs = [wall_style.alert_height(lines_needed(text)) for _, text in texts]
        if sum(costs) > room:
            room -= wall_style.MORE_U  # the 'n more' line
        used, shown = 0.0, 0
        for (row, text), cost in zip(texts, costs):
            if used + cost > room:
                break
            st.markdown(f"{MARKERS[row.urgency]} {text}")
            used, shown = used + cost, shown + 1
        if total > shown:
            st.caption(t("wall.more_alerts", n=total - shown))


def chart(key: str, title: str, spec: dict, size: tuple[int, int]) -> None:
    """One panel: its heading, and its chart drawn at `size` on the 1920x1080 board, scaled to the panel."""
    with st.container(key=f"wall_{key}"):
        st.subheader(title)
        st.vega_lite_chart(wall_spec(spec, *size), width="content")


def charts(board: dict, banners: int):
    """The row under the tiles: trend over funnel, the map, the alerts. Drawn from the board's own specs
    only: nothing here may read the database. Returns the alert column's slot."""
    specs, sizes = board["charts"], wall_style.chart_sizes(banners)
    left, middle, side = st.columns(wall_style.BODY_COLUMNS, wrap=False)
    with left:
        chart("trend", t("wall.trend"), specs["trend"], sizes["trend"])
        chart("funnel", t("wall.funnel") + own_day(board, "reopening"), specs["funnel"], sizes["funnel"])
    with middle:
        chart("map", t("wall.map") + own_day(board, "survey"), specs["map"], sizes["map"])
    return side


def as_of_line(board: dict) -> str:
    """The header's day: the day whose figures the traffic tiles show, whole or how far in; a newer day
    still coming in follows as a calm line."""
    shown, report, newer = board["filters"].end, board["report"], board["newer"]
    if newer:
        return (t("wall.as_of_whole", day=fmt.day(shown, weekday=True)) + " · :blue["
                + t("wall.newer_day", day=short_day(newer["day"]), n=newer["reported"], m=newer["expected"]) + "]")
    line = t("wall.as_of", day=fmt.day(shown, weekday=True))
    if report["partial"]:
        line += " · :blue[" + t("alerts.reported_of", n=report["reported"], m=report["expected"]) + "]"
    return line


def show(board: dict, view: dict, banner: bool = False) -> None:
    """The whole board; `banner`: a stale or failed banner stands above it (the charts make room), as
    does the notice of corrected parameters (`view["notice"]`)."""
    with st.container(key="wall_header"):
        title, meta, time = st.columns(wall_style.HEADER_COLUMNS, vertical_alignment="center", wrap=False)
    heading = t("wall.title") + (f" · {fmt.plain(board['zone'])}" if board["zone"] else "")
    title.container(key=wall_style.title_key(wall_style.title_size(heading))).title(heading)
    with meta.container(key="wall_as_of"):
        st.markdown(as_of_line(board))
        st.caption(t("wall.since", start=fmt.day(board["filters"].start)) + " · "
                   + t("wall.updated", time=board["read_at"].strftime("%H:%M:%S")))
    with time:
        ticking_clock()
    if board["demo"]:
        with st.container(key="wall_demo"):
            st.warning(t("demo.banner"), icon=":material/science:")
    tiles(board)
    banners = int(board["demo"]) + int(banner) + int(view["notice"])
    with st.container(key="wall_body"):
        side = charts(board, banners)
        with side:  # a late report (due time, how late, who answers) takes two lines
            alert_column(board, banners)


def zone_to_show(display, cycle: bool) -> int | None:
    """A zone's own screen shows its zone; `?cycle=1` walks the whole zone and each work zone in turn."""
    if display.zone_id is not None or not cycle:
        return display.zone_id
    zone_ids = [None, *read(territory.zones)["id"].tolist()]
    turn = st.session_state.get("_wall_turn", -1) + 1
    st.session_state["_wall_turn"] = turn
    return zone_ids[turn % len(zone_ids)]


@st.fragment(run_every=REFRESH_SECONDS)
def board(view: dict) -> None:
    """Re-runs alone every REFRESH_SECONDS: the page never reloads, so nothing flickers.

    The banner slot is always drawn first, empty or not, so that a stale banner appearing or
    going away never shifts the panels below it (Streamlit matches elements by position)."""
    banner = st.container()
    try:
        # The key is checked on every refresh: revoking it blanks a screen within one refresh.
        display = auth.check_display_key(wall_access.current_key())
        if display is None:
            st.session_state.pop(LAST_BOARD, None)
            banner.error(t("wall.refused"))
            return
        current = load(zone_to_show(display, view["cycle"]))
    except Exception as error:  # a fragment's error would show as a traceback: never on the wall
        redraw_last(banner, view, error)
        return
    st.session_state[LAST_BOARD] = current
    show(current, view)


def redraw_last(banner, view: dict, error: Exception) -> None:
    """The last good board, from the session alone, under a banner saying how old it is."""
    if is_database_error(error):
        log.warning("wall: database unreachable: %s", error)
        reason = "stale"
    else:
        log.exception("wall: refresh failed", exc_info=error)
        reason = "failed"
    last = st.session_state.get(LAST_BOARD)
    if last is None:
        banner.error(t(f"wall.{reason}_never"), icon=":material/hourglass_top:")
        return
    banner.error(t(f"wall.{reason}", time=last["read_at"].strftime("%H:%M:%S")), icon=":material/hourglass_top:")
    show(last, view, banner=True)


def key_refused() -> bool:
    """A wrong key stops here, before the refresh timer starts. With the database away the board
    decides: it redraws the last good board (the key was good then) or says there is none."""
    try:
        return auth.check_display_key(wall_access.current_key()) is None
    except Exception as error:
        if not is_database_error(error):
            raise
        return False


def main() -> None:
    """settings, then the board: it loads and shows itself, and again every REFRESH_SECONDS."""
    view = settings()
    if key_refused():
        st.error(t("wall.refused"))
        return
    board(view)


if __name__ == "__main__":
    main()
