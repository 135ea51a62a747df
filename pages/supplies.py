"""物资保障: stock per item and zone with its days of cover (shortest first), an item's trend, the meals
delivered to the duty points; forms to receive, issue and count stock; admins manage the items."""
import datetime as dt

import pandas as pd
import streamlit as st

from data_access import logistics, territory
from data_access.filters import Filters
from ui import entry, saving
from ui import format as fmt
from ui.charts import logistics as charts
from ui.data import chart_spec, read
from ui.flash import show_once
from ui.grids import fit
from ui.guard import require_router
from ui.i18n import lang, t
from ui.kpi import tile
from ui.logistics_view import SHORT_COVER_DAYS, cover_text, days_text, first_choice, form_zones, item_labels
from ui.page import run
from ui.session import actor

require_router()  # never run outside app.py's sign-in and role check

FLASH = "supplies_flash"
BLANK = "supplies_blank_"  # + a form: blank it on this run (it was saved)
KEEP = entry.KEEP
MOVEMENTS_SHOWN = 200
RECEIVE_KINDS = ("purchase", "allocation")
MOVEMENT_KINDS = ("purchase", "allocation", "donation", "issue", "stocktake")


# ---- settings → load → show ---------------------------------------------------------------------

def settings() -> dict:
    filters = st.session_state["filters"]
    st.title(t("sup.title"))
    st.caption(t("sup.as_of", day=fmt.day(filters.end, weekday=True)))
    return {"filters": filters}


def load(view: dict) -> dict:
    filters = view["filters"]
    return {
        "stock": read(logistics.stock, filters),
        "items": read(logistics.items),
        "meals_today": read(logistics.meals_today, filters),
        "meals_daily": read(logistics.meals_daily, filters),
        "movements": read(logistics.movements, filters, MOVEMENTS_SHOWN),
    }


def show_tiles(stock: pd.DataFrame, items: pd.DataFrame, meals: dict) -> None:
    tiles = st.columns(5)
    tile(tiles[0], t("sup.items"), len(items))
    tile(tiles[1], t("sup.low"), int(stock["low"].sum()) if len(stock) else 0)
    tiles[1].caption(t("sup.low_caption"))
    short = stock["cover_days"].notna() & (stock["cover_days"] < SHORT_COVER_DAYS) if len(stock) else pd.Series([], dtype=bool)
    tile(tiles[2], t("sup.short"), int(short.sum()))
    tiles[2].caption(t("sup.short_caption"))
    with_cover = stock[stock["cover_days"].notna()] if len(stock) else stock
    if len(with_cover):
        first = with_cover.sort_values("cover_days", kind="stable").iloc[0]
        # the unit in the label, the figure alone: a CJK "天" beside it made this tile taller than the others
        tiles[3].metric(t("sup.fewest"), days_text(first["cover_days"]), border=True)
        tiles[3].caption(t("sup.fewest_caption", item=fmt.plain(first["item"]), zone=fmt.plain(first["zone"])))
    else:
        tiles[3].metric(t("sup.fewest"), "—", border=True)
        tiles[3].caption(t("sup.fewest_none"))
    label = t("sup.meals_today")
    tile(tiles[4], label, meals.get("meals"))
    expected, reported = int(meals.get("expected") or 0), int(meals.get("reported") or 0)
    tiles[4].caption(t("sup.meals_complete", m=expected) if expected and reported >= expected
                     else t("sup.meals_reported", n=reported, m=expected))


def stock_table(stock: pd.DataFrame) -> None:
    st.subheader(t("sup.stock"))
    if stock.empty:
        st.info(t("sup.stock_empty"))
        return
    shown = stock.assign(cover_text=[cover_text(s, c) for s, c in zip(stock["stock"], stock["cover_days"])],
                         cover=stock["cover_days"].astype(float).round(1))
    text = lambda column, key, most=220: st.column_config.TextColumn(  # noqa: E731
        t(key), width=fit(t(key), shown[column].astype(str), most=most))
    number = lambda key: st.column_config.NumberColumn(t(key), format="localized", width=fit(t(key), ["99,999"]))  # noqa: E731
    st.dataframe(
        shown, hide_index=True, placeholder="—", width="stretch", height=min(560, 38 + 35 * len(shown)),
        column_order=["item", "zone", "stock", "unit", "threshold", "issued_7d", "cover", "cover_text", "low"],
        column_config={
            "item": text("item", "sup.col.item"), "zone": text("zone", "col.zone"),
            "unit": text("unit", "sup.col.unit", 80),
            "stock": number("sup.col.stock"), "threshold": number("sup.col.threshold"),
            "issued_7d": number("sup.col.issued_7d"),
            "cover": st.column_config.NumberColumn(t("sup.col.cover"), format="%.1f", width=fit(t("sup.col.cover"), ["99.9"])),
            "cover_text": text("cover_text", "sup.col.cover_text"),
            "low": st.column_config.CheckboxColumn(t("sup.low"), width=fit(t("sup.low"))),
        },
    )


