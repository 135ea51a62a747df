"""指挥大屏: the command post's wall display. Opened with a display key, read-only, refreshes itself.

Every panel is drawn by the same read functions and chart functions the dashboard pages use.
"""
import dataclasses
import datetime as dt
import os

import streamlit as st

from data_access import alerts, auth, community, inspections, reopening, shops, territory, traffic
from data_access.filters import Filters
from ui import format as fmt
from ui.charts import coverage as coverage_charts
from ui.charts import reopening as reopening_charts
from ui.charts import traffic as traffic_charts
from ui.data import chart_spec, read
from ui.errors import escape_markdown
from ui.i18n import lang, t
from ui.outage import is_database_error
from ui.wall_style import WALL_CSS
from ui.guard import require_router

require_router()

REFRESH_SECONDS = float(os.environ.get("WALL_REFRESH_SECONDS", "30"))
TREND_DAYS = 30
MAX_ALERTS = 15
LAST_BOARD = "_wall_last_board"
MARKERS = {1: ":red[:material/error:]", 2: ":orange[:material/schedule:]", 3: ":blue[:material/inventory_2:]"}

st.html(WALL_CSS)
if "lang" not in st.session_state:
    st.session_state["lang"] = "en" if st.query_params.get("lang") == "en" else "zh"
# A 4K screen driven at native resolution: ?scale=2 doubles chart sizes (text already scales with the screen).
SCALE = max(0.5, min(3.0, float(st.query_params.get("scale", "1") or 1)))


CLOCK_HTML = """<div id="c" style="font:700 {size}px 'Noto Sans CJK SC',system-ui,sans-serif;color:#fff;
text-align:right;line-height:1.25;margin:0"></div><script>const c=document.getElementById('c');
const p=n=>String(n).padStart(2,'0');function tick(){{const d=new Date();c.textContent=d.getFullYear()+'-'
+p(d.getMonth()+1)+'-'+p(d.getDate())+' '+p(d.getHours())+':'+p(d.getMinutes())+':'+p(d.getSeconds());}}
tick();setInterval(tick,1000);</script>"""


def clock() -> None:
    """A clock that ticks in the browser: right between refreshes, and it shows when a screen froze.
    Static markup with no stored text in it, so an iframe with script is safe here."""
    st.iframe(CLOCK_HTML.format(size=int(34 * SCALE)), height=int(46 * SCALE))


def collect(zone_id: int | None) -> dict:
    """Everything the wall shows, as of the data set's day; kept whole so a failed refresh can redraw it."""
    start, end = read(territory.default_range)
    filters = Filters(zone_id=zone_id, start=start, end=end)
    day_before = dataclasses.replace(filters, end=end - dt.timedelta(days=1))
    zones = read(territory.zones)
    return {
        "filters": filters,
        "zone": dict(zip(zones["id"], zones["name"])).get(zone_id),
        "demo": read(territory.dataset_kind) == "demo",
        "traffic": read(traffic.summary, filters),
        "reopening": read(reopening.summary, filters),
        "reopening_before": read(reopening.summary, day_before),
        "shops": read(shops.summary, filters),
        "coverage": read(community.coverage_totals, filters),
        "findings": read(inspections.board_summary, filters),
        "alerts": read(alerts.alerts, filters),
        "read_at": dt.datetime.now(),
    }


def tiles(board: dict) -> None:
    figures, rec, shop, cover, findings = (board[k] for k in ("traffic", "reopening", "shops", "coverage", "findings"))
    today, yesterday, totals = figures["today"], figures["yesterday"], figures["totals"]
    change = (lambda m: fmt.signed(today[m] - yesterday[m])) if yesterday else (lambda m: None)
    first = st.columns(6)
    first[0].metric(t("wall.vehicles_today"), fmt.num(today["vehicles"]), change("vehicles"))
    first[1].metric(t("wall.persons_today"), fmt.num(today["persons"]), change("persons"))
    first[2].metric(t("wall.vehicles_total"), fmt.num(totals["vehicles"]), f"+{today['vehicles']:,}")
    first[3].metric(t("wall.persons_total"), fmt.num(totals["persons"]), f"+{today['persons']:,}")
    first[4].metric(t("wall.busiest"), fmt.num(figures["busiest_vehicles"]), fmt.day(figures["busiest_day"]),
                    delta_arrow="off", delta_color="off")
    first[5].metric(t("wall.open_findings"), fmt.num(findings["open_findings"]),
                    t("wall.past_due", n=findings["past_due"]), delta_color="inverse" if findings["past_due"] else "off",
                    delta_arrow="off")
    second = st.columns(6)
    before = board["reopening_before"]
    second[0].metric(t("wall.approved"), fmt.num(rec["approved"]), fmt.signed(rec["approved"] - before["approved"]))
    second[1].metric(t("wall.employees"), fmt.num(rec["employees"]), t("wall.outside", n=fmt.num(rec["employees_from_outside"])),
                     delta_arrow="off", delta_color="off")
    second[2].metric(t("wall.shops_open"), fmt.num(shop["open"]), f"+{shop['opened_on_day']}" if shop["opened_on_day"] else "0",
                     delta_arrow="off" if not shop["opened_on_day"] else "auto")
    for column, kind, label in ((second[3], "village", "wall.village_survey"), (second[4], "compound", "wall.compound_survey")):
        c = cover[kind]
        column.metric(t(label), fmt.num(c["households_reached"]),
                      t("wall.people_coverage", people=fmt.num(c["people"]),
                        share=fmt.percent(c["households_reached"], c["households_known"])),
                      delta_arrow="off", delta_color="off")
    second[5].metric(t("traffic.from_outside"), fmt.num(totals["persons_from_outside"]),
                     f"+{today['persons_from_outside']:,}")


