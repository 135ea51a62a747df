"""值班排班: who is on duty now at every duty point (short in red), a point's week roster (several people
a cell, "copy last week", warnings after a save), and each point's head count per shift."""
import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st

from data_access import clock, people, roster
from data_access.filters import Filters
from data_access.scope import EVERYWHERE
from ui import duty_view as view_of
from ui import entry, kept_editor, saving
from ui import format as fmt
from ui.data import read
from ui.grids import fit
from ui.guard import require_router
from ui.i18n import lang, t
from ui.kpi import tile
from ui.page import run
from ui.session import actor

require_router()

FLASH = "roster_flash"
WARNED = "roster_warned"  # the last save's warnings, shown after its rerun
GRID, REQ = "roster_week", "roster_req"
BOARD_SHOWN = 300  # rows of the on-duty board; the tiles count them all
# All zones of a city (3,000 points, ~6,000 point-shifts left today): the board lists the short and unmanned
# point-shifts, which is what the command post acts on (the tiles count them all); a zone or a point, or a
# view whose point-shifts fit the board, lists every one.
REQ_LIMIT = 300  # head counts are set one zone at a time beyond this
PILL = 24
DAY_WIDTH, SHIFT_WIDTH = 130, 250  # the week grid's columns (px): three shifts of two names fit 1366 px (880 of 904)


# ---- settings → load → show ---------------------------------------------------------------------

def settings() -> dict:
    filters = st.session_state["filters"]
    st.title(t("roster.title"))
    st.caption(t("roster.intro"))
    now = clock.now()
    return {"filters": dataclasses.replace(filters, start=None, end=None), "now": now, "user": actor()}


def whole_board(filters: Filters, points: pd.DataFrame, shifts: pd.DataFrame) -> bool:
    """Every point-shift on the board (a zone or a point chosen, or few enough to list), else the gaps only."""
    if filters.zone_id is not None or filters.site_id is not None:
        return True
    return len(points) * max(1, int(shifts["active"].sum()) if len(shifts) else 1) <= BOARD_SHOWN


def load(view: dict) -> dict:
    filters, now = view["filters"], view["now"]
    # keyed on the start of the shift on now, not on the minute: the same rows until the next shift begins
    moment = read(roster.shift_moment, now)
    points, shifts = read(roster.duty_points, filters), read(roster.shifts)
    whole = whole_board(filters, points, shifts)
    return {
        "tile": read(roster.duty_tile, filters, moment),
        "board": read(roster.on_duty, filters, moment) if whole
        else read(roster.on_duty, filters, moment, short_only=True, limit=BOARD_SHOWN),
        "whole": whole,
        "points": points,
        "shifts": shifts,
    }


# ---- on duty now ----------------------------------------------------------------------------------

def show_tiles(figures: dict) -> None:
    row = st.columns(3)
    required, present = int(figures.get("required") or 0), int(figures.get("present") or 0)
    row[0].metric(t("roster.tile.on_duty"), f"{present:,}/{required:,}", border=True)
    if figures.get("shift"):
        row[0].caption(t("roster.tile.on_duty_caption", shift=fmt.plain(figures["shift"])))
    tile(row[1], t("roster.tile.short"), figures.get("points_short"), inverse=True)
    tile(row[2], t("roster.tile.empty"), figures.get("points_empty"), inverse=True)


STATES = ("empty", "short", "ok", "later")  # the board's order


def board_rows(board: pd.DataFrame, now: dt.datetime, most: int | None = None) -> pd.DataFrame:
    """Short point-shifts first (unmanned before short), then the rest; each state as a coloured pill
    (view_of.point_state, by columns); the names put in words for the `most` rows shown."""
    minute = now.hour * 60 + now.minute
    present, required = board["present"].fillna(0).astype(int), board["required"].fillna(0).astype(int)
    later = board["start_minute"].astype(int) > minute
    order = np.select([(required > 0) & (present == 0), present < required, later], [0, 1, 3], default=2)
    shown = board.assign(_order=order).sort_values(["_order", "start_minute", "zone", "site"], kind="stable")
    if most is not None:
        shown = shown.head(most)
    words = [t(f"roster.state.{s}") for s in STATES]
    away = t("roster.absent_mark")
    shown = shown.assign(state=[[words[k]] for k in shown["_order"]])
    shown["names"] = [view_of.joined([*(n.split("、") if isinstance(n, str) and n else []),
                                      *(f"{a}{away}" for a in (b.split("、") if isinstance(b, str) and b else []))]) or "—"
                      for n, b in zip(shown["names"], shown["absent_names"])]
    return shown


