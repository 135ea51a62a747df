"""Per-day, per-work-zone traffic totals (checkpoint_day_total), kept in step with checkpoint_day.

The traffic pages sum 1,000 checkpoints' reports per day; summed from checkpoint_day that is a scan of
the season's rows after every save. Every write of checkpoint_day therefore refreshes the (day, zone)
rows it touched in the same transaction, and so does a change of a site that moves a checkpoint in or
out of "active road checkpoint of zone Z" (refresh_sites). A (day, zone) row holds the sums of
METRICS and the count of reports; a (day, zone) without reports has no row.

A refresh recomputes the touched rows from checkpoint_day rather than adding differences. On
PostgreSQL (READ COMMITTED) two clerks saving in the same zone and day would each recompute without the
other's uncommitted rows, so a refresh first locks its (day, zone) rows, in one order, and recomputes
in a later statement: one that starts after the other clerk committed, and so sees its rows.

The grid save and the upload, which know each difference exactly, add them instead (`add`): recomputing
costs what the zones hold, adding what the save wrote.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, delete, event, func, insert, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from . import versions
from .models import CheckpointDay, CheckpointDayTotal, Site, WorkZone

METRICS = ("vehicles", "persons", "persons_from_outside", "turned_back", "abnormal_temperature")
# The sites that report daily: every active road checkpoint (WHERE conditions).
ROAD_CHECKPOINT = (Site.kind == "checkpoint", Site.checkpoint_type == "road", Site.active.is_(True))
TOTAL = CheckpointDayTotal.__table__
COLUMNS = (*METRICS, "reports")
EMPTY = dict.fromkeys(COLUMNS, 0)


def _aggregate():
    """The totals as checkpoint_day holds them: day, zone_id, sums and reports, per (day, zone)."""
    sums = [func.sum(getattr(CheckpointDay, m)) for m in METRICS]
    return (select(CheckpointDay.day, Site.zone_id, *sums, func.count())
            .join(Site, Site.id == CheckpointDay.site_id)
            .where(*ROAD_CHECKPOINT)
            .group_by(CheckpointDay.day, Site.zone_id))


# Built once: a save runs them every time, and a built statement keeps its cache key.
_TOUCHED = _aggregate().where(CheckpointDay.day.in_(bindparam("days", expanding=True)),
                              Site.zone_id.in_(bindparam("zones", expanding=True)))
_DELETE_ONE = delete(TOTAL).where(TOTAL.c.day == bindparam("at_day"), TOTAL.c.zone_id == bindparam("at_zone"))


@functools.cache
def _upsert(dialect: str, keep: bool):
    """INSERT ... ON CONFLICT (day, zone_id) DO UPDATE: with `keep` an update that changes nothing (a lock),
    else one that writes the new figures."""
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(TOTAL)
    figures = {"reports": TOTAL.c.reports} if keep else {name: statement.excluded[name] for name in COLUMNS}
    return statement.on_conflict_do_update(index_elements=[TOTAL.c.day, TOTAL.c.zone_id], set_=figures)


def _connection(target: Session | Connection) -> Connection:
    """A session is flushed first: the rows it holds must be in the database the refresh reads."""
    if isinstance(target, Session):
        target.flush()
        return target.connection()
    return target


def rebuild(target: Session | Connection) -> None:
    """Every total anew from checkpoint_day: after a bulk load (the demo, the city builder)."""
    conn = _connection(target)
    conn.execute(delete(TOTAL))
    conn.execute(insert(TOTAL).from_select(["day", "zone_id", *COLUMNS], _aggregate()))


def refresh(target: Session | Connection, pairs: Iterable[tuple[dt.date, int]]) -> None:
    """Recompute the (day, zone_id) totals given, inside the caller's transaction."""
    pairs = sorted(set(pairs))
    if not pairs:
        return
    conn = _connection(target)
    dialect = conn.dialect.name
    if dialect == "postgresql":
        _lock(conn, pairs)
    wanted = set(pairs)
    found = conn.execute(_TOUCHED, {"days": sorted({day for day, _ in pairs}), "zones": sorted({z for _, z in pairs})})
    fresh = [dict(zip(("day", "zone_id", *COLUMNS), row)) for row in found if (row[0], row[1]) in wanted]
    if fresh:
        conn.execute(_upsert(dialect, keep=False), fresh)
    gone = wanted - {(row["day"], row["zone_id"]) for row in fresh}
    if gone:
        conn.execute(_DELETE_ONE, [{"at_day": day, "at_zone": zone} for day, zone in sorted(gone)])


@functools.cache
def _add_statement(dialect: str):
    """INSERT ... ON CONFLICT (day, zone_id) DO UPDATE SET each figure = itself + the difference given."""
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(TOTAL)
    return statement.on_conflict_do_update(index_elements=[TOTAL.c.day, TOTAL.c.zone_id],
                                           set_={name: TOTAL.c[name] + statement.excluded[name] for name in COLUMNS})


