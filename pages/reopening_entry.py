"""复工审批登记: record the next step for one enterprise, offering only the steps its status allows."""
import pandas as pd
import streamlit as st

from data_access import reopening
from data_access import reopening_rules as rules
from data_access.models import DEPARTMENTS
from ui import entry, saving
from ui import errors as show_errors
from ui import format as fmt
from ui.data import read
from ui.guard import require_router
from ui.i18n import t

require_router()  # never run outside app.py's sign-in and role check

FLASH, PICKED, KEPT = "reopen_entry_flash", "reopen_entry_enterprise", "reopen_entry_kept"
OPEN, ALL = "open", "all"
KEEP = entry.KEEP
esc = show_errors.escape_markdown


def status_label(status: str) -> str:
    return t(f"reopen.status.{status}")


def enterprise_names(user, zone_id, pick_department, pick_status) -> dict[int, str]:
    """The enterprises the filters leave, as 'name · zone'. The one just recorded stays pickable even
    when its new status falls outside the filter, and labels never carry the status: a label that
    changes would drop the clerk's choice."""
    department = pick_department.selectbox(
        t("reopen.entry.department"), ["", *DEPARTMENTS], key="reopen_entry_dept", persist_state=KEEP,
        format_func=lambda d: t(f"reopen.dept.{d}") if d else t("reopen.entry.all_departments"),
        placeholder=t("widget.choose"))
    wanted = pick_status.selectbox(
        t("reopen.entry.status_filter"), [OPEN, ALL, *rules.STATUSES], key="reopen_entry_status", persist_state=KEEP,
        format_func=lambda s: t(f"reopen.entry.status_{s}") if s in (OPEN, ALL) else status_label(s),
        placeholder=t("widget.choose"))
    statuses = {OPEN: rules.UNFINISHED, ALL: ()}.get(wanted, (wanted,))
    choices = read(reopening.choices, user, zone_id, department or None, statuses)
    names = {int(i): f"{n} · {z}" for i, n, z in zip(choices["id"], choices["name"], choices["zone"])}
    current, kept = st.session_state.get(PICKED), st.session_state.get(KEPT, {})
    if current is not None and current not in names and current in kept:
        names[current] = kept[current]
    return names


def settings(user, zone_id) -> tuple[int | None, dict[int, str]]:
    """Which enterprise: a department, a status, then the enterprise itself."""
    pick_department, pick_status, pick_enterprise = st.columns([1, 1, 3], vertical_alignment="bottom")
    below = st.container()  # under the row: a note there keeps the row's fields on one line
    names = enterprise_names(user, zone_id, pick_department, pick_status)
    if not names:
        st.info(t("reopen.entry.none"))
        return None, names
    # beyond entry.PICKER_LIMIT (a city's zone has about 1,200 unfinished enterprises) a box finds them by name
    search_box, pick_box = (pick_enterprise.columns([2, 3]) if len(names) > entry.PICKER_LIMIT
                            else (None, pick_enterprise))
    offered = entry.bounded_options(names, "reopen_entry_search", search_box, st.session_state.get(PICKED),
                                    note=below)
    if not offered:
        pick_box.info(t("picker.none"))
        return None, names
    enterprise_id = pick_box.selectbox(t("reopen.entry.enterprise"), list(offered), index=None, key=PICKED,
                                       persist_state=KEEP, format_func=offered.get, placeholder=t("reopen.entry.pick"))
    return enterprise_id, names


def load(enterprise_id: int) -> tuple[dict, pd.DataFrame]:
    """What the clerk acts on is what was loaded: the enterprise (with its version) is kept until it
    is saved or reloaded, so a step someone else records meanwhile makes this save a refused stale form."""
    pinned = f"reopen_entry_loaded_{enterprise_id}"
    if pinned not in st.session_state:
        st.session_state[pinned] = reopening.detail(enterprise_id)
    return st.session_state[pinned], read(reopening.timeline, enterprise_id)


def reload(enterprise_id: int) -> None:
    entry.forget(f"re_{enterprise_id}_", f"reopen_entry_loaded_{enterprise_id}")


def show_card(card, info: dict) -> None:
    """The enterprise as loaded."""
    with card.container(border=True):
        st.subheader(esc(info["name"]))
        size = t("reopen.above_size") if info["above_size"] else t("reopen.below_size")
        st.caption(esc(t("reopen.entry.card", zone=info["zone"], department=t(f"reopen.dept.{info['department']}"),
                         size=size)))
        since = t("reopen.entry.since", day=fmt.day(info["since"])) if info["since"] else ""
        st.markdown(t("reopen.entry.status", status=status_label(info["status"]), since=since))
        st.markdown(esc(t("reopen.entry.owners", owner=info["owner"] or "—", backup=info["owner_backup"] or "—")))
        st.markdown(t("reopen.entry.employees", employees=fmt.num(info["employees"]),
                      outside=fmt.num(info["employees_from_outside"])))


def show_history(card, history: pd.DataFrame) -> None:
    with card.expander(t("reopen.entry.history") + f"（{len(history)}）", expanded=not history.empty):
        if history.empty:
            st.caption(t("reopen.no_steps"))
            return
        st.dataframe(
            history.assign(step=history["step"].map(lambda s: t(f"reopen.step.{s}")), reason=history["reason"].fillna(""),
                           result=[t("reopen.passed") if p is True else t("reopen.failed") if p is False else ""
                                   for p in history["passed"]]),
            hide_index=True, placeholder="—", width="stretch", column_order=["day", "step", "result", "reason", "recorded_by"],
            column_config={"day": st.column_config.DateColumn(t("reopen.col.day"), format="YYYY-MM-DD"),
                           "step": t("reopen.col.step"), "result": t("reopen.col.result"),
                           "reason": t("reopen.col.reason"), "recorded_by": t("reopen.col.recorded_by")},
        )


