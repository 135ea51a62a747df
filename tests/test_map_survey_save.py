"""Issue 14: the coverage map in pieces, each kept under its own line of work.

The boundaries, names and places (territory), the areas' survey figures (survey), the overdue duty
points (inspections) and the day's traffic are read and kept apart and put together by
ui.charts.coverage.cached_map. Put together they must be the spec built in one go from
geometry.map_data (coverage_map), and a save must re-read only its own line's piece. Both databases.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from data_access import community, geometry, inspections, territory
from data_access.filters import Filters
from tests.apptest_helpers import signed_in
from tests.test_map_traffic_save import counting
from ui.charts import coverage
from ui.i18n import t

PAGE = {"width": 900, "height": 660, "names_on_top": True}
WALL = {"width": 710, "height": 560, "dark": True, "legend_orient": "bottom", "font_size": 19,
        "names_on_top": True, "tooltips": False}
MAP = "pages/coverage_map.py"
GOOD = {"households_known": 400, "households_reached": 391, "people": 900, "people_from_outside": 9,
        "unreachable": 8, "utility_checked": 200, "lit_at_night": 2}


def tables(spec: dict) -> dict[str, pd.DataFrame]:
    return {name: pa.ipc.open_stream(data).read_all().to_pandas() for name, data in spec["datasets"].items()}


def assert_same_spec(swapped: dict, direct: dict) -> None:
    """The same spec: its tables row for row and type for type, the rest equal."""
    assert swapped.keys() == direct.keys()
    assert {k: v for k, v in swapped.items() if k != "datasets"} == {k: v for k, v in direct.items() if k != "datasets"}
    ours, theirs = tables(swapped), tables(direct)
    assert ours.keys() == theirs.keys()
    for name in ours:
        pd.testing.assert_frame_equal(ours[name], theirs[name], obj=name)
    assert swapped["datasets"] == direct["datasets"]  # the very bytes the browser gets


def built_directly(filters: Filters, looks: dict) -> dict:
    data = geometry.map_data(filters, coverage.BOUNDARY_PIXELS)
    return coverage.with_traffic(coverage.coverage_map(data, t, **looks), community.map_traffic(filters),
                                 tooltips=looks.get("tooltips", True))


def the_filters() -> Filters:
    start, end = territory.default_range()
    return Filters(start=start, end=end)


def an_area() -> int:
    return int(community.map_sites(the_filters()).query("kind == 'compound'")["site_id"].iloc[0])


@pytest.mark.parametrize("looks", [PAGE, WALL], ids=["page", "wall"])
def test_the_pieces_add_up_to_the_map_built_in_one_go(demo_engine, looks):
    filters = the_filters()
    assert_same_spec(coverage.cached_map(filters, t, **looks), built_directly(filters, looks))
    # a zone, and a picked area (outlined in its whole zone)
    zone = dataclasses.replace(filters, zone_id=int(territory.zones()["id"].iloc[0]))
    assert_same_spec(coverage.cached_map(zone, t, **looks), built_directly(zone, looks))
    picked = dataclasses.replace(filters, site_id=an_area())
    assert_same_spec(coverage.cached_map(picked, t, **looks), built_directly(picked, looks))
    # some layers only
    fewer = {**looks, "layers": ("coverage", "overdue")}
    assert_same_spec(coverage.cached_map(filters, t, **fewer), built_directly(filters, fewer))


def test_the_pieces_follow_a_survey_and_an_inspection_save(demo_engine):
    filters = the_filters()
    coverage.cached_map(filters, t, **PAGE)  # kept before the saves
    site = an_area()
    community.save_survey_round("supervisor", site, GOOD, filters.end, today=filters.end)
    after = coverage.cached_map(filters, t, **PAGE)
    assert_same_spec(after, built_directly(filters, PAGE))
    areas = tables(after)[coverage.AREAS].set_index("site_id")
    assert areas.loc[site, "reached"] == GOOD["households_reached"]

    point = int(inspections.overdue_places(filters)["site_id"].iloc[0])
    marked = len(tables(after)[coverage.MARKERS])
    inspections.record_inspection("supervisor", point, filters.end, {c: True for c in inspections.CHECKS},
                                  "王", today=filters.end)
    visited = coverage.cached_map(filters, t, **PAGE)
    assert_same_spec(visited, built_directly(filters, PAGE))
    assert len(tables(visited)[coverage.MARKERS]) < marked  # no longer overdue


def test_overdue_places_are_the_overdue_duty_points(demo_engine):
    for filters in (the_filters(), dataclasses.replace(the_filters(), end=the_filters().end - dt.timedelta(days=20))):
        points = inspections.duty_points(filters)
        overdue = points[points["overdue"]].reset_index(drop=True)
        places = inspections.overdue_places(filters)
        assert places["site_id"].tolist() == overdue["site_id"].tolist()
        assert places["last_day"].tolist() == overdue["last_day"].tolist()


@pytest.fixture
def counted(monkeypatch):
    return {"base": counting(monkeypatch, geometry, "map_base"),
            "boundaries": counting(monkeypatch, geometry, "boundaries"),
            "survey": counting(monkeypatch, community, "map_survey"),
            "overdue": counting(monkeypatch, geometry, "map_overdue")}


def test_a_survey_save_rereads_only_the_survey_figures(demo_engine, counted):
    at = signed_in("supervisor", MAP)
    at.run()
    for calls in counted.values():
        calls.clear()
    filters = the_filters()
    community.save_survey_round("supervisor", an_area(), GOOD, territory.as_of("survey"), today=filters.end)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert len(counted["survey"]) == 1
    assert not counted["base"] and not counted["boundaries"] and not counted["overdue"], counted


def test_an_inspection_save_rereads_only_the_overdue_points(demo_engine, counted):
    at = signed_in("supervisor", MAP)
    at.run()
    for calls in counted.values():
        calls.clear()
    day = territory.as_of("survey")
    point = int(inspections.overdue_places(Filters(start=day, end=day))["site_id"].iloc[0])
    inspections.record_inspection("supervisor", point, day, {c: True for c in inspections.CHECKS}, "王", today=day)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert len(counted["overdue"]) == 1
    assert not counted["base"] and not counted["boundaries"] and not counted["survey"], counted
