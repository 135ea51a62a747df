"""商铺营业登记: law-enforcement clerks mark shops open or closed with their staff, many at once or one."""
import pandas as pd
import streamlit as st

from data_access import shops
from data_access.errors import ConflictError, DataError, ValidationError
from data_access.models import SHOP_CATEGORIES
from ui import entry, kept_editor, saving
from ui import errors as show_errors
from ui.guard import require_router
from ui.i18n import lang, t

require_router()  # never run outside app.py's sign-in and role check

GRID, FLASH = "shop_grid", "shop_entry_flash"
STATE = ["is_open", "staff", "staff_from_outside"]
KEEP = entry.KEEP
esc = show_errors.escape_markdown


def category_labels() -> dict[str, str]:
    return {c: t(f"shops.category.{c}") for c in SHOP_CATEGORIES}


def settings() -> tuple[str, str]:
    """Which shops: the filter bar's zone, a category, part of a name."""
    labels = category_labels()
    pick_category, pick_name = st.columns([1, 2])
    category = pick_category.selectbox(t("shops.entry.category"), ["", *SHOP_CATEGORIES], key="shop_entry_category",
                                       persist_state=KEEP, placeholder=t("widget.choose"),
                                       format_func=lambda c: labels[c] if c else t("shops.entry.all_categories"))
    search = pick_name.text_input(t("shops.entry.search"), key="shop_entry_search", max_chars=50,
                                  persist_state=KEEP).strip()
    return category, search


def load(user, zone_id, category: str, search: str) -> pd.DataFrame:
    """The shops, loaded once per selection and kept (ui.entry.pinned_rows)."""
    return entry.pinned_rows(GRID, (zone_id, category, search),
                             lambda: shops.entry_rows(user, zone_id, category or None, search or None))


def reload() -> None:
    entry.unpin(GRID)


def saved(summary: dict) -> None:
    reload()
    entry.done(FLASH, t("shops.entry.saved", **summary))


def row_lines(error: DataError, source: pd.DataFrame, positions: list[int]) -> str:
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


def show_refusal(error: DataError, box, source: pd.DataFrame, positions: list[int]) -> None:
    if isinstance(error, ValidationError):
        box.error(t("common.nothing_saved") + "  \n" + row_lines(error, source, positions), icon=":material/error:")
    elif isinstance(error, ConflictError):
        names = "、".join(source["name"].iloc[positions[r]] for r in error.rows)
        box.error(esc(error.text(lang()) + (f"：{names}" if names else "")), icon=":material/sync_problem:")
    else:
        show_errors.show(error, box)


def changed_rows(edited: pd.DataFrame, source: pd.DataFrame) -> tuple[list[int], list[dict]]:
    """Only the rows the clerk changed are saved: a row someone else changed meanwhile, and the clerk
    did not touch, is never overwritten with the old values still shown in the grid."""
    now, before = edited[STATE].reset_index(drop=True), source[STATE].reset_index(drop=True)
    changed = (now.ne(before) & ~(now.isna() & before.isna())).any(axis=1).to_numpy()
    positions = [int(i) for i in changed.nonzero()[0]]  # vectorised: a grid can hold hundreds of rows
    rows = [{"shop_id": int(source["shop_id"].iloc[i]), "version": int(source["version"].iloc[i]),
             **{f: (None if pd.isna(now[f].iloc[i]) else now[f].iloc[i]) for f in STATE}} for i in positions]
    return positions, rows


def grid(source: pd.DataFrame) -> pd.DataFrame:
    labels = category_labels()
    shown = source[["shop_id", "name", "zone", "category", *STATE, "status_since"]].assign(
        category=source["category"].map(labels),
        status_since=[d.isoformat() if d else "—" for d in source["status_since"]])
    count = lambda key: st.column_config.NumberColumn(t(key), min_value=0, step=1, format="%d")  # noqa: E731
    return kept_editor.kept_editor(
        GRID, shown, row_id="shop_id", hide_index=True, width="stretch", num_rows="fixed", height=560,
        column_order=["name", "zone", "category", *STATE, "status_since"], placeholder="",
        disabled=["shop_id", "name", "zone", "category", "status_since"],
        column_config={
            **{c: st.column_config.TextColumn(t(f"shops.col.{c}")) for c in ("name", "zone", "category", "status_since")},
            "is_open": st.column_config.CheckboxColumn(t("shops.col.is_open")),
            "staff": count("shops.col.staff"),
            "staff_from_outside": count("shops.col.staff_from_outside"),
        },
    )


