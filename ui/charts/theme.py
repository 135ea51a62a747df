"""Chart looks: the light pages use Altair's defaults; the wall needs a dark, big-type version.

The wall draws every chart at a fixed size on a 1920x1080 board (`wall_spec`) and lets its CSS scale
the SVG to whatever box the screen gives it (ui/wall_style.py): a chart's text is then always the same
share of the screen, at 1366x768 as at 3840x2160, and no chart needs to know the viewport.
"""
from __future__ import annotations

import copy
import functools

import altair as alt

WALL_FONT = 19  # px on the 1920x1080 board: axis labels and titles (12.6 px at 1366x768, 38 px at 4K)
WALL_SMALL_FONT = 17  # values printed on bars, legends


class Ready(dict):
    """A finished Vega-Lite spec where a chart is expected (ui.data.chart_spec): to_dict() is the spec
    itself. A chart kept as a skeleton with its rows swapped in is one (the trend, the coverage map)."""

    def to_dict(self, *args, **kwargs) -> dict:
        return dict(self)


def on_wall(chart, font_size: int = WALL_FONT):
    """The same chart (or finished spec, `Ready`), restyled for a dark wall read from across the room."""
    if isinstance(chart, dict):
        spec = Ready(chart)
        spec["config"] = _merged(chart.get("config") or {}, _wall_config(font_size))
        return spec
    return _wall_look(chart, font_size)


def _merged(base: dict, over: dict) -> dict:
    """`over` laid over `base`, nested dicts merged (as Altair merges a chart's config over its theme's)."""
    out = dict(base)
    for key, value in over.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@functools.lru_cache(maxsize=8)
def _wall_config(font_size: int) -> dict:
    """The wall's config block, as Altair writes it for a restyled chart. Shared: never changed in place."""
    return _wall_look(alt.Chart().mark_point(), font_size).to_dict(validate=False)["config"]


def _wall_look(chart: alt.Chart, font_size: int) -> alt.Chart:
    return chart.configure(background="transparent").configure_axis(
        labelColor="#c9d6e6", titleColor="#c9d6e6", gridColor="#24406a", domainColor="#3b5b86",
        labelFontSize=font_size, titleFontSize=font_size,
    ).configure_legend(labelColor="#c9d6e6", titleColor="#c9d6e6", labelFontSize=font_size,
                       titleFontSize=font_size).configure_view(stroke=None).configure_title(color="#ffffff").configure_text(
        color="#e8eef5", fontSize=font_size - 2)


def _text_marks(spec: dict, font_size: int, label_limit: int) -> None:
    """In place, on a copy: text marks print at the wall's size (a page's chart may fix a small one) and
    category labels may use `label_limit` px before they are cut."""
    mark = spec.get("mark")
    if isinstance(mark, dict) and mark.get("type") == "text" and "fontSize" in mark:
        spec["mark"] = {**mark, "fontSize": font_size}
    for channel in (spec.get("encoding") or {}).values():
        axis = channel.get("axis") if isinstance(channel, dict) else None
        if isinstance(axis, dict) and "labelLimit" in axis:
            channel["axis"] = {**axis, "labelLimit": max(axis["labelLimit"], label_limit)}
    for part in spec.get("layer") or ():
        _text_marks(part, font_size, label_limit)


def wall_spec(spec: dict, width: int, height: int, font_size: int = WALL_SMALL_FONT) -> dict:
    """A chart's spec drawn in exactly width x height px of the 1920x1080 board, axes, legends and titles
    included (autosize fit), as SVG: the wall's CSS scales the SVG (its viewBox) into the chart's box on
    any screen, so nothing is cut and the text grows and shrinks with the screen.

    Returns a new dict; the given spec is left alone (the map's is shared by every session)."""
    out = dict(spec)
    for key in ("layer", "mark", "encoding"):
        if key in out:
            out[key] = copy.deepcopy(out[key])
    _text_marks(out, font_size, int(width * 0.45))
    out.update(width=int(width), height=int(height), autosize={"type": "fit", "contains": "padding"},
               # an object, never a number: Streamlit adds its own bottom padding to an object only
               padding={"left": 4, "right": 8, "top": 4, "bottom": 4})
    usermeta = dict(out.get("usermeta") or {})
    usermeta["embedOptions"] = {**(usermeta.get("embedOptions") or {}), "renderer": "svg"}  # scalable, and testable
    out["usermeta"] = usermeta
    return out
