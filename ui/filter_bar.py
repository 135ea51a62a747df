"""The shared filter bar: work zone, site, date range; kept in the URL so a view can be sent as a link.

The widgets live in app.py's sidebar (rendered on every page, so their state survives page
switches). The URL is written from their state on every run: Streamlit clears ordinary query
parameters on a page switch, and its built-in binding would put translated labels in the URL.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

import streamlit as st

from data_access import territory
from data_access.filters import Filters
from ui import format as fmt
from ui.data import read
from ui.i18n import lang, t, text_in

ALL = "all"
ZONE, SITE, RANGE, SEEDED, NOTICES = "f_zone", "f_site", "f_range", "_f_seeded", "_f_url_notices"
# A range someone chose (in the picker or the link) stays put; otherwise it follows new data, so a
# clerk who has just saved a new day sees that day.
EXPLICIT = "_f_range_explicit"
# The filters outlive any run that does not draw them (an outage screen, a failed page), so a
# supervisor's zone and range are still there when the database comes back.
KEEP = "session"
# Every site is offered with all zones only while there are this few (the demo has about 100); a city
# has thousands (4,495 at issue 14's size): they are offered once a zone is picked, which bounds the
# options every page sends (and labels) on every run. A site picked from a link stays offered.
SITE_LIST_LIMIT = 300


def _parse_day(text: str | None) -> dt.date | None:
    """Exactly YYYY-MM-DD (a link is typed or pasted by people; anything else is not a date)."""
    if not text or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _clamp(day: dt.date, first: dt.date, last: dt.date) -> dt.date:
    return min(max(day, first), last)


def _url_day(name: str, fallback: dt.date, first: dt.date, last: dt.date, notices: list[str]) -> dt.date:
    """The link's day, or the nearest valid one (and a notice saying so)."""
    text = st.query_params.get(name)
    if text is None:
        return fallback
    day = _parse_day(text)
    used = fallback if day is None else _clamp(day, first, last)
    if day != used:
        notices.append(t("url.fixed.day", value=fmt.plain(text[:40]), first=first.isoformat(), last=last.isoformat(),
                         used=used.isoformat()))
    return used


def _seed(zone_codes: list[str], home_zone: str | None, default: tuple[dt.date, dt.date],
          first: dt.date, last: dt.date) -> None:
    """First run of a session: take the filters from the URL, else the user's own defaults.
    A bad parameter is replaced by the nearest valid value, with a one-line notice."""
    params, notices = st.query_params, []
    zone = params.get("zone")
    if zone is not None and zone not in zone_codes:
        notices.append(t("url.fixed.zone", value=fmt.plain(zone[:40])))
    st.session_state[ZONE] = zone if zone in zone_codes else (home_zone or ALL)
    site = params.get("site")
    if site is not None and not re.fullmatch(r"[0-9]{1,9}", site):
        notices.append(t("url.fixed.site", value=fmt.plain(site[:40])))
    st.session_state[SITE] = int(site) if site and re.fullmatch(r"[0-9]{1,9}", site) else 0
    start = _url_day("from", _clamp(default[0], first, last), first, last, notices)
    end = _url_day("to", _clamp(default[1], first, last), first, last, notices)
    if start > end:
        start, end = end, start
        notices.append(t("url.fixed.range"))
    st.session_state[RANGE] = (start, end)
    st.session_state[EXPLICIT] = "from" in params or "to" in params
    st.session_state[NOTICES] = notices
    st.session_state[SEEDED] = True


def _keep_range_in_bounds(first: dt.date, last: dt.date) -> None:
    """A kept range outside today's bounds (the season start was moved) would make the picker fail."""
    picked = st.session_state.get(RANGE)
    if isinstance(picked, (tuple, list)) and picked:
        inside = tuple(_clamp(day, first, last) for day in picked if day is not None)
        if inside != tuple(picked):
            st.session_state[RANGE] = inside


def _chosen() -> None:
    st.session_state[EXPLICIT] = True


def _jump(default: tuple[dt.date, dt.date]) -> None:
    st.session_state[RANGE] = default
    st.session_state[EXPLICIT] = False


def _follow_new_data(default: tuple[dt.date, dt.date]) -> None:
    if not st.session_state.get(EXPLICIT) and tuple(st.session_state.get(RANGE) or ()) != tuple(default):
        st.session_state[RANGE] = default


def line_filters(line: str) -> Filters:
    """The session's filters for one line of work: a range that follows new data ends on that line's
    own "as of" day (demo data: the line's last day), so a new traffic day never moves the others."""
    filters = st.session_state["filters"]
    if st.session_state.get(EXPLICIT):
        return filters
    end = read(territory.as_of, line)
    return dataclasses.replace(filters, end=end, start=min(filters.start, end))


def show_url_notices() -> None:
    """Once, in the page itself (where people look), what was corrected in the link they opened."""
    for notice in st.session_state.pop(NOTICES, []):
        st.info(notice, icon=":material/link_off:")


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


def clear_site() -> None:
    st.session_state[SITE] = 0


