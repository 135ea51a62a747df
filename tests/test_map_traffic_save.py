"""Issue 14: after a traffic save the coverage map re-reads only the checkpoints' figures.

The areas, their survey figures, the duty points and the boundaries depend on the survey,
inspections and territory lines; a traffic save (all day long) must leave them cached and swap the
day's traffic into the cached spec. Counted on both databases, on the map page and on the wall.
"""
from __future__ import annotations

import functools
import math

import pyarrow as pa
import pytest
from sqlalchemy import event

from data_access import auth, community, geometry, territory, traffic_entry
from tests.apptest_helpers import app, signed_in

MAP = "pages/coverage_map.py"
# The tables and columns only the cached part of the map reads.
NOT_AFTER_A_TRAFFIC_SAVE = ("survey_round", "inspection", "geometry")
# The filter bar's survey day (territory.as_of): not the map's. Its learned lines are those of every
# line it was asked about, so any save re-reads it (one small query).
AS_OF = "SELECT max(survey_round.day)"


def counting(monkeypatch, module, name: str) -> list:
    """Replace module.name by a wrapper (same name, so cache keys hold) that notes each call."""
    calls: list = []
    real = getattr(module, name)

    @functools.wraps(real)
    def wrapper(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def statements(engine) -> list[str]:
    """Every SQL statement the engine runs from now on (the app runs in this process)."""
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_: seen.append(sql))
    return seen


def save_traffic(day, vehicles_up: int = 7) -> dict[int, int]:
    """A real grid save of a few checkpoints for `day`, each with more vehicles; returns site: vehicles."""
    actor = auth.reload_actor("supervisor")
    grid = traffic_entry.entry_grid(actor, day).head(5)
    rows = []
    for record in grid.to_dict("records"):
        def value(name, default=0):
            v = record.get(name)
            return default if v is None or (isinstance(v, float) and math.isnan(v)) else int(v)
        version = record.get("version")
        vehicles = value("vehicles", 40) + vehicles_up
        persons = max(value("persons", 80), vehicles)
        rows.append({"site_id": int(record["site_id"]), "vehicles": vehicles, "persons": persons,
                     "version": None if version is None or (isinstance(version, float) and math.isnan(version)) else int(version),
                     "persons_from_outside": min(value("persons_from_outside"), persons),
                     "turned_back": min(value("turned_back"), persons),
                     "abnormal_temperature": min(value("abnormal_temperature"), persons)})
    traffic_entry.save_checkpoint_days("supervisor", day, rows, today=day)
    return {row["site_id"]: row["vehicles"] for row in rows}


def map_traffic(at) -> dict[int, int]:
    """The map chart's traffic table as drawn: site id: vehicles."""
    for chart in at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart"):
        for dataset in chart.proto.datasets:
            if dataset.name == "map_traffic":
                table = pa.ipc.open_stream(dataset.data.data).read_all().to_pydict()
                return dict(zip(table["site_id"], table["vehicles"]))
    raise AssertionError("no map with a traffic table")


@pytest.fixture
def counted(monkeypatch):
    return {"areas": counting(monkeypatch, community, "map_areas"),
            "boundaries": counting(monkeypatch, geometry, "boundaries"),
            "map_data": counting(monkeypatch, geometry, "map_data"),
            "traffic": counting(monkeypatch, community, "map_traffic"),
            # the pieces ui.charts.coverage.cached_map keeps under the other lines
            "base": counting(monkeypatch, geometry, "map_base"),
            "survey": counting(monkeypatch, community, "map_survey"),
            "overdue": counting(monkeypatch, geometry, "map_overdue")}


def assert_only_traffic_read(counted: dict) -> None:
    assert not [name for name, calls in counted.items() if calls and name != "traffic"], counted
    assert len(counted["traffic"]) == 1


def test_a_traffic_save_rereads_only_the_map_traffic_on_the_map_page(demo_engine, counted):
    at = signed_in("supervisor", MAP)
    at.run()
    before = map_traffic(at)
    for calls in counted.values():
        calls.clear()
    saved = save_traffic(territory.as_of("survey"))  # the map's day
    seen = statements(demo_engine)
    at.run()
    assert not at.exception, at.exception
    assert_only_traffic_read(counted)
    assert not [sql for sql in seen if any(word in sql for word in NOT_AFTER_A_TRAFFIC_SAVE)
                and not sql.startswith(AS_OF)]
    after = map_traffic(at)
    assert all(after[site] == vehicles for site, vehicles in saved.items())
    assert any(before.get(site) != vehicles for site, vehicles in saved.items())


def test_a_traffic_save_rereads_only_the_map_traffic_on_the_wall(demo_engine, counted):
    at = app({"key": "demo-wall"})
    at.run()
    at.run()
    for calls in counted.values():
        calls.clear()
    saved = save_traffic(territory.as_of("survey"), vehicles_up=11)
    at.run()
    assert not at.exception, at.exception
    assert_only_traffic_read(counted)
    assert all(map_traffic(at)[site] == vehicles for site, vehicles in saved.items())


def test_a_survey_save_rebuilds_the_map(demo_engine, counted):
    """The other way round: the cached part follows its own lines (a survey line bump re-reads the
    survey figures; tests/test_map_survey_save.py checks each line's piece)."""
    from data_access import db, versions

    at = signed_in("supervisor", MAP)
    for calls in counted.values():
        calls.clear()
    with db.write_session() as session:
        versions.bump(session, ["survey"])
    at.run()
    assert len(counted["survey"]) == 1 and not counted["traffic"] and not counted["base"]
