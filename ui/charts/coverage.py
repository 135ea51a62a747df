"""The coverage map (摸排覆盖图), drawn offline with Altair geoshapes: no tile server is involved.

Geometry goes to the browser as TopoJSON: coordinates quantised to integers, delta-encoded and
thinned to what the map's pixel size can show, which keeps a large zone's payload small. The
browser's d3-geo expects exterior rings clockwise (the opposite of RFC 7946), so rings are rewound
here; a polygon wound the other way would be drawn as the whole globe minus itself.

`coverage_map` is the pure chart (the wall display reuses it at a smaller size, dark);
`map_spec` builds and caches its Vega-Lite spec per data version, because turning a chart with
thousands of polygons into a spec takes far longer than a rerun may.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
import math

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from streamlit import dataframe_util

from data_access import community, db, inspections
from data_access.filters import Filters
from ui.i18n import TEXT

LAYERS = ("coverage", "property", "checkpoints", "overdue")
SHAPES = "shapes"  # the topology's one object: zones and areas, told apart by properties.layer
COVERAGE_DOMAIN = (0.6, 1.0)  # below 60 % is as red as it gets
PALETTE = {
    False: {"zone_fill": "#eef1f5", "zone_stroke": "#7d8a9c", "area_fill": "#d5dae1", "area_stroke": "#ffffff",
            "text": "#44546a", "checkpoint": "#1f5fa8", "no_pm": "#7b3fb5", "overdue": "#d62728",
            "focus": "#111111", "halo": "#ffffff", "legend_fill": "rgba(255,255,255,0.85)"},
    True: {"zone_fill": "#13233a", "zone_stroke": "#3b5b86", "area_fill": "#2a3f5f", "area_stroke": "#0b1420",
           "text": "#c9d6e6", "checkpoint": "#5fa8ff", "no_pm": "#c48bff", "overdue": "#ff4d4d",
           "focus": "#ffffff", "halo": "#0b1420", "legend_fill": "rgba(11,20,32,0.8)"},
}


# ---- geometry ----------------------------------------------------------------------------------

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


def _signed_area(ring) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:])) / 2


def _ring_centroid(ring) -> tuple[float, float] | None:
    area = _signed_area(ring)
    if not area:
        return None
    cx = sum((x0 + x1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in zip(ring, ring[1:]))
    cy = sum((y0 + y1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in zip(ring, ring[1:]))
    return cx / (6 * area), cy / (6 * area)


def _simplify(points: list[tuple[int, int]], tolerance: float) -> list[tuple[int, int]]:
    """Douglas-Peucker on a closed ring: keep only the vertices that move the outline by more than
    `tolerance` (in quantised units), so the browser gets what the map's pixels can show."""
    if len(points) <= 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    # a closed ring starts and ends on the same point: split it at the vertex farthest from it
    x0, y0 = points[0]
    far = max(range(1, len(points) - 1), key=lambda i: (points[i][0] - x0) ** 2 + (points[i][1] - y0) ** 2)
    keep[far] = True
    stack = [(0, far), (far, len(points) - 1)]
    limit = tolerance * tolerance
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        length = dx * dx + dy * dy or 1
        best, best_distance = 0, -1.0
        for i in range(first + 1, last):
            px, py = points[i]
            cross = (px - ax) * dy - (py - ay) * dx
            distance = cross * cross / length
            if distance > best_distance:
                best, best_distance = i, distance
        if best_distance > limit:
            keep[best] = True
            stack += [(first, best), (best, last)]
    return [p for p, k in zip(points, keep) if k]


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

    def _ring(self, ring, exterior: bool) -> tuple[int, list] | None:
        grid = np.rint((np.asarray(ring, dtype=float)[:, :2] - self.origin) / self.scale).astype(np.int64)
        moved = np.ones(len(grid), dtype=bool)
        moved[1:] = (grid[1:] != grid[:-1]).any(axis=1)  # points on the same quantum say nothing more
        points = [tuple(p) for p in grid[moved].tolist()]
        if points[0] != points[-1]:
            points.append(points[0])
        points = _simplify(points, self.tolerance)
        if len(points) < 4:
            return None  # smaller than a pixel or two: not worth drawing
        if (_signed_area(points) < 0) != exterior:
            points.reverse()
        self.arcs.append([list(points[0])] + [[b[0] - a[0], b[1] - a[1]] for a, b in zip(points, points[1:])])
        return len(self.arcs) - 1, points

    def add(self, polygons) -> tuple[list, tuple[float, float] | None]:
        """The polygons as TopoJSON arc indexes, and the centroid (lon, lat) of the largest one."""
        shapes, centre, largest = [], None, 0.0
        for polygon in polygons:
            rings = [self._ring(ring, exterior=(i == 0)) for i, ring in enumerate(polygon) if len(ring) >= 4]
            if not rings or rings[0] is None:
                continue
            shapes.append([[ring[0]] for ring in rings if ring is not None])
            outline = rings[0][1]
            area = abs(_signed_area(outline))
            if area > largest and (middle := _ring_centroid(outline)):
                largest = area
                centre = tuple((np.array(middle) * self.scale + self.origin).tolist())
        return shapes, centre

    def transform(self) -> dict:
        return {"scale": self.scale.tolist(), "translate": self.origin.tolist()}