def focus_note(filters: Filters, sites, texts: str, key: str | None = None) -> None:
    """When the filter bar picks one site: "focused on <name>" and a button back to every site.
    `sites` has site_id and name; the texts are `<texts>.focused_on` and `<texts>.clear_focus`."""
    if not filters.site_id:
        return
    focused = sites.loc[sites["site_id"] == filters.site_id, "name"]
    note, button = st.columns([4, 1])
    note.info(t(f"{texts}.focused_on", name=fmt.plain(focused.iloc[0]) if len(focused) else "—"))
    button.button(t(f"{texts}.clear_focus"), on_click=clear_site, width="stretch", key=key)


def site_label(name: str, kind: str) -> str:
    """A site's name with its kind, unless the name already says it (中古线西关卡口, not 中古线西关卡口（卡口）)."""
    word = t("kind." + kind)
    if name.endswith(word):
        return name
    return f"{name}（{word}）" if lang() == "zh" else f"{name} ({word})"


def site_names(zone_id: int | None, language: str, ids: tuple[int, ...] | None = None) -> dict[int, str]:
    """{site id: label} for the site picker (site_label's, vectorised): kept by ui.data.read with the sites.
    Only those of `ids` when given."""
    sites = territory.sites(zone_id) if ids is None else territory.sites_by_id(ids)
    words = {kind: text_in(language, "kind." + kind) for kind in sites["kind"].unique()}
    left, right = ("（", "）") if language == "zh" else (" (", ")")
    return {int(i): n if n.endswith(words[k]) else f"{n}{left}{words[k]}{right}"
            for i, n, k in zip(sites["id"], sites["name"], sites["kind"])}


def picker_labels(zone_id: int | None, picked) -> tuple[dict[int, str], int]:
    """The labels the site picker needs, and how many sites it picks from. With all zones and a city's
    many sites only the picked one is labelled: a count instead of reading and labelling every site
    (0.1-0.3 s of each first view at city scale, and again after every change to the territory)."""
    if zone_id is None:
        total = read(territory.active_site_count)
        if total > SITE_LIST_LIMIT:
            ids = (picked,) if isinstance(picked, int) and picked else ()
            return (read(site_names, None, lang(), ids) if ids else {}), total
    labels = read(site_names, zone_id, lang())
    return labels, len(labels)


def offered_sites(names: dict[int, str], zone_id: int | None, picked) -> dict[int, str]:
    """The sites a picker lists: with all zones and a city's many sites, only the one already picked."""
    if zone_id is not None or len(names) <= SITE_LIST_LIMIT:
        return names
    return {picked: names[picked]} if picked in names else {}


def filter_bar(home_zone_id: int | None = None, today: dt.date | None = None) -> Filters:
    """Render the filter bar in the sidebar and return the filters every page obeys."""
    zones = read(territory.zones)
    codes = zones["code"].tolist()
    names = dict(zip(zones["code"], zones["name"]))
    ids = dict(zip(zones["code"], zones["id"]))
    home_zone = next((c for c, i in ids.items() if i == home_zone_id), None)
    default = read(territory.default_range, today)
    first, latest = read(territory.season_start), max(today or dt.date.today(), default[1])
    if not st.session_state.get(SEEDED):
        _seed(codes, home_zone, default, first, latest)

    sidebar = st.sidebar
    sidebar.subheader(t("filter.title"))
    if st.session_state.get(ZONE) not in [ALL, *codes]:
        st.session_state[ZONE] = ALL
    zone = sidebar.selectbox(t("filter.zone"), [ALL, *codes], key=ZONE, persist_state=KEEP,
                             format_func=lambda c: t("filter.all_zones") if c == ALL else names[c],
                             placeholder=t("widget.choose"))
    zone_id = ids.get(zone)

    labels, total = picker_labels(zone_id, st.session_state.get(SITE))
    if st.session_state.get(SITE) not in [0, *labels]:
        if st.session_state.get(SITE) and st.session_state.get(NOTICES) is not None:  # only a link's own site
            st.session_state[NOTICES].append(t("url.fixed.site", value=st.session_state[SITE]))
        st.session_state[SITE] = 0  # the site belongs to another zone: drop it rather than show nothing
    offered, every_site = offered_sites(labels, zone_id, st.session_state.get(SITE)), t("filter.all_sites")
    site_id = sidebar.selectbox(t("filter.site"), [0, *offered], key=SITE, persist_state=KEEP,
                                format_func=lambda i: every_site if i == 0 else offered[i],
                                placeholder=t("widget.choose"))
    if len(offered) < total:
        sidebar.caption(t("filter.site_needs_zone"))

    _follow_new_data(default)
    _keep_range_in_bounds(first, latest)
    picked = sidebar.date_input(t("filter.range"), key=RANGE, min_value=first, max_value=latest, format="YYYY-MM-DD",
                                persist_state=KEEP, on_change=_chosen)
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        start, end = picked
    else:  # the user has picked only the first day so far
        start = end = picked[0] if isinstance(picked, (tuple, list)) and picked else default[1]
        sidebar.caption(t("filter.incomplete_range"))
    sidebar.caption(t("filter.range_hint", end=fmt.day(end, weekday=True), days=(end - start).days + 1))
    if st.session_state.get(EXPLICIT) and end < default[1]:
        sidebar.button(t("filter.jump_latest", day=fmt.day(default[1])), key="f_jump_latest", on_click=_jump,
                       args=(default,), icon=":material/last_page:", width="stretch")
    _write_url(zone, site_id, start, end, default)
    return Filters(zone_id=zone_id, site_id=site_id or None, start=start, end=end)
