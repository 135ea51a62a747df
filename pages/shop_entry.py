"""商铺营业登记: law-enforcement clerks mark shops open or closed with their staff, many at once or one."""
import datetime as dt

import pandas as pd
import streamlit as st

from data_access import shops, territory
from data_access.errors import ConflictError, DataError, ValidationError
from data_access.models import SHOP_CATEGORIES
from ui import errors as show_errors
from ui import kept_editor, saving
from ui.data import read
from ui.i18n import lang, t
from ui.session import actor
from ui.flash import show_once
from ui.guard import require_router

require_router()  # never run outside app.py's sign-in and role check

user = actor()
filters = st.session_state["filters"]
today = dt.date.today()
esc = show_errors.escape_markdown
category_labels = {c: t(f"shops.category.{c}") for c in SHOP_CATEGORIES}
SOURCE, GRID, SIGNATURE = "shop_entry_source", "shop_grid", "shop_entry_signature"
STATE = ["is_open", "staff", "staff_from_outside"]
KEEP = "session"  # typed values outlive runs that do not draw them (an outage screen)
first_day = read(territory.season_start)

st.title(t("shops.entry.title"))
st.caption(t("shops.entry.intro"))
if user is None or not user.writes:
    st.error(t("error.not_allowed"))
    st.stop()
show_once("shop_entry_flash")

# ---- which shops: the filter bar's zone, a category, part of a name -------------------------------
pick_category, pick_name = st.columns([1, 2])
category = pick_category.selectbox(t("shops.entry.category"), ["", *SHOP_CATEGORIES], key="shop_entry_category",
                                   persist_state=KEEP, placeholder=t("widget.choose"),
                                   format_func=lambda c: category_labels[c] if c else t("shops.entry.all_categories"))
search = pick_name.text_input(t("shops.entry.search"), key="shop_entry_search", max_chars=50,
                               persist_state=KEEP).strip()


def reload() -> None:
    for key in (SOURCE, SIGNATURE):
        st.session_state.pop(key, None)
    kept_editor.forget(GRID)
    saving.forget(GRID)


# The rows (with their versions) are loaded once per selection and kept, so the grid never loses
# what the clerk typed on a rerun (streamlit#7749) and a save is checked against what was loaded.
signature = (filters.zone_id, category, search)
if st.session_state.get(SIGNATURE) != signature:
    reload()
    st.session_state[SIGNATURE] = signature
if SOURCE not in st.session_state:
    st.session_state[SOURCE] = shops.entry_rows(user, filters.zone_id, category or None, search or None)
source: pd.DataFrame = st.session_state[SOURCE]
if source.empty:
    st.info(t("shops.entry.none"))
    st.stop()
if len(source) >= shops.ENTRY_LIMIT:
    st.caption(t("shops.entry.limited", n=shops.ENTRY_LIMIT))


def row_lines(error: DataError, positions: list[int]) -> str:
    """'第 3 行 · 老街饭馆 · 在岗人员：…' for every refused cell, by the row number the clerk sees."""
    lines = []
    for item in error.errors:
        where = ""
        if item.row is not None:
            position = positions[item.row]
            where = f"{t('common.row', row=position + 1)} · {source['name'].iloc[position]} · "
        label = t(f"shops.col.{item.field}")
        lines.append(f"{where}{label}{'：' if lang() == 'zh' else ': '}{item.text(lang())}")
    return "  \n".join(esc(line) for line in lines)


def show_refusal(error: DataError, box, positions: list[int]) -> None:
    if isinstance(error, ValidationError):
        box.error(t("common.nothing_saved") + "  \n" + row_lines(error, positions), icon=":material/error:")
    elif isinstance(error, ConflictError):
        names = "、".join(source["name"].iloc[positions[r]] for r in error.rows)
        box.error(esc(error.text(lang()) + (f"：{names}" if names else "")), icon=":material/sync_problem:")
    else:
        show_errors.show(error, box)


def saved(summary: dict) -> None:
    st.session_state["shop_entry_flash"] = t("shops.entry.saved", **summary)
    reload()
    st.rerun()


many, one = st.tabs([t("shops.entry.many"), t("shops.entry.one")])

