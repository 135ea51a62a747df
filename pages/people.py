"""人员与责任: the staff of every unit (phones masked), found by unit, status or name; admins and
supervisors add, change and import them; a granted account sees one full number at a time (audited);
who answers for each line of work, site and enterprise, A and B, with a form to set them."""
import dataclasses

import pandas as pd
import streamlit as st

from data_access import people, personal, territory
from data_access.filters import Filters
from data_access.models import PERSON_STATUSES, RESPONSIBILITY_LINES
from ui import duty_view as words
from ui import entry, saving
from ui import format as fmt
from ui.data import read
from ui.flash import show_once
from ui.grids import fit
from ui.guard import require_router
from ui.i18n import t
from ui.kpi import tile
from ui.page import run
from ui.personal_data import may_see_personal
from ui.session import actor

require_router()  # never run outside app.py's sign-in and role check

FLASH = "people_flash"
KEEP = entry.KEEP
PEOPLE_SHOWN = 500  # rows of the list; the tiles count them all
TARGETS_SHOWN = 300
NEW = 0  # the person picker's "a new person"


# ---- settings → load → show ---------------------------------------------------------------------

def settings() -> dict:
    """The filter bar's zone, and the list's own filters: unit, status, part of a name."""
    filters = dataclasses.replace(st.session_state["filters"], start=None, end=None)
    st.title(t("people.title"))
    st.caption(t("people.intro"))
    units = read(people.units)
    unit_names = {int(i): str(n) for i, n in zip(units["unit_id"], units["name"])}
    tabs = st.tabs([t("people.tab.people"), t("people.tab.responsibility")])
    left, middle, right = tabs[0].columns([2, 1, 2])  # the list's filters, in its own tab
    unit_id = left.selectbox(t("people.f.unit"), [None, *unit_names], key="people_unit", placeholder=t("widget.choose"),
                             format_func=lambda i: t("people.f.unit_all") if i is None else unit_names.get(i, str(i)))
    status = middle.selectbox(t("people.f.status"), [None, *PERSON_STATUSES], key="people_status",
                              placeholder=t("widget.choose"),
                              format_func=lambda s: t("people.f.status_all") if s is None else words.status_word(s))
    search = right.text_input(t("people.f.search"), key="people_search", max_chars=50,
                              placeholder=t("people.f.search_hint")).strip() or None
    return {"filters": filters, "units": units, "unit_id": unit_id, "status": status, "search": search, "user": actor(),
            "tabs": tabs}


def load(view: dict) -> dict:
    """What is shown: the list's first PEOPLE_SHOWN rows and its count, the tiles counted in SQL (the pickers
    read their labels, made in SQL, when drawn), the A/B of the lines, and the first TARGETS_SHOWN sites and
    enterprises with their count (a city has ~6,200 people and ~14,500 sites and enterprises)."""
    filters = view["filters"]
    # a phone typed in the search box reaches the cached reads as its keyed hash, never as the number
    listed = (filters, view["unit_id"], view["status"], personal.search_term(view["search"]))
    return {
        "people": read(people.people, *listed, limit=PEOPLE_SHOWN),
        "listed": read(people.people_counts, *listed),
        "counts": read(people.people_counts, filters, None, None, None),
        "lines": read(people.responsibilities, filters, kinds=("line",)),
        "targets": read(people.responsibilities, filters, kinds=("site", "enterprise"), limit=TARGETS_SHOWN),
        "target_counts": read(people.count_targets, filters),
    }


# ---- the people -----------------------------------------------------------------------------------

def show_tiles(counts: dict, units: pd.DataFrame) -> None:
    row = st.columns(5)
    tile(row[0], t("people.count"), counts["count"])
    tile(row[1], t("people.serving"), counts["active"])
    tile(row[2], t("people.on_leave"), counts["leave"])
    tile(row[3], t("people.units"), int(units["active"].sum()) if len(units) else 0)
    tile(row[4], t("people.task_force"), counts["task_force"])