def show_board(board: pd.DataFrame, now: dt.datetime, whole: bool, points: int) -> None:
    st.subheader(t("roster.now", time=now.strftime("%H:%M")))
    st.caption(t("roster.now_caption"))
    if whole and board.empty or not points:
        st.info(t("roster.now_none"))
        return
    if not whole:  # all zones of a city: the gaps only (short_only), the figures of them all in the tiles
        st.caption(t("roster.board_gaps_only", points=fmt.num(points), n=fmt.num(len(board)))
                   if len(board) < BOARD_SHOWN else
                   t("roster.board_gaps_limited", points=fmt.num(points), shown=BOARD_SHOWN))
        if board.empty:
            st.success(t("roster.now_all_manned"), icon=":material/check_circle:")
            return
        shown = board_rows(board, now)
    else:
        only_short = st.toggle(t("roster.only_short"), key="roster_only_short")
        rows = board[board["present"] < board["required"]] if only_short else board
        if only_short and rows.empty:
            st.success(t("roster.now_all_manned"), icon=":material/check_circle:")
            return
        if len(rows) > BOARD_SHOWN:
            st.caption(t("inspect.points_limited", n=fmt.num(len(rows)), shown=BOARD_SHOWN))
        shown = board_rows(rows, now, most=BOARD_SHOWN)
    colours = [view_of.SHORT_RED, view_of.SHORT_RED, view_of.OK_GREEN, view_of.LATER_GREY]
    options = [t(f"roster.state.{s}") for s in ("empty", "short", "ok", "later")]
    text = lambda column, key, most=220: st.column_config.TextColumn(  # noqa: E731
        t(key), width=fit(t(key), shown[column].astype(str), most=most))
    number = lambda key: st.column_config.NumberColumn(t(key), width=fit(t(key), ["99"]))  # noqa: E731
    st.dataframe(
        shown, hide_index=True, placeholder="—", width="stretch", height=min(38 + 35 * len(shown), 460),
        column_order=["state", "site", "zone", "shift", "required", "present", "rostered", "absent", "names"],
        column_config={
            "state": st.column_config.MultiselectColumn(t("roster.col.state"), options=options, color=colours,
                                                        width=fit(t("roster.col.state"), options, extra=PILL)),
            "site": text("site", "roster.col.site"), "zone": text("zone", "col.zone", 140),
            "shift": text("shift", "roster.col.shift", 90),
            "required": number("roster.col.required"), "present": number("roster.col.present"),
            "rostered": number("roster.col.rostered"), "absent": number("roster.col.absent"),
            "names": text("names", "roster.col.names", 320),
        })


# ---- the week grid --------------------------------------------------------------------------------

def writable(user, point: dict) -> bool:
    """May this account change the point's roster (the data layer checks again)."""
    if user is None or not user.writes:
        return False
    if user.role in EVERYWHERE:
        return True
    return point.get("zone_id") in user.zone_ids or point.get("site_id") in getattr(user, "site_ids", ())


def pick_point(points: pd.DataFrame, filtered_site: int | None):
    """The duty point (the filter bar's site when it is one), and the column the week picker goes in."""
    names = {int(i): f"{n} · {z}" if isinstance(z, str) else str(n)
             for i, n, z in zip(points["site_id"], points["name"], points["zone"])}
    if filtered_site in names and "roster_point" not in st.session_state:
        st.session_state["roster_point"] = filtered_site
    search_col, pick_col, week_col = st.columns([1, 2, 1]) if len(names) > entry.PICKER_LIMIT else (None, *st.columns([2, 1]))
    offered = entry.bounded_options(names, "roster_point_search", search_col, st.session_state.get("roster_point"))
    if st.session_state.get("roster_point") not in offered:
        st.session_state["roster_point"] = next(iter(offered), None)
    site_id = pick_col.selectbox(t("roster.point"), list(offered), format_func=offered.get, key="roster_point",
                                 placeholder=t("widget.choose"))
    return site_id, week_col


