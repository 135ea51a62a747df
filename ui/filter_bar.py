"""The shared filter bar: work zone, site, date range; kept in the URL so a view can be sent as a link.

The widgets live in app.py's sidebar (rendered on every page, so their state survives page
switches). The URL is written from their state on every run: Streamlit clears ordinary query
parameters on a page switch, and its built-in binding would put translated labels in the URL.
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

from data_access import territory
from data_access.filters import Filters
from ui import format as fmt
from ui.data import read
from ui.i18n import t

ALL = "all"
ZONE, SITE, RANGE, SEEDED = "f_zone", "f_site", "f_range", "_f_seeded"


def _parse_day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _seed(zone_codes: list[str], home_zone: str | None, default: tuple[dt.date, dt.date]) -> None:
    """First run of a session: take the filters from the URL, else the user's own defaults."""
    params = st.query_params
    zone = params.get("zone")
    st.session_state[ZONE] = zone if zone in zone_codes else (home_zone or ALL)
    site = params.get("site", "")
    st.session_state[SITE] = int(site) if site.isdigit() else 0
    start, end = _parse_day(params.get("from")), _parse_day(params.get("to"))
    st.session_state[RANGE] = (start, end) if start and end and start <= end else default
    st.session_state[SEEDED] = True


def _write_url(zone: str, site_id: int, start: dt.date, end: dt.date, default: tuple[dt.date, dt.date]) -> None:
    wanted = {}
    if zone != ALL:
        wanted["zone"] = zone
    if site_id:
        wanted["site"] = str(site_id)
    if (start, end) != default:
        wanted["from"], wanted["to"] = start.isoformat(), end.isoformat()
    for key in ("zone", "site", "from", "to"):
        if key in wanted:
            if st.query_params.get(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]


def filter_bar(home_zone_id: int | None = None, today: dt.date | None = None) -> Filters:
    """Render the filter bar in the sidebar and return the filters every page obeys."""
    zones = read(territory.zones)
    codes = zones["code"].tolist()
    names = dict(zip(zones["code"], zones["name"]))
    ids = dict(zip(zones["code"], zones["id"]))
    home_zone = next((c for c, i in ids.items() if i == home_zone_id), None)
    default = read(territory.default_range, today)
    if not st.session_state.get(SEEDED):
        _seed(codes, home_zone, default)

    sidebar = st.sidebar
    sidebar.subheader(t("filter.title"))
    if st.session_state.get(ZONE) not in [ALL, *codes]:
        st.session_state[ZONE] = ALL
    zone = sidebar.selectbox(t("filter.zone"), [ALL, *codes], key=ZONE,
                             format_func=lambda c: t("filter.all_zones") if c == ALL else names[c])
    zone_id = ids.get(zone)

    sites = read(territory.sites, zone_id)
    site_names = {int(r.id): f"{r.name}（{t('kind.' + r.kind)}）" for r in sites.itertuples()}
    if st.session_state.get(SITE) not in [0, *site_names]:
        st.session_state[SITE] = 0  # the site belongs to another zone: drop it rather than show nothing
    site_id = sidebar.selectbox(t("filter.site"), [0, *site_names], key=SITE,
                                format_func=lambda i: t("filter.all_sites") if i == 0 else site_names[i])

    latest = max(today or dt.date.today(), default[1])
    picked = sidebar.date_input(t("filter.range"), key=RANGE, max_value=latest, format="YYYY-MM-DD")
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        start, end = picked
    else:  # the user has picked only the first day so far
        start = end = picked[0] if isinstance(picked, (tuple, list)) and picked else default[1]
        sidebar.caption(t("filter.incomplete_range"))
    sidebar.caption(t("filter.range_hint", end=fmt.day(end, weekday=True), days=(end - start).days + 1))
    _write_url(zone, site_id, start, end, default)
    return Filters(zone_id=zone_id, site_id=site_id or None, start=start, end=end)
