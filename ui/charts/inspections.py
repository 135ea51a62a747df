"""Inspection board charts and the weekly circular (通报) as a printable HTML page.

Every stored text in the circular (site names, findings, owners, fix notes) goes through
html.escape: a finding typed as "<script>" prints as those characters, never as markup.
"""
from __future__ import annotations

import html

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
    days = points["days_since"].astype("Float64")
    never = label("inspect.never_short")  # short: nine labels share a half-width chart on a laptop
    buckets = [never if pd.isna(d) else (f"{cap}+" if d >= cap else str(int(d))) for d in days]
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


# ---- the weekly circular -----------------------------------------------------------------------

CIRCULAR_CSS = """
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", serif; margin: 2.5cm 2cm; color: #111; }
h1 { text-align: center; font-size: 22pt; margin-bottom: 0.2em; }
.meta { text-align: center; color: #444; margin-bottom: 1.5em; }
h2 { font-size: 14pt; border-bottom: 1px solid #999; padding-bottom: 2px; margin-top: 1.4em; }
table { border-collapse: collapse; width: 100%; font-size: 10.5pt; }
th, td { border: 1px solid #999; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
.late { color: #b00020; font-weight: bold; }
@media print { body { margin: 1.5cm; } h2 { page-break-after: avoid; } tr { page-break-inside: avoid; } }
"""


# The on-page preview: the same rules scoped to .circular, because st.html's styles apply to the
# whole page (an unscoped "h1" rule would restyle the dashboard's own title).
PREVIEW_CSS = """
.circular { font-family: "Noto Serif CJK SC", "Source Han Serif SC", serif; color: #111; background: #fff;
            padding: 1.2em 1.6em; border: 1px solid #ddd; }
.circular h1 { text-align: center; font-size: 1.5rem; margin: 0 0 0.2em 0; }
.circular .meta { text-align: center; color: #444; }
.circular h2 { font-size: 1.05rem; border-bottom: 1px solid #999; padding-bottom: 2px; margin-top: 1.2em; }
.circular table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
.circular th, .circular td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
.circular th { background: #f0f0f0; }
.circular .late { color: #b00020; font-weight: bold; }
"""


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    return html.escape(str(value))


def _table(headers: list[str], rows: list[list], late_rows: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    late = ' class="late"'
    body = "".join(
        f"<tr{late if i in late_rows else ''}>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
        for i, row in enumerate(rows)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def circular_body(data: dict, label, area: str) -> str:
    """The circular's content (headings, summary, tables) as escaped HTML."""
    summary = data["summary"]
    share = "—" if summary["on_time_share"] is None else f"{summary['on_time_share']:.0%}"
    parts = [
        f"<h1>{html.escape(label('inspect.circular.heading'))}</h1>",
        f"<p class='meta'>{html.escape(label('inspect.circular.meta', area=area, start=data['start'], end=data['end']))}</p>",
        f"<h2>{html.escape(label('inspect.circular.overview'))}</h2>",
        "<p>" + html.escape(label("inspect.circular.summary", visits=summary["visits"], points=summary["duty_points"],
                                  overdue=summary["overdue"], raised=summary["raised"], fixed=data["fixed_in_week"],
                                  open=summary["open_findings"], past_due=summary["past_due"], share=share)) + "</p>",
    ]
    findings = data["findings"]
    parts.append(f"<h2>{html.escape(label('inspect.circular.findings'))}</h2>")
    if findings.empty:
        parts.append(f"<p>{html.escape(label('inspect.circular.none'))}</p>")
    else:
        end = data["end"]
        late = {i for i, (fixed, due) in enumerate(zip(findings["fixed_on"], findings["due_on"]))
                if (fixed is None and due < end) or (fixed is not None and fixed > due)}
        status = [label("inspect.status.fixed", day=f, note=n or "") if f is not None else label("inspect.status.open")
                  for f, n in zip(findings["fixed_on"], findings["fix_note"])]
        rows = [[r.raised_on, r.zone, r.site, r.description, r.owner, r.due_on, s]
                for r, s in zip(findings.itertuples(), status)]
        parts.append(_table([label("inspect.col.raised_on"), label("col.zone"), label("inspect.col.point"),
                             label("inspect.col.description"), label("inspect.col.owner"), label("inspect.col.due_on"),
                             label("inspect.col.status")], rows, late))
    parts.append(f"<h2>{html.escape(label('inspect.circular.overdue_points'))}</h2>")
    overdue = data["overdue_points"]
    if overdue.empty:
        parts.append(f"<p>{html.escape(label('inspect.circular.none'))}</p>")
    else:
        rows = [[r.zone, r.name, r.last_day if r.last_day is not None else label("inspect.never")] for r in overdue.itertuples()]
        parts.append(_table([label("col.zone"), label("inspect.col.point"), label("inspect.col.last_day")], rows))
    past_due = data["past_due"]
    parts.append(f"<h2>{html.escape(label('inspect.circular.past_due'))}</h2>")
    if past_due.empty:
        parts.append(f"<p>{html.escape(label('inspect.circular.none'))}</p>")
    else:
        rows = [[r.zone, r.site, r.description, r.owner, r.due_on, r.age_days] for r in past_due.itertuples()]
        parts.append(_table([label("col.zone"), label("inspect.col.point"), label("inspect.col.description"),
                             label("inspect.col.owner"), label("inspect.col.due_on"), label("inspect.col.age_days")], rows,
                            set(range(len(rows)))))
    return "\n".join(parts)


def circular_html(data: dict, label, area: str, lang: str = "zh") -> str:
    """A complete, print-ready HTML document (open it and print, or save as PDF)."""
    title = html.escape(label("inspect.circular.heading"))
    return (f"<!DOCTYPE html><html lang='{'en' if lang == 'en' else 'zh-CN'}'><head><meta charset='utf-8'>"
            f"<title>{title}</title><style>{CIRCULAR_CSS}</style></head><body>{circular_body(data, label, area)}</body></html>")
