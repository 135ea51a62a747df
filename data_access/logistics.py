"""Logistics (完善后勤保障) and donations (各界众志成城): supplies in stock, meals at the duty points, gifts.

Stock is kept per item and place (a work zone's store, or a duty point holding its own) in supply_stock,
by every movement write in its transaction: a receipt adds, an issue takes away only what is there
(`UPDATE ... SET stock = stock - q WHERE stock >= q`; the CHECK (stock >= 0) refuses the rest), a
stock-take sets the counted figure. So two clerks issuing the last units at once cannot both succeed:
the second UPDATE finds too little (PostgreSQL re-reads the row once the first commits; SQLite runs one
writer at a time). Each movement is kept too, so the stock as of a past day is the kept stock minus
what moved after it.

Meals are entered per duty point and day as a grid (like the checkpoint grid), the meals residents
brought counted apart. A goods donation of a listed item moves it into stock in the same transaction.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, literal_column, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from . import clock, scope
from .audit import audit, write_versioned
from .auth import Actor, load_actor, require_admin
from .db import get_engine, is_sqlite, read_connection, read_frame, write_session
from .errors import ConflictError, FieldError, ValidationError
from .filters import Filters
from .models import (
    DONATION_KINDS,
    DONOR_KINDS,
    DONOR_ORIGINS,
    Donation,
    MealPointDay,
    Site,
    SupplyItem,
    SupplyMovement,
    SupplyStock,
    WorkZone,
)
from .territory import season_start
from .validate import Checker, form_id

COVER_WINDOW_DAYS = 7  # days of cover at the last 7 days' issue rate
COVER_ALERT_DAYS = 3  # under 3 days of cover: an alert on the wall
RECEIPT_KINDS = ("purchase", "allocation")
MAX_NOTE = 500
DUTY_POINT = (Site.kind == "checkpoint", Site.active.is_(True))  # where meals are delivered
STOCK = SupplyStock.__table__
MOVEMENT = SupplyMovement.__table__

STOCK_COLUMNS = ["item_id", "code", "item", "unit", "zone_id", "zone", "stock", "threshold", "low", "issued_7d",
                 "daily_rate", "cover_days"]


def _end(filters: Filters, engine=None) -> dt.date:
    return filters.end or clock.today(engine)


# ---- reads: supplies ------------------------------------------------------------------------------

def items(include_inactive: bool = False, engine=None) -> pd.DataFrame:
    """The supply items (admin-managed), by code; `version` is what save_item checks."""
    query = (select(SupplyItem.id, SupplyItem.code, SupplyItem.name, SupplyItem.unit, SupplyItem.low_threshold,
                    SupplyItem.active, SupplyItem.version)
             .order_by(SupplyItem.code))
    if not include_inactive:
        query = query.where(SupplyItem.active.is_(True))
    frame = read_frame(query, engine)
    frame["active"] = frame["active"].astype(bool)
    return frame


def stock(filters: Filters, engine=None) -> pd.DataFrame:
    """Every active item in every zone (the zone filter applies) as of filters.end: the stock (the zone's
    store and its duty points together), the threshold, what was issued in the 7 days ending that day, the
    daily rate and the days of cover (None when nothing was issued); fewest days of cover first."""
    end = _end(filters, engine)
    kept = (select(STOCK.c.item_id, STOCK.c.zone_id, func.sum(STOCK.c.stock).label("kept"))
            .group_by(STOCK.c.item_id, STOCK.c.zone_id).subquery("kept"))
    # what moved after `end` is taken back off the kept stock; as a rule (`end` is today or the demo's last
    # day) nothing has, and one look at the newest day spares the read (SQLite's planner scanned every
    # movement for it: ~0.1 s at a year of movements for 400 points)
    with read_connection(engine) as conn:
        moved_later = conn.execute(select(MOVEMENT.c.id).where(MOVEMENT.c.day > end).limit(1)).first() is not None
    after_end = MOVEMENT.c.day > end
    if is_sqlite(engine or get_engine()):
        # a day picked in the past: SQLite cannot tell that few movements come after it and scanned them all
        # in (item, zone) order to group them; said to be rare, it reads them by day (0.25 -> 0.01 s)
        after_end = func.likelihood(after_end, literal_column("0.05"))
    later = (select(MOVEMENT.c.item_id, MOVEMENT.c.zone_id, func.sum(MOVEMENT.c.quantity).label("moved"))
             .where(after_end)
             .group_by(MOVEMENT.c.item_id, MOVEMENT.c.zone_id).subquery("later"))
    issued = (select(MOVEMENT.c.item_id, MOVEMENT.c.zone_id, (-func.sum(MOVEMENT.c.quantity)).label("issued"))
              .where(MOVEMENT.c.day.between(end - dt.timedelta(days=COVER_WINDOW_DAYS - 1), end),
                     MOVEMENT.c.kind == "issue")
              .group_by(MOVEMENT.c.item_id, MOVEMENT.c.zone_id).subquery("issued"))

    def at(sub):
        return and_(sub.c.item_id == SupplyItem.id, sub.c.zone_id == WorkZone.id)

    query = (
        select(SupplyItem.id.label("item_id"), SupplyItem.code, SupplyItem.name.label("item"), SupplyItem.unit,
               WorkZone.id.label("zone_id"), WorkZone.name.label("zone"),
               (func.coalesce(kept.c.kept, 0) - (func.coalesce(later.c.moved, 0) if moved_later else 0)).label("stock"),
               SupplyItem.low_threshold.label("threshold"), func.coalesce(issued.c.issued, 0).label("issued_7d"))
        .select_from(SupplyItem)
        .join(WorkZone, true())  # every item in every zone, even with no movement yet
        .outerjoin(kept, at(kept)).outerjoin(issued, at(issued))
        .where(SupplyItem.active.is_(True))
        .order_by(WorkZone.code, SupplyItem.code)
    )
    if moved_later:
        query = query.outerjoin(later, at(later))
    if filters.zone_id is not None:
        query = query.where(WorkZone.id == filters.zone_id)
    frame = read_frame(query, engine)
    return _with_cover(frame)


def _with_cover(frame: pd.DataFrame) -> pd.DataFrame:
    for column in ("stock", "threshold", "issued_7d"):
        frame[column] = frame[column].astype("int64")
    frame["daily_rate"] = (frame["issued_7d"] / COVER_WINDOW_DAYS).round(1).astype(float)
    rate = frame["issued_7d"].where(frame["issued_7d"] > 0) / COVER_WINDOW_DAYS
    cover = (frame["stock"] / rate).round(1)
    frame["cover_days"] = cover.astype(object).where(cover.notna(), None)
    frame["low"] = (frame["stock"] < frame["threshold"]) | (cover < COVER_ALERT_DAYS).fillna(False)
    order = cover.fillna(math.inf)
    frame = frame.assign(_order=order, _share=frame["stock"] / frame["threshold"].where(frame["threshold"] > 0))
    frame = frame.sort_values(["_order", "_share"], kind="stable", na_position="last")
    return frame.drop(columns=["_order", "_share"]).reset_index(drop=True)[STOCK_COLUMNS]


def low_stock(filters: Filters, engine=None) -> pd.DataFrame:
    """The wall's supply alerts: under 3 days of cover, or under the item's threshold; the fewest days of
    cover first (share: stock over threshold)."""
    frame = stock(filters, engine)
    low = frame[frame["low"]].copy()
    low["share"] = (low["stock"] / low["threshold"].where(low["threshold"] > 0)).round(2)
    return low.reset_index(drop=True)


def stock_trend(filters: Filters, item_id: int, engine=None) -> pd.DataFrame:
    """One item's stock per zone at the end of each day of filters' range: [day, zone, stock]."""
    end = _end(filters, engine)
    start = filters.start or end - dt.timedelta(days=29)
    zones = select(WorkZone.id, WorkZone.code, WorkZone.name)
    kept = (select(STOCK.c.zone_id, func.sum(STOCK.c.stock)).where(STOCK.c.item_id == item_id)
            .group_by(STOCK.c.zone_id))
    moved = (select(MOVEMENT.c.zone_id, MOVEMENT.c.day, func.sum(MOVEMENT.c.quantity))
             .where(MOVEMENT.c.item_id == item_id, MOVEMENT.c.day > start)
             .group_by(MOVEMENT.c.zone_id, MOVEMENT.c.day))
    if filters.zone_id is not None:
        zones = zones.where(WorkZone.id == filters.zone_id)
        kept = kept.where(STOCK.c.zone_id == filters.zone_id)
        moved = moved.where(MOVEMENT.c.zone_id == filters.zone_id)
    with read_connection(engine) as conn:
        zone_rows = conn.execute(zones.order_by(WorkZone.code)).all()
        kept_of = {z: int(s or 0) for z, s in conn.execute(kept)}
        net: dict[int, dict[dt.date, int]] = {}
        for zone_id, day, quantity in conn.execute(moved):
            net.setdefault(zone_id, {})[day] = int(quantity)
    the_days = [start + dt.timedelta(days=k) for k in range((end - start).days + 1)]
    rows = []
    for zone_id, _code, name in zone_rows:
        after = net.get(zone_id, {})
        level = kept_of.get(zone_id, 0) - sum(q for d, q in after.items() if d > end)  # at the end of `end`
        levels = []
        for day in reversed(the_days):
            levels.append(level)
            level -= after.get(day, 0)  # back to the end of the day before
        rows += [(day, name, value) for day, value in zip(reversed(the_days), levels)]
    frame = pd.DataFrame(rows, columns=["day", "zone", "stock"])
    return frame.sort_values(["day"], kind="stable").reset_index(drop=True)


def movements(filters: Filters, limit: int = 200, engine=None) -> pd.DataFrame:
    """The newest movements of filters' days (zone; a site: moved at it or issued to it)."""
    at_site, to_site = aliased(Site), aliased(Site)
    query = (
        select(SupplyMovement.id, SupplyMovement.day, SupplyMovement.kind, SupplyItem.name.label("item"),
               SupplyItem.unit, WorkZone.name.label("zone"), at_site.name.label("site"), SupplyMovement.quantity,
               SupplyMovement.recipient, to_site.name.label("recipient_site"), SupplyMovement.note,
               SupplyMovement.recorded_by)
        .join(SupplyItem, SupplyItem.id == SupplyMovement.item_id)
        .join(WorkZone, WorkZone.id == SupplyMovement.zone_id)
        .outerjoin(at_site, at_site.id == SupplyMovement.site_id)
        .outerjoin(to_site, to_site.id == SupplyMovement.recipient_site_id)
        .order_by(SupplyMovement.day.desc(), SupplyMovement.id.desc())
        .limit(limit)
    )
    if filters.zone_id is not None:
        query = query.where(SupplyMovement.zone_id == filters.zone_id)
    if filters.site_id is not None:
        query = query.where(or_(SupplyMovement.site_id == filters.site_id,
                                SupplyMovement.recipient_site_id == filters.site_id))
    if filters.start is not None:
        query = query.where(SupplyMovement.day >= filters.start)
    if filters.end is not None:
        query = query.where(SupplyMovement.day <= filters.end)
    return read_frame(query, engine)


