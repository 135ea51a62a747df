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

import json
import math

import altair as alt
import pandas as pd
import streamlit as st

from data_access import community, db, inspections
from data_access.filters import Filters
from ui.i18n import TEXT

LAYERS = ("coverage", "property", "checkpoints", "overdue")
SHAPES = "shapes"  # the topology's one object: zones and areas, told apart by properties.layer
COVERAGE_DOMAIN = (0.6, 1.0)  # below 60 % is as red as it gets
PALETTE = {
    False: {"zone_fill": "#eef1f5", "zone_stroke": "#7d8a9c", "area_fill": "#d5dae1", "area_stroke": "#ffffff",
            "text": "#44546a", "checkpoint": "#1f5fa8", "no_pm": "#7b3fb5", "overdue": "#d62728",
            "focus": "#111111", "halo": "#ffffff"},
    True: {"zone_fill": "#13233a", "zone_stroke": "#3b5b86", "area_fill": "#2a3f5f", "area_stroke": "#0b1420",
           "text": "#c9d6e6", "checkpoint": "#5fa8ff", "no_pm": "#c48bff", "overdue": "#ff4d4d",
           "focus": "#ffffff", "halo": "#0b1420"},
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


def _centroid(polygons) -> tuple[float, float] | None:
    """The centroid of the largest exterior ring (where a marker for the site goes)."""
    best, best_area = None, 0.0
    for polygon in polygons:
        if not polygon or len(polygon[0]) < 4:
            continue
        ring = polygon[0]
        area = _signed_area(ring)
        if abs(area) <= best_area:
            continue
        cx = sum((x0 + x1) * (x0 * y1 - x1 * y0) for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:]))
        cy = sum((y0 + y1) * (x0 * y1 - x1 * y0) for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:]))
        best, best_area = (cx / (6 * area), cy / (6 * area)), abs(area)
    return best


class Topology:
    """A TopoJSON builder: every ring becomes its own arc (borders are not shared; simple and enough)."""

    def __init__(self, bounds: tuple[float, float, float, float], quantization: int, tolerance: int):
        x0, y0, x1, y1 = bounds
        self.x0, self.y0 = x0, y0
        self.kx = (x1 - x0) / (quantization - 1) or 1e-9
        self.ky = (y1 - y0) / (quantization - 1) or 1e-9
        self.tolerance = tolerance
        self.arcs: list[list[list[int]]] = []
        self.objects: dict[str, dict] = {}

    def _arc(self, ring, exterior: bool) -> int | None:
        points, last = [], None
        for x, y, *_ in ring:
            point = (round((x - self.x0) / self.kx), round((y - self.y0) / self.ky))
            # drop points closer than the tolerance to the last kept one (sub-pixel detail)
            if last is None or abs(point[0] - last[0]) + abs(point[1] - last[1]) > self.tolerance:
                points.append(point)
                last = point
        first = (round((ring[0][0] - self.x0) / self.kx), round((ring[0][1] - self.y0) / self.ky))
        if points[-1] != first:
            points.append(first)
        if len(points) < 4:
            return None  # smaller than a pixel or two: not worth drawing
        clockwise = _signed_area(points) < 0
        if clockwise != exterior:  # d3: exterior clockwise, holes counter-clockwise
            points.reverse()
        deltas = [list(points[0])] + [[b[0] - a[0], b[1] - a[1]] for a, b in zip(points, points[1:])]
        self.arcs.append(deltas)
        return len(self.arcs) - 1

    def add(self, layer: str, polygons, properties: dict) -> bool:
        shapes = []
        for polygon in polygons:
            rings = [self._arc(ring, exterior=(i == 0)) for i, ring in enumerate(polygon) if len(ring) >= 4]
            if rings and rings[0] is not None:
                shapes.append([[index] for index in rings if index is not None])
        if not shapes:
            return False
        geometry = {"type": "MultiPolygon", "arcs": shapes, "properties": properties}
        self.objects.setdefault(layer, {"type": "GeometryCollection", "geometries": []})["geometries"].append(geometry)
        return True

    def to_dict(self) -> dict:
        return {"type": "Topology", "transform": {"scale": [self.kx, self.ky], "translate": [self.x0, self.y0]},
                "objects": self.objects, "arcs": self.arcs}


def _bounds(shapes: list) -> tuple[float, float, float, float] | None:
    xs, ys = [], []
    for polygons in shapes:
        for polygon in polygons:
            for ring in polygon[:1]:
                xs.extend(p[0] for p in ring)
                ys.extend(p[1] for p in ring)
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


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


