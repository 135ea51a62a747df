"""Where an account may write (its writer scope): one rule for every write and every list of what to write.

Admins and supervisors write everywhere. A clerk writes for the work zones and the single sites of
their scopes (a site scope reaches that site only; rows kept per zone, such as shops and enterprises,
are reached through zone scopes). Anyone else writes nowhere: a list of what they may write is empty,
and a write is refused with PermissionDenied.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Row, bindparam, false, or_, select, true
from sqlalchemy.orm import Session

from .errors import NotFound, PermissionDenied
from .models import Site

if TYPE_CHECKING:
    from .auth import Actor

EVERYWHERE = ("admin", "supervisor")
WRITER_ROLES = (*EVERYWHERE, "clerk")


# ---- as Python: one row at a time ----------------------------------------------------------------

def may_write_zone(actor: Actor, zone_id: int | None) -> bool:
    """May the actor write a row kept per work zone (a shop, an enterprise) of this zone?"""
    if actor.role in EVERYWHERE:
        return True
    return actor.role == "clerk" and zone_id in actor.zone_ids


def may_write_site(actor: Actor, site_id: int, site_zone_id: int) -> bool:
    """May the actor write for this site (through its zone or a scope on the site itself)?"""
    return may_write_zone(actor, site_zone_id) or (actor.role == "clerk" and site_id in actor.site_ids)


# ---- as SQL: the condition a list of writable rows is filtered by ------------------------------------

def writable_sites(actor: Actor):
    """The Site rows the actor may write for, as a WHERE condition."""
    if actor.role in EVERYWHERE:
        return true()
    if actor.role == "clerk":
        return or_(Site.zone_id.in_(sorted(actor.zone_ids)), Site.id.in_(sorted(actor.site_ids)))
    return false()


def writable_zones(actor: Actor, zone_column):
    """Rows kept per work zone (zone_column: Shop.zone_id, Enterprise.zone_id) the actor may write, as a WHERE condition."""
    if actor.role in EVERYWHERE:
        return true()
    if actor.role == "clerk":
        return zone_column.in_(sorted(actor.zone_ids))
    return false()


# ---- refusing a write ----------------------------------------------------------------------------

def require_writer(actor: Actor) -> None:
    if actor.role not in WRITER_ROLES:
        raise PermissionDenied("只读账号不能修改数据", "A read-only account cannot change data")


def refuse_outside(names: list[str], zh_what: str, en_what: str) -> None:
    """One refusal for the rows of a write that lie outside the actor's scope (the first five named)."""
    if names:
        raise PermissionDenied(f"您无权{zh_what}：{'、'.join(names[:5])}",
                               f"You may not write for these {en_what}: {', '.join(names[:5])}")


def check_sites(session: Session, actor: Actor, site_ids: Iterable[int]) -> dict[int, Site]:
    """Load the sites a write touches and refuse the whole write if any is out of scope."""
    require_writer(actor)
    ids = set(site_ids)
    sites = {s.id: s for s in session.scalars(select(Site).where(Site.id.in_(ids)))} if ids else {}
    return _refuse_missing_or_outside(actor, ids, sites)


SITES = Site.__table__
# The columns a write of many sites needs, read through Core (50 Site objects cost ~1 ms of a grid save),
# share-locked on PostgreSQL: a change of one of these sites waits for the write (SQLite: one writer anyway).
_SITE_ROWS = (select(SITES.c.id, SITES.c.name, SITES.c.zone_id, SITES.c.kind, SITES.c.checkpoint_type, SITES.c.active)
              .where(SITES.c.id.in_(bindparam("ids", expanding=True)))
              .with_for_update(read=True))


def check_site_rows(conn: Connection, actor: Actor, site_ids: Iterable[int]) -> dict[int, Row]:
    """check_sites on a connection: the sites as plain rows (id, name, zone_id, kind, checkpoint_type,
    active), unchanged until the transaction ends; refused as a whole if any is missing or out of scope."""
    require_writer(actor)
    ids = set(site_ids)
    sites = {row.id: row for row in conn.execute(_SITE_ROWS, {"ids": sorted(ids)})} if ids else {}
    return _refuse_missing_or_outside(actor, ids, sites)


def _refuse_missing_or_outside(actor: Actor, ids: set, sites: dict):
    missing = ids - sites.keys()
    if missing:
        raise NotFound(f"site {sorted(missing)}")
    refuse_outside([s.name for s in sites.values() if not may_write_site(actor, s.id, s.zone_id)],
                   "填报这些站点", "sites")
    return sites


def check_zone(actor: Actor, zone_id: int) -> None:
    require_writer(actor)
    if not may_write_zone(actor, zone_id):
        raise PermissionDenied("您无权填报该工作管区", "You may not write for this work zone")


def locked_row(session: Session, actor: Actor, model, row_id: int):
    """The row a write changes, locked until the transaction ends; refused when it is gone or out of
    the actor's scope (a row with a site through its site, any other through its work zone)."""
    row = session.get(model, row_id, with_for_update=True)
    if row is None:
        raise NotFound(f"{model.__tablename__} {row_id}")
    if hasattr(row, "site_id"):
        check_sites(session, actor, [row.site_id])
    else:
        check_zone(actor, row.zone_id)
    return row
