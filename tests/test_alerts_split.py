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
        others = alerts.other_alerts(filters, 5, engine=demo_engine)
    assert "traffic" in late_lines and "traffic" not in other_lines
    assert not {"inspections", "reopening", "logistics"} & late_lines
    assert late["total"] and others["total"]
    joined = alerts.first_of(late, others, 5)
    top = alerts.top(filters, now, 5, engine=demo_engine)
    assert joined["total"] == top["total"] == len(alerts.alerts(filters, now, engine=demo_engine))
    pd.testing.assert_frame_equal(joined["rows"], top["rows"], check_exact=True)