def build_payload(areas: pd.DataFrame, zones: pd.DataFrame, checkpoints: pd.DataFrame, points: pd.DataFrame,
                  label, pixels: int = 1000) -> dict:
    """The map's data: a topology (zones, areas), zone labels, checkpoint circles and markers.

    `label(key)` translates; `pixels` is the map's larger side, which sets how much detail to keep.
    """
    zone_shapes = [_polygons(g) for g in zones["geometry"]]
    area_shapes = [_polygons(g) for g in areas["geometry"]]
    bounds = _bounds(zone_shapes + area_shapes)
    topology = None
    centroids: dict[int, tuple[float, float]] = {}
    zone_labels = []
    if bounds:
        quantization = max(2, pixels) * 8
        topo = Topology(bounds, quantization, tolerance=4)  # 4 units = half a pixel
        for zone, shapes in zip(zones.itertuples(), zone_shapes):
            if topo.add(SHAPES, shapes, {"layer": "zone", "name": zone.name}) and (centre := _centroid(shapes)):
                zone_labels.append({"name": zone.name, "lon": centre[0], "lat": centre[1]})
        for area, shapes in zip(areas.itertuples(), area_shapes):
            properties = {
                "layer": "area", "site_id": int(area.site_id), "name": area.name, "kind": label(f"kind.{area.kind}"), "zone": area.zone,
                "coverage": _clean(area.coverage), "known": _clean(area.households_known),
                "reached": _clean(area.households_reached), "people": _clean(area.people),
                "unreachable": _clean(area.unreachable), "round": _clean(area.round_no), "day": _clean(area.round_day),
                "cadre": _clean(area.lead_cadre) or "—", "staff": _clean(area.staff_on_duty),
                "managed": "—" if area.kind != "compound" or area.has_property_management is None else
                label("common.yes" if area.has_property_management else "common.no"),
                "focused": bool(area.focused),
            }
            topo.add(SHAPES, shapes, properties)
            centre = _centroid(shapes)
            if centre:
                centroids[int(area.site_id)] = centre
        topology = topo.to_dict()

    def where(site_id, lon, lat):
        if int(site_id) in centroids:
            return centroids[int(site_id)]
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
        "zone_labels": pd.DataFrame(zone_labels, columns=["name", "lon", "lat"]),
        "checkpoints": circles[["name", "road", "lon", "lat", "vehicles", "persons", "lead_cadre", "staff_on_duty"]],
        "markers": pd.DataFrame(markers, columns=["marker", "name", "lon", "lat", "detail"]),
    }


# ---- the chart ---------------------------------------------------------------------------------

