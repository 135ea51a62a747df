"""卡口通行: checkpoint traffic for the filtered zone, checkpoints and dates."""
import pandas as pd
import streamlit as st

from data_access import clock, completeness, grain, reporting, traffic
from ui import format as fmt
from ui.charts import traffic as charts
from ui.data import chart_spec, read
from ui.filter_bar import SITE, focus_note, line_filters
from ui.i18n import t
from ui.kpi import day_tile, due_text, late_text, reported_of, tile
from ui.guard import require_router
from ui.page import run
from ui.grids import fit

require_router()

# Sized to their header and longest value, so the day's table fits a laptop (1366 px) with no sideways
# scrolling: the road is in each checkpoint's name, the range's totals are in the ranking above.
HEADERS = {"name": "col.checkpoint", "zone": "col.zone", "report_status": "col.report_status", "vehicles": "col.vehicles",
           "vehicles_yesterday": "traffic.col.vehicles_yesterday", "vehicles_7d": "traffic.col.vehicles_7d",
           "persons": "col.persons", "persons_from_outside": "col.persons_from_outside",
           "turned_back": "col.turned_back", "abnormal_temperature": "entry.col.abnormal_temperature",
           "corrected": "col.corrected"}
HELP = {"vehicles_yesterday": "col.vehicles_yesterday", "vehicles_7d": "col.vehicles_7d",
        "abnormal_temperature": "entry.col_help.abnormal_temperature"}
TEXTS = ("name", "zone", "report_status")
NUMBERS = ("vehicles", "vehicles_yesterday", "persons", "persons_from_outside", "turned_back", "abnormal_temperature")


def focus_from_chart() -> None:
    picked = st.session_state["traffic_ranking"].selection.get(charts.SELECT_CHECKPOINT) or []
    if picked:
        st.session_state[SITE] = int(picked[0]["site_id"])


def focus_from_table(site_ids: list[int]) -> None:
    rows = st.session_state["traffic_table"].selection.rows
    if rows:
        st.session_state[SITE] = site_ids[rows[0]]


# ---- settings → load → show ---------------------------------------------------------------------

def settings() -> dict:
    """The filter bar's view (as of this line's own day), the time (what is due and late depends on
    it, rounded to the minute), and the trends' grain: per day, or per week, month or year over a
    long range (data_access.grain)."""
    filters = line_filters("traffic")
    st.title(t("traffic.title"))
    kind = grain.grain_for(filters.start, filters.end)
    return {"filters": filters, "now": clock.now(), "by_day": kind == "day", "unit": t(f"grain.unit.{kind}"),
            "period_label": t(f"grain.axis.{kind}")}


def trend_spec(view: dict, metric: str, **options) -> dict:
    average_label = t("traffic.avg7") if view["by_day"] else t("grain.per_day")
    return chart_spec(charts.daily_trend, traffic.daily, (view["filters"],), metric=metric,
                      label=t(f"traffic.{metric}"), average_label=average_label, day_label=view["period_label"],
                      wide_days=True, **options)


def load(view: dict) -> dict:
    filters, now = view["filters"], view["now"]
    checkpoints = read(traffic.by_checkpoint, filters)
    data = {
        # the day's completeness; its change is counted on the sites that reported both days
        "report": read(reporting.day_report, filters.end, filters, now),
        "figures": read(traffic.summary, filters),
        "vehicles_chart": trend_spec(view, "vehicles"),
        "persons_chart": trend_spec(view, "persons", color="#c0622f"),
        "checkpoints": checkpoints,
    }
    if checkpoints.empty:
        return data
    busiest = traffic.busiest(checkpoints, filters)  # from the range's totals already read: no second scan
    return {
        **data,
        "ranking_chart": chart_spec(charts.checkpoint_ranking, traffic.by_checkpoint, (filters,),
                                    value="vehicles_total", label=t("col.vehicles_total"),
                                    name_label=t("col.checkpoint"), focused=filters.site_id),
        "heatmap_chart": chart_spec(charts.checkpoint_heatmap, traffic.daily_of_checkpoints, (filters, busiest),
                                    label=t("traffic.vehicles"), day_label=view["period_label"],
                                    name_label=t("col.checkpoint")),
        "heatmap_rows": read(traffic.daily_of_checkpoints, filters, busiest)["site_id"].nunique(),
        "day_status": read(completeness.day_status, filters.end, filters, now),
    }


