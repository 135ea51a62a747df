"""卡口日报填报: one grid of every checkpoint in the clerk's scope for one day, plus file upload.

What the clerk types survives anything that is not a save: a refusal, a busy database, an outage
screen of any length (ui.kept_editor for the grid, persist_state for the other fields).
"""
import datetime as dt

import pandas as pd
import streamlit as st

from data_access import completeness, territory, traffic, traffic_entry as entry
from data_access.errors import ValidationError
from ui import errors as show_errors
from ui import format as fmt
from ui import kept_editor, saving
from ui.grid_keys import keep_keystrokes
from ui.data import read
from ui.filter_bar import EXPLICIT
from ui.grids import grid_height, traffic_entry_columns as grid_columns
from ui.i18n import lang, t
from ui.session import actor
from ui.guard import require_router

require_router()

COUNTS = list(entry.COUNT_FIELDS)
FLASH, FORM = "entry_flash", "traffic_entry"
KEEP = "session"  # typed values outlive runs that do not draw them (an outage screen)
user = actor()
filters = st.session_state["filters"]
today = dt.date.today()


def clear_flash() -> None:
    """The "saved" message stays until the clerk does something else (a rerun alone keeps it)."""
    st.session_state.pop(FLASH, None)


def as_count(value):
    """A cell as a number where it reads as one ('1,200' -> 1200), else as typed (the check explains)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip().replace(",", "").replace("，", "")
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() else value


def as_cell(value) -> str | None:
    """Stored figures shown as text cells: the clerk may type anything, and the check says what is wrong
    (a number cell silently turns '1e12' into 112)."""
    return None if value is None or pd.isna(value) else str(int(value))


def pick_day() -> dt.date:
    """A clerk opens on the first day they have not reported yet; a range someone chose (a link) wins."""
    first = read(territory.season_start)
    unreported = None if st.session_state.get(EXPLICIT) else read(completeness.first_unreported_day, user, today)
    start = min(max(unreported or filters.end, first), today)
    return st.date_input(t("entry.day"), value=start, min_value=first, max_value=today, key="entry_day",
                         format="YYYY-MM-DD", on_change=clear_flash, persist_state=KEEP)


def loaded_rows(day: dt.date) -> pd.DataFrame:
    """The grid's rows as loaded, pinned for the day (their versions are what a save is checked against)."""
    source_key = f"entry_source_{day}"
    if source_key not in st.session_state:
        st.session_state[source_key] = entry.entry_grid(user, day)
    return st.session_state[source_key]


def reload_grid(day: dt.date) -> None:
    st.session_state.pop(f"entry_source_{day}", None)
    kept_editor.forget(f"entry_grid_{day}")
    saving.forget(FORM)


def before_text(vehicles, persons) -> str:
    """The day before's figures in one cell, "131 / 276", or "—" when that day was not reported."""
    if pd.isna(vehicles) and pd.isna(persons):
        return "—"
    return f"{fmt.num(None if pd.isna(vehicles) else vehicles)} / {fmt.num(None if pd.isna(persons) else persons)}"


