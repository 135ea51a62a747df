"""复工审批登记: record the next step for one enterprise, offering only the steps its status allows."""
import datetime as dt

import streamlit as st

from data_access import reopening, territory
from data_access import reopening_rules as rules
from data_access.errors import DataError, ValidationError
from data_access.models import DEPARTMENTS
from ui import errors as show_errors
from ui import saving
from ui import format as fmt
from ui.data import read
from ui.i18n import lang, t
from ui.session import actor
from ui.flash import show_once
from ui.guard import require_router

require_router()  # never run outside app.py's sign-in and role check

user = actor()
filters = st.session_state["filters"]
today = dt.date.today()
first_day = read(territory.season_start)
KEEP = "session"  # typed values outlive runs that do not draw them (an outage screen)
esc = show_errors.escape_markdown
status_label = lambda s: t(f"reopen.status.{s}")  # noqa: E731

st.title(t("reopen.entry.title"))
st.caption(t("reopen.entry.intro"))
if user is None or not user.writes:
    st.error(t("error.not_allowed"))
    st.stop()

show_once("reopen_entry_flash")

# ---- which enterprise -----------------------------------------------------------------------------
OPEN, ALL = "open", "all"
pick_department, pick_status, pick_enterprise = st.columns([1, 1, 3], vertical_alignment="bottom")
department = pick_department.selectbox(t("reopen.entry.department"), ["", *DEPARTMENTS], key="reopen_entry_dept", persist_state=KEEP,
                                       format_func=lambda d: t(f"reopen.dept.{d}") if d else t("reopen.entry.all_departments"),
                                       placeholder=t("widget.choose"))
wanted = pick_status.selectbox(t("reopen.entry.status_filter"), [OPEN, ALL, *rules.STATUSES], key="reopen_entry_status", persist_state=KEEP,
                               format_func=lambda s: t(f"reopen.entry.status_{s}") if s in (OPEN, ALL) else status_label(s),
                               placeholder=t("widget.choose"))
statuses = {OPEN: rules.UNFINISHED, ALL: ()}.get(wanted, (wanted,))
choices = read(reopening.choices, user, filters.zone_id, department or None, statuses)
names = dict(zip(choices["id"].tolist(),
                 [f"{n} · {z}" for n, z in zip(choices["name"].tolist(), choices["zone"].tolist())]))
# The enterprise just recorded stays pickable even when its new status falls outside the filter,
# and labels never carry the status: a label that changes would drop the clerk's choice.
current = st.session_state.get("reopen_entry_enterprise")
kept = st.session_state.get("reopen_entry_kept", {})
if current is not None and current not in names and current in kept:
    names[current] = kept[current]
if not names:
    st.info(t("reopen.entry.none"))
    st.stop()
enterprise_id = pick_enterprise.selectbox(t("reopen.entry.enterprise"), list(names), index=None, key="reopen_entry_enterprise", persist_state=KEEP,
                                          format_func=names.get, placeholder=t("reopen.entry.pick"))
if enterprise_id is None:
    st.stop()

# What the clerk acts on is what was loaded: the enterprise (with its version) is kept until it is
# saved or reloaded, so a step someone else records meanwhile makes this save a refused stale form.
pinned = f"reopen_entry_loaded_{enterprise_id}"
if pinned not in st.session_state:
    st.session_state[pinned] = reopening.detail(enterprise_id)
info = st.session_state[pinned]
prefix = f"re_{enterprise_id}_"


def reload() -> None:
    for key in [k for k in st.session_state if str(k).startswith(prefix) or k == pinned]:
        del st.session_state[key]


# ---- the enterprise as loaded ---------------------------------------------------------------------
card, form_column = st.columns([2, 3], gap="large")
with card.container(border=True):
    st.subheader(esc(info["name"]))
    size = t("reopen.above_size") if info["above_size"] else t("reopen.below_size")
    st.caption(esc(t("reopen.entry.card", zone=info["zone"], department=t(f"reopen.dept.{info['department']}"), size=size)))
    since = t("reopen.entry.since", day=fmt.day(info["since"])) if info["since"] else ""
    st.markdown(t("reopen.entry.status", status=status_label(info["status"]), since=since))
    st.markdown(esc(t("reopen.entry.owners", owner=info["owner"] or "—", backup=info["owner_backup"] or "—")))
    st.markdown(t("reopen.entry.employees", employees=fmt.num(info["employees"]), outside=fmt.num(info["employees_from_outside"])))
history = read(reopening.timeline, enterprise_id)
with card.expander(t("reopen.entry.history") + f"（{len(history)}）", expanded=not history.empty):
    if history.empty:
        st.caption(t("reopen.no_steps"))
    else:
        st.dataframe(
            history.assign(step=history["step"].map(lambda s: t(f"reopen.step.{s}")), reason=history["reason"].fillna(""),
                           result=[t("reopen.passed") if p is True else t("reopen.failed") if p is False else ""
                                   for p in history["passed"]]),
            hide_index=True, placeholder="—", width="stretch", column_order=["day", "step", "result", "reason", "recorded_by"],
            column_config={"day": st.column_config.DateColumn(t("reopen.col.day"), format="YYYY-MM-DD"),
                           "step": t("reopen.col.step"), "result": t("reopen.col.result"),
                           "reason": t("reopen.col.reason"), "recorded_by": t("reopen.col.recorded_by")},
        )
