"""爱心捐赠: register money, goods and meals given by firms, residents and people working elsewhere
(goods go into stock in the same save), the list, and the printable thank-you list (爱心捐赠公示)."""
import streamlit as st

from data_access import logistics, territory
from data_access.models import DONATION_KINDS
from ui import entry, saving
from ui import format as fmt
from ui import thanks
from ui.data import read
from ui.flash import show_once
from ui.grids import fit
from ui.guard import require_router
from ui.i18n import lang, t, translator
from ui.kpi import tile
from ui.logistics_view import first_choice, form_zones, item_labels
from ui.page import run
from ui.session import actor

require_router()  # never run outside app.py's sign-in and role check

FLASH, FORM = "donations_flash", "don_form"
BLANK = "donations_blank"  # the form was saved: blank it on this run
KEEP = entry.KEEP
DONOR_KINDS = ("firm", "resident_group", "person")
DONOR_ORIGINS = ("inside", "elsewhere")
LIST_SHOWN = 500


def settings() -> dict:
    filters = st.session_state["filters"]
    st.title(t("don.title"))
    st.caption(t("don.intro"))
    return {"filters": filters}


def load(view: dict) -> dict:
    filters = view["filters"]
    zones = read(territory.zones)
    return {
        "donations": read(logistics.donations, filters),
        "area": dict(zip(zones["id"], zones["name"])).get(filters.zone_id) or t("thanks.whole_zone"),
    }


def show_tiles(frame) -> None:
    sums = thanks.totals(frame)
    tiles = st.columns(4)
    tile(tiles[0], t("don.count"), sums["n"])
    tile(tiles[1], t("don.total_money"), sums["money"])
    tile(tiles[2], t("don.total_goods_value"), sums["goods"])
    tile(tiles[3], t("don.total_meals"), sums["meals"])


def donation_list(frame) -> None:
    st.subheader(t("don.list"))
    if frame.empty:
        st.info(t("don.list_empty"))
        return
    label = translator(lang())
    shown = frame.head(LIST_SHOWN).assign(
        day=[fmt.day(d) for d in frame["day"].head(LIST_SHOWN)],
        donor=[thanks.donor_name(d, a, label) for d, a in zip(frame["donor"].head(LIST_SHOWN), frame["anonymous"].head(LIST_SHOWN))],
        donor_kind=[" · ".join(t(w) for w in ((f"don.table.{k}" if isinstance(k, str) else None),
                                               (f"don.table.{o}" if isinstance(o, str) else None)) if w) or None
                    for k, o in zip(frame["donor_kind"].head(LIST_SHOWN), frame["donor_origin"].head(LIST_SHOWN))],
        what=[thanks.what(k, a, u, label) for k, a, u in zip(frame["kind"].head(LIST_SHOWN), frame["amount"].head(LIST_SHOWN),
                                                              frame["unit"].head(LIST_SHOWN))],
        kind=[t(f"don.kind.{k}") for k in frame["kind"].head(LIST_SHOWN)],
    )
    # stored texts kept narrow (the cell shows the rest on hover): the table fits a laptop's 904 px
    texts = {"day": 100, "donor": 140, "donor_kind": 125, "kind": 65, "what": 100, "description": 100,
             "received_by": 80, "zone": 100}  # with the estimate's ~90: at most 900 px
    st.dataframe(
        shown, hide_index=True, placeholder="—", width="stretch", height=min(520, 38 + 35 * len(shown)),
        column_order=["day", "donor", "donor_kind", "kind", "what", "estimated_value", "description", "received_by",
                      "zone"],
        column_config={
            **{c: st.column_config.TextColumn(t(f"don.col.{c}"), width=fit(t(f"don.col.{c}"), shown[c].astype(str), most=most))
               for c, most in texts.items()},
            "estimated_value": st.column_config.NumberColumn(t("don.col.estimated_value"), format="localized",
                                                             width=fit(t("don.col.estimated_value"), ["999,999"])),
        },
    )


def thank_you(view: dict, area: str) -> None:
    """The printable list: a download and a preview, every stored text escaped (ui/thanks.py)."""
    filters = view["filters"]
    st.subheader(t("thanks.title"))
    st.caption(t("thanks.caption", start=fmt.day(filters.start), end=fmt.day(filters.end), area=fmt.plain(area)))
    by = st.segmented_control(t("thanks.by"), thanks.BY, default="day", key="thanks_by",
                              format_func=lambda b: t(f"thanks.by.{b}")) or "day"
    frame = read(logistics.thank_you_list, filters, by)
    language = lang()
    st.download_button(t("thanks.download"),
                       lambda: thanks.thanks_html(frame, by, translator(language), area, filters.start, filters.end,
                                                  language).encode("utf-8"),
                       type="primary", file_name=f"thanks_{filters.end:%Y%m%d}_{by}.html", mime="text/html",
                       key="thanks_download")
    if st.toggle(t("thanks.preview"), key="thanks_show"):
        st.html(f"<style>{thanks.THANKS_PREVIEW_CSS}</style><div class='thanks'>"
                f"{thanks.thanks_body(frame, by, t, area, filters.start, filters.end)}</div>")


