"""alerts.top: the wall's first alerts and their count, read without building every alert, are exactly
alerts().head(limit) and len(alerts()), whichever kinds fill the limit. On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import alerts, clock
from data_access.filters import Filters
from data_access.models import WorkZone


@pytest.mark.parametrize("days_later", [0, 2])
def test_top_is_the_head_of_every_alert(demo_engine, days_later):
    now = clock.now(demo_engine) + dt.timedelta(days=days_later, hours=3)  # later: reports go missing
    with demo_engine.connect() as conn:
        zone = conn.execute(sa.select(sa.func.min(WorkZone.id))).scalar_one()
    seen = set()
    for zone_id in (None, zone):
        filters = Filters(zone_id=zone_id, start=now.date() - dt.timedelta(days=30), end=now.date())
        every = alerts.alerts(filters, now, engine=demo_engine)
        assert len(every), "no alert at all: the comparison would prove little"
        seen |= set(every["kind"])
        for limit in (1, 3, 8, 15, 40, 10_000):
            top = alerts.top(filters, now, limit, engine=demo_engine)
            assert top["total"] == len(every)
            pd.testing.assert_frame_equal(top["rows"], every.head(limit), check_exact=True)
    assert {"overdue_report", "stuck"} <= seen or days_later == 0
