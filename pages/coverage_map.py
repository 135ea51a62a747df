"""摸排覆盖图: villages and compounds shaded by survey coverage, checkpoints, overdue duty points."""
import streamlit as st

from data_access import community
from data_access.errors import DataError, ValidationError
from ui import errors as show_errors
from ui import format as fmt
from ui.charts import coverage as charts
from ui.data import read
from ui.i18n import lang, t
from ui.kpi import tile
from ui.session import actor
from ui.guard import require_router
from ui.page import run
from ui.filter_bar import line_filters, site_label
from ui.grids import fit

require_router()

MAP_WIDTH, MAP_HEIGHT = 900, 660
MORE_IS_BETTER = "#2f8f5b"  # coverage bars in green: the primary red read 95 % as bad


def coverage_column():
    """Share of households reached as a bar: green (more is better), wide enough for "100.0%" and its bar."""
    return st.column_config.ProgressColumn(t("map.coverage"), format="percent", min_value=0, max_value=1,
                                           color=MORE_IS_BETTER, width=fit(t("map.coverage"), ["100.0%"], extra=48))


def text_column(key: str, values) -> st.column_config.TextColumn:
    return st.column_config.TextColumn(t(key), width=fit(t(key), [str(v) for v in values if v is not None]))


def number_column(key: str, values=("99,999",)) -> st.column_config.NumberColumn:
    return st.column_config.NumberColumn(t(key), format="localized", width=fit(t(key), values))


# ---- settings → load → show ---------------------------------------------------------------------

def settings() -> dict:
    """The filter bar's view (as of this line's own day), the map's layers and the every-site toggle."""
    filters = line_filters("survey")
    st.title(t("map.title"))
    st.caption(t("common.as_of", day=fmt.day(filters.end, weekday=True)) + " · " + t("map.intro"))
    layers = st.pills(t("map.layers"), charts.LAYERS, selection_mode="multi", default=list(charts.LAYERS),
                      format_func=lambda layer: t(f"map.layer.{layer}"), key="map_layers")
    return {"filters": filters, "layers": tuple(sorted(layers or ()))}


def map_spec(filters, layers) -> dict:
    """The map, each piece kept under its own line: a save re-reads only its line's figures."""
    # legends in the map's corners, names over the markers
    return charts.cached_map(filters, t, layers=layers, width=MAP_WIDTH, height=MAP_HEIGHT, names_on_top=True)


def load(view: dict) -> dict:
    filters = view["filters"]
    return {
        "totals": read(community.coverage_totals, filters),
        "map": map_spec(filters, view["layers"]),
        "least": read(community.least_covered, filters, 8),
        "managed": read(community.compounds_by_management, filters),
    }


def show_totals(totals: dict) -> None:
    """A row across the page (in a column beside the map the tiles were too narrow for their numbers: "7,…")."""
    for kind, column in zip(("village", "compound"), st.columns(2, gap="medium")):
        figures = totals[kind]
        column.markdown(f"**{t('map.totals.' + kind, sites=figures['sites'], surveyed=figures['surveyed'])}**")
        a, b, c = column.columns(3)
        tile(a, t("map.households_reached"), figures["households_reached"],
             help_text=t("map.of_known", known=fmt.num(figures["households_known"])))
        tile(b, t("map.people"), figures["people"])
        c.metric(t("map.coverage"), fmt.percent(figures["households_reached"], figures["households_known"]), border=True)


def show_least_covered(least) -> None:
    st.markdown(f"**{t('map.least_covered')}**")
    shown = least.assign(name=[site_label(n, k) for n, k in zip(least["name"], least["kind"])])
    st.dataframe(
        shown, hide_index=True, placeholder="—", width="stretch",
        # what fits half a laptop's width: the zone and the households are in the every-site table below
        column_order=["name", "coverage", "lead_cadre"],
        column_config={
            "name": text_column("map.col.site", shown["name"]),
            "zone": text_column("col.zone", shown["zone"]),
            "coverage": coverage_column(),
            "households_reached": number_column("map.col.reached"),
            "households_known": number_column("map.col.known"),
            "lead_cadre": text_column("map.col.lead_cadre", shown["lead_cadre"]),
        },
    )


