"""卡口日报填报: one grid of every checkpoint in the clerk's scope for one day, plus file upload.

What the clerk types survives anything that is not a save: a refusal, a busy database, an outage
screen of any length (ui.kept_editor for the grid, persist_state for the other fields).
"""
import datetime as dt

import pandas as pd
import streamlit as st

from data_access import completeness, traffic, traffic_entry as reports
from data_access.errors import ValidationError
from ui import entry
from ui import errors as show_errors
from ui import format as fmt
from ui import kept_editor, saving
from ui.grid_keys import keep_keystrokes
from ui.data import read
from ui.filter_bar import EXPLICIT, focus_note
from ui.grids import as_cell, as_count, grid_height, traffic_entry_columns as grid_columns
from ui.i18n import lang, t
from ui.guard import require_router

require_router()

COUNTS = list(reports.COUNT_FIELDS)
FLASH, FORM = "entry_flash", "traffic_entry"
KEEP = entry.KEEP  # typed values outlive runs that do not draw them (an outage screen)
SUPERVISORS = ("admin", "supervisor")
# The grid holds the checkpoints of the filter bar's work zone (a zone has about 170 at city size);
# with every zone it holds them all only up to this many: a city's 1,000 rows cannot be typed in one
# grid (and cost a second per rerun), so then a zone is asked for, one zone at a time (or a file).
GRID_LIMIT = 200
MISSING_SHOWN = 100  # names in the "not yet reported" list; the count says how many there are


def clear_flash() -> None:
    """The "saved" message stays until the clerk does something else (a rerun alone keeps it)."""
    st.session_state.pop(FLASH, None)




def grid_key(day: dt.date) -> str:
    return f"entry_grid_{day}"


def settings(user, end: dt.date, days: entry.Days) -> dt.date:
    """The day: a clerk opens on the first day they have not reported yet; a range someone chose (a link) wins."""
    unreported = None if st.session_state.get(EXPLICIT) else read(completeness.first_unreported_day, user, days.today)
    return st.date_input(t("entry.day"), value=days.start(unreported or end), min_value=days.first,
                         max_value=days.today, key="entry_day", format="YYYY-MM-DD", on_change=clear_flash,
                         persist_state=KEEP)


def load(user, day: dt.date, filters) -> pd.DataFrame:
    """The grid's rows as loaded, pinned for the day and the filter bar's zone and site (their versions
    are what a save is checked against): the checkpoints of the zone, or the one the filter bar picked."""
    def rows() -> pd.DataFrame:
        if filters.site_id:  # a road checkpoint of the user's scope; else (a village) the zone's grid
            one = reports.entry_grid(user, day, site_id=filters.site_id)
            if not one.empty:
                return one
        return reports.entry_grid(user, day, zone_id=filters.zone_id)
    return entry.pinned_rows(grid_key(day), (day, filters.zone_id, filters.site_id), rows)


def reload_grid(day: dt.date) -> None:
    entry.unpin(grid_key(day))
    saving.forget(FORM)


def before_text(vehicles, persons) -> str:
    """The day before's figures in one cell, "131 / 276", or "—" when that day was not reported."""
    if pd.isna(vehicles) and pd.isna(persons):
        return "—"
    return f"{fmt.num(None if pd.isna(vehicles) else vehicles)} / {fmt.num(None if pd.isna(persons) else persons)}"


def shown_rows(source: pd.DataFrame) -> pd.DataFrame:
    """The rows as the grid shows them: a status, the figures as text, the day before in one cell."""
    shown = source[["site_id", "name", "zone", *COUNTS]].copy()
    corrected, saved, new = t("entry.status.corrected"), t("entry.status.saved"), t("entry.status.new")
    shown.insert(3, "status", [corrected if c else saved if pd.notna(v) else new
                               for c, v in zip(source["corrected"], source["version"])])
    for name in COUNTS:
        shown[name] = [as_cell(v) for v in shown[name]]
    shown["before"] = [before_text(v, p) for v, p in zip(source["vehicles_yesterday"], source["persons_yesterday"])]
    return shown


