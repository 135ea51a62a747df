"""卡口日报填报: one grid of every checkpoint in the clerk's scope for one day, plus file upload."""
import datetime as dt
import io

import pandas as pd
import streamlit as st

from data_access import traffic, traffic_entry as entry
from data_access.errors import DataError, ValidationError
from ui import errors as show_errors
from ui import format as fmt
from ui.data import read
from ui.grids import TRAFFIC_ENTRY_COLUMNS
from ui.i18n import t
from ui.session import actor
from ui.guard import require_router

require_router()

COUNTS = list(entry.COUNT_FIELDS)
user = actor()
filters = st.session_state["filters"]
today = dt.date.today()

st.title(t("entry.title"))
st.caption(t("entry.intro"))
FLASH = "entry_flash"


def clear_flash() -> None:
    """The "saved" message stays until the clerk does something else (a rerun alone keeps it)."""
    st.session_state.pop(FLASH, None)


day = st.date_input(t("entry.day"), value=min(filters.end, today), max_value=today, key="entry_day",
                    format="YYYY-MM-DD", on_change=clear_flash)
if st.session_state.get(FLASH):
    st.success(st.session_state[FLASH], icon=":material/check_circle:")

# The grid's source frame is loaded once per day and kept stable in session state, so the
# editor's own state (what the clerk typed) is never reset by a rerun (streamlit#7749).
source_key, grid_key = f"entry_source_{day}", f"entry_grid_{day}"
if source_key not in st.session_state:
    st.session_state[source_key] = entry.entry_grid(user, day)
source: pd.DataFrame = st.session_state[source_key]


def reload_grid() -> None:
    st.session_state.pop(source_key, None)
    st.session_state.pop(grid_key, None)


if source.empty:
    st.info(t("entry.no_checkpoints"))
    st.stop()

shown = source[["name", "zone", *COUNTS, "vehicles_yesterday", "persons_yesterday", "corrected", "version"]].copy()
shown.insert(2, "status", [
    t("entry.status.corrected") if c else t("entry.status.saved") if pd.notna(v) else t("entry.status.new")
    for c, v in zip(source["corrected"], source["version"])
])
shown = shown.drop(columns=["corrected", "version"])
shown[COUNTS] = shown[COUNTS].astype("float")  # an empty cell shows blank, not "None"
WIDTHS = TRAFFIC_ENTRY_COLUMNS
count_column = lambda name: st.column_config.NumberColumn(t(f"col.{name}"), min_value=0, step=1, format="%d",
                                                          width=WIDTHS[name])
edited = st.data_editor(
    shown,
    key=grid_key,
    on_change=clear_flash,
    hide_index=True,
    width="content",
    num_rows="fixed",
    disabled=["name", "zone", "status", "vehicles_yesterday", "persons_yesterday"],
    column_config={
        "name": st.column_config.TextColumn(t("col.checkpoint"), width=WIDTHS["name"]),
        "zone": st.column_config.TextColumn(t("col.zone"), width=WIDTHS["zone"]),
        "status": st.column_config.TextColumn(t("entry.status"), width=WIDTHS["status"]),
        **{name: count_column(name) for name in COUNTS},
        "vehicles_yesterday": st.column_config.NumberColumn(t("col.vehicles_yesterday"), format="%d",
                                                            width=WIDTHS["vehicles_yesterday"]),
        "persons_yesterday": st.column_config.NumberColumn(t("col.persons_yesterday"), format="%d",
                                                           width=WIDTHS["persons_yesterday"]),
    },
)

grid_rows = [
    {"site_id": int(site_id), "version": None if pd.isna(version) else int(version),
     **{name: (None if pd.isna(value) else value) for name, value in zip(COUNTS, values)}}
    for site_id, version, *values in zip(source["site_id"], source["version"], *[edited[c] for c in COUNTS])
]
# A checkpoint left blank has not reported yet: it is not saved (and stays on the list below).
# A saved row cleared to blank is still sent, so the check says what is missing.
keep = [i for i, r in enumerate(grid_rows) if r["version"] is not None or any(r[c] is not None for c in COUNTS)]
rows = [grid_rows[i] for i in keep]
names = {n: source["name"].iloc[i] for n, i in enumerate(keep)}
row_numbers = {n: i for n, i in enumerate(keep)}
reason = st.text_input(t("common.reason"), help=t("entry.reason_help"), key=f"entry_reason_{day}", max_chars=500)

