"""Inspection board charts: the days since each duty point's last inspection, open findings by owner."""
from __future__ import annotations

import altair as alt
import pandas as pd

from data_access.inspections import AGE_BUCKETS

AGE_COLORS = ("#f2b134", "#e8702a", "#c0392b")  # older findings are hotter
# Legends stay on the right: a legend on top squeezes the plot under Streamlit's "fit" autosize.


MAX_OWNERS = 25  # bars that read at a glance; beyond, the owners with fewest findings share one bar


def fold_owners(frame: pd.DataFrame, label, max_owners: int = MAX_OWNERS) -> tuple[pd.DataFrame, list[str]]:
    """(the frame with all but the `max_owners - 1` owners with most open findings folded into one
    "n other owners" row per age, owners in bar order): a chart that grows with every owner would
    pass Altair's row limit and no screen could show it, but nothing may silently disappear."""
    totals = frame.groupby("owner")["open"].sum().sort_values(ascending=False, kind="stable")
    if len(totals) <= max_owners:
        return frame, list(totals.index)
    kept = list(totals.index[: max_owners - 1])
    others = label("inspect.other_owners", n=len(totals) - len(kept))
    folded = frame.assign(owner=frame["owner"].where(frame["owner"].isin(kept), others))
    folded = folded.groupby(["owner", "age"], as_index=False)[["open", "past_due"]].sum()
    return folded, [*kept, others]


def findings_by_owner_chart(frame: pd.DataFrame, label, height_per_owner: int = 34) -> alt.Chart:
    """Open findings per owner, stacked by age (days since raised); owners with most findings first
    (at most MAX_OWNERS bars: the rest share the last one, named as such)."""
    ages = [label(f"inspect.age.{bucket}") for bucket in AGE_BUCKETS]
    frame, owners = fold_owners(frame, label)
    data = frame.assign(age_label=frame["age"].map(dict(zip(AGE_BUCKETS, ages))))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("owner:N", sort=owners, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=180)),
            x=alt.X("sum(open):Q", title=label("inspect.open_findings"), axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color("age_label:N", title=label("inspect.age"),
                            scale=alt.Scale(domain=ages, range=list(AGE_COLORS))),
            order=alt.Order("age:N"),
            tooltip=[alt.Tooltip("owner:N", title=label("inspect.col.owner")),
                     alt.Tooltip("age_label:N", title=label("inspect.age")),
                     alt.Tooltip("open:Q", title=label("inspect.open_findings")),
                     alt.Tooltip("past_due:Q", title=label("inspect.past_due"))],
        )
        .properties(height=max(180, height_per_owner * len(owners)))
    )


def days_since_chart(points: pd.DataFrame, label, cap: int = 7, height: int = 240) -> alt.Chart:
    """How many duty points were last inspected 0, 1, 2, … days ago (and never); red past two days.

    One bar per day count rather than per point, so sixty points still fit in one glance; the
    tooltip names the points behind each bar.
    """
    days = pd.to_numeric(points["days_since"], errors="coerce")
    never = label("inspect.never_short")  # short: nine labels share a half-width chart on a laptop
    whole = days.fillna(-1).astype(int).astype(str)  # a column at once: a city has 3,000 points
    buckets = whole.where(days < cap, f"{cap}+").where(days.notna(), never)
    order = [str(d) for d in range(cap)] + [f"{cap}+", never]
    frame = pd.DataFrame({"bucket": buckets, "name": points["name"], "overdue": points["overdue"]})
    grouped = frame.groupby("bucket", sort=False).agg(points=("name", "size"), overdue=("overdue", "max"),
                                                       names=("name", lambda n: "、".join(list(n)[:12]) + ("…" if len(n) > 12 else "")))
    data = grouped.reindex(order).fillna({"points": 0, "overdue": False, "names": ""}).rename_axis("bucket").reset_index()
    data["state"] = [label("inspect.state.overdue") if o else label("inspect.state.ok") for o in data["overdue"]]
    states = [label("inspect.state.ok"), label("inspect.state.overdue")]
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("bucket:O", sort=order, title=label("inspect.days_since"),
                    axis=alt.Axis(labelAngle=0, labelOverlap=False)),  # every bucket named, "7+" too
            y=alt.Y("points:Q", title=label("inspect.duty_points"), axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color("state:N", title=None, scale=alt.Scale(domain=states, range=["#4c9a5a", "#d62728"])),
            tooltip=[alt.Tooltip("bucket:O", title=label("inspect.days_since")),
                     alt.Tooltip("points:Q", title=label("inspect.duty_points")),
                     alt.Tooltip("names:N", title=label("inspect.col.point"))],
        )
        .properties(height=height)
    )
