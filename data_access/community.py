"""Villages and compounds (社区监管, 细化城市管控): survey coverage, survey rounds, and site geometry.

Coverage of a site is its latest survey round as of the filter bar's end day: households reached
÷ households known. Rounds are never overwritten by a new sweep (each gets the next round_no);
correcting a saved round is version-checked like every other correction.

Geometry is GeoJSON text on the rows. An administrator can replace it by uploading a
FeatureCollection; the file is checked completely before anything is written, and then every
matched row is replaced in one audited transaction.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re

import pandas as pd
from sqlalchemy import Select, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from . import people, scope
from .audit import audit, row_values
from .auth import Actor, load_actor, require_admin
from .db import frame_of, read_connection, read_frame, write_session
from .errors import ConflictError, FieldError, NotFound, ValidationError
from .filters import Filters
from .models import CheckpointDay, LineVersion, Site, SurveyRound, WorkZone
from .territory import season_start
from .traffic import ROAD_CHECKPOINT
from .validate import Checker

AREA_KINDS = ("village", "compound")
SURVEY_FIELDS = ("households_known", "households_reached", "people", "people_from_outside", "unreachable",
                 "utility_checked", "lit_at_night")


# ---- scope -------------------------------------------------------------------------------------

def focus(filters: Filters, engine=None) -> tuple[int | None, int | None]:
    """(zone to show, village/compound to single out) for the filter bar's zone and site.

    A site filter narrows the figures to that site when it is a village or compound, and the map
    to its work zone; a checkpoint as the site filter just means its zone.
    """
    if filters.site_id is None:
        return filters.zone_id, None
    with read_connection(engine) as conn:
        row = conn.execute(select(Site.kind, Site.zone_id).where(Site.id == filters.site_id)).first()
    if row is None:
        return filters.zone_id, None
    return row.zone_id, (filters.site_id if row.kind in AREA_KINDS else None)


def _area_scope(query, zone_id: int | None, site_id: int | None, kinds=AREA_KINDS):
    query = query.where(Site.kind.in_(kinds), Site.active.is_(True))
    if zone_id is not None:
        query = query.where(Site.zone_id == zone_id)
    if site_id is not None:
        query = query.where(Site.id == site_id)
    return query


def _latest_rounds(end: dt.date):
    """Each site's latest round dated on or before `end` (the "as of" rule).

    The highest round number is looked up per round through the (site_id, round_no) index: a
    grouped subquery joined instead is, on SQLite, scanned once for every site (2,000 sites x
    2,000 rows at city scale)."""
    earlier = aliased(SurveyRound)
    latest = (select(func.max(earlier.round_no)).where(earlier.site_id == SurveyRound.site_id, earlier.day <= end)
              .scalar_subquery())
    return select(SurveyRound).where(SurveyRound.round_no == latest).subquery("last_round")


def _coverage(reached, known):
    return case((known > 0, reached * 1.0 / known), else_=None)


def _area_rows(last, zone_id: int | None, site_id: int | None) -> Select:
    """Each village and compound (of the zone, or the one site) with its latest round and coverage."""
    leads = people.lead_names(Site.id)
    return _area_scope(leads.join(
        select(Site.id.label("site_id"), Site.name, Site.kind, Site.zone_id, WorkZone.name.label("zone"),
               Site.has_property_management, leads.both.label("lead_cadre"), Site.staff_on_duty, Site.lon, Site.lat,
               last.c.round_no, last.c.day.label("round_day"), *[getattr(last.c, f) for f in SURVEY_FIELDS],
               _coverage(last.c.households_reached, last.c.households_known).label("coverage"))
        .join(WorkZone, WorkZone.id == Site.zone_id)
        .outerjoin(last, last.c.site_id == Site.id)),
        zone_id, site_id,
    )


def _area_frame(query: Select, engine=None) -> pd.DataFrame:
    return read_frame(query, engine).astype({"coverage": float})


# ---- coverage reads ----------------------------------------------------------------------------

def site_coverage(filters: Filters, engine=None) -> pd.DataFrame:
    """One row per village and compound in scope with its latest round as of filters.end."""
    zone_id, site_id = focus(filters, engine)
    query = _area_rows(_latest_rounds(filters.end), zone_id, site_id).order_by(WorkZone.code, Site.kind, Site.name)
    return _area_frame(query, engine)


def coverage_totals(filters: Filters, engine=None) -> dict[str, dict]:
    """Per kind ('village', 'compound'): sites, sites surveyed and the summed latest rounds."""
    zone_id, site_id = focus(filters, engine)
    last = _latest_rounds(filters.end)
    sums = [func.coalesce(func.sum(getattr(last.c, f)), 0).label(f) for f in SURVEY_FIELDS]
    query = _area_scope(
        select(Site.kind, func.count(Site.id), func.count(last.c.id), *sums)
        .outerjoin(last, last.c.site_id == Site.id),
        zone_id, site_id,
    ).group_by(Site.kind)
    with read_connection(engine) as conn:
        rows = {row[0]: row for row in conn.execute(query).all()}
    totals = {}
    for kind in AREA_KINDS:
        row = rows.get(kind)
        values = {f: int(row[3 + i]) if row else 0 for i, f in enumerate(SURVEY_FIELDS)}
        known = values["households_known"]
        totals[kind] = {
            "sites": int(row[1]) if row else 0,
            "surveyed": int(row[2]) if row else 0,
            **values,
            "coverage": values["households_reached"] / known if known else None,
        }
    return totals


def least_covered(filters: Filters, limit: int = 10, engine=None) -> pd.DataFrame:
    """The sites with the lowest coverage first; a site never surveyed counts as the lowest."""
    zone_id, site_id = focus(filters, engine)
    last = _latest_rounds(filters.end)
    coverage = _coverage(last.c.households_reached, last.c.households_known)
    leads = people.lead_names(Site.id)
    query = _area_scope(leads.join(
        select(Site.id.label("site_id"), Site.name, Site.kind, WorkZone.name.label("zone"),
               leads.both.label("lead_cadre"), last.c.round_no, last.c.households_known, last.c.households_reached,
               last.c.unreachable, coverage.label("coverage"))
        .join(WorkZone, WorkZone.id == Site.zone_id)
        .outerjoin(last, last.c.site_id == Site.id)),
        zone_id, site_id,
    ).order_by(case((coverage.is_(None), 0), else_=1), coverage, Site.name).limit(limit)
    frame = read_frame(query, engine)
    frame["coverage"] = frame["coverage"].astype(float)
    return frame


def compounds_by_management(filters: Filters, engine=None) -> pd.DataFrame:
    """Compounds with and without a property management company (无物业), with their coverage."""
    zone_id, site_id = focus(filters, engine)
    last = _latest_rounds(filters.end)
    managed = func.coalesce(Site.has_property_management, False)
    known = func.coalesce(func.sum(last.c.households_known), 0)
    reached = func.coalesce(func.sum(last.c.households_reached), 0)
    query = _area_scope(
        select(managed.label("managed"), func.count(Site.id).label("compounds"),
               func.sum(func.coalesce(Site.staff_on_duty, 0)).label("staff_on_duty"), known.label("households_known"),
               reached.label("households_reached"), func.coalesce(func.sum(last.c.people), 0).label("people"))
        .outerjoin(last, last.c.site_id == Site.id),
        zone_id, site_id, kinds=("compound",),
    ).group_by(managed).order_by(managed)
    frame = read_frame(query, engine)
    frame["managed"] = frame["managed"].astype(bool)
    frame["coverage"] = [r / k if k else float("nan") for r, k in zip(frame["households_reached"], frame["households_known"])]
    return frame


def rounds_progress(filters: Filters, engine=None) -> pd.DataFrame:
    """Round by round across the sites in scope: sites swept and households reached in each round."""
    zone_id, site_id = focus(filters, engine)
    query = _area_scope(
        select(SurveyRound.round_no, Site.kind, func.count(SurveyRound.id).label("sites"),
               func.min(SurveyRound.day).label("first_day"), func.max(SurveyRound.day).label("last_day"),
               func.sum(SurveyRound.households_known).label("households_known"),
               func.sum(SurveyRound.households_reached).label("households_reached"),
               func.sum(SurveyRound.people).label("people"))
        .join(Site, Site.id == SurveyRound.site_id)
        .where(SurveyRound.day <= filters.end),
        zone_id, site_id,
    ).group_by(SurveyRound.round_no, Site.kind).order_by(SurveyRound.round_no, Site.kind)
    frame = read_frame(query, engine)
    frame["coverage"] = [r / k if k else float("nan") for r, k in zip(frame["households_reached"], frame["households_known"])]
    return frame


# ---- map reads ---------------------------------------------------------------------------------

def map_areas(filters: Filters, engine=None) -> pd.DataFrame:
    """Villages and compounds of the zone on the map, with their coverage figures (no geometry).

    The whole zone is drawn even when one site is picked (`focused` marks it), so the map keeps
    its context; the figures beside the map follow `site_coverage`.
    """
    zone_id, site_id = focus(filters, engine)
    # villages first, so compounds are drawn on top of them
    query = _area_rows(_latest_rounds(filters.end), zone_id, None).order_by(Site.kind.desc(), Site.id)
    frame = _area_frame(query, engine)
    frame["focused"] = frame["site_id"] == site_id if site_id else False
    return frame


def map_sites(filters: Filters, engine=None) -> pd.DataFrame:
    """map_areas without the survey figures: what the territory line decides (names, kinds, zones,
    management, places, `focused`) and the people line (lead cadres), in map_areas' order. A survey save
    leaves it cached."""
    zone_id, site_id = focus(filters, engine)
    leads = people.lead_names(Site.id)
    query = _area_scope(leads.join(
        select(Site.id.label("site_id"), Site.name, Site.kind, Site.zone_id, WorkZone.name.label("zone"),
               Site.has_property_management, leads.both.label("lead_cadre"), Site.staff_on_duty, Site.lon, Site.lat)
        .join(WorkZone, WorkZone.id == Site.zone_id)),
        zone_id, None,
    ).order_by(Site.kind.desc(), Site.id)
    frame = read_frame(query, engine)
    frame["focused"] = frame["site_id"] == site_id if site_id else False
    return frame


def map_survey(filters: Filters, engine=None) -> pd.DataFrame:
    """map_areas' survey figures alone, one row per village or compound of the zone with a round as of
    filters.end (by site id): the one part of the map a survey save changes."""
    zone_id, _ = focus(filters, engine)
    last = _latest_rounds(filters.end)
    query = _area_scope(
        select(Site.id.label("site_id"), last.c.round_no, last.c.day.label("round_day"),
               *[getattr(last.c, f) for f in SURVEY_FIELDS],
               _coverage(last.c.households_reached, last.c.households_known).label("coverage"))
        .join(last, last.c.site_id == Site.id),
        zone_id, None,
    ).order_by(Site.id)
    return _area_frame(query, engine)


def map_shapes(zone_id: int | None, engine=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stored boundaries (GeoJSON text) of the work zones and of their villages and compounds."""
    zones = select(WorkZone.id.label("zone_id"), WorkZone.name, WorkZone.geometry).order_by(WorkZone.code)
    areas = _area_scope(select(Site.id.label("site_id"), Site.geometry), zone_id, None).order_by(Site.id)
    if zone_id is not None:
        zones = zones.where(WorkZone.id == zone_id)
    with read_connection(engine) as conn:
        return frame_of(conn.execute(zones)), frame_of(conn.execute(areas))


