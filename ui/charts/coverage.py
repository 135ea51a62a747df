"""The coverage map (摸排覆盖图), drawn offline with Altair geoshapes: no tile server is involved.

`coverage_map` draws what data_access.geometry.map_data reads (the wall reuses it at a smaller
size, dark); pages get its Vega-Lite spec through ui.data.chart_spec, cached per data version.
`label(key, **values)` translates (pass ui.i18n.t).
"""
from __future__ import annotations

import math

import altair as alt
import pandas as pd

from data_access.geometry import SHAPES

LAYERS = ("coverage", "property", "checkpoints", "overdue")
COVERAGE_DOMAIN = (0.6, 1.0)  # below 60 % is as red as it gets
PALETTE = {
    False: {"zone_fill": "#eef1f5", "zone_stroke": "#7d8a9c", "area_fill": "#d5dae1", "area_stroke": "#ffffff",
            "text": "#44546a", "checkpoint": "#1f5fa8", "no_pm": "#7b3fb5", "overdue": "#d62728",
            "focus": "#111111", "halo": "#ffffff", "legend_fill": "rgba(255,255,255,0.85)"},
    True: {"zone_fill": "#13233a", "zone_stroke": "#3b5b86", "area_fill": "#2a3f5f", "area_stroke": "#0b1420",
           "text": "#c9d6e6", "checkpoint": "#5fa8ff", "no_pm": "#c48bff", "overdue": "#ff4d4d",
           "focus": "#ffffff", "halo": "#0b1420", "legend_fill": "rgba(11,20,32,0.8)"},
}


# ---- the map's tables ----------------------------------------------------------------------------

def _clean(value):
    """JSON-safe scalars for the tooltips (no NaN, no numpy types, dates as text)."""
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


def map_markers(data: dict, label) -> pd.DataFrame:
    """Compounds without property management and overdue duty points, at their shape's centre (else
    at their recorded position)."""
    centres = data["centres"]

    def where(site_id, lon, lat):
        if centres.get(int(site_id)):
            return centres[int(site_id)]
        return (lon, lat) if lon is not None and lat is not None and not pd.isna(lon) else None

    markers = []
    for area in data["areas"].itertuples():
        if area.kind == "compound" and area.has_property_management is False and (spot := where(area.site_id, area.lon, area.lat)):
            markers.append({"marker": label("map.marker.no_pm"), "name": area.name, "lon": spot[0], "lat": spot[1],
                            "detail": label("map.no_pm_detail", cadre=_clean(area.lead_cadre) or "—",
                                            staff=_clean(area.staff_on_duty) or 0)})
    for point in data["points"].itertuples():
        if point.overdue and (spot := where(point.site_id, point.lon, point.lat)):
            last = label("map.never") if point.last_day is None else _clean(point.last_day)
            markers.append({"marker": label("map.marker.overdue"), "name": point.name, "lon": spot[0], "lat": spot[1],
                            "detail": label("map.overdue_detail", last=last)})
    return pd.DataFrame(markers, columns=["marker", "name", "lon", "lat", "detail"])


def _checkpoints(checkpoints: pd.DataFrame) -> pd.DataFrame:
    circles = checkpoints.assign(vehicles=checkpoints["vehicles"].fillna(0).astype(int),
                                 persons=checkpoints["persons"].fillna(0).astype(int),
                                 lead_cadre=checkpoints["lead_cadre"].fillna("—"),
                                 staff_on_duty=checkpoints["staff_on_duty"].fillna(0).astype(int))
    return circles[["name", "road", "lon", "lat", "vehicles", "persons", "lead_cadre", "staff_on_duty"]]


# ---- the chart's layers ----------------------------------------------------------------------------

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


