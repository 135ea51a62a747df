"""Logistics (后勤保障): supplies in stock per zone (meals served and donations are kept, but no page reads them yet)."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select, true

from .db import read_frame
from .filters import Filters
from .models import SupplyItem, SupplyMovement, WorkZone


def stock(filters: Filters, engine=None) -> pd.DataFrame:
    """Stock of every item in every zone as of filters.end, with its threshold and whether it is low."""
    on_hand = (
        select(SupplyMovement.item_id, SupplyMovement.zone_id, func.sum(SupplyMovement.quantity).label("stock"))
        .where(SupplyMovement.day <= filters.end)
        .group_by(SupplyMovement.item_id, SupplyMovement.zone_id)
        .subquery()
    )
    query = (
        select(SupplyItem.code, SupplyItem.name.label("item"), SupplyItem.unit, WorkZone.id.label("zone_id"),
               WorkZone.name.label("zone"), func.coalesce(on_hand.c.stock, 0).label("stock"),
               SupplyItem.low_threshold.label("threshold"))
        .select_from(SupplyItem)
        .join(WorkZone, true())  # every item in every zone, even with no movement yet
        .outerjoin(on_hand, (on_hand.c.item_id == SupplyItem.id) & (on_hand.c.zone_id == WorkZone.id))
        .order_by(WorkZone.code, SupplyItem.code)
    )
    if filters.zone_id is not None:
        query = query.where(WorkZone.id == filters.zone_id)
    frame = read_frame(query, engine)
    frame["low"] = frame["stock"] < frame["threshold"]
    return frame


def low_stock(filters: Filters, engine=None) -> pd.DataFrame:
    frame = stock(filters, engine)
    low = frame[frame["low"]].copy()
    low["share"] = (low["stock"] / low["threshold"].where(low["threshold"] > 0)).round(2)
    return low.sort_values("share")
