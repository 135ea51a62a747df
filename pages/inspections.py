"""专题巡察看板: every duty point's last inspection, overdue points in red, open findings, the circular."""
import streamlit as st

from data_access import inspections, territory
import reports
from reports import circular
from ui import format as fmt
from ui.charts import inspections as charts
from ui.data import chart_spec, read
from ui.i18n import lang, t, translator
from ui.kpi import tile
from ui.guard import require_router
from ui.page import run
from ui.filter_bar import line_filters
from ui.grids import fit

OVERDUE_RED, OK_GREEN = "#d62728", "#2f8f5b"
PILL = 24  # a coloured label's own padding and margin inside its cell
POINTS_SHOWN = 300  # rows of the duty-point table (overdue longest first); the chart and tiles count them all
FINDINGS_SHOWN = 300  # rows of the open findings (raised earliest first); the tiles and the chart count them all

require_router()


# ---- settings → load → show ---------------------------------------------------------------------

def settings():
    """The filter bar's view, as of this line's own day."""
    filters = line_filters("inspections")
    st.title(t("inspect.title"))
    st.caption(t("common.as_of", day=fmt.day(filters.end, weekday=True)) + " · " + t("inspect.intro"))
    return filters


def load(filters) -> dict:
    """Every panel's data; a chart only where there is something to draw."""
    zones = read(territory.zones)
    points, found = read(inspections.duty_points, filters), read(inspections.open_findings, filters)
    return {
        "summary": read(inspections.board_summary, filters),
        "points": points,
        "days_chart": None if points.empty else chart_spec(charts.days_since_chart, inspections.duty_points,
                                                           (filters,), label=t),
        "found": found,
        "owner_chart": None if found.empty else chart_spec(charts.findings_by_owner_chart,
                                                           inspections.findings_by_owner, (filters,), label=t),
        "circular": read(inspections.week_circular, filters),
        "area": dict(zip(zones["id"], zones["name"])).get(filters.zone_id) or t("inspect.circular.whole_zone"),
    }


def show_headline(summary: dict, filters) -> None:
    row = st.columns(6)
    tile(row[0], t("inspect.duty_points"), summary["duty_points"])
    tile(row[1], t("inspect.overdue"), summary["overdue"], inverse=True, help_text=t("inspect.overdue_help"))
    tile(row[2], t("inspect.visits"), summary["visits"], help_text=t("inspect.in_range", start=fmt.day(filters.start)))
    tile(row[3], t("inspect.open_findings"), summary["open_findings"])
    tile(row[4], t("inspect.past_due"), summary["past_due"], inverse=True)
    row[5].metric(t("inspect.on_time"), "—" if summary["on_time_share"] is None else f"{summary['on_time_share']:.0%}",
                  help=t("inspect.on_time_help", due=summary["due"], fixed=summary["fixed_on_time"]), border=True)


def points_shown(points):
    """Overdue rows marked with a red label and listed first: a coloured pill, not an emoji (🔴 needs an
    emoji font the command post's browsers do not have: it was drawn as an empty box). (A pandas Styler
    painting the rows red costs ~80 ms per rerun for sixty rows, more than the rest of the page.)
    The first POINTS_SHOWN only; every word looked up once, not once per row (a city has 3,000 points)."""
    first = points.sort_values(["overdue", "days_since"], ascending=[False, False], na_position="first",
                               kind="stable").head(POINTS_SHOWN)
    overdue, ok, never = [t("inspect.state.overdue")], [t("inspect.state.ok")], t("inspect.never")
    kinds = {(k, c): t(f"inspect.kind.{k}.{c}") if k == "checkpoint" else t("kind.compound")
             for k, c in set(zip(first["kind"], first["checkpoint_type"]))}
    passed = {True: t("common.yes"), False: t("common.no")}
    return first.assign(
        kind=[kinds[(k, c)] for k, c in zip(first["kind"], first["checkpoint_type"])],
        state=[overdue if o else ok for o in first["overdue"]],
        last_passed=["—" if p is None else passed[bool(p)] for p in first["last_passed"]],
        last_day=[never if d is None else d.isoformat() for d in first["last_day"]],
    )


def points_columns(shown) -> dict:
    """Each text column as wide as its header and longest value (whole, never clipped)."""
    overdue_word, ok_word = t("inspect.state.overdue"), t("inspect.state.ok")

    def text(column: str, key: str):
        return st.column_config.TextColumn(t(key), width=fit(t(key), shown[column].astype(str)))

    def number(key: str, **options):
        return st.column_config.NumberColumn(t(key), width=fit(t(key)), **options)

    return {
        "state": st.column_config.MultiselectColumn(
            t("inspect.col.state"), options=[overdue_word, ok_word], color=[OVERDUE_RED, OK_GREEN],
            width=fit(t("inspect.col.state"), [overdue_word, ok_word], extra=PILL)),
        "name": text("name", "inspect.col.point"), "kind": text("kind", "map.col.kind"),
        "zone": text("zone", "col.zone"), "last_day": text("last_day", "inspect.col.last_day"),
        "days_since": number("inspect.col.days_since"), "last_passed": text("last_passed", "inspect.col.last_passed"),
        "open_findings": number("inspect.col.open", help=t("inspect.open_findings")),
        "lead_cadre": text("lead_cadre", "map.col.lead_cadre"), "staff_on_duty": number("map.col.staff"),
    }


