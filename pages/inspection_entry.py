"""巡察登记与整改销号: record a visit to a duty point (four checks, findings), close a finding."""
import datetime as dt

import pandas as pd
import streamlit as st

from data_access import clock, inspections, roster
from ui import entry, saving
from ui import errors as show_errors
from ui import inspection_pickers as pickers
from ui.data import read
from ui.guard import require_router
from ui.i18n import lang, t

require_router()

CHECKS = inspections.CHECKS
MAX_FINDINGS_ON_FORM = 10
FLASH, RECORD_FORM = "inspect_flash", "inspect_form"
KEEP = entry.KEEP
esc = show_errors.escape_markdown  # names are stored text: no Markdown formatting from them


def pick_point(names: dict[int, str], filtered_site: int | None) -> tuple[int | None, int]:
    """The duty point (the filter bar's site when it is one) and how many findings the form offers.
    Beyond entry.PICKER_LIMIT points (every zone of a city: 3,000) a box finds them by name."""
    if filtered_site in names and "inspect_site" not in st.session_state:
        st.session_state["inspect_site"] = filtered_site
    if len(names) > entry.PICKER_LIMIT:
        search_col, pick_col, count_col = st.columns([1, 2, 1])
    else:
        (pick_col, count_col), search_col = st.columns([3, 1]), None
    offered = entry.bounded_options(names, "inspect_site_search", search_col, st.session_state.get("inspect_site"))
    if st.session_state.get("inspect_site") not in offered:
        st.session_state.pop("inspect_site", None)
    if not offered:
        pick_col.info(t("picker.none"))
    site_id = pick_col.selectbox(t("inspect.col.point"), list(offered), format_func=offered.get, key="inspect_site",
                                 persist_state=KEEP, placeholder=t("widget.choose")) if offered else None
    count = count_col.number_input(t("inspect.entry.finding_count"), min_value=0, max_value=MAX_FINDINGS_ON_FORM,
                                   step=1, value=0, key="inspect_finding_count", persist_state=KEEP,
                                   help=t("inspect.entry.finding_count_help"))
    return site_id, int(count)


def finding_fields(n: int, day: dt.date, first_day: dt.date) -> dict:
    st.markdown(f"**{t('inspect.entry.finding', n=n + 1)}**")
    a, b, c = st.columns([3, 1, 1])
    prefix = f"{RECORD_FORM}_f{n}_"
    return {
        "description": a.text_input(t("inspect.col.description"), max_chars=2000, key=f"{prefix}description",
                                    persist_state=KEEP),
        "owner": b.text_input(t("inspect.col.owner"), max_chars=64, key=f"{prefix}owner", persist_state=KEEP),
        "due_on": c.date_input(t("inspect.col.due_on"), value=day + dt.timedelta(days=2), min_value=first_day,
                               format="YYYY-MM-DD", key=f"{prefix}due_on", persist_state=KEEP),
    }


def visit_form(user, count: int, days: entry.Days, end) -> tuple[dict, bool]:
    """A visit: day, inspector, the four checks, remarks and `count` findings; whether it was submitted."""
    with st.form(RECORD_FORM, border=True):
        left, right = st.columns(2)
        visit = {"day": left.date_input(t("col.day"), value=days.start(end), min_value=days.first, max_value=days.today,
                                        format="YYYY-MM-DD", key=f"{RECORD_FORM}_day", persist_state=KEEP),
                 "inspector": right.text_input(t("col.inspector"), value=user.display_name, max_chars=64,
                                               key=f"{RECORD_FORM}_inspector", persist_state=KEEP)}
        st.markdown(f"**{t('inspect.entry.checks')}**")
        visit["checks"] = {c: column.checkbox(t(f"col.{c}"), value=True, key=f"{RECORD_FORM}_{c}", persist_state=KEEP)
                           for c, column in zip(CHECKS, st.columns(len(CHECKS)))}
        visit["remarks"] = st.text_area(t("col.remarks"), max_chars=2000, key=f"{RECORD_FORM}_remarks",
                                        persist_state=KEEP, height=80)
        visit["findings"] = [finding_fields(n, visit["day"], days.first) for n in range(count)]
        submitted = st.form_submit_button(t("inspect.entry.save"), type="primary")
    return visit, submitted


