"""The coverage map's data: figures and boundaries, the boundaries prepared as TopoJSON for the browser.

Geometry goes to the browser as TopoJSON: coordinates quantised to integers, delta-encoded and
thinned to what the map's pixel size can show, which keeps a large zone's payload small. The
browser's d3-geo expects exterior rings clockwise (the opposite of RFC 7946), so rings are rewound
here; a polygon wound the other way would be drawn as the whole globe minus itself.

The boundaries are written once as a static file named by their content (static/maps/), which the
browser fetches once and caches; a rerun then sends only the figures.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from . import community, db, inspections
from .filters import Filters

SHAPES = "shapes"  # the topology's one object: zones (properties.zone) and areas (an id)
QUANTA_PER_PIXEL = 4  # the topology's grid: 4 units to a pixel of the map's larger side
STATIC_MAPS = Path(__file__).resolve().parents[1] / "static" / "maps"
STATIC_URL = "app/static/maps/"


# ---- preparing boundaries for the browser ------------------------------------------------------

def _polygons(text: str | None) -> list:
    """A stored GeoJSON Polygon/MultiPolygon as a list of polygons (lists of rings); [] if unusable."""
    if not text:
        return []
    try:
        geometry = json.loads(text)
    except ValueError:
        return []
    if geometry.get("type") == "Polygon":
        return [geometry.get("coordinates") or []]
    if geometry.get("type") == "MultiPolygon":
        return geometry.get("coordinates") or []
    return []


def _rings(geometry) -> list:
    """A parsed Polygon or MultiPolygon as a list of polygons (lists of rings, coordinate arrays); [] else."""
    kind = shapely.get_type_id(geometry)
    polygons = [geometry] if kind == 3 else list(geometry.geoms) if kind == 6 else []
    return [[shapely.get_coordinates(ring) for ring in (polygon.exterior, *polygon.interiors)]
            for polygon in polygons if not polygon.is_empty]


def _all_polygons(texts) -> list[list]:
    """Every stored GeoJSON text as _polygons gives it, parsed by GEOS in one call: json.loads took
    1.2 s of the 1.5 s a city's 2,000 boundaries of 240 vertices took to prepare. A text GEOS refuses
    (an unclosed ring, a broken file) is read the slow way, as before."""
    texts = [text or None for text in texts]
    try:
        parsed = shapely.from_geojson(texts, on_invalid="ignore")
    except (shapely.errors.ShapelyError, ValueError, TypeError):
        parsed = [None] * len(texts)
    return [_polygons(text) if geometry is None else _rings(geometry) for text, geometry in zip(texts, parsed)]


def _bounds(shapes: list) -> tuple[float, float, float, float] | None:
    boxes = []
    for polygons in shapes:
        for polygon in polygons:
            if polygon and len(polygon[0]) >= 4:
                ring = np.asarray(polygon[0], dtype=float)[:, :2]
                boxes.append((*ring.min(axis=0), *ring.max(axis=0)))
    if not boxes:
        return None
    box = np.array(boxes)
    return float(box[:, 0].min()), float(box[:, 1].min()), float(box[:, 2].max()), float(box[:, 3].max())


class Topology:
    """A TopoJSON builder: every ring becomes its own arc (borders are not shared; simple and enough).

    Coordinates are quantised to integers over the map's bounds, thinned to `tolerance` units,
    and delta-encoded; rings are rewound for d3 (exterior clockwise, holes counter-clockwise).
    """

    def __init__(self, bounds: tuple[float, float, float, float], quantization: int, tolerance: int):
        x0, y0, x1, y1 = bounds
        self.origin = np.array([x0, y0])
        self.scale = np.array([(x1 - x0) / (quantization - 1) or 1e-9, (y1 - y0) / (quantization - 1) or 1e-9])
        self.tolerance = tolerance
        self.arcs: list[list[list[int]]] = []

    def _ring(self, ring, exterior: bool) -> tuple[int, shapely.LinearRing] | None:
        grid = np.rint((np.asarray(ring, dtype=float)[:, :2] - self.origin) / self.scale).astype(np.int64)
        moved = np.ones(len(grid), dtype=bool)
        moved[1:] = (grid[1:] != grid[:-1]).any(axis=1)  # points on the same quantum say nothing more
        grid = grid[moved]
        if len(grid) < 3:
            return None
        # Douglas-Peucker on the quantised ring: only the vertices that move the outline by more than
        # `tolerance` units, what the map's pixels can show
        outline = shapely.simplify(shapely.LinearRing(grid), self.tolerance, preserve_topology=False)
        if outline.is_empty or shapely.get_num_coordinates(outline) < 4 or shapely.Polygon(outline).area == 0:
            return None  # smaller than a pixel or two: not worth drawing
        if shapely.is_ccw(outline) == exterior:  # d3: exterior clockwise, holes counter-clockwise
            outline = outline.reverse()
        points = shapely.get_coordinates(outline).astype(np.int64)
        self.arcs.append([points[0].tolist()] + np.diff(points, axis=0).tolist())
        return len(self.arcs) - 1, outline

    def add(self, polygons) -> tuple[list, tuple[float, float] | None]:
        """The polygons as TopoJSON arc indexes, and the centroid (lon, lat) of the largest one."""
        shapes, centre, largest = [], None, 0.0
        for polygon in polygons:
            rings = [self._ring(ring, exterior=(i == 0)) for i, ring in enumerate(polygon) if len(ring) >= 4]
            if not rings or rings[0] is None:
                continue
            shapes.append([[ring[0]] for ring in rings if ring is not None])
            outline = shapely.Polygon(rings[0][1])
            if outline.area > largest:
                largest = outline.area
                centre = tuple((shapely.get_coordinates(outline.centroid)[0] * self.scale + self.origin).tolist())
        return shapes, centre

    def transform(self) -> dict:
        return {"scale": self.scale.tolist(), "translate": self.origin.tolist()}


def prepare_shapes(zones: pd.DataFrame, areas: pd.DataFrame, pixels: int = 1000) -> dict | None:
    """Boundaries ready to draw at `pixels` (the map's larger side): the arcs and, per zone and per
    site, its arc indexes and centroid. None when nothing has a usable boundary."""
    zone_shapes = _all_polygons(zones["geometry"])
    area_shapes = _all_polygons(areas["geometry"])
    bounds = _bounds(zone_shapes + area_shapes)
    if bounds is None:
        return None
    topo = Topology(bounds, max(2, pixels) * QUANTA_PER_PIXEL, tolerance=QUANTA_PER_PIXEL)  # one pixel
    prepared = {"zones": {}, "areas": {}}
    for zone_id, name, shapes in zip(zones["zone_id"], zones["name"], zone_shapes):
        arcs, centre = topo.add(shapes)
        if arcs:
            prepared["zones"][int(zone_id)] = {"name": name, "arcs": arcs, "centre": centre}
    for site_id, shapes in zip(areas["site_id"], area_shapes):
        arcs, centre = topo.add(shapes)
        if arcs:
            prepared["areas"][int(site_id)] = {"arcs": arcs, "centre": centre}
    prepared.update(transform=topo.transform(), arcs=topo.arcs)
    return prepared


# ---- prepared boundaries, kept per geometry fingerprint ------------------------------------------

# Kept per fingerprint, not per data version: a clerk's save changes figures, not boundaries, and
# must not cost the seconds a large zone takes to prepare. One entry per database, zone and size.
_prepared: dict[tuple, tuple[tuple, dict | None]] = {}
_prepared_lock = threading.Lock()
_preparing: dict[tuple, threading.Lock] = {}  # one preparation at a time per key: the others wait and reuse it


def boundaries(zone_id: int | None, pixels: int, engine=None) -> dict | None:
    """The zone's (or every zone's) boundaries prepared by prepare_shapes, reused while they are unchanged:
    in this process by fingerprint, across restarts from a file named by the boundaries' content."""
    key = (str((engine or db.get_engine()).url), zone_id, pixels)
    fingerprint = community.geometry_fingerprint(zone_id, engine)
    with _prepared_lock:
        kept = _prepared.get(key)
        preparing = _preparing.setdefault(key, threading.Lock())
    if kept is not None and kept[0] == fingerprint:
        return kept[1]
    with preparing:  # a second session (or the start-up warm-up) asking meanwhile waits for this one
        with _prepared_lock:
            kept = _prepared.get(key)
        if kept is not None and kept[0] == fingerprint:
            return kept[1]
        zones, areas = community.map_shapes(zone_id, engine)
        shapes = _prepared_file(zones, areas, pixels)
        with _prepared_lock:
            _prepared[key] = (fingerprint, shapes)
    return shapes