def coverage_map(payload: dict, label, layers=LAYERS, width: int = 900, height: int = 640,
                 dark: bool = False) -> alt.LayerChart:
    """Zones, villages and compounds shaded by coverage, checkpoints sized by the day's vehicles,
    and markers for compounds without property management and overdue duty points."""
    colors = PALETTE[dark]
    topology = payload["topology"]
    if topology is None:
        return alt.Chart(pd.DataFrame({"text": [label("map.no_geometry")]})).mark_text(
            fontSize=16, color=colors["text"]).encode(text="text:N").properties(width=width, height=height)

    def shapes(layer):
        # Geoshape layers inherit the chart's one top-level topology (data given per layer would be
        # copied into the spec once per layer) and pick their features by properties.layer.
        return alt.Chart().transform_filter(f"datum.properties.layer == '{layer}'")

    tooltip = [alt.Tooltip("properties.name:N", title=label("map.tip.name")),
               alt.Tooltip("properties.kind:N", title=label("map.tip.kind")),
               alt.Tooltip("properties.zone:N", title=label("map.tip.zone")),
               alt.Tooltip("properties.coverage:Q", title=label("map.tip.coverage"), format=".1%"),
               alt.Tooltip("properties.reached:Q", title=label("map.tip.reached"), format=",d"),
               alt.Tooltip("properties.known:Q", title=label("map.tip.known"), format=",d"),
               alt.Tooltip("properties.people:Q", title=label("map.tip.people"), format=",d"),
               alt.Tooltip("properties.unreachable:Q", title=label("map.tip.unreachable"), format=",d"),
               alt.Tooltip("properties.round:Q", title=label("map.tip.round")),
               alt.Tooltip("properties.day:N", title=label("map.tip.day")),
               alt.Tooltip("properties.cadre:N", title=label("map.tip.cadre")),
               alt.Tooltip("properties.staff:Q", title=label("map.tip.staff")),
               alt.Tooltip("properties.managed:N", title=label("map.tip.managed"))]
    parts = [
        shapes("zone").mark_geoshape(fill=colors["zone_fill"], stroke=colors["zone_stroke"], strokeWidth=1.5),
        shapes("area").mark_geoshape(fill=colors["area_fill"], stroke=colors["area_stroke"], strokeWidth=0.8)
        .encode(tooltip=tooltip),
    ]
    if "coverage" in layers:
        parts.append(shapes("area").mark_geoshape(stroke=colors["area_stroke"], strokeWidth=0.8).encode(
            color=alt.Color("properties.coverage:Q", title=label("map.legend.coverage"),
                            scale=alt.Scale(scheme="redyellowgreen", domain=list(COVERAGE_DOMAIN), clamp=True),
                            legend=alt.Legend(format=".0%", orient="bottom-left", direction="horizontal",
                                              gradientLength=160)),
            tooltip=tooltip,
        ))
    parts.append(shapes("area").transform_filter("datum.properties.focused").mark_geoshape(
        fillOpacity=0, stroke=colors["focus"], strokeWidth=3))
    if not payload["zone_labels"].empty:
        parts.append(alt.Chart(payload["zone_labels"]).mark_text(
            fontSize=max(13, round(height / 36)), fontWeight="bold", color=colors["text"], opacity=0.9,
        ).encode(longitude="lon:Q", latitude="lat:Q", text="name:N"))
    if "checkpoints" in layers and not payload["checkpoints"].empty:
        parts.append(alt.Chart(payload["checkpoints"]).mark_circle(
            color=colors["checkpoint"], opacity=0.85, stroke=colors["halo"], strokeWidth=1).encode(
            longitude="lon:Q", latitude="lat:Q",
            size=alt.Size("vehicles:Q", title=label("map.legend.vehicles"), scale=alt.Scale(range=[40, 900], zero=True),
                          legend=alt.Legend(orient="bottom-right", direction="horizontal")),
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
            shape=alt.Shape("marker:N", title=None, scale=alt.Scale(domain=domain, range=[shapes_for[m] for m in domain])),
            color=alt.Color("marker:N", title=None, scale=alt.Scale(domain=domain, range=[colors_for[m] for m in domain]),
                            legend=alt.Legend(orient="top-left")),
            tooltip=[alt.Tooltip("name:N", title=label("map.tip.name")), alt.Tooltip("marker:N", title=label("map.tip.mark")),
                     alt.Tooltip("detail:N", title=label("map.tip.detail"))],
        ))
    return (
        alt.layer(*parts, data=alt.Data(values=topology, format=alt.DataFormat(type="topojson", feature=SHAPES)))
        .resolve_scale(color="independent", size="independent", shape="independent")
        .project(type="mercator")
        .properties(width=width, height=height, background="transparent" if dark else "#ffffff")
        .configure_view(stroke=None)
        .configure_legend(labelColor=colors["text"], titleColor=colors["text"], labelFontSize=12, titleFontSize=12,
                          symbolStrokeWidth=2.5)
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


def map_payload(filters: Filters, lang: str, pixels: int) -> dict:
    """Read everything the map shows and turn it into the chart's data."""
    return build_payload(community.map_areas(filters), community.map_zones(filters),
                         community.map_checkpoints(filters), inspections.duty_points(filters), labeller(lang), pixels)


@st.cache_data(max_entries=64, show_spinner=False)
def _cached_spec(version: int, url: str, filters: Filters, layers: tuple, lang: str, width: int, height: int,
                 dark: bool) -> dict:
    payload = map_payload(filters, lang, max(width, height))
    return coverage_map(payload, labeller(lang), set(layers), width, height, dark).to_dict()


def map_spec(filters: Filters, layers=LAYERS, lang: str = "zh", width: int = 900, height: int = 640,
             dark: bool = False) -> dict:
    """The map's Vega-Lite spec for `st.vega_lite_chart`, rebuilt only after a write to the database."""
    return _cached_spec(db.data_version(), db.database_url(), filters, tuple(sorted(layers)), lang, width, height, dark)


def payload_bytes(spec: dict) -> int:
    """How many bytes of JSON the map sends to the browser."""
    return len(json.dumps(spec, separators=(",", ":")).encode("utf-8"))


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