def geometry_fingerprint(zone_id: int | None, engine=None) -> tuple:
    """Changes whenever the boundaries `map_shapes` returns change, and costs one small query.

    Figures change all day while boundaries almost never do, so the map keeps its prepared
    geometry across ordinary writes. Counted: how many boundaries, their total length, the
    highest ids, and the version of the territory line (every write to a site or zone moves it).
    Not the audit log: a read of it depends on every line, so the map would be rebuilt after any save.
    """
    territory = select(LineVersion.version).where(LineVersion.line == "territory")
    with read_connection(engine) as conn:
        # PostgreSQL knows a stored text's size without reading it (octet_length); length() decompresses
        # every boundary to count its characters (0.3 s at city scale). SQLite reads the rows either way.
        size = func.octet_length if conn.dialect.name == "postgresql" else func.length
        sites = _area_scope(select(func.count(Site.id), func.coalesce(func.sum(size(Site.geometry)), 0),
                                   func.max(Site.id)), zone_id, None)
        zones = select(func.count(WorkZone.id), func.coalesce(func.sum(size(WorkZone.geometry)), 0),
                       func.max(WorkZone.id))
        if zone_id is not None:
            zones = zones.where(WorkZone.id == zone_id)
        return (*conn.execute(sites).one(), *conn.execute(zones).one(), conn.execute(territory).scalar())