# ---- reads: meals ---------------------------------------------------------------------------------

def meal_grid(actor: Actor, day: dt.date, zone_id: int | None = None, engine=None) -> pd.DataFrame:
    """One row per active duty point (checkpoint) the actor may write for: the day's saved meals (or
    blanks), the row version, and `usual`, the median meals of its last 7 days (the grid's pre-fill)."""
    saved = select(MealPointDay).where(MealPointDay.day == day).subquery("saved")
    query = (
        select(Site.id.label("site_id"), Site.name, WorkZone.id.label("zone_id"), WorkZone.name.label("zone"),
               saved.c.meals, saved.c.donated_meals, saved.c.version)
        .join(WorkZone, WorkZone.id == Site.zone_id)
        .outerjoin(saved, saved.c.site_id == Site.id)
        .where(*DUTY_POINT, scope.writable_sites(actor))
        .order_by(WorkZone.code, Site.name, Site.id)
    )
    if zone_id is not None:
        query = query.where(Site.zone_id == zone_id)
    frame = read_frame(query, engine, dtype=object)
    week = (select(MealPointDay.site_id, MealPointDay.meals)
            .join(Site, Site.id == MealPointDay.site_id)
            .where(MealPointDay.day.between(day - dt.timedelta(days=7), day - dt.timedelta(days=1)),
                   *DUTY_POINT, scope.writable_sites(actor)))
    if zone_id is not None:
        week = week.where(Site.zone_id == zone_id)
    recent = read_frame(week, engine)
    usual = recent.groupby("site_id")["meals"].median().round().astype(int) if len(recent) else pd.Series(dtype=int)
    frame["usual"] = pd.Series([int(usual[s]) if s in usual.index else None for s in frame["site_id"]],
                               index=frame.index, dtype=object)  # None where it has no recent meals, not NaN
    return frame.astype({"site_id": int, "zone_id": int})


