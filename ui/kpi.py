"""Headline figures: one st.metric per tile, with the change from the day before.

A daily figure says how complete its day is: "2/12 已上报" beside it while some expected site has
not reported, and its change is counted on the same sites on both days (labelled, never red).
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

from data_access import clock
from ui import format as fmt
from ui.i18n import t


# A tile's figure shrinks with its tile (a CSS container query) instead of being cut: six tiles to a row
# on a 1366 px laptop are ~135 px wide, five ~167 px, and a city's figures run to nine characters
# ("1,202,824": at 21cqi it was cut to "1,202,…"; a digit or comma is ~0.55 em, so 16cqi fits nine).
# Never smaller than 1.1rem; as large as Streamlit draws it (2.25rem) wherever it fits. (The wall sizes
# its own tiles in its own units.)
TILE_STYLE = ("<style>[data-testid='stMetric'] { container-type: inline-size; } "
              "[data-testid='stMetricValue'] { font-size: clamp(1.1rem, 16cqi, 2.25rem); }</style>")


def tile(column, label: str, value, delta=None, help_text: str | None = None, inverse: bool = False) -> None:
    column.metric(
        label,
        fmt.num(value),
        delta=fmt.signed(delta) if delta is not None else None,
        delta_color="inverse" if inverse else "normal",
        delta_arrow="off" if delta == 0 else "auto",
        help=help_text,
        border=True,
    )


def reported_of(report: dict | None) -> str:
    """'2/12 已上报' for a day not every expected site has reported; '' for a complete day."""
    if not report or not report["partial"]:
        return ""
    return t("alerts.reported_of", n=report["reported"], m=report["expected"])


def with_reported(label: str, report: dict | None) -> str:
    shown = reported_of(report)
    return f"{label} · {shown}" if shown else label


def day_change(report: dict | None, metric: str) -> tuple[str | None, bool]:
    """The change from the day before as shown, and whether it is like for like (shown calm: a day
    that is partly in, or compared on fewer sites, must never read as a drop)."""
    if not report or report["change"] is None:
        return None, False
    change = report["change"][metric]
    if report["like_for_like"]:
        return t("alerts.like_for_like", n=report["sites"], change=fmt.signed(change)), True
    return fmt.signed(change), False


def day_tile(column, label: str, value, report: dict | None, metric: str, help_text: str | None = None,
             border: bool = True) -> None:
    """A figure for one day: its completeness beside the label, its like-for-like change below."""
    delta, calm = day_change(report, metric)
    if calm:
        help_text = t("alerts.like_for_like_help", n=report["sites"])
    column.metric(with_reported(label, report), fmt.num(value), delta=delta,
                  delta_color="off" if calm else "normal",
                  delta_arrow="off" if calm or delta in (None, "0") else "auto",
                  help=help_text, border=border)


def late_text(minutes: int) -> str:
    """How late, rounded for people: 25 分钟, 3 小时, 2 天 5 小时."""
    minutes = max(0, int(minutes))
    if minutes < 60:
        return t("alerts.late.minutes", n=minutes)
    hours = minutes // 60
    if hours < 24:
        return t("alerts.late.hours", n=hours)
    return t("alerts.late.days", d=hours // 24, h=hours % 24)


def due_text(moment) -> str:
    """A due time where the zone is: 02-27 10:00."""
    if moment is None:
        return "—"
    if not isinstance(moment, dt.datetime):
        moment = moment.to_pydatetime()
    return moment.astimezone(clock.zone()).strftime("%m-%d %H:%M")


def short_day(day: dt.date) -> str:
    return day.strftime("%m-%d")