def checkpoint_places(filters: Filters, engine=None) -> pd.DataFrame:
    """Road checkpoints of the zone with a position: what the map draws them with, no figures (territory
    only, so a traffic save leaves the map's cached drawing alone; the day's figures are `map_traffic`)."""
    zone_id, _ = focus(filters, engine)
    leads = people.lead_names(Site.id)
    query = (
        leads.join(select(Site.id.label("site_id"), Site.name, Site.road, WorkZone.name.label("zone"),
                          leads.both.label("lead_cadre"), Site.staff_on_duty, Site.lon, Site.lat)
                   .join(WorkZone, WorkZone.id == Site.zone_id))
        .where(*ROAD_CHECKPOINT, Site.lon.is_not(None), Site.lat.is_not(None))
        .order_by(Site.id)
    )
    if zone_id is not None:
        query = query.where(Site.zone_id == zone_id)
    return read_frame(query, engine)


def map_traffic(filters: Filters, engine=None) -> pd.DataFrame:
    """The as-of day's figures of the zone's placed road checkpoints that reported (site_id, vehicles,
    persons): the one part of the map a traffic save changes, read on its own as a small query."""
    zone_id, _ = focus(filters, engine)
    query = (
        select(CheckpointDay.site_id, CheckpointDay.vehicles, CheckpointDay.persons)
        .join(Site, Site.id == CheckpointDay.site_id)
        .where(CheckpointDay.day == filters.end, *ROAD_CHECKPOINT, Site.lon.is_not(None), Site.lat.is_not(None))
        .order_by(CheckpointDay.site_id)
    )
    if zone_id is not None:
        query = query.where(Site.zone_id == zone_id)
    return read_frame(query, engine)


