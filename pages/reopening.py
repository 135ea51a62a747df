"""企业复工: where every enterprise stands, as of the filter bar's last day."""
import pandas as pd
import streamlit as st

from data_access import grain, reopening
from data_access import reopening_rules as rules
from data_access.errors import DataError, ValidationError
from data_access.models import DEPARTMENTS
from ui import errors as show_errors
from ui import format as fmt
from ui import reopening_lists as lists
from ui.charts import reopening as charts
from ui.data import chart_spec, read
from ui.i18n import lang, t
from ui.kpi import tile
from ui.page import run
from ui.session import actor
from ui.flash import show_once
from ui.grids import fit
from ui.guard import require_router
from ui.filter_bar import line_filters

require_router()  # never run outside app.py's sign-in and role check

TABLE_LIMIT = 500  # rows sent to the browser; the count above the table says how many there are
LIST_LIMIT = 100  # the longest-waiting stuck and suspended cases; the tiles count them all
WIDEST = {"name": 180, "next_step": 140, "reason": 200}  # longer texts are cut (and shown whole on a click)
NUMBERS = ("employees", "employees_from_outside", "days")


def labels() -> dict[str, dict[str, str]]:
    """Codes to words in the session's language, looked up once per run."""
    return lists.labels(lang())


# ---- settings → load → show ---------------------------------------------------------------------

def settings() -> dict:
    """The filter bar's view (as of this line's own day), who is signed in (administrators set the stuck
    threshold), the chart's grain (per day, or per week, month or year over a long range) and the labels.
    The list of every enterprise has its own filters, drawn with the list."""
    filters = line_filters("reopening")
    st.title(t("reopen.title"))
    return {"filters": filters, "user": actor(), "kind": grain.grain_for(filters.start, filters.end),
            "labels": labels()}


def chart_specs(view: dict) -> dict:
    filters, kind, text = view["filters"], view["kind"], view["labels"]
    # the read sums by the same grain
    approvals = t("reopen.approvals") if kind == "day" else t("reopen.approvals_by", unit=t(f"grain.unit.{kind}"))
    return {
        "funnel_chart": chart_spec(charts.funnel, reopening.funnel, (filters,), step_labels=text["step"],
                                   count_label=t("reopen.enterprises")),
        "departments_chart": chart_spec(
            charts.by_department, reopening.by_department, (filters,), department_labels=text["department"],
            above_label=t("reopen.above_size"), below_label=t("reopen.below_size"),
            group_labels={g: t(f"reopen.group.{g}") for g in rules.GROUPS}, count_label=t("reopen.enterprises"),
            legend_title=t("reopen.col.status")),
        "over_time_chart": chart_spec(charts.over_time, reopening.daily, (filters,), approvals_label=approvals,
                                      employees_label=t("reopen.employees_back"),
                                      day_label=t(f"grain.axis.{kind}")),
    }


def load(view: dict) -> dict:
    filters = view["filters"]
    threshold = read(reopening.stuck_after_days)
    return {
        "threshold": threshold,
        "figures": read(reopening.summary, filters, threshold),
        **chart_specs(view),
        "stuck": read(lists.shown, "stuck", (filters, threshold, LIST_LIMIT), lang()),  # in words
        "suspended": read(lists.shown, "suspended", (filters, LIST_LIMIT), lang()),
    }


# ---- headline figures ---------------------------------------------------------------------------

def show_tiles(figures: dict, threshold: int) -> None:
    tiles = st.columns(6)
    tile(tiles[0], t("reopen.approved"), figures["approved"])  # its "?" sits by the caption: the label is read whole
    tiles[0].caption(t("reopen.approved_caption", above=fmt.num(figures["approved_above_size"]),
                       today=fmt.num(figures["approved_on_day"])), help=t("reopen.approved_help"))
    tile(tiles[1], t("reopen.employees"), figures["employees"])
    tiles[1].caption(t("reopen.employees_caption", enterprises=fmt.num(figures["approved"])))
    tile(tiles[2], t("reopen.outside"), figures["employees_from_outside"])
    tiles[2].caption(t("reopen.outside_caption",
                       share=fmt.percent(figures["employees_from_outside"], figures["employees"])))
    tile(tiles[3], t("reopen.in_progress"), figures["in_progress"])
    tiles[3].caption(t("reopen.in_progress_caption", not_applied=fmt.num(figures["not_applied"]),
                       refused=fmt.num(figures["refused"])))
    tile(tiles[4], t("reopen.suspended"), figures["suspended"])
    tiles[4].caption(t("reopen.suspended_caption"))
    tile(tiles[5], t("reopen.stuck"), figures["stuck"])
    tiles[5].caption(t("reopen.stuck_caption", days=threshold))


