"""Shop charts. Every label arrives translated; the charts only draw."""
from __future__ import annotations

import altair as alt
import pandas as pd

OPEN, CLOSED = "#2f8f5b", "#c9d3df"


def by_category(frame: pd.DataFrame, category_labels: dict[str, str], open_label: str, closed_label: str,
                count_label: str, legend_title: str) -> alt.Chart:
    """One bar per category: open shops, then closed ones, with the open count written on the bar."""
    long = frame[["category", "open", "closed"]].melt(id_vars=["category"], var_name="state", value_name="shops")
    long["label"] = long["category"].map(category_labels)
    long["state_label"] = long["state"].map({"open": open_label, "closed": closed_label})
    long["state_order"] = long["state"].map({"open": 0, "closed": 1})
    order = [category_labels[c] for c in frame["category"]]
    base = alt.Chart(long).encode(y=alt.Y("label:N", sort=order, title=None))
    # a quarter more room than the longest bar: its "open / all" label is written after it, inside the chart
    room = alt.Scale(domainMax=max(1, int(frame["shops"].max() * 1.25)) if len(frame) else 1)
    bars = base.mark_bar().encode(
        x=alt.X("shops:Q", stack="zero", title=count_label, scale=room),
        color=alt.Color("state_label:N", title=legend_title, sort=[open_label, closed_label],
                        scale=alt.Scale(domain=[open_label, closed_label], range=[OPEN, CLOSED]),
                        legend=alt.Legend(orient="top", direction="horizontal", title=None)),
        order=alt.Order("state_order:Q"),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("state_label:N", title=legend_title),
                 alt.Tooltip("shops:Q", title=count_label, format=",d")],
    )
    # "open / all" at the end of each bar: a lone number there would read as the total
    labels = alt.Chart(frame.assign(label=frame["category"].map(category_labels),
                                    text=[f"{o:,} / {n:,}" for o, n in zip(frame["open"], frame["shops"])])).mark_text(
        align="left", dx=4, fontSize=13, color="#1d5c3a",
    ).encode(y=alt.Y("label:N", sort=order), x=alt.X("shops:Q"), text="text:N")
    return (bars + labels).properties(height=90 + 36 * len(frame))  # legend and axis fit inside


def where_open(frame: pd.DataFrame, category_labels: dict[str, str], zone_label: str, open_label: str,
               shops_label: str) -> alt.Chart:
    """A zone × category grid: the colour and number say how many shops are open there."""
    data = frame.assign(label=frame["category"].map(category_labels),
                        text=[f"{o}/{s}" for o, s in zip(frame["open"], frame["shops"])])
    order = list(category_labels.values())
    # names longer than a few characters (the English ones) are written at a slant: side by side over
    # six narrow columns vega would leave every other one out. Slanted, they do not touch, but their
    # upright boxes would, so vega's own overlap test is off for them.
    longest = max(map(len, order), default=0)
    slant = longest > 6
    axis = (alt.Axis(labelAngle=-40, labelAlign="left", labelOverlap=False, orient="top") if slant
            else alt.Axis(labelAngle=0, orient="top"))
    base = alt.Chart(data).encode(
        x=alt.X("label:N", sort=order, title=None, axis=axis),
        y=alt.Y("zone:N", title=None, sort=list(dict.fromkeys(data.sort_values("code")["zone"]))),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        # nothing open is grey, not the palest green: "none open here" must stand out
        color=alt.condition(alt.datum.open > 0,
                            alt.Color("open:Q", title=open_label, scale=alt.Scale(scheme="greens", domainMin=0),
                                      legend=None),
                            alt.value("#e9edf2")),
        tooltip=[alt.Tooltip("zone:N", title=zone_label), alt.Tooltip("label:N", title=" "),
                 alt.Tooltip("open:Q", title=open_label, format=",d"),
                 alt.Tooltip("shops:Q", title=shops_label, format=",d")],
    )
    text = base.mark_text(fontSize=14).encode(
        text="text:N",
        color=alt.condition(alt.datum.open > max(1, int(data["open"].max() or 0) * 0.6), alt.value("white"),
                            alt.value("#1f2d3d")),
    )
    # the height holds the names on top too: a slanted name needs about 4.5 px per character
    names_room = 30 + round(4.5 * longest) if slant else 40
    return (cells + text).properties(height=names_room + 44 * data["zone"].nunique())