def trend(view: dict, items: pd.DataFrame) -> None:
    st.subheader(t("sup.trend"))
    labels = item_labels(items)
    if not labels:
        st.info(t("sup.no_items"))
        return
    shortest = view.get("shortest")  # the item with the fewest days of cover opens first
    options = sorted(labels, key=lambda i: i != shortest)
    item_id = st.selectbox(t("sup.trend_item"), options, format_func=labels.get, key="sup_trend_item", width=320,
                           placeholder=t("widget.choose"))
    filters = view["filters"]
    frame = read(logistics.stock_trend, filters, item_id)
    if frame.empty:
        st.info(t("sup.trend_empty"))
        return
    threshold = items.loc[items["id"] == item_id, "low_threshold"]
    spec = chart_spec(charts.stock_trend, logistics.stock_trend, (filters, item_id),
                      stock_label=t("sup.stock_label"), day_label=t("sup.day_label"), zone_label=t("col.zone"),
                      threshold=int(threshold.iloc[0]) if len(threshold) and filters.zone_id is not None else None)
    st.vega_lite_chart(spec, width="stretch")


def meals(view: dict, daily: pd.DataFrame, today: dict) -> None:
    st.subheader(t("sup.meals"))
    left, right = st.columns([1, 3])  # the meals of the day are in the top row; the residents' apart here
    tile(left, t("sup.donated_meals"), today.get("donated_meals"))
    left.caption(t("sup.donated_caption", day=fmt.day(today.get("day"))))
    right.markdown(f"**{t('sup.meals_trend')}**")
    if daily.empty or not (daily["meals"].sum() + daily["donated_meals"].sum()):
        right.info(t("sup.meals_empty"))
        return
    right.vega_lite_chart(chart_spec(charts.meals_daily, logistics.meals_daily, (view["filters"],),
                                     meals_label=t("sup.meals_label"), donated_label=t("sup.donated_label"),
                                     day_label=t("sup.day_label")), width="stretch")


def movements_table(frame: pd.DataFrame) -> None:
    with st.expander(t("sup.movements")):
        if frame.empty:
            st.caption("—")
            return
        st.caption(t("sup.movements_count", n=fmt.num(len(frame))))
        kinds = {k: t(f"sup.kind.{k}") for k in MOVEMENT_KINDS}
        # the figure with its unit in one column, and stored texts kept narrow: the table fits a laptop's 870 px
        shown = frame.assign(kind=frame["kind"].map(kinds).fillna(frame["kind"]),
                             day=[fmt.day(d) for d in frame["day"]],
                             quantity=[f"{int(q):+,} {u}" if q else f"0 {u}" for q, u in zip(frame["quantity"], frame["unit"])])
        columns = {"day": ("common.day", 105), "kind": ("sup.col.kind", 80), "item": ("sup.col.item", 95),
                   "zone": ("col.zone", 105), "quantity": ("sup.col.quantity", 95),
                   "recipient_site": ("sup.col.recipient_site", 100), "recipient": ("sup.col.recipient", 95),
                   "note": ("sup.col.note", 95), "recorded_by": ("sup.col.recorded_by", 90)}  # at most 860 px
        present = [c for c in columns if c in shown.columns]
        st.dataframe(shown, hide_index=True, placeholder="—", width="stretch", height=400, column_order=present,
                     column_config={c: st.column_config.TextColumn(
                         t(columns[c][0]), width=fit(t(columns[c][0]), shown[c].astype(str), most=columns[c][1]))
                         for c in present})


# ---- the forms ----------------------------------------------------------------------------------

