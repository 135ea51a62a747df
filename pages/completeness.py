"""上报完整性: who has reported the as-of day (on time, late, overdue, not yet due) and each work zone's
and checkpoint's reporting and on-time rates over the filter's range. A checkpoint picked in the
chart or the table opens its entry for that day (for those who may write it), else focuses it."""
import pandas as pd
import streamlit as st

from data_access import clock, completeness, scope
from ui import format as fmt
from ui.charts import completeness as charts
from ui.data import chart_spec, read
from ui.due_times import describe
from ui.filter_bar import SITE, focus_note, line_filters
from ui.guard import require_router
from ui.page import run
from ui.i18n import t
from ui.session import actor

require_router()

ENTRY_PAGE = "pages/traffic_entry.py"
# The site table: the zone is left to the chart's tooltip and the zone table (rows come in zone order);
# with it, who answers was cut off on a 1366 px laptop.
TABLE_COLUMNS = ["state", "name", "due", "reported", "responsible", "reporting_rate", "on_time_rate"]
OPEN_ENTRY = "_completeness_open_entry"  # set by a click, acted on by the next run (callbacks cannot switch pages)


def status_labels() -> dict:
    return {**{s: t(f"completeness.status.{s}") for s in completeness.STATUSES}, None: t("completeness.status.none")}


def local_time(moment) -> str:
    """Month, day and time where the zone is: the year is the as-of day's, and the column stays narrow."""
    if moment is None or moment != moment:  # None or NaT
        return "—"
    return moment.astimezone(clock.zone()).strftime("%m-%d %H:%M")


def local_times(moments) -> list[str]:
    """local_time of each moment, converted as one column (one call per row cost ~35 ms for 1,000 sites)."""
    column = pd.to_datetime(pd.Series(list(moments), dtype=object), utc=True).dt.tz_convert(clock.zone())
    return column.dt.strftime("%m-%d %H:%M").fillna("—").tolist()