def show_points(points, chart: dict) -> None:
    st.subheader(t("inspect.points"))
    if points.empty:
        st.info(t("inspect.no_points"))
        return
    shown = points_shown(points)
    chart_col, note_col = st.columns([1, 1], vertical_alignment="center")
    chart_col.vega_lite_chart(chart, width="stretch")
    note_col.caption(t("inspect.days_note"))
    if len(points) > len(shown):
        st.caption(t("inspect.points_limited", n=fmt.num(len(points)), shown=len(shown)))
    # the whole width: at 1366 px beside the chart it scrolled sideways
    st.dataframe(
        shown, hide_index=True, placeholder="—", width="stretch", height=min(38 + 35 * len(shown), 460),
        # (no zone column: the sidebar picks a zone, and the names are the points')
        column_order=["state", "name", "kind", "last_day", "days_since", "last_passed", "open_findings",
                      "lead_cadre", "staff_on_duty"],
        column_config=points_columns(shown),
    )


def show_findings(found, chart: dict) -> None:
    st.subheader(t("inspect.findings"))
    if found.empty:
        st.success(t("inspect.no_open"), icon=":material/check_circle:")
        return
    chart_col, _ = st.columns([2, 3])
    chart_col.vega_lite_chart(chart, width="stretch")
    if len(found) > FINDINGS_SHOWN:
        st.caption(t("inspect.findings_limited", n=fmt.num(len(found)), shown=FINDINGS_SHOWN))
        found = found.head(FINDINGS_SHOWN)
    past_due_word = t("inspect.past_due")
    day = lambda key: st.column_config.DateColumn(t(key), format="YYYY-MM-DD", width=fit(t(key), ["2020-02-20"]))  # noqa: E731
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
            "raised_on": day("inspect.col.raised_on"),
            "age_days": st.column_config.NumberColumn(t("inspect.col.age_days"), width=fit(t("inspect.col.age_days"))),
            "due_on": day("inspect.col.due_on"),
        },
    )


def show_recent_visits(filters) -> None:
    if not st.toggle(t("inspect.recent"), key="inspect_show_visits"):  # a toggle builds the table only when asked
        return
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


def show_repeated_absences(absences) -> None:
    """The week's duty points found unmanned on two or more visits, and who was rostered there (issue 16)."""
    if absences is None:
        return
    st.markdown(f"**{t('inspect.circular.repeated')}**")
    if absences.empty:
        st.caption(t("inspect.circular.repeated_none"))
        return
    shown = absences.assign(names=absences["names"].fillna("—"))
    text = lambda column, key, most=260: st.column_config.TextColumn(  # noqa: E731
        t(key), width=fit(t(key), shown[column].astype(str), most=most))
    st.dataframe(shown, hide_index=True, placeholder="—", width="stretch",
                 column_order=["name", "zone", "count", "names"],
                 column_config={"name": text("name", "inspect.col.point"), "zone": text("zone", "col.zone", 140),
                                "count": st.column_config.NumberColumn(t("inspect.col.absences"),
                                                                       width=fit(t("inspect.col.absences"))),
                                "names": text("names", "inspect.col.absent_names", 400)})


def circular_pdf(week: dict, language: str, area: str) -> bytes:
    from reports import pdf  # WeasyPrint is loaded when a PDF is asked for, not with the page

    return pdf.circular_pdf(week, language, area)  # the app's own database: its demo label


def show_circular(week: dict, area: str) -> None:
    """The weekly circular: a download, and a preview built with every stored text escaped (st.html
    sanitises it again)."""
    st.subheader(t("inspect.circular"))
    st.caption(t("inspect.circular.caption", start=fmt.day(week["start"]), end=fmt.day(week["end"]),
                 n=len(week["findings"])))
    show_repeated_absences(week.get("repeated_absences"))
    language = lang()  # the documents are made when downloaded, not on every run (a PDF takes a second)
    pdf_column, text_column = st.columns(2)
    problem = reports.unavailable("pdf")
    if problem:
        pdf_column.warning(t("report.no_pdf", reason=problem[0 if language == "zh" else 1]),
                           icon=":material/print_disabled:")
    else:
        pdf_column.download_button(t("inspect.circular.download"), lambda: circular_pdf(week, language, area),
                                   type="primary", file_name=f"circular_{week['end']:%Y%m%d}_{language}.pdf",
                                   mime=reports.MIME["pdf"], key="circular_download", icon=":material/download:",
                                   width="stretch")
    text_column.download_button(
        t("inspect.circular.download_text"),
        lambda: circular.circular_text(week, translator(language), area).encode("utf-8"),
        file_name=f"circular_{week['end']:%Y%m%d}_{language}.txt", mime=reports.MIME["txt"],
        key="circular_download_text", icon=":material/notes:", width="stretch")
    if st.toggle(t("inspect.circular.preview"), key="inspect_show_circular"):
        st.html(f"<style>{circular.PREVIEW_CSS}</style>"
                f"<div class='circular'>{circular.circular_body(week, t, area)}</div>")


def show(filters, data: dict) -> None:
    show_headline(data["summary"], filters)
    show_points(data["points"], data["days_chart"])
    show_findings(data["found"], data["owner_chart"])
    show_recent_visits(filters)
    show_circular(data["circular"], data["area"])


def main() -> None:
    run(settings, load, show)


if __name__ == "__main__":
    main()