def field(boxes: dict, name: str, widget):
    """A widget's value, with an empty box under it for its message."""
    boxes[name] = st.empty()
    return widget


def item_picker(key: str, labels: dict) -> int | None:
    return st.selectbox(t("sup.f.item"), list(labels), index=None, format_func=labels.get, key=key,
                        placeholder=t("sup.f.item_pick"), persist_state=KEEP)


def day_picker(key: str, days: entry.Days, end: dt.date) -> dt.date:
    return st.date_input(t("sup.f.day"), value=days.start(end), min_value=days.first, max_value=days.today, key=key,
                         format="YYYY-MM-DD", width=240, persist_state=KEEP)


def count_input(label_key: str, key: str) -> int | None:
    return st.number_input(t(label_key), min_value=0, step=1, value=None, key=key, placeholder="0", persist_state=KEEP)


def submit(form: str, save, general, boxes: dict, message) -> None:
    """Save; a refusal under its fields (what was typed stays), else the message (given the write's
    answer: the place's stock after it) and a blank form."""
    done = saving.attempt(form, save, show=entry.field_refusal(general, boxes))
    if done is not None:
        st.session_state[BLANK + form] = True  # outside the form's prefix: entry.done keeps it
        entry.done(FLASH, message(done), form + "_")


def blank(form: str, values: dict) -> None:
    """After a save, the form's widgets set to their empty values, not just forgotten: a forgotten
    widget's value is gone on the server, but the browser still showed what was typed (the quantity,
    the recipient), and a second press then sent it again. The day stays as chosen (the next movement
    is often the same day's; the browser sends what it shows)."""
    if st.session_state.pop(BLANK + form, False):
        for key, value in values.items():
            st.session_state[f"{form}_{key}"] = value


def item_day_count(form: str, boxes: dict, labels: dict, days: entry.Days, end: dt.date, count: str = "quantity"):
    """The first fields of every movement form: the item, then the day and the figure side by side."""
    item_id = field(boxes, "item_id", item_picker(f"{form}_item", labels))
    left, right = st.columns(2)
    with left:
        day = field(boxes, "day", day_picker(f"{form}_day", days, end))
    with right:
        figure = field(boxes, count, count_input(f"sup.f.{count}", f"{form}_{count}"))
    return item_id, day, figure


def receive_form(user, zone_id: int, site_id: int | None, zone: str, labels: dict, names: dict, units: dict, days: entry.Days, end: dt.date) -> None:
    form, boxes = "sup_receive", {}
    blank(form, {"item": None, "quantity": None, "kind": RECEIVE_KINDS[0], "note": ""})
    with st.form(form):
        general = st.container()
        item_id, day, quantity = item_day_count(form, boxes, labels, days, end)
        kind = field(boxes, "kind", st.radio(t("sup.f.kind"), RECEIVE_KINDS, horizontal=True, key=f"{form}_kind",
                                             format_func=lambda k: t(f"sup.kind.{k}"), persist_state=KEEP))
        note = field(boxes, "note", st.text_input(t("sup.f.note"), max_chars=200, key=f"{form}_note", persist_state=KEEP))
        pressed = st.form_submit_button(t("sup.f.receive"), type="primary", key=f"{form}_save")
    saving.unsaved_notice(form, general, saving_now=pressed)
    if pressed:
        row = {"item_id": item_id, "zone_id": zone_id, "site_id": site_id, "day": day, "quantity": quantity,
               "kind": kind, "note": note.strip() or None}
        submit(form, lambda: logistics.receive(user.username, row, today=days.today), general, boxes,
               lambda done: t("sup.received", stock=fmt.num(done.get("stock")), item=fmt.plain(names.get(item_id, "")), quantity=fmt.num(quantity),
                 unit=fmt.plain(units.get(item_id, "")), zone=fmt.plain(zone)))


def recipient_sites(zone_id: int) -> dict[int, str]:
    sites = read(territory.sites, zone_id, ("village", "compound", "checkpoint"))
    return {int(i): n for i, n in zip(sites["id"], sites["name"])}