def late_text(minutes: int) -> str:
    if not minutes:
        return ""
    days, rest = divmod(int(minutes), 1440)
    if days:
        return t("completeness.late_days", d=days, h=rest // 60)
    if rest >= 60:
        return t("completeness.late_hours" if rest % 60 else "completeness.late_whole_hours", h=rest // 60, m=rest % 60)
    return t("completeness.late_minutes", m=rest)


def state_text(labels: dict, status, late_minutes) -> str:
    """"逾期 1小时" / "Overdue · 1h": the status and how late, in one column (the table must fit a laptop)."""
    late = late_text(late_minutes) if late_minutes == late_minutes else ""
    if late and status in ("late", "overdue"):
        return t(f"completeness.state.{status}", late=late)
    return labels.get(status, labels[None])


def percent(value) -> str:
    return "—" if value is None or value != value else f"{value:.0%}" if value in (0, 1) else f"{value:.1%}"


# ---- a click: open the entry for that day, or focus the filter ----------------------------------------

def pick(view: dict, site_id: int, zone_id: int) -> None:
    if scope.may_write_site(view["user"], site_id, zone_id):
        st.session_state["entry_day"] = view["day"]  # the entry page's day picker (kept for the session)
        st.session_state[OPEN_ENTRY] = True
    else:
        st.session_state[SITE] = site_id


def picked_in_chart(view: dict, zones: dict[int, int]) -> None:
    chosen = st.session_state["completeness_chart"].selection.get(charts.SELECT_SITE) or []
    if chosen:
        site_id = int(chosen[0]["site_id"])
        pick(view, site_id, zones[site_id])


def picked_in_table(view: dict, site_ids: list[int], zone_ids: list[int]) -> None:
    rows = st.session_state["completeness_table"].selection.rows
    if rows:
        pick(view, site_ids[rows[0]], zone_ids[rows[0]])


# ---- the day at a glance -------------------------------------------------------------------------

def headline(view: dict, sites, zones) -> None:
    """The day's counts in one row, the range's rates in the next: at 1366 px seven tiles clip their figures."""
    counts = {s: int(zones[s].sum()) for s in completeness.STATUSES}
    expected, reported = int(zones["expected"].sum()), int(zones["reported"].sum())
    row = st.columns(5)
    row[0].metric(t("completeness.reported"), f"{reported}/{expected}", border=True,
                  help=t("completeness.reported_help", expected=expected, reported=reported))
    for column, status in zip(row[1:], completeness.STATUSES):
        column.metric(t(f"completeness.status.{status}"), fmt.num(counts[status]), border=True,
                      help=t(f"completeness.help.{status}"))
    due_days = int(sites["days_due"].sum())
    reporting = (sites["days_on_time"].sum() + sites["days_late"].sum()) / due_days if due_days else None
    on_time = sites["days_on_time"].sum() / due_days if due_days else None
    rates = st.columns([1, 1, 3], vertical_alignment="center")
    rates[0].metric(t("completeness.reporting_rate"), percent(reporting), border=True)
    rates[1].metric(t("completeness.on_time_rate"), percent(on_time), border=True)
    rates[2].caption(t("completeness.rate_help", days=fmt.num(due_days), start=fmt.day(view["filters"].start),
                       end=fmt.day(view["day"])))
    notes(view["day"], sites, counts, expected, reported)


def notes(day, sites, counts: dict, expected: int, reported: int) -> None:
    if expected and reported == expected:
        st.success(t("completeness.all_in", day=fmt.day(day), n=expected), icon=":material/check_circle:")
    if counts["overdue"]:
        st.warning(t("completeness.overdue_note", n=counts["overdue"]), icon=":material/schedule:")
    if counts["pending"]:
        earliest = sites.loc[sites["status"] == "pending", "due_at"].min()
        st.info(t("completeness.pending_note", n=counts["pending"], due=local_time(earliest)),
                icon=":material/hourglass_empty:")


# ---- per work zone -------------------------------------------------------------------------------

def zone_section(view: dict, zones, chart: dict) -> None:
    """Chart above table: side by side, the table's columns were cut off on a laptop."""
    st.subheader(t("completeness.zones"))
    st.caption(t("completeness.zones_chart", day=fmt.day(view["day"])))
    st.vega_lite_chart(chart, width="stretch")
    shown = zones.assign(reported_of=[f"{r}/{e}" for r, e in zip(zones["reported"], zones["expected"])],
                         due=[describe(m) for m in zones["due_minutes"]])
    shown = shown[["zone", "reported_of", *completeness.STATUSES, "due", "reporting_rate", "on_time_rate"]].assign(
        reporting_rate=zones["reporting_rate"] * 100, on_time_rate=zones["on_time_rate"] * 100)
    st.dataframe(
        shown, hide_index=True, width="stretch", placeholder="—",
        column_config={
            "zone": st.column_config.TextColumn(t("col.zone")),
            "reported_of": st.column_config.TextColumn(t("completeness.col.reported")),
            **{s: st.column_config.NumberColumn(t(f"completeness.status.{s}"), format="%d")
               for s in completeness.STATUSES},
            "due": st.column_config.TextColumn(t("completeness.col.due")),
            "reporting_rate": st.column_config.NumberColumn(t("completeness.col.reporting_rate"), format="%.1f%%"),
            "on_time_rate": st.column_config.NumberColumn(t("completeness.col.on_time_rate"), format="%.1f%%"),
        },
    )


# ---- per checkpoint ------------------------------------------------------------------------------

def site_section(view: dict, sites, chart: dict) -> None:
    user, filters, day = view["user"], view["filters"], view["day"]
    st.subheader(t("completeness.sites"))
    writes_some = user.writes and any(scope.may_write_site(user, s, z) for s, z in zip(sites["site_id"], sites["zone_id"]))
    st.caption(t("completeness.click_open", day=fmt.day(day)) if writes_some else t("completeness.click_focus"))
    focus_note(filters, sites, "completeness", key="completeness_clear")
    st.caption(t("completeness.sites_chart", start=fmt.day(filters.start), end=fmt.day(day), day=fmt.day(day)))
    zones = dict(zip(sites["site_id"], sites["zone_id"]))
    st.vega_lite_chart(chart, key="completeness_chart", on_select=lambda: picked_in_chart(view, zones),
                       selection_mode=charts.SELECT_SITE, width="stretch")
    site_table(view, sites)


def site_table(view: dict, sites) -> None:
    labels = status_labels()
    shown = sites.assign(
        state=[state_text(labels, s, m) for s, m in zip(sites["status"], sites["late_minutes"])],
        due=local_times(sites["due_at"]),
        reported=local_times(sites["reported_at"]),
        responsible=sites["responsible"].fillna(""),
        reporting_rate=sites["reporting_rate"] * 100, on_time_rate=sites["on_time_rate"] * 100,  # "96.2%"
    )[TABLE_COLUMNS]
    site_ids, zone_ids = [int(s) for s in sites["site_id"]], [int(z) for z in sites["zone_id"]]
    st.dataframe(
        shown, key="completeness_table", on_select=lambda: picked_in_table(view, site_ids, zone_ids),
        selection_mode="single-row", hide_index=True, width="stretch", placeholder="—",
        height=min(40 + 35 * len(shown), 640),  # every row without scrolling, up to about 17
        column_config={
            "state": st.column_config.TextColumn(t("completeness.col.status"), width=112),
            "name": st.column_config.TextColumn(t("col.checkpoint"), width=124),
            "due": st.column_config.TextColumn(t("completeness.col.due_at"), width=80),
            "reported": st.column_config.TextColumn(t("completeness.col.reported_at"), width=80),
            "responsible": st.column_config.TextColumn(t("completeness.col.responsible")),
            "reporting_rate": st.column_config.NumberColumn(t("completeness.col.reporting_rate"), format="%.1f%%",
                                                            width=72, help=t("completeness.col.rate_help")),
            "on_time_rate": st.column_config.NumberColumn(t("completeness.col.on_time_rate"), format="%.1f%%",
                                                          width=72, help=t("completeness.col.rate_help")),
        },
    )


# ---- settings → load → show ---------------------------------------------------------------------

def settings() -> dict:
    """The filter bar's view as of the traffic line's own day (checkpoints report traffic), the time
    (to the minute: the reads stay cached for a minute at most), and who is looking. A click in the
    last run opens the entry for that day instead."""
    filters = line_filters("traffic")
    if st.session_state.pop(OPEN_ENTRY, False):
        st.switch_page(ENTRY_PAGE)
    return {"user": actor(), "filters": filters, "day": filters.end, "now": clock.now()}


def load(view: dict) -> dict:
    day, filters, now = view["day"], view["filters"], view["now"]
    sites = read(completeness.site_overview, day, filters, now)
    if sites.empty:
        return {"sites": sites}
    labels = status_labels()
    return {
        "sites": sites,
        # from the sites' frame, and the chart from the day's statuses alone: zone_overview beside
        # site_overview counted the season's reports twice (~0.2 s each at city scale)
        "zones": completeness.zones_of(sites, read(completeness.zone_due_times)),
        "zone_chart": chart_spec(charts.zone_status, completeness.zone_statuses, (day, filters, now),
                                 labels=labels, count_label=t("completeness.axis.sites"),
                                 status_label=t("completeness.axis.status"), zone_label=t("col.zone")),
        "site_chart": chart_spec(charts.site_on_time, completeness.site_overview, (day, filters, now), labels=labels,
                                 rate_label=t("completeness.on_time_rate"), status_label=t("completeness.axis.status"),
                                 name_label=t("col.checkpoint"), zone_label=t("col.zone"), focused=filters.site_id),
    }


def show(view: dict, data: dict) -> None:
    day, filters = view["day"], view["filters"]
    st.title(t("completeness.title"))
    st.caption(t("completeness.caption", day=fmt.day(day, weekday=True), start=fmt.day(filters.start),
                 end=fmt.day(day), now=view["now"].strftime("%Y-%m-%d %H:%M")))
    if data["sites"].empty:
        st.info(t("completeness.none"))
        return
    headline(view, data["sites"], data["zones"])
    zone_section(view, data["zones"], data["zone_chart"])
    site_section(view, data["sites"], data["site_chart"])


def main() -> None:
    run(settings, load, show)


if __name__ == "__main__":
    main()
