"""商铺管控: which shops are open where, with their staff, for the filtered work zone."""
import streamlit as st

from data_access import shops
from data_access.models import SHOP_CATEGORIES
from ui import format as fmt
from ui.charts import shops as charts
from ui.data import chart_spec, read
from ui.i18n import t
from ui.kpi import tile
from ui.guard import require_router
from ui.page import run
from ui.grids import fit
from ui.filter_bar import line_filters

require_router()  # never run outside app.py's sign-in and role check

TABLE_LIMIT = 500  # rows sent to the browser; the count says how many there are
COUNTS = ["shops", "open", "closed", "staff", "staff_from_outside"]


def category_labels() -> dict[str, str]:
    return {c: t(f"shops.category.{c}") for c in SHOP_CATEGORIES}


# ---- settings → load → show ---------------------------------------------------------------------

def settings() -> dict:
    """The filter bar's view (as of this line's own day); the shop list's own filters come with the list."""
    filters = line_filters("shops")
    st.title(t("shops.title"))
    st.caption(t("shops.as_of", day=fmt.day(filters.end, weekday=True)))
    return {"filters": filters, "labels": category_labels()}


def load(view: dict) -> dict:
    filters, labels = view["filters"], view["labels"]
    figures = read(shops.summary, filters)
    return {
        "figures": figures,
        "categories_chart": chart_spec(charts.by_category, shops.by_category, (filters,), category_labels=labels,
                                       open_label=t("shops.state_open"), closed_label=t("shops.state_closed"),
                                       count_label=t("shops.count"), legend_title=t("shops.legend")),
        "where_chart": None if not figures["shops"] else chart_spec(
            charts.where_open, shops.by_zone_category, (filters,), category_labels=labels,
            zone_label=t("shops.col.zone"), open_label=t("shops.open_count"), shops_label=t("shops.count")),
        "by_zone": read(shops.by_zone, filters),
        "by_category": read(shops.by_category, filters),
    }


def show_tiles(figures: dict) -> None:
    tiles = st.columns(5)
    tile(tiles[0], t("shops.total"), figures["shops"])
    tiles[0].caption(t("shops.total_caption"))
    tile(tiles[1], t("shops.open"), figures["open"])
    tiles[1].caption(t("shops.open_caption", share=fmt.percent(figures["open"], figures["shops"]),
                       today=fmt.num(figures["opened_on_day"])))
    tile(tiles[2], t("shops.closed"), figures["closed"])
    tile(tiles[3], t("shops.staff"), figures["staff"])
    tiles[3].caption(t("shops.staff_caption"))
    tile(tiles[4], t("shops.outside"), figures["staff_from_outside"])
    tiles[4].caption(t("shops.outside_caption", share=fmt.percent(figures["staff_from_outside"], figures["staff"])))


def show_charts(data: dict) -> None:
    """By category, and which categories are open where."""
    left, right = st.columns(2)
    left.subheader(t("shops.by_category"))
    left.vega_lite_chart(data["categories_chart"], width="stretch")
    right.subheader(t("shops.where_open"))
    if data["where_chart"] is not None:
        right.vega_lite_chart(data["where_chart"], width="stretch")


def summary_table(where, frame, first: str, label_key: str) -> None:
    where.dataframe(
        frame, hide_index=True, placeholder="—", width="stretch", column_order=[first, *COUNTS],
        column_config={first: st.column_config.TextColumn(t(label_key), width=fit(t(label_key), frame[first])),
                       **{c: st.column_config.NumberColumn(t(f"shops.col.{c}"), format="localized",
                                                           width=fit(t(f"shops.col.{c}"), ["9,999"]))
                          for c in COUNTS}})


def show_summaries(data: dict, labels: dict) -> None:
    """Per zone and per category, side by side; the shop list below them, the page's width (in a
    column beside them each table scrolled sideways on a laptop)."""
    left, right = st.columns(2)
    left.subheader(t("shops.by_zone"))
    summary_table(left, data["by_zone"], "zone", "shops.col.zone")
    right.subheader(t("shops.by_category_table"))
    categories = data["by_category"]
    summary_table(right, categories.assign(category=categories["category"].map(labels)), "category",
                  "shops.col.category")


def list_filters(labels: dict) -> tuple:
    """The shop list's own filters: (categories, open/closed or None, name search or None)."""
    pick_category, pick_state, pick_name = st.columns([3, 2, 2])
    chosen = tuple(pick_category.multiselect(t("shops.filter_category"), SHOP_CATEGORIES, key="shops_f_category",
                                             format_func=labels.get, placeholder=t("shops.entry.all_categories")))
    state = pick_state.segmented_control(t("shops.filter_state"), ["all", "open", "closed"], key="shops_f_state",
                                         default="all", format_func=lambda s: t(f"shops.state_{s}"))
    search = pick_name.text_input(t("shops.filter_search"), key="shops_f_search", max_chars=50).strip() or None
    return chosen, None if state in (None, "all") else state, search


def show_shop_list(filters, labels: dict) -> None:
    st.subheader(t("shops.table"))
    chosen, state, search = list_filters(labels)
    total = read(shops.count_shops, filters, chosen, state, search)
    table = read(shops.shop_table, filters, chosen, state, search, TABLE_LIMIT)
    st.caption(t("shops.table_limited", n=fmt.num(total), shown=fmt.num(len(table))) if total > len(table)
               else t("shops.table_count", n=fmt.num(total)))
    listed = table.assign(category=table["category"].map(labels),
                          status_since=[fmt.day(d) if d else "—" for d in table["status_since"]],
                          updated_by=table["updated_by"].fillna("—"))
    text_width = lambda column: fit(t(f"shops.col.{column}"), listed[column].astype(str), most=240)  # noqa: E731
    number = lambda column: st.column_config.NumberColumn(  # noqa: E731
        t(f"shops.col.{column}"), format="%d", width=fit(t(f"shops.col.{column}"), ["999"]))
    st.dataframe(
        listed, hide_index=True, placeholder="—", width="stretch", height=520,
        column_order=["name", "zone", "category", "is_open", "staff", "staff_from_outside", "status_since", "updated_by"],
        column_config={
            **{c: st.column_config.TextColumn(t(f"shops.col.{c}"), width=text_width(c))
               for c in ("name", "zone", "category", "status_since", "updated_by")},
            "is_open": st.column_config.CheckboxColumn(t("shops.col.is_open"), width=fit(t("shops.col.is_open"))),
            "staff": number("staff"), "staff_from_outside": number("staff_from_outside"),
        },
    )


def show(view: dict, data: dict) -> None:
    show_tiles(data["figures"])
    show_charts(data)
    show_summaries(data, view["labels"])
    show_shop_list(view["filters"], view["labels"])


def main() -> None:
    run(settings, load, show)


if __name__ == "__main__":
    main()
