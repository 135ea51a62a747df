"""Chart looks: the light pages use Altair's defaults; the wall needs a dark, big-type version."""
from __future__ import annotations

import altair as alt


def on_wall(chart: alt.Chart, font_size: int = 18) -> alt.Chart:
    """The same chart, restyled for a dark wall read from across the room."""
    return chart.configure(background="transparent").configure_axis(
        labelColor="#c9d6e6", titleColor="#c9d6e6", gridColor="#24406a", domainColor="#3b5b86",
        labelFontSize=font_size, titleFontSize=font_size,
    ).configure_legend(labelColor="#c9d6e6", titleColor="#c9d6e6", labelFontSize=font_size,
                       titleFontSize=font_size).configure_view(stroke=None).configure_title(color="#ffffff").configure_text(
        color="#e8eef5", fontSize=font_size - 2)
