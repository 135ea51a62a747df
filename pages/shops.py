"""商铺管控: which shops are open where, with their staff, for the filtered work zone."""
import streamlit as st

from data_access import db, shops
from data_access.models import SHOP_CATEGORIES
from ui import format as fmt
from ui.charts import shops as charts
from ui.data import read
from ui.i18n import lang, t
from ui.kpi import tile
from ui.guard import require_router
from ui.grids import fit
from ui.filter_bar import line_filters

require_router()  # never run outside app.py's sign-in and role check

TABLE_LIMIT = 500  # rows sent to the browser; the count says how many there are

filters = line_filters("shops")  # this line's own "as of"
category_labels = {c: t(f"shops.category.{c}") for c in SHOP_CATEGORIES}


@st.cache_data(max_entries=200, show_spinner=False)
def chart_spec(name: str, view, language: str, version: int) -> dict:
    """A chart's Vega-Lite spec, built (and schema-checked by Altair) once per view, language and data
    version: building and checking the charts costs more than the whole rest of a rerun."""
    if name == "categories":
        return charts.by_category(read(shops.by_category, view), category_labels, t("shops.state_open"),
                                  t("shops.state_closed"), t("shops.count"), t("shops.legend")).to_dict()
    cells = read(shops.by_zone_category, view)
    return charts.where_open(cells, category_labels, t("shops.col.zone"), t("shops.open_count"), t("shops.count")).to_dict()

st.title(t("shops.title"))
st.caption(t("shops.as_of", day=fmt.day(filters.end, weekday=True)))

# ---- headline figures ---------------------------------------------------------------------------
figures = read(shops.summary, filters)
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

# ---- by category, and which categories are open where ---------------------------------------------
left, right = st.columns(2)
left.subheader(t("shops.by_category"))
version = db.data_version()  # once per run: it keys this page's chart cache
left.vega_lite_chart(chart_spec("categories", filters, lang(), version), width="stretch")
right.subheader(t("shops.where_open"))
if figures["shops"]:
    right.vega_lite_chart(chart_spec("where_open", filters, lang(), version), width="stretch")
categories = read(shops.by_category, filters)

# ---- per zone and per category, side by side; the shop list below them, the page's width (in a
# column beside them each table scrolled sideways on a laptop)
def summary_table(where, frame, first: str, label_key: str) -> None:
    counts = ["shops", "open", "closed", "staff", "staff_from_outside"]
    where.dataframe(
        frame, hide_index=True, placeholder="—", width="stretch", column_order=[first, *counts],
        column_config={first: st.column_config.TextColumn(t(label_key), width=fit(t(label_key), frame[first])),
                       **{c: st.column_config.NumberColumn(t(f"shops.col.{c}"), format="localized",
                                                           width=fit(t(f"shops.col.{c}"), ["9,999"]))
                          for c in counts}})


left, right = st.columns(2)
left.subheader(t("shops.by_zone"))
summary_table(left, read(shops.by_zone, filters), "zone", "shops.col.zone")
right.subheader(t("shops.by_category_table"))
summary_table(right, categories.assign(category=categories["category"].map(category_labels)), "category",
              "shops.col.category")

# ---- the shops themselves -------------------------------------------------------------------------
st.subheader(t("shops.table"))
pick_category, pick_state, pick_name = st.columns([3, 2, 2])
chosen = tuple(pick_category.multiselect(t("shops.filter_category"), SHOP_CATEGORIES, key="shops_f_category",
                                         format_func=category_labels.get, placeholder=t("shops.entry.all_categories")))
state = pick_state.segmented_control(t("shops.filter_state"), ["all", "open", "closed"], key="shops_f_state",
                                     default="all", format_func=lambda s: t(f"shops.state_{s}"))
search = pick_name.text_input(t("shops.filter_search"), key="shops_f_search", max_chars=50).strip() or None
state = None if state in (None, "all") else state
total = read(shops.count_shops, filters, chosen, state, search)
table = read(shops.shop_table, filters, chosen, state, search, TABLE_LIMIT)
st.caption(t("shops.table_limited", n=fmt.num(total), shown=fmt.num(len(table))) if total > len(table)
           else t("shops.table_count", n=fmt.num(total)))
listed = table.assign(category=table["category"].map(category_labels),
                      status_since=[fmt.day(d) if d else "—" for d in table["status_since"]],
                      updated_by=table["updated_by"].fillna("—"))
text_width = lambda column: fit(t(f"shops.col.{column}"), listed[column].astype(str), most=240)  # noqa: E731
st.dataframe(
    listed, hide_index=True, placeholder="—", width="stretch", height=520,
    column_order=["name", "zone", "category", "is_open", "staff", "staff_from_outside", "status_since", "updated_by"],
    column_config={
        **{c: st.column_config.TextColumn(t(f"shops.col.{c}"), width=text_width(c))
           for c in ("name", "zone", "category", "status_since", "updated_by")},
        "is_open": st.column_config.CheckboxColumn(t("shops.col.is_open"), width=fit(t("shops.col.is_open"))),
        "staff": st.column_config.NumberColumn(t("shops.col.staff"), format="%d", width=fit(t("shops.col.staff"), ["999"])),
        "staff_from_outside": st.column_config.NumberColumn(t("shops.col.staff_from_outside"), format="%d",
                                                            width=fit(t("shops.col.staff_from_outside"), ["999"])),
    },
)
