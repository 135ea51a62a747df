"""The coverage map (摸排覆盖图), drawn offline with Altair geoshapes: no tile server is involved.

`coverage_map` draws what data_access.geometry.map_data reads (the wall reuses it at a smaller
size, dark); pages get its Vega-Lite spec from `cached_map`, kept piece by piece (below).
`label(key, **values)` translates (pass ui.i18n.t).

The spec is built in two parts. The skeleton (layers, encodings, legends, projection, the boundaries'
URL) depends on the boundaries, the layers, the size and the words, not on the figures: it is built
by Altair once and kept (`_skeleton`; tests/test_map_spec.py checks it against the schema). The
figures travel as named tables (areas, checkpoints, markers, zone names, and the day's traffic),
made with pandas and swapped into a copy of the skeleton as Arrow on every data version. The
projection is fitted to the boundaries' and points' corners (`_fit`), not to every shape.

The day's traffic is a table of its own, looked up by the checkpoints in the browser: a traffic save
(all day long) changes only it, swapped into the finished spec (`with_traffic`).

Pages and the wall get the map from `cached_map`, in pieces, each kept by ui.data.chart_spec under
the lines it reads: the boundaries, the areas' names and the checkpoints' places under territory
(`base_parts` of geometry.map_base, keyed by zone and site, not by day), the areas' survey figures
under survey (`survey_part`), the overdue duty points under inspections (`overdue_part`). The spec
put together from them is kept per set of pieces (`_assembled`). So a survey save re-reads and
reshapes only the survey figures, an inspection save only the overdue points, and the boundaries'
fingerprint is read only when the territory line moved. `coverage_map` builds the same spec in one
go from geometry.map_data (tests/test_map_survey_save.py holds the two equal). (Building the whole
chart with its rows inline took 0.8 s at city size, most of it Altair converting and checking ~3,300
rows; rebuilding every piece after any save 0.2-0.3 s.)
"""
from __future__ import annotations

import collections
import dataclasses
import functools
import hashlib
import json
import os
import threading
import uuid
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa

from data_access import community, geometry
from data_access.geometry import PREPARED, SHAPES
from ui.data import chart_spec, read

LAYERS = ("coverage", "property", "checkpoints", "overdue")
# The boundaries are prepared for a map this many pixels at its larger side (data_access.geometry.map_data):
# the page's map (900 px) and the wall's (710 px on the 1920 board, twice that on a 4K screen) share one
# preparation and one boundaries file, which the browser then has cached for both.
BOUNDARY_PIXELS = 900
COVERAGE_DOMAIN = (0.6, 1.0)  # below 60 % is as red as it gets
PALETTE = {
    False: {"zone_fill": "#eef1f5", "zone_stroke": "#7d8a9c", "area_fill": "#d5dae1", "area_stroke": "#ffffff",
            "text": "#44546a", "checkpoint": "#1f5fa8", "no_pm": "#7b3fb5", "overdue": "#d62728",
            "focus": "#111111", "halo": "#ffffff", "legend_fill": "rgba(255,255,255,0.85)"},
    True: {"zone_fill": "#13233a", "zone_stroke": "#3b5b86", "area_fill": "#2a3f5f", "area_stroke": "#0b1420",
           "text": "#c9d6e6", "checkpoint": "#5fa8ff", "no_pm": "#c48bff", "overdue": "#ff4d4d",
           "focus": "#ffffff", "halo": "#0b1420", "legend_fill": "rgba(11,20,32,0.8)"},
}
# the named tables the skeleton draws from (the boundaries are its top-level data)
AREAS, CHECKPOINTS, MARKERS, NAMES, TRAFFIC = ("map_areas", "map_checkpoints", "map_markers", "map_zone_names",
                                              "map_traffic")
TEXT_KEYS = ("map.legend.coverage", "map.legend.vehicles", "map.marker.no_pm", "map.marker.overdue", "map.tip.name",
             "map.tip.kind", "map.tip.zone", "map.tip.coverage", "map.tip.reached", "map.tip.known", "map.tip.people",
             "map.tip.unreachable", "map.tip.round", "map.tip.day", "map.tip.cadre", "map.tip.staff",
             "map.tip.managed", "map.tip.checkpoint", "map.tip.road", "map.tip.vehicles", "map.tip.persons",
             "map.tip.mark", "map.tip.detail")


class Ready(dict):
    """A finished Vega-Lite spec where ui.data.chart_spec expects a chart: to_dict() is the spec itself."""

    def to_dict(self, *args, **kwargs) -> dict:
        return dict(self)


# ---- the map's tables ----------------------------------------------------------------------------

def _day_text(value) -> str | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)[:10]


def _ints(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column, errors="coerce").round().astype("Int32")