def _duty_points(filters: Filters):
    query = select(Site.id, Site.reporting_from).where(*DUTY_POINT)
    if filters.zone_id is not None:
        query = query.where(Site.zone_id == filters.zone_id)
    if filters.site_id is not None:
        query = query.where(Site.id == filters.site_id)
    return query


def meals_daily(filters: Filters, engine=None) -> pd.DataFrame:
    """Meals per day of filters' range: delivered, donated (apart), how many duty points reported and were expected."""
    end = _end(filters, engine)
    start = filters.start or end - dt.timedelta(days=29)
    points = _duty_points(filters).subquery("points")
    query = (select(MealPointDay.day, func.sum(MealPointDay.meals), func.sum(MealPointDay.donated_meals),
                    func.count(MealPointDay.id))
             .join(points, points.c.id == MealPointDay.site_id)
             .where(MealPointDay.day.between(start, end))
             .group_by(MealPointDay.day))
    with read_connection(engine) as conn:
        found = {day: (int(m), int(d), int(n)) for day, m, d, n in conn.execute(query)}
        opened = [since for _id, since in conn.execute(_duty_points(filters))]
    rows = []
    for k in range((end - start).days + 1):
        day = start + dt.timedelta(days=k)
        meals, donated, reported = found.get(day, (0, 0, 0))
        expected = sum(1 for since in opened if since is None or since <= day)
        rows.append((day, meals, donated, reported, expected))
    return pd.DataFrame(rows, columns=["day", "meals", "donated_meals", "points_reported", "points_expected"])