def pick_shift(site_id: int, day: dt.date) -> int | None:
    """The shift the visit was on (the one on now, as a rule) and who was rostered on it there: with
    "staff at post" unticked, the save marks them away, so the inspector sees the names first."""
    shifts = read(roster.shifts)
    shifts = shifts[shifts["active"].astype(bool)] if "active" in shifts.columns else shifts
    if shifts.empty:
        return None
    names = {int(i): str(n) for i, n in zip(shifts["shift_id"], shifts["name"])}
    now = clock.now()
    minute = now.hour * 60 + now.minute
    current = next((int(i) for i, a, b in zip(shifts["shift_id"], shifts["start_minute"], shifts["end_minute"])
                    if a <= minute < b), next(iter(names)))
    if st.session_state.get("inspect_shift") not in names:
        st.session_state["inspect_shift"] = current
    pick_col, names_col = st.columns([1, 3], vertical_alignment="bottom")
    shift_id = pick_col.selectbox(t("inspect.entry.shift"), list(names), format_func=names.get, key="inspect_shift",
                                  help=t("inspect.entry.shift_help"), placeholder=t("widget.choose"))
    rostered = read(roster.rostered, site_id, day, shift_id)
    with names_col:
        if rostered.empty:
            st.caption(t("inspect.entry.rostered_none"))
        else:
            st.caption(t("inspect.entry.rostered", names=esc("、".join(rostered["name"].astype(str)) if lang() == "zh"
                                                              else ", ".join(rostered["name"].astype(str)))))
    return shift_id


def show_history(history: pd.DataFrame) -> None:
    st.markdown(f"**{t('inspect.entry.history')}**")
    if history.empty:
        st.caption(t("inspect.never"))
        return
    st.dataframe(history.fillna({"remarks": ""}), hide_index=True, placeholder="—", width="stretch", column_config={
        "day": st.column_config.DateColumn(t("col.day"), format="YYYY-MM-DD"),
        "inspector": st.column_config.TextColumn(t("col.inspector")),
        **{c: st.column_config.CheckboxColumn(t(f"col.{c}")) for c in CHECKS},
        # medium: a large column pushed the table past a 1366 px screen; a long remark shows in full on hover
        "remarks": st.column_config.TextColumn(t("col.remarks"), width="medium"),
    })


def show_record(user, filters, days: entry.Days) -> None:
    """Record a visit to a duty point."""
    names = read(pickers.point_names, user, filters.zone_id, lang())
    if not names:
        st.info(t("inspect.no_points"))
        return
    site_id, count = pick_point(names, filters.site_id)
    if site_id is None:
        return
    # the day the form holds (a form sends its fields only when saved): the roster of that day
    shift_id = pick_shift(site_id, st.session_state.get(f"{RECORD_FORM}_day") or days.start(filters.end))
    visit, submitted = visit_form(user, count, days, filters.end)
    record_box = st.container()
    saving.unsaved_notice(RECORD_FORM, record_box, saving_now=submitted)
    if submitted:
        result = saving.attempt(RECORD_FORM, lambda: inspections.record_inspection(
            user.username, site_id, visit["day"], visit["checks"], visit["inspector"], visit["remarks"] or None,
            visit["findings"], shift_id=shift_id), record_box)
        if result is not None:
            points = read(inspections.writable_points, user, filters.zone_id)
            name = esc(points.set_index("site_id").loc[site_id, "name"])
            # back to a blank form with no findings
            absent = result.get("absent") or []  # the shift's rostered people, now marked away
            message = t(f"inspect.entry.saved.{result['action']}", name=name, n=result["findings"]) + (
                t("inspect.entry.marked_absent", names=esc(("、" if lang() == "zh" else ", ").join(absent))) if absent else "")
            entry.done(FLASH, message,
                       f"{RECORD_FORM}_", "inspect_finding_count")
    show_history(read(inspections.site_history, site_id))


