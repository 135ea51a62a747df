"""Reopening reads equal a plain recount of the demo's steps in Python (issue 14: the reads were made
cheaper; what they return must not change), on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import grain, reopening
from data_access import reopening_rules as rules
from data_access.filters import Filters
from data_access.models import Enterprise, ReopeningStep


def _steps(engine) -> pd.DataFrame:
    query = (sa.select(ReopeningStep.enterprise_id, ReopeningStep.step, ReopeningStep.day, ReopeningStep.passed,
                       Enterprise.zone_id, Enterprise.employees, Enterprise.employees_from_outside)
             .join(Enterprise, Enterprise.id == ReopeningStep.enterprise_id))
    with engine.connect() as conn:
        return pd.DataFrame([tuple(r) for r in conn.execute(query)],
                            columns=["enterprise_id", "step", "day", "passed", "zone_id", "employees", "outside"])


def _recount_daily(steps: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """reopening.daily counted row by row."""
    if filters.zone_id is not None:
        steps = steps[steps["zone_id"] == filters.zone_id]
    base = {"working": 0, "employees": 0, "employees_from_outside": 0}
    per_day: dict[dt.date, dict] = {}
    for row in steps.sort_values("day").itertuples():
        change = rules.WORKFORCE_CHANGE.get(row.step, 0)
        if row.day < filters.start:
            base["working"] += change
            base["employees"] += change * row.employees
            base["employees_from_outside"] += change * row.outside
            continue
        if row.day > filters.end:
            continue
        day = per_day.setdefault(row.day, {"approvals": 0, "resumptions": 0, "suspensions": 0, "working": 0,
                                           "employees": 0, "employees_from_outside": 0})
        day["approvals"] += row.step == "approved"
        day["resumptions"] += row.step == "resumed"
        day["suspensions"] += row.step == "suspended"
        day["working"] += change
        day["employees"] += change * row.employees
        day["employees_from_outside"] += change * row.outside
    running = dict(base)
    rows = []
    for day in sorted(per_day):
        for name in running:
            running[name] += per_day[day][name]
        rows.append({"day": day, **{k: per_day[day][k] for k in ("approvals", "resumptions", "suspensions")},
                     **running})
    frame = pd.DataFrame(rows, columns=["day", "approvals", "resumptions", "suspensions", *running])
    return grain.resample(frame, filters.start, filters.end, grain.grain_for(filters.start, filters.end),
                          sums=["approvals", "resumptions", "suspensions"], levels=list(running), before=base)


def _recount_funnel(steps: pd.DataFrame, filters: Filters) -> dict[str, int]:
    if filters.zone_id is not None:
        steps = steps[steps["zone_id"] == filters.zone_id]
    counted = steps[(steps["day"] <= filters.end) & ~steps["passed"].eq(False)]
    reached = counted.groupby("step")["enterprise_id"].nunique().to_dict()
    return {s: int(reached.get(s, 0)) for s in [*rules.FUNNEL, "refused", "suspended", "resumed"]}


def _filters(steps: pd.DataFrame, zone_id=None) -> list[Filters]:
    first, last = min(steps["day"]), max(steps["day"])
    middle = first + (last - first) / 2
    return [Filters(zone_id=zone_id, start=first, end=last),  # per day
            Filters(zone_id=zone_id, start=middle, end=last),  # some steps before the range
            Filters(zone_id=zone_id, start=first, end=middle),  # some after
            Filters(zone_id=zone_id, start=last - dt.timedelta(days=200), end=last),  # per week
            Filters(zone_id=zone_id, start=last + dt.timedelta(days=10), end=last + dt.timedelta(days=12))]


@pytest.mark.parametrize("zoned", [False, True])
def test_daily_and_funnel_equal_a_recount(demo_engine, zoned):
    steps = _steps(demo_engine)
    assert len(steps) and steps["step"].isin(["approved", "suspended", "resumed"]).any()
    zone_id = int(steps["zone_id"].mode()[0]) if zoned else None
    for filters in _filters(steps, zone_id):
        got = reopening.daily(filters, engine=demo_engine)
        expected = _recount_daily(steps, filters)
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)
        funnel = reopening.funnel(filters, engine=demo_engine).set_index("step")["enterprises"].to_dict()
        assert funnel == _recount_funnel(steps, filters)