def meals_today(filters: Filters, engine=None) -> dict:
    """filters.end's meals: delivered, donated, duty points reported and expected (completeness)."""
    end = _end(filters, engine)
    row = meals_daily(Filters(zone_id=filters.zone_id, site_id=filters.site_id, start=end, end=end), engine).iloc[0]
    return {"day": end, "meals": int(row["meals"]), "donated_meals": int(row["donated_meals"]),
            "reported": int(row["points_reported"]), "expected": int(row["points_expected"])}


# ---- reads: donations -----------------------------------------------------------------------------

DONATION_COLUMNS = ["id", "day", "donor", "donor_kind", "donor_origin", "anonymous", "kind", "amount", "item", "unit",
                    "estimated_value", "description", "received_by", "zone"]


def _donation_query(filters: Filters):
    query = (
        select(Donation.id, Donation.day, case((Donation.anonymous.is_(True), None), else_=Donation.donor).label("donor"),
               Donation.donor_kind, Donation.donor_origin, Donation.anonymous, Donation.kind, Donation.amount,
               SupplyItem.name.label("item"), SupplyItem.unit, Donation.estimated_value, Donation.description,
               Donation.received_by, WorkZone.name.label("zone"))
        .outerjoin(SupplyItem, SupplyItem.id == Donation.item_id)
        .outerjoin(WorkZone, WorkZone.id == Donation.zone_id)
    )
    if filters.zone_id is not None:
        query = query.where(Donation.zone_id == filters.zone_id)
    if filters.start is not None:
        query = query.where(Donation.day >= filters.start)
    if filters.end is not None:
        query = query.where(Donation.day <= filters.end)
    return query


def donations(filters: Filters, engine=None) -> pd.DataFrame:
    """The register, newest first; an anonymous donor's name is never read out (donor None)."""
    frame = read_frame(_donation_query(filters).order_by(Donation.day.desc(), Donation.id.desc()), engine, dtype=object)
    frame["anonymous"] = frame["anonymous"].astype(bool)
    return frame


THANKS_BY_DAY = ["day", "donor", "anonymous", "donor_kind", "donor_origin", "kind", "amount", "item", "unit",
                 "estimated_value", "description"]
THANKS_BY_DONOR = ["donor", "anonymous", "donor_kind", "donor_origin", "gifts", "money", "goods_value", "meals",
                   "first_day", "last_day"]


def thank_you_list(filters: Filters, by: str = "day", engine=None) -> pd.DataFrame:
    """爱心捐赠公示. by="day": every gift in day order (THANKS_BY_DAY). by="donor": one row per donor
    (THANKS_BY_DONOR: gifts, yuan given, estimated yuan of goods, meals), the largest first; every anonymous
    gift in one row with donor None and anonymous True (the page names them 爱心人士)."""
    frame = read_frame(_donation_query(filters).order_by(Donation.day, Donation.id), engine, dtype=object)
    frame["anonymous"] = frame["anonymous"].astype(bool)
    if by == "day":
        return frame[THANKS_BY_DAY].reset_index(drop=True)
    if by != "donor":
        raise ValueError(f"by must be 'day' or 'donor', not {by!r}")
    if frame.empty:
        return pd.DataFrame(columns=THANKS_BY_DONOR)
    rows = []
    for (donor, anonymous), gifts in frame.groupby([frame["donor"].fillna(""), "anonymous"], sort=False):
        first = gifts.iloc[0]
        money = int(gifts.loc[gifts["kind"] == "money", "amount"].sum())
        goods = gifts.loc[gifts["kind"] == "goods", "estimated_value"]
        meals = int(gifts.loc[gifts["kind"] == "meals", "amount"].sum())
        rows.append((donor or None, bool(anonymous), None if anonymous else first["donor_kind"],
                     None if anonymous else first["donor_origin"], len(gifts), money,
                     int(pd.to_numeric(goods, errors="coerce").fillna(0).sum()), meals,
                     gifts["day"].min(), gifts["day"].max()))
    result = pd.DataFrame(rows, columns=THANKS_BY_DONOR, dtype=object)  # an anonymous donor stays None, not NaN
    result = result.astype({"anonymous": bool, "gifts": "int64", "money": "int64", "goods_value": "int64",
                            "meals": "int64"})
    result["_value"] = result["money"] + result["goods_value"]
    result = result.sort_values(["anonymous", "_value", "gifts", "first_day"], ascending=[True, False, False, True],
                                kind="stable")
    return result.drop(columns="_value").reset_index(drop=True)