def map_checkpoints(filters: Filters, engine=None) -> pd.DataFrame:
    """Road checkpoints of the zone with the as-of day's traffic (the map sizes them by vehicles)."""
    traffic = map_traffic(filters, engine)
    frame = checkpoint_places(filters, engine).merge(traffic, on="site_id", how="left")
    frame["reported"] = frame["vehicles"].notna()
    return frame


# ---- survey entry reads ------------------------------------------------------------------------

def writable_areas(actor: Actor, zone_id: int | None = None, engine=None) -> pd.DataFrame:
    """Villages and compounds this actor may enter surveys for (optionally within one zone)."""
    query = (
        select(Site.id.label("site_id"), Site.name, Site.kind, WorkZone.name.label("zone"), Site.households_known,
               Site.people_known)
        .join(WorkZone, WorkZone.id == Site.zone_id)
        .where(Site.kind.in_(AREA_KINDS), Site.active.is_(True), scope.writable_sites(actor))
        .order_by(WorkZone.code, Site.kind.desc(), Site.name)
    )
    if zone_id is not None:
        query = query.where(Site.zone_id == zone_id)
    return read_frame(query, engine)


def site_rounds(site_id: int, engine=None) -> pd.DataFrame:
    """Every round of one site, oldest first, with its version (for the correction form)."""
    query = (
        select(SurveyRound.round_no, SurveyRound.day, *[getattr(SurveyRound, f) for f in SURVEY_FIELDS],
               SurveyRound.version, SurveyRound.updated_by)
        .where(SurveyRound.site_id == site_id)
        .order_by(SurveyRound.round_no)
    )
    frame = read_frame(query, engine)
    frame["coverage"] = [r / k if k else float("nan") for r, k in zip(frame["households_reached"], frame["households_known"])]
    return frame


# ---- survey writes -----------------------------------------------------------------------------

def clean_survey(values: dict, day, today: dt.date, season: dt.date | None = None) -> tuple[dict, dt.date | None]:
    """Every field checked at once (the clerk sees every problem together); raises ValidationError."""
    check = Checker(today, season)
    clean_day = check.day("day", day)
    clean = {f: check.count(f, values.get(f)) for f in SURVEY_FIELDS}
    known, people, unreachable = clean["households_known"], clean["people"], clean["unreachable"]
    reached = clean["households_reached"]
    check.not_more_than("households_reached", reached, known, "已知户数", "households known")
    check.not_more_than("unreachable", unreachable, known, "已知户数", "households known")
    if None not in (known, reached, unreachable) and max(reached, unreachable) <= known < reached + unreachable:
        # a household is either reached or not answering: the two cannot add up to more than there are
        check.fail("unreachable", f"已走访户数与无应答户数之和（{reached + unreachable}）不能超过已知户数（{known}）",
                   f"households reached plus unreachable ({reached + unreachable}) cannot exceed households known ({known})")
    check.not_more_than("utility_checked", clean["utility_checked"], known, "已知户数", "households known")
    check.not_more_than("people_from_outside", clean["people_from_outside"], people, "人数", "people")
    check.not_more_than("lit_at_night", clean["lit_at_night"], unreachable, "无应答户数", "unreachable households")
    check.raise_if_any()
    return clean, clean_day