def prepare_shapes(zones: pd.DataFrame, areas: pd.DataFrame, pixels: int = 1000) -> dict | None:
    """Boundaries ready to draw at `pixels` (the map's larger side): the arcs and, per zone and per
    site, its arc indexes and centroid. None when nothing has a usable boundary."""
    zone_shapes = [_polygons(g) for g in zones["geometry"]]
    area_shapes = [_polygons(g) for g in areas["geometry"]]
    bounds = _bounds(zone_shapes + area_shapes)
    if bounds is None:
        return None
    topo = Topology(bounds, max(2, pixels) * 4, tolerance=4)  # 4 units = one pixel
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


# ---- data for the map --------------------------------------------------------------------------

def _clean(value):
    """JSON-safe scalars for the tooltip properties (no NaN, no numpy types, dates as text)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return value


FIGURES = ("name", "kind", "zone", "coverage", "known", "reached", "people", "unreachable", "round", "day", "cadre",
           "staff", "managed")


def _area_figures(areas: pd.DataFrame, label) -> pd.DataFrame:
    """What the tooltip of each village and compound shows, one row per site (joined to its shape
    in the browser by site_id: a table travels as compact Arrow, shape properties as JSON)."""
    managed = ["—" if kind != "compound" or pm is None else label("common.yes" if pm else "common.no")
               for kind, pm in zip(areas["kind"], areas["has_property_management"])]
    return pd.DataFrame({
        "site_id": areas["site_id"].astype(int), "name": areas["name"],
        "kind": [label(f"kind.{k}") for k in areas["kind"]], "zone": areas["zone"],
        "coverage": areas["coverage"].round(4), "known": areas["households_known"].astype("Int64"),
        "reached": areas["households_reached"].astype("Int64"), "people": areas["people"].astype("Int64"),
        "unreachable": areas["unreachable"].astype("Int64"), "round": areas["round_no"].astype("Int64"),
        "day": [_clean(d) for d in areas["round_day"]], "cadre": areas["lead_cadre"].fillna("—"),
        "staff": areas["staff_on_duty"].astype("Int64"), "managed": managed,
    })


def _geometry(arcs: list) -> dict:
    return {"type": "Polygon", "arcs": arcs[0]} if len(arcs) == 1 else {"type": "MultiPolygon", "arcs": arcs}


def build_payload(areas: pd.DataFrame, shapes: dict | None, checkpoints: pd.DataFrame, points: pd.DataFrame,
                  label) -> dict:
    """The map's data: a topology (zones and areas), the areas' figures, zone labels, checkpoint
    circles and markers. `shapes` comes from prepare_shapes; `label(key)` translates."""
    topology, zone_labels, centres = None, [], {}
    if shapes:
        geometries = [{**_geometry(zone["arcs"]), "properties": {"zone": zone["name"]}} for zone in shapes["zones"].values()]
        zone_labels = [{"name": zone["name"], "lon": zone["centre"][0], "lat": zone["centre"][1]}
                       for zone in shapes["zones"].values() if zone["centre"]]
        for site_id, focused in zip(areas["site_id"], areas["focused"]):
            shape = shapes["areas"].get(int(site_id))
            if shape:
                # kept lean (an id, no properties): this JSON is re-encoded on every rerun
                geometries.append({**_geometry(shape["arcs"]), "id": int(site_id),
                                   **({"properties": {"focused": True}} if focused else {})})
                centres[int(site_id)] = shape["centre"]
        topology = {"type": "Topology", "transform": shapes["transform"], "arcs": shapes["arcs"],
                    "objects": {SHAPES: {"type": "GeometryCollection", "geometries": geometries}}}

    def where(site_id, lon, lat):
        if centres.get(int(site_id)):
            return centres[int(site_id)]
        return (lon, lat) if lon is not None and lat is not None and not pd.isna(lon) else None

    markers = []
    for area in areas.itertuples():
        if area.kind == "compound" and area.has_property_management is False and (spot := where(area.site_id, area.lon, area.lat)):
            markers.append({"marker": label("map.marker.no_pm"), "name": area.name, "lon": spot[0], "lat": spot[1],
                            "detail": label("map.no_pm_detail", cadre=_clean(area.lead_cadre) or "—",
                                            staff=_clean(area.staff_on_duty) or 0)})
    for point in points.itertuples():
        if point.overdue and (spot := where(point.site_id, point.lon, point.lat)):
            last = label("map.never") if point.last_day is None else _clean(point.last_day)
            markers.append({"marker": label("map.marker.overdue"), "name": point.name, "lon": spot[0], "lat": spot[1],
                            "detail": label("map.overdue_detail", last=last)})
    circles = checkpoints.assign(vehicles=checkpoints["vehicles"].fillna(0).astype(int),
                                 persons=checkpoints["persons"].fillna(0).astype(int),
                                 lead_cadre=checkpoints["lead_cadre"].fillna("—"),
                                 staff_on_duty=checkpoints["staff_on_duty"].fillna(0).astype(int))
    return {
        "topology": topology,
        "figures": _area_figures(areas, label),
        "zone_labels": pd.DataFrame(zone_labels, columns=["name", "lon", "lat"]),
        "checkpoints": circles[["name", "road", "lon", "lat", "vehicles", "persons", "lead_cadre", "staff_on_duty"]],
        "markers": pd.DataFrame(markers, columns=["marker", "name", "lon", "lat", "detail"]),
    }


# ---- the chart ---------------------------------------------------------------------------------

def _legend_steps(top) -> list[int]:
    """Three round sizes for the checkpoint legend (a long legend would cover the map)."""
    top = int(top or 0)
    if top <= 0:
        return [0]
    unit = 10 ** max(0, len(str(top)) - 1)
    high = max(unit, top // unit * unit)
    return sorted({max(1, high // 4), high // 2, high})


def coverage_map(payload: dict, label, layers=LAYERS, width: int = 900, height: int = 640,
                 dark: bool = False, legends: bool = True, legend_orient: str | None = None,
                 font_size: int | None = None, names_on_top: bool = False) -> alt.LayerChart:
    """Zones, villages and compounds shaded by coverage, checkpoints sized by the day's vehicles,
    and markers for compounds without property management and overdue duty points.

    The page keeps its legends in the map's corners. `legend_orient="bottom"` (the wall) puts them all
    in one row under the map instead, outside the area the zones are fitted to, so no legend can cover a
    zone's name however the map is sized; `font_size` sets the legends' and zone names' text;
    `names_on_top` draws the zone names over the checkpoints and markers (read from across a room, a
    name half hidden by a marker is lost). A copy may also drop the legends altogether."""
    colors = PALETTE[dark]
    below = legend_orient == "bottom"

    def legend(orient: str | None = None, **options):
        if not legends:
            return None
        if below:
            options["orient"] = "bottom"
            options.setdefault("direction", "horizontal")
        elif orient:
            options["orient"] = orient
        return alt.Legend(**options)

    legend_size = font_size or 12
    topology = payload["topology"]
    if topology is None:
        return alt.Chart(pd.DataFrame({"text": [label("map.no_geometry")]})).mark_text(
            fontSize=font_size or 16, color=colors["text"]).encode(text="text:N").properties(width=width, height=height)

    figures = alt.LookupData(data=payload["figures"], key="site_id", fields=list(FIGURES))

    def shapes(layer):
        # Geoshape layers inherit the chart's one top-level topology (data given per layer would be
        # copied into the spec once per layer). Zones carry their name; areas carry only an id,
        # by which they get their figures from the table.
        if layer == "zone":
            return alt.Chart().transform_filter("datum.properties.zone")
        return alt.Chart().transform_filter("!datum.properties.zone").transform_lookup(lookup="id", from_=figures)

    tooltip = [alt.Tooltip("name:N", title=label("map.tip.name")),
               alt.Tooltip("kind:N", title=label("map.tip.kind")),
               alt.Tooltip("zone:N", title=label("map.tip.zone")),
               alt.Tooltip("coverage:Q", title=label("map.tip.coverage"), format=".1%"),
               alt.Tooltip("reached:Q", title=label("map.tip.reached"), format=",d"),
               alt.Tooltip("known:Q", title=label("map.tip.known"), format=",d"),
               alt.Tooltip("people:Q", title=label("map.tip.people"), format=",d"),
               alt.Tooltip("unreachable:Q", title=label("map.tip.unreachable"), format=",d"),
               alt.Tooltip("round:Q", title=label("map.tip.round")),
               alt.Tooltip("day:N", title=label("map.tip.day")),
               alt.Tooltip("cadre:N", title=label("map.tip.cadre")),
               alt.Tooltip("staff:Q", title=label("map.tip.staff")),
               alt.Tooltip("managed:N", title=label("map.tip.managed"))]
    parts = [
        shapes("zone").mark_geoshape(fill=colors["zone_fill"], stroke=colors["zone_stroke"], strokeWidth=1.5),
        shapes("area").mark_geoshape(fill=colors["area_fill"], stroke=colors["area_stroke"], strokeWidth=0.8)
        .encode(tooltip=tooltip),
    ]
    if "coverage" in layers:
        parts.append(shapes("area").mark_geoshape(stroke=colors["area_stroke"], strokeWidth=0.8).encode(
            color=alt.Color("coverage:Q", title=label("map.legend.coverage"),
                            scale=alt.Scale(scheme="redyellowgreen", domain=list(COVERAGE_DOMAIN), clamp=True),
                            legend=legend("bottom-left", format=".0%", direction="horizontal",
                                          gradientLength=max(160, legend_size * 10))),
            tooltip=tooltip,
        ))
    parts.append(alt.Chart().transform_filter("datum.properties.focused").mark_geoshape(
        fillOpacity=0, stroke=colors["focus"], strokeWidth=3))
    names = []
    if not payload["zone_labels"].empty:
        size = font_size or max(13, round(height / 36))
        where = {"longitude": "lon:Q", "latitude": "lat:Q", "text": "name:N"}
        labels = alt.Chart(payload["zone_labels"])
        # a halo underneath keeps the zone name readable over any shade
        names.append(labels.mark_text(fontSize=size, fontWeight="bold", color=colors["halo"], stroke=colors["halo"],
                                      strokeWidth=4, strokeJoin="round", opacity=0.85).encode(**where))
        names.append(labels.mark_text(fontSize=size, fontWeight="bold", color=colors["text"]).encode(**where))
    if not names_on_top:
        parts += names
    if "checkpoints" in layers and not payload["checkpoints"].empty:
        parts.append(alt.Chart(payload["checkpoints"]).mark_circle(
            color=colors["checkpoint"], opacity=0.85, stroke=colors["halo"], strokeWidth=1).encode(
            longitude="lon:Q", latitude="lat:Q",
            size=alt.Size("vehicles:Q", title=label("map.legend.vehicles"), scale=alt.Scale(range=[40, 900], zero=True),
                          legend=legend("bottom-right", direction="horizontal",
                                        values=_legend_steps(payload["checkpoints"]["vehicles"].max()))),
            tooltip=[alt.Tooltip("name:N", title=label("map.tip.checkpoint")),
                     alt.Tooltip("road:N", title=label("map.tip.road")),
                     alt.Tooltip("vehicles:Q", title=label("map.tip.vehicles"), format=",d"),
                     alt.Tooltip("persons:Q", title=label("map.tip.persons"), format=",d"),
                     alt.Tooltip("lead_cadre:N", title=label("map.tip.cadre")),
                     alt.Tooltip("staff_on_duty:Q", title=label("map.tip.staff"))],
        ))
    shown = [label("map.marker.no_pm")] * ("property" in layers) + [label("map.marker.overdue")] * ("overdue" in layers)
    markers = payload["markers"]
    markers = markers[markers["marker"].isin(shown)]
    if not markers.empty:
        domain = [m for m in shown if m in set(markers["marker"])]  # the legend lists what is drawn
        shapes_for = {label("map.marker.no_pm"): "triangle-up", label("map.marker.overdue"): "circle"}
        colors_for = {label("map.marker.no_pm"): colors["no_pm"], label("map.marker.overdue"): colors["overdue"]}
        parts.append(alt.Chart(markers).mark_point(filled=False, strokeWidth=3, size=260, opacity=1).encode(
            longitude="lon:Q", latitude="lat:Q",
            shape=alt.Shape("marker:N", title=None, scale=alt.Scale(domain=domain, range=[shapes_for[m] for m in domain]),
                            legend=legend(direction="vertical")),
            color=alt.Color("marker:N", title=None, scale=alt.Scale(domain=domain, range=[colors_for[m] for m in domain]),
                            legend=legend("top-left", direction="vertical")),  # its entries stacked: a short row
            tooltip=[alt.Tooltip("name:N", title=label("map.tip.name")), alt.Tooltip("marker:N", title=label("map.tip.mark")),
                     alt.Tooltip("detail:N", title=label("map.tip.detail"))],
        ))
    if names_on_top:
        parts += names
    return (
        alt.layer(*parts, data=alt.Data(values=topology, format=alt.DataFormat(type="topojson", feature=SHAPES)))
        .resolve_scale(color="independent", size="independent", shape="independent")
        .project(type="mercator")
        .properties(width=width, height=height, background="transparent" if dark else "#ffffff")
        .configure_view(stroke=None)
        .configure_legend(labelColor=colors["text"], titleColor=colors["text"], labelFontSize=legend_size,
                          titleFontSize=legend_size, symbolStrokeWidth=2.5, padding=6, cornerRadius=4,
                          # bigger text needs room to be read whole
                          **({"labelLimit": font_size * 16, "titleLimit": font_size * 16} if font_size else {}),
                          # a legend under the map needs no backdrop; one inside it keeps the map legible
                          **({} if below else {"fillColor": colors["legend_fill"]}))
    )


# ---- cached spec -------------------------------------------------------------------------------

def labeller(lang: str):
    """t() for a given language, usable inside cached functions (which must not read the session)."""
    def label(key: str, **values) -> str:
        pair = TEXT.get(key)
        if pair is None:
            return key
        template = pair[1] if lang == "en" else pair[0]
        return template.format(**values) if values else template
    return label


# Prepared boundaries are kept per geometry fingerprint, not per data version: a clerk's save
# changes figures, not boundaries, and must not cost the seconds a large zone takes to prepare.
@st.cache_resource(max_entries=16, show_spinner=False)
def _cached_shapes(fingerprint: tuple, url: str, zone_id: int | None, pixels: int) -> dict | None:
    zones, areas = community.map_shapes(zone_id)
    return prepare_shapes(zones, areas, pixels)


def map_payload(filters: Filters, lang: str, pixels: int) -> dict:
    """Read everything the map shows and turn it into the chart's data."""
    zone_id, _ = community.focus(filters)
    shapes = _cached_shapes(community.geometry_fingerprint(zone_id), db.database_url(), zone_id, pixels)
    whole_zone = dataclasses.replace(filters, zone_id=zone_id, site_id=None)  # a picked site is outlined, not isolated
    return build_payload(community.map_areas(filters), shapes, community.map_checkpoints(filters),
                         inspections.duty_points(whole_zone), labeller(lang))