def partly(report: dict) -> str:
    return f" · {reported_of(report)}" if report["partial"] else ""


def show_tiles(filters, figures: dict, report: dict) -> None:
    today, yesterday, totals = figures["today"], figures["yesterday"], figures["totals"]
    change_report = report if yesterday else {**report, "change": None}  # a one-day range has no day before
    since = t("traffic.since", start=fmt.day(filters.start), days=figures["days"])
    row1 = st.columns(4)
    day_tile(row1[0], t("traffic.vehicles_today"), today["vehicles"], change_report, "vehicles", t("traffic.vs_yesterday"))
    day_tile(row1[1], t("traffic.persons_today"), today["persons"], change_report, "persons", t("traffic.vs_yesterday"))
    tile(row1[2], t("traffic.vehicles_total"), totals["vehicles"], help_text=since)
    tile(row1[3], t("traffic.persons_total"), totals["persons"], help_text=since)
    row2 = st.columns(5)
    tile(row2[0], t("traffic.daily_average"), round(figures["daily_average_vehicles"]))
    tile(row2[1], t("traffic.busiest"), figures["busiest_vehicles"],
         help_text=t("traffic.busiest_on", day=fmt.day(figures["busiest_day"])))
    row2[1].caption(t("traffic.busiest_on", day=fmt.day(figures["busiest_day"], weekday=True)))
    for column, name, inverse in ((row2[2], "persons_from_outside", False), (row2[3], "turned_back", False),
                                  (row2[4], "abnormal_temperature", True)):
        key = {"persons_from_outside": "traffic.from_outside", "turned_back": "traffic.turned_back",
               "abnormal_temperature": "traffic.abnormal"}[name]
        tile(column, t(key), totals[name], inverse=inverse, help_text=t("traffic.range_help"))
        column.caption(t("traffic.on_day", n=fmt.num(today[name])) + partly(report))


def show_trends(view: dict, data: dict) -> None:
    by_day, unit = view["by_day"], view["unit"]
    if not by_day:
        st.caption(t("grain.note", days=fmt.num(view["filters"].days()), unit=unit))
    left, right = st.columns(2)
    left.subheader(t("traffic.chart_vehicles") if by_day else t("traffic.chart_vehicles_by", unit=unit))
    left.vega_lite_chart(data["vehicles_chart"], width="stretch")
    right.subheader(t("traffic.chart_persons") if by_day else t("traffic.chart_persons_by", unit=unit))
    right.vega_lite_chart(data["persons_chart"], width="stretch")


def show_checkpoint_charts(view: dict, data: dict) -> None:
    left, right = st.columns([2, 3])
    left.subheader(t("traffic.ranking"))
    left.vega_lite_chart(data["ranking_chart"], key="traffic_ranking", on_select=focus_from_chart,
                         selection_mode=charts.SELECT_CHECKPOINT, width="stretch")
    right.subheader(t("traffic.heatmap") if view["by_day"] else t("traffic.heatmap_by", unit=view["unit"]))
    right.vega_lite_chart(data["heatmap_chart"], width="stretch")
    shown, every = data["heatmap_rows"], len(data["checkpoints"])
    if 0 < shown < every:  # the heat map keeps the busiest: say so
        right.caption(t("traffic.heatmap_top", shown=shown, n=every))


def status_text(status, due_at, late_minutes) -> str:
    """How a checkpoint's report for the day stands: on time, late by, not yet due, overdue by."""
    if status == "on_time":
        return t("alerts.status.on_time")
    if status == "pending":
        return t("alerts.status.pending", due=due_text(due_at))
    if status in ("late", "overdue"):
        return t(f"alerts.status.{status}", late=late_text(late_minutes))
    return "—"  # not expected to report this day (it started reporting later)