def alert_column(board: dict) -> None:
    items = board["alerts"]
    with st.container(key="wall_alerts"):
        st.subheader(t("wall.alerts", n=len(items)))
        if items.empty:
            st.markdown(":green[:material/check_circle:] " + t("wall.no_alerts"))
        for row in items.head(MAX_ALERTS).itertuples():
            text = t(f"wall.alert.{row.kind}", subject=row.subject, detail=row.detail, days=row.days)
            st.markdown(f"{MARKERS[row.urgency]} {escape_markdown(text)}")
        if len(items) > MAX_ALERTS:
            st.caption(t("wall.more_alerts", n=len(items) - MAX_ALERTS))


def charts(board: dict) -> None:
    filters = board["filters"]
    recent = dataclasses.replace(filters, start=max(filters.start, filters.end - dt.timedelta(days=TREND_DAYS - 1)))
    st.subheader(t("wall.trend"))
    st.vega_lite_chart(chart_spec(traffic_charts.daily_trend, traffic.daily, (recent,), wall=True, metric="vehicles",
                                  label=t("traffic.vehicles"), average_label=t("traffic.avg7"), day_label=t("common.day"),
                                  color="#5aa9ff", height=int(185 * SCALE)), width="stretch")
    funnel_column, map_column = st.columns([1, 1])
    funnel_column.subheader(t("wall.funnel"))
    step_labels = {s: t(f"reopen.step.{s}") for s in reopening.STEP_LABELS}
    funnel_column.vega_lite_chart(chart_spec(reopening_charts.funnel, reopening.funnel, (filters,), wall=True,
                                             step_labels=step_labels, count_label=t("reopen.enterprises"),
                                             height_per_row=int(31 * SCALE)), width="stretch")
    map_column.subheader(t("wall.map"))
    spec = coverage_charts.map_spec(filters, ("coverage", "property", "checkpoints", "overdue"), lang(),
                                    int(560 * SCALE), int(330 * SCALE), dark=True)
    map_column.vega_lite_chart(spec, width="content")


def render(board: dict) -> None:
    title, meta, time = st.columns([5, 2, 2], vertical_alignment="center")
    title.title(t("wall.title") + (f" · {board['zone']}" if board["zone"] else ""))
    meta.caption(t("wall.as_of", day=fmt.day(board["filters"].end, weekday=True)) + "  \n"
                 + t("wall.since", start=fmt.day(board["filters"].start)) + " · "
                 + t("wall.updated", time=board["read_at"].strftime("%H:%M:%S")))
    with time:
        clock()
    if board["demo"]:
        with st.container(key="wall_demo"):
            st.warning(t("demo.banner"), icon=":material/science:")
    tiles(board)
    main, side = st.columns([3, 1])
    with main:
        charts(board)
    with side:
        alert_column(board)


def zone_to_show(display) -> int | None:
    """A zone's own screen shows its zone; `?cycle=1` walks the whole zone and each work zone in turn."""
    if display.zone_id is not None or st.query_params.get("cycle") != "1":
        return display.zone_id
    zone_ids = [None, *read(territory.zones)["id"].tolist()]
    turn = st.session_state.get("_wall_turn", -1) + 1
    st.session_state["_wall_turn"] = turn
    return zone_ids[turn % len(zone_ids)]


@st.fragment(run_every=REFRESH_SECONDS)
def board() -> None:
    """Re-runs alone every REFRESH_SECONDS: the page never reloads, so nothing flickers.

    The banner slot is always drawn first, empty or not, so that a stale banner appearing or
    going away never shifts the panels below it (Streamlit matches elements by position)."""
    banner = st.container()
    try:
        # The key is checked on every refresh: revoking it blanks a screen within one refresh.
        display = auth.check_display_key(st.query_params.get("key"))
        if display is None:
            st.session_state.pop(LAST_BOARD, None)
            banner.error(t("wall.refused"))
            return
        current = collect(zone_to_show(display))
    except Exception as error:
        if not is_database_error(error):
            raise
        last = st.session_state.get(LAST_BOARD)
        if last is None:
            banner.error(t("wall.stale_never"), icon=":material/hourglass_top:")
            return
        banner.error(t("wall.stale", time=last["read_at"].strftime("%H:%M:%S")), icon=":material/hourglass_top:")
        render(last)
        return
    st.session_state[LAST_BOARD] = current
    render(current)


if auth.check_display_key(st.query_params.get("key")) is None:
    st.error(t("wall.refused"))
    st.stop()
board()