def show_many(user, source: pd.DataFrame, days: entry.Days, end) -> None:
    """Many shops: one grid, one save."""
    day_column, help_column = st.columns([1, 3], vertical_alignment="bottom")
    day = day_column.date_input(t("shops.entry.day"), value=days.start(end), min_value=days.first,
                                max_value=days.today, key="shop_grid_day", format="YYYY-MM-DD", persist_state=KEEP)
    help_column.caption(t("shops.entry.grid_help"))
    edited = grid(source)
    grid_box = st.container()
    positions, rows = changed_rows(edited, source)
    save_column, reload_column = st.columns(2)
    pressed = save_column.button(t("shops.entry.save"), type="primary", key="shop_grid_save", width="stretch")
    saving.unsaved_notice(GRID, grid_box, saving_now=pressed)
    if pressed:
        if not rows:
            grid_box.info(t("shops.entry.nothing"))
        else:
            summary = saving.attempt(GRID, lambda: shops.save_shops(user.username, day, rows, today=days.today),
                                     show=lambda error: show_refusal(error, grid_box, source, positions))
            if summary is not None:
                saved(summary)
    reload_column.button(t("shops.entry.reload"), key="shop_grid_reload", on_click=reload, width="stretch")


def one_form(key: str, current, days: entry.Days, end) -> tuple[dict, dict, bool]:
    """The one-shop form: its values, a message box under each field, whether it was submitted."""
    boxes = {}
    with st.form(f"{key}form"):
        boxes[None] = st.container()
        values = {"day": st.date_input(t("shops.entry.day"), value=days.start(end), min_value=days.first,
                                       max_value=days.today, key=f"{key}day", format="YYYY-MM-DD", width=240,
                                       persist_state=KEEP)}
        boxes["day"] = st.empty()
        values["is_open"] = st.radio(t("shops.entry.state"), [True, False], index=0 if current["is_open"] else 1,
                                     horizontal=True, key=f"{key}open", persist_state=KEEP,
                                     format_func=lambda o: t("shops.state_open") if o else t("shops.state_closed"))
        boxes["is_open"] = st.empty()
        for column, field, suffix in zip(st.columns(2), ("staff", "staff_from_outside"), ("staff", "outside")):
            values[field] = column.number_input(t(f"shops.col.{field}"), min_value=0, step=1, value=int(current[field]),
                                                key=f"{key}{suffix}", persist_state=KEEP)
            boxes[field] = column.empty()
        submitted = st.form_submit_button(t("shops.entry.save_one"), type="primary", key=f"{key}save")
    return values, boxes, submitted


def show_one(user, source: pd.DataFrame, days: entry.Days, end) -> None:
    """One shop: a form."""
    category = category_labels()
    labels = {int(i): f"{n} · {z} · {category[c]}"
              for i, n, z, c in zip(source["shop_id"], source["name"], source["zone"], source["category"])}
    shop_id = st.selectbox(t("shops.entry.shop"), list(labels), index=None, key="shop_one_id", format_func=labels.get,
                           placeholder=t("shops.entry.pick"))
    if shop_id is None:
        return
    current = source.loc[source.index[source["shop_id"] == shop_id][0]]
    st.caption(esc(t("shops.entry.current", state=t("shops.state_open") if current["is_open"] else t("shops.state_closed"),
                     staff=int(current["staff"]), outside=int(current["staff_from_outside"]),
                     since=current["status_since"] or "—")))
    key = f"shop_one_{shop_id}_"
    values, boxes, submitted = one_form(key, current, days, end)
    general = boxes.pop(None)
    saving.unsaved_notice(key, general, saving_now=submitted)
    if not submitted:
        return
    row = {"shop_id": int(shop_id), "version": int(current["version"]),
           **{f: values[f] for f in ("is_open", "staff", "staff_from_outside")}}
    summary = saving.attempt(key, lambda: shops.save_shops(user.username, values["day"], [row], today=days.today),
                             show=entry.field_refusal(general, boxes))
    if summary is None:
        return
    if summary["unchanged"]:
        general.info(t("shops.entry.nothing"))
    else:
        entry.forget(key)
        saved(summary)


def main() -> None:
    user = entry.heading("shops.entry.title", FLASH, intro_key="shops.entry.intro", writers_only=True)
    filters, days = st.session_state["filters"], entry.days()
    category, search = settings()
    source = load(user, filters.zone_id, category, search)
    if source.empty:
        st.info(t("shops.entry.none"))
        return
    if len(source) >= shops.ENTRY_LIMIT:
        st.caption(t("shops.entry.limited", n=shops.ENTRY_LIMIT))
    many, one = st.tabs([t("shops.entry.many"), t("shops.entry.one")])
    with many:
        show_many(user, source, days, filters.end)
    with one:
        show_one(user, source, days, filters.end)


if __name__ == "__main__":
    main()
