"""site_rates (each site's days on time, late, overdue and pending over a range, counted in SQL; issue 14)
equals day_status recounted day by day on the varied data set of test_completeness_cost: zone and site
due times (one the same day), sites that start within the range, missing reports, a report without its
time, reports late and exactly on time. On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest

from data_access import completeness, territory
from data_access.filters import Filters
from tests.test_completeness_cost import LAST, NOWS, varied  # noqa: F401  (varied is a fixture)


def _recounted(filters: Filters, now, engine) -> dict[int, dict]:
    first = max(filters.start, territory.season_start(engine))
    counts: dict[int, dict] = {}
    for k in range((filters.end - first).days + 1):
        status = completeness.day_status(first + dt.timedelta(days=k), filters, now, engine)
        for site_id, state in zip(status["site_id"], status["status"]):
            site = counts.setdefault(int(site_id), dict.fromkeys(completeness.STATUSES, 0))
            site[state] += 1
    return counts


@pytest.mark.parametrize("now", NOWS)
def test_site_rates_equal_day_status_recounted(varied, now):  # noqa: F811
    engine, zones = varied
    for filters in (Filters(start=LAST - dt.timedelta(days=9), end=LAST),
                    Filters(zone_id=zones[0], start=LAST - dt.timedelta(days=3), end=now.date()),
                    Filters(zone_id=zones[1], start=LAST - dt.timedelta(days=12), end=LAST - dt.timedelta(days=1))):
        rates = completeness.site_rates(filters, now, engine)
        recounted = _recounted(filters, now, engine)
        for row in rates.itertuples():
            expected = recounted.get(int(row.site_id), dict.fromkeys(completeness.STATUSES, 0))
            assert {s: getattr(row, s) for s in completeness.STATUSES} == expected, (row.name, filters)
            assert row.expected_days == expected["on_time"] + expected["late"] + expected["overdue"]
        assert set(recounted) <= set(rates["site_id"])


@pytest.mark.parametrize("now", NOWS)
def test_zone_statuses_equal_day_status_counted_per_zone(varied, now):  # noqa: F811
    """The zone chart's counts (in SQL per zone and due time) on days with late, exactly on time, missing
    and not yet due reports."""
    engine, zones = varied
    first = LAST - dt.timedelta(days=9)
    for filters in (Filters(start=first, end=now.date()), Filters(zone_id=zones[0], start=first, end=now.date())):
        for k in range(6):
            day = now.date() - dt.timedelta(days=k)
            shown = completeness.zone_statuses(day, filters, now, engine).set_index("zone_id")
            status = completeness.day_status(day, filters, now, engine)
            for zone_id, row in shown.iterrows():
                mine = status[status["zone_id"] == zone_id]["status"].value_counts()
                assert [row[s] for s in completeness.STATUSES] == [mine.get(s, 0) for s in completeness.STATUSES], \
                    (day, zone_id)
            assert set(status["zone_id"]) <= set(shown.index)