def logistics_tile(filters: Filters, engine=None) -> dict:
    """The wall's tile: today's meals (with the duty points reported and expected) and the item with the
    fewest days of cover ({item, zone, days}, None when nothing is being issued)."""
    meals = meals_today(filters, engine)
    frame = stock(filters, engine)
    covered = frame[frame["cover_days"].notna()]
    fewest = None
    if len(covered):
        row = covered.iloc[0]
        fewest = {"item": row["item"], "zone": row["zone"], "days": float(row["cover_days"]),
                  "stock": int(row["stock"]), "unit": row["unit"]}
    return {"meals": meals["meals"], "donated_meals": meals["donated_meals"], "meals_reported": meals["reported"],
            "meals_expected": meals["expected"], "fewest_cover": fewest}


# ---- writes: checks ----------------------------------------------------------------------------------

def _checker(today, engine) -> tuple[Checker, dt.date]:
    today = today or clock.today(engine)
    return Checker(today, season_start(engine)), today


def _id(check: Checker, field: str, value, zh: str, en: str, required: bool = True) -> int | None:
    return form_id(check, field, value, (zh, en), required)


def _positive(check: Checker, field: str, value) -> int | None:
    number = check.count(field, value)
    if number == 0:
        check.fail(field, "应大于 0", "must be more than 0")
        return None
    return number


def _flag(check: Checker, field: str, value, default: bool = False) -> bool | None:
    if value is None:
        return default
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    check.fail(field, "应为是或否", "must be yes or no")
    return None


UNKNOWN_ITEM = ("未知物资", "unknown item")
UNKNOWN_ZONE = ("未知工作管区", "unknown work zone")
UNKNOWN_SITE = ("未知站点", "unknown site")


def _movement_fields(check: Checker, row: dict) -> dict:
    return {
        "item_id": _id(check, "item_id", row.get("item_id"), *UNKNOWN_ITEM),
        "zone_id": _id(check, "zone_id", row.get("zone_id"), *UNKNOWN_ZONE),
        "site_id": _id(check, "site_id", row.get("site_id"), *UNKNOWN_SITE, required=False),
        "day": check.day("day", row.get("day")),
    }


def _known(session, check: Checker, values: dict) -> SupplyItem | None:
    """The item (active), the zone and the duty point named by a movement, each refused on its field if unknown."""
    item = session.get(SupplyItem, values["item_id"]) if values.get("item_id") is not None else None
    if values.get("item_id") is not None and (item is None or not item.active):
        check.fail("item_id", *UNKNOWN_ITEM)
    if values.get("zone_id") is not None and session.get(WorkZone, values["zone_id"]) is None:
        check.fail("zone_id", *UNKNOWN_ZONE)
    for field in ("site_id", "recipient_site_id"):
        if values.get(field) is None:
            continue
        site = session.get(Site, values[field])
        if site is None:
            check.fail(field, *UNKNOWN_SITE)
        elif values.get("zone_id") is not None and site.zone_id != values["zone_id"]:
            check.fail(field, "不在该工作管区内", "is not in this work zone")
    check.raise_if_any()
    return item


def _check_place(session, actor: Actor, zone_id: int, site_id: int | None) -> None:
    """A zone's clerk writes for its store and its duty points; a clerk of one site, for that site's own stock."""
    if site_id is not None:
        scope.check_sites(session, actor, [site_id])
    else:
        scope.check_zone(actor, zone_id)


def _known_place(session, username: str, check: Checker, values: dict) -> SupplyItem | None:
    """A movement's item, zone and duty point known (else refused on their fields), and the writer's right to
    move that place's stock; the item."""
    item = _known(session, check, values)
    _check_place(session, load_actor(session, username), values["zone_id"], values["site_id"])
    return item


# ---- writes: the kept stock -------------------------------------------------------------------------

def _place(item_id: int, zone_id: int, site_id: int | None):
    return and_(STOCK.c.item_id == item_id, STOCK.c.zone_id == zone_id,
                func.coalesce(STOCK.c.site_id, 0) == (site_id or 0))


def _ensure_row(conn, item_id: int, zone_id: int, site_id: int | None) -> None:
    """The place's stock row, at 0 if it had none (two writers creating it at once: one insert counts)."""
    values = {"item_id": item_id, "zone_id": zone_id, "site_id": site_id, "stock": 0}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(STOCK).values(values).on_conflict_do_nothing())