def save_survey_round(username: str, site_id: int, values: dict, day, round_no: int | None = None,
                      version: int | None = None, reason: str | None = None, today: dt.date | None = None,
                      engine=None) -> dict:
    """A new round (round_no None: the next number) or a correction of a saved round.

    A correction needs the version the form loaded (a stale form is refused) and a reason.
    Saving the same new round twice (a double click) saves it once.
    Returns {"round_no", "action": "inserted" | "updated" | "unchanged", "version"}.
    """
    today = today or dt.date.today()
    clean, clean_day = clean_survey(values, day, today, season_start(engine))
    check = Checker(today)
    reason = check.text("reason", reason, max_len=500)
    if round_no is not None and not reason and not check.errors:  # one message for a reason that was refused
        check.fail("reason", "修改已保存的轮次需要填写原因", "correcting a saved round needs a reason")
    check.raise_if_any()
    try:
        with write_session(engine) as session:
            actor = load_actor(session, username)
            site = scope.check_sites(session, actor, [site_id])[site_id]
            if site.kind not in AREA_KINDS:
                raise ValidationError([FieldError("site_id", "只有村和小区可以登记摸排", "only villages and compounds are surveyed")])
            if round_no is None:
                return _insert_round(session, username, site, clean, clean_day)
            return _correct_round(session, username, site, round_no, version, clean, clean_day, reason)
    except IntegrityError as error:  # someone saved the same round number meanwhile
        raise ConflictError() from error


def _insert_round(session, username: str, site: Site, clean: dict, day: dt.date) -> dict:
    last = session.scalar(select(SurveyRound).where(SurveyRound.site_id == site.id)
                          .order_by(SurveyRound.round_no.desc()).limit(1).with_for_update())
    if last is not None:
        if last.day == day and row_values(last, SURVEY_FIELDS) == clean:
            return {"round_no": last.round_no, "action": "unchanged", "version": last.version}
        if day < last.day:
            raise ValidationError([FieldError(
                "day", f"新一轮的日期不能早于第 {last.round_no} 轮（{last.day:%Y-%m-%d}）",
                f"a new round cannot be dated before round {last.round_no} ({last.day:%Y-%m-%d})")])
    number = (last.round_no if last else 0) + 1
    row = SurveyRound(site_id=site.id, round_no=number, day=day, **SurveyRound.first_write(username), **clean)
    session.add(row)
    session.flush()
    audit(session, username, "insert", "survey_round", row.id, None,
          {"site_id": site.id, "round_no": number, "day": day, **clean})
    return {"round_no": number, "action": "inserted", "version": 1}


def _correct_round(session, username: str, site: Site, round_no: int, version: int | None, clean: dict,
                   day: dt.date, reason: str) -> dict:
    row = session.scalar(select(SurveyRound).where(SurveyRound.site_id == site.id, SurveyRound.round_no == round_no)
                         .with_for_update())
    if row is None:
        raise NotFound(f"{site.name} round {round_no}")
    before = {"day": row.day, **row_values(row, SURVEY_FIELDS)}
    if before == {"day": day, **clean}:
        return {"round_no": round_no, "action": "unchanged", "version": row.version}
    if version != row.version:
        raise ConflictError()
    neighbours = session.execute(
        select(func.max(case((SurveyRound.round_no < round_no, SurveyRound.day))),
               func.min(case((SurveyRound.round_no > round_no, SurveyRound.day))))
        .where(SurveyRound.site_id == site.id)).one()
    if (neighbours[0] and day < neighbours[0]) or (neighbours[1] and day > neighbours[1]):
        raise ValidationError([FieldError("day", "日期须在前后两轮之间", "the date must lie between the rounds before and after")])
    for name, value in clean.items():
        setattr(row, name, value)
    row.day = day
    row.changed_by(username)
    audit(session, username, "correct", "survey_round", row.id, before, {"day": day, **clean}, reason)
    return {"round_no": round_no, "action": "updated", "version": row.version}


