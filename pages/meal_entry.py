"""送餐登记: one grid of every duty point in the clerk's scope for one day, meals and meals residents
brought apart, pre-filled with each point's usual figure. Like the checkpoint grid (pages/traffic_entry.py),
what the clerk typed survives anything that is not a save."""
import dataclasses
import datetime as dt

import pandas as pd
import streamlit as st

from data_access import logistics
from ui import entry
from ui import format as fmt
from ui import kept_editor, saving
from ui.data import read
from ui.grid_keys import keep_keystrokes
from ui.grids import as_cell, as_count, fit, grid_height
from ui.guard import require_router
from ui.i18n import t

require_router()

COUNTS = ["meals", "donated_meals"]
FLASH, FORM = "meal_flash", "meal_entry"
KEEP = entry.KEEP
GRID_LIMIT = 200  # as the checkpoint grid: a city's every duty point is entered one zone at a time
COUNT_WIDTH = {"meals": 104, "donated_meals": 120}


def clear_flash() -> None:
    st.session_state.pop(FLASH, None)




def grid_key(day: dt.date) -> str:
    return f"meal_grid_{day}"


def settings(end: dt.date, days: entry.Days) -> dt.date:
    return st.date_input(t("meal.day"), value=days.start(end), min_value=days.first, max_value=days.today,
                         key="meal_day", format="YYYY-MM-DD", on_change=clear_flash, persist_state=KEEP, width=240)


def load(user, day: dt.date, zone_id) -> pd.DataFrame:
    """The grid's rows as loaded (with their versions, which a save is checked against), kept while the day
    and zone stay the same (ui.entry.pinned_rows)."""
    return entry.pinned_rows(grid_key(day), (day, zone_id), lambda: logistics.meal_grid(user, day, zone_id=zone_id))


def reload_grid(day: dt.date) -> None:
    entry.unpin(grid_key(day))
    saving.forget(FORM)


def prefilled(source: pd.DataFrame) -> list[bool]:
    """Rows not saved yet that show the point's usual figure, for the clerk to check and save."""
    return [pd.isna(v) and pd.notna(u) for v, u in zip(source["version"], source["usual"])]


def shown_rows(source: pd.DataFrame) -> pd.DataFrame:
    shown = source[["site_id", "name", "zone"]].copy()
    usual = prefilled(source)
    saved, new, filled = t("entry.status.saved"), t("entry.status.new"), t("meal.status.usual")
    corrected = source["corrected"] if "corrected" in source.columns else [False] * len(source)
    shown["status"] = [t("entry.status.corrected") if c and pd.notna(v) else saved if pd.notna(v) else filled if p else new
                       for c, v, p in zip(corrected, source["version"], usual)]
    shown["meals"] = [as_cell(u) if p else as_cell(m) for m, u, p in zip(source["meals"], source["usual"], usual)]
    shown["donated_meals"] = ["0" if p else as_cell(d) for d, p in zip(source["donated_meals"], usual)]
    shown["usual"] = [as_cell(u) or "—" for u in source["usual"]]
    return shown


