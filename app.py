"""Router: page config, sign-in, role-aware navigation, the shared filter bar.

Run with `streamlit run app.py`. Wall displays open `/wall?key=...` and never see a sign-in.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from data_access import territory
from ui import session, wall_access
from ui.chrome import chinese_chrome
from ui.data import read
from ui.filter_bar import filter_bar, show_url_notices
from ui.format import plain
from ui.guard import mark_routed
from ui.i18n import LANGS, t
from ui.outage import is_database_error, mark_good, show_outage, show_unexpected
from ui.startup import configure_logging, ensure_database, skip_direct_run_check

skip_direct_run_check()
# The tab's icon is a file of ours: an emoji loads Streamlit's emoji catalogue (~0.3 s of the first view), and a
# Material icon becomes a favicon fetched from fonts.gstatic.com, which a command post's network may not reach.
ICON = str(Path(__file__).resolve().parent / "static" / "icon.png")
st.set_page_config(page_title="防控指挥部 · Command post", page_icon=ICON, layout="wide")
configure_logging()

ALL_ROLES = {"admin", "supervisor", "clerk", "viewer"}
WRITERS = {"admin", "supervisor", "clerk"}

# (section, file, title key, icon, url path, roles)
PAGES = [
    ("nav.dashboards", "pages/traffic.py", "page.traffic", ":material/directions_car:", "traffic", ALL_ROLES),
    ("nav.dashboards", "pages/reopening.py", "page.reopening", ":material/factory:", "reopening", ALL_ROLES),
    ("nav.dashboards", "pages/shops.py", "page.shops", ":material/storefront:", "shops", ALL_ROLES),
    ("nav.dashboards", "pages/coverage_map.py", "page.coverage_map", ":material/map:", "coverage-map", ALL_ROLES),
    ("nav.dashboards", "pages/inspections.py", "page.inspections", ":material/policy:", "inspections", ALL_ROLES),
    ("nav.dashboards", "pages/completeness.py", "page.completeness", ":material/checklist:", "completeness", ALL_ROLES),
    ("nav.dashboards", "pages/supplies.py", "page.supplies", ":material/inventory_2:", "supplies", ALL_ROLES),
    ("nav.dashboards", "pages/donations.py", "page.donations", ":material/volunteer_activism:", "donations", ALL_ROLES),
    ("nav.dashboards", "pages/roster.py", "page.roster", ":material/badge:", "roster", ALL_ROLES),
    ("nav.dashboards", "pages/people.py", "page.people", ":material/groups:", "people", ALL_ROLES),
    ("nav.dashboards", "pages/gate.py", "page.gate", ":material/door_front:", "gate", ALL_ROLES),
    ("nav.dashboards", "pages/report.py", "page.report", ":material/summarize:", "report", ALL_ROLES),
    ("nav.entry", "pages/traffic_entry.py", "page.traffic_entry", ":material/edit_note:", "traffic-entry", WRITERS),
    ("nav.entry", "pages/reopening_entry.py", "page.reopening_entry", ":material/fact_check:", "reopening-entry", WRITERS),
    ("nav.entry", "pages/shop_entry.py", "page.shop_entry", ":material/store:", "shop-entry", WRITERS),
    ("nav.entry", "pages/survey_entry.py", "page.survey_entry", ":material/how_to_reg:", "survey-entry", WRITERS),
    ("nav.entry", "pages/inspection_entry.py", "page.inspection_entry", ":material/assignment_turned_in:", "inspection-entry", WRITERS),
    ("nav.entry", "pages/meal_entry.py", "page.meal_entry", ":material/restaurant:", "meal-entry", WRITERS),
    ("nav.entry", "pages/gate_entry.py", "page.gate_entry", ":material/sensor_door:", "gate-entry", WRITERS),
    ("nav.admin", "pages/admin.py", "page.admin", ":material/manage_accounts:", "admin", {"admin"}),
    ("nav.admin", "pages/audit_log.py", "page.audit", ":material/history:", "audit", {"admin", "supervisor"}),
]


def init_language() -> None:
    """The language lives in session_state["lang"] (ui.i18n reads it), taken from ?lang= on a session's first run."""
    if "lang" not in st.session_state:
        wanted = st.query_params.get("lang", "zh")
        st.session_state["lang"] = wanted if wanted in LANGS else "zh"


