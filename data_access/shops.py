"""Shops (商铺管控): which are open where, with how many staff, and the law-enforcement clerks' write.

A shop row holds its current state (open or closed since a day, staff at work, of whom from
outside the city). Staff count only for open shops: a closed shop has nobody at work, so closing
a shop sets its staff to 0. Every figure is aggregated in SQL.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Select, and_, case, func, select

from . import scope
from .audit import audit, row_values
from .auth import Actor, load_actor
from .db import read_connection, read_frame, write_session
from .errors import ConflictError, FieldError, NotFound, ValidationError
from .filters import Filters
from .models import SHOP_CATEGORIES, Shop, WorkZone
from .territory import season_start
from .validate import Checker, clean_search

STATE_FIELDS = ("is_open", "staff", "staff_from_outside")
ENTRY_LIMIT = 300  # rows in one entry grid: more than a clerk can check by eye


def _scope(query: Select, filters: Filters) -> Select:
    return query.where(Shop.zone_id == filters.zone_id) if filters.zone_id is not None else query


def _open_sum(column):
    return func.coalesce(func.sum(case((Shop.is_open.is_(True), column), else_=0)), 0)


def _open_count():
    return func.coalesce(func.sum(case((Shop.is_open.is_(True), 1), else_=0)), 0)


def summary(filters: Filters, engine=None) -> dict:
    """Headline figures: shops, open, staff at work and from outside; shops opened on filters.end."""
    opened_on_day = func.coalesce(func.sum(case((and_(Shop.is_open.is_(True), Shop.status_since == filters.end), 1),
                                                else_=0)), 0)
    query = _scope(select(func.count(Shop.id), _open_count(), _open_sum(Shop.staff), _open_sum(Shop.staff_from_outside),
                          opened_on_day), filters)
    with read_connection(engine) as conn:
        shops, opened, staff, outside, on_day = conn.execute(query).one()
    return {"shops": int(shops), "open": int(opened), "closed": int(shops) - int(opened), "staff": int(staff),
            "staff_from_outside": int(outside), "opened_on_day": int(on_day), "day": filters.end}


def by_category(filters: Filters, engine=None) -> pd.DataFrame:
    """Every category (also those with no shop in the selection), in the report's order."""
    query = _scope(select(Shop.category, func.count(Shop.id), _open_count(), _open_sum(Shop.staff),
                          _open_sum(Shop.staff_from_outside)).group_by(Shop.category), filters)
    with read_connection(engine) as conn:
        rows = {r[0]: r[1:] for r in conn.execute(query).all()}
    frame = pd.DataFrame(
        [(c, *[int(v) for v in rows.get(c, (0, 0, 0, 0))]) for c in SHOP_CATEGORIES],
        columns=["category", "shops", "open", "staff", "staff_from_outside"],
    )
    frame["closed"] = frame["shops"] - frame["open"]
    return frame


def by_zone(filters: Filters, engine=None) -> pd.DataFrame:
    query = _scope(
        select(WorkZone.id.label("zone_id"), WorkZone.code, WorkZone.name.label("zone"), func.count(Shop.id).label("shops"),
               _open_count().label("open"), _open_sum(Shop.staff).label("staff"),
               _open_sum(Shop.staff_from_outside).label("staff_from_outside"))
        .join(WorkZone, WorkZone.id == Shop.zone_id)
        .group_by(WorkZone.id, WorkZone.code, WorkZone.name)
        .order_by(WorkZone.code),
        filters,
    )
    frame = read_frame(query, engine)
    frame["closed"] = frame["shops"] - frame["open"]
    return frame


def by_zone_category(filters: Filters, engine=None) -> pd.DataFrame:
    """Open and all shops per work zone and category: which categories are open where."""
    query = _scope(
        select(WorkZone.code, WorkZone.name.label("zone"), Shop.category, func.count(Shop.id).label("shops"),
               _open_count().label("open"))
        .join(WorkZone, WorkZone.id == Shop.zone_id)
        .group_by(WorkZone.code, WorkZone.name, Shop.category)
        .order_by(WorkZone.code, Shop.category),
        filters,
    )
    return read_frame(query, engine)


def _listing(query: Select, filters: Filters, categories, state, search) -> Select:
    query = _scope(query, filters)
    if categories:
        query = query.where(Shop.category.in_(categories))
    if state == "open":
        query = query.where(Shop.is_open.is_(True))
    elif state == "closed":
        query = query.where(Shop.is_open.is_(False))
    search = clean_search(search)  # a NUL typed into the box must not reach PostgreSQL
    if search:
        query = query.where(Shop.name.contains(search, autoescape=True))
    return query


def _shop_rows(last_column, limit: int) -> Select:
    """One row per shop with its zone and state, in the lists' order; `last_column`: who changed it, or its version."""
    return (
        select(Shop.id.label("shop_id"), Shop.name, WorkZone.name.label("zone"), Shop.category, Shop.is_open,
               Shop.staff, Shop.staff_from_outside, Shop.status_since, last_column)
        .join(WorkZone, WorkZone.id == Shop.zone_id)
        .order_by(WorkZone.code, Shop.category, Shop.name, Shop.id)
        .limit(limit)
    )


def _shop_frame(query: Select, engine=None) -> pd.DataFrame:
    return read_frame(query, engine).astype({"is_open": bool})