# ---- many shops: one grid -------------------------------------------------------------------------
with many:
    day_column, help_column = st.columns([1, 3], vertical_alignment="bottom")
    day = day_column.date_input(t("shops.entry.day"), value=min(max(filters.end, first_day), today),
                                min_value=first_day, max_value=today, key="shop_grid_day", format="YYYY-MM-DD",
                                persist_state=KEEP)
    help_column.caption(t("shops.entry.grid_help"))
    shown = source[["shop_id", "name", "zone", "category", *STATE, "status_since"]].assign(
        category=source["category"].map(category_labels),
        status_since=[d.isoformat() if d else "—" for d in source["status_since"]])
    edited = kept_editor.kept_editor(
        GRID, shown, row_id="shop_id", hide_index=True, width="stretch", num_rows="fixed", height=560,
        column_order=["name", "zone", "category", *STATE, "status_since"], placeholder="",
        disabled=["shop_id", "name", "zone", "category", "status_since"],
        column_config={
            "name": st.column_config.TextColumn(t("shops.col.name")),
            "zone": st.column_config.TextColumn(t("shops.col.zone")),
            "category": st.column_config.TextColumn(t("shops.col.category")),
            "is_open": st.column_config.CheckboxColumn(t("shops.col.is_open")),
            "staff": st.column_config.NumberColumn(t("shops.col.staff"), min_value=0, step=1, format="%d"),
            "staff_from_outside": st.column_config.NumberColumn(t("shops.col.staff_from_outside"), min_value=0, step=1,
                                                                format="%d"),
            "status_since": st.column_config.TextColumn(t("shops.col.status_since")),
        },
    )
    grid_box = st.container()
    # Only the rows the clerk changed are saved: a row someone else changed meanwhile, and the clerk
    # did not touch, is never overwritten with the old values still shown in the grid.
    now, before = edited[STATE].reset_index(drop=True), source[STATE].reset_index(drop=True)
    changed = (now.ne(before) & ~(now.isna() & before.isna())).any(axis=1).to_numpy()
    positions = [int(i) for i in changed.nonzero()[0]]  # vectorised: a grid can hold hundreds of rows
    rows = [{"shop_id": int(source["shop_id"].iloc[i]), "version": int(source["version"].iloc[i]),
             **{f: (None if pd.isna(now[f].iloc[i]) else now[f].iloc[i]) for f in STATE}} for i in positions]
    save_column, reload_column = st.columns(2)
    pressed = save_column.button(t("shops.entry.save"), type="primary", key="shop_grid_save", width="stretch")
    saving.unsaved_notice(GRID, grid_box, saving_now=pressed)
    if pressed:
        if not rows:
            grid_box.info(t("shops.entry.nothing"))
        else:
            summary = saving.attempt(GRID, lambda: shops.save_shops(user.username, day, rows, today=today),
                                     show=lambda error: show_refusal(error, grid_box, positions))
            if summary is not None:
                saved(summary)
    reload_column.button(t("shops.entry.reload"), key="shop_grid_reload", on_click=reload, width="stretch")

# ---- one shop: a form -----------------------------------------------------------------------------
with one:
    labels = {int(i): f"{n} · {z} · {category_labels[c]}"
              for i, n, z, c in zip(source["shop_id"], source["name"], source["zone"], source["category"])}
    shop_id = st.selectbox(t("shops.entry.shop"), list(labels), index=None, key="shop_one_id", format_func=labels.get,
                           placeholder=t("shops.entry.pick"))
    if shop_id is not None:
        position = source.index[source["shop_id"] == shop_id][0]
        current = source.loc[position]
        st.caption(esc(t("shops.entry.current",
                         state=t("shops.state_open") if current["is_open"] else t("shops.state_closed"),
                         staff=int(current["staff"]), outside=int(current["staff_from_outside"]),
                         since=current["status_since"] or "—")))
        key = f"shop_one_{shop_id}_"
        boxes = {}
        with st.form(f"{key}form"):
            general = st.container()
            one_day = st.date_input(t("shops.entry.day"), value=min(max(filters.end, first_day), today),
                                    min_value=first_day, max_value=today, key=f"{key}day", format="YYYY-MM-DD",
                                    width=240, persist_state=KEEP)
            boxes["day"] = st.empty()
            is_open = st.radio(t("shops.entry.state"), [True, False], index=0 if current["is_open"] else 1,
                               horizontal=True, key=f"{key}open", persist_state=KEEP,
                               format_func=lambda o: t("shops.state_open") if o else t("shops.state_closed"))
            boxes["is_open"] = st.empty()
            staff_column, outside_column = st.columns(2)
            staff = staff_column.number_input(t("shops.col.staff"), min_value=0, step=1, value=int(current["staff"]),
                                              key=f"{key}staff", persist_state=KEEP)
            boxes["staff"] = staff_column.empty()
            outside = outside_column.number_input(t("shops.col.staff_from_outside"), min_value=0, step=1,
                                                  value=int(current["staff_from_outside"]), key=f"{key}outside",
                                                  persist_state=KEEP)
            boxes["staff_from_outside"] = outside_column.empty()
            submitted = st.form_submit_button(t("shops.entry.save_one"), type="primary", key=f"{key}save")
        saving.unsaved_notice(key, general, saving_now=submitted)
        if submitted:
            row = {"shop_id": int(shop_id), "version": int(current["version"]), "is_open": is_open, "staff": staff,
                   "staff_from_outside": outside}
            def refuse(error: DataError) -> None:
                if not isinstance(error, ValidationError):
                    show_errors.show(error, general)
                    return
                general.error(t("common.nothing_saved"), icon=":material/error:")
                for item in error.errors:
                    boxes.get(item.field, general).error(esc(item.text(lang())), icon=":material/error:")

            summary = saving.attempt(key, lambda: shops.save_shops(user.username, one_day, [row], today=today),
                                     show=refuse)
            if summary is not None:
                if summary["unchanged"]:
                    general.info(t("shops.entry.nothing"))
                else:
                    for k in [k for k in st.session_state if str(k).startswith(key)]:
                        del st.session_state[k]
                    saved(summary)
