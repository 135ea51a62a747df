"""专题巡察看板: every duty point's last inspection, overdue points in red, open findings, the circular."""
import streamlit as st

from data_access import inspections, territory
from ui import format as fmt
from ui.charts import coverage as coverage_charts
from ui.charts import inspections as charts
from ui.data import read
from ui.i18n import lang, t
from ui.kpi import tile
from ui.guard import require_router
from ui.filter_bar import line_filters
from ui.grids import fit

OVERDUE_RED, OK_GREEN = "#d62728", "#2f8f5b"
PILL = 24  # a coloured label's own padding and margin inside its cell

require_router()

filters = line_filters("inspections")  # this line's own "as of"
label = coverage_charts.labeller(lang())
st.title(t("inspect.title"))
st.caption(t("common.as_of", day=fmt.day(filters.end, weekday=True)) + " · " + t("inspect.intro"))

# ---- headline figures --------------------------------------------------------------------------
summary = read(inspections.board_summary, filters)
row = st.columns(6)
tile(row[0], t("inspect.duty_points"), summary["duty_points"])
tile(row[1], t("inspect.overdue"), summary["overdue"], inverse=True, help_text=t("inspect.overdue_help"))
tile(row[2], t("inspect.visits"), summary["visits"], help_text=t("inspect.in_range", start=fmt.day(filters.start)))
tile(row[3], t("inspect.open_findings"), summary["open_findings"])
tile(row[4], t("inspect.past_due"), summary["past_due"], inverse=True)
row[5].metric(t("inspect.on_time"), "—" if summary["on_time_share"] is None else f"{summary['on_time_share']:.0%}",
              help=t("inspect.on_time_help", due=summary["due"], fixed=summary["fixed_on_time"]), border=True)

# ---- duty points -------------------------------------------------------------------------------
points = read(inspections.duty_points, filters)
st.subheader(t("inspect.points"))
if points.empty:
    st.info(t("inspect.no_points"))
else:
    # Overdue rows are marked with a red label and listed first: a coloured pill, not an emoji (🔴 needs an
    # emoji font the command post's browsers do not have: it was drawn as an empty box). (A pandas Styler
    # painting the rows red costs ~80 ms per rerun for sixty rows, more than the rest of the page.)
    overdue_word, ok_word = t("inspect.state.overdue"), t("inspect.state.ok")
    shown = points.assign(
        kind=[t(f"inspect.kind.{k}.{c}") if k == "checkpoint" else t("kind.compound")
              for k, c in zip(points["kind"], points["checkpoint_type"])],
        state=[[overdue_word] if o else [ok_word] for o in points["overdue"]],
        last_passed=points["last_passed"].map(lambda p: "—" if p is None else t("common.yes" if p else "common.no")),
        last_day=[t("inspect.never") if d is None else d.isoformat() for d in points["last_day"]],
    ).sort_values(["overdue", "days_since"], ascending=[False, False], na_position="first")
    chart_col, note_col = st.columns([1, 1], vertical_alignment="center")
    chart_col.vega_lite_chart(charts.chart_spec("days_since", points, lang()), width="stretch")
    note_col.caption(t("inspect.days_note"))
    text_width = lambda key, column: fit(t(key), shown[column].astype(str))  # noqa: E731  (whole, never clipped)
    # the whole width: at 1366 px beside the chart it scrolled sideways
    st.dataframe(
        shown, hide_index=True, placeholder="—", width="stretch", height=min(38 + 35 * len(shown), 460),
        # (no zone column: the sidebar picks a zone, and the names are the points')
        column_order=["state", "name", "kind", "last_day", "days_since", "last_passed", "open_findings",
                      "lead_cadre", "staff_on_duty"],
        column_config={
            "state": st.column_config.MultiselectColumn(
                t("inspect.col.state"), options=[overdue_word, ok_word], color=[OVERDUE_RED, OK_GREEN],
                width=fit(t("inspect.col.state"), [overdue_word, ok_word], extra=PILL)),
            "name": st.column_config.TextColumn(t("inspect.col.point"), width=text_width("inspect.col.point", "name")),
            "kind": st.column_config.TextColumn(t("map.col.kind"), width=text_width("map.col.kind", "kind")),
            "zone": st.column_config.TextColumn(t("col.zone"), width=text_width("col.zone", "zone")),
            "last_day": st.column_config.TextColumn(t("inspect.col.last_day"),
                                                    width=text_width("inspect.col.last_day", "last_day")),
            "days_since": st.column_config.NumberColumn(t("inspect.col.days_since"), width=fit(t("inspect.col.days_since"))),
            "last_passed": st.column_config.TextColumn(t("inspect.col.last_passed"),
                                                       width=text_width("inspect.col.last_passed", "last_passed")),
            "open_findings": st.column_config.NumberColumn(t("inspect.col.open"), help=t("inspect.open_findings"),
                                                           width=fit(t("inspect.col.open"))),
            "lead_cadre": st.column_config.TextColumn(t("map.col.lead_cadre"),
                                                      width=text_width("map.col.lead_cadre", "lead_cadre")),
            "staff_on_duty": st.column_config.NumberColumn(t("map.col.staff"), width=fit(t("map.col.staff"))),
        },
    )

