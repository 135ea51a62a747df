"""企业复工: where every enterprise stands, as of the filter bar's last day."""
import datetime as dt

import pandas as pd
import streamlit as st

from data_access import db, grain, reopening
from data_access import reopening_rules as rules
from data_access.errors import DataError, ValidationError
from data_access.models import DEPARTMENTS
from ui import errors as show_errors
from ui import format as fmt
from ui.charts import reopening as charts
from ui.data import read
from ui.i18n import lang, t
from ui.kpi import tile
from ui.session import actor
from ui.flash import show_once
from ui.grids import fit
from ui.guard import require_router
from ui.filter_bar import line_filters

require_router()  # never run outside app.py's sign-in and role check

TABLE_LIMIT = 500  # rows sent to the browser; the count above the table says how many there are
LIST_LIMIT = 100  # the longest-waiting stuck and suspended cases; the tiles count them all

filters = line_filters("reopening")  # this line's own "as of"
user = actor()
version = db.data_version()  # once per run: it keys this page's own caches of charts and tables
threshold = read(reopening.stuck_after_days)
# Labels looked up once per run: t() reads the session's language, too slow to call per table row.
STATUS_TEXT = {s: t(f"reopen.status.{s}") for s in rules.STATUSES}
STEP_TEXT = {s: t(f"reopen.step.{s}") for s in rules.STEPS}
DEPT_TEXT = {d: t(f"reopen.dept.{d}") for d in DEPARTMENTS}
status_label = lambda s: STATUS_TEXT.get(s, "—")  # noqa: E731
step_label = lambda s: STEP_TEXT.get(s, "—")  # noqa: E731
dept_label = lambda d: DEPT_TEXT.get(d, d)  # noqa: E731


@st.cache_data(max_entries=200, show_spinner=False)
def chart_spec(name: str, view, language: str, version: int) -> dict:
    """A chart's Vega-Lite spec, built (and schema-checked by Altair) once per view, language and data
    version: building and checking three charts costs more than the whole rest of a rerun."""
    if name == "funnel":
        steps = read(reopening.funnel, view)
        return charts.funnel(steps, {s: step_label(s) for s in steps["step"]}, t("reopen.enterprises")).to_dict()
    if name == "departments":
        frame = read(reopening.by_department, view)
        size = lambda above: t("reopen.above_size") if above else t("reopen.below_size")  # noqa: E731
        return charts.by_department(frame, lambda d, a: f"{dept_label(d)} · {size(a)}",
                                    {g: t(f"reopen.group.{g}") for g in rules.GROUPS}, t("reopen.enterprises"),
                                    t("reopen.col.status")).to_dict()
    frame = read(reopening.daily, view)
    kind = grain.grain_for(view.start, view.end)  # the read sums by the same grain
    approvals = t("reopen.approvals") if kind == "day" else t("reopen.approvals_by", unit=t(f"grain.unit.{kind}"))
    return charts.over_time(frame, approvals, t("reopen.employees_back"), t(f"grain.axis.{kind}")).to_dict()


def chart(where, name: str) -> None:
    where.vega_lite_chart(chart_spec(name, filters, lang(), version), width="stretch")

st.title(t("reopen.title"))
st.caption(t("reopen.as_of", day=fmt.day(filters.end, weekday=True), days=threshold))
show_once("reopen_flash")

# ---- headline figures ---------------------------------------------------------------------------
figures = read(reopening.summary, filters, threshold)
tiles = st.columns(6)
tile(tiles[0], t("reopen.approved"), figures["approved"])  # its "?" sits by the caption: the label is read whole
tiles[0].caption(t("reopen.approved_caption", above=fmt.num(figures["approved_above_size"]),
                   today=fmt.num(figures["approved_on_day"])), help=t("reopen.approved_help"))
