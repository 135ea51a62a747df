"""Issue 9, item 8: a date is a whole date, or it is refused (no cutting trailing text off)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from data_access import traffic_entry
from data_access.errors import ValidationError
from data_access.validate import Checker
from tests.helpers import day_row, minimal_territory

TODAY = dt.date(2020, 3, 1)
FORMAT_EN = "date must look like 2020-02-25"


@pytest.mark.parametrize("value, expected", [
    ("2020-02-26", dt.date(2020, 2, 26)),
    (" 2020-02-26 ", dt.date(2020, 2, 26)),
    ("2020/2/6", dt.date(2020, 2, 6)),
    ("2020/02/26", dt.date(2020, 2, 26)),
    ("2020-02-26 00:00:00", dt.date(2020, 2, 26)),  # an Excel date that pandas read as text
    ("2020/2/26 00:00:00", dt.date(2020, 2, 26)),
    (dt.date(2020, 2, 26), dt.date(2020, 2, 26)),
    (dt.datetime(2020, 2, 26, 0, 0), dt.date(2020, 2, 26)),
    (pd.Timestamp("2020-02-26"), dt.date(2020, 2, 26)),
])
def test_whole_dates_are_accepted(value, expected):
    check = Checker(TODAY)
    assert check.day("day", value) == expected and not check.errors


@pytest.mark.parametrize("value", [
    "2020-02-26T99:99 garbage", "2020-02-26garbage", "2020-02-26 13:45:00", "2020-02-26T00:00:00", "2020-2-26",
    "2020-02-30", "2020/13/1", "26/02/2020", "20200226", "二〇二〇年二月", "2020-02-26\x00", 20200226, 3.5, True,
])
def test_anything_else_gets_the_format_message(value):
    check = Checker(TODAY)
    assert check.day("day", value) is None
    assert [(e.field, e.en) for e in check.errors] == [("day", FORMAT_EN)]


@pytest.mark.parametrize("value", [None, "", "  ", float("nan"), pd.NaT])
def test_an_empty_cell_is_required_not_malformed(value):
    check = Checker(TODAY)
    assert check.day("day", value) is None
    assert [e.en for e in check.errors] == ["required"]


def test_the_grid_refuses_a_date_with_trailing_text(engine):
    ids = minimal_territory(engine)
    with pytest.raises(ValidationError) as refused:
        traffic_entry.save_checkpoint_days("clerk1", "2020-02-26T99:99 garbage", [day_row(ids["cp1"])], today=TODAY,
                                           engine=engine)
    assert [(e.field, e.en) for e in refused.value.errors] == [("day", FORMAT_EN)]
