"""Enterprise reopening charts. Every label arrives translated; the charts only draw."""
from __future__ import annotations

import altair as alt
import pandas as pd

from ui.charts import periods

MAIN, SIDE = "#2f6fb0", "#c0622f"
GROUP_COLORS = ["#2f8f5b", "#2f6fb0", "#d08c2f", "#b8443a", "#b8c7d9"]  # working … not applied


def funnel(frame: pd.DataFrame, step_labels: dict[str, str], count_label: str, height_per_row: int = 34) -> alt.Chart:
    """Enterprises that reached each step, top to bottom; refusals, suspensions, resumptions set apart in colour."""
    data = frame.assign(label=frame["step"].map(step_labels))
    order = list(data.sort_values("order")["label"])
    base = alt.Chart(data).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=240)),
        x=alt.X("enterprises:Q", title=count_label),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("enterprises:Q", title=count_label, format=",d")],
    )
    bars = base.mark_bar().encode(
        color=alt.condition(alt.datum.stage == "main", alt.value(MAIN), alt.value(SIDE)),
    )
    text = base.mark_text(align="left", dx=4, fontSize=13).encode(text=alt.Text("enterprises:Q", format=",d"))
    return (bars + text).properties(height=50 + height_per_row * len(data))


def by_department(frame: pd.DataFrame, department_labels: dict[str, str], above_label: str, below_label: str,
                  group_labels: dict[str, str], count_label: str, legend_title: str) -> alt.Chart:
    """One stacked bar per department and size class ("部室 · 规上"), split by where its enterprises stand."""
    data = frame.assign(band=[f"{department_labels.get(d, d)} · {above_label if a else below_label}"
                              for d, a in zip(frame["department"], frame["above_size"])],
                        group_label=frame["group"].map(group_labels))
    rows = list(dict.fromkeys(data.sort_values(["dept_order", "above_size"], ascending=[True, False])["band"]))
    groups = list(group_labels.values())
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("band:N", sort=rows, title=None, axis=alt.Axis(labelLimit=240)),
            x=alt.X("sum(enterprises):Q", title=count_label, axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color("group_label:N", title=legend_title, sort=groups,
                            scale=alt.Scale(domain=groups, range=GROUP_COLORS),
                            # two to a row: the legend starts where the bars do, after the long row names,
                            # and five in a row ran past the chart's edge (in English by 49 px at 1366 px)
                            legend=alt.Legend(orient="top", direction="horizontal", columns=2, title=None,
                                              labelLimit=160)),
            order=alt.Order("group_order:Q"),
            tooltip=[alt.Tooltip("band:N", title=" "), alt.Tooltip("group_label:N", title=legend_title),
                     alt.Tooltip("enterprises:Q", title=count_label, format=",d")],
        )
        # Streamlit fits the whole chart (legend and axis too) into this height when it stretches the width
        .properties(height=110 + 40 * len(rows))
    )


def over_time(frame: pd.DataFrame, approvals_label: str, employees_label: str, day_label: str,
              height: int = 260) -> alt.Chart:
    """Approvals per day as bars (left axis) and employees back, cumulative, as a line (right axis).
    A frame summed by week, month or year (a long range) gets bars spanning each period and the
    line's points in their middle (the figure on the period's last day)."""
    kind = periods.grain_of(frame)
    data = periods.with_periods(frame, kind, ["approvals", "employees"], share=periods.day_bar_share(len(frame)))
    axis = periods.time_axis(data, kind, day_label)
    scale = periods.time_scale(data, kind)  # per day: each bar centred on its day's label, none cut at the ends
    tooltip = [alt.Tooltip("day:T", title=day_label, format=periods.TOOLTIP_FORMATS[kind]),
               alt.Tooltip("approvals:Q", title=approvals_label, format=",d"),
               alt.Tooltip("employees:Q", title=employees_label, format=",d")]
    approvals = alt.Y("approvals:Q", title=approvals_label, axis=alt.Axis(titleColor=MAIN, tickMinStep=1, format="d"))
    bars = alt.Chart(data).mark_bar(color=MAIN, x2Offset=0 if kind == "day" else -1).encode(
        x=alt.X("lo:T", axis=axis, scale=scale), x2="hi:T", y=approvals, y2=alt.datum(0),
        opacity=periods.bar_opacity(0.6, 0.3), tooltip=tooltip)
    # a point per period while they are few; over a century they would only make the line dotted
    line = alt.Chart(data).mark_line(color="#2f8f5b", strokeWidth=3, point=len(data) <= 60).encode(
        x=alt.X("day:T" if kind == "day" else "mid:T", axis=axis, scale=scale),
        y=alt.Y("employees:Q", title=employees_label, axis=alt.Axis(titleColor="#2f8f5b", format=",d")),
        tooltip=tooltip)
    # room on the right for the second axis's title (Streamlit's fit cut its last pixels)
    return alt.layer(bars, line).resolve_scale(y="independent").properties(
        height=height, padding={"left": 5, "top": 5, "bottom": 5, "right": 12})