tile(tiles[1], t("reopen.employees"), figures["employees"])
tiles[1].caption(t("reopen.employees_caption", enterprises=fmt.num(figures["approved"])))
tile(tiles[2], t("reopen.outside"), figures["employees_from_outside"])
tiles[2].caption(t("reopen.outside_caption", share=fmt.percent(figures["employees_from_outside"], figures["employees"])))
tile(tiles[3], t("reopen.in_progress"), figures["in_progress"])
tiles[3].caption(t("reopen.in_progress_caption", not_applied=fmt.num(figures["not_applied"]),
                   refused=fmt.num(figures["refused"])))
tile(tiles[4], t("reopen.suspended"), figures["suspended"])
tiles[4].caption(t("reopen.suspended_caption"))
tile(tiles[5], t("reopen.stuck"), figures["stuck"])
tiles[5].caption(t("reopen.stuck_caption", days=threshold))

# ---- where they stand ---------------------------------------------------------------------------
left, right = st.columns(2)
left.subheader(t("reopen.funnel"))
chart(left, "funnel")
right.subheader(t("reopen.by_department"))
chart(right, "departments")
kind = grain.grain_for(filters.start, filters.end)
st.subheader(t("reopen.over_time") if kind == "day" else t("reopen.over_time_by", unit=t(f"grain.unit.{kind}")))
if kind != "day":
    st.caption(t("grain.note", days=fmt.num(filters.days()), unit=t(f"grain.unit.{kind}")))
chart(st, "over_time")


# ---- what needs attention -----------------------------------------------------------------------
def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """Codes to words for display (a copy: cached frames are never changed in place)."""
    shown = frame.copy()
    shown["department"] = shown["department"].map(DEPT_TEXT)
    shown["status"] = shown["status"].map(STATUS_TEXT)
    reinspection = t("reopen.entry.reinspection")
    shown["next_step"] = [reinspection if rules.is_reinspection(s, n) else step_label(n)
                          for s, n in zip(frame["status"], frame["next_step"])]
    # Dates as text, so a missing one reads "—" rather than Streamlit's grey "None"
    for name in ("since", "suspended_on"):
        if name in shown:
            shown[name] = [fmt.day(d) if isinstance(d, dt.date) else "—" for d in shown[name]]
    shown["days"] = shown["days"].astype("Int64")
    for name in ("owner", "owner_backup", "reason"):
        if name in shown:
            shown[name] = shown[name].fillna("—")
    if "owner" in shown:  # the A/B pair (AB角) in one column: "鞠连生 / 王凤英"
        backup = shown["owner_backup"] if "owner_backup" in shown else ["—"] * len(shown)
        shown["owners"] = [a if b in (None, "—") else f"{a} / {b}" for a, b in zip(shown["owner"], backup)]
    return shown


@st.cache_data(max_entries=200, show_spinner=False)
def table_view(name: str, view, extra: tuple, language: str, version: int) -> pd.DataFrame:
    """A table ready to show, labelled once per view, language and data version (not on every rerun)."""
    source = {"stuck": reopening.stuck, "suspended": reopening.suspended, "table": reopening.enterprises}[name]
    return labelled(read(source, view, *extra))


def show_view(name: str, extra: tuple = ()) -> pd.DataFrame:
    return table_view(name, filters, extra, lang(), version)


WIDEST = {"name": 180, "next_step": 140, "reason": 200}  # longer texts are cut (and shown whole on a click)


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


NUMBERS = ("employees", "employees_from_outside", "days")


# Full width: names, reasons and owners must be readable from across the room
st.subheader(t("reopen.stuck_list"))
stuck = show_view("stuck", (threshold, LIST_LIMIT))
if stuck.empty:
    st.success(t("reopen.no_stuck", days=threshold), icon=":material/check_circle:")
else:
    if figures["stuck"] > len(stuck):
        st.caption(t("reopen.list_limited", n=fmt.num(figures["stuck"]), shown=len(stuck)))
    order = ["name", "zone", "status", "days", "next_step", "owners"]
    st.dataframe(stuck, hide_index=True, width="stretch", placeholder="—", column_order=order,
                 column_config=column_config(order, stuck), height=min(420, 38 + 35 * len(stuck)))

