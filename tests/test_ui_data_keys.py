"""Issue 14: ui.data keys a cached read by its arguments' pickle (Streamlit's own hashing walked every
Filters and datetime in Python): equal arguments built apart share an entry, different ones never do,
and an argument pickle refuses is still cached, by Streamlit's hashing."""
from __future__ import annotations

import datetime as dt
import json

from data_access.filters import Filters
from ui import data

CALLS: list[tuple] = []


def counted(filters: Filters, now: dt.datetime, pick=None) -> int:
    CALLS.append((filters, now))
    return len(CALLS)


def test_equal_arguments_share_an_entry_and_different_ones_do_not(engine):
    CALLS.clear()
    now = dt.datetime(2026, 2, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    first = data.read(counted, Filters(zone_id=1, start=dt.date(2026, 1, 1), end=dt.date(2026, 2, 1)), now)
    again = data.read(counted, Filters(zone_id=1, start=dt.date(2026, 1, 1), end=dt.date(2026, 2, 1)),
                      now.replace(tzinfo=dt.timezone(dt.timedelta(hours=8))))
    assert again == first and len(CALLS) == 1
    other = data.read(counted, Filters(zone_id=2, start=dt.date(2026, 1, 1), end=dt.date(2026, 2, 1)), now)
    later = data.read(counted, Filters(zone_id=1, start=dt.date(2026, 1, 1), end=dt.date(2026, 2, 1)),
                      now + dt.timedelta(minutes=1))
    assert len({first, other, later}) == 3 and len(CALLS) == 3


def test_an_argument_pickle_refuses_is_still_cached(engine):
    CALLS.clear()
    now = dt.datetime(2026, 2, 1, 9, 30)
    assert data._key_of((json,), {}) == ((json,), {})  # a module: pickle refuses it, Streamlit hashes its name
    first = data.read(counted, Filters(), now, json)
    assert data.read(counted, Filters(), now, json) == first and len(CALLS) == 1