def people_table(frame: pd.DataFrame, count: int) -> None:
    """The list's first PEOPLE_SHOWN rows (read so); `count` the rows it has."""
    st.subheader(t("people.list"))
    if frame.empty:
        st.info(t("people.none"))
        return
    if count > PEOPLE_SHOWN:
        st.caption(t("people.list_limited", n=fmt.num(count), shown=PEOPLE_SHOWN))
    else:
        st.caption(t("people.list_count", n=fmt.num(count)))
    first = frame.head(PEOPLE_SHOWN)
    shown = first.assign(status=[words.status_word(s) for s in first["status"]],
                         unit_kind=[words.kind_word(k) for k in first["unit_kind"]],
                         zone=[z if isinstance(z, str) and z else t("people.zone_everywhere") for z in first["zone"]],
                         title=first["title"].fillna("—"), phone_masked=first["phone_masked"].fillna("—"))
    text = lambda column, key, most=220: st.column_config.TextColumn(  # noqa: E731
        t(key), width=fit(t(key), shown[column].astype(str), most=most))
    st.dataframe(shown, hide_index=True, placeholder="—", width="stretch", height=min(38 + 35 * len(shown), 460),
                 column_order=["name", "unit", "unit_kind", "zone", "title", "phone_masked", "status"],
                 column_config={"name": text("name", "people.col.name", 120), "unit": text("unit", "people.col.unit"),
                                "unit_kind": text("unit_kind", "people.col.unit_kind", 150),
                                "zone": text("zone", "col.zone", 140), "title": text("title", "people.col.title", 160),
                                "phone_masked": text("phone_masked", "people.col.phone", 130),
                                "status": text("status", "people.col.status", 80)})


def field(boxes: dict, name: str, widget):
    """A widget's value, with an empty box under it for its message."""
    boxes[name] = st.empty()
    return widget


def zone_names() -> dict[int, str]:
    zones = read(territory.zones)
    return {int(i): str(n) for i, n in zip(zones["id"], zones["name"])}


def person_form(user, filters: Filters, units: pd.DataFrame) -> None:
    """Add a person or change one: name, unit, zone, title, phone (kept unless typed or cleared), status."""
    st.subheader(t("people.form"))
    labels = words.person_labels(read(people.person_labels, filters, None, None, None))
    offered = entry.bounded_options(labels, "people_pick_search", st, st.session_state.get("people_pick"))
    picked = st.selectbox(t("people.pick"), [NEW, *offered], key="people_pick", placeholder=t("widget.choose"),
                          format_func=lambda i: t("people.new") if i == NEW else offered.get(i, labels.get(i, str(i))))
    row = read(people.people, filters, person_id=int(picked)) if picked != NEW and picked in labels else None
    current = row.iloc[0] if row is not None and len(row) else None
    unit_names = {int(i): f"{n}（{words.kind_word(k)}）" for i, n, k, a in
                  zip(units["unit_id"], units["name"], units["kind"], units["active"]) if a}
    zones = zone_names()
    form, boxes = f"people_form_{picked or 'new'}", {}
    value = lambda column, default=None: default if current is None or words.missing(current.get(column)) else current.get(column)  # noqa: E731
    with st.form(form):
        general = st.container()
        left, right = st.columns(2)
        with left:
            name = field(boxes, "name", st.text_input(t("people.f.name"), value=value("name", ""), max_chars=64,
                                                      key=f"{form}_name", persist_state=KEEP))
            unit_id = field(boxes, "unit_id", st.selectbox(
                t("people.f.unit_pick"), list(unit_names), format_func=unit_names.get, key=f"{form}_unit",
                index=list(unit_names).index(int(value("unit_id"))) if value("unit_id") in unit_names else None,
                placeholder=t("widget.choose"), persist_state=KEEP))
            zone_id = field(boxes, "zone_id", st.selectbox(
                t("people.f.zone"), [None, *zones], key=f"{form}_zone",
                index=[None, *zones].index(int(value("zone_id"))) if value("zone_id") in zones else 0,
                format_func=lambda z: t("people.f.zone_none") if z is None else zones[z], persist_state=KEEP, placeholder=t("widget.choose")))
            title = field(boxes, "title", st.text_input(t("people.f.title"), value=value("title", ""), max_chars=64,
                                                        key=f"{form}_title", persist_state=KEEP))
        with right:
            masked = value("phone_masked")
            phone = field(boxes, "phone", st.text_input(
                t("people.f.phone"), max_chars=20, key=f"{form}_phone", persist_state=KEEP,
                placeholder=masked or "", help=t("people.f.phone_kept", masked=masked) if masked else t("people.f.phone_help")))
            clear_phone = st.checkbox(t("people.f.clear_phone"), key=f"{form}_clear_phone", disabled=not masked)
            status = field(boxes, "status", st.selectbox(
                t("people.f.status_pick"), PERSON_STATUSES, format_func=words.status_word, key=f"{form}_status",
                index=PERSON_STATUSES.index(value("status", "active")), persist_state=KEEP, placeholder=t("widget.choose")))
            note = field(boxes, "note", st.text_input(t("people.f.note"), value=value("note", ""), max_chars=500,
                                                      key=f"{form}_note", persist_state=KEEP))
        pressed = st.form_submit_button(t("people.save"), type="primary", key=f"{form}_save")
    saving.unsaved_notice(form, general, saving_now=pressed)
    if pressed:
        fields = {"name": name.strip(), "unit_id": unit_id, "zone_id": zone_id, "title": title.strip() or None,
                  "phone": phone.strip(), "status": status, "note": note.strip() or None}
        if clear_phone:
            fields["clear_phone"] = True
        version = None if current is None else int(current["version"])
        done = saving.attempt(form, lambda: people.save_person(user.username, None if picked == NEW else int(picked),
                                                               fields, version=version),
                              show=entry.field_refusal(general, boxes))
        if done is not None:
            entry.done(FLASH, t("people.saved", name=fmt.plain(fields["name"]), unit=fmt.plain(
                units.set_index("unit_id")["name"].get(unit_id, ""))), form + "_", "people_pick")


