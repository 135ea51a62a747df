"""Logistics (后勤保障): supplies in stock per zone, meals served, donations received."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func, select, true

from .db import read_connection
from .filters import Filters
from .models import Donation, MealDay, SupplyItem, SupplyMovement, WorkZone


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
    with read_connection(engine) as conn:
        frame = pd.DataFrame(conn.execute(query).all(),
                             columns=["code", "item", "unit", "zone_id", "zone", "stock", "threshold"])
    frame["low"] = frame["stock"] < frame["threshold"]
    return frame


def low_stock(filters: Filters, engine=None) -> pd.DataFrame:
    frame = stock(filters, engine)
    low = frame[frame["low"]].copy()
    low["share"] = (low["stock"] / low["threshold"].where(low["threshold"] > 0)).round(2)
    return low.sort_values("share")


def meals(filters: Filters, engine=None) -> dict:
    """Meals served on the as-of day and per day on average over the range."""
    query = select(func.sum(MealDay.meals).filter(MealDay.day == filters.end),
                   func.sum(MealDay.meals), func.count(func.distinct(MealDay.day))).where(
        MealDay.day.between(filters.start, filters.end))
    if filters.zone_id is not None:
        query = query.where(MealDay.zone_id == filters.zone_id)
    with read_connection(engine) as conn:
        today, total, days = conn.execute(query).one()
    return {"today": int(today or 0), "total": int(total or 0), "per_day": (total or 0) / days if days else 0.0}


def donations(filters: Filters, engine=None) -> pd.DataFrame:
    """Donations received in the range, by kind."""
    query = (select(Donation.kind, func.count().label("count"), func.sum(Donation.amount).label("amount"))
             .where(Donation.day.between(filters.start, filters.end)).group_by(Donation.kind).order_by(Donation.kind))
    if filters.zone_id is not None:
        query = query.where(Donation.zone_id == filters.zone_id)
    with read_connection(engine) as conn:
        return pd.DataFrame(conn.execute(query).all(), columns=["kind", "count", "amount"])
