"""What the logistics pages share: days of cover in words, item and zone labels, the zones an account records for."""
from __future__ import annotations

import math

import pandas as pd

import streamlit as st

from data_access import territory
from data_access.logistics import COVER_ALERT_DAYS as SHORT_COVER_DAYS  # the wall's alert and the table's colour
from data_access.scope import EVERYWHERE
from ui.data import read
from ui.i18n import t


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def days_text(days) -> str:
    """4 → '4', 2.46 → '2.5': a tenth of a day is worth saying only while few days are left."""
    value = float(days)
    if value >= 10:
        return f"{value:,.0f}"
    return f"{value:.1f}".rstrip("0").rstrip(".")


def cover_text(stock, cover_days) -> str:
    """'还能用 4 天', '已无库存', or '近 7 天无发放' (nothing issued: the rate is unknown)."""
    if not _missing(stock) and int(stock) <= 0:
        return t("sup.cover_out")
    if _missing(cover_days):
        return t("sup.cover_none")
    return t("sup.cover_days", days=days_text(cover_days))


def item_labels(items: pd.DataFrame) -> dict[int, str]:
    """{item id: '口罩（只）'}; a retired item says so."""
    return {int(i): f"{n}（{u}）" + ("" if a else t("sup.item.inactive"))
            for i, n, u, a in zip(items["id"], items["name"], items["unit"], items["active"])}


def recording_zones(user, zones: pd.DataFrame) -> dict[int, str]:
    """The work zones an account records movements for: every zone for admins and supervisors, a
    clerk's own zones; none for a viewer. (The data layer checks again: this only keeps the choice short.)"""
    if user is None or not user.writes:
        return {}
    every = {int(i): n for i, n in zip(zones["id"], zones["name"])}
    if user.role in EVERYWHERE:
        return every
    return {i: n for i, n in every.items() if i in user.zone_ids}


def form_zones(user, viewer_note: str) -> dict[int, str]:
    """The zones a form may record for; for a viewer, or an account with no zone, says why there is no
    form (`viewer_note`: the page's own words) and gives none."""
    if user is None or not user.writes:
        st.caption(t(viewer_note))
        return {}
    zones = recording_zones(user, read(territory.zones))
    if not zones:
        st.info(t("sup.zone_none"))
    return zones


def first_choice(options, *preferred):
    """The first of `preferred` that is among `options`, else the first option (None when there is none)."""
    for value in preferred:
        if value in options:
            return value
    return next(iter(options), None)