def import_form(user) -> None:
    with st.expander(t("people.import")):
        st.caption(t("people.import_help"))
        upload = st.file_uploader(t("people.import_file"), type=["xlsx"], key="people_import_file")
        box = st.container()
        if st.button(t("people.import_button"), key="people_import", disabled=upload is None) and upload is not None:
            done = saving.attempt("people_import", lambda: people.import_people(user.username, upload.getvalue(),
                                                                                upload.name), box)
            if done is not None:
                entry.done(FLASH, t("people.imported", created=fmt.num(done.get("created", 0)),
                                    updated=fmt.num(done.get("updated", 0))), None, "people_import_file")


def full_phone(user, listed: tuple) -> None:
    """One number at a time, each view an audit row; shown until the page is left. The picker offers the
    people of the list (all of them, not only the rows drawn)."""
    with st.expander(t("people.full_phone")):
        st.caption(t("people.full_phone_note"))
        labels = words.person_labels(read(people.person_labels, *listed))
        offered = entry.bounded_options(labels, "people_phone_search", st, st.session_state.get("people_phone_pick"))
        if not offered:
            st.caption("—")
            return
        person_id = st.selectbox(t("people.full_phone_pick"), list(offered), format_func=offered.get,
                                 key="people_phone_pick", index=None, placeholder=t("widget.choose"))
        box = st.container()
        if st.button(t("people.full_phone_show"), key="people_phone_show", disabled=person_id is None):
            # in a tuple: a person without a phone answers "", which is not a refusal
            shown = saving.attempt("people_phone", lambda: (people.full_phone(user.username, int(person_id)),), box)
            if shown is not None:
                number, name = shown[0], fmt.plain(labels[person_id])
                box.info(t("people.full_phone_result", name=name, phone=number) if number
                         else t("people.full_phone_empty", name=name), icon=":material/call:")


# ---- A/B responsibility ---------------------------------------------------------------------------

def pair_text(a, b) -> str:
    a = a if isinstance(a, str) and a else "—"
    return f"{a} / {b}" if isinstance(b, str) and b else a


