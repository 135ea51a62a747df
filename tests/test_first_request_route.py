"""The first request after a server start is routed by Streamlit's pages/ folder convention (AppTest
starts every run that way). ui.guard hands it to app.py keeping the address asked for (issue 14): the
page asked for is drawn, and the menu's first page is not drawn in passing."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from data_access import auth
from tests.apptest_helpers import APP, TIMEOUT
from ui.i18n import text_in

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def first_request(url_path: str, username: str | None, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if username:
        at.session_state["actor"] = auth.authenticate(username, "demo")
    at._page_hash = calc_hash(url_path)  # the browser opened /<url_path>
    at.run()
    assert not at.exception, at.exception
    return at


def titles(at: AppTest) -> list[str]:
    return [element.value for element in at.title]


@pytest.mark.parametrize("url_path, username, title", [("completeness", "supervisor", "completeness.title"),
                                                       ("reopening", "supervisor", "reopen.title"),
                                                       ("admin", "admin", "admin.title")])
def test_the_page_asked_for_is_drawn_and_not_the_first_page(demo_engine, url_path, username, title):
    shown = titles(first_request(url_path, username))
    assert text_in("zh", "traffic.title") not in shown
    assert any(text_in("zh", title) in value for value in shown), shown


def test_the_query_string_is_kept(demo_engine):
    at = first_request("completeness", "supervisor", {"lang": "en"})
    assert at.query_params["lang"] == ["en"] or at.query_params["lang"] == "en"
    assert any(text_in("en", "completeness.title") in value for value in titles(at)), titles(at)


def test_signed_out_the_sign_in_form_is_shown_at_that_address(demo_engine):
    at = first_request("admin", None)
    assert at.text_input  # the sign-in form
    assert text_in("zh", "traffic.title") not in titles(at)


def test_a_viewer_still_cannot_open_the_admin_page(demo_engine):
    shown = titles(first_request("admin", "viewer"))
    assert not any(text_in("zh", "admin.title") in value for value in shown), shown