def issue_form(user, zone_id: int, site_id: int | None, zone: str, labels: dict, names: dict, units: dict, days: entry.Days, end: dt.date) -> None:
    form, boxes = "sup_issue", {}
    places = recipient_sites(zone_id)
    blank(form, {"item": None, "quantity": None, "place": None, "recipient": "", "note": ""})
    with st.form(form):
        general = st.container()
        item_id, day, quantity = item_day_count(form, boxes, labels, days, end)
        place = field(boxes, "recipient_site_id", st.selectbox(
            t("sup.f.recipient_site"), list(places), index=None, format_func=places.get, key=f"{form}_place",
            placeholder=t("sup.f.recipient_site_none"), persist_state=KEEP))
        recipient = field(boxes, "recipient", st.text_input(t("sup.f.recipient"), max_chars=100, key=f"{form}_recipient",
                                                            help=t("sup.f.recipient_help"), persist_state=KEEP))
        note = field(boxes, "note", st.text_input(t("sup.f.note"), max_chars=200, key=f"{form}_note", persist_state=KEEP))
        pressed = st.form_submit_button(t("sup.f.issue"), type="primary", key=f"{form}_save")
    saving.unsaved_notice(form, general, saving_now=pressed)
    if pressed:
        row = {"item_id": item_id, "zone_id": zone_id, "site_id": site_id, "day": day, "quantity": quantity,
               "recipient_site_id": place, "recipient": recipient.strip() or None, "note": note.strip() or None}
        submit(form, lambda: logistics.issue(user.username, row, today=days.today), general, boxes,
               lambda done: t("sup.issued", stock=fmt.num(done.get("stock")), item=fmt.plain(names.get(item_id, "")), quantity=fmt.num(quantity),
                 unit=fmt.plain(units.get(item_id, "")), zone=fmt.plain(zone)))


def stocktake_form(user, zone_id: int, site_id: int | None, zone: str, labels: dict, names: dict, units: dict, days: entry.Days, end: dt.date) -> None:
    form, boxes = "sup_stocktake", {}
    blank(form, {"item": None, "counted": None, "reason": ""})
    with st.form(form):
        general = st.container()
        item_id, day, counted = item_day_count(form, boxes, labels, days, end, "counted")
        reason = field(boxes, "reason", st.text_input(t("sup.f.reason"), max_chars=200, key=f"{form}_reason",
                                                      help=t("sup.f.reason_help"), persist_state=KEEP))
        pressed = st.form_submit_button(t("sup.f.stocktake"), type="primary", key=f"{form}_save")
    saving.unsaved_notice(form, general, saving_now=pressed)
    if pressed:
        row = {"item_id": item_id, "zone_id": zone_id, "site_id": site_id, "day": day, "counted": counted,
               "reason": reason.strip() or None}
        submit(form, lambda: logistics.stock_take(user.username, row, today=days.today), general, boxes,
               lambda done: t("sup.counted", item=fmt.plain(names.get(item_id, "")), stock=fmt.num(counted),
                 unit=fmt.plain(units.get(item_id, "")), zone=fmt.plain(zone)))


def items_form(user, items: pd.DataFrame) -> None:
    """Admins: add an item or change one (name, unit, low threshold, in use)."""
    form, boxes = "sup_item", {}
    labels = item_labels(items)
    picked = st.selectbox(t("sup.item.pick"), [None, *labels], key="sup_item_pick", placeholder=t("widget.choose"),
                          format_func=lambda i: t("sup.item.new") if i is None else labels[i])
    current = items[items["id"] == picked].iloc[0] if picked is not None else None
    key = f"{form}_{picked or 'new'}"
    with st.form(key):
        general = st.container()
        left, right = st.columns(2)
        with left:
            code = field(boxes, "code", st.text_input(t("sup.item.code"), max_chars=32, key=f"{key}_code",
                                                      value="" if current is None else current["code"]))
            unit = field(boxes, "unit", st.text_input(t("sup.item.unit"), max_chars=16, key=f"{key}_unit",
                                                      value="" if current is None else current["unit"]))
        with right:
            name = field(boxes, "name", st.text_input(t("sup.item.name"), max_chars=100, key=f"{key}_name",
                                                      value="" if current is None else current["name"]))
            threshold = field(boxes, "low_threshold", st.number_input(
                t("sup.item.low_threshold"), min_value=0, step=1, key=f"{key}_threshold",
                value=0 if current is None else int(current["low_threshold"])))
        active = field(boxes, "active", st.checkbox(t("sup.item.active"), key=f"{key}_active",
                                                    value=True if current is None else bool(current["active"])))
        pressed = st.form_submit_button(t("sup.item.save"), type="primary", key=f"{key}_save")
    if pressed:
        row = {"id": picked, "code": code.strip(), "name": name.strip(), "unit": unit.strip(),
               "low_threshold": threshold, "active": active}
        if current is not None and "version" in items.columns:
            row["version"] = int(current["version"])
        done = saving.attempt(key, lambda: logistics.save_item(user.username, row),
                              show=entry.field_refusal(general, boxes))
        if done is not None:
            entry.done(FLASH, t("sup.item.saved", name=name.strip()), key + "_", "sup_item_pick")