def _current(conn, item_id: int, zone_id: int, site_id: int | None, lock: bool = False) -> int:
    query = select(STOCK.c.stock).where(_place(item_id, zone_id, site_id))
    if lock:
        query = query.with_for_update()
    return int(conn.execute(query).scalar() or 0)


def _add_stock(conn, item_id: int, zone_id: int, site_id: int | None, quantity: int) -> int:
    _ensure_row(conn, item_id, zone_id, site_id)
    return int(conn.execute(update(STOCK).where(_place(item_id, zone_id, site_id))
                            .values(stock=STOCK.c.stock + quantity).returning(STOCK.c.stock)).scalar_one())


def _take_stock(conn, item: SupplyItem, zone_id: int, site_id: int | None, quantity: int) -> int:
    """Take `quantity` out if it is there (one conditional UPDATE); else refused, naming the item and the stock."""
    left = conn.execute(update(STOCK).where(_place(item.id, zone_id, site_id), STOCK.c.stock >= quantity)
                        .values(stock=STOCK.c.stock - quantity).returning(STOCK.c.stock)).scalar()
    if left is None:
        have = _current(conn, item.id, zone_id, site_id)
        raise ValidationError([FieldError(
            "quantity", f"{item.name}库存只有 {have} {item.unit}，不能发放 {quantity} {item.unit}",
            f"only {have} {item.unit} of {item.name} in stock, cannot issue {quantity}")])
    return int(left)


def _movement(session, username: str, kind: str, values: dict, quantity: int, **extra) -> SupplyMovement:
    row = SupplyMovement(item_id=values["item_id"], zone_id=values["zone_id"], site_id=values.get("site_id"),
                         day=values["day"], quantity=quantity, kind=kind, recorded_by=username,
                         recorded_at=dt.datetime.now(dt.timezone.utc), **extra)
    session.add(row)
    session.flush()
    return row


def _audit_movement(session, username: str, row: SupplyMovement, stock_after: int, reason: str | None = None) -> None:
    after = {"item_id": row.item_id, "zone_id": row.zone_id, "site_id": row.site_id, "day": row.day,
             "kind": row.kind, "quantity": row.quantity, "stock": stock_after}
    for field in ("recipient_site_id", "recipient", "note", "donation_id"):
        if getattr(row, field) is not None:
            after[field] = getattr(row, field)
    audit(session, username, row.kind, "supply_movement", row.id, None, after, reason)


# ---- writes: supplies --------------------------------------------------------------------------------

def save_item(username: str, row: dict, engine=None) -> dict:
    """Add (id None) or change a supply item: admins only. Returns {"id", "version"}."""
    check = Checker()
    values = {
        "code": check.text("code", row.get("code"), required=True, column=SupplyItem.code),
        "name": check.text("name", row.get("name"), required=True, column=SupplyItem.name),
        "unit": check.text("unit", row.get("unit"), required=True, column=SupplyItem.unit),
        "low_threshold": check.count("low_threshold", row.get("low_threshold")),
        "active": _flag(check, "active", row.get("active"), default=True),
    }
    item_id = _id(check, "id", row.get("id"), *UNKNOWN_ITEM, required=False)
    check.raise_if_any()
    try:
        with write_session(engine) as session:
            require_admin(load_actor(session, username))
            taken = session.scalar(select(SupplyItem.id).where(SupplyItem.code == values["code"]))
            if taken is not None and taken != item_id:
                raise ValidationError([FieldError("code", "该编码已被其他物资使用", "this code is used by another item")])
            item = write_versioned(session, username, SupplyItem, item_id, values, row.get("version"),
                                   missing=ValidationError([FieldError("id", *UNKNOWN_ITEM)]))
            return {"id": item.id, "version": item.version}
    except IntegrityError as error:  # the same code added by someone else meanwhile
        raise ConflictError() from error


def receive(username: str, row: dict, today: dt.date | None = None, engine=None) -> dict:
    """Stock in: a purchase or an allocation (from the city). Returns {"movement_id", "stock"} (the place's stock after)."""
    check, _ = _checker(today, engine)
    values = _movement_fields(check, row)
    quantity = _positive(check, "quantity", row.get("quantity"))
    kind = check.choice("kind", row.get("kind"), RECEIPT_KINDS)
    note = check.text("note", row.get("note"), max_len=MAX_NOTE)
    check.raise_if_any()
    with write_session(engine) as session:
        _known_place(session, username, check, values)
        conn = session.connection()
        after = _add_stock(conn, values["item_id"], values["zone_id"], values["site_id"], quantity)
        movement = _movement(session, username, kind, values, quantity, note=note)
        _audit_movement(session, username, movement, after)
    return {"movement_id": movement.id, "stock": after}


