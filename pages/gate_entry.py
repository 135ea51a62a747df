"""门岗登记: a compound's gate team registers each person passing, on a phone, by keyboard.

One screen at 390 px: the compound (preselected when the account has one), a look-up box for a
returning person (phone or ID number, Enter: found ones are pre-filled, their numbers reused masked),
and one form (Enter saves): in/out and time, document type and number, name, 楼盘座号, mobile and
temperature, from outside and where from. After a save: one line with the masked number, a blank form
and the cursor back in the document number. Bad input: its message under its field, the typed values
kept. A day's paper register imports from Excel in the expander below.
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

from data_access import clock, gate
from data_access.filters import Filters
from data_access.personal import mask_document, normal_document
from ui import entry, saving
from ui import format as fmt
from ui.data import read
from ui.flash import show_once
from ui.guard import require_router
from ui.i18n import t
from ui.page import run

require_router()

FLASH, FORM = "gate_entry_flash", "gate_form"
LOOKUP, FOUND, FOCUS = "gate_lookup", "gate_found", "gate_focus"
LOOKUP_NOTE = "gate_lookup_note"
CLEAR = "gate_clear"  # set by a save: the next run blanks the form before drawing it
KEEP = entry.KEEP
DIRECTIONS = ("in", "out")
DOC_TYPES = ("resident_id", "passport", "hk_macao", "taiwan", "other")
FEVER = 37.3
BLANK = {"direction": "in", "time": None, "doc_type": "resident_id", "doc_number": "", "name": "", "building": "",
         "phone": "", "temperature": "", "from_outside": False, "origin": ""}

# Puts the cursor in a field after a run (the page's first run, a save, a look-up): a v2 component
# whose script runs in the page (no iframe); it draws nothing and sends nothing back.
_FOCUS_JS = """
export default function (component) {
  const data = component.data || {};
  if (!data.target || window.__gateFocusDone === data.nonce) return;
  window.__gateFocusDone = data.nonce;
  let tries = 0;
  const put = () => {
    const field = document.querySelector('.st-key-' + data.target + ' input');
    if (field && !field.disabled) { field.focus(); field.select && field.select(); return; }
    if (++tries < 40) setTimeout(put, 50);
  };
  setTimeout(put, 30);
}
"""
_focus = st.components.v2.component("gate_entry_focus", js=_FOCUS_JS)


# One phone screen: no "Press Enter to submit" and character counts inside the fields (the save button says
# Enter; a count would sit on an 18-character number), and less room above the title on a narrow screen.
STYLE = ("<style>[data-testid='stForm'] [data-testid='InputInstructions'] { display: none; } "
         "[data-testid='stMainBlockContainer'] { padding-top: 3.5rem; } "
         "[data-testid='stForm'] [data-testid='stVerticalBlock'] { gap: 0.6rem; }</style>")
WIDTH = 640  # px: on a laptop the form keeps a phone's proportions, so it stays on one screen


def focus(target: str) -> None:
    """Put the cursor in the field with key `target` once this run is drawn (and not again until asked)."""
    st.session_state[FOCUS] = (target, st.session_state.get(FOCUS, ("", 0))[1] + 1)


def direction_word(code: str) -> str:
    return t(f"gate.direction.{code}")


def doc_word(code: str) -> str:
    return t(f"gate.doc.{code}")


# ---- settings → load → show ---------------------------------------------------------------------

def settings() -> dict:
    """The compound: the only one the account may register for, or the one picked."""
    user = entry.title("gate_entry.title", None, writers_only=True)
    compounds = read(gate.compounds, user.username)
    names = {int(i): str(n) for i, n in zip(compounds["site_id"], compounds["name"])}
    if not names:
        st.info(t("gate_entry.no_compounds"))
        st.stop()
    if len(names) == 1:  # its name is in the line of today's counts
        site_id = next(iter(names))
    else:
        chosen = st.session_state["filters"].site_id  # the filter bar's site, when it is one of theirs
        site_id = st.container(width=WIDTH).selectbox(
            t("gate_entry.compound"), list(names), format_func=names.get, key="gate_site",
            index=list(names).index(chosen) if chosen in names else None, placeholder=t("widget.choose"),
            persist_state=KEEP, on_change=forget_person)
    return {"user": user, "site_id": site_id, "names": names, "today": clock.today()}


def load(view: dict) -> dict:
    if view["site_id"] is None:
        return {}
    filters = Filters(site_id=view["site_id"], start=view["today"], end=view["today"])
    return {"summary": read(gate.summary, filters)}


# ---- the look-up ----------------------------------------------------------------------------------

def forget_person() -> None:
    st.session_state.pop(FOUND, None)
    st.session_state.pop(LOOKUP_NOTE, None)


def looked_up(username: str, site_id: int) -> None:
    """The look-up box's Enter: a returning person pre-fills the form (masked numbers reused); someone
    not found has what was typed put in the phone or document number field. The box is emptied: a
    number typed there never stays on the screen."""
    key = (st.session_state.get(LOOKUP) or "").strip()
    st.session_state[LOOKUP] = ""
    forget_person()
    if not key:
        return
    try:
        found = gate.find_person(username, site_id, key)
    except Exception:  # a look-up that cannot answer (busy database): the clerk registers by hand
        found = None
    if found:
        st.session_state[FOUND] = dict(found)
        for field in ("name", "building", "origin"):
            st.session_state[f"{FORM}_{field}"] = found.get(field) or ""
        st.session_state[f"{FORM}_from_outside"] = bool(found.get("from_outside"))
        if found.get("doc_type") in DOC_TYPES:
            st.session_state[f"{FORM}_doc_type"] = found["doc_type"]
        st.session_state[f"{FORM}_doc_number"] = ""
        st.session_state[f"{FORM}_phone"] = ""
        st.session_state[LOOKUP_NOTE] = ("found", found.get("name") or "", found.get("doc_masked") or "")
        focus(f"{FORM}_temperature")
        return
    digits = key.replace(" ", "").replace("-", "")
    phone_like = len(digits) == 11 and digits.isdigit() and digits.startswith("1")
    st.session_state[f"{FORM}_phone" if phone_like else f"{FORM}_doc_number"] = digits
    st.session_state[LOOKUP_NOTE] = ("typed",)
    focus(f"{FORM}_name" if not phone_like else f"{FORM}_doc_number")


def lookup_box(user, site_id: int) -> None:
    st.text_input(t("gate_entry.lookup"), key=LOOKUP, max_chars=30, placeholder=t("gate_entry.lookup_hint"),
                  autocomplete="off", on_change=looked_up, args=(user.username, site_id), label_visibility="collapsed",
                  icon=":material/person_search:")
    note = st.session_state.get(LOOKUP_NOTE)
    found = st.session_state.get(FOUND)
    if note and note[0] == "found" and found:
        left, right = st.columns([4, 1], vertical_alignment="center", wrap=False)
        left.info(t("gate_entry.found", name=fmt.plain(note[1]), doc=fmt.plain(note[2] or "—")),
                  icon=":material/person_search:")
        right.button(t("gate_entry.reuse_clear"), key="gate_reuse_clear", on_click=forget_all)
    elif note and note[0] == "typed":
        st.caption(t("gate_entry.not_found"))


def blank_form() -> None:
    """Every field back to its default, by assignment: a widget's key deleted from the session would keep
    showing its old value in the browser (only an assigned value is sent to it)."""
    for name, value in BLANK.items():
        st.session_state[f"{FORM}_{name}"] = value


def forget_all() -> None:
    forget_person()
    blank_form()


# ---- the form -------------------------------------------------------------------------------------

def field(boxes: dict, name: str, widget, box=None):
    """A widget's value, with an empty box under it for its message."""
    boxes[name] = (box or st).empty()
    return widget