def _small(column: pd.Series) -> pd.Series:
    """Whole numbers in the narrowest unsigned type that holds them (a city's site ids fit two bytes)."""
    return pd.to_numeric(column.fillna(0).astype("int64"), downcast="unsigned")


def _repeated(column) -> pd.Series:
    """A text column with few distinct values (kind, zone, day) as a category: Arrow sends each value once."""
    return pd.Series(column, dtype="category")


FIGURES = ("name", "kind", "zone", "coverage", "known", "reached", "people", "unreachable", "round", "day", "cadre",
           "staff", "managed")


def _site_columns(areas: pd.DataFrame, label, tooltips: bool = True) -> pd.DataFrame:
    """The areas table's columns the territory line decides (the site id first), one row per area."""
    if not tooltips:  # the id in the smallest integer that holds it
        return pd.DataFrame({"site_id": _small(areas["site_id"])})
    compound = areas["kind"].eq("compound").to_numpy()
    managed = areas["has_property_management"].map({True: label("common.yes"), False: label("common.no")})
    return pd.DataFrame({
        "site_id": areas["site_id"].astype("int32"), "name": areas["name"],
        "kind": _repeated(areas["kind"].map({k: label(f"kind.{k}") for k in areas["kind"].dropna().unique()})),
        "zone": _repeated(areas["zone"]), "cadre": _repeated(areas["lead_cadre"].fillna("—")),
        "staff": _ints(areas["staff_on_duty"]), "managed": _repeated(managed.where(compound, "—").fillna("—")),
    }).reset_index(drop=True)


def _survey_columns(figures: pd.DataFrame, tooltips: bool = True) -> pd.DataFrame:
    """The areas table's survey columns, from rows of round figures in the areas' order (NaN: no round)."""
    coverage = pd.to_numeric(figures["coverage"], errors="coerce").round(4)
    if not tooltips:  # the shade in whole percent (a byte)
        return pd.DataFrame({"percent": (coverage.clip(0, 1) * 100).round().astype("UInt8")}).reset_index(drop=True)
    return pd.DataFrame({
        "coverage": coverage, "known": _ints(figures["households_known"]),
        "reached": _ints(figures["households_reached"]), "people": _ints(figures["people"]),
        "unreachable": _ints(figures["unreachable"]), "round": _ints(figures["round_no"]),
        "day": _repeated([_day_text(d) for d in figures["round_day"]]),
    }).reset_index(drop=True)


def _area_table(sites: pd.DataFrame, survey: pd.DataFrame, tooltips: bool = True) -> pd.DataFrame:
    columns = ["site_id", *FIGURES] if tooltips else ["site_id", "percent"]
    return pd.concat([sites, survey], axis=1)[columns]


def area_figures(areas: pd.DataFrame, label, tooltips: bool = True) -> pd.DataFrame:
    """What each village and compound is shaded by and its tooltip shows, one row per site (joined to
    its shape in the browser by site_id: a table travels as compact Arrow, shape properties as JSON).
    Without tooltips (the wall: nobody points at it) only the coverage."""
    return _area_table(_site_columns(areas, label, tooltips), _survey_columns(areas, tooltips), tooltips)


def _spots(frame: pd.DataFrame, centres: dict) -> pd.DataFrame:
    """The rows with a place to put their marker: their shape's centre, else their recorded position."""
    spots = [centres.get(int(s)) for s in frame["site_id"]]
    lon = [s[0] if s else x for s, x in zip(spots, frame["lon"])]
    lat = [s[1] if s else y for s, y in zip(spots, frame["lat"])]
    placed = frame.assign(lon=pd.to_numeric(pd.Series(lon, index=frame.index, dtype=object), errors="coerce"),
                          lat=pd.to_numeric(pd.Series(lat, index=frame.index, dtype=object), errors="coerce"))
    return placed[placed["lon"].notna() & placed["lat"].notna()]


MARKER_COLUMNS = ["marker", "name", "lon", "lat", "detail"]


def _unmanaged(areas: pd.DataFrame, centres: dict, label) -> pd.DataFrame:
    """Compounds without property management, placed (territory only)."""
    unmanaged = _spots(areas[areas["kind"].eq("compound").to_numpy()
                             & areas["has_property_management"].map(lambda v: v is False).to_numpy(dtype=bool)],
                       centres)
    return pd.DataFrame({"marker": label("map.marker.no_pm"), "name": unmanaged["name"], "lon": unmanaged["lon"],
                         "lat": unmanaged["lat"],
                         "detail": [label("map.no_pm_detail", cadre=c if isinstance(c, str) and c else "—",
                                          staff=0 if pd.isna(s) else int(s))
                                    for c, s in zip(unmanaged["lead_cadre"], unmanaged["staff_on_duty"])]})


