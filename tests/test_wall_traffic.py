"""Issue 14: reporting.wall_traffic, the wall's reports counted in one read, is exactly wall_day,
day_report of the day it shows and pending: with the demo as it is, with a day partly in (the wall
then shows the day before), for the whole zone and one zone, and with the clock days later (the
shown day outside the window of pending days). On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data_access import clock, reporting
from data_access.filters import Filters
from data_access.models import WorkZone
from tests.test_partial_day import AFTER_DUE, EVENING, save_two_of_twelve


def separately(filters: Filters, now: dt.datetime, engine) -> dict:
    day = reporting.wall_day(filters, now.date(), now, engine)
    return {**day, "report": reporting.day_report(day["day"], filters, now, engine),
            "pending": reporting.pending(filters, now, engine)}


def zones(engine) -> list[Filters]:
    with engine.connect() as conn:
        return [Filters(), *(Filters(zone_id=z) for z in conn.execute(sa.select(WorkZone.id)).scalars())]


@pytest.mark.parametrize("partly_in", [False, True], ids=["demo", "a-day-partly-in"])
def test_one_read_is_the_three(demo_engine, partly_in):
    if partly_in:
        save_two_of_twelve(demo_engine)
    moments = [clock.parse(EVENING), clock.parse(AFTER_DUE), clock.parse(EVENING) + dt.timedelta(days=12)]
    if not partly_in:
        moments.append(clock.now(demo_engine))
    shown = set()
    for now in moments:
        for filters in zones(demo_engine):
            together = reporting.wall_traffic(filters, now, demo_engine)
            assert together == separately(filters, now, demo_engine), (now, filters)
            shown.add((together["newer"] is not None, bool(together["pending"])))
    assert (True, True) in shown or not partly_in  # a newer day coming in, and reports not yet due