# ---- where they stand ---------------------------------------------------------------------------

def show_charts(view: dict, data: dict) -> None:
    left, right = st.columns(2)
    left.subheader(t("reopen.funnel"))
    left.vega_lite_chart(data["funnel_chart"], width="stretch")
    right.subheader(t("reopen.by_department"))
    right.vega_lite_chart(data["departments_chart"], width="stretch")
    kind, filters = view["kind"], view["filters"]
    st.subheader(t("reopen.over_time") if kind == "day" else t("reopen.over_time_by", unit=t(f"grain.unit.{kind}")))
    if kind != "day":
        st.caption(t("grain.note", days=fmt.num(filters.days()), unit=t(f"grain.unit.{kind}")))
    st.vega_lite_chart(data["over_time_chart"], width="stretch")


# ---- what needs attention -----------------------------------------------------------------------

def column_config(names, frame: pd.DataFrame) -> dict:
    """Each column as wide as its header and its longest value (当前状态, owners): nothing clipped where
    there is room, no column wider than it needs, so a laptop shows them all."""
    def width(name: str) -> int:
        if name in NUMBERS:
            values = [fmt.num(None if pd.isna(v) else v) for v in frame.get(name, [])]
        else:
            values = frame[name].astype(str) if name in frame else []
        return fit(t(f"reopen.col.{name}"), values, most=WIDEST.get(name, 400))

    config = {name: st.column_config.TextColumn(t(f"reopen.col.{name}"), width=width(name)) for name in names}
    config["name"] = st.column_config.TextColumn(t("reopen.col.name"), width=width("name"), pinned=True)
    for name in NUMBERS:
        if name in names:
            config[name] = st.column_config.NumberColumn(t(f"reopen.col.{name}"), format="localized", width=width(name))
    if "above_size" in names:
        config["above_size"] = st.column_config.CheckboxColumn(t("reopen.col.above_size"),
                                                               width=fit(t("reopen.col.above_size")))
    return config


def show_list(shown: pd.DataFrame, counted: int, order: list[str], all_clear: str) -> None:
    """A list of cases that need attention, longest waiting first, or that there are none."""
    if shown.empty:
        st.success(all_clear, icon=":material/check_circle:")
        return
    if counted > len(shown):
        st.caption(t("reopen.list_limited", n=fmt.num(counted), shown=len(shown)))
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="—", column_order=order,
                 column_config=column_config(order, shown), height=min(420, 38 + 35 * len(shown)))


def show_attention(view: dict, data: dict) -> None:
    """Full width: names, reasons and owners must be readable from across the room."""
    figures, threshold = data["figures"], data["threshold"]
    st.subheader(t("reopen.stuck_list"))
    show_list(data["stuck"], figures["stuck"],
              ["name", "zone", "status", "days", "next_step", "owners"], t("reopen.no_stuck", days=threshold))
    st.subheader(t("reopen.suspended_list"))
    # their next step is the re-inspection
    show_list(data["suspended"], figures["suspended"],
              ["name", "suspended_on", "reason", "status", "owners"], t("reopen.no_suspended"))


# ---- every enterprise, and one enterprise's steps -----------------------------------------------

def table_filters(text: dict):
    """The list's own filters, with the count they select beside them: (statuses, departments, count box)."""
    pick_status, pick_department, count_box = st.columns([3, 2, 1])
    statuses = tuple(pick_status.multiselect(t("reopen.filter_status"), rules.STATUSES, key="reopen_f_status",
                                             format_func=lambda s: text["status"].get(s, "—"),
                                             placeholder=t("reopen.all_statuses")))
    departments = tuple(pick_department.multiselect(t("reopen.filter_department"), DEPARTMENTS, key="reopen_f_dept",
                                                    format_func=lambda d: text["department"].get(d, d),
                                                    placeholder=t("reopen.entry.all_departments")))
    return statuses, departments, count_box


