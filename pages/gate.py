"""小区门岗: what the compound gates registered, counted; lists masked, for the accounts that may see them.

Tiles (in and out today, from outside today and over the range, registrations kept, days kept), in and
out per hour per compound on the filter bar's last day, per day over its range (from the kept counts,
so they outlive the registrations), people at 2 or more compounds (for follow-up) and the newest
registrations, both masked and only for administrators, supervisors and clerks (theirs); one full record
at a time for granted accounts, each view audited. Administrators set how many days registrations are kept.
"""
from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from data_access import clock, gate
from ui import entry, saving
from ui import format as fmt
from ui.charts import gate as charts
from ui.data import chart_spec, read
from ui.flash import show_once
from ui.grids import fit
from ui.guard import require_router
from ui.i18n import t
from ui.kpi import tile
from ui.page import run
from ui.personal_data import may_see_personal
from ui.session import actor

require_router()

FLASH = "gate_flash"
LISTS = ("admin", "supervisor", "clerk")  # viewers see the counts only
NEWEST_SHOWN = 200
MULTI_SHOWN = 300


def retention_days() -> int:
    return gate.retention_days()  # one tiny read, not cached: a setting no line's version follows


# ---- settings → load → show ---------------------------------------------------------------------

def settings() -> dict:
    filters = st.session_state["filters"]
    if filters.end is None:
        filters = dataclasses.replace(filters, end=clock.today())
    if filters.start is None:
        filters = dataclasses.replace(filters, start=filters.end)
    st.title(t("gate.title"))
    st.caption(t("gate.intro"))
    return {"filters": filters, "user": actor()}


def load(view: dict) -> dict:
    filters, user = view["filters"], view["user"]
    data = {"summary": read(gate.summary, filters), "hourly": read(gate.hourly, filters, filters.end),
            "daily": read(gate.daily, filters), "retention": retention_days()}
    if user is not None and user.role in LISTS:
        data["multi"] = read(gate.multi_compound, user.username, filters)
        data["newest"] = read(gate.registrations, user.username, filters, NEWEST_SHOWN)
    return data


# ---- figures and charts ---------------------------------------------------------------------------

def show_tiles(filters, summary: dict, retention: int) -> None:
    row = st.columns(6)
    day = filters.end.strftime("%m-%d")
    tile(row[0], t("gate.entries_today", day=day), summary.get("entries_today", 0))
    tile(row[1], t("gate.exits_today", day=day), summary.get("exits_today", 0))
    tile(row[2], t("gate.outside_today", day=day), summary.get("from_outside_today", 0))
    tile(row[3], t("gate.outside_total"), summary.get("from_outside_total", 0))
    tile(row[4], t("gate.kept"), summary.get("registrations_kept", 0))
    tile(row[5], t("gate.retention"), retention)
    if summary.get("compounds_reporting") is not None:
        st.caption(t("gate.compounds_reporting", n=fmt.num(summary["compounds_reporting"]), day=day,
                     start=filters.start.strftime("%m-%d"), end=day))