def moment(today: dt.date, picked: dt.time | None) -> dt.datetime | None:
    """The time picked, today (yesterday when it is still ahead: a passing just before midnight
    registered after it); None is now."""
    if picked is None:
        return None
    at = dt.datetime.combine(today, picked, tzinfo=clock.zone())
    if at > clock.now() + dt.timedelta(minutes=5):
        at -= dt.timedelta(days=1)
    return at


def temperature_value(text: str):
    text = (text or "").strip().replace("，", ".").replace(",", ".")
    if not text:
        return None
    try:
        return round(float(text), 1)
    except ValueError:
        return text  # the data layer says what is wrong with it, under the field


TYPED = ("doc_number", "name", "building", "phone", "temperature", "origin")  # fields the cursor can go back to


def refusal(general, boxes: dict):
    """Each message under its field (entry.field_refusal), and the cursor in the first text field refused."""
    shown = entry.field_refusal(general, boxes)

    def show(error) -> None:
        shown(error)
        refused = [item.field for item in getattr(error, "errors", ()) if item.field in TYPED]
        if refused:
            focus(f"{FORM}_{min(refused, key=TYPED.index)}")
    return show


def registration_form(view: dict) -> None:
    user, site_id = view["user"], view["site_id"]
    if st.session_state.pop(CLEAR, False):
        blank_form()
    found = st.session_state.get(FOUND)
    boxes: dict = {}
    with st.form(FORM, enter_to_submit=True, border=False):
        general = st.container()
        left, right = st.columns([1, 1], wrap=False)
        direction = field(boxes, "direction", left.segmented_control(
            t("gate_entry.f.direction"), DIRECTIONS, format_func=direction_word, key=f"{FORM}_direction",
            # the default only before the session holds a value (blank_form assigns it): both at once is
            # Streamlit's "default value and Session State" warning in the log at every save
            default=None if f"{FORM}_direction" in st.session_state else "in", required=True, width="stretch",
            persist_state=KEEP), left)
        picked = field(boxes, "at", right.time_input(t("gate_entry.f.time"), value=None, key=f"{FORM}_time",
                                                     step=60, persist_state=KEEP), right)
        left, right = st.columns([2, 3], wrap=False)
        doc_type = field(boxes, "doc_type", left.selectbox(
            t("gate_entry.f.doc_type"), DOC_TYPES, format_func=doc_word, key=f"{FORM}_doc_type",
            placeholder=t("widget.choose"), persist_state=KEEP), left)
        reused = found.get("doc_masked") if found else None
        doc_number = field(boxes, "doc_number", right.text_input(
            t("gate_entry.f.doc_number"), key=f"{FORM}_doc_number", max_chars=20, autocomplete="off",
            placeholder=t("gate_entry.f.doc_reused", masked=reused) if reused else "", persist_state=KEEP), right)
        left, right = st.columns([2, 3], wrap=False)
        name = field(boxes, "name", left.text_input(t("gate_entry.f.name"), key=f"{FORM}_name", max_chars=64,
                                                    autocomplete="off", persist_state=KEEP), left)
        building = field(boxes, "building", right.text_input(
            t("gate_entry.f.building"), key=f"{FORM}_building", max_chars=64, autocomplete="off",
            placeholder=t("gate_entry.f.building_hint"), persist_state=KEEP), right)
        left, right = st.columns([3, 2], wrap=False)
        phone_reused = found.get("phone_masked") if found else None
        phone = field(boxes, "phone", left.text_input(
            t("gate_entry.f.phone"), key=f"{FORM}_phone", max_chars=20, type="phone", autocomplete="off",
            icon=None, placeholder=t("gate_entry.f.doc_reused", masked=phone_reused) if phone_reused
            else t("gate_entry.f.phone_hint"), persist_state=KEEP), left)
        temperature = field(boxes, "temperature", right.text_input(
            t("gate_entry.f.temperature"), key=f"{FORM}_temperature", max_chars=5, autocomplete="off",
            placeholder="36.5", persist_state=KEEP), right)
        left, right = st.columns([2, 3], wrap=False, vertical_alignment="bottom")
        from_outside = field(boxes, "from_outside", left.checkbox(
            t("gate_entry.f.from_outside"), key=f"{FORM}_from_outside", persist_state=KEEP), left)
        origin = field(boxes, "origin", right.text_input(
            t("gate_entry.f.origin"), key=f"{FORM}_origin", max_chars=100, autocomplete="off",
            placeholder=t("gate_entry.f.origin_hint"), persist_state=KEEP), right)
        pressed = st.form_submit_button(t("gate_entry.save"), type="primary", key=f"{FORM}_save", width="stretch")
    saving.unsaved_notice(FORM, general, saving_now=pressed)
    if not pressed:
        return
    fields = {"direction": direction or "in", "at": moment(view["today"], picked), "doc_type": doc_type,
              "doc_number": (doc_number or "").strip(), "name": (name or "").strip(),
              "building": (building or "").strip() or None, "phone": (phone or "").strip() or None,
              "from_outside": bool(from_outside), "origin": (origin or "").strip() or None,
              "temperature": (temperature or "").strip() or None}
    reuse_from = found.get("registration_id") if found else None  # the data layer copies only what is left blank
    done = saving.attempt(FORM, lambda: gate.register(user.username, site_id, fields,
                                                      reuse_from=None if reuse_from is None else int(reuse_from)),
                          show=refusal(general, boxes))
    if done is None:
        return
    # masked as stored: a passport or permit shows its first and last 2 characters (mask_id would show 10 of 12)
    typed = normal_document(fields["doc_type"], fields["doc_number"]) if fields["doc_number"] else None
    shown_doc = mask_document(fields["doc_type"], typed) if typed else (reused or "—")
    message = t("gate_entry.saved", name=fmt.plain(fields["name"] or (found or {}).get("name") or ""),
                doc=shown_doc, direction=direction_word(fields["direction"]))
    degrees = temperature_value(fields["temperature"])
    if isinstance(degrees, float) and degrees >= FEVER:
        message += "  \n" + t("gate_entry.fever", temperature=degrees)
    forget_person()
    focus(f"{FORM}_doc_number")
    st.session_state[CLEAR] = True
    entry.done(FLASH, message)


