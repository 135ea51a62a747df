"""A bad link parameter is corrected to the nearest valid value with a one-line notice, on every page,
and the session goes on working (issue 9, item 7)."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.apptest_helpers import signed_in

PAGES = ["pages/traffic.py", "pages/reopening.py", "pages/shops.py", "pages/coverage_map.py", "pages/inspections.py",
         "pages/traffic_entry.py", "pages/survey_entry.py"]
SEASON_START, LAST_DAY = dt.date(2020, 1, 23), dt.date(2020, 2, 25)


def _notices(at, raw: bool = False) -> str:
    """The notices as a person reads them (Markdown escapes removed), or as sent (raw)."""
    text = "\n".join(str(element.value) for element in at.info)
    return text if raw else text.replace("\\", "")


@pytest.mark.parametrize("query, notice, expected_range", [
    ({"site": "\u00b2"}, "站点", None),  # "²" passes str.isdigit() but is not a number
    ({"site": "99999999"}, "站点", None),
    ({"zone": "Z9<b>"}, "工作管区", None),
    ({"from": "1900-01-01", "to": "2020-02-20"}, "1900-01-01", (SEASON_START, dt.date(2020, 2, 20))),
    ({"from": "2020-02-01", "to": "2099-12-31"}, "2099-12-31", (dt.date(2020, 2, 1), dt.date.today())),
    ({"from": "2020-02-26T99:99 garbage", "to": "2020-02-20"}, "garbage", None),
    ({"from": "2020-02-20", "to": "2020-02-10"}, "对调", (dt.date(2020, 2, 10), dt.date(2020, 2, 20))),
])
def test_bad_link_parameter_is_corrected_with_a_notice(demo_engine, query, notice, expected_range):
    at = signed_in("supervisor", query=query)
    assert not at.exception and not at.error, (at.exception, at.error)
    assert notice in _notices(at)
    filters = at.session_state["filters"]
    if expected_range:
        assert (filters.start, filters.end) == expected_range
    assert filters.start >= SEASON_START
    # the notice is said once; the next rerun and every other page work normally
    at.run()
    assert not at.exception and notice not in _notices(at)
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception and not at.error, (page, at.exception, at.error)


def test_link_text_in_a_notice_is_plain_text(demo_engine):
    at = signed_in("supervisor", query={"zone": "[x](javascript:alert(1))**b**"})
    notice = _notices(at, raw=True)
    assert "工作管区" in notice and "](" not in notice and "**" not in notice


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_good_link_parameters_are_kept_silently(demo_engine, lang):
    at = signed_in("supervisor", query={"zone": "Z2", "from": "2020-02-10", "to": "2020-02-20", "lang": lang})
    assert not at.exception and not at.info
    filters = at.session_state["filters"]
    assert (filters.start, filters.end) == (dt.date(2020, 2, 10), dt.date(2020, 2, 20))
    assert at.query_params["zone"] == "Z2" and at.query_params["to"] == "2020-02-20"