def pick_week(column, today: dt.date) -> dt.date:
    chosen = column.date_input(t("roster.week"), value=today, key="roster_week_day", format="YYYY-MM-DD",
                               help=t("roster.week_help"))
    return view_of.monday(chosen or today)


def shift_column(shift_id) -> str:
    return f"s{int(shift_id)}"


def grid_source(site_id: int, first: dt.date) -> pd.DataFrame:
    """The week as loaded (kept while the point and week stay the same): a row per day, a column of
    person ids (as text: the editor's lists are text) per shift, and the loaded ids the save is checked against."""
    def load() -> pd.DataFrame:
        week = roster.week(site_id, first)
        return week
    return entry.pinned_rows(GRID, (site_id, first), load)


def as_rows(week: pd.DataFrame, shifts: list[tuple[int, str, int]]) -> pd.DataFrame:
    rows = []
    for day in sorted(set(week["day"])):
        cells = week[week["day"] == day]
        row = {"key": day.isoformat(), "day": fmt.day(day, weekday=True)}
        for shift_id, _, _ in shifts:
            found = cells[cells["shift_id"] == shift_id]
            ids = found["person_ids"].iloc[0] if len(found) else ()
            row[shift_column(shift_id)] = [str(int(i)) for i in (ids or ())]
        rows.append(row)
    return pd.DataFrame(rows)


def shifts_of(week: pd.DataFrame) -> list[tuple[int, str, int]]:
    """(shift id, name, required) in the week's order."""
    first = week.drop_duplicates("shift_id")
    return [(int(i), str(n), int(r or 0)) for i, n, r in zip(first["shift_id"], first["shift"], first["required"])]


def labels_for(zone_id: int | None, week: pd.DataFrame) -> dict[int, str]:
    """Who can be put in a cell: the zone's serving people and the task forces; and anyone already in a cell."""
    labels = view_of.person_labels(read(people.person_choices, zone_id))
    known = {int(i) for ids in week["person_ids"] for i in (ids or ())}
    if known - set(labels):
        everyone = read(people.people, Filters(zone_id=zone_id))
        labels.update({int(i): f"{n}（{u}）" for i, n, u in zip(everyone["person_id"], everyone["name"], everyone["unit"])
                       if int(i) in known and int(i) not in labels})
    return labels


def grid(week: pd.DataFrame, shifts, labels: dict[int, str], editable: bool) -> pd.DataFrame:
    rows = as_rows(week, shifts)
    chips = view_of.short_labels(labels)
    options = [str(i) for i in labels]
    columns = {shift_column(i): st.column_config.MultiselectColumn(
        t("roster.shift_column", shift=name, n=required), options=options, width=SHIFT_WIDTH,
        format_func=lambda v: chips.get(int(v), v) if str(v).isdigit() else v, disabled=not editable)
        for i, name, required in shifts}
    return kept_editor.kept_editor(
        GRID, rows, row_id="key", on_change=clear_flash, hide_index=True, width="content", num_rows="fixed", placeholder="",
        height=35 * (len(rows) + 1) + 3, column_order=["day", *columns], disabled=["key", "day"],
        column_config={"day": st.column_config.TextColumn(t("roster.col.day"), width=DAY_WIDTH),
                       **columns})


def changed_cells(week: pd.DataFrame, edited: pd.DataFrame, shifts) -> list[dict]:
    """The cells whose people differ from what was loaded, each with the loaded ids (no lost update)."""
    cells = []
    by_day = {row["key"]: row for _, row in edited.iterrows()}
    for day, shift_id, loaded in zip(week["day"], week["shift_id"], week["person_ids"]):
        row = by_day.get(day.isoformat())
        if row is None:
            continue
        typed = row[shift_column(shift_id)]
        now = tuple(sorted(int(v) for v in (typed if isinstance(typed, (list, tuple)) else []) if str(v).isdigit()))
        before = tuple(sorted(int(i) for i in (loaded or ())))
        if now != before:
            cells.append({"day": day, "shift_id": int(shift_id), "person_ids": list(now), "loaded_person_ids": list(before)})
    return cells