STATIC_MAPS = Path(__file__).resolve().parents[2] / "static" / "maps"


def static_topology_url(topology: dict) -> str:
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
    return f"app/static/maps/{name}"


def static_bytes(spec: dict) -> int:
    """Size of the boundaries file a spec points at (fetched once per browser, then cached)."""
    url = spec.get("data", {}).get("url")
    return (STATIC_MAPS / url.rsplit("/", 1)[1]).stat().st_size if url else 0


EMPTY_TOPOLOGY = {"type": "Topology", "objects": {SHAPES: {"type": "GeometryCollection", "geometries": []}}, "arcs": []}


def to_spec(chart) -> dict:
    """A chart's Vega-Lite dict as st.altair_chart would make it (without Altair's default 300 px view)."""
    spec = chart.to_dict()
    view = spec.get("config", {}).get("view", {})
    view.pop("continuousWidth", None)
    view.pop("continuousHeight", None)
    return spec


# cache_resource: the (large) spec is shared, not copied on every rerun. Nothing mutates it:
# st.vega_lite_chart works on a shallow copy and only replaces top-level keys.
@st.cache_resource(max_entries=32, show_spinner=False)
def _cached_spec(version: int, url: str, filters: Filters, layers: tuple, lang: str, width: int, height: int,
                 dark: bool, legends: bool, legend_orient: str | None = None, font_size: int | None = None,
                 names_on_top: bool = False) -> dict:
    payload = map_payload(filters, lang, max(width, height))
    topology = payload["topology"]
    # Altair would walk (and validate) every coordinate of an inline topology, which takes seconds
    # for a large zone: build the chart around an empty one and put the real one in afterwards.
    chart = coverage_map({**payload, "topology": EMPTY_TOPOLOGY if topology else None}, labeller(lang),
                         set(layers), width, height, dark, legends, legend_orient, font_size, names_on_top)
    spec = to_spec(chart)
    if topology:
        try:
            spec["data"].pop("values", None)
            spec["data"]["url"] = static_topology_url(topology)
        except OSError:  # a read-only install: send the geometry inside the spec instead (slower reruns)
            spec["data"].pop("url", None)
            spec["data"]["values"] = topology
    # Tables go to the browser as Arrow. Converting them here, once, spares every rerun the
    # conversion: st.vega_lite_chart passes datasets that are already bytes straight through.
    spec["datasets"] = {name: dataframe_util.convert_anything_to_arrow_bytes(pd.DataFrame(rows))
                        for name, rows in spec.get("datasets", {}).items()}
    return spec