# ---- GeoJSON upload ----------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 20_000_000
MAX_POSITIONS = 2_000_000
MAX_REPORTED_ERRORS = 30
MAX_DEPTH = 32  # a MultiPolygon needs 8 levels inside a FeatureCollection
TOO_DEEP = "__nested_too_deep__"  # stands in for a value nested deeper than MAX_DEPTH
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
VALIDITY_ZH = {  # GEOS's reasons (shapely.validation.explain_validity), for the Chinese message
    "Self-intersection": "边界自相交",
    "Ring Self-intersection": "环自相交",
    "Too few points": "坐标点过少",
    "Hole lies outside shell": "内环位于外环之外",
    "Nested shells": "外环相互嵌套",
    "Nested holes": "内环相互嵌套",
    "Interior is disconnected": "内部不连通",
    "Duplicate Rings": "环重复",
    "Invalid Coordinate": "坐标无效",
}


class _GeoCheck:
    """Collects problems with an uploaded file, feature by feature (features numbered from 1)."""

    def __init__(self):
        self.errors: list[FieldError] = []
        self.positions = 0
        self.flattened = False  # parts nested too deeply were replaced by TOO_DEEP

    def fail(self, number: int | None, zh: str, en: str) -> None:
        self.errors.append(FieldError("geojson", zh, en, number))

    def full(self) -> bool:
        return len(self.errors) >= MAX_REPORTED_ERRORS


def _short(value, length: int = 30) -> str:
    """A bounded text for a message; never str() of a container (a deeply nested one overflows repr)."""
    if isinstance(value, str):
        return value[:length]
    if value is None or isinstance(value, (bool, int, float)):
        return str(value)[:length]
    return type(value).__name__