def lines_table(frame: pd.DataFrame) -> None:
    """A row per line of work, a column per zone, 'A / B' in each cell."""
    st.subheader(t("resp.lines"))
    lines = frame[frame["target_kind"] == "line"]
    if lines.empty:
        st.info(t("resp.none"))
        return
    zones = list(dict.fromkeys(lines.sort_values("zone_id")["zone"]))
    cells = {(l, z): pair_text(a, b) for l, z, a, b in zip(lines["line"], lines["zone"], lines["a_name"], lines["b_name"])}
    order = [l for l in RESPONSIBILITY_LINES if l in set(lines["line"])]
    shown = pd.DataFrame([{"line": words.line_word(l), **{f"z{n}": cells.get((l, z), "—") for n, z in enumerate(zones)}}
                          for l in order])
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="—",
                 column_config={"line": st.column_config.TextColumn(t("resp.col.line"), width=fit(t("resp.col.line"), shown["line"])),
                                **{f"z{n}": st.column_config.TextColumn(str(z), width=fit(str(z), shown[f"z{n}"], most=200))
                                   for n, z in enumerate(zones)}})


def targets_table(frame: pd.DataFrame, counts: dict) -> None:
    """The first TARGETS_SHOWN sites and enterprises (read so, with their count)."""
    st.subheader(t("resp.targets"))
    rows = frame[frame["target_kind"] != "line"]
    if rows.empty:
        st.info(t("resp.none"))
        return
    total = counts["site"] + counts["enterprise"]
    if total > TARGETS_SHOWN:
        st.caption(t("resp.targets_limited", n=fmt.num(total), shown=TARGETS_SHOWN))
        rows = rows.head(TARGETS_SHOWN)
    shown = rows.assign(kind=[t(f"resp.kind.{k}") for k in rows["target_kind"]],
                        target=[s if isinstance(s, str) and s else e for s, e in zip(rows["site"], rows["enterprise"])],
                        a_name=rows["a_name"].fillna("—"), b_name=rows["b_name"].fillna("—"))
    text = lambda column, key, most=220: st.column_config.TextColumn(  # noqa: E731
        t(key), width=fit(t(key), shown[column].astype(str), most=most))
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="—", height=min(38 + 35 * len(shown), 460),
                 column_order=["kind", "target", "zone", "a_name", "b_name"],
                 column_config={"kind": text("kind", "resp.col.kind", 80), "target": text("target", "resp.col.target", 260),
                                "zone": text("zone", "col.zone", 140), "a_name": text("a_name", "resp.col.a", 160),
                                "b_name": text("b_name", "resp.col.b", 160)})


def target_picker(frame: pd.DataFrame, zones: dict[int, str], filters: Filters) -> tuple[dict | None, str, pd.Series | None]:
    """What the A/B is for: a line in a zone, a site or an enterprise; its name and its current row."""
    kind = st.radio(t("resp.f.kind"), ("line", "site", "enterprise"), horizontal=True, key="resp_kind",
                    format_func=lambda k: t(f"resp.kind.{k}"))
    if kind == "line":
        left, right = st.columns(2)
        line = left.selectbox(t("resp.f.line"), RESPONSIBILITY_LINES, format_func=words.line_word, key="resp_line",
                              placeholder=t("widget.choose"))
        zone_id = right.selectbox(t("resp.f.zone"), list(zones), format_func=zones.get, key="resp_zone",
                                  index=list(zones).index(filters.zone_id) if filters.zone_id in zones else 0, placeholder=t("widget.choose"))
        if zone_id is None:
            return None, "", None
        found = frame[(frame["target_kind"] == "line") & (frame["line"] == line) & (frame["zone_id"] == zone_id)]
        return {"line": line, "zone_id": int(zone_id)}, f"{zones[zone_id]} · {words.line_word(line)}", \
            found.iloc[0] if len(found) else None
    column = "site" if kind == "site" else "enterprise"
    rows = read(people.responsibilities, filters, kinds=(kind,))  # only the kind chosen, only once it is
    names = {int(i): f"{n} · {z}" if isinstance(z, str) else str(n)
             for i, n, z in zip(rows[f"{column}_id"], rows[column], rows["zone"]) if not words.missing(i)}
    offered = entry.bounded_options(names, f"resp_{kind}_search", st, st.session_state.get(f"resp_{kind}"))
    target_id = st.selectbox(t(f"resp.f.{kind}"), list(offered), format_func=offered.get, key=f"resp_{kind}",
                             index=None, placeholder=t("widget.choose"))
    if target_id is None:
        return None, "", None
    found = rows[rows[f"{column}_id"] == target_id]
    return {f"{column}_id": int(target_id)}, names[target_id], found.iloc[0] if len(found) else None


