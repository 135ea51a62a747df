"""Issue 9, item 8: a GeoJSON upload nested too deeply, or with a boundary that crosses itself, is
refused with a message that names the feature (its number and its name); nothing is replaced."""
from __future__ import annotations

import json

import pytest

from data_access import community
from data_access.errors import ValidationError
from tests.test_community import collection, community_territory, feature, geometries

BOWTIE = {"type": "Polygon", "coordinates": [[[120.87, 37.30], [120.88, 37.31], [120.88, 37.30], [120.87, 37.31],
                                              [120.87, 37.30]]]}


def refused(engine, raw) -> ValidationError:
    before = geometries(engine)
    with pytest.raises(ValidationError) as error:
        community.replace_geometry("admin1", raw, engine=engine)
    assert geometries(engine) == before
    return error.value


def test_200_kb_of_brackets_is_a_message_not_a_recursion_error(engine):
    community_territory(engine)
    error = refused(engine, b"[" * 200_000)
    assert [(e.field, e.row) for e in error.errors] == [("geojson", None)]
    assert "nested more than" in error.errors[0].en and "嵌套" in error.errors[0].zh


def test_a_feature_nested_too_deeply_is_named(engine):
    community_territory(engine)
    good = json.dumps(feature({"name": "王家村"}), ensure_ascii=False)
    deep = ('{"type": "Feature", "properties": {"name": "李家村"}, "geometry": {"type": "Polygon", "coordinates": '
            + "[" * 5000 + "]" * 5000 + "}}")
    raw = ('{"type": "FeatureCollection", "features": [' + good + ", " + deep + "]}").encode()
    error = refused(engine, raw)
    assert [(e.field, e.row) for e in error.errors] == [("geojson", 2)]
    assert error.errors[0].en.startswith("feature 2 (李家村) is nested more than 32 levels deep")
    assert error.errors[0].zh.startswith("第 2 个要素（李家村）嵌套超过 32 层")


def test_a_self_intersecting_polygon_is_refused_naming_the_feature(engine):
    community_territory(engine)
    error = refused(engine, collection(feature({"name": "李家村"}), feature({"name": "王家村"}, BOWTIE)))
    assert [(e.field, e.row) for e in error.errors] == [("geojson", 2)]
    assert error.errors[0].en.startswith("feature 2 (王家村): the boundary is not a valid area: Self-intersection[")
    assert error.errors[0].zh.startswith("第 2 个要素（王家村）的边界无效：边界自相交")


def test_overlapping_parts_of_a_multipolygon_are_refused(engine):
    ids = community_territory(engine)
    square = [[120.9, 37.3], [120.91, 37.3], [120.91, 37.31], [120.9, 37.31], [120.9, 37.3]]
    shifted = [[lon + 0.005, lat] for lon, lat in square]
    multi = {"type": "MultiPolygon", "coordinates": [[square], [shifted]]}
    error = refused(engine, collection(feature({"site_id": ids["peace"]}, multi)))
    assert error.errors[0].row == 1 and f"feature 1 ({ids['peace']})" in error.errors[0].en


def test_a_valid_polygon_with_a_hole_is_still_accepted(engine):
    ids = community_territory(engine)
    outer = [[120.9, 37.3], [120.92, 37.3], [120.92, 37.32], [120.9, 37.32], [120.9, 37.3]]
    hole = [[120.905, 37.305], [120.905, 37.31], [120.91, 37.31], [120.91, 37.305], [120.905, 37.305]]
    raw = collection(feature({"site_id": ids["peace"]}, {"type": "Polygon", "coordinates": [outer, hole]}))
    assert community.replace_geometry("admin1", raw, engine=engine) == {"replaced": 1, "unchanged": 0}


def test_a_deeply_nested_name_does_not_overflow_the_message(engine):
    community_territory(engine)
    raw = ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": '
           + "[" * 900 + "]" * 900 + '}, "geometry": null}]}').encode()
    error = refused(engine, raw)
    assert all(e.row == 1 for e in error.errors)