# Prepared boundaries kept on disk, named by a hash of what they are made from (the stored GeoJSON, the
# zone names, the pixel size and this version): a restarted server, or a second one, reads a file of a
# few hundred KB instead of preparing the city's boundaries again (1.5 s). Bump PREPARED_VERSION when
# prepare_shapes changes what it makes.
PREPARED_VERSION = 1
PREPARED = STATIC_MAPS / "prepared"


def _content_name(zones: pd.DataFrame, areas: pd.DataFrame, pixels: int) -> str:
    digest = hashlib.sha256(f"{PREPARED_VERSION}|{int(pixels)}".encode())
    for zone_id, name, text in zip(zones["zone_id"], zones["name"], zones["geometry"]):
        digest.update(f"\0z{int(zone_id)}\0{name}\0{text or ''}".encode("utf-8"))
    for site_id, text in zip(areas["site_id"], areas["geometry"]):
        digest.update(f"\0a{int(site_id)}\0{text or ''}".encode("utf-8"))
    return digest.hexdigest()[:24] + ".json"


def _from_json(kept: dict | None) -> dict | None:
    """The prepared boundaries as prepare_shapes returns them (ids as ints, centres as tuples)."""
    if kept is None:
        return None
    for part in ("zones", "areas"):
        kept[part] = {int(i): {**shape, "centre": tuple(shape["centre"]) if shape["centre"] else None}
                      for i, shape in kept[part].items()}
    return kept