def show_charts(filters, hourly: pd.DataFrame, daily: pd.DataFrame) -> None:
    """Per day over the range (every compound); per hour on the last day: one compound picked, and a map of them all."""
    st.subheader(t("gate.daily"))
    if daily.empty:
        st.info(t("gate.no_counts"))
    else:
        st.vega_lite_chart(chart_spec(charts.daily, gate.daily, (filters,), entries_label=t("gate.chart.entries"),
                                      exits_label=t("gate.chart.exits"), outside_label=t("gate.chart.outside"),
                                      day_label=t("gate.chart.day")), width="stretch")
    st.subheader(t("gate.hourly", day=filters.end.strftime("%m-%d")))
    if hourly.empty or int((hourly["entries"] + hourly["exits"]).sum()) == 0:
        st.info(t("gate.no_counts"))
        return
    totals = (hourly["entries"] + hourly["exits"]).groupby([hourly["site_id"], hourly["site"]]).sum()
    ranked = sorted(totals.items(), key=lambda item: (-int(item[1]), item[0][1]))  # as the map's rows: busiest first
    order = {int(site_id): str(name) for (site_id, name), _ in ranked}
    if st.session_state.get("gate_hour_site") not in order:
        st.session_state.pop("gate_hour_site", None)
    first = filters.site_id if filters.site_id in order else next(iter(order))
    left, right = st.columns([2, 3], gap="medium")
    with left:
        site_id = st.selectbox(t("gate.hourly_pick"), list(order), format_func=order.get, key="gate_hour_site",
                               index=list(order).index(first), placeholder=t("widget.choose"))
        st.vega_lite_chart(chart_spec(charts.hourly, gate.hourly, (filters, filters.end), site_id=int(site_id),
                                      entries_label=t("gate.chart.entries"), exits_label=t("gate.chart.exits"),
                                      hour_label=t("gate.chart.hour")), width="stretch")
    with right:
        if len(order) > charts.HOURLY_COMPOUNDS:
            st.caption(t("gate.hourly_busiest", shown=charts.HOURLY_COMPOUNDS, n=fmt.num(len(order))))
        else:
            st.caption(t("gate.hourly_all"))
        st.vega_lite_chart(chart_spec(charts.hourly_map, gate.hourly, (filters, filters.end),
                                      entries_label=t("gate.chart.entries"), exits_label=t("gate.chart.exits"),
                                      count_label=t("gate.chart.count"), hour_label=t("gate.chart.hour"),
                                      compound_label=t("gate.chart.compound")), width="stretch")


# ---- masked lists ---------------------------------------------------------------------------------

def _text(frame: pd.DataFrame, column: str, key: str, most: int = 220):
    return st.column_config.TextColumn(t(key), width=fit(t(key), frame[column].astype(str), most=most))


def _at_text(values) -> list[str]:
    zone = clock.zone()
    return ["—" if pd.isna(v) else pd.Timestamp(v).tz_convert(zone).strftime("%m-%d %H:%M")
            if pd.Timestamp(v).tzinfo else pd.Timestamp(v).strftime("%m-%d %H:%M") for v in values]


def _blank(values) -> list[str]:
    return ["—" if v is None or (isinstance(v, float) and pd.isna(v)) or v == "" else str(v) for v in values]


def multi_table(frame: pd.DataFrame) -> None:
    st.subheader(t("gate.multi"))
    if frame.empty:
        st.info(t("gate.multi_none"))
        return
    st.caption(t("gate.multi_count", n=fmt.num(len(frame))))
    first = frame.head(MULTI_SHOWN)
    shown = pd.DataFrame({"person_key": _blank(first["person_key"]), "doc_masked": _blank(first["doc_masked"]),
                          "name": _blank(first["name"]), "compounds": first["compounds"].astype(int),
                          "sites": _blank(first["sites"]), "last_at": _at_text(first["last_at"])})
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="—", height=min(38 + 35 * len(shown), 320),
                 column_config={"person_key": _text(shown, "person_key", "gate.col.person_key", 120),
                                "doc_masked": _text(shown, "doc_masked", "gate.col.doc_masked", 170),
                                "name": _text(shown, "name", "gate.col.name", 120),
                                "compounds": st.column_config.NumberColumn(t("gate.col.compounds"), width=80),
                                "sites": _text(shown, "sites", "gate.col.sites", 320),
                                "last_at": _text(shown, "last_at", "gate.col.last_at", 130)})