# ---- open findings -----------------------------------------------------------------------------
st.subheader(t("inspect.findings"))
by_owner = read(inspections.findings_by_owner, filters)
found = read(inspections.open_findings, filters)
if found.empty:
    st.success(t("inspect.no_open"), icon=":material/check_circle:")
else:
    chart_col, _ = st.columns([2, 3])
    chart_col.vega_lite_chart(charts.chart_spec("by_owner", by_owner, lang()), width="stretch")
    past_due_word = t("inspect.past_due")
    st.dataframe(
        found.assign(state=[[past_due_word] if p else [] for p in found["past_due"]]),
        hide_index=True, placeholder="—", width="stretch",
        column_order=["state", "site", "description", "owner", "raised_on", "age_days", "due_on"],
        column_config={
            "state": st.column_config.MultiselectColumn(
                t("inspect.col.state"), options=[past_due_word], color=[OVERDUE_RED],
                width=fit(t("inspect.col.state"), [past_due_word], extra=PILL)),  # 逾期未整改 whole
            "site": st.column_config.TextColumn(t("inspect.col.point"), width=fit(t("inspect.col.point"), found["site"])),
            "description": st.column_config.TextColumn(t("inspect.col.description"), width="medium"),
            "owner": st.column_config.TextColumn(t("inspect.col.owner"), width=fit(t("inspect.col.owner"), found["owner"])),
            "raised_on": st.column_config.DateColumn(t("inspect.col.raised_on"), format="YYYY-MM-DD",
                                                     width=fit(t("inspect.col.raised_on"), ["2020-02-20"])),
            "age_days": st.column_config.NumberColumn(t("inspect.col.age_days"), width=fit(t("inspect.col.age_days"))),
            "due_on": st.column_config.DateColumn(t("inspect.col.due_on"), format="YYYY-MM-DD",
                                                  width=fit(t("inspect.col.due_on"), ["2020-02-20"])),
        },
    )

# ---- recent visits -----------------------------------------------------------------------------
if st.toggle(t("inspect.recent"), key="inspect_show_visits"):  # a toggle builds the table only when asked
    visits = read(inspections.recent_inspections, filters, 100)
    st.dataframe(
        visits, hide_index=True, placeholder="—", width="stretch",
        column_order=["day", "site", "zone", "inspector", *inspections.CHECKS, "findings", "remarks"],
        column_config={
            "day": st.column_config.DateColumn(t("col.day"), format="YYYY-MM-DD"),
            "site": st.column_config.TextColumn(t("inspect.col.point")),
            "zone": st.column_config.TextColumn(t("col.zone")),
            "inspector": st.column_config.TextColumn(t("col.inspector")),
            **{c: st.column_config.CheckboxColumn(t(f"col.{c}")) for c in inspections.CHECKS},
            "findings": st.column_config.NumberColumn(t("inspect.col.findings")),
            "remarks": st.column_config.TextColumn(t("col.remarks"), width="large"),
        },
    )

# ---- the weekly circular -----------------------------------------------------------------------
st.subheader(t("inspect.circular"))
circular = read(inspections.week_circular, filters)
zones = read(territory.zones)
area = dict(zip(zones["id"], zones["name"])).get(filters.zone_id) or t("inspect.circular.whole_zone")
st.caption(t("inspect.circular.caption", start=fmt.day(circular["start"]), end=fmt.day(circular["end"]),
             n=len(circular["findings"])))
document = charts.circular_html(circular, label, area, lang())
st.download_button(t("inspect.circular.download"), document.encode("utf-8"), type="primary",
                   file_name=f"circular_{circular['end']:%Y%m%d}.html", mime="text/html", key="circular_download")
if st.toggle(t("inspect.circular.preview"), key="inspect_show_circular"):
    # Built with every stored text escaped; st.html sanitises it again.
    st.html(f"<style>{charts.PREVIEW_CSS}</style>"
            f"<div class='circular'>{charts.circular_body(circular, label, area)}</div>")