card.button(t("entry.reload"), key=f"{prefix}reload", on_click=reload)

# ---- the next step --------------------------------------------------------------------------------
allowed = list(info["next_steps"])
if not allowed:
    form_column.info(t("reopen.entry.no_next"))
    st.stop()
step_name = lambda s: t("reopen.entry.reinspection") if rules.is_reinspection(info["status"], s) \
    else t(f"reopen.step.{s}")  # noqa: E731
step = form_column.radio(t("reopen.entry.next"), allowed, key=f"{prefix}step", persist_state=KEEP, format_func=step_name, horizontal=True)
if info["status"] in rules.BEFORE_APPROVAL:  # approval lies ahead
    form_column.caption(t("reopen.entry.approval_needs"))

last = info["last_day"]
default_day = min(max(filters.end, last or filters.end, first_day), today)
key = f"{prefix}{step}_"  # one set of fields per enterprise and step, so switching never mixes them up
boxes: dict[str, object] = {}
with form_column.form(f"{key}form", border=True):
    general = st.empty()
    day = st.date_input(t("reopen.entry.day"), value=default_day, min_value=first_day, max_value=today, key=f"{key}day", persist_state=KEEP, format="YYYY-MM-DD",
                        help=t("reopen.entry.day_help", last=fmt.day(last)))
    boxes["day"] = st.empty()
    fields = {}
    if step in rules.CHECKS:
        fields["passed"] = st.radio(t("reopen.entry.result"), [True, False], index=None, horizontal=True,
                                    key=f"{key}passed", persist_state=KEEP,
                                    format_func=lambda p: t("reopen.passed") if p else t("reopen.failed"))
        boxes["passed"] = st.empty()
        st.caption(t("reopen.entry.fail_note"))
    if step == "phone_verified":
        called, problems = st.columns(2)
        fields["employees_called"] = called.number_input(t("reopen.entry.called"), min_value=0, step=1, value=None,
                                                         key=f"{key}called", persist_state=KEEP)
        boxes["employees_called"] = called.empty()
        fields["problems_found"] = problems.number_input(t("reopen.entry.problems"), min_value=0, step=1, value=0,
                                                         key=f"{key}problems", persist_state=KEEP)
        boxes["problems_found"] = problems.empty()
    if step == "letters_signed":
        st.markdown(t("reopen.entry.letters"))
        fields["letters"] = {}
        for letter in rules.LETTERS:
            fields["letters"][letter] = st.checkbox(t(f"reopen.letter.{letter}"), key=f"{key}letter_{letter}", persist_state=KEEP)
            boxes[f"letter_{letter}"] = st.empty()
    if step == "approved":
        employees, outside = st.columns(2)
        fields["employees"] = employees.number_input(t("reopen.entry.employees_back"), min_value=0, step=1,
                                                     value=int(info["employees"] or 0), key=f"{key}employees", persist_state=KEEP)
        boxes["employees"] = employees.empty()
        fields["employees_from_outside"] = outside.number_input(t("reopen.entry.outside_back"), min_value=0, step=1,
                                                                value=int(info["employees_from_outside"] or 0),
                                                                key=f"{key}outside", persist_state=KEEP)
        boxes["employees_from_outside"] = outside.empty()
    if step in rules.CHECKS or step in rules.NEEDS_REASON:
        fields["reason"] = st.text_area(t("reopen.entry.reason"), key=f"{key}reason", persist_state=KEEP, max_chars=1000, height=80)
        boxes["reason"] = st.empty()
    fields["note"] = st.text_area(t("reopen.entry.note"), key=f"{key}note", persist_state=KEEP, max_chars=1000, height=80)
    boxes["note"] = st.empty()
    submitted = st.form_submit_button(t("reopen.entry.save"), type="primary", key=f"{key}save", width="stretch")


def show_refusal(error: DataError) -> None:
    """Each message under the field it names; anything else (the step, rights, a stale form) on top."""
    if not isinstance(error, ValidationError):
        show_errors.show(error, general)
        return
    loose = []
    for item in error.errors:
        target = boxes.get(item.field)
        if target is None:
            loose.append(item)
        else:
            target.error(esc(item.text(lang())), icon=":material/error:")
    if loose:
        general.error(t("common.nothing_saved") + "  \n" + "  \n".join(esc(i.text(lang())) for i in loose), icon=":material/error:")
    else:
        general.error(t("common.nothing_saved"), icon=":material/error:")


saving.unsaved_notice(f"{key}form", general, saving_now=submitted)
if submitted:
    result = saving.attempt(f"{key}form", lambda: reopening.record_step(
        user.username, enterprise_id, step, day, info["version"], today=today, **fields), show=show_refusal)
    if result is not None:
        message = t("reopen.entry.repeat") if result["repeat"] else \
            t("reopen.entry.saved", name=esc(info["name"]), status=status_label(result["status"]))
        st.session_state["reopen_entry_flash"] = message
        st.session_state.setdefault("reopen_entry_kept", {})[enterprise_id] = names[enterprise_id]
        reload()
        st.rerun()