def _feature_label(number: int, properties: dict) -> tuple[str, str]:
    """'第 3 个要素（王家村）' / 'feature 3 (王家村)': the index and whatever names the feature."""
    for key in ("name", "site_id", "zone_code"):
        if properties.get(key) is not None:
            name = _short(properties[key])
            return f"第 {number} 个要素（{name}）", f"feature {number} ({name})"
    return f"第 {number} 个要素", f"feature {number}"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_ring(ring, number: int, check: _GeoCheck) -> bool:
    if not isinstance(ring, list) or len(ring) < 4:
        check.fail(number, "多边形的每个环至少需要 4 个坐标点", "every polygon ring needs at least 4 positions")
        return False
    for position in ring:
        if not isinstance(position, list) or len(position) not in (2, 3) or not all(_is_number(v) for v in position):
            check.fail(number, "坐标应为 [经度, 纬度] 数字", "coordinates must be [longitude, latitude] numbers")
            return False
        lon, lat = position[0], position[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            check.fail(number, f"坐标超出范围：[{lon}, {lat}]", f"coordinates out of range: [{lon}, {lat}]")
            return False
    if ring[0][:2] != ring[-1][:2]:
        check.fail(number, "多边形的环没有闭合（首尾坐标应相同）", "a polygon ring is not closed (first and last positions differ)")
        return False
    check.positions += len(ring)
    return True


def _check_geometry(geometry, number: int, check: _GeoCheck) -> dict | None:
    """A Polygon or MultiPolygon with numeric, in-range, closed rings; returns the clean geometry."""
    if not isinstance(geometry, dict):
        check.fail(number, "缺少几何图形（geometry）", "the feature has no geometry")
        return None
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon"):
        check.fail(number, f"几何类型应为 Polygon 或 MultiPolygon，而不是 {_short(kind, 20)}",
                   f"geometry type must be Polygon or MultiPolygon, not {_short(kind, 20)}")
        return None
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        check.fail(number, "坐标为空或格式不对", "coordinates are empty or malformed")
        return None
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            check.fail(number, "坐标为空或格式不对", "coordinates are empty or malformed")
            return None
        if not all(_check_ring(ring, number, check) for ring in polygon):
            return None
    return {"type": kind, "coordinates": coordinates}


def _parse_collection(raw) -> tuple[list, _GeoCheck]:
    check = _GeoCheck()
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > MAX_UPLOAD_BYTES:
        check.fail(None, f"文件过大（上限 {MAX_UPLOAD_BYTES // 1_000_000} MB）", f"the file is too large (at most {MAX_UPLOAD_BYTES // 1_000_000} MB)")
        return [], check
    try:
        text = raw.decode("utf-8-sig")
        try:
            data = json.loads(text)
        except RecursionError:
            data = _load_flattened(text, check)
            if data is None:
                return [], check
    except (UnicodeDecodeError, ValueError) as error:
        check.fail(None, f"不是有效的 JSON：{str(error)[:80]}", f"not valid JSON: {str(error)[:80]}")
        return [], check
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        check.fail(None, "应为 GeoJSON FeatureCollection", "must be a GeoJSON FeatureCollection")
        return [], check
    if not data["features"]:
        check.fail(None, "文件中没有要素", "the file holds no features")
    return data["features"], check


def _load_flattened(text: str, check: _GeoCheck):
    """Parse a file nested deeper than the JSON parser can go: each value below MAX_DEPTH levels is
    replaced by the TOO_DEEP marker, so the rest is read and the feature that holds it is named."""
    spans, depth, start = [], 0, None
    for token in _JSON_TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth == MAX_DEPTH + 1:
                start = token.start()
        elif mark in "]}":
            if depth == MAX_DEPTH + 1 and start is not None:
                spans.append((start, token.end()))
                start = None
            depth -= 1
    if start is not None or not spans:
        check.fail(None, f"文件嵌套超过 {MAX_DEPTH} 层且不完整，无法读取",
                   f"the file is nested more than {MAX_DEPTH} levels deep and is incomplete; it cannot be read")
        return None
    pieces, last = [], 0
    for begin, end in spans:
        pieces += [text[last:begin], json.dumps(TOO_DEEP)]
        last = end
    pieces.append(text[last:])
    check.flattened = True
    return json.loads("".join(pieces))  # a ValueError here is reported as invalid JSON


def _holds_marker(value) -> bool:
    """Does a parsed value hold the TOO_DEEP marker? (Only asked of flattened files, MAX_DEPTH deep at most.)"""
    return TOO_DEEP in json.dumps(value, ensure_ascii=False)


def _validity_problem(geometry: dict) -> tuple[str, str] | None:
    """(zh, en) reason when a structurally sound polygon is not a valid area (e.g. it crosses itself)."""
    import shapely
    from shapely.geometry import shape
    from shapely.validation import explain_validity

    try:
        shapely_geometry = shape(geometry)
        if shapely.is_valid(shapely_geometry):
            return None
        reason = explain_validity(shapely_geometry)
    except Exception as error:  # GEOS refuses a malformed shape: the clerk's file, not a crash
        reason = f"{type(error).__name__}: {str(error)[:80]}"
    kind, _, where = reason.partition("[")  # "Self-intersection[120.91 37.305]"
    zh = VALIDITY_ZH.get(kind.strip(), kind.strip())
    if where:
        zh += f"（位置 [{where}）"
    return zh, reason[:120]


def _targets(conn):
    """Lookup tables: sites by id and by name, zones by code."""
    sites = conn.execute(select(Site.id, Site.name, Site.kind).where(Site.active.is_(True))).all()
    by_id = {row.id: row for row in sites}
    by_name: dict[str, list] = {}
    for row in sites:
        by_name.setdefault(row.name, []).append(row)
    zones = {row.code: row for row in conn.execute(select(WorkZone.id, WorkZone.code, WorkZone.name)).all()}
    return by_id, by_name, zones


def _match(properties: dict, number: int, lookups, check: _GeoCheck):
    """('site' | 'zone', id, name) for the row a feature names, or None (with the reason recorded)."""
    by_id, by_name, zones = lookups
    if properties.get("zone_code") is not None:
        zone = zones.get(_short(properties["zone_code"], 100).strip())
        if zone is None:
            check.fail(number, f"没有代码为 {_short(properties['zone_code'], 20)} 的工作管区",
                       f"no work zone with code {_short(properties['zone_code'], 20)}")
            return None
        return ("zone", zone.id, zone.name)
    if properties.get("site_id") is not None:
        raw_id = properties["site_id"]
        site = by_id.get(raw_id) if isinstance(raw_id, int) and not isinstance(raw_id, bool) else (
            by_id.get(int(raw_id)) if isinstance(raw_id, str) and raw_id.strip().isdigit() else None)
        if site is None:
            check.fail(number, f"没有编号为 {_short(raw_id, 20)} 的站点", f"no site with id {_short(raw_id, 20)}")
            return None
    elif properties.get("name") is not None:
        candidates = by_name.get(_short(properties["name"], 200).strip(), [])
        if len(candidates) != 1:
            name = _short(properties["name"])
            if candidates:
                check.fail(number, f"有 {len(candidates)} 个站点名为“{name}”，请改用 site_id", f"{len(candidates)} sites are named '{name}': use site_id")
            else:
                check.fail(number, f"没有名为“{name}”的站点", f"no site named '{name}'")
            return None
        site = candidates[0]
    else:
        check.fail(number, "要素须以 site_id、name 或 zone_code 属性指明站点", "a feature must name its site by a site_id, name or zone_code property")
        return None
    if site.kind not in AREA_KINDS:
        check.fail(number, f"“{site.name[:30]}”不是村或小区，不能有边界", f"'{site.name[:30]}' is not a village or compound, so it has no boundary")
        return None
    return ("site", site.id, site.name)


def check_geojson(raw, engine=None) -> list[dict]:
    """Check an uploaded GeoJSON file completely; returns the planned replacements or raises.

    Each feature must carry a Polygon or MultiPolygon and name exactly one village or compound
    (property `site_id` or `name`) or one work zone (`zone_code`), and no row may be named twice.
    """
    features, check = _parse_collection(raw)
    plan, seen = [], {}
    with read_connection(engine) as conn:
        lookups = _targets(conn)
    for number, feature in enumerate(features, start=1):
        if check.full():
            break
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            check.fail(number, "不是 GeoJSON 要素（Feature）", "not a GeoJSON Feature")
            continue
        properties = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        label_zh, label_en = _feature_label(number, properties)
        if check.flattened and _holds_marker(feature):
            check.fail(number, f"{label_zh}嵌套超过 {MAX_DEPTH} 层，无法读取",
                       f"{label_en} is nested more than {MAX_DEPTH} levels deep; it cannot be read")
            continue
        target = _match(properties, number, lookups, check)
        geometry = _check_geometry(feature.get("geometry"), number, check)
        problem = _validity_problem(geometry) if geometry is not None else None
        if problem:
            check.fail(number, f"{label_zh}的边界无效：{problem[0]}",
                       f"{label_en}: the boundary is not a valid area: {problem[1]}")
            geometry = None
        if check.positions > MAX_POSITIONS:
            check.fail(None, f"坐标点过多（上限 {MAX_POSITIONS:,}）", f"too many positions (at most {MAX_POSITIONS:,})")
            break
        if target is None or geometry is None:
            continue
        if target[:2] in seen:
            check.fail(number, f"“{target[2][:30]}”在第 {seen[target[:2]]} 个要素中已出现", f"'{target[2][:30]}' already appears in feature {seen[target[:2]]}")
            continue
        seen[target[:2]] = number
        plan.append({"table": target[0], "id": target[1], "name": target[2],
                     "geometry": json.dumps(geometry, separators=(",", ":"))})
    if check.errors:
        raise ValidationError(check.errors)
    return plan


def replace_geometry(username: str, raw, engine=None) -> dict:
    """Replace the boundaries named in a GeoJSON file, all or nothing, one audit row per change.

    Only an administrator may do it. Returns counts of replaced and unchanged rows.
    """
    plan = check_geojson(raw, engine)
    summary = {"replaced": 0, "unchanged": 0}
    with write_session(engine) as session:
        require_admin(load_actor(session, username))
        for item in plan:
            model = Site if item["table"] == "site" else WorkZone
            row = session.get(model, item["id"], with_for_update=True)
            if row is None:  # deleted between the check and now
                raise ConflictError()
            if row.geometry == item["geometry"]:
                summary["unchanged"] += 1
                continue
            before = row.geometry
            row.geometry = item["geometry"]
            audit(session, username, "geometry", model.__tablename__, row.id, {"geometry": before},
                  {"geometry": item["geometry"]}, "GeoJSON upload")
            summary["replaced"] += 1
    return summary