def _overdue(points: pd.DataFrame, label) -> pd.DataFrame:
    """Overdue duty points as markers, not yet placed (site_id, recorded lon and lat kept for _spots)."""
    never = label("map.never")
    return pd.DataFrame({"marker": label("map.marker.overdue"), "name": points["name"], "site_id": points["site_id"],
                         "lon": points["lon"], "lat": points["lat"],
                         "detail": [label("map.overdue_detail", last=_day_text(d) or never) for d in points["last_day"]]})


def _markers(unmanaged: pd.DataFrame, overdue: pd.DataFrame, centres: dict) -> pd.DataFrame:
    """Both kinds of markers in one table, the overdue points at their shape's centre."""
    placed = _spots(overdue, centres)[MARKER_COLUMNS]
    found = [m for m in (unmanaged, placed) if not m.empty]
    return (pd.concat(found, ignore_index=True)[MARKER_COLUMNS].astype({"marker": "category"}) if found
            else pd.DataFrame(columns=MARKER_COLUMNS))


def map_markers(data: dict, label) -> pd.DataFrame:
    """Compounds without property management and overdue duty points, at their shape's centre (else
    at their recorded position)."""
    points = data["points"]
    return _markers(_unmanaged(data["areas"], data["centres"], label),
                    _overdue(points[points["overdue"].fillna(False).to_numpy(dtype=bool)], label), data["centres"])


def _checkpoints(checkpoints: pd.DataFrame, tooltips: bool = True) -> pd.DataFrame:
    """Road checkpoints with a position (one without cannot be drawn), by site id: their figures are
    the traffic table's (`traffic_table`)."""
    placed = checkpoints[checkpoints["lon"].notna() & checkpoints["lat"].notna()]
    circles = pd.DataFrame({"site_id": placed["site_id"].astype("int32"), "lon": placed["lon"].astype(float),
                            "lat": placed["lat"].astype(float)})
    if not tooltips:  # half the bytes: a float32 degree is within 2 m, far below a pixel
        return circles.astype({"lon": "float32", "lat": "float32"}).assign(site_id=_small(circles["site_id"]))
    return circles.assign(name=placed["name"], road=_repeated(placed["road"]),
                          lead_cadre=_repeated(placed["lead_cadre"].fillna("—")),
                          staff_on_duty=placed["staff_on_duty"].fillna(0).astype(int))


def traffic_table(traffic: pd.DataFrame | None, tooltips: bool = True) -> pd.DataFrame:
    """The day's figures of the checkpoints that reported, by site id (one that did not is drawn as 0)."""
    traffic = traffic if traffic is not None else pd.DataFrame(columns=["site_id", "vehicles", "persons"])
    reported = traffic[traffic["vehicles"].notna()]
    table = pd.DataFrame({"site_id": _small(reported["site_id"]), "vehicles": _small(reported["vehicles"])})
    return table.assign(persons=_small(reported["persons"])) if tooltips else table


def _arrow(frame: pd.DataFrame) -> bytes:
    """A table as Arrow IPC bytes, the form st.vega_lite_chart passes straight to the browser."""
    table = pa.Table.from_pandas(frame.reset_index(drop=True))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


# ---- the skeleton: everything but the figures ------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Looks:
    """coverage_map's keyword arguments."""
    layers: tuple
    width: int
    height: int
    dark: bool
    legends: bool
    legend_orient: str | None
    font_size: int | None
    names_on_top: bool
    tooltips: bool


@dataclasses.dataclass(frozen=True)
class Shape(Looks):
    """What the skeleton depends on: the map's looks, the boundaries' file and words, and which of the
    figure tables have rows to draw (and the few values taken from them: legend steps, marker kinds)."""
    boundaries: str | None
    names: bool
    checkpoints: bool
    markers: tuple
    texts: tuple
    circle_max: int = 900  # the largest checkpoint circle's area (px²)
    marker_size: int = 260
    marker_stroke: float = 3

    def text(self, key: str) -> str:
        return dict(self.texts)[key]


def _crowd(checkpoints: int, markers: int) -> dict:
    """Smaller circles and markers the more there are: a district's few dozen read as big symbols; a
    city's 1,000 checkpoints and 500 markers drawn that big covered every village (four steps, so the
    kept skeletons stay few)."""
    circle = 900 if checkpoints <= 30 else 400 if checkpoints <= 100 else 160 if checkpoints <= 300 else 64
    size, stroke = (260, 3) if markers <= 40 else (140, 2) if markers <= 150 else (60, 1.5)
    return {"circle_max": circle, "marker_size": size, "marker_stroke": stroke}