def grid(source: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    shown = shown_rows(source)
    count_column = lambda name: st.column_config.TextColumn(  # noqa: E731
        t(f"meal.col.{name}"), help=t(f"meal.col_help.{name}"), alignment="right", max_chars=8,
        width=max(COUNT_WIDTH[name], fit(t(f"meal.col.{name}"), editable=True)))
    return kept_editor.kept_editor(
        grid_key(day), shown, row_id="site_id", on_change=clear_flash,
        hide_index=True, width="content", num_rows="fixed", placeholder="", height=grid_height(len(shown)),
        column_order=["name", "zone", "status", *COUNTS, "usual"],
        disabled=["site_id", "name", "zone", "status", "usual"],
        column_config={
            "name": st.column_config.TextColumn(t("meal.col.name"), width=fit(t("meal.col.name"), shown["name"], most=220)),
            "zone": st.column_config.TextColumn(t("col.zone"), width=fit(t("col.zone"), shown["zone"], most=160)),
            "status": st.column_config.TextColumn(t("entry.status"), width=fit(t("entry.status"), shown["status"])),
            **{name: count_column(name) for name in COUNTS},
            "usual": st.column_config.TextColumn(t("meal.col.usual"), help=t("meal.col_help.usual"), alignment="right",
                                                 width=fit(t("meal.col.usual"), ["9,999"])),
        },
    )


def rows_to_save(source: pd.DataFrame, edited: pd.DataFrame) -> tuple[list[dict], list[int]]:
    """The grid as rows for the save, and each row's position in the grid. A point left blank has not
    reported yet and is not sent; a saved row cleared to blank is sent, so the check says what is missing."""
    rows = [{"site_id": int(site_id), "version": None if pd.isna(version) else int(version),
             "meals": as_count(meals), "donated_meals": as_count(donated)}
            for site_id, version, meals, donated in zip(source["site_id"], source["version"], edited["meals"],
                                                        edited["donated_meals"])]
    keep = [i for i, r in enumerate(rows) if r["version"] is not None or any(r[c] is not None for c in COUNTS)]
    for i in keep:  # meals typed, residents' column left blank: none were brought
        if rows[i]["meals"] is not None and rows[i]["donated_meals"] is None:
            rows[i]["donated_meals"] = 0
    return [rows[i] for i in keep], keep


def save_day(user, day: dt.date, rows: list[dict], positions: list[int], names: dict[int, str], reason: str,
             today: dt.date, result_box) -> None:
    clear_flash()
    if not rows:
        result_box.info(t("meal.nothing"))
        return
    done = saving.attempt(FORM, lambda: logistics.save_meal_days(user.username, day, rows, reason=reason or None,
                                                                 today=today),
                          result_box, row_names=names, row_numbers=dict(enumerate(positions)))
    if done is not None:
        meals = sum(r["meals"] for r in rows if isinstance(r["meals"], int))
        reload_grid(day)
        entry.done(FLASH, t("meal.saved", day=fmt.day(day), meals=fmt.num(meals), points=fmt.num(len(rows))),
                   None, f"meal_reason_{day}")


def day_total(user, day: dt.date, filters) -> None:
    today = read(logistics.meals_today, dataclasses.replace(filters, site_id=None, end=day))
    st.caption(t("meal.total", meals=fmt.num(today.get("meals")), donated=fmt.num(today.get("donated_meals")),
                 n=fmt.num(today.get("reported")), m=fmt.num(today.get("expected"))))


def show_grid(user, source: pd.DataFrame, day: dt.date, today: dt.date) -> None:
    keep_keystrokes()
    edited = grid(source, day)
    rows, positions = rows_to_save(source, edited)
    every_name = source["name"].tolist()
    names = {n: every_name[i] for n, i in enumerate(positions)}
    reason = st.text_input(t("common.reason"), help=t("meal.reason_help"), key=f"meal_reason_{day}", max_chars=500,
                           persist_state=KEEP)
    save_col, reload_col = st.columns(2)
    result_box = st.container()
    pressed = save_col.button(t("meal.save"), type="primary", key="meal_save", width="stretch")
    saving.unsaved_notice(FORM, result_box, saving_now=pressed)
    if pressed:
        save_day(user, day, rows, positions, names, reason, today, result_box)
    reload_col.button(t("meal.reload"), on_click=reload_grid, args=(day,), key="meal_reload", width="stretch")


def main() -> None:
    user = entry.title("meal.title", intro_key="meal.intro", writers_only=True)
    filters, days = st.session_state["filters"], entry.days()
    day = settings(filters.end, days)
    entry.kept_flash(FLASH)
    source = load(user, day, filters.zone_id)
    day_total(user, day, filters)
    if source.empty:
        st.info(t("meal.none_here" if filters.zone_id else "meal.none"))
    elif filters.zone_id is None and len(source) > GRID_LIMIT:
        st.info(t("meal.pick_zone", n=fmt.num(len(source))), icon=":material/filter_alt:")
    else:
        show_grid(user, source, day, days.today)


if __name__ == "__main__":
    main()