def clear_flash() -> None:
    st.session_state.pop(FLASH, None)
    st.session_state.pop(WARNED, None)


def reload_week() -> None:
    entry.unpin(GRID)
    saving.forget(GRID)


def save_week(user, site_id: int, point: str, cells: list[dict], box) -> None:
    clear_flash()
    if not cells:
        box.info(t("roster.nothing"))
        return
    done = saving.attempt(GRID, lambda: roster.save_week(user.username, site_id, cells),
                          show=entry.refusal_with_reload(box, "roster_conflict_reload", reload_week))
    if done is not None:
        st.session_state[WARNED] = list((done or {}).get("warnings") or [])
        reload_week()
        entry.done(FLASH, t("roster.saved", point=fmt.plain(point), n=len(cells)))


def copy_week(user, site_id: int, first: dt.date, box) -> None:
    clear_flash()
    done = saving.attempt(GRID + "_copy", lambda: roster.copy_last_week(user.username, site_id, None, first), box)
    if done is not None:
        reload_week()
        entry.done(FLASH, t("roster.copied", copied=fmt.num(done.get("copied", 0)), skipped=fmt.num(done.get("skipped", 0))))


def show_warnings(warnings: list) -> None:
    if warnings:
        st.warning("  \n".join([f"**{t('roster.warnings')}**", *(view_of.warning_text(w) for w in warnings)]),
                   icon=":material/warning:")


def show_week(user, points: pd.DataFrame, filters: Filters, today: dt.date) -> None:
    if points.empty:
        st.info(t("roster.no_points"))
        return
    site_id, week_col = pick_point(points, filters.site_id)
    first = pick_week(week_col, today)
    if site_id is None:
        return
    point = points[points["site_id"] == site_id].iloc[0].to_dict()
    week_grid(user, site_id, point, first)
    # the week's double bookings and too-long stretches of the people rostered here (their other points too)
    show_week_warnings(read(roster.warnings, Filters(site_id=site_id), first, first + dt.timedelta(days=6)))


def week_grid(user, site_id: int, point: dict, first: dt.date) -> None:
    editable = writable(user, point)
    st.subheader(t("roster.grid", point=fmt.plain(point["name"])))
    st.caption(t("roster.week_of", start=fmt.day(first, weekday=True), end=fmt.day(first + dt.timedelta(days=6), weekday=True))
               + " · " + t("roster.grid_caption"))
    entry.kept_flash(FLASH)
    show_warnings(st.session_state.get(WARNED) or [])
    week = grid_source(site_id, first)
    if week.empty:
        st.info(t("roster.no_points"))
        return
    shifts = shifts_of(week)
    labels = labels_for(point.get("zone_id"), week)
    if editable and not labels:
        st.info(t("roster.no_people"))
    if not editable:
        st.caption(t("roster.viewer"))
    edited = grid(week, shifts, labels, editable)
    if not editable:
        return
    box = st.container()
    save_col, copy_col, reload_col = st.columns(3)
    pressed = save_col.button(t("roster.save"), type="primary", key="roster_save", width="stretch")
    copied = copy_col.button(t("roster.copy"), key="roster_copy", width="stretch", help=t("roster.copy_help"))
    reload_col.button(t("roster.reload"), key="roster_reload", on_click=reload_week, width="stretch")
    saving.unsaved_notice(GRID, box, saving_now=pressed)
    if pressed:
        save_week(user, site_id, point["name"], changed_cells(week, edited, shifts), box)
    if copied:
        copy_week(user, site_id, first, box)


def show_week_warnings(warnings: pd.DataFrame) -> None:
    """The week's double bookings and too-long stretches of the point's people."""
    with st.expander(t("roster.warnings") + f"（{len(warnings)}）" if lang() == "zh" else f"{t('roster.warnings')} ({len(warnings)})"):
        if warnings.empty:
            st.caption(t("roster.warnings_none"))
            return
        shown = warnings.assign(kind=[view_of.word("roster.kind", k) for k in warnings["kind"]],
                                day=[fmt.day(d) for d in warnings["day"]])
        text = lambda column, key, most=200: st.column_config.TextColumn(  # noqa: E731
            t(key), width=fit(t(key), shown[column].astype(str), most=most))
        st.dataframe(shown, hide_index=True, placeholder="—", width="stretch",
                     column_order=["kind", "person", "day", "shift", "site", "other_site", "hours"],
                     column_config={"kind": text("kind", "roster.col.kind"), "person": text("person", "roster.col.person"),
                                    "day": text("day", "roster.col.day"), "shift": text("shift", "roster.col.shift", 90),
                                    "site": text("site", "roster.col.site"),
                                    "other_site": text("other_site", "roster.col.other_site"),
                                    "hours": st.column_config.NumberColumn(t("roster.col.hours"),
                                                                           width=fit(t("roster.col.hours"), ["99"]))})