def closable(user, today: dt.date, zone_id: int | None) -> tuple[dict[int, dict], dict[int, str]]:
    """The findings this user may close (in the filter bar's zone), and their labels. The one the clerk has
    open stays on the form even if someone else closes it meanwhile: the save is then refused as stale,
    instead of the form silently moving to another finding."""
    details, labels = read(pickers.closable, user, today, zone_id, lang())
    picked = st.session_state.get("close_finding")
    if picked is not None and picked not in details and (still := inspections.finding_detail(picked)):
        details, labels = {picked: still, **details}, {picked: pickers.label(still, lang()), **labels}
    return details, labels


def show_finding(row: dict) -> None:
    box = st.container(border=True)
    box.caption(f"{t('inspect.col.point')}: {esc(row['site'])} · {t('col.zone')}: {esc(row['zone'])} · "
                f"{t('inspect.col.owner')}: {esc(row['owner'])} · {t('inspect.col.raised_on')}: {row['raised_on']} · "
                f"{t('inspect.col.due_on')}: {row['due_on']}")
    box.text(row["description"])  # plain text: stored text is shown exactly, never as markup


def show_close(user, days: entry.Days, end, zone_id: int | None) -> None:
    """Close a finding: when and how it was fixed."""
    details, labels = closable(user, days.today, zone_id)
    if not details:
        st.success(t("inspect.no_open"), icon=":material/check_circle:")
        return
    search_col, pick_col = st.columns([1, 2]) if len(labels) > entry.PICKER_LIMIT else (None, st)
    offered = entry.bounded_options(labels, "close_finding_search", search_col, st.session_state.get("close_finding"))
    if not offered:
        pick_col.info(t("picker.none"))
        return
    if st.session_state.get("close_finding") not in offered:
        st.session_state.pop("close_finding", None)
    finding_id = pick_col.selectbox(t("inspect.entry.pick_finding"), list(offered), format_func=offered.get,
                                    key="close_finding", persist_state=KEEP, placeholder=t("widget.choose"))
    row = details[finding_id]
    loaded_key = f"close_loaded_{finding_id}"
    # The version this form checks against is the one seen when the finding was first opened.
    st.session_state.setdefault(loaded_key, int(row["version"]))
    show_finding(row)
    form_key = f"close_form_{finding_id}"
    with st.form(form_key, border=True):
        fixed_on = st.date_input(t("inspect.col.fixed_on"), value=days.start(end), min_value=days.first,
                                 max_value=days.today, format="YYYY-MM-DD", key=f"{form_key}_fixed_on",
                                 persist_state=KEEP)
        note = st.text_area(t("inspect.col.fix_note"), max_chars=2000, key=f"{form_key}_note", persist_state=KEEP,
                            height=80)
        closed = st.form_submit_button(t("inspect.entry.close_save"), type="primary")
    close_box = st.container()
    saving.unsaved_notice(form_key, close_box, saving_now=closed)
    if closed:
        result = saving.attempt(form_key, lambda: inspections.close_finding(
            user.username, finding_id, fixed_on, note, st.session_state[loaded_key]),
            show=entry.refusal_with_reload(close_box, "close_reload", lambda: st.session_state.pop(loaded_key, None)))
        if result is not None:
            entry.done(FLASH, t("inspect.entry.closed", site=esc(row["site"])), None, loaded_key, "close_finding",
                       f"{form_key}_note")


def main() -> None:
    user = entry.heading("inspect.entry.title", FLASH)
    filters, days = st.session_state["filters"], entry.days()
    record_tab, close_tab = st.tabs([t("inspect.entry.record"), t("inspect.entry.close")])
    with record_tab:
        show_record(user, filters, days)
    with close_tab:
        show_close(user, days, filters.end, filters.zone_id)


if __name__ == "__main__":
    main()