def grid(source: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    widths = grid_columns(lang())
    shown = source[["site_id", "name", "zone", *COUNTS]].copy()
    shown.insert(3, "status", [
        t("entry.status.corrected") if c else t("entry.status.saved") if pd.notna(v) else t("entry.status.new")
        for c, v in zip(source["corrected"], source["version"])
    ])
    for name in COUNTS:
        shown[name] = [as_cell(v) for v in shown[name]]
    shown["before"] = [before_text(v, p) for v, p in zip(source["vehicles_yesterday"], source["persons_yesterday"])]
    # a cell to fill is blank (placeholder ""), never "None"; its header says in full what goes in it
    count_column = lambda name: st.column_config.TextColumn(  # noqa: E731
        t(f"entry.col.{name}"), help=t(f"entry.col_help.{name}"), width=widths[name], alignment="right", max_chars=12)
    return kept_editor.kept_editor(
        f"entry_grid_{day}", shown, row_id="site_id", on_change=clear_flash,
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
    averages = {int(r.site_id): {"vehicles": r.vehicles_7d, "persons": r.persons_7d} for r in source.itertuples()}
    saved = {int(r.site_id): {c: getattr(r, c) for c in COUNTS} for r in source.itertuples()}
    changed = [r if any(r[c] != saved[r["site_id"]][c] for c in COUNTS) else {**r, "vehicles": None, "persons": None}
               for r in rows]
    unusual = entry.unusual_rows(changed, averages)
    if not unusual:
        return True
    st.warning(t("entry.unusual") + "  \n" + "  \n".join(
        t("entry.unusual_line", name=fmt.plain(names[i]), field=t(f"col.{f}"), value=fmt.num(v), average=fmt.num(a))
        for i, f, v, a in unusual), icon=":material/search:")
    return st.checkbox(t("entry.confirm_unusual"), key=f"entry_confirm_{day}", persist_state=KEEP)


def save_buttons(day: dt.date, rows: list[dict], positions: list[int], names: dict[int, str], reason: str,
                 confirmed: bool) -> None:
    save_col, reload_col = st.columns([1, 1])
    result_box = st.container()
    pressed = save_col.button(t("entry.save"), type="primary", key="entry_save", width="stretch")
    saving.unsaved_notice(FORM, result_box, saving_now=pressed)
    if pressed:
        clear_flash()
        if not confirmed:
            result_box.error(t("entry.confirm_needed"))
            return
        summary = saving.attempt(FORM, lambda: entry.save_checkpoint_days(user.username, day, rows, reason=reason or None),
                                 result_box, row_names=names, row_numbers=dict(enumerate(positions)))
        if summary is not None:
            st.session_state[FLASH] = t("entry.saved", **summary)
            reload_grid(day)
            st.session_state.pop(f"entry_reason_{day}", None)
            st.rerun()
    reload_col.button(t("entry.reload"), on_click=reload_grid, args=(day,), key="entry_reload", width="stretch")


def day_entry() -> None:
    day = pick_day()
    if st.session_state.get(FLASH):
        st.success(st.session_state[FLASH], icon=":material/check_circle:")
    source = loaded_rows(day)
    if source.empty:
        st.info(t("entry.no_checkpoints"))
        return
    keep_keystrokes()  # a figure typed straight after a click reaches its cell whole
    edited = grid(source, day)
    rows, positions = rows_to_save(source, edited)
    names = {n: source["name"].iloc[i] for n, i in enumerate(positions)}
    reason = st.text_input(t("common.reason"), help=t("entry.reason_help"), key=f"entry_reason_{day}", max_chars=500,
                           persist_state=KEEP)
    confirmed = confirm_unusual(source, rows, names, day)
    save_buttons(day, rows, positions, names, reason, confirmed)
    not_reported(day)
    if user.role in ("admin", "supervisor"):
        delete_a_day(source, day)


def not_reported(day: dt.date) -> None:
    missing = read(traffic.missing_reports, day, user)  # the checkpoints this account reports for
    if missing.empty:
        st.success(t("entry.all_reported", day=fmt.day(day)), icon=":material/check_circle:")
    else:
        with st.expander(t("entry.missing", day=fmt.day(day), n=len(missing)), expanded=True):
            st.text(("、" if lang() == "zh" else ", ").join(missing["name"]))


# ---- supervisors: remove a wrong day's report ------------------------------------------------------

def delete_a_day(source: pd.DataFrame, day: dt.date) -> None:
    """A report saved for the wrong day (or a typo like 1920-02-25) is removed with a reason, audited."""
    stray = read(entry.out_of_season_days, today)
    saved_today = source[source["version"].notna()]
    choices = {("day", int(r.site_id), day): (int(r.site_id), day, int(r.version), r.name)
               for r in saved_today.itertuples()}
    choices.update({("stray", int(r.site_id), r.day): (int(r.site_id), r.day, int(r.version), r.name)
                    for r in stray.itertuples()})
    with st.expander(t("entry.delete.title", n=len(stray)) if len(stray) else t("entry.delete.title_plain"),
                     expanded=bool(len(stray))):
        if len(stray):
            st.warning(t("entry.delete.stray", n=len(stray)), icon=":material/event_busy:")
        if not choices:
            st.caption(t("entry.delete.none", day=fmt.day(day)))
            return
        label = lambda k: f"{fmt.day(choices[k][1])} · {choices[k][3]}"  # noqa: E731
        picked = st.selectbox(t("entry.delete.pick"), list(choices), index=None, format_func=label,
                              key="entry_delete_pick", placeholder=t("entry.delete.placeholder"))
        reason = st.text_input(t("entry.delete.reason"), key="entry_delete_reason", max_chars=500, persist_state=KEEP)
        box = st.container()
        if st.button(t("entry.delete.button"), key="entry_delete", disabled=picked is None):
            site_id, when, version, name = choices[picked]
            done = saving.attempt(FORM + "_delete", lambda: entry.delete_checkpoint_day(
                user.username, site_id, when, version, reason or None), box)
            if done is not None:
                st.session_state[FLASH] = t("entry.delete.done", day=fmt.day(when), name=show_errors.escape_markdown(name))
                for key in ("entry_delete_pick", "entry_delete_reason"):
                    st.session_state.pop(key, None)
                reload_grid(day)
                st.rerun()


# ---- file upload -----------------------------------------------------------------------------------

def upload() -> None:
    st.divider()
    st.subheader(t("entry.upload"))
    st.caption(t("entry.upload_help", mb=f"{entry.MAX_UPLOAD_BYTES / 1e6:g}", rows=f"{entry.MAX_UPLOAD_ROWS:,}"))
    template = entry.upload_template(lang()).to_csv(index=False).encode("utf-8-sig")  # BOM: Excel reads UTF-8
    st.download_button(t("entry.template"), template, file_name="checkpoint_daily_template.csv", mime="text/csv")
    uploaded = st.file_uploader(t("entry.upload"), type=["csv", "xlsx"], key="entry_file", on_change=clear_flash,
                                label_visibility="collapsed")
    if uploaded is None:
        return
    try:
        frame = entry.read_upload(uploaded.name, uploaded.getvalue())
        bar = st.progress(0.0, text=t("entry.file_checking"))
        checked = entry.check_upload(frame, user, today=today,
                                     progress=lambda share: bar.progress(share, text=t("entry.file_checking")))
        bar.empty()
    except ValidationError as error:
        file_errors(error)
        return
    st.success(t("entry.file_ok", n=len(checked)))
    file_reason = st.text_input(t("entry.file_reason"), key="entry_file_reason", max_chars=500, persist_state=KEEP)
    box = st.container()
    pressed = st.button(t("entry.file_save"), type="primary", key="entry_file_save")
    saving.unsaved_notice(FORM + "_file", box, saving_now=pressed)
    if pressed:
        summary = saving.attempt(FORM + "_file", lambda: entry.save_upload(
            user.username, checked, reason=file_reason or None, today=today), box)
        if summary is not None:
            st.session_state[FLASH] = t("entry.saved", **summary)
            st.session_state.pop("entry_file_reason", None)
            for day in {row["day"] for row in checked}:
                reload_grid(day)
            st.rerun()


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


st.title(t("entry.title"))
st.caption(t("entry.intro"))
day_entry()
upload()
