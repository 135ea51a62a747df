"""Issue 14: the wall reads alerts.top in two parts cached under their own lines of work, so a traffic
save (all day long) reads the late reports again and leaves the other alerts cached."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from data_access import alerts, clock, versions
from data_access.filters import Filters


def test_the_parts_read_their_own_lines_and_make_top(demo_engine):
    now = clock.now(demo_engine) + dt.timedelta(days=2, hours=3)  # reports gone missing: both parts have rows
    filters = Filters(start=now.date() - dt.timedelta(days=30), end=now.date())
    with versions.recording() as late_lines:
        late = alerts.late_reports(filters, now, 5, engine=demo_engine)
    with versions.recording() as other_lines:
        others = alerts.other_alerts(filters, 5, engine=demo_engine, now=now)  # duty gaps are of now
    assert "traffic" in late_lines and "traffic" not in other_lines
    assert not {"inspections", "reopening", "logistics"} & late_lines
    assert late["total"] and others["total"]
    joined = alerts.first_of(late, others, 5)
    top = alerts.top(filters, now, 5, engine=demo_engine)
    assert joined["total"] == top["total"] == len(alerts.alerts(filters, now, engine=demo_engine))
    pd.testing.assert_frame_equal(joined["rows"], top["rows"], check_exact=True)


def pandas_ordered(rows: list[tuple]) -> pd.DataFrame:
    """The order alerts were sorted in by pandas before (urgency, late reports first, days, minutes late)."""
    frame = pd.DataFrame(rows, columns=alerts.COLUMNS)
    frame["first"] = frame["kind"] != "overdue_report"
    return frame.sort_values(["urgency", "first", "days", "late_minutes"], ascending=[True, True, False, False],
                             kind="stable").drop(columns="first").reset_index(drop=True)


def test_the_sort_in_python_is_pandas_stable_sort():
    import random

    pick = random.Random(14)
    kinds = ["overdue_report", "finding_past_due", "inspection_overdue", "stuck", "suspended", "low_stock"]
    for _ in range(200):
        rows = []
        for n in range(pick.randint(0, 60)):
            kind = pick.choice(kinds)
            if kind == "overdue_report":
                late = pick.randint(0, 5000)
                rows.append((1, kind, f"site {n}", "who", late // 1440,
                             pd.Timestamp("2026-02-01 10:00") + pd.Timedelta(minutes=n), late, pick.randint(1, 3)))
            else:
                rows.append((pick.choice([1, 2, 3]), kind, f"site {n}", "detail", pick.randint(0, 9), None, 0, 0))
        pd.testing.assert_frame_equal(alerts._ordered(rows), pandas_ordered(rows), check_exact=True)