def add(conn: Connection, differences: dict[tuple[dt.date, int], dict[str, int]]) -> None:
    """Add what a write changed to its (day, zone_id) totals: a grid save's cost then grows with its rows,
    not with the zones' (recomputing 6 zones' day after a 50-row save read ~1,000 rows, ~1.7 ms).

    Only for a writer that knows every difference exactly: the old figures from its rows locked FOR
    UPDATE, and each site counted (ROAD_CHECKPOINT) as read under a share lock (site_counts), so a site
    change cannot slip between (it waits, and its refresh_sites recomputes after this commits). A total
    is never lowered to no reports here (an added report only adds). On PostgreSQL the upsert locks the
    row, so two writers of one (day, zone) add in turn, and a recompute (refresh) that locked it first
    is added to afterwards. Rows in one order: no two writers wait for each other crosswise."""
    changed = [(day, zone, [figures.get(name, 0) for name in COLUMNS])
               for (day, zone), figures in sorted(differences.items()) if any(figures.values())]
    if not changed:
        return
    if conn.dialect.name == "postgresql":
        # one statement for every zone's row, sent with the bump and the commit where the transaction allows
        # (write_connection): then the rows every clerk of the zones waits for are locked only while it runs
        sql = _pg_add_sql(changed)
        if not versions.at_commit(conn, sql):
            conn.exec_driver_sql(sql)
        return
    conn.execute(_add_statement(conn.dialect.name),
                 [{"day": day, "zone_id": zone, **dict(zip(COLUMNS, figures))} for day, zone, figures in changed])


def _pg_add_sql(changed: list[tuple[dt.date, int, list[int]]]) -> str:
    """add's upsert of every (day, zone) row in one statement, in the order given (it locks them in that order),
    its values written in (days and whole numbers only: versions.at_commit takes no parameters)."""
    values = ", ".join(f"(CAST('{day.isoformat()}' AS DATE), {int(zone)}, " + ", ".join(str(int(v)) for v in figures) + ")"
                       for day, zone, figures in changed)
    return (f"INSERT INTO checkpoint_day_total (day, zone_id, {', '.join(COLUMNS)}) VALUES {values}"
            " ON CONFLICT (day, zone_id) DO UPDATE SET "
            + ", ".join(f"{name} = checkpoint_day_total.{name} + excluded.{name}" for name in COLUMNS))


def site_counts(kind: str | None, checkpoint_type: str | None, active: bool | None) -> bool:
    """Whether a site's reports count in its zone's totals (ROAD_CHECKPOINT, in Python)."""
    return kind == "checkpoint" and checkpoint_type == "road" and bool(active)


def _lock(conn: Connection, pairs: list[tuple[dt.date, int]]) -> None:
    """PostgreSQL: each (day, zone) row, created empty where missing, locked until commit, in the order given.

    An upsert that updates nothing: it waits for a concurrent writer of the same row (even one still
    inserting it) and then holds the row itself. (SQLite needs none: one writer at a time, and a
    transaction that read before another's commit cannot write.)"""
    conn.execute(_upsert(conn.dialect.name, keep=True), [{"day": day, "zone_id": zone, **EMPTY} for day, zone in pairs])


def zones_of(target: Session | Connection, site_ids: Iterable[int]) -> dict[int, int]:
    """site id -> its work zone."""
    ids = sorted(set(site_ids))
    if not ids:
        return {}
    return dict(_connection(target).execute(select(Site.id, Site.zone_id).where(Site.id.in_(ids))).all())


def refresh_rows(target: Session | Connection, site_days: Iterable[tuple[int, dt.date]]) -> None:
    """Refresh the totals that (site_id, day) rows of checkpoint_day, just written, count in."""
    site_days = list(site_days)
    zones = zones_of(target, {site_id for site_id, _ in site_days})  # a site deleted too counts nowhere
    refresh(target, {(day, zones[site_id]) for site_id, day in site_days if site_id in zones})


def refresh_sites(target: Session | Connection, site_ids: Iterable[int], zone_ids: Iterable[int] | None = None) -> None:
    """After a change of sites' zone, kind, checkpoint type or active flag: every day they reported on,
    in their zone now and in `zone_ids`, the zones they were in before (None: every zone)."""
    ids = sorted(set(site_ids))
    if not ids:
        return
    conn = _connection(target)
    days = conn.execute(select(CheckpointDay.day).where(CheckpointDay.site_id.in_(ids)).distinct()).scalars().all()
    if zone_ids is None:
        zones = set(conn.execute(select(WorkZone.id)).scalars())
    else:
        zones = set(zone_ids) | set(zones_of(conn, ids).values())
    refresh(conn, {(day, zone) for day in days for zone in zones})


# ---- writes through the ORM: refreshed at every flush -----------------------------------------------

# A site counts in a zone's totals through these (ROAD_CHECKPOINT and its zone).
SITE_COUNTS_BY = ("zone_id", "kind", "checkpoint_type", "active")
_NOTED = "traffic_totals_noted"


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context, _instances) -> None:
    """Note the checkpoint days an ORM flush writes (a report deleted, a row added by hand) and the
    sites it moves in or out of a zone's totals, with the zone they were in before."""
    rows, sites = session.info.setdefault(_NOTED, (set(), {}))
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, CheckpointDay):
            for name in ("site_id", "day"):  # the row's place before the flush counts too
                history = inspect(obj).attrs[name].history
                if history.deleted:
                    rows.add((history.deleted[0] if name == "site_id" else obj.site_id,
                              history.deleted[0] if name == "day" else obj.day))
            rows.add((obj.site_id, obj.day))
        elif isinstance(obj, Site) and obj not in session.new:
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in SITE_COUNTS_BY):
                zone = state.attrs.zone_id.history
                before = [z for z in (*zone.deleted, *zone.unchanged) if z is not None]
                sites[obj.id] = set(before) if before else None  # None: unknown, so every zone


@event.listens_for(Session, "after_flush_postexec")
def _refresh_noted(session: Session, _context) -> None:
    """Refresh what _note_changes noted, in the flush's transaction (through Core: no second flush)."""
    rows, sites = session.info.pop(_NOTED, (set(), {}))
    if not rows and not sites:
        return
    conn = session.connection()
    if rows:
        refresh_rows(conn, rows)
    if sites:
        known = None not in sites.values()
        refresh_sites(conn, sites, {zone for zones in sites.values() for zone in zones} if known else None)