def newest_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The registrations as shown: words for codes, times where the zone is, '—' for nothing."""
    return pd.DataFrame({
        "registration_id": frame["registration_id"].astype(int),
        "at": _at_text(frame["at"]), "site": _blank(frame["site"]),
        "direction": [t(f"gate.direction.{d}") for d in frame["direction"]],
        "doc_type": [t(f"gate.doc.{d}") for d in frame["doc_type"]],
        "doc_masked": _blank(frame["doc_masked"]), "name": _blank(frame["name"]),
        "building": _blank(frame["building"]), "phone_masked": _blank(frame["phone_masked"]),
        "from_outside": [t("gate.yes") if bool(v) else t("gate.no") for v in frame["from_outside"]],
        "origin": _blank(frame["origin"]),
        "temperature": ["—" if pd.isna(v) else f"{float(v):.1f}" for v in frame["temperature"]],
    })


def newest_table(shown: pd.DataFrame) -> None:
    st.subheader(t("gate.newest"))
    if shown.empty:
        st.info(t("gate.newest_none"))
        return
    st.caption(t("gate.newest_count", shown=fmt.num(len(shown))))
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="—", height=min(38 + 35 * len(shown), 420),
                 column_order=["at", "site", "direction", "doc_type", "doc_masked", "name", "building", "phone_masked",
                               "from_outside", "origin", "temperature"],
                 column_config={"at": _text(shown, "at", "gate.col.at", 100), "site": _text(shown, "site", "gate.col.site"),
                                "direction": _text(shown, "direction", "gate.col.direction", 70),
                                "doc_type": _text(shown, "doc_type", "gate.col.doc_type", 100),
                                "doc_masked": _text(shown, "doc_masked", "gate.col.doc_masked", 170),
                                "name": _text(shown, "name", "gate.col.name", 120),
                                "building": _text(shown, "building", "gate.col.building", 130),
                                "phone_masked": _text(shown, "phone_masked", "gate.col.phone_masked", 140),
                                "from_outside": _text(shown, "from_outside", "gate.col.from_outside", 80),
                                "origin": _text(shown, "origin", "gate.col.origin", 110),
                                "temperature": _text(shown, "temperature", "gate.col.temperature", 70)})


def full_record(user, shown: pd.DataFrame) -> None:
    """One record at a time, each view an audit row; shown until the page is left."""
    with st.expander(t("gate.full")):
        st.caption(t("gate.full_note"))
        labels = {int(i): f"{a} · {s} · {n} · {d}" for i, a, s, n, d in
                  zip(shown["registration_id"], shown["at"], shown["site"], shown["name"], shown["doc_masked"])}
        offered = entry.bounded_options(labels, "gate_full_search", st, st.session_state.get("gate_full_pick"))
        picked = st.selectbox(t("gate.full_pick"), list(offered), format_func=offered.get, key="gate_full_pick",
                              index=None, placeholder=t("widget.choose"))
        box = st.container()
        if st.button(t("gate.full_show"), key="gate_full_show", disabled=picked is None) and picked is not None:
            record = saving.attempt("gate_full", lambda: gate.full_record(user.username, int(picked)), box)
            if record is not None:
                row = shown[shown["registration_id"] == picked].iloc[0]
                box.info(t("gate.full_result", name=fmt.plain(row["name"]), doc=fmt.plain(record.get("doc_number") or "—"),
                           phone=fmt.plain(record.get("phone") or "—")), icon=":material/badge:")


def retention_form(user, days: int) -> None:
    """Administrators: how many days registrations are kept (the data layer audits the change)."""
    with st.expander(t("gate.retention_set")):
        st.caption(t("gate.retention_help"))
        with st.form("gate_retention", border=False):
            box = st.container()
            value = st.number_input(t("gate.retention_days"), min_value=1, max_value=365, value=int(days), step=1,
                                    key="gate_retention_value")
            pressed = st.form_submit_button(t("gate.retention_save"), key="gate_retention_save")
        if pressed:
            done = saving.attempt("gate_retention", lambda: (gate.set_retention_days(user.username, int(value)),), box)
            if done is not None:
                entry.done(FLASH, t("gate.retention_saved", days=int(value)), None, "gate_retention_value")


def show(view: dict, data: dict) -> None:
    user, filters = view["user"], view["filters"]
    show_once(FLASH)
    show_tiles(filters, data["summary"] or {}, data["retention"])
    show_charts(filters, data["hourly"], data["daily"])
    if "newest" not in data:
        st.caption(t("gate.counts_only"))
    else:
        multi_table(data["multi"])
        shown = newest_frame(data["newest"])
        newest_table(shown)
        if not shown.empty and may_see_personal(user):
            full_record(user, shown)
    if user is not None and user.role == "admin":
        retention_form(user, data["retention"])


def main() -> None:
    run(settings, load, show)


if __name__ == "__main__":
    main()