def responsibility_form(user, frame: pd.DataFrame, filters: Filters) -> None:
    st.subheader(t("resp.form"))
    show_once(FLASH + "_resp")
    zones = zone_names()
    target, name, current = target_picker(frame, zones, filters)
    if target is None:
        return
    st.caption(t("resp.current", a=fmt.plain(current["a_name"] or "—"), b=fmt.plain(current["b_name"] or "—"))
               if current is not None else t("resp.current_none"))
    zone_id = target.get("zone_id") if "zone_id" in target else (None if current is None or words.missing(current["zone_id"])
                                                                 else int(current["zone_id"]))
    labels = words.person_labels(read(people.person_choices, zone_id))
    key = "resp_form_" + "_".join(f"{k}{v}" for k, v in target.items())
    boxes = {}
    a_now = None if current is None or words.missing(current["a_person_id"]) else int(current["a_person_id"])
    b_now = None if current is None or words.missing(current["b_person_id"]) else int(current["b_person_id"])
    # a zone of a city has ~1,000 people: beyond entry.PICKER_LIMIT each picker is narrowed by a search box
    # (outside the form, so typing narrows at once); the person named now and the one picked stay offered
    search_a, search_b = st.columns(2)
    offered_a = entry.bounded_options(labels, "resp_a_search", search_a,
                                      st.session_state.get(f"{key}_a", a_now))
    offered_b = entry.bounded_options(labels, "resp_b_search", search_b,
                                      st.session_state.get(f"{key}_b", b_now))
    for now_id, offered in ((a_now, offered_a), (b_now, offered_b)):
        if now_id in labels:
            offered.setdefault(now_id, labels[now_id])
    with st.form(key):
        general = st.container()
        left, right = st.columns(2)
        with left:
            a = field(boxes, "a_person_id", st.selectbox(t("resp.f.a"), list(offered_a), format_func=labels.get, key=f"{key}_a",
                                                         index=list(offered_a).index(a_now) if a_now in offered_a else None,
                                                         placeholder=t("resp.f.pick_person")))
        with right:
            b = field(boxes, "b_person_id", st.selectbox(t("resp.f.b"), [None, *offered_b], key=f"{key}_b",
                                                         format_func=lambda i: t("resp.f.b_none") if i is None else labels[i],
                                                         index=[None, *offered_b].index(b_now) if b_now in offered_b else 0, placeholder=t("widget.choose")))
        pressed = st.form_submit_button(t("resp.save"), type="primary", key=f"{key}_save")
    if pressed:
        version = None if current is None else int(current["version"])
        done = saving.attempt(key, lambda: people.save_responsibility(user.username, target, a, b, version),
                              show=entry.field_refusal(general, boxes))
        if done is not None:
            st.session_state[FLASH + "_resp"] = t("resp.saved", target=fmt.plain(name), a=fmt.plain(labels.get(a, "—")),
                                                  b=fmt.plain(labels.get(b, t("resp.f.b_none"))))
            entry.forget(key + "_")
            st.rerun()


# ---- the page -------------------------------------------------------------------------------------

def show(view: dict, data: dict) -> None:
    user, filters = view["user"], view["filters"]
    people_tab, resp_tab = view["tabs"]
    manages = words.manages_people(user)
    with people_tab:
        show_once(FLASH)
        show_tiles(data["counts"], view["units"])
        people_table(data["people"], data["listed"]["count"])
        if may_see_personal(user):
            full_phone(user, (filters, view["unit_id"], view["status"], personal.search_term(view["search"])))
        if manages:
            person_form(user, filters, view["units"])
            import_form(user)
        else:
            st.caption(t("people.manage_readonly"))
    with resp_tab:
        lines_table(data["lines"])
        targets_table(data["targets"], data["target_counts"])
        if manages:
            responsibility_form(user, data["lines"], filters)
        else:
            st.caption(t("resp.readonly"))


def main() -> None:
    run(settings, load, show)


if __name__ == "__main__":
    main()
