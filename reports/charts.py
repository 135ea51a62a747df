"""The daily report's charts for print: the pages' own Altair charts (ui/charts) drawn from the pages' own
reads (data_access), rendered to SVG by vl-convert (no browser).

SVG, not PNG: WeasyPrint draws the SVG's text with the document's fonts, so the axis labels stay sharp
vector text, searchable, and are checked for missing glyphs like the rest (tests/test_report_pdf.py).
"""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from data_access import grain, logistics, reopening, shops, traffic
from data_access.filters import Filters
from data_access.models import SHOP_CATEGORIES
from reports import daily
from ui.charts import logistics as logistics_charts
from ui.charts import reopening as reopening_charts
from ui.charts import shops as shops_charts
from ui.charts import traffic as traffic_charts
from ui.i18n import translator

FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/dejavu")  # Debian's fonts-noto-cjk
CHART_FONT = "Noto Sans CJK SC"  # as the report's tables and headings
WIDTH_PX = 600  # the text block (A4 less 28 + 20 mm margins = 162 mm) is ~612 CSS px at 96 px per inch


@dataclasses.dataclass(frozen=True)
class Chart:
    line: str
    title: str
    svg: str | None  # None: no data to draw (said in words instead)


def daily_charts(figures: dict, lang: str = "zh", engine=None) -> dict[str, Chart]:
    """The charts of each line shown in the daily report, keyed by line: the traffic trend over the
    report's range, reopening over time, shops by category, meals per day."""
    t = translator(lang)
    line = functools.partial(daily.line_filters, figures)  # each line as the report reads it

    charts = (_traffic(line("traffic"), t, engine), _reopening(line("reopening"), t, engine),
              _shops(line("shops"), t, engine), _meals(line("logistics"), t, engine))
    return {chart.line: chart for chart in charts}


def _traffic(filters: Filters, t, engine) -> Chart:
    frame = traffic.daily(filters, engine)
    kind = grain.grain_for(filters.start, filters.end)
    title = t("pdf.chart.traffic") if kind == "day" else t("pdf.chart.traffic_by", unit=t(f"grain.unit.{kind}"))
    if frame.empty or not frame["vehicles"].sum():
        return Chart("traffic", title, None)
    chart = traffic_charts.daily_trend_chart(
        frame, "vehicles", label=t("traffic.vehicles"),
        average_label=t("traffic.avg7") if kind == "day" else t("grain.per_day"),
        day_label=t(f"grain.axis.{kind}"), wide_days=True, height=160)
    return Chart("traffic", title, svg(chart))


def _reopening(filters: Filters, t, engine) -> Chart:
    frame = reopening.daily(filters, engine)
    kind = grain.grain_for(filters.start, filters.end)
    approvals = t("reopen.approvals") if kind == "day" else t("reopen.approvals_by", unit=t(f"grain.unit.{kind}"))
    title = t("pdf.chart.reopening")
    if frame.empty or not (frame["approvals"].sum() or frame["employees"].sum()):
        return Chart("reopening", title, None)
    chart = reopening_charts.over_time(frame, approvals_label=approvals, employees_label=t("reopen.employees_back"),
                                       day_label=t(f"grain.axis.{kind}"), height=170)
    return Chart("reopening", title, svg(chart))


def _shops(filters: Filters, t, engine) -> Chart:
    frame = shops.by_category(filters, engine)
    title = t("pdf.chart.shops")
    if frame.empty or not frame["shops"].sum():
        return Chart("shops", title, None)
    chart = shops_charts.by_category(frame, {c: t(f"shops.category.{c}") for c in SHOP_CATEGORIES},
                                     open_label=t("shops.state_open"), closed_label=t("shops.state_closed"),
                                     count_label=t("shops.count"), legend_title=t("shops.legend"))
    return Chart("shops", title, svg(chart, height=30 * len(frame)))  # the page's 36 px a row: half a page


def _meals(filters: Filters, t, engine) -> Chart:
    frame = logistics.meals_daily(filters, engine)
    title = t("pdf.chart.meals")
    if frame.empty or not (frame["meals"].sum() + frame["donated_meals"].sum()):
        return Chart("logistics", title, None)
    chart = logistics_charts.meals_daily(frame, meals_label=t("sup.meals_label"), donated_label=t("sup.donated_label"),
                                         day_label=t("sup.day_label"), height=150)
    return Chart("logistics", title, svg(chart))


def svg(chart, width: int = WIDTH_PX, height: int | None = None) -> str:
    """The chart as SVG, `width` px wide in all (axes and legend included), its text in the report's font;
    `height`: the plot's, instead of the one the page gives it."""
    import vl_convert  # here: the app runs without it, only documents need it

    _register_fonts()
    spec = chart.to_dict()
    spec.update(width=width, autosize={"type": "fit-x", "contains": "padding"})
    if height:
        spec["height"] = height
    config = {"font": CHART_FONT, "axis": {"labelFontSize": 11, "titleFontSize": 11},
              "legend": {"labelFontSize": 11}, "view": {"stroke": None}}
    return vl_convert.vegalite_to_svg(spec, config=config)


@functools.cache
def _register_fonts() -> None:
    """vl-convert measures text with its own font list, not fontconfig's: without the CJK font it would
    size Chinese labels with a Latin font's metrics (overlapping, cut titles)."""
    import vl_convert

    for folder in FONT_DIRS:
        if Path(folder).is_dir():
            vl_convert.register_font_directory(folder)