def issue(username: str, row: dict, today: dt.date | None = None, engine=None) -> dict:
    """Stock out, to a village, compound or checkpoint (recipient_site_id) or the zone's staff, with the
    person or team who took it. Refused (field "quantity") when the place holds less. Returns {"movement_id", "stock"}."""
    check, _ = _checker(today, engine)
    values = _movement_fields(check, row)
    values["recipient_site_id"] = _id(check, "recipient_site_id", row.get("recipient_site_id"), *UNKNOWN_SITE,
                                      required=False)
    quantity = _positive(check, "quantity", row.get("quantity"))
    recipient = check.text("recipient", row.get("recipient"), column=SupplyMovement.recipient)
    note = check.text("note", row.get("note"), max_len=MAX_NOTE)
    check.raise_if_any()
    with write_session(engine) as session:
        item = _known_place(session, username, check, values)
        left = _take_stock(session.connection(), item, values["zone_id"], values["site_id"], quantity)
        movement = _movement(session, username, "issue", values, -quantity, recipient_site_id=values["recipient_site_id"],
                             recipient=recipient, note=note)
        _audit_movement(session, username, movement, left)
    return {"movement_id": movement.id, "stock": left}


def stock_take(username: str, row: dict, today: dt.date | None = None, engine=None) -> dict:
    """Set a place's stock to what was counted, with the reason (required); the difference is kept as a
    movement (0 when the count matched). Returns {"movement_id", "stock", "difference"}."""
    check, _ = _checker(today, engine)
    values = _movement_fields(check, row)
    counted = check.count("counted", row.get("counted"))
    reason = check.text("reason", row.get("reason"), required=True, max_len=MAX_NOTE)
    check.raise_if_any()
    with write_session(engine) as session:
        _known_place(session, username, check, values)
        conn = session.connection()
        _ensure_row(conn, values["item_id"], values["zone_id"], values["site_id"])
        before = _current(conn, values["item_id"], values["zone_id"], values["site_id"], lock=True)
        conn.execute(update(STOCK).where(_place(values["item_id"], values["zone_id"], values["site_id"]))
                     .values(stock=counted))
        movement = _movement(session, username, "stocktake", values, counted - before, note=reason)
        _audit_movement(session, username, movement, counted, reason)
    return {"movement_id": movement.id, "stock": counted, "difference": counted - before}


# ---- writes: meals -------------------------------------------------------------------------------------

MEAL_FIELDS = ("meals", "donated_meals")
MAX_MEALS = 100_000  # a day's meals at one duty point


def save_meal_days(username: str, day, rows: list[dict], reason: str | None = None, today: dt.date | None = None,
                   engine=None) -> dict:
    """Save one day's meals for many duty points in one transaction (the grid). Each row: site_id, meals,
    donated_meals and the version it was loaded at (None for a row not saved yet). A row someone else saved
    meanwhile is refused (unless it holds these figures already); changing a saved figure of an earlier day
    is a correction: it needs a reason and stays marked. Returns counts of inserted, updated and unchanged rows."""
    check, today = _checker(today, engine)
    clean_day = check.day("day", day)
    cleaned, seen = [], set()
    for index, row in enumerate(rows):
        site_id = row.get("site_id")
        if site_id in seen:
            check.fail("site_id", "同一值守点重复填报", "this duty point appears twice", index)
        seen.add(site_id)
        cleaned.append({"site_id": site_id, "version": row.get("version"),
                        **{f: check.count(f, row.get(f), index, maximum=MAX_MEALS) for f in MEAL_FIELDS}})
    if not cleaned:
        check.fail("site_id", "没有要保存的值守点", "no duty point to save")
    clean_reason = check.text("reason", reason, max_len=MAX_NOTE)
    check.raise_if_any()
    try:
        with write_session(engine) as session:
            actor = load_actor(session, username)
            sites = scope.check_sites(session, actor, {r["site_id"] for r in cleaned})
            not_points = [i for i, r in enumerate(cleaned) if sites[r["site_id"]].kind != "checkpoint"]
            if not_points:
                raise ValidationError([FieldError("site_id", "不是值守卡口", "not a duty point (checkpoint)", i)
                                       for i in not_points])
            stored = {r.site_id: r for r in session.scalars(
                select(MealPointDay).where(MealPointDay.day == clean_day, MealPointDay.site_id.in_(sites))
                .with_for_update())}
            return _apply_meals(session, username, clean_day, cleaned, stored, clean_reason, today)
    except IntegrityError as error:  # someone inserted the same duty point and day meanwhile
        raise ConflictError() from error