def _legend_steps(top) -> list[int]:
    """Three round sizes for the checkpoint legend (a long legend would cover the map)."""
    top = int(top or 0)
    if top <= 0:
        return [0]
    unit = 10 ** max(0, len(str(top)) - 1)
    high = max(unit, top // unit * unit)
    return sorted({max(1, high // 4), high // 2, high})


def _legend_maker(legends: bool, below: bool):
    """legend(orient, **options): a legend in the map's corner `orient`, or all in one row under it
    (`below`), or none at all."""
    def legend(orient: str | None = None, **options):
        if not legends:
            return None
        if below:
            options["orient"] = "bottom"
            options.setdefault("direction", "horizontal")
        elif orient:
            options["orient"] = orient
        return alt.Legend(**options)
    return legend


def _area_tooltip(shape: Shape) -> list:
    if not shape.tooltips:
        return []
    text = shape.text
    return [alt.Tooltip("name:N", title=text("map.tip.name")),
            alt.Tooltip("kind:N", title=text("map.tip.kind")),
            alt.Tooltip("zone:N", title=text("map.tip.zone")),
            alt.Tooltip("coverage:Q", title=text("map.tip.coverage"), format=".1%"),
            alt.Tooltip("reached:Q", title=text("map.tip.reached"), format=",d"),
            alt.Tooltip("known:Q", title=text("map.tip.known"), format=",d"),
            alt.Tooltip("people:Q", title=text("map.tip.people"), format=",d"),
            alt.Tooltip("unreachable:Q", title=text("map.tip.unreachable"), format=",d"),
            alt.Tooltip("round:Q", title=text("map.tip.round")),
            alt.Tooltip("day:N", title=text("map.tip.day")),
            alt.Tooltip("cadre:N", title=text("map.tip.cadre")),
            alt.Tooltip("staff:Q", title=text("map.tip.staff")),
            alt.Tooltip("managed:N", title=text("map.tip.managed"))]


def _shape_layers(shape: Shape, colors: dict, legend, legend_size: int) -> list:
    """Zones, then areas (shaded by coverage if asked, grey without figures), then the picked area's outline.

    Geoshape layers inherit the chart's one top-level topology (data given per layer would be copied
    into the spec once per layer). Zones carry their name; areas only an id, by which they get their
    figures from the areas table."""
    fields = list(FIGURES) if shape.tooltips else ["percent"]
    figures = alt.LookupData(data=alt.NamedData(name=AREAS), key="site_id", fields=fields)
    zones = alt.Chart().transform_filter("datum.properties.zone")

    def areas():
        chart = alt.Chart().transform_filter("!datum.properties.zone").transform_lookup(lookup="id", from_=figures)
        # without tooltips the coverage travels in whole percent (no figures: none, not 0 %)
        return chart if shape.tooltips else chart.transform_calculate(
            coverage="isValid(datum.percent) ? datum.percent / 100 : null")
    tooltip = _area_tooltip(shape)
    tip = {"tooltip": tooltip} if tooltip else {}
    base = areas()
    if "coverage" in shape.layers:  # the shaded layer draws every area with figures: grey only the rest
        base = base.transform_filter("!isValid(datum.coverage)")  # (2,000 fewer SVG paths at city size)
    parts = [zones.mark_geoshape(fill=colors["zone_fill"], stroke=colors["zone_stroke"], strokeWidth=1.5),
             base.mark_geoshape(fill=colors["area_fill"], stroke=colors["area_stroke"], strokeWidth=0.8).encode(**tip)]
    if "coverage" in shape.layers:
        parts.append(areas().mark_geoshape(stroke=colors["area_stroke"], strokeWidth=0.8).encode(
            color=alt.Color("coverage:Q", title=shape.text("map.legend.coverage"),
                            scale=alt.Scale(scheme="redyellowgreen", domain=list(COVERAGE_DOMAIN), clamp=True),
                            legend=legend("bottom-left", format=".0%", direction="horizontal",
                                          gradientLength=max(160, legend_size * 10))),
            **tip,
        ))
    parts.append(alt.Chart().transform_filter("datum.properties.focused").mark_geoshape(
        fillOpacity=0, stroke=colors["focus"], strokeWidth=3))
    return parts


def _zone_names(colors: dict, size: int) -> list:
    """Each zone's name at its centre, over a halo that keeps it readable over any shade."""
    where = {"longitude": "lon:Q", "latitude": "lat:Q", "text": "name:N"}
    names = alt.Chart(alt.NamedData(name=NAMES))
    return [names.mark_text(fontSize=size, fontWeight="bold", color=colors["halo"], stroke=colors["halo"],
                            strokeWidth=4, strokeJoin="round", opacity=0.85).encode(**where),
            names.mark_text(fontSize=size, fontWeight="bold", color=colors["text"]).encode(**where)]


def _checkpoint_layer(shape: Shape, colors: dict, legend) -> alt.Chart:
    """Road checkpoints as circles sized by the day's vehicles."""
    text = shape.text
    tooltip = [alt.Tooltip("name:N", title=text("map.tip.checkpoint")),
               alt.Tooltip("road:N", title=text("map.tip.road")),
               alt.Tooltip("vehicles:Q", title=text("map.tip.vehicles"), format=",d"),
               alt.Tooltip("persons:Q", title=text("map.tip.persons"), format=",d"),
               alt.Tooltip("lead_cadre:N", title=text("map.tip.cadre")),
               alt.Tooltip("staff_on_duty:Q", title=text("map.tip.staff"))]
    fields = ["vehicles", "persons"] if shape.tooltips else ["vehicles"]
    traffic = alt.LookupData(data=alt.NamedData(name=TRAFFIC), key="site_id", fields=fields)
    # the legend's sizes follow the day's figures: set by with_traffic, not kept in the skeleton
    return alt.Chart(alt.NamedData(name=CHECKPOINTS)).transform_lookup(
        lookup="site_id", from_=traffic, default=0).mark_circle(
        color=colors["checkpoint"], opacity=0.85, stroke=colors["halo"], strokeWidth=1).encode(
        longitude="lon:Q", latitude="lat:Q",
        size=alt.Size("vehicles:Q", title=text("map.legend.vehicles"),
                      scale=alt.Scale(range=[min(40, shape.circle_max // 4), shape.circle_max], zero=True),
                      legend=legend("bottom-right", direction="horizontal", values=[0])),
        **({"tooltip": tooltip} if shape.tooltips else {}),
    )


def _marker_layer(shape: Shape, colors: dict, legend) -> alt.Chart:
    """The markers of the layers asked for; the legend lists only what is drawn."""
    text, domain = shape.text, list(shape.markers)
    shapes_for = {text("map.marker.no_pm"): "triangle-up", text("map.marker.overdue"): "circle"}
    colors_for = {text("map.marker.no_pm"): colors["no_pm"], text("map.marker.overdue"): colors["overdue"]}
    tooltip = [alt.Tooltip("name:N", title=text("map.tip.name")), alt.Tooltip("marker:N", title=text("map.tip.mark")),
               alt.Tooltip("detail:N", title=text("map.tip.detail"))]
    return alt.Chart(alt.NamedData(name=MARKERS)).mark_point(
        filled=False, strokeWidth=shape.marker_stroke, size=shape.marker_size, opacity=1).encode(
        longitude="lon:Q", latitude="lat:Q",
        shape=alt.Shape("marker:N", title=None, scale=alt.Scale(domain=domain, range=[shapes_for[m] for m in domain]),
                        legend=legend(direction="vertical")),
        color=alt.Color("marker:N", title=None, scale=alt.Scale(domain=domain, range=[colors_for[m] for m in domain]),
                        legend=legend("top-left", direction="vertical")),  # its entries stacked: a short row
        **({"tooltip": tooltip} if shape.tooltips else {}),
    )


# The skeleton is kept on disk too, named by what makes it (the Shape, this file's source, Altair's
# version): a restarted server reads it in a millisecond instead of building it with Altair (0.2-0.3 s
# of the map's first view after a start), as the prepared boundaries are kept.
_SOURCE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def _skeleton_path(shape: Shape) -> Path:
    digest = hashlib.sha256(f"{_SOURCE}|{alt.__version__}|{shape!r}".encode("utf-8")).hexdigest()[:24]
    return PREPARED / f"skeleton-{digest}.json"


@functools.lru_cache(maxsize=64)
def _skeleton(shape: Shape) -> dict:
    """The map's spec without its figures, once per Shape: read from its file, else built by Altair
    (and written). Shared: never changed in place (coverage_map copies its top level)."""
    path = _skeleton_path(shape)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass  # not written yet (or unreadable): built below
    spec = _build_skeleton(shape)
    try:
        PREPARED.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        partial.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        partial.replace(path)  # atomic: a reader never sees half a file
    except OSError:
        pass  # a read-only install builds it once per process
    return spec


def _build_skeleton(shape: Shape) -> dict:
    """The map's spec without its figures, built by Altair."""
    colors, below = PALETTE[shape.dark], shape.legend_orient == "bottom"
    legend, legend_size = _legend_maker(shape.legends, below), shape.font_size or 12
    names = _zone_names(colors, shape.font_size or max(13, round(shape.height / 36))) if shape.names else []
    parts = _shape_layers(shape, colors, legend, legend_size) + ([] if shape.names_on_top else names)
    if shape.checkpoints:
        parts.append(_checkpoint_layer(shape, colors, legend))
    if shape.markers:
        parts.append(_marker_layer(shape, colors, legend))
    parts += names if shape.names_on_top else []
    boundaries = alt.UrlData(url=shape.boundaries or "", format=alt.DataFormat(type="topojson", feature=SHAPES))
    chart = (
        alt.layer(*parts, data=boundaries)
        .resolve_scale(color="independent", size="independent", shape="independent")
        .project(type="mercator")
        .properties(width=shape.width, height=shape.height, background="transparent" if shape.dark else "#ffffff")
        # no ARIA description per mark: Vega-Lite would build one text per area, checkpoint and marker
        # (3,500 at city size), each evaluated by Streamlit's expression interpreter; the map's first draw
        # spent most of its time there
        .configure(aria=False)
        .configure_view(stroke=None)
        .configure_legend(labelColor=colors["text"], titleColor=colors["text"], labelFontSize=legend_size,
                          titleFontSize=legend_size, symbolStrokeWidth=2.5, padding=6, cornerRadius=4,
                          # bigger text needs room to be read whole
                          **({"labelLimit": shape.font_size * 16, "titleLimit": shape.font_size * 16}
                             if shape.font_size else {}),
                          # a legend under the map needs no backdrop; one inside it keeps the map legible
                          **({} if below else {"fillColor": colors["legend_fill"]}))
    )
    # not schema-checked here: that was a third of a first view's skeleton (tests check it instead)
    spec = chart.to_dict(validate=False)
    spec.pop("datasets", None)
    return spec


# ---- the chart ---------------------------------------------------------------------------------

class Parts(dict):
    """A piece of the map kept by ui.data.chart_spec under its own lines (to_dict() is itself), with a
    token naming this build of it: the finished spec is kept per set of tokens (`_assembled`)."""

    def to_dict(self, *args, **kwargs) -> dict:
        return dict(self)


@dataclasses.dataclass(frozen=True)
class Drawn:
    """A table as the browser gets it (Arrow IPC), with what the spec takes from it: its rows and the
    box (west, south, east, north) of its points, if it has any. A kept piece holds its tables so:
    they are converted once, not at every assembly."""
    arrow: bytes
    rows: int
    box: tuple | None


def _drawn(frame: pd.DataFrame) -> Drawn:
    box = None
    if "lon" in frame and not frame.empty:
        box = (float(frame["lon"].min()), float(frame["lat"].min()), float(frame["lon"].max()),
               float(frame["lat"].max()))
    return Drawn(_arrow(frame), len(frame), box)


def _token() -> str:
    return uuid.uuid4().hex


def base_parts(data: dict, label, layers=LAYERS, tooltips: bool = True) -> Parts:
    """What the territory line decides (geometry.map_base's data): the boundaries, the areas' names and
    kinds, the checkpoints' places, the unmanaged compounds, the zone names and the words."""
    names = data["zone_labels"]
    checkpoints = _checkpoints(data["checkpoints"], tooltips) if "checkpoints" in layers else None
    return Parts(token=_token(), boundaries=data["topology_url"], topology=data["topology"],
                 extent=data.get("extent"), site_ids=data["areas"]["site_id"].astype("int64").to_numpy(),
                 sites=_site_columns(data["areas"], label, tooltips),
                 names=None if names.empty else _drawn(names[["name", "lon", "lat"]]),
                 checkpoints=None if checkpoints is None or checkpoints.empty else _drawn(checkpoints),
                 unmanaged=_unmanaged(data["areas"], data["centres"], label), centres=data["centres"],
                 texts=tuple((key, label(key)) for key in TEXT_KEYS), no_geometry=label("map.no_geometry"))


def survey_part(survey: pd.DataFrame) -> Parts:
    """The survey line's figures (community.map_survey), by site id."""
    return Parts(token=_token(), survey=survey)


def overdue_part(points: pd.DataFrame, label) -> Parts:
    """The inspections line's overdue duty points (geometry.map_overdue) as markers, not yet placed."""
    return Parts(token=_token(), overdue=_overdue(points, label))


def _aligned(survey: pd.DataFrame, site_ids) -> pd.DataFrame:
    """The survey figures in the areas' order, NaN for an area without a round."""
    return survey.set_index("site_id").reindex(site_ids).reset_index()


def _marker_table(base: Parts, overdue: pd.DataFrame, layers, tooltips: bool) -> tuple[Drawn | None, frozenset]:
    """The markers of the layers asked for (None: none to draw) and their kinds."""
    text = dict(base["texts"])
    shown = [text["map.marker.no_pm"]] * ("property" in layers) + [text["map.marker.overdue"]] * ("overdue" in layers)
    if not shown:
        return None, frozenset()
    markers = _markers(base["unmanaged"], overdue, base["centres"])
    markers = markers[markers["marker"].isin(shown)]
    if markers.empty:
        return None, frozenset()
    return (_drawn(markers if tooltips else markers[["marker", "lon", "lat"]].astype({"lon": "float32", "lat": "float32"})),
            frozenset(markers["marker"]))


def _tables(base: Parts, survey: pd.DataFrame, markers: Drawn | None, tooltips: bool) -> dict[str, Drawn]:
    """The figures, as the tables the skeleton draws from (only those with rows to draw); `survey` is in
    the areas' order."""
    tables = {AREAS: _drawn(_area_table(base["sites"], _survey_columns(survey, tooltips), tooltips))}
    if base["names"] is not None:
        tables[NAMES] = base["names"]
    if base["checkpoints"] is not None:
        tables[CHECKPOINTS] = base["checkpoints"]
    if markers is not None:
        tables[MARKERS] = markers
    return tables


def _fit(extent, tables: dict) -> dict | None:
    """What the projection is fitted to: the corners of the boundaries and of every point drawn, as one
    GeoJSON MultiPoint (Mercator keeps a lon/lat box a box). Left to itself Vega-Lite fits to every
    shape and point, and in the browser that ran twice (before and after the boundaries file came) and
    projected every mark again in between."""
    if extent is None:
        return None
    west, south, east, north = (float(v) for v in extent)
    for name in (CHECKPOINTS, MARKERS, NAMES):
        box = tables[name].box if name in tables else None
        if box is not None:
            west, south, east, north = min(west, box[0]), min(south, box[1]), max(east, box[2]), max(north, box[3])
    return {"type": "Feature", "properties": {},
            "geometry": {"type": "MultiPoint", "coordinates": [[west, south], [east, north]]}}


def coverage_map(data: dict, label, layers=LAYERS, width: int = 900, height: int = 640,
                 dark: bool = False, legends: bool = True, legend_orient: str | None = None,
                 font_size: int | None = None, names_on_top: bool = False, tooltips: bool = True):
    """Zones, villages and compounds shaded by coverage, checkpoints sized by the day's vehicles,
    and markers for compounds without property management and overdue duty points.

    `data` is data_access.geometry.map_data's. The page keeps its legends in the map's corners.
    `legend_orient="bottom"` (the wall) puts them all in one row under the map instead, outside the
    area the zones are fitted to, so no legend can cover a zone's name however the map is sized;
    `font_size` sets the legends' and zone names' text; `names_on_top` draws the zone names over the
    checkpoints and markers (read from across a room, a name half hidden by a marker is lost). A copy
    may also drop the legends altogether; `tooltips=False` (a wall nobody points at) sends only what
    is drawn. Returns the finished spec (`Ready`), the skeleton kept, the figures swapped in.

    Built in one go from one read: what the pages' pieces (`cached_map`) must add up to."""
    looks = Looks(tuple(layers), int(width), int(height), bool(dark), bool(legends), legend_orient, font_size,
                  bool(names_on_top), bool(tooltips))
    if not data["topology_url"] and data["topology"] is None:
        return _no_geometry(label("map.no_geometry"), looks)
    points, base = data["points"], base_parts(data, label, layers, tooltips)
    overdue = _overdue(points[points["overdue"].fillna(False).to_numpy(dtype=bool)], label)
    spec = _assemble(base, data["areas"], _marker_table(base, overdue, looks.layers, looks.tooltips), looks)
    return with_traffic(spec, data["traffic"], tooltips) if data.get("traffic") is not None else spec


def _no_geometry(text: str, looks: Looks) -> alt.Chart:
    return alt.Chart(pd.DataFrame({"text": [text]})).mark_text(
        fontSize=looks.font_size or 16, color=PALETTE[looks.dark]["text"]).encode(text="text:N").properties(
        width=looks.width, height=looks.height)


@functools.lru_cache(maxsize=2)
def _no_traffic(tooltips: bool) -> Drawn:
    return _drawn(traffic_table(None, tooltips))


def _assemble(base: Parts, survey: pd.DataFrame, markers: tuple[Drawn | None, frozenset], looks: Looks) -> Ready:
    """The spec from its pieces: the kept skeleton for their Shape, the fit, and the figures as Arrow
    (the day's traffic left empty: with_traffic swaps it in). `survey` is in the areas' order;
    `markers` is _marker_table's."""
    tables, kinds = _tables(base, survey, markers[0], looks.tooltips), markers[1]
    checkpoints = tables.get(CHECKPOINTS)
    if checkpoints is not None:
        tables[TRAFFIC] = _no_traffic(looks.tooltips)  # swapped in by with_traffic
    markers, text = tables.get(MARKERS), dict(base["texts"])
    shape = Shape(
        **vars(looks), boundaries=base["boundaries"], names=NAMES in tables,
        checkpoints=checkpoints is not None,
        markers=tuple(m for m in (text["map.marker.no_pm"], text["map.marker.overdue"]) if m in kinds),
        texts=base["texts"],
        **_crowd(0 if checkpoints is None else checkpoints.rows, 0 if markers is None else markers.rows))
    spec = Ready(_skeleton(shape))
    fit = _fit(base["extent"], tables)
    if fit is not None:
        spec["projection"] = {**spec["projection"], "fit": fit}
    if not base["boundaries"]:  # a read-only install: the boundaries inside the spec
        spec["data"] = {"values": base["topology"], "format": {"type": "topojson", "feature": SHAPES}}
    spec["datasets"] = {name: table.arrow for name, table in tables.items()}
    return spec


# The finished specs (traffic aside) by the tokens of their pieces and their looks: a rerun with no
# save rebuilds nothing, a save rebuilds only from the pieces of its line.
_assembled: collections.OrderedDict = collections.OrderedDict()
_kept_markers: collections.OrderedDict = collections.OrderedDict()  # a survey save keeps the markers
_assembled_lock = threading.Lock()
ASSEMBLED_KEPT = 16


def _kept(store: collections.OrderedDict, key, make):
    """store[key], made by make() when missing; the store keeps the ASSEMBLED_KEPT last used."""
    with _assembled_lock:
        value = store.get(key)
        if value is not None:
            store.move_to_end(key)
            return value
    value = make()
    with _assembled_lock:
        store[key] = value
        while len(store) > ASSEMBLED_KEPT:
            store.popitem(last=False)
    return value


def _kept_assembly(base: Parts, survey: Parts, overdue: Parts, looks: Looks) -> dict:
    if not base["boundaries"] and base["topology"] is None:
        return _kept(_assembled, (base["token"], looks),
                     lambda: _no_geometry(base["no_geometry"], looks).to_dict(validate=False))
    markers = _kept(_kept_markers, (base["token"], overdue["token"], looks.layers, looks.tooltips),
                    lambda: _marker_table(base, overdue["overdue"], looks.layers, looks.tooltips))
    return _kept(_assembled, (base["token"], survey["token"], overdue["token"], looks),
                 lambda: _assemble(base, _aligned(survey["survey"], base["site_ids"]), markers, looks))


def cached_map(filters, label, layers=LAYERS, width: int = 900, height: int = 640, dark: bool = False,
               legends: bool = True, legend_orient: str | None = None, font_size: int | None = None,
               names_on_top: bool = False, tooltips: bool = True, pixels: int = BOUNDARY_PIXELS) -> Ready:
    """coverage_map of geometry.map_data(filters, pixels) with the day's traffic, from pieces each kept
    under its own line: the boundaries, names and places under territory (geometry.map_base), the
    areas' survey figures under survey (community.map_survey), the overdue duty points under inspections
    (geometry.map_overdue), the day's traffic (community.map_traffic) under traffic. A save re-reads and
    reshapes only its line's piece; the boundaries' check runs only when the territory line moved.
    `label` must be a module-level function (ui.i18n.t): it is part of the pieces' cache keys."""
    layers = tuple(layers)
    # each piece keyed by what it reads: the places by no day (a new survey day keeps them), the figures
    # by the as-of day alone
    place, as_of = dataclasses.replace(filters, start=None, end=None), dataclasses.replace(filters, start=None)
    base = chart_spec(base_parts, geometry.map_base, (place, pixels), label=label, layers=layers, tooltips=tooltips)
    survey = chart_spec(survey_part, community.map_survey, (as_of,))
    overdue = chart_spec(overdue_part, geometry.map_overdue, (as_of,), label=label)
    looks = Looks(layers, int(width), int(height), bool(dark), bool(legends), legend_orient, font_size,
                  bool(names_on_top), bool(tooltips))
    spec = Ready(_kept_assembly(base, survey, overdue, looks))  # a copy of the top level: the kept one is shared
    return with_traffic(spec, read(community.map_traffic, filters), tooltips)


def _vehicle_legend(layers: list, steps: list[int]) -> list:
    """The layers with the checkpoint legend's sizes set to `steps` (that layer copied, the rest shared)."""
    out = []
    for layer in layers:
        size = (layer.get("encoding") or {}).get("size") if (layer.get("data") or {}).get("name") == CHECKPOINTS else None
        if isinstance(size, dict) and isinstance(size.get("legend"), dict):
            size = {**size, "legend": {**size["legend"], "values": steps}}
            layer = {**layer, "encoding": {**layer["encoding"], "size": size}}
        out.append(layer)
    return out


def with_traffic(spec: dict, traffic: pd.DataFrame, tooltips: bool = True) -> dict:
    """coverage_map's spec with the day's checkpoint figures (data_access.community.map_traffic) in it.

    A new spec sharing the cached one's parts: a traffic save re-reads only these few hundred rows."""
    if TRAFFIC not in (spec.get("datasets") or {}):  # no checkpoints drawn (or no boundaries): nothing to swap
        return spec
    table = traffic_table(traffic, tooltips)
    out = Ready(spec)
    out["datasets"] = {**spec["datasets"], TRAFFIC: _arrow(table)}
    out["layer"] = _vehicle_legend(spec["layer"], _legend_steps(table["vehicles"].max() if len(table) else 0))
    return out


# ---- one site's rounds (survey entry) ------------------------------------------------------------

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
