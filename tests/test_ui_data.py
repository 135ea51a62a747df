"""ui/data.py, the one read-and-cache path: one read of the line versions per load, and one spec cache for every chart."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from data_access import db, territory
from ui import data
from ui.charts import inspections as inspection_charts
from ui.i18n import t


def test_a_load_reads_the_line_versions_once(engine, monkeypatch):
    asked = []
    real = db.line_versions
    monkeypatch.setattr(db, "line_versions", lambda *a, **k: asked.append(1) or real(*a, **k))
    with data.one_version():
        data.read(territory.zones)
        data.read(territory.dataset_kind)
    assert len(asked) == 1
    data.read(territory.zones)  # outside a load: asked again, so a write just made is seen
    assert len(asked) == 2


def test_a_write_shows_in_the_next_read(engine):
    before = data.read(territory.zones)
    with db.write_session() as session:
        db.bump_all_lines(session)
    assert data.line_versions() == db.line_versions()
    assert data.read(territory.zones).equals(before)  # read again under the new version: the same rows


def test_charts_take_t_by_name_and_refuse_a_lambda(engine):
    spec = data.chart_spec(inspection_charts.days_since_chart, fake_points, (), label=t)
    assert "距最近巡察天数" in json.dumps({**spec, "datasets": None}, ensure_ascii=False)  # t() itself, in the session's language
    assert all(isinstance(rows, bytes) for rows in spec["datasets"].values())  # Arrow, converted once
    with pytest.raises(TypeError, match="module-level"):
        data.chart_spec(inspection_charts.days_since_chart, fake_points, (), label=lambda key, **values: key)


def fake_points() -> pd.DataFrame:
    return pd.DataFrame({"name": ["A", "B", "C"], "days_since": [0, 3, None], "overdue": [False, True, True]})
