"""The pages of issues 16 to 18 (值班排班, 人员与责任, 小区门岗, 门岗登记, 日报与通报) meet what users hit first: a link
parameter holding markup, and the database refusing connections. Each is opened as a browser opens
/<page>, through app.py's router: no exception, no error box or traceback text, the markup never drawn,
the outage said in words."""
from __future__ import annotations

import pytest
from streamlit.util import calc_hash

from data_access import auth, db
from tests.apptest_helpers import app, texts
from ui import guard

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

PAGES = (("roster", "supervisor"), ("people", "supervisor"), ("gate", "supervisor"), ("gate-entry", "gate"),
         ("report", "supervisor"))


def opened(url_path: str, username: str, query: dict | None = None):
    at = app(query or {})
    at.session_state["actor"] = auth.authenticate(username, "demo")
    at._page_hash = calc_hash(url_path)  # the browser opened /<url_path>
    at.run()
    return at


def _page_text(at) -> str:
    return texts(at) + "\n".join(str(e.value) for e in at.error) + "\n".join(str(e.value) for e in at.exception)


@pytest.mark.parametrize("url_path, username", PAGES)
def test_a_zone_parameter_with_markup_is_never_an_error_nor_drawn(demo_engine, url_path, username):
    at = opened(url_path, username, {"zone": "<b>Z9</b>", "site": "<img src=x>"})
    assert not at.exception and not at.error, _page_text(at)
    drawn = texts(at).replace("\\<", "")  # a notice may quote the link, escaped: text, never markup
    assert "<b>" not in drawn and "<img" not in drawn


@pytest.mark.parametrize("url_path, username", PAGES)
def test_the_database_refusing_connections_reads_in_words(demo_engine, monkeypatch, url_path, username):
    at = opened(url_path, username)
    assert not at.exception and not at.error, _page_text(at)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/nowhere")  # nothing listens there
    db.dispose_engines()
    # AppTest starts each run by the pages/ folder convention and runs the page file alone; a server runs
    # every run through app.py (serve.py turns that convention off). Unmarked, the run is handed to app.py.
    at.session_state[guard.ROUTED] = False
    at.session_state[guard.RETRIED] = False
    at.run()
    shown = _page_text(at)
    assert not at.exception, shown
    assert "暂时连不上数据库" in shown, shown
    assert "Traceback" not in shown and "psycopg" not in shown and "OperationalError" not in shown
