"""Issue 14: the coverage map's spec, checked where the app no longer checks it.

The skeleton is built without Altair's schema check (a third of a first view's build), so the
schema is checked here; the projection is fitted to a box holding every shape and point; the day's
traffic is swapped in by `with_traffic` (a traffic save re-reads only it).
"""
from __future__ import annotations

import altair as alt
import pandas as pd
import pyarrow as pa
import pytest

from data_access import community, geometry, territory
from data_access.filters import Filters
from ui.charts import coverage
from ui.i18n import translator

PAGE = {"width": 900, "height": 660, "names_on_top": True}
WALL = {"width": 900, "height": 700, "dark": True, "legend_orient": "bottom", "font_size": 19,
        "names_on_top": True, "tooltips": False}


@pytest.fixture
def demo_map(demo_engine):
    start, end = territory.default_range()
    filters = Filters(start=start, end=end)
    return filters, geometry.map_data(filters, coverage.BOUNDARY_PIXELS)


def table(spec: dict, name: str) -> pd.DataFrame:
    return pa.ipc.open_stream(spec["datasets"][name]).read_all().to_pandas()


@pytest.mark.parametrize("looks", [PAGE, WALL], ids=["page", "wall"])
def test_the_map_spec_is_valid_vega_lite(demo_map, looks):
    filters, data = demo_map
    spec = coverage.with_traffic(coverage.coverage_map(data, translator("zh"), **looks),
                                 community.map_traffic(filters), tooltips=looks.get("tooltips", True))
    alt.LayerChart.from_dict({k: v for k, v in spec.items() if k != "datasets"}, validate=True)
    assert spec["config"]["aria"] is False  # no description text built per mark in the browser


def test_the_projection_is_fitted_to_every_shape_and_point(demo_map):
    filters, data = demo_map
    spec = coverage.coverage_map(data, translator("zh"), **PAGE)
    (west, south), (east, north) = spec["projection"]["fit"]["geometry"]["coordinates"]
    extent = data["extent"]
    assert (west, south) <= (extent[0], extent[1]) and east >= extent[2] and north >= extent[3]
    for name in (coverage.CHECKPOINTS, coverage.MARKERS, coverage.NAMES):
        points = table(spec, name)
        assert west <= points["lon"].min() and points["lon"].max() <= east
        assert south <= points["lat"].min() and points["lat"].max() <= north


def test_with_traffic_swaps_only_the_day_figures(demo_map):
    filters, data = demo_map
    base = coverage.coverage_map(data, translator("zh"), **PAGE)
    assert table(base, coverage.TRAFFIC).empty  # the cached part carries no traffic
    traffic = community.map_traffic(filters)
    spec = coverage.with_traffic(base, traffic)
    drawn = table(spec, coverage.TRAFFIC)
    assert dict(zip(drawn["site_id"], drawn["vehicles"])) == dict(zip(traffic["site_id"], traffic["vehicles"]))
    assert "persons" in drawn  # for the tooltip
    assert all(spec["datasets"][name] is base["datasets"][name] for name in base["datasets"] if name != coverage.TRAFFIC)
    legend = next(layer for layer in spec["layer"] if layer.get("data", {}).get("name") == coverage.CHECKPOINTS)
    assert legend["encoding"]["size"]["legend"]["values"] == coverage._legend_steps(traffic["vehicles"].max())
    untouched = next(layer for layer in base["layer"] if layer.get("data", {}).get("name") == coverage.CHECKPOINTS)
    assert untouched["encoding"]["size"]["legend"]["values"] == [0]  # the cached spec is left alone
    # the wall sends only what is drawn
    wall = coverage.with_traffic(coverage.coverage_map(data, translator("zh"), **WALL), traffic, tooltips=False)
    assert list(table(wall, coverage.TRAFFIC).columns) == ["site_id", "vehicles"]


def test_map_checkpoints_is_places_and_traffic(demo_map):
    filters, _ = demo_map
    places, traffic = community.checkpoint_places(filters), community.map_traffic(filters)
    joined = community.map_checkpoints(filters)
    assert len(joined) == len(places) and set(traffic["site_id"]) <= set(places["site_id"])
    assert joined["reported"].sum() == len(traffic)


def test_the_skeleton_is_kept_on_disk_for_the_next_start(demo_map, monkeypatch):
    """A restarted server reads the skeleton from its file instead of building it with Altair."""
    _, data = demo_map
    coverage._skeleton.cache_clear()
    built = coverage.coverage_map(data, translator("zh"), **PAGE)
    coverage._skeleton.cache_clear()  # as after a restart
    monkeypatch.setattr(coverage, "_build_skeleton", lambda shape: pytest.fail("built again, not read from its file"))
    again = coverage.coverage_map(data, translator("zh"), **PAGE)
    assert {k: v for k, v in again.items() if k != "datasets"} == {k: v for k, v in built.items() if k != "datasets"}
    coverage._skeleton.cache_clear()