def shop_table(filters: Filters, categories: tuple[str, ...] = (), state: str | None = None,
               search: str | None = None, limit: int = 1000, engine=None) -> pd.DataFrame:
    """Shops for the page's table, narrowed like the table's own filters; at most `limit` rows."""
    query = _listing(_shop_rows(Shop.updated_by, limit), filters, categories, state, search)
    return _shop_frame(query, engine)


def count_shops(filters: Filters, categories: tuple[str, ...] = (), state: str | None = None,
                search: str | None = None, engine=None) -> int:
    with read_connection(engine) as conn:
        return int(conn.execute(_listing(select(func.count(Shop.id)), filters, categories, state, search)).scalar_one())


# ---- the entry grid ---------------------------------------------------------------------------------

def entry_rows(actor: Actor, zone_id: int | None = None, category: str | None = None, search: str | None = None,
               limit: int = ENTRY_LIMIT, engine=None) -> pd.DataFrame:
    """The shops this actor may mark (a clerk: their zones), with the row versions the save checks."""
    query = _shop_rows(Shop.version, limit).where(scope.writable_zones(actor, Shop.zone_id))
    if zone_id is not None:
        query = query.where(Shop.zone_id == zone_id)
    if category:
        query = query.where(Shop.category == category)
    search = clean_search(search)
    if search:
        query = query.where(Shop.name.contains(search, autoescape=True))
    return _shop_frame(query, engine)


def _flag(check: Checker, value, row: int):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    check.fail("is_open", "请选择营业或关闭", "choose open or closed", row)
    return None


def _clean_rows(check: Checker, rows: list[dict]) -> list[dict]:
    """Every row checked at once, so the clerk sees every problem in one go."""
    cleaned, seen = [], set()
    for index, row in enumerate(rows):
        shop_id = row.get("shop_id")
        if shop_id in seen:
            check.fail("shop_id", "同一商铺出现两次", "this shop appears twice", index)
        seen.add(shop_id)
        is_open = _flag(check, row.get("is_open"), index)
        staff = outside = 0
        if is_open:  # a closed shop has nobody at work, whatever was typed
            staff = check.count("staff", row.get("staff"), index, maximum=10_000)
            outside = check.count("staff_from_outside", row.get("staff_from_outside"), index, maximum=10_000)
            if staff == 0:
                check.fail("staff", "营业商铺至少有 1 名在岗人员", "an open shop has at least 1 person at work", index)
            check.not_more_than("staff_from_outside", outside, staff, "在岗人数", "the staff at work", index)
        cleaned.append({"shop_id": shop_id, "version": row.get("version"), "is_open": is_open, "staff": staff,
                        "staff_from_outside": outside})
    return cleaned


def _load_shops(session, actor: Actor, ids: set) -> dict[int, Shop]:
    """The shops a save touches, locked; the whole save is refused if any is outside the actor's zones."""
    scope.require_writer(actor)
    shops = {s.id: s for s in session.scalars(select(Shop).where(Shop.id.in_(ids)).with_for_update())} if ids else {}
    missing = ids - shops.keys()
    if missing:
        raise NotFound(f"shop {sorted(missing)}")
    scope.refuse_outside([s.name for s in shops.values() if not scope.may_write_zone(actor, s.zone_id)],
                         "登记这些商铺", "shops")
    return shops


def save_shops(username: str, day, rows: list[dict], today: dt.date | None = None, engine=None) -> dict:
    """Mark one or many shops open or closed, with staff counts, as of `day`: all rows or none.

    Each row carries the version it was loaded at; a row someone else changed since is refused
    (unless it already holds exactly these values: a double click writes nothing twice).
    """
    check = Checker(today, season_start(engine))
    clean_day = check.day("day", day)
    cleaned = _clean_rows(check, rows)
    if not cleaned:
        check.fail("shop_id", "没有要保存的商铺", "no shop to save")
    check.raise_if_any()
    with write_session(engine) as session:
        actor = load_actor(session, username)
        shops = _load_shops(session, actor, {r["shop_id"] for r in cleaned})
        now = dt.datetime.now(dt.timezone.utc)
        summary = {"opened": 0, "closed": 0, "updated": 0, "unchanged": 0}
        stale, errors = [], []
        for index, new in enumerate(cleaned):
            shop = shops[new["shop_id"]]
            before = row_values(shop, STATE_FIELDS)
            after = {k: new[k] for k in STATE_FIELDS}
            if before == after:
                summary["unchanged"] += 1
                continue
            if new["version"] is not None and new["version"] != shop.version:
                stale.append(index)
                continue
            changes_state = shop.is_open != new["is_open"]
            if changes_state and shop.status_since and clean_day < shop.status_since:
                errors.append(FieldError("day", f"不能早于该商铺上次变更（{shop.status_since:%Y-%m-%d}）",
                                         f"cannot be before the shop's last change ({shop.status_since:%Y-%m-%d})", index))
                continue
            before["status_since"] = shop.status_since
            for key, value in after.items():
                setattr(shop, key, value)
            if changes_state or shop.status_since is None:
                shop.status_since = clean_day
            shop.changed_by(username, now)
            action = ("open" if new["is_open"] else "close") if changes_state else "update"
            summary[{"open": "opened", "close": "closed", "update": "updated"}[action]] += 1
            audit(session, username, action, "shop", shop.id, before, {**after, "status_since": shop.status_since})
        if errors:
            raise ValidationError(errors)
        if stale:
            raise ConflictError(rows=stale)
    return summary