st.subheader(t("reopen.suspended_list"))
suspended = show_view("suspended", (LIST_LIMIT,))
if suspended.empty:
    st.success(t("reopen.no_suspended"), icon=":material/check_circle:")
else:
    if figures["suspended"] > len(suspended):
        st.caption(t("reopen.list_limited", n=fmt.num(figures["suspended"]), shown=len(suspended)))
    order = ["name", "suspended_on", "reason", "status", "owners"]  # their next step is the re-inspection
    st.dataframe(suspended, hide_index=True, width="stretch", placeholder="—", column_order=order,
                 column_config=column_config(order, suspended), height=min(420, 38 + 35 * len(suspended)))

# ---- every enterprise, and one enterprise's steps -----------------------------------------------
st.subheader(t("reopen.table"))
pick_status, pick_department, count_box = st.columns([3, 2, 1])
statuses = tuple(pick_status.multiselect(t("reopen.filter_status"), rules.STATUSES, key="reopen_f_status",
                                         format_func=status_label, placeholder=t("reopen.all_statuses")))
chosen_departments = tuple(pick_department.multiselect(t("reopen.filter_department"), DEPARTMENTS,
                                                       key="reopen_f_dept", format_func=dept_label,
                                                       placeholder=t("reopen.entry.all_departments")))
total = read(reopening.count_enterprises, filters, statuses, chosen_departments)
table = show_view("table", (statuses, chosen_departments, TABLE_LIMIT))
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
if rows and rows[0] < len(table):
    chosen = table.iloc[rows[0]]
    st.markdown("##### " + show_errors.escape_markdown(t("reopen.timeline", name=chosen["name"])))
    steps_done = read(reopening.timeline, int(chosen["enterprise_id"]), filters.end)
    if steps_done.empty:
        st.info(t("reopen.no_steps"))
    else:
        shown = steps_done.assign(
            step=steps_done["step"].map(step_label),
            result=[t("reopen.passed") if p is True else t("reopen.failed") if p is False else "" for p in steps_done["passed"]],
            reason=steps_done["reason"].fillna(""), note=steps_done["note"].fillna(""),
        )
        order = ["day", "step", "result", "employees_called", "problems_found", "reason", "note", "recorded_by",
                 "recorded_at"]
        config = {name: st.column_config.TextColumn(t(f"reopen.col.{name}")) for name in order}
        config["day"] = st.column_config.DateColumn(t("reopen.col.day"), format="YYYY-MM-DD")
        config["recorded_at"] = st.column_config.DatetimeColumn(t("reopen.col.recorded_at"), format="YYYY-MM-DD HH:mm")
        for name in ("employees_called", "problems_found"):
            config[name] = st.column_config.NumberColumn(t(f"reopen.col.{name}"), format="%d")
        st.dataframe(shown, hide_index=True, width="stretch", placeholder="—", column_order=order, column_config=config)
else:
    st.caption(t("reopen.timeline_pick"))

# ---- the stuck threshold: administrators only ---------------------------------------------------
if user is not None and user.role == "admin":
    with st.expander(t("reopen.settings")):
        with st.form("reopen_settings", border=False):
            days_value = st.number_input(t("reopen.settings_field"), min_value=1, max_value=reopening.STUCK_MAX,
                                         value=threshold, step=1, key="reopen_threshold")
            field_box = st.empty()
            if st.form_submit_button(t("reopen.settings_save"), key="reopen_threshold_save"):
                try:
                    saved = reopening.set_stuck_after_days(user.username, days_value, expected=threshold)
                except ValidationError as error:
                    field_box.error("  \n".join(show_errors.escape_markdown(e.text(lang())) for e in error.errors), icon=":material/error:")
                except DataError as error:
                    show_errors.show(error, field_box)
                else:
                    st.session_state["reopen_flash"] = t("reopen.settings_saved", days=saved)
                    st.rerun()
