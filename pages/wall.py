"""指挥大屏: the command post's wall display. Opened with a display key, read-only, refreshes itself."""
import dataclasses
import datetime as dt
import os

import streamlit as st
import streamlit.components.v1 as components

from data_access import auth, logistics, territory, traffic
from data_access.filters import Filters
from ui import format as fmt
from ui.charts import theme
from ui.charts import traffic as traffic_charts
from ui.data import read
from ui.i18n import t
from ui.errors import escape_markdown
from ui.outage import is_database_error
from ui.wall_style import WALL_CSS

REFRESH_SECONDS = float(os.environ.get("WALL_REFRESH_SECONDS", "30"))
TREND_DAYS = 30
LAST_BOARD = "_wall_last_board"

st.html(WALL_CSS)
if "lang" not in st.session_state:
    st.session_state["lang"] = "en" if st.query_params.get("lang") == "en" else "zh"


def clock() -> None:
    """A clock that ticks in the browser, so it is right between refreshes."""
    components.html(
        """<div id="c" style="font:600 2.2vw system-ui,'Noto Sans CJK SC',sans-serif;color:#fff;text-align:right"></div>
        <script>const c=document.getElementById('c');const p=n=>String(n).padStart(2,'0');
        function tick(){const d=new Date();c.textContent=d.getFullYear()+'-'+p(d.getMonth()+1)+'-'+p(d.getDate())+' '+p(d.getHours())+':'+p(d.getMinutes())+':'+p(d.getSeconds());}
        tick();setInterval(tick,1000);</script>""",
        height=60,
    )


def collect(zone_id: int | None) -> dict:
    """Everything the wall shows, from the same read functions the dashboard pages use."""
    start, end = read(territory.default_range)
    filters = Filters(zone_id=zone_id, start=start, end=end)
    recent = dataclasses.replace(filters, start=max(start, end - dt.timedelta(days=TREND_DAYS - 1)))
    zones = read(territory.zones)
    return {
        "filters": filters,
        "zone": dict(zip(zones["id"], zones["name"])).get(zone_id),
        "demo": read(territory.dataset_kind) == "demo",
        "traffic": read(traffic.summary, filters),
        "trend": read(traffic.daily, recent),
        "missing": read(traffic.missing_reports, end, (zone_id,) if zone_id else None),
        "low_stock": read(logistics.low_stock, filters),
        "read_at": dt.datetime.now(),
    }


def tiles(board: dict) -> None:
    figures = board["traffic"]
    today, yesterday, totals = figures["today"], figures["yesterday"], figures["totals"]
    change = (lambda m: fmt.signed(today[m] - yesterday[m])) if yesterday else (lambda m: None)
    since = t("wall.since", start=fmt.day(board["filters"].start))
    columns = st.columns(5)
    columns[0].metric(t("wall.vehicles_today"), fmt.num(today["vehicles"]), change("vehicles"))
    columns[1].metric(t("wall.persons_today"), fmt.num(today["persons"]), change("persons"))
    columns[2].metric(t("wall.vehicles_total"), fmt.num(totals["vehicles"]), change("vehicles"), help=since)
    columns[3].metric(t("wall.persons_total"), fmt.num(totals["persons"]), change("persons"), help=since)
    columns[4].metric(t("wall.busiest"), fmt.num(figures["busiest_vehicles"]))
    columns[4].caption(fmt.day(figures["busiest_day"]))


def alerts(board: dict) -> list[tuple[int, str]]:
    """(urgency, text), most urgent first: lower number = more urgent."""
    items = [(1, t("wall.alert.missing", site=name)) for name in board["missing"]["name"]]
    for row in board["low_stock"].itertuples():
        items.append((3, t("wall.alert.low_stock", zone=row.zone, item=row.item, stock=fmt.num(row.stock),
                           unit=row.unit, threshold=fmt.num(row.threshold))))
    return sorted(items, key=lambda item: item[0])


def render(board: dict) -> None:
    header, meta = st.columns([3, 1])
    header.title(t("wall.title") + (f" · {board['zone']}" if board["zone"] else ""))
    meta.caption(t("wall.as_of", day=fmt.day(board["filters"].end, weekday=True)) + " · "
                 + t("wall.updated", time=board["read_at"].strftime("%H:%M:%S")))
    if board["demo"]:
        st.warning(t("demo.banner"), icon=":material/science:")
    tiles(board)
    main, side = st.columns([3, 1])
    with main:
        st.subheader(t("wall.trend"))
        chart = traffic_charts.daily_trend(board["trend"], "vehicles", t("traffic.vehicles"), t("traffic.avg7"),
                                           t("common.day"), color="#5aa9ff", height=300)
        st.altair_chart(theme.on_wall(chart), width="stretch")
    with side.container(key="wall_alerts"):
        st.subheader(t("wall.alerts"))
        items = alerts(board)
        if not items:
            st.success(t("wall.no_alerts"))
        for urgency, text in items[:14]:
            marker = {1: ":red[:material/error:]", 2: ":orange[:material/schedule:]"}.get(urgency, ":blue[:material/inventory_2:]")
            st.markdown(f"{marker} {escape_markdown(text)}")


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
    """Re-run alone every REFRESH_SECONDS: the page never reloads, so nothing flickers."""
    try:
        # The key is checked on every refresh: revoking it blanks a screen within one refresh.
        display = auth.check_display_key(st.query_params.get("key"))
        if display is None:
            st.session_state.pop(LAST_BOARD, None)
            st.error(t("wall.refused"))
            return
        current = collect(zone_to_show(display))
    except Exception as error:
        if not is_database_error(error):
            raise
        last = st.session_state.get(LAST_BOARD)
        if last is None:
            st.error(t("wall.stale_never"), icon=":material/hourglass_top:")
            return
        st.error(t("wall.stale", time=last["read_at"].strftime("%H:%M:%S")), icon=":material/hourglass_top:")
        render(last)
        return
    st.session_state[LAST_BOARD] = current
    render(current)


if auth.check_display_key(st.query_params.get("key")) is None:
    st.error(t("wall.refused"))
    st.stop()
clock()
board()