def _area_tooltip(label) -> list:
    return [alt.Tooltip("name:N", title=label("map.tip.name")),
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


def _shape_layers(data: dict, label, layers, colors: dict, legend, legend_size: int) -> list:
    """Zones, then areas (shaded by coverage if asked), then the picked area's outline.

    Geoshape layers inherit the chart's one top-level topology (data given per layer would be copied
    into the spec once per layer). Zones carry their name; areas only an id, by which they get their
    figures from the table."""
    figures = alt.LookupData(data=_area_figures(data["areas"], label), key="site_id", fields=list(FIGURES))
    zones = alt.Chart().transform_filter("datum.properties.zone")
    areas = lambda: alt.Chart().transform_filter("!datum.properties.zone").transform_lookup(lookup="id", from_=figures)  # noqa: E731
    tooltip = _area_tooltip(label)
    parts = [zones.mark_geoshape(fill=colors["zone_fill"], stroke=colors["zone_stroke"], strokeWidth=1.5),
             areas().mark_geoshape(fill=colors["area_fill"], stroke=colors["area_stroke"], strokeWidth=0.8)
             .encode(tooltip=tooltip)]
    if "coverage" in layers:
        parts.append(areas().mark_geoshape(stroke=colors["area_stroke"], strokeWidth=0.8).encode(
            color=alt.Color("coverage:Q", title=label("map.legend.coverage"),
                            scale=alt.Scale(scheme="redyellowgreen", domain=list(COVERAGE_DOMAIN), clamp=True),
                            legend=legend("bottom-left", format=".0%", direction="horizontal",
                                          gradientLength=max(160, legend_size * 10))),
            tooltip=tooltip,
        ))
    parts.append(alt.Chart().transform_filter("datum.properties.focused").mark_geoshape(
        fillOpacity=0, stroke=colors["focus"], strokeWidth=3))
    return parts


def _zone_names(zone_labels: pd.DataFrame, colors: dict, size: int) -> list:
    """Each zone's name at its centre, over a halo that keeps it readable over any shade."""
    if zone_labels.empty:
        return []
    where = {"longitude": "lon:Q", "latitude": "lat:Q", "text": "name:N"}
    names = alt.Chart(zone_labels)
    return [names.mark_text(fontSize=size, fontWeight="bold", color=colors["halo"], stroke=colors["halo"],
                            strokeWidth=4, strokeJoin="round", opacity=0.85).encode(**where),
            names.mark_text(fontSize=size, fontWeight="bold", color=colors["text"]).encode(**where)]


def _checkpoint_layer(checkpoints: pd.DataFrame, label, colors: dict, legend) -> alt.Chart:
    """Road checkpoints as circles sized by the day's vehicles."""
    return alt.Chart(checkpoints).mark_circle(
        color=colors["checkpoint"], opacity=0.85, stroke=colors["halo"], strokeWidth=1).encode(
        longitude="lon:Q", latitude="lat:Q",
        size=alt.Size("vehicles:Q", title=label("map.legend.vehicles"), scale=alt.Scale(range=[40, 900], zero=True),
                      legend=legend("bottom-right", direction="horizontal",
                                    values=_legend_steps(checkpoints["vehicles"].max()))),
        tooltip=[alt.Tooltip("name:N", title=label("map.tip.checkpoint")),
                 alt.Tooltip("road:N", title=label("map.tip.road")),
                 alt.Tooltip("vehicles:Q", title=label("map.tip.vehicles"), format=",d"),
                 alt.Tooltip("persons:Q", title=label("map.tip.persons"), format=",d"),
                 alt.Tooltip("lead_cadre:N", title=label("map.tip.cadre")),
                 alt.Tooltip("staff_on_duty:Q", title=label("map.tip.staff"))],
    )


def _marker_layer(markers: pd.DataFrame, label, layers, colors: dict, legend) -> alt.Chart | None:
    """The markers of the layers asked for; the legend lists only what is drawn."""
    shown = [label("map.marker.no_pm")] * ("property" in layers) + [label("map.marker.overdue")] * ("overdue" in layers)
    markers = markers[markers["marker"].isin(shown)]
    if markers.empty:
        return None
    domain = [m for m in shown if m in set(markers["marker"])]
    shapes_for = {label("map.marker.no_pm"): "triangle-up", label("map.marker.overdue"): "circle"}
    colors_for = {label("map.marker.no_pm"): colors["no_pm"], label("map.marker.overdue"): colors["overdue"]}
    return alt.Chart(markers).mark_point(filled=False, strokeWidth=3, size=260, opacity=1).encode(
        longitude="lon:Q", latitude="lat:Q",
        shape=alt.Shape("marker:N", title=None, scale=alt.Scale(domain=domain, range=[shapes_for[m] for m in domain]),
                        legend=legend(direction="vertical")),
        color=alt.Color("marker:N", title=None, scale=alt.Scale(domain=domain, range=[colors_for[m] for m in domain]),
                        legend=legend("top-left", direction="vertical")),  # its entries stacked: a short row
        tooltip=[alt.Tooltip("name:N", title=label("map.tip.name")), alt.Tooltip("marker:N", title=label("map.tip.mark")),
                 alt.Tooltip("detail:N", title=label("map.tip.detail"))],
    )


def _boundaries(data: dict) -> alt.Data | alt.UrlData:
    """The chart's one top-level topology: the published file, or (read-only install) the topology itself."""
    form = alt.DataFormat(type="topojson", feature=SHAPES)
    if data["topology_url"]:
        return alt.UrlData(url=data["topology_url"], format=form)
    return alt.Data(values=data["topology"], format=form)


# ---- the chart ---------------------------------------------------------------------------------

def coverage_map(data: dict, label, layers=LAYERS, width: int = 900, height: int = 640,
                 dark: bool = False, legends: bool = True, legend_orient: str | None = None,
                 font_size: int | None = None, names_on_top: bool = False) -> alt.LayerChart | alt.Chart:
    """Zones, villages and compounds shaded by coverage, checkpoints sized by the day's vehicles,
    and markers for compounds without property management and overdue duty points.

    `data` is data_access.geometry.map_data's. The page keeps its legends in the map's corners.
    `legend_orient="bottom"` (the wall) puts them all in one row under the map instead, outside the
    area the zones are fitted to, so no legend can cover a zone's name however the map is sized;
    `font_size` sets the legends' and zone names' text; `names_on_top` draws the zone names over the
    checkpoints and markers (read from across a room, a name half hidden by a marker is lost). A copy
    may also drop the legends altogether."""
    colors, below = PALETTE[dark], legend_orient == "bottom"
    if not data["topology_url"] and data["topology"] is None:
        return alt.Chart(pd.DataFrame({"text": [label("map.no_geometry")]})).mark_text(
            fontSize=font_size or 16, color=colors["text"]).encode(text="text:N").properties(width=width, height=height)
    legend, legend_size = _legend_maker(legends, below), font_size or 12
    names = _zone_names(data["zone_labels"], colors, font_size or max(13, round(height / 36)))
    parts = _shape_layers(data, label, layers, colors, legend, legend_size) + ([] if names_on_top else names)
    checkpoints = _checkpoints(data["checkpoints"])
    if "checkpoints" in layers and not checkpoints.empty:
        parts.append(_checkpoint_layer(checkpoints, label, colors, legend))
    markers = _marker_layer(map_markers(data, label), label, layers, colors, legend)
    parts += ([markers] if markers is not None else []) + (names if names_on_top else [])
    return (
        alt.layer(*parts, data=_boundaries(data))
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
