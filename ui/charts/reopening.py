"""Enterprise reopening charts. Every label arrives translated; the charts only draw."""
from __future__ import annotations

import altair as alt
import pandas as pd

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


def by_department(frame: pd.DataFrame, row_label, group_labels: dict[str, str], count_label: str,
                  legend_title: str) -> alt.Chart:
    """One stacked bar per department and size class, split by where its enterprises stand."""
    data = frame.assign(band=[row_label(d, a) for d, a in zip(frame["department"], frame["above_size"])],
                        group_label=frame["group"].map(group_labels))
    rows = list(dict.fromkeys(data.sort_values(["dept_order", "above_size"], ascending=[True, False])["band"]))
    groups = list(group_labels.values())
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("band:N", sort=rows, title=None, axis=alt.Axis(labelLimit=240)),
            x=alt.X("sum(enterprises):Q", title=count_label),
            color=alt.Color("group_label:N", title=legend_title, sort=groups,
                            scale=alt.Scale(domain=groups, range=GROUP_COLORS),
                            legend=alt.Legend(orient="top", direction="horizontal", title=None)),
            order=alt.Order("group_order:Q"),
            tooltip=[alt.Tooltip("band:N", title=" "), alt.Tooltip("group_label:N", title=legend_title),
                     alt.Tooltip("enterprises:Q", title=count_label, format=",d")],
        )
        # Streamlit fits the whole chart (legend and axis too) into this height when it stretches the width
        .properties(height=90 + 40 * len(rows))
    )


def over_time(frame: pd.DataFrame, approvals_label: str, employees_label: str, day_label: str,
              height: int = 260) -> alt.Chart:
    """Approvals per day as bars (left axis) and employees back, cumulative, as a line (right axis)."""
    data = frame[["day", "approvals", "employees"]].copy()
    data["day"] = pd.to_datetime(data["day"])
    base = alt.Chart(data).encode(x=alt.X("day:T", title=day_label, axis=alt.Axis(format="%m-%d", labelAngle=0)))
    tooltip = [alt.Tooltip("day:T", title=day_label, format="%Y-%m-%d"),
               alt.Tooltip("approvals:Q", title=approvals_label, format=",d"),
               alt.Tooltip("employees:Q", title=employees_label, format=",d")]
    bars = base.mark_bar(color=MAIN, opacity=0.6).encode(
        y=alt.Y("approvals:Q", title=approvals_label, axis=alt.Axis(titleColor=MAIN, tickMinStep=1)), tooltip=tooltip)
    line = base.mark_line(color="#2f8f5b", strokeWidth=3, point=True).encode(
        y=alt.Y("employees:Q", title=employees_label, axis=alt.Axis(titleColor="#2f8f5b", format=",d")),
        tooltip=tooltip)
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=height)