def grid(source: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    widths = grid_columns(lang())
    shown = shown_rows(source)
    # a cell to fill is blank (placeholder ""), never "None"; its header says in full what goes in it
    count_column = lambda name: st.column_config.TextColumn(  # noqa: E731
        t(f"entry.col.{name}"), help=t(f"entry.col_help.{name}"), width=widths[name], alignment="right", max_chars=12)
    return kept_editor.kept_editor(
        grid_key(day), shown, row_id="site_id", on_change=clear_flash,
        hide_index=True, width="content", num_rows="fixed", placeholder="", height=grid_height(len(shown)),
        column_order=["name", "zone", "status", *COUNTS, "before"],
        disabled=["site_id", "name", "zone", "status", "before"],
        column_config={
            "name": st.column_config.TextColumn(t("col.checkpoint"), width=widths["name"]),
            "zone": st.column_config.TextColumn(t("col.zone"), width=widths["zone"]),
            "status": st.column_config.TextColumn(t("entry.status"), width=widths["status"]),
            **{name: count_column(name) for name in COUNTS},
            "before": st.column_config.TextColumn(t("entry.col.before"), help=t("entry.col_help.before"),
                                                  width=widths["before"], alignment="right"),
        },
    )


def rows_to_save(source: pd.DataFrame, edited: pd.DataFrame) -> tuple[list[dict], list[int]]:
    """The grid as rows for the save, and each row's position in the grid.

    A checkpoint left blank has not reported yet: it is not saved (and stays on the list below).
    A saved row cleared to blank is still sent, so the check says what is missing."""
    rows = [
        {"site_id": int(site_id), "version": None if pd.isna(version) else int(version),
         **{name: as_count(value) for name, value in zip(COUNTS, values)}}
        for site_id, version, *values in zip(source["site_id"], source["version"], *[edited[c] for c in COUNTS])
    ]
    keep = [i for i, r in enumerate(rows) if r["version"] is not None or any(r[c] is not None for c in COUNTS)]
    return [rows[i] for i in keep], keep


def confirm_unusual(source: pd.DataFrame, rows: list[dict], names: dict[int, str], day: dt.date) -> bool:
    """Only figures being changed now are questioned; saved ones were confirmed when they were saved."""
    ids = [int(i) for i in source["site_id"]]
    averages = {i: {"vehicles": v, "persons": p} for i, v, p in zip(ids, source["vehicles_7d"], source["persons_7d"])}
    saved = {i: dict(zip(COUNTS, values)) for i, *values in zip(ids, *[source[c] for c in COUNTS])}
    changed = [r if any(r[c] != saved[r["site_id"]][c] for c in COUNTS) else {**r, "vehicles": None, "persons": None}
               for r in rows]
    unusual = reports.unusual_rows(changed, averages)
    if not unusual:
        return True
    st.warning(t("entry.unusual") + "  \n" + "  \n".join(
        t("entry.unusual_line", name=fmt.plain(names[i]), field=t(f"col.{f}"), value=fmt.num(v), average=fmt.num(a))
        for i, f, v, a in unusual), icon=":material/search:")
    return st.checkbox(t("entry.confirm_unusual"), key=f"entry_confirm_{day}", persist_state=KEEP)


def save_day(user, day: dt.date, rows: list[dict], positions: list[int], names: dict[int, str], reason: str,
             confirmed: bool, result_box) -> None:
    clear_flash()
    if not confirmed:
        result_box.error(t("entry.confirm_needed"))
        return
    summary = saving.attempt(FORM, lambda: reports.save_checkpoint_days(user.username, day, rows, reason=reason or None),
                             result_box, row_names=names, row_numbers=dict(enumerate(positions)))
    if summary is not None:
        reload_grid(day)
        entry.done(FLASH, t("entry.saved", **summary), None, f"entry_reason_{day}")


def save_buttons(user, day: dt.date, rows: list[dict], positions: list[int], names: dict[int, str], reason: str,
                 confirmed: bool) -> None:
    save_col, reload_col = st.columns([1, 1])
    result_box = st.container()
    pressed = save_col.button(t("entry.save"), type="primary", key="entry_save", width="stretch")
    saving.unsaved_notice(FORM, result_box, saving_now=pressed)
    if pressed:
        save_day(user, day, rows, positions, names, reason, confirmed, result_box)
    reload_col.button(t("entry.reload"), on_click=reload_grid, args=(day,), key="entry_reload", width="stretch")


def show_grid(user, source: pd.DataFrame, day: dt.date) -> None:
    """The day's grid, its reason, the check of unusual figures and the save."""
    keep_keystrokes()  # a figure typed straight after a click reaches its cell whole
    edited = grid(source, day)
    rows, positions = rows_to_save(source, edited)
    every_name = source["name"].tolist()
    names = {n: every_name[i] for n, i in enumerate(positions)}
    reason = st.text_input(t("common.reason"), help=t("entry.reason_help"), key=f"entry_reason_{day}", max_chars=500,
                           persist_state=KEEP)
    confirmed = confirm_unusual(source, rows, names, day)
    save_buttons(user, day, rows, positions, names, reason, confirmed)


def not_reported(user, day: dt.date, source: pd.DataFrame) -> None:
    """The checkpoints of the grid (this account's, in the filter bar's zone) with no report for the day."""
    missing = read(traffic.missing_reports, day, user)
    missing = missing[missing["site_id"].isin(source["site_id"])]
    if missing.empty:
        st.success(t("entry.all_reported", day=fmt.day(day)), icon=":material/check_circle:")
    else:
        with st.expander(t("entry.missing", day=fmt.day(day), n=len(missing)), expanded=True):
            names = ("、" if lang() == "zh" else ", ").join(missing["name"].head(MISSING_SHOWN))
            more = len(missing) - MISSING_SHOWN
            st.text(names + (t("entry.missing_more", n=more) if more > 0 else ""))


# ---- supervisors: remove a wrong day's report ------------------------------------------------------

def delete_choices(source: pd.DataFrame | None, stray: pd.DataFrame, day: dt.date) -> dict:
    """What may be removed: the day's saved reports (of the grid's rows) and every report saved outside the season."""
    choices = {}
    if source is not None:
        saved_today = source[source["version"].notna()]
        choices = {("day", int(i), day): (int(i), day, int(v), n)
                   for i, v, n in zip(saved_today["site_id"], saved_today["version"], saved_today["name"])}
    choices.update({("stray", int(i), d): (int(i), d, int(v), n)
                    for i, d, v, n in zip(stray["site_id"], stray["day"], stray["version"], stray["name"])})
    return choices


def delete_a_day(user, source: pd.DataFrame | None, day: dt.date, today: dt.date) -> None:
    """A report saved for the wrong day (or a typo like 1920-02-25) is removed with a reason, audited.
    Without a grid (`source` None: a zone is to be picked first) only the reports outside the season."""
    stray = read(reports.out_of_season_days, today)
    if source is None and stray.empty:
        return
    choices = delete_choices(source, stray, day)
    with st.expander(t("entry.delete.title", n=len(stray)) if len(stray) else t("entry.delete.title_plain"),
                     expanded=bool(len(stray))):
        if len(stray):
            st.warning(t("entry.delete.stray", n=len(stray)), icon=":material/event_busy:")
        if not choices:
            st.caption(t("entry.delete.none", day=fmt.day(day)))
            return
        delete_form(user, choices, day)


def delete_form(user, choices: dict, day: dt.date) -> None:
    label = lambda k: f"{fmt.day(choices[k][1])} · {choices[k][3]}"  # noqa: E731
    picked = st.selectbox(t("entry.delete.pick"), list(choices), index=None, format_func=label,
                          key="entry_delete_pick", placeholder=t("entry.delete.placeholder"))
    reason = st.text_input(t("entry.delete.reason"), key="entry_delete_reason", max_chars=500, persist_state=KEEP)
    box = st.container()
    if not st.button(t("entry.delete.button"), key="entry_delete", disabled=picked is None):
        return
    site_id, when, version, name = choices[picked]
    done = saving.attempt(FORM + "_delete", lambda: reports.delete_checkpoint_day(
        user.username, site_id, when, version, reason or None), box)
    if done is not None:
        reload_grid(day)
        entry.done(FLASH, t("entry.delete.done", day=fmt.day(when), name=show_errors.escape_markdown(name)), None,
                   "entry_delete_pick", "entry_delete_reason")


# ---- file upload -----------------------------------------------------------------------------------

def upload(user, today: dt.date) -> None:
    st.divider()
    st.subheader(t("entry.upload"))
    st.caption(t("entry.upload_help", mb=f"{reports.MAX_UPLOAD_BYTES / 1e6:g}", rows=f"{reports.MAX_UPLOAD_ROWS:,}"))
    template = reports.upload_template(lang()).to_csv(index=False).encode("utf-8-sig")  # BOM: Excel reads UTF-8
    st.download_button(t("entry.template"), template, file_name="checkpoint_daily_template.csv", mime="text/csv")
    uploaded = st.file_uploader(t("entry.upload"), type=["csv", "xlsx"], key="entry_file", on_change=clear_flash,
                                label_visibility="collapsed")
    if uploaded is None:
        return
    checked = checked_file(user, uploaded, today)
    if checked is not None:
        save_file(user, checked, today)


def checked_file(user, uploaded, today: dt.date) -> list[dict] | None:
    """The file's rows, checked; None (and what is wrong) when they cannot be saved."""
    try:
        frame = reports.read_upload(uploaded.name, uploaded.getvalue())
        bar = st.progress(0.0, text=t("entry.file_checking"))
        checked = reports.check_upload(frame, user, today=today,
                                       progress=lambda share: bar.progress(share, text=t("entry.file_checking")))
        bar.empty()
    except ValidationError as error:
        file_errors(error)
        return None
    return checked


def save_file(user, checked: list[dict], today: dt.date) -> None:
    st.success(t("entry.file_ok", n=len(checked)))
    file_reason = st.text_input(t("entry.file_reason"), key="entry_file_reason", max_chars=500, persist_state=KEEP)
    box = st.container()
    pressed = st.button(t("entry.file_save"), type="primary", key="entry_file_save")
    saving.unsaved_notice(FORM + "_file", box, saving_now=pressed)
    if not pressed:
        return
    summary = saving.attempt(FORM + "_file", lambda: reports.save_upload(
        user.username, checked, reason=file_reason or None, today=today), box)
    if summary is not None:
        for day in {row["day"] for row in checked}:
            reload_grid(day)
        entry.done(FLASH, t("entry.saved", **summary), None, "entry_file_reason")


def file_errors(error: ValidationError) -> None:
    """A problem with the whole file in words; bad cells in a table by spreadsheet line and column."""
    whole = [e for e in error.errors if e.field == "file"]
    cells = [e for e in error.errors if e.field != "file"]
    if whole:
        st.error(t("common.nothing_saved") + "  \n" + "  \n".join(fmt.plain(e.text(lang())) for e in whole),
                 icon=":material/error:")
    if cells:
        st.error(t("entry.file_errors", n=len(cells)))
        table = pd.DataFrame([{"row": "" if e.row is None else str(e.row), "column": show_errors.field_label(e.field),
                               "message": e.text(lang())} for e in cells[:1000]])
        st.dataframe(table, hide_index=True, placeholder="—", width="stretch",
                     column_config={"row": t("col.row"), "column": t("col.column"), "message": t("col.message")})


def too_many(user, source: pd.DataFrame, day: dt.date, days: entry.Days) -> None:
    """Every zone at city size: no grid, a zone is asked for; what is missing is still listed."""
    st.info(t("entry.pick_zone", n=fmt.num(len(source))), icon=":material/filter_alt:")
    not_reported(user, day, source)
    if user.role in SUPERVISORS:
        delete_a_day(user, None, day, days.today)


def main() -> None:
    user = entry.title("entry.title", intro_key="entry.intro")
    filters, days = st.session_state["filters"], entry.days()
    day = settings(user, filters.end, days)
    entry.kept_flash(FLASH)
    source = load(user, day, filters)
    if source.empty:
        st.info(t("entry.no_checkpoints_here" if filters.zone_id else "entry.no_checkpoints"))
    elif filters.zone_id is None and len(source) > GRID_LIMIT:
        too_many(user, source, day, days)
    else:
        if filters.site_id in set(source["site_id"]):  # the filter bar picked this checkpoint
            focus_note(filters, source, "traffic", key="entry_clear_focus")
        show_grid(user, source, day)
        not_reported(user, day, source)
        if user.role in SUPERVISORS:
            delete_a_day(user, source, day, days.today)
    upload(user, days.today)


if __name__ == "__main__":
    main()