averages = {int(r.site_id): {"vehicles": r.vehicles_7d, "persons": r.persons_7d} for r in source.itertuples()}
# Only figures being changed now are questioned; saved ones were confirmed when they were saved.
saved = {int(r.site_id): {c: getattr(r, c) for c in COUNTS} for r in source.itertuples()}
changed = [r if any(r[c] != saved[r["site_id"]][c] for c in COUNTS) else {**r, "vehicles": None, "persons": None}
           for r in rows]
unusual = entry.unusual_rows(changed, averages)
confirmed = True
if unusual:
    st.warning(t("entry.unusual") + "  \n" + "  \n".join(
        t("entry.unusual_line", name=show_errors.escape_markdown(names[i]), field=t(f"col.{f}"), value=fmt.num(v), average=fmt.num(a))
        for i, f, v, a in unusual), icon=":material/search:")
    confirmed = st.checkbox(t("entry.confirm_unusual"), key=f"entry_confirm_{day}")

save_col, reload_col = st.columns([1, 1])
result_box = st.container()
if save_col.button(t("entry.save"), type="primary", key="entry_save", width="stretch"):
    clear_flash()
    if not confirmed:
        result_box.error(t("entry.confirm_needed"))
    else:
        try:
            summary = entry.save_checkpoint_days(user.username, day, rows, reason=reason or None)
        except DataError as error:
            show_errors.show(error, result_box, row_names=names, row_numbers=row_numbers)
        else:
            st.session_state[FLASH] = t("entry.saved", **summary)
            reload_grid()
            st.rerun()
reload_col.button(t("entry.reload"), on_click=reload_grid, key="entry_reload", width="stretch")

# ---- who has not reported ------------------------------------------------------------------------
scope = None if user.role in ("admin", "supervisor") else tuple(sorted(user.zone_ids))
missing = read(traffic.missing_reports, day, scope)
if missing.empty:
    st.success(t("entry.all_reported", day=fmt.day(day)), icon=":material/check_circle:")
else:
    with st.expander(t("entry.missing", day=fmt.day(day), n=len(missing)), expanded=True):
        st.write("、".join(missing["name"]) if st.session_state.get("lang") != "en" else ", ".join(missing["name"]))

# ---- file upload -------------------------------------------------------------------------------
st.divider()
st.subheader(t("entry.upload"))
st.caption(t("entry.upload_help"))
template = entry.upload_template().to_csv(index=False).encode("utf-8-sig")  # BOM: Excel opens it as UTF-8
st.download_button(t("entry.template"), template, file_name="checkpoint_daily_template.csv", mime="text/csv")
uploaded = st.file_uploader(t("entry.upload"), type=["csv", "xlsx"], key="entry_file", label_visibility="collapsed")
if uploaded is not None:
    try:
        if uploaded.name.lower().endswith(".xlsx"):
            frame = pd.read_excel(io.BytesIO(uploaded.getvalue()), dtype=str)
        else:
            frame = pd.read_csv(io.BytesIO(uploaded.getvalue()), dtype=str, encoding="utf-8-sig", on_bad_lines="error")
    except Exception as error:  # a broken file is the clerk's input, not a crash
        st.error(t("entry.file_unreadable", error=show_errors.escape_markdown(str(error)[:200])))
    else:
        frame.columns = [str(c).strip() for c in frame.columns]
        bar = st.progress(0.0, text=t("entry.file_checking"))
        try:
            checked = entry.check_upload(frame, user, today=today, progress=lambda share: bar.progress(share, text=t("entry.file_checking")))
        except ValidationError as error:
            bar.empty()
            st.error(t("entry.file_errors", n=len(error.errors)))
            st.dataframe(pd.DataFrame([{"row": e.row, "column": show_errors.field_label(e.field), "message": e.text(st.session_state.get("lang", "zh"))}
                                       for e in error.errors]),
                         hide_index=True, width="stretch",
                         column_config={"row": t("col.row"), "column": t("col.column"), "message": t("col.message")})
        else:
            bar.empty()
            st.success(t("entry.file_ok", n=len(checked)))
            file_reason = st.text_input(t("entry.file_reason"), key="entry_file_reason", max_chars=500)
            if st.button(t("entry.file_save"), type="primary", key="entry_file_save"):
                try:
                    summary = entry.save_upload(user.username, checked, reason=file_reason or None, today=today)
                except DataError as error:
                    show_errors.show(error)
                else:
                    st.session_state[FLASH] = t("entry.saved", **summary)
                    reload_grid()
                    st.rerun()