def show_table(view: dict) -> pd.DataFrame:
    """Every enterprise the list's filters select (the first TABLE_LIMIT), one row selectable; the row picked."""
    st.subheader(t("reopen.table"))
    filters = view["filters"]
    statuses, departments, count_box = table_filters(view["labels"])
    total = read(reopening.count_enterprises, filters, statuses, departments)
    table = read(lists.shown, "enterprises", (filters, statuses, departments, TABLE_LIMIT), lang())
    count_box.metric(t("reopen.enterprises"), fmt.num(total))
    if total > len(table):
        st.caption(t("reopen.table_limited", n=fmt.num(total), shown=fmt.num(len(table))))
    # Where each stands, who answers for it, where it is: what fits a laptop (1366 px) without sideways
    # scrolling. The department is the filter above; the day a case entered its step and the employees
    # called are in its step history below; the employees back are the tiles' and the wall's.
    order = ["name", "status", "days", "next_step", "owners", "zone", "above_size"]
    picked = st.dataframe(table, key="reopen_table", on_select="rerun", selection_mode="single-row",
                          hide_index=True, width="stretch", placeholder="—", column_order=order,
                          column_config=column_config(order, table), height=420)
    rows = picked.selection.rows if picked else []
    return table.iloc[rows[0]] if rows and rows[0] < len(table) else None


def timeline_columns(order: list[str]) -> dict:
    config = {name: st.column_config.TextColumn(t(f"reopen.col.{name}")) for name in order}
    config["day"] = st.column_config.DateColumn(t("reopen.col.day"), format="YYYY-MM-DD")
    config["recorded_at"] = st.column_config.DatetimeColumn(t("reopen.col.recorded_at"), format="YYYY-MM-DD HH:mm")
    for name in ("employees_called", "problems_found"):
        config[name] = st.column_config.NumberColumn(t(f"reopen.col.{name}"), format="%d")
    return config


def show_timeline(chosen, view: dict) -> None:
    """The steps recorded for the enterprise picked in the list, up to the filter bar's day."""
    if chosen is None:
        st.caption(t("reopen.timeline_pick"))
        return
    st.markdown("##### " + show_errors.escape_markdown(t("reopen.timeline", name=chosen["name"])))
    steps_done = read(reopening.timeline, int(chosen["enterprise_id"]), view["filters"].end)
    if steps_done.empty:
        st.info(t("reopen.no_steps"))
        return
    step_text = view["labels"]["step"]
    shown = steps_done.assign(
        step=steps_done["step"].map(lambda s: step_text.get(s, "—")),
        result=[t("reopen.passed") if p is True else t("reopen.failed") if p is False else ""
                for p in steps_done["passed"]],
        reason=steps_done["reason"].fillna(""), note=steps_done["note"].fillna(""),
    )
    order = ["day", "step", "result", "employees_called", "problems_found", "reason", "note", "recorded_by",
             "recorded_at"]
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="—", column_order=order,
                 column_config=timeline_columns(order))


# ---- the stuck threshold: administrators only ---------------------------------------------------

def show_threshold_form(user, threshold: int) -> None:
    with st.expander(t("reopen.settings")):
        with st.form("reopen_settings", border=False):
            days_value = st.number_input(t("reopen.settings_field"), min_value=1, max_value=reopening.STUCK_MAX,
                                         value=threshold, step=1, key="reopen_threshold")
            field_box = st.empty()
            if st.form_submit_button(t("reopen.settings_save"), key="reopen_threshold_save"):
                try:
                    saved = reopening.set_stuck_after_days(user.username, days_value, expected=threshold)
                except ValidationError as error:
                    field_box.error("  \n".join(show_errors.escape_markdown(e.text(lang())) for e in error.errors),
                                    icon=":material/error:")
                except DataError as error:
                    show_errors.show(error, field_box)
                else:
                    st.session_state["reopen_flash"] = t("reopen.settings_saved", days=saved)
                    st.rerun()


def show(view: dict, data: dict) -> None:
    st.caption(t("reopen.as_of", day=fmt.day(view["filters"].end, weekday=True), days=data["threshold"]))
    show_once("reopen_flash")
    show_tiles(data["figures"], data["threshold"])
    show_charts(view, data)
    show_attention(view, data)
    show_timeline(show_table(view), view)
    user = view["user"]
    if user is not None and user.role == "admin":
        show_threshold_form(user, data["threshold"])


def main() -> None:
    run(settings, load, show)


if __name__ == "__main__":
    main()