def map_spec(filters: Filters, layers=LAYERS, lang: str = "zh", width: int = 900, height: int = 640,
             dark: bool = False, legends: bool = True, legend_orient: str | None = None,
             font_size: int | None = None, names_on_top: bool = False) -> dict:
    """The map's Vega-Lite spec for `st.vega_lite_chart` (the wall uses this too, dark, legends below),
    rebuilt only after a write to the database. Treat it as read-only: it is shared."""
    return _cached_spec(db.data_version(), db.database_url(), filters, tuple(sorted(layers)), lang, width, height,
                        dark, legends, legend_orient, font_size, names_on_top)


def payload_bytes(spec: dict) -> int:
    """How many bytes the map sends to the browser: the JSON spec plus its Arrow tables."""
    datasets = spec.get("datasets", {})
    tables = sum(len(value) for value in datasets.values() if isinstance(value, bytes))
    rest = {**spec, "datasets": {k: v for k, v in datasets.items() if not isinstance(v, bytes)}}
    return len(json.dumps(rest, separators=(",", ":"), ensure_ascii=False).encode("utf-8")) + tables


def rounds_chart(rounds: pd.DataFrame, label, height: int = 220) -> alt.Chart:
    """One site's coverage round by round (bars), with households reached as the label."""
    data = rounds[["round_no", "day", "coverage", "households_reached", "households_known"]].copy()
    data["round"] = [label("survey.round_label", n=int(n)) for n in data["round_no"]]
    data["day"] = data["day"].astype(str)
    base = alt.Chart(data).encode(x=alt.X("round:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar(color="#2f6fb0", size=38).encode(
        y=alt.Y("coverage:Q", title=label("map.coverage"), scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("round:N", title=label("survey.col.round_no")), alt.Tooltip("day:N", title=label("col.day")),
                 alt.Tooltip("coverage:Q", title=label("map.coverage"), format=".1%"),
                 alt.Tooltip("households_reached:Q", title=label("col.households_reached"), format=",d"),
                 alt.Tooltip("households_known:Q", title=label("col.households_known"), format=",d")])
    text = base.mark_text(dy=-8, fontSize=12).encode(y="coverage:Q", text=alt.Text("coverage:Q", format=".0%"))
    return (bars + text).properties(height=height)


@st.cache_data(max_entries=100, show_spinner=False)
def rounds_spec(rounds: pd.DataFrame, lang: str) -> dict:
    """rounds_chart as a cached Vega-Lite spec (Altair's validation is too slow for every rerun)."""
    return to_spec(rounds_chart(rounds, labeller(lang)))
