"""The traffic page's heatmap from by_checkpoint's totals (issue 14: no second read of the season's reports)
equals daily_by_checkpoint and a plain recount of the reports, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from data_access import grain, traffic
from data_access.filters import Filters
from data_access.models import CheckpointDay, Site


def _reports(engine) -> pd.DataFrame:
    query = (sa.select(CheckpointDay.site_id, CheckpointDay.day, CheckpointDay.vehicles, CheckpointDay.persons,
                       Site.name, Site.zone_id)
             .join(Site, Site.id == CheckpointDay.site_id).where(*traffic.ROAD_CHECKPOINT))
    with engine.connect() as conn:
        return pd.DataFrame([tuple(r) for r in conn.execute(query)],
                            columns=["site_id", "day", "vehicles", "persons", "name", "zone_id"])


def _recount(reports: pd.DataFrame, filters: Filters, top: int = 15) -> pd.DataFrame:
    """daily_by_checkpoint counted in pandas from the rows."""
    rows = reports[reports["day"].between(filters.start, filters.end)]
    if filters.zone_id is not None:
        rows = rows[rows["zone_id"] == filters.zone_id]
    kind = grain.grain_for(filters.start, filters.end)
    top = max(1, min(top, grain.MAX_ROWS // len(grain.periods(filters.start, filters.end, kind))))
    totals = rows.groupby("site_id")["vehicles"].sum().reset_index()
    ids = totals.sort_values(["vehicles", "site_id"], ascending=[False, True])["site_id"].head(top)
    cells = rows[rows["site_id"].isin(ids)].assign(day=lambda f: [grain.period_start(d, kind) for d in f["day"]])
    cells = cells.groupby(["name", "site_id", "day"], as_index=False, sort=True)[["vehicles", "persons"]].sum()
    return cells[["day", "site_id", "name", "vehicles", "persons"]].assign(grain=kind)


def test_heatmap_from_the_totals_equals_a_recount(demo_engine):
    reports = _reports(demo_engine)
    first, last = min(reports["day"]), max(reports["day"])
    zone = int(reports["zone_id"].mode()[0])
    cases = [Filters(start=first, end=last), Filters(zone_id=zone, start=first, end=last),
             Filters(start=last - dt.timedelta(days=3), end=last),
             Filters(start=last - dt.timedelta(days=400), end=last),  # per week or month: fewer rows
             Filters(start=last + dt.timedelta(days=5), end=last + dt.timedelta(days=9))]  # no reports
    for filters in cases:
        checkpoints = traffic.by_checkpoint(filters, engine=demo_engine)
        totals = reports[reports["day"].between(filters.start, filters.end)].groupby("site_id")
        counted = checkpoints.set_index("site_id")
        for site_id, group in totals:
            if site_id in counted.index:
                assert counted.at[site_id, "reports_total"] == len(group)
                assert counted.at[site_id, "vehicles_total"] == group["vehicles"].sum()
        got = traffic.daily_of_checkpoints(filters, traffic.busiest(checkpoints, filters), engine=demo_engine)
        expected = _recount(reports, filters)
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False)
        pd.testing.assert_frame_equal(got, traffic.daily_by_checkpoint(filters, engine=demo_engine), check_dtype=False)


def test_checkpoints_without_reports_are_not_among_the_busiest():
    frame = pd.DataFrame({"site_id": [3, 1, 2, 4], "vehicles_total": [0, 5, 5, 0], "reports_total": [0, 2, 1, 3]})
    filters = Filters(start=dt.date(2020, 2, 1), end=dt.date(2020, 2, 3))
    assert traffic.busiest(frame, filters) == (1, 2, 4)
    assert traffic.busiest(frame, filters, top=1) == (1,)
