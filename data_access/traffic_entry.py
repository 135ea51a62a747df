"""Checkpoint daily reports (卡口日报): the entry grid, its save, corrections and file uploads."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .audit import audit, row_values
from .auth import Actor, check_sites, load_actor
from .db import read_connection, write_session
from .errors import ConflictError, FieldError, ValidationError
from .models import CheckpointDay, Site, WorkZone
from .validate import Checker

COUNT_FIELDS = ("vehicles", "persons", "persons_from_outside", "turned_back", "abnormal_temperature")
UNUSUAL_FACTOR = 3  # a figure above 3x the checkpoint's 7-day average asks for confirmation
UNUSUAL_MINIMUM = 50  # ...but small numbers never do (10 vehicles after an average of 2 is normal)


# ---- reads for the entry page ------------------------------------------------------------------

def _scope_condition(actor: Actor):
    """Road checkpoints this actor may write for (admins and supervisors: all)."""
    road = and_(Site.kind == "checkpoint", Site.checkpoint_type == "road", Site.active.is_(True))
    if actor.role in ("admin", "supervisor"):
        return road
    return and_(road, Site.zone_id.in_(actor.zone_ids) | Site.id.in_(actor.site_ids))


def entry_grid(actor: Actor, day: dt.date, engine=None) -> pd.DataFrame:
    """One row per checkpoint in the actor's scope: the day's saved figures (or blanks),
    the row version, the day before's figures and the 7-day average, for the grid and its checks."""
    yesterday, week_start = day - dt.timedelta(days=1), day - dt.timedelta(days=7)
    saved = select(CheckpointDay).where(CheckpointDay.day == day).subquery("saved")
    before = select(CheckpointDay).where(CheckpointDay.day == yesterday).subquery("before")
    week = (
        select(CheckpointDay.site_id, (func.sum(CheckpointDay.vehicles) / 7.0).label("vehicles_7d"),
               (func.sum(CheckpointDay.persons) / 7.0).label("persons_7d"))
        .where(CheckpointDay.day.between(week_start, yesterday))
        .group_by(CheckpointDay.site_id)
        .subquery("week")
    )
    query = (
        select(
            Site.id.label("site_id"), Site.name, WorkZone.name.label("zone"),
            *[getattr(saved.c, f) for f in COUNT_FIELDS],
            saved.c.version, saved.c.corrected, saved.c.updated_by,
            before.c.vehicles.label("vehicles_yesterday"), before.c.persons.label("persons_yesterday"),
            week.c.vehicles_7d, week.c.persons_7d,
        )
        .join(WorkZone, WorkZone.id == Site.zone_id)
        .outerjoin(saved, saved.c.site_id == Site.id)
        .outerjoin(before, before.c.site_id == Site.id)
        .outerjoin(week, week.c.site_id == Site.id)
        .where(_scope_condition(actor))
        .order_by(WorkZone.code, Site.name)
    )
    with read_connection(engine) as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["site_id", "name", "zone", *COUNT_FIELDS, "version", "corrected", "updated_by",
                                        "vehicles_yesterday", "persons_yesterday", "vehicles_7d", "persons_7d"])
    frame["corrected"] = frame["corrected"].fillna(False).astype(bool)
    return frame


def unusual_rows(rows: list[dict], averages: dict[int, dict[str, float]]) -> list[tuple[int, str, int, float]]:
    """(row, field, value, average) for figures far above the checkpoint's recent average."""
    found = []
    for index, row in enumerate(rows):
        for field in ("vehicles", "persons"):
            value, average = row.get(field), (averages.get(row.get("site_id")) or {}).get(field)
            if isinstance(value, (int, float)) and average and value >= UNUSUAL_MINIMUM and value > UNUSUAL_FACTOR * average:
                found.append((index, field, int(value), float(average)))
    return found


# ---- writes ------------------------------------------------------------------------------------

def _clean_counts(check: Checker, row: dict, index: int) -> dict:
    values = {name: check.count(name, row.get(name), index) for name in COUNT_FIELDS}
    persons = values["persons"]
    for part in ("persons_from_outside", "turned_back", "abnormal_temperature"):
        if persons is not None and values[part] is not None and values[part] > persons:
            check.fail(part, "不能超过检查人数", "cannot exceed persons checked", index)
    return values


def _clean_rows(rows: list[dict], day, reason, today: dt.date):
    """Every cell checked at once; the clerk sees all problems in one go."""
    check = Checker(today)
    clean_day = check.day("day", day)
    cleaned, seen = [], set()
    for index, row in enumerate(rows):
        values = _clean_counts(check, row, index)
        site_id = row.get("site_id")
        if site_id in seen:
            check.fail("site_id", "同一卡口重复填报", "this checkpoint appears twice", index)
        seen.add(site_id)
        cleaned.append({"site_id": site_id, "day": clean_day, "version": row.get("version"), **values})
    clean_reason = check.text("reason", reason, max_len=500)
    check.raise_if_any()
    return cleaned, clean_reason