def _switched_language() -> None:
    st.session_state["lang"] = st.session_state["lang_switch"]


def language_switch() -> None:
    """The switch has a key of its own: Streamlit drops a widget's value after a run that does not draw it
    (the sign-in's rerun), and the chosen language must outlive such runs."""
    init_language()
    st.session_state["lang_switch"] = st.session_state["lang"]
    st.sidebar.segmented_control(t("lang.label"), LANGS, key="lang_switch", required=True, on_change=_switched_language,
                                 format_func=lambda code: "中文" if code == "zh" else "English")
    if st.session_state["lang"] == "en":
        st.query_params["lang"] = "en"
    elif "lang" in st.query_params:
        del st.query_params["lang"]


def wall_navigation():
    """The wall lives at /wall. A lone page would be the default page, served at / and "not found"
    at /wall, so a default page that forwards to the wall comes first."""
    wall = st.Page("pages/wall.py", title=t("page.wall"), url_path="wall", icon=":material/tv:")
    forward = st.Page(lambda: st.switch_page(wall, query_params=st.query_params.to_dict()),
                      title=t("page.wall"), url_path="wall-home", default=True)
    return st.navigation([forward, wall], position="hidden")


def kept_key_wall():
    """/wall with no ?key=: a wall whose browser keeps its display key in a cookie (ui/wall_access.py)."""
    return st.Page("pages/wall.py", title=t("page.wall"), url_path="wall", icon=":material/tv:", visibility="hidden")


def signed_out_navigation():
    """Only the sign-in form, but at every page's address too: a link a supervisor sent
    (/traffic?zone=Z2) asks for sign-in and then opens exactly that view."""
    sign_in = lambda url_path=None: st.Page("pages/sign_in.py", title=t("signin.title"), icon=":material/login:",
                                            url_path=url_path, default=url_path is None)
    return st.navigation([sign_in()] + [sign_in(url_path) for *_, url_path, _ in PAGES] + [kept_key_wall()],
                         position="hidden")


def signed_in_navigation(user):
    sections: dict[str, list] = {}
    for section, path, title, icon, url_path, roles in PAGES:
        if user.role in roles:
            sections.setdefault(t(section), []).append(st.Page(path, title=t(title), icon=icon, url_path=url_path))
    sections.setdefault(t("nav.dashboards"), []).append(kept_key_wall())
    return st.navigation(sections, expanded=True)  # never fold the menu behind Streamlit's English "View more"


def account_box(user) -> None:
    box = st.sidebar.container(border=True)
    box.caption(t("signed_in_as", name=plain(user.display_name), role=t("role." + user.role)))  # stored text
    if box.button(t("signout"), key="sign_out", width="stretch"):
        session.sign_out()
        st.rerun()
    with box:
        session.sync_cookie()  # a new sign-in's cookie goes to the browser


def demo_banner() -> None:
    if read(territory.dataset_kind) == "demo":
        st.warning(t("demo.banner"), icon=":material/science:")


def main() -> None:
    mark_routed()
    if "key" in st.query_params:  # a wall display: no sign-in, no sidebar, no filter bar
        ensure_database()
        wall_access.keep_key()  # then /wall: the browser keeps the key in a cookie
        wall_navigation().run()
        chinese_chrome()  # after the wall page, which takes its language from ?lang=
        return
    init_language()
    chinese_chrome()
    ensure_database()
    user = session.current()  # checked against the database at every run; a reload finds it from the cookie
    page = signed_in_navigation(user) if user else signed_out_navigation()
    if page.url_path == "wall":  # a wall that kept its key: as above, no sidebar
        page.run()
        return
    if user is None:
        language_switch()
        session.sync_cookie()  # a signed-out browser drops its cookie
        page.run()
        return
    # the filters right under the menu, used on every page; language and account below them, so that
    # on a 1366x768 laptop the filters are on screen without scrolling the sidebar
    st.session_state["filters"] = filter_bar(home_zone_id=user.home_zone_id)
    language_switch()
    account_box(user)
    demo_banner()
    show_url_notices()
    mark_good()
    page.run()


try:
    main()
except Exception as error:  # the last line of defence: never a traceback on screen
    # (st.rerun / st.stop raise BaseException subclasses, so they pass through untouched)
    if is_database_error(error):
        show_outage(error)
    else:
        show_unexpected(error)
