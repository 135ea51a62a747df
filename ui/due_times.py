"""Report due times as people read them ("次日 10:00"), and the administration tab that sets them."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from data_access import completeness
from data_access.auth import Actor
from ui import flash, saving
from ui.data import read
from ui.format import plain
from ui.i18n import t

FLASH = "admin_due_flash"
DAY_OFFSETS = tuple(range(8))  # the same day up to a week after: the database's 0..10080 minutes


def describe(minutes) -> str:
    """2040 -> "次日 10:00" / "10:00 the next day"; None (nothing set) -> ""."""
    if minutes is None or minutes != minutes:
        return ""
    days, time_of_day = completeness.due_parts(minutes)
    key = {0: "due.same_day", 1: "due.next_day"}.get(days, "due.days_after")
    return t(key, time=f"{time_of_day:%H:%M}", days=days)


def _offset_label(days: int) -> str:
    return t(f"due.offset.{days}") if days in (0, 1) else t("due.offset.n", days=days)


def _zone_due(minutes, effective) -> str:
    return describe(minutes) if minutes is not None else t("due.default", due=describe(effective))


def admin_tab(user: Actor) -> None:
    """Zones with their due time, sites with their own, and a form for each (admins only: the write checks)."""
    st.caption(t("admin.due.intro"))
    flash.show_once(FLASH)
    zones, sites = read(completeness.zone_due_times), read(completeness.site_due_times)
    left, right = st.columns(2)
    with left:
        st.subheader(t("admin.due.zones"))
        st.dataframe(zones.assign(due=[_zone_due(m, e) for m, e in zip(zones["due_minutes"], zones["effective_minutes"])]),
                     hide_index=True, width="stretch", column_order=["code", "name", "due", "overrides"],
                     column_config={"code": t("col.code"), "name": t("col.zone"), "due": t("col.zone_due"),
                                    "overrides": st.column_config.NumberColumn(t("col.overrides"), format="%d")})
        zone_form(zones, user)
    with right:
        st.subheader(t("admin.due.overrides"))
        own = sites[sites["due_minutes"].notna()]
        if own.empty:
            st.caption(t("admin.due.no_overrides"))
        else:
            st.dataframe(own.assign(own_due=own["due_minutes"].map(describe),
                                    zone_due=[_zone_due(*_zone_minutes(zones, code)) for code in own["zone_code"]]),
                         hide_index=True, width="stretch", column_order=["name", "zone", "own_due", "zone_due"],
                         column_config={"name": t("col.checkpoint"), "zone": t("col.zone"),
                                        "own_due": t("col.own_due"), "zone_due": t("col.zone_due")})
        site_form(sites, user)


def _zone_minutes(zones, code: str):
    row = zones[zones["code"] == code].iloc[0]
    return row["due_minutes"], row["effective_minutes"]


def _when(prefix: str) -> tuple[dt.time, int]:
    """Time of day and which day, side by side."""
    time_col, day_col = st.columns(2)
    when = time_col.time_input(t("admin.due.time"), value=dt.time(10, 0), key=f"{prefix}_time")
    days = day_col.selectbox(t("admin.due.offset"), DAY_OFFSETS, index=1, format_func=_offset_label,
                             key=f"{prefix}_days", placeholder=t("widget.choose"))
    return when, days


def zone_form(zones, user: Actor) -> None:
    names = dict(zip(zones["code"], zones["name"]))
    with st.form("due_zone_form", border=True):
        st.markdown(f"**{t('admin.due.set_zone')}**")
        code = st.selectbox(t("admin.due.zone"), list(names), format_func=lambda c: f"{c} · {names[c]}",
                            key="due_zone", placeholder=t("widget.choose"))
        when, days = _when("due_zone")
        default = st.checkbox(t("admin.due.zone_default"), key="due_zone_default")
        reason = st.text_input(t("admin.due.reason"), key="due_zone_reason", max_chars=500)
        if st.form_submit_button(t("admin.due.save"), type="primary"):
            _save(lambda: completeness.set_zone_due(code, None if default else (when, days), actor=user,
                                                    reason=reason or None), names.get(code, code))


def site_form(sites, user: Actor) -> None:
    labels = {int(r.site_id): f"{r.name}（{r.zone}）" for r in sites.itertuples()}
    with st.form("due_site_form", border=True):
        st.markdown(f"**{t('admin.due.set_site')}**")
        site_id = st.selectbox(t("admin.due.site"), list(labels), format_func=labels.get, key="due_site",
                               placeholder=t("widget.choose"))
        when, days = _when("due_site")
        clear = st.checkbox(t("admin.due.site_clear"), key="due_site_clear")
        reason = st.text_input(t("admin.due.reason"), key="due_site_reason", max_chars=500)
        if st.form_submit_button(t("admin.due.save"), type="primary") and site_id is not None:
            name = sites.loc[sites["site_id"] == site_id, "name"].iloc[0]
            _save(lambda: completeness.set_site_due(int(site_id), None if clear else (when, days), actor=user,
                                                    reason=reason or None), name)


def _save(write, what: str) -> None:
    """Write, then rerun so the lists above show the new time, with one line saying what changed."""
    result = saving.attempt("due_times", write)
    if result is None:
        return
    shown = lambda m: describe(m) or t("admin.due.not_set")  # noqa: E731
    st.session_state[FLASH] = (t("admin.due.saved", what=plain(what), before=shown(result["before"]),
                                 after=shown(result["after"])) if result["changed"]
                               else t("admin.due.unchanged", what=plain(what)))
    st.rerun()