def table_caption(status, report: dict) -> str:
    counts = status["status"].value_counts()
    parts = [reported_of(report) or t("traffic.all_reported", n=report["expected"])]
    if counts.get("pending", 0):
        parts.append(t("traffic.pending", n=int(counts["pending"]), due=due_text(min(status.loc[status["status"] == "pending", "due_at"]))))
    if counts.get("overdue", 0):
        parts.append(t("traffic.overdue", n=int(counts["overdue"])))
    return " · ".join(parts)


def day_table(checkpoints, day_status):
    """The day's figures per checkpoint with how its report stands."""
    shown = checkpoints.drop(columns=["persons_total", "reported"]).merge(
        day_status[["site_id", "status", "due_at", "late_minutes"]], on="site_id", how="left")
    # column lists, not itertuples: 1,000 rows of Arrow-backed columns cost ~4 ms a rerun that way
    shown["report_status"] = [status_text(*row) for row in zip(*(shown[c].tolist() for c in ("status", "due_at", "late_minutes")))]
    return shown.drop(columns=["status", "due_at", "late_minutes"])


def table_columns(shown) -> dict:
    """Each column as wide as its header and its longest value."""
    values = {name: [v for v in shown[name].dropna().unique() if isinstance(v, str)] for name in TEXTS}
    # counts are never negative: the largest is the longest text (each digit is as wide as another)
    largest = {name: shown[name].max() for name in (*NUMBERS, "vehicles_7d")}
    values.update({name: [fmt.num(largest[name])] for name in NUMBERS if pd.notna(largest[name])})
    if pd.notna(largest["vehicles_7d"]):
        values["vehicles_7d"] = [f"{largest['vehicles_7d']:.1f}"]

    def width(name: str) -> int:
        return fit(t(HEADERS[name]), values.get(name) or ())

    def number_column(name: str, number_format: str = "localized"):
        return st.column_config.NumberColumn(t(HEADERS[name]), format=number_format, width=width(name),
                                             help=t(HELP[name]) if name in HELP else None)

    return {
        "name": st.column_config.TextColumn(t("col.checkpoint"), width=width("name"), pinned=True),
        "zone": st.column_config.TextColumn(t("col.zone"), width=width("zone")),
        "report_status": st.column_config.TextColumn(t("col.report_status"), width=width("report_status")),
        **{name: number_column(name) for name in NUMBERS},
        "vehicles_7d": number_column("vehicles_7d", "%.1f"),
        "corrected": st.column_config.CheckboxColumn(t("col.corrected"), width=fit(t("col.corrected"))),
    }


def show_table(data: dict) -> None:
    st.subheader(t("traffic.table"))
    report, day_status = data["report"], data["day_status"]
    if report["expected"]:
        st.caption(table_caption(day_status, report))
    shown = day_table(data["checkpoints"], day_status)
    st.dataframe(
        shown, key="traffic_table", on_select=lambda: focus_from_table(shown["site_id"].tolist()),
        selection_mode="single-row", hide_index=True, width="stretch",
        placeholder="—",  # a checkpoint that has not reported: no figure, not "None"
        # (each checkpoint's 7-day average is the trend's line above: the day's figures and the day before here)
        column_order=["name", "zone", "report_status", "vehicles", "vehicles_yesterday", "persons",
                      "persons_from_outside", "turned_back", "abnormal_temperature", "corrected"],
        column_config=table_columns(shown),
    )


def show(view: dict, data: dict) -> None:
    filters = view["filters"]
    st.caption(t("common.as_of", day=fmt.day(filters.end, weekday=True)) + partly(data["report"]))
    show_tiles(filters, data["figures"], data["report"])
    show_trends(view, data)
    if data["checkpoints"].empty:
        st.info(t("traffic.no_checkpoints"))
        return
    focus_note(filters, data["checkpoints"], "traffic")
    show_checkpoint_charts(view, data)
    show_table(data)


def main() -> None:
    run(settings, load, show)


if __name__ == "__main__":
    main()