def _apply_meals(session, username: str, day: dt.date, cleaned: list[dict], stored: dict, reason, today) -> dict:
    outcomes = []
    for new in cleaned:
        row = stored.get(new["site_id"])
        if row is None:
            outcomes.append("stale" if new["version"] is not None else "inserted")
        elif tuple(getattr(row, f) for f in MEAL_FIELDS) == tuple(new[f] for f in MEAL_FIELDS):
            outcomes.append("unchanged")
        elif new["version"] != row.version:
            outcomes.append("stale")
        elif day < today and not reason:
            outcomes.append("needs_reason")
        else:
            outcomes.append("updated")
    stale = [i for i, o in enumerate(outcomes) if o == "stale"]
    if stale:
        raise ConflictError(rows=stale)
    if "needs_reason" in outcomes:
        raise ValidationError([FieldError("reason", "修改已保存的数据需要填写原因", "changing saved figures needs a reason")])
    now = dt.datetime.now(dt.timezone.utc)
    for new, outcome in zip(cleaned, outcomes):
        after = {f: new[f] for f in MEAL_FIELDS}
        if outcome == "inserted":
            row = MealPointDay(site_id=new["site_id"], day=day, corrected=False, **after,
                               **MealPointDay.first_write(username, now))
            session.add(row)
            session.flush()
            audit(session, username, "insert", "meal_point_day", row.id, None,
                  {"site_id": new["site_id"], "day": day, **after})
        elif outcome == "updated":
            row = stored[new["site_id"]]
            before = {f: getattr(row, f) for f in MEAL_FIELDS}
            correction = day < today
            for f, value in after.items():
                setattr(row, f, value)
            row.changed_by(username, now)
            if correction:
                row.corrected, row.correction_reason = True, reason
            audit(session, username, "correct" if correction else "update", "meal_point_day", row.id, before,
                  after, reason)
    return {o: outcomes.count(o) for o in ("inserted", "updated", "unchanged")}


# ---- writes: donations ---------------------------------------------------------------------------------

def record_donation(username: str, row: dict, today: dt.date | None = None, engine=None) -> dict:
    """Register a donation. Goods of a listed item (item_id) go into the zone's store in the same
    transaction: exactly one movement (kind donation). Returns {"donation_id", "movement_id" (or None), "stock"}."""
    check, _ = _checker(today, engine)
    anonymous = _flag(check, "anonymous", row.get("anonymous"))
    values = {
        "day": check.day("day", row.get("day")),
        "donor": check.text("donor", row.get("donor"), required=not anonymous, column=Donation.donor),
        "donor_kind": check.choice("donor_kind", row.get("donor_kind"), DONOR_KINDS),
        "donor_origin": check.choice("donor_origin", row.get("donor_origin"), DONOR_ORIGINS),
        "anonymous": anonymous,
        "kind": check.choice("kind", row.get("kind"), DONATION_KINDS),
        "amount": _positive(check, "amount", row.get("amount")),
        "item_id": _id(check, "item_id", row.get("item_id"), *UNKNOWN_ITEM, required=False),
        "estimated_value": check.count("estimated_value", row.get("estimated_value"), required=False),
        "description": check.text("description", row.get("description"), max_len=MAX_NOTE),
        "received_by": check.text("received_by", row.get("received_by"), column=Donation.received_by),
        "zone_id": _id(check, "zone_id", row.get("zone_id"), *UNKNOWN_ZONE, required=False),
    }
    if values["item_id"] is not None and values["kind"] in ("money", "meals"):
        check.fail("item_id", "只有物资捐赠才能指定物资", "only a gift of goods names an item")
    if values["item_id"] is not None and values["kind"] == "goods" and values["zone_id"] is None:
        check.fail("zone_id", "入库的物资捐赠需指定工作管区", "goods taken into stock need a work zone")
    check.raise_if_any()
    values["donor"] = values["donor"] or ""  # anonymous, no name given
    with write_session(engine) as session:
        actor = load_actor(session, username)
        _known(session, check, {"item_id": values["item_id"], "zone_id": values["zone_id"]})
        if values["zone_id"] is None:
            scope.require_writer(actor)
            if actor.role not in scope.EVERYWHERE:
                raise ValidationError([FieldError("zone_id", "必填", "required")])
        else:
            scope.check_zone(actor, values["zone_id"])
        donation = Donation(recorded_by=username, **values)
        session.add(donation)
        session.flush()
        audit(session, username, "insert", "donation", donation.id, None, values)
        movement_id = stock_after = None
        if values["kind"] == "goods" and values["item_id"] is not None:
            place = {"item_id": values["item_id"], "zone_id": values["zone_id"], "site_id": None, "day": values["day"]}
            stock_after = _add_stock(session.connection(), values["item_id"], values["zone_id"], None, values["amount"])
            movement = _movement(session, username, "donation", place, values["amount"], donation_id=donation.id,
                                 note=values["description"])
            _audit_movement(session, username, movement, stock_after)
            movement_id = movement.id
    return {"donation_id": donation.id, "movement_id": movement_id, "stock": stock_after}