def register(user, filters) -> None:
    """The register form: one donation; goods with an item go into that zone's stock in the same save."""
    st.subheader(t("don.register"))
    show_once(FLASH)
    zones = form_zones(user, "don.viewer")
    if not zones:
        return
    items = read(logistics.items)
    labels = item_labels(items)
    days, boxes = entry.days(), {}
    if st.session_state.pop(BLANK, False):
        # the last gift was saved: every field set to its empty value, not just forgotten (a forgotten
        # widget still showed what was typed in the browser, and a second press sent it again)
        # (the day and the zone stay as chosen: the next gift is often the same day's, for the same zone)
        blank = {"donor": "", "donor_kind": DONOR_KINDS[0], "donor_origin": DONOR_ORIGINS[0], "anonymous": False,
                 "kind": DONATION_KINDS[0], "amount": None, "item": None, "value": None, "description": "",
                 "received_by": ""}
        for key, value in blank.items():
            st.session_state[f"{FORM}_{key}"] = value
    with st.form(FORM):
        general = st.container()
        left, right = st.columns(2)
        with left:
            donor = st.text_input(t("don.f.donor"), max_chars=200, key=f"{FORM}_donor", help=t("don.f.donor_help"),
                                  persist_state=KEEP)
            boxes["donor"] = st.empty()
            donor_kind = st.radio(t("don.f.donor_kind"), DONOR_KINDS, horizontal=True, key=f"{FORM}_donor_kind",
                                  format_func=lambda k: t(f"don.donor_kind.{k}"), persist_state=KEEP)
            boxes["donor_kind"] = st.empty()
            donor_origin = st.radio(t("don.f.donor_origin"), DONOR_ORIGINS, horizontal=True, key=f"{FORM}_donor_origin",
                                    format_func=lambda k: t(f"don.donor_origin.{k}"), persist_state=KEEP)
            boxes["donor_origin"] = st.empty()
            anonymous = st.checkbox(t("don.f.anonymous"), key=f"{FORM}_anonymous", persist_state=KEEP)
            boxes["anonymous"] = st.empty()
            day = st.date_input(t("don.f.day"), value=days.start(filters.end), min_value=days.first, max_value=days.today,
                                key=f"{FORM}_day", format="YYYY-MM-DD", width=240, persist_state=KEEP)
            boxes["day"] = st.empty()
            zone_id = st.selectbox(t("don.f.zone"), list(zones), format_func=zones.get, key=f"{FORM}_zone",
                                   placeholder=t("widget.choose"),
                                   index=list(zones).index(first_choice(zones, filters.zone_id, user.home_zone_id)),
                                   persist_state=KEEP)
            boxes["zone_id"] = st.empty()
        with right:
            kind = st.radio(t("don.f.kind"), DONATION_KINDS, horizontal=True, key=f"{FORM}_kind",
                            format_func=lambda k: t(f"don.kind.{k}"), persist_state=KEEP)
            boxes["kind"] = st.empty()
            amount = st.number_input(t("don.f.amount"), min_value=0, step=1, value=None, key=f"{FORM}_amount",
                                     help=t("don.f.amount_help"), placeholder="0", persist_state=KEEP)
            boxes["amount"] = st.empty()
            item_id = st.selectbox(t("don.f.item"), list(labels), index=None, format_func=labels.get, key=f"{FORM}_item",
                                   placeholder=t("don.f.item_none"), persist_state=KEEP)
            boxes["item_id"] = st.empty()
            value = st.number_input(t("don.f.estimated_value"), min_value=0, step=1, value=None, key=f"{FORM}_value",
                                    placeholder="—", persist_state=KEEP)
            boxes["estimated_value"] = st.empty()
            description = st.text_input(t("don.f.description"), max_chars=500, key=f"{FORM}_description", persist_state=KEEP)
            boxes["description"] = st.empty()
            received_by = st.text_input(t("don.f.received_by"), max_chars=100, key=f"{FORM}_received_by",
                                        persist_state=KEEP)
            boxes["received_by"] = st.empty()
        pressed = st.form_submit_button(t("don.f.save"), type="primary", key=f"{FORM}_save")
    saving.unsaved_notice(FORM, general, saving_now=pressed)
    if not pressed:
        return
    row = {"day": day, "donor": donor.strip(), "donor_kind": donor_kind, "donor_origin": donor_origin,
           "anonymous": bool(anonymous), "kind": kind, "amount": amount,
           "item_id": item_id if kind == "goods" else None, "estimated_value": value,
           "description": description.strip() or None, "received_by": received_by.strip() or None, "zone_id": zone_id}
    done = saving.attempt(FORM, lambda: logistics.record_donation(user.username, row, today=days.today),
                          show=entry.field_refusal(general, boxes))
    if done is not None:
        unit = dict(zip(items["id"], items["unit"])).get(item_id) if item_id is not None else None
        shown = t("don.anonymous") if anonymous else fmt.plain(donor.strip())
        st.session_state[BLANK] = True  # outside the form's prefix: entry.done keeps it
        entry.done(FLASH, t("don.saved", donor=shown, what=fmt.plain(thanks.what(kind, amount, unit, t))), FORM + "_")


def show(view: dict, data: dict) -> None:
    frame = data["donations"]
    show_tiles(frame)
    register(actor(), view["filters"])
    donation_list(frame)
    thank_you(view, data["area"])


def main() -> None:
    run(settings, load, show)


if __name__ == "__main__":
    main()