def _prepared_file(zones: pd.DataFrame, areas: pd.DataFrame, pixels: int) -> dict | None:
    """prepare_shapes(zones, areas, pixels), read from its file when an earlier run wrote it."""
    path = PREPARED / _content_name(zones, areas, pixels)
    try:
        return _from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # not written yet (or unreadable): prepared again below
    shapes = prepare_shapes(zones, areas, pixels)
    try:
        PREPARED.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        partial.write_text(json.dumps(shapes, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
        partial.replace(path)  # atomic: a reader never sees half a file
    except OSError:
        pass  # a read-only install prepares on every start
    return shapes


def forget_boundaries() -> None:
    """Drop every prepared boundary (a benchmark's cold start)."""
    with _prepared_lock:
        _prepared.clear()


# ---- the map's data -----------------------------------------------------------------------------

def _geometry(arcs: list) -> dict:
    return {"type": "Polygon", "arcs": arcs[0]} if len(arcs) == 1 else {"type": "MultiPolygon", "arcs": arcs}


def topology(areas: pd.DataFrame, shapes: dict) -> dict:
    """One TopoJSON topology of the zones (with their names) and the areas on the map (by site id,
    the picked one marked `focused`)."""
    geometries = [{**_geometry(zone["arcs"]), "properties": {"zone": zone["name"]}} for zone in shapes["zones"].values()]
    for site_id, focused in zip(areas["site_id"], areas["focused"]):
        shape = shapes["areas"].get(int(site_id))
        if shape:
            # kept lean (an id, no properties): the figures travel as a table, joined by id in the browser
            geometries.append({**_geometry(shape["arcs"]), "id": int(site_id),
                               **({"properties": {"focused": True}} if focused else {})})
    return {"type": "Topology", "transform": shapes["transform"], "arcs": shapes["arcs"],
            "objects": {SHAPES: {"type": "GeometryCollection", "geometries": geometries}}}


def publish(topology: dict) -> str:
    """Write the boundaries once as a static file named by their content and return its URL.

    The browser fetches it once and caches it; reruns then send only the figures. The name is the
    content's hash, so several app servers (each writing its own copy) and old tabs stay consistent.
    """
    text = json.dumps(topology, separators=(",", ":"), ensure_ascii=False)
    name = hashlib.sha256(text.encode("utf-8")).hexdigest()[:20] + ".json"
    path = STATIC_MAPS / name
    if not path.exists():
        STATIC_MAPS.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)  # atomic: a reader never sees half a file
    return STATIC_URL + name


def static_bytes(url: str | None) -> int:
    """Size of a published boundaries file (fetched once per browser, then cached)."""
    return (STATIC_MAPS / url.rsplit("/", 1)[1]).stat().st_size if url else 0


def extent(shapes: dict, pixels: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of boundaries prepared at `pixels`: the corners of their grid."""
    (scale_x, scale_y), (west, south) = shapes["transform"]["scale"], shapes["transform"]["translate"]
    steps = max(2, pixels) * QUANTA_PER_PIXEL - 1
    return west, south, west + scale_x * steps, south + scale_y * steps


def map_base(filters: Filters, pixels: int, engine=None) -> dict:
    """What the coverage map draws at `pixels` (its larger side) that only the territory line and the
    filters' zone and site decide (not their days):
    the areas without figures (community.map_sites), the checkpoints' places, and the boundaries:
    `topology_url` (the published file) or, on a read-only install, `topology` itself; `zone_labels`
    (name, lon, lat) and `centres` (site id: (lon, lat)) place names and markers; `extent` (west, south,
    east, north) bounds the boundaries. No boundaries at all: both are None, and so is `extent`.

    The figures are read on their own, each under its own line, and swapped in by the page
    (ui.charts.coverage.cached_map): the survey's (community.map_survey), the overdue duty points
    (map_overdue) and the day's traffic (community.map_traffic). So a survey save neither reads the
    boundaries' fingerprint nor publishes them again."""
    zone_id, _ = community.focus(filters, engine)
    areas = community.map_sites(filters, engine)
    data = {"areas": areas, "checkpoints": community.checkpoint_places(filters, engine), "topology_url": None,
            "topology": None, "zone_labels": pd.DataFrame(columns=["name", "lon", "lat"]), "centres": {},
            "extent": None}
    shapes = boundaries(zone_id, pixels, engine)
    if not shapes:
        return data
    data["zone_labels"] = pd.DataFrame([{"name": zone["name"], "lon": zone["centre"][0], "lat": zone["centre"][1]}
                                        for zone in shapes["zones"].values() if zone["centre"]],
                                       columns=["name", "lon", "lat"])
    data["extent"] = extent(shapes, pixels)
    data["centres"] = {int(s): shapes["areas"][int(s)]["centre"] for s in areas["site_id"] if int(s) in shapes["areas"]}
    whole = topology(areas, shapes)
    try:
        data["topology_url"] = publish(whole)
    except OSError:  # a read-only install: the geometry goes inside the spec instead (slower reruns)
        data["topology"] = whole
    return data


def _whole_zone(filters: Filters, engine=None) -> Filters:
    """The filters widened to the map's whole zone: a picked site is outlined, not isolated."""
    zone_id, _ = community.focus(filters, engine)
    return dataclasses.replace(filters, zone_id=zone_id, site_id=None)


def map_overdue(filters: Filters, engine=None) -> pd.DataFrame:
    """The overdue duty points of the map's zone (inspections.overdue_places): the inspections line's part."""
    return inspections.overdue_places(_whole_zone(filters, engine), engine)


def map_data(filters: Filters, pixels: int, engine=None) -> dict:
    """Everything the coverage map draws but the day's traffic, in one dict: map_base with the areas'
    survey figures (community.map_areas) and every duty point of the zone (`points`). The coverage map
    built from it in one go (ui.charts.coverage.coverage_map) is what the page's pieces, each cached
    under its own line, must add up to."""
    data = map_base(filters, pixels, engine)
    data["areas"] = community.map_areas(filters, engine)
    data["points"] = inspections.duty_points(_whole_zone(filters, engine), engine)
    return data