def forms(user, filters: Filters) -> None:
    st.subheader(t("sup.forms"))
    show_once(FLASH)
    zones = form_zones(user, "sup.forms_viewer")
    if not zones:
        return
    if st.session_state.get("sup_zone") not in zones:
        st.session_state["sup_zone"] = first_choice(zones, filters.zone_id, user.home_zone_id)
    zone_id = st.selectbox(t("sup.zone"), list(zones), format_func=zones.get, key="sup_zone", width=320,
                           placeholder=t("widget.choose"))
    site_id, point = place_picker(zone_id)
    place = zones[zone_id] if point is None else f"{zones[zone_id]} · {point}"  # named in the saved message
    items = read(logistics.items)
    labels, units = item_labels(items), {int(i): u for i, u in zip(items["id"], items["unit"])}
    names = {int(i): n for i, n in zip(items["id"], items["name"])}
    every = read(logistics.items, True) if user.role == "admin" else items
    tabs = [t("sup.tab.receive"), t("sup.tab.issue"), t("sup.tab.stocktake")]
    if user.role == "admin":
        tabs.append(t("sup.tab.items"))
    drawn = st.tabs(tabs)
    days, end = entry.days(), filters.end
    now = read(logistics.stock, Filters(zone_id=zone_id, end=days.today))
    if labels:
        with drawn[0]:
            receive_form(user, zone_id, site_id, place, labels, names, units, days, end)
        with drawn[1]:
            in_stock(now, zones[zone_id])
            issue_form(user, zone_id, site_id, place, labels, names, units, days, end)
        with drawn[2]:
            in_stock(now, zones[zone_id])
            stocktake_form(user, zone_id, site_id, place, labels, names, units, days, end)
    else:
        for tab in drawn[:3]:
            tab.info(t("sup.no_items"))
    if user.role == "admin":
        with drawn[3]:
            items_form(user, every)


STORE = 0  # the place picker's "the zone's store"


def place_picker(zone_id: int) -> tuple[int | None, str | None]:
    """Where the stock moves: the zone's store (as a rule), or a duty point that keeps its own (its id and name)."""
    points = read(territory.sites, zone_id, ("checkpoint",))
    places = {STORE: t("sup.f.place_store"), **{int(i): n for i, n in zip(points["id"], points["name"])}}
    if st.session_state.get("sup_place") not in places:
        st.session_state["sup_place"] = STORE
    chosen = st.selectbox(t("sup.f.place"), list(places), format_func=places.get, key="sup_place", width=320,
                          help=t("sup.f.place_help"), placeholder=t("widget.choose"))
    return (None, None) if chosen in (None, STORE) else (int(chosen), places[chosen])


def in_stock(now: pd.DataFrame, zone: str) -> None:
    """What the zone holds today, item by item, so an issue is never typed blind."""
    if now.empty:
        return
    parts = [f"{fmt.plain(i)} {fmt.num(s)} {fmt.plain(u)}" for i, s, u in zip(now["item"], now["stock"], now["unit"])]
    st.caption(t("sup.f.holds", zone=fmt.plain(zone), items=("；" if lang() == "zh" else "; ").join(parts)))


def show(view: dict, data: dict) -> None:
    show_tiles(data["stock"], data["items"], data["meals_today"])
    stock_table(data["stock"])
    covered = data["stock"][data["stock"]["cover_days"].notna()] if len(data["stock"]) else data["stock"]
    trend({**view, "shortest": int(covered["item_id"].iloc[0]) if len(covered) else None}, data["items"])
    meals(view, data["meals_daily"], data["meals_today"])
    movements_table(data["movements"])
    forms(actor(), view["filters"])


def main() -> None:
    run(settings, load, show)


if __name__ == "__main__":
    main()