def import_form(user, site_id: int) -> None:
    with st.expander(t("gate_entry.import")):
        st.caption(t("gate_entry.import_help"))
        upload = st.file_uploader(t("gate_entry.import_file"), type=["xlsx"], key="gate_import_file")
        box = st.container()
        if st.button(t("gate_entry.import_button"), key="gate_import", disabled=upload is None) and upload is not None:
            done = saving.attempt("gate_import", lambda: gate.import_registrations(
                user.username, site_id, upload.getvalue(), upload.name), box)
            if done is not None:
                entry.done(FLASH, t("gate_entry.imported", created=fmt.num(done.get("created", 0))), None,
                           "gate_import_file")


def show(view: dict, data: dict) -> None:
    st.html(STYLE)
    show_once(FLASH)
    site_id = view["site_id"]
    if site_id is None:
        st.info(t("gate_entry.pick_compound"))
        return
    summary = data["summary"] or {}
    counts = {"entries": fmt.num(summary.get("entries_today", 0)), "exits": fmt.num(summary.get("exits_today", 0)),
              "outside": fmt.num(summary.get("from_outside_today", 0))}
    if len(view["names"]) == 1:
        st.caption(t("gate_entry.compound_today", name=fmt.plain(view["names"][site_id]), **counts))
    else:
        st.caption(t("gate_entry.today", **counts))
    with st.container(width=WIDTH):
        lookup_box(view["user"], site_id)
        registration_form(view)
        import_form(view["user"], site_id)
    if FOCUS not in st.session_state:  # the page's first run: the cursor in the document number
        focus(f"{FORM}_doc_number")
    target, nonce = st.session_state[FOCUS]
    _focus(key="gate_focus_js", data={"target": target, "nonce": nonce}, height=0, width="content")


def main() -> None:
    run(settings, load, show)


if __name__ == "__main__":
    main()
