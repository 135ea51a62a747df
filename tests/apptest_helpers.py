"""Running app.py under AppTest as a given user."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from data_access import auth

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 60
DEFAULT_PAGE = "pages/traffic.py"


def app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at


def signed_in(username: str, page: str | None = None, query: dict | None = None, password: str = "demo") -> AppTest:
    """app.py with `username` signed in, optionally switched to `page` (e.g. 'pages/traffic.py')."""
    at = app(query)
    user = auth.authenticate(username, password)
    assert user is not None, f"cannot sign in as {username}"
    at.session_state["actor"] = user
    at.run()
    # The traffic page is every role's first page. (AppTest keeps only the page's own elements
    # after switch_page, so tests of app.py's sidebar and banner use the first page.)
    if page and page != DEFAULT_PAGE:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at



def open_in(username: str, page: str, lang: str) -> AppTest:
    """`page` as `username` in `lang`, drawn without an exception or an error box."""
    at = signed_in(username, query={"lang": "en"} if lang == "en" else None)
    at.session_state["lang"] = lang  # AppTest drops app.py's language switch on a page switch
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at

def metric(at: AppTest, label: str) -> str:
    """The shown value of the metric tile whose label is `label`."""
    for element in at.metric:
        if element.label == label:
            return element.value
    raise AssertionError(f"no metric {label!r}; have {[m.label for m in at.metric]}")


def texts(at: AppTest) -> str:
    """Every piece of text on the page, for 'is this message shown' checks."""
    parts = []
    for kind in ("markdown", "caption", "title", "subheader", "header", "error", "warning", "info", "success"):
        parts.extend(str(getattr(e, "value", "")) for e in getattr(at, kind))
    return "\n".join(parts)


def rerun_router(at: AppTest) -> AppTest:
    """Run app.py again from the top, as a browser's rerun does. (AppTest's own rerun after the first
    run goes straight to the page that run ended on, skipping app.py's sidebar and filter bar.)"""
    at._page_hash = ""
    at._finished_page_script_hash = ""
    return at.run()