def pick_step(column, info: dict, prefix: str) -> str | None:
    """The steps the enterprise's status allows (a re-inspection named so)."""
    allowed = list(info["next_steps"])
    if not allowed:
        column.info(t("reopen.entry.no_next"))
        return None
    step = column.radio(t("reopen.entry.next"), allowed, key=f"{prefix}step", persist_state=KEEP, horizontal=True,
                        format_func=lambda s: t("reopen.entry.reinspection") if rules.is_reinspection(info["status"], s)
                        else t(f"reopen.step.{s}"))
    if info["status"] in rules.BEFORE_APPROVAL:  # approval lies ahead
        column.caption(t("reopen.entry.approval_needs"))
    return step


def count(column, label_key: str, key: str, value, fields: dict, boxes: dict, field: str) -> None:
    fields[field] = column.number_input(t(label_key), min_value=0, step=1, value=value, key=key, persist_state=KEEP)
    boxes[field] = column.empty()


def step_fields(step: str, info: dict, key: str, fields: dict, boxes: dict) -> None:
    """The fields this step needs, each with a box for its message under it."""
    if step in rules.CHECKS:
        fields["passed"] = st.radio(t("reopen.entry.result"), [True, False], index=None, horizontal=True,
                                    key=f"{key}passed", persist_state=KEEP,
                                    format_func=lambda p: t("reopen.passed") if p else t("reopen.failed"))
        boxes["passed"] = st.empty()
        st.caption(t("reopen.entry.fail_note"))
    if step == "phone_verified":
        called, problems = st.columns(2)
        count(called, "reopen.entry.called", f"{key}called", None, fields, boxes, "employees_called")
        count(problems, "reopen.entry.problems", f"{key}problems", 0, fields, boxes, "problems_found")
    if step == "letters_signed":
        st.markdown(t("reopen.entry.letters"))
        fields["letters"] = {}
        for letter in rules.LETTERS:
            fields["letters"][letter] = st.checkbox(t(f"reopen.letter.{letter}"), key=f"{key}letter_{letter}",
                                                    persist_state=KEEP)
            boxes[f"letter_{letter}"] = st.empty()
    if step == "approved":
        employees, outside = st.columns(2)
        count(employees, "reopen.entry.employees_back", f"{key}employees", int(info["employees"] or 0), fields, boxes,
              "employees")
        count(outside, "reopen.entry.outside_back", f"{key}outside", int(info["employees_from_outside"] or 0), fields,
              boxes, "employees_from_outside")
    if step in rules.CHECKS or step in rules.NEEDS_REASON:
        fields["reason"] = st.text_area(t("reopen.entry.reason"), key=f"{key}reason", persist_state=KEEP, max_chars=1000,
                                        height=80)
        boxes["reason"] = st.empty()


def step_form(column, step: str, info: dict, key: str, days: entry.Days, end):
    """The step's form: its day, its fields, a note; the values, the message boxes, whether submitted."""
    last = info["last_day"]
    fields, boxes = {}, {}
    with column.form(f"{key}form", border=True):
        boxes[None] = st.empty()
        fields["day"] = st.date_input(t("reopen.entry.day"), value=days.start(max(end, last or end)), min_value=days.first,
                                      max_value=days.today, key=f"{key}day", persist_state=KEEP, format="YYYY-MM-DD",
                                      help=t("reopen.entry.day_help", last=fmt.day(last)))
        boxes["day"] = st.empty()
        step_fields(step, info, key, fields, boxes)
        fields["note"] = st.text_area(t("reopen.entry.note"), key=f"{key}note", persist_state=KEEP, max_chars=1000,
                                      height=80)
        boxes["note"] = st.empty()
        submitted = st.form_submit_button(t("reopen.entry.save"), type="primary", key=f"{key}save", width="stretch")
    return fields, boxes, submitted


def show_step(column, user, enterprise_id: int, info: dict, name: str, days: entry.Days, end) -> None:
    """The next step: pick it, fill it in, save it."""
    prefix = f"re_{enterprise_id}_"
    step = pick_step(column, info, prefix)
    if step is None:
        return
    key = f"{prefix}{step}_"  # one set of fields per enterprise and step, so switching never mixes them up
    fields, boxes, submitted = step_form(column, step, info, key, days, end)
    general = boxes.pop(None)
    saving.unsaved_notice(f"{key}form", general, saving_now=submitted)
    if not submitted:
        return
    day = fields.pop("day")
    result = saving.attempt(f"{key}form", lambda: reopening.record_step(
        user.username, enterprise_id, step, day, info["version"], today=days.today, **fields),
        show=entry.field_refusal(general, boxes))
    if result is not None:
        st.session_state.setdefault(KEPT, {})[enterprise_id] = name
        reload(enterprise_id)
        entry.done(FLASH, t("reopen.entry.repeat") if result["repeat"] else
                   t("reopen.entry.saved", name=esc(info["name"]), status=status_label(result["status"])))


def main() -> None:
    user = entry.heading("reopen.entry.title", FLASH, intro_key="reopen.entry.intro", writers_only=True)
    filters, days = st.session_state["filters"], entry.days()
    enterprise_id, names = settings(user, filters.zone_id)
    if enterprise_id is None:
        return
    info, history = load(enterprise_id)
    card, form_column = st.columns([2, 3], gap="large")
    show_card(card, info)
    show_history(card, history)
    card.button(t("entry.reload"), key=f"re_{enterprise_id}_reload", on_click=reload, args=(enterprise_id,))
    show_step(form_column, user, enterprise_id, info, names[enterprise_id], days, filters.end)


if __name__ == "__main__":
    main()