# ---- head counts ----------------------------------------------------------------------------------

def requirement_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """A row per point, a column of head counts per shift."""
    shifts = list(dict.fromkeys(zip(frame["shift_id"].astype(int), frame["shift"])))
    wide = frame.pivot_table(index=["site_id", "site", "zone"], columns="shift_id", values="required", aggfunc="first")
    wide.columns = [shift_column(c) for c in wide.columns]
    return wide.reset_index(), shifts


def show_requirements(user, filters: Filters, points: int) -> None:
    st.subheader(t("roster.req"))
    st.caption(t("roster.req_caption"))
    if points > REQ_LIMIT:  # the points in the view (requirements has a row per point and shift): not read
        st.info(t("roster.req.limited", n=fmt.num(points)), icon=":material/filter_alt:")
        return
    frame = read(roster.requirements, filters)
    if frame.empty:
        st.info(t("roster.no_points"))
        return
    rows, shifts = requirement_rows(frame)
    manages = view_of.manages_people(user)
    if not manages:
        st.caption(t("roster.req_readonly"))
    source = entry.pinned_rows(REQ, (filters.zone_id, filters.site_id, tuple(frame["version"].fillna(0).astype(int))),
                               lambda: rows)
    counts = {shift_column(i): st.column_config.NumberColumn(
        t("roster.shift_plain", shift=name), min_value=0, max_value=50, step=1, width=max(90, fit(t("roster.shift_plain", shift=name), editable=True)),
        disabled=not manages)
        for i, name in shifts}
    edited = kept_editor.kept_editor(
        REQ, source, row_id="site_id", hide_index=True, width="content", num_rows="fixed",
        height=min(38 + 35 * len(source), 460), column_order=["site", "zone", *counts], disabled=["site_id", "site", "zone"],
        column_config={"site": st.column_config.TextColumn(t("roster.col.site"), width=fit(t("roster.col.site"), source["site"], most=240)),
                       "zone": st.column_config.TextColumn(t("col.zone"), width=fit(t("col.zone"), source["zone"], most=140)),
                       **counts})
    if not manages:
        return
    box = st.container()
    if st.button(t("roster.req.save"), type="primary", key="roster_req_save"):
        changed = [{"site_id": int(s), "shift_id": i, "required": edited[shift_column(i)].iloc[n]}
                   for n, s in enumerate(source["site_id"]) for i, _ in shifts
                   if edited[shift_column(i)].iloc[n] != source[shift_column(i)].iloc[n]]
        changed = [dict(c, required=None if pd.isna(c["required"]) else int(c["required"])) for c in changed]
        if not changed:
            box.info(t("roster.nothing"))
            return
        site_names = dict(zip(source["site_id"].astype(int), source["site"]))
        names = {n: site_names.get(c["site_id"], "") for n, c in enumerate(changed)}
        done = saving.attempt(REQ, lambda: roster.save_requirements(user.username, changed), box, row_names=names)
        if done is not None:
            entry.unpin(REQ)
            entry.done(FLASH, t("roster.req.saved", n=len(changed)))


def show(view: dict, data: dict) -> None:
    user, filters, now = view["user"], view["filters"], view["now"]
    board_tab, week_tab, req_tab = st.tabs([t("roster.tab.now"), t("roster.tab.week"), t("roster.tab.requirements")])
    with board_tab:
        show_tiles(data["tile"])
        show_board(data["board"], now, data["whole"], len(data["points"]))
    with week_tab:
        show_week(user, data["points"], filters, now.date())
    with req_tab:
        show_requirements(user, filters, len(data["points"]))


def main() -> None:
    run(settings, load, show)


if __name__ == "__main__":
    main()