def _apply(session: Session, username: str, cleaned: list[dict], reason: str | None, today: dt.date,
           check_versions: bool) -> dict:
    """Insert or update checkpoint-days inside the caller's transaction.

    With check_versions (forms), a row whose stored version moved on since the form was loaded is
    refused, unless the stored figures already equal the new ones (a double click saves nothing
    twice). Changing a saved figure of an earlier day is a correction: it needs a reason and
    stays marked as corrected.
    """
    actor = load_actor(session, username)
    sites = check_sites(session, actor, {r["site_id"] for r in cleaned})
    not_road = [i for i, r in enumerate(cleaned) if sites[r["site_id"]].checkpoint_type != "road"]
    if not_road:
        raise ValidationError([FieldError("site_id", "不是路域卡口", "not a road checkpoint", i) for i in not_road])
    days = {r["day"] for r in cleaned}
    existing = {
        (row.site_id, row.day): row
        for row in session.scalars(
            select(CheckpointDay)
            .where(CheckpointDay.site_id.in_(sites.keys()), CheckpointDay.day.in_(days))
            .with_for_update()
        )
    }
    summary = {"inserted": 0, "updated": 0, "unchanged": 0}
    stale, needs_reason = [], []
    now = dt.datetime.now(dt.timezone.utc)
    for index, new in enumerate(cleaned):
        values = {name: new[name] for name in COUNT_FIELDS}
        stored = existing.get((new["site_id"], new["day"]))
        if stored is None:
            if check_versions and new["version"] is not None:
                stale.append(index)  # it was saved when the form loaded, and is gone now
                continue
            record = CheckpointDay(site_id=new["site_id"], day=new["day"], version=1, updated_at=now,
                                   updated_by=username, **values)
            session.add(record)
            session.flush()
            audit(session, username, "insert", "checkpoint_day", record.id, None,
                  {"site_id": record.site_id, "day": new["day"], **values})
            summary["inserted"] += 1
            continue
        before = row_values(stored, COUNT_FIELDS)
        if before == values:
            summary["unchanged"] += 1
            continue
        if check_versions and new["version"] != stored.version:
            stale.append(index)
            continue
        is_correction = new["day"] < today
        if is_correction and not reason:
            needs_reason.append(index)
            continue
        for name, value in values.items():
            setattr(stored, name, value)
        stored.version += 1
        stored.updated_at, stored.updated_by = now, username
        if is_correction:
            stored.corrected, stored.correction_reason = True, reason
        audit(session, username, "correct" if is_correction else "update", "checkpoint_day",
              stored.id, before, values, reason)
        summary["updated"] += 1
    if stale:
        raise ConflictError(rows=stale)
    if needs_reason:
        raise ValidationError([FieldError("reason", "修改已保存的数据需要填写原因", "changing saved figures needs a reason")])
    return summary


def save_checkpoint_days(username: str, day, rows: list[dict], reason: str | None = None,
                         today: dt.date | None = None, engine=None) -> dict:
    """Save one day's figures for many checkpoints in one transaction (the entry grid).

    Each row: site_id, the five counts, and `version` as loaded (None for a row not saved yet).
    Returns counts of inserted, updated and unchanged rows.
    """
    today = today or dt.date.today()
    cleaned, reason = _clean_rows(rows, day, reason, today)
    try:
        with write_session(engine) as session:
            return _apply(session, username, cleaned, reason, today, check_versions=True)
    except IntegrityError as error:
        # Someone inserted the same checkpoint-day between our read and our insert.
        raise ConflictError() from error


# ---- file upload -------------------------------------------------------------------------------

UPLOAD_COLUMNS = ("day", "checkpoint", *COUNT_FIELDS)


def upload_template() -> pd.DataFrame:
    return pd.DataFrame([{"day": "2020-02-25", "checkpoint": "（卡口名称）", **{f: 0 for f in COUNT_FIELDS}}],
                        columns=list(UPLOAD_COLUMNS))


def check_upload(frame: pd.DataFrame, actor: Actor, today: dt.date | None = None, engine=None,
                 progress=None) -> list[dict]:
    """Check every row of an uploaded file; returns rows ready to save or raises one ValidationError
    listing every bad cell by row (1-based, as the clerk sees it in a spreadsheet, plus the header) and column."""
    today = today or dt.date.today()
    check = Checker(today)
    missing = [c for c in UPLOAD_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationError([FieldError(c, "文件缺少此列", "the file lacks this column") for c in missing])
    with read_connection(engine) as conn:
        known = {name: site_id for site_id, name in conn.execute(
            select(Site.id, Site.name).where(_scope_condition(actor)))}
    rows, seen = [], set()
    total = len(frame)
    for position, record in enumerate(frame.to_dict("records")):
        line = position + 2  # the header is line 1
        day = check.day("day", record.get("day"), line)
        name = check.text("checkpoint", record.get("checkpoint"), line, required=True, max_len=100)
        site_id = known.get(name) if name else None
        if name and site_id is None:
            check.fail("checkpoint", f"没有您可填报的卡口“{name[:30]}”", f"no checkpoint you may write for named '{name[:30]}'", line)
        values = _clean_counts(check, record, line)
        if site_id and day:
            if (site_id, day) in seen:
                check.fail("checkpoint", "同一卡口同一天出现两次", "the same checkpoint and day appear twice", line)
            seen.add((site_id, day))
        rows.append({"site_id": site_id, "day": day, "version": None, **values})
        if progress and (position % 500 == 0 or position == total - 1):
            progress(min(1.0, (position + 1) / max(total, 1)))
    check.raise_if_any()
    return rows


def save_upload(username: str, rows: list[dict], reason: str | None = None, today: dt.date | None = None,
                engine=None) -> dict:
    """All rows of a checked file in one transaction: all saved, or none.

    A file carries no row versions, so a row that differs from a saved one is a correction: it
    needs a reason, is marked corrected, and its old value stays in the audit log.
    """
    today = today or dt.date.today()
    check = Checker(today)
    reason = check.text("reason", reason, max_len=500)
    check.raise_if_any()
    try:
        with write_session(engine) as session:
            return _apply(session, username, rows, reason, today, check_versions=False)
    except IntegrityError as error:
        raise ConflictError() from error