def show_by_management(managed) -> None:
    st.markdown(f"**{t('map.by_management')}**")
    shown = managed.assign(managed=managed["managed"].map(lambda m: t("map.managed" if m else "map.unmanaged")))
    st.dataframe(
        shown, hide_index=True, placeholder="—", width="stretch",
        column_order=["managed", "compounds", "staff_on_duty", "coverage"],  # the households are in the tiles above
        column_config={
            "managed": text_column("map.col.management", shown["managed"]),
            "compounds": number_column("map.col.compounds", ["99"]),
            "staff_on_duty": number_column("map.col.staff", ["99"]),
            "households_reached": number_column("map.col.reached"),
            "people": number_column("map.people"),
            "coverage": coverage_column(),
        },
    )


def show_every_site(filters) -> None:
    """A toggle, not an expander: an expander's content is built on every rerun even when closed, and
    this table has a row per site."""
    if not st.toggle(t("map.all_sites"), key="map_all_sites"):
        return
    sites = read(community.site_coverage, filters)
    st.dataframe(
        sites.assign(kind=sites["kind"].map(lambda k: t(f"kind.{k}")),
                     has_property_management=sites["has_property_management"].map(
                         lambda m: "—" if m is None else t("common.yes" if m else "common.no"))),
        hide_index=True, placeholder="—", width="stretch",
        column_order=["name", "kind", "zone", "coverage", "round_no", "round_day", "households_known",
                      "households_reached", "people", "people_from_outside", "unreachable", "utility_checked",
                      "lit_at_night", "has_property_management", "lead_cadre", "staff_on_duty"],
        column_config={
            "name": st.column_config.TextColumn(t("map.col.site")),
            "kind": st.column_config.TextColumn(t("map.col.kind")),
            "zone": st.column_config.TextColumn(t("col.zone")),
            "coverage": coverage_column(),
            "round_no": st.column_config.NumberColumn(t("survey.col.round_no")),
            "round_day": st.column_config.DateColumn(t("col.day"), format="YYYY-MM-DD"),
            **{f: st.column_config.NumberColumn(t(f"col.{f}"), format="localized") for f in community.SURVEY_FIELDS},
            "has_property_management": st.column_config.TextColumn(t("map.col.management")),
            "lead_cadre": text_column("map.col.lead_cadre", sites["lead_cadre"]),
            "staff_on_duty": st.column_config.NumberColumn(t("map.col.staff")),
        },
    )


def show_upload_refusal(error: ValidationError) -> None:
    st.error(t("map.upload.refused", n=len(error.errors)), icon=":material/error:")
    st.dataframe(
        [{"feature": e.row if e.row is not None else "—", "message": e.text(lang())} for e in error.errors],
        hide_index=True, placeholder="—", width="stretch",
        column_config={"feature": t("map.upload.feature"), "message": t("col.message")},
    )


def geojson_upload(user) -> None:
    """Administrators replace the boundaries from a GeoJSON file: checked first, saved on a click."""
    with st.expander(t("map.upload.title"), expanded=False):
        st.caption(t("map.upload.help"))
        uploaded = st.file_uploader(t("map.upload.file"), type=["geojson", "json"], key="map_geojson")
        if uploaded is None:
            return
        raw = uploaded.getvalue()
        try:
            plan = community.check_geojson(raw)
        except ValidationError as error:
            show_upload_refusal(error)
            return
        sites_n = sum(1 for p in plan if p["table"] == "site")
        st.success(t("map.upload.ok", sites=sites_n, zones=len(plan) - sites_n))
        if st.button(t("map.upload.replace"), type="primary", key="map_geojson_save"):
            try:
                result = community.replace_geometry(user.username, raw)
            except DataError as error:
                show_errors.show(error)
            else:
                st.success(t("map.upload.done", **result))


def show(view: dict, data: dict) -> None:
    show_totals(data["totals"])
    st.container(key="coverage_map_chart").vega_lite_chart(data["map"], width="stretch")  # the page's width
    st.caption(t("map.legend_note"))
    # who is behind: two tables side by side, each wide enough for its columns on a laptop
    left, right = st.columns(2, gap="medium")
    with left:
        show_least_covered(data["least"])
    with right:
        show_by_management(data["managed"])
    show_every_site(view["filters"])
    user = actor()
    if user is not None and user.role == "admin":
        geojson_upload(user)


def main() -> None:
    run(settings, load, show)


if __name__ == "__main__":
    main()
