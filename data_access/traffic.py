"""Checkpoint traffic (路域卡口): the daily reports clerks enter and the figures pages read."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .audit import audit, row_values
from .auth import check_sites, load_actor
from .db import write_session
from .errors import ConflictError, FieldError, ValidationError
from .models import CheckpointDay
from .validate import Checker

COUNT_FIELDS = ("vehicles", "persons", "persons_from_outside", "turned_back", "abnormal_temperature")


def _clean_rows(rows: list[dict], day, reason, today: dt.date | None):
    """Every cell checked at once; the clerk sees all problems in one go."""
    check = Checker(today)
    clean_day = check.day("day", day)
    cleaned = []
    seen = set()
    for index, row in enumerate(rows):
        values = {name: check.count(name, row.get(name), index) for name in COUNT_FIELDS}
        persons = values["persons"]
        for part in ("persons_from_outside", "turned_back", "abnormal_temperature"):
            if persons is not None and values[part] is not None and values[part] > persons:
                check.fail(part, "不能超过检查人数", "cannot exceed persons checked", index)
        site_id = row.get("site_id")
        if site_id in seen:
            check.fail("site_id", "同一卡口重复填报", "this checkpoint appears twice", index)
        seen.add(site_id)
        cleaned.append({"site_id": site_id, "version": row.get("version"), **values})
    clean_reason = check.text("reason", reason, max_len=500)
    check.raise_if_any()
    return clean_day, cleaned, clean_reason


def save_checkpoint_days(username: str, day, rows: list[dict], reason: str | None = None,
                         today: dt.date | None = None, engine=None) -> dict:
    """Save one day's figures for many checkpoints in one transaction.

    Each row: site_id, the five counts, and `version` as loaded (None for a row not saved yet).
    A row whose stored version moved on since it was loaded is refused (stale form), unless the
    stored figures already equal the new ones (a double click saves nothing twice). Changing a
    saved figure of an earlier day is a correction: it needs a reason and stays marked.
    Returns counts of inserted, updated and unchanged rows.
    """
    today = today or dt.date.today()
    day, cleaned, reason = _clean_rows(rows, day, reason, today)
    summary = {"inserted": 0, "updated": 0, "unchanged": 0}
    try:
        with write_session(engine) as session:
            actor = load_actor(session, username)
            sites = check_sites(session, actor, [r["site_id"] for r in cleaned])
            not_road = [index for index, r in enumerate(cleaned) if sites[r["site_id"]].checkpoint_type != "road"]
            if not_road:
                raise ValidationError([FieldError("site_id", "不是路域卡口", "not a road checkpoint", i) for i in not_road])
            existing = {
                row.site_id: row
                for row in session.scalars(
                    select(CheckpointDay)
                    .where(CheckpointDay.site_id.in_(sites.keys()), CheckpointDay.day == day)
                    .with_for_update()
                )
            }
            stale = []
            corrections_without_reason = []
            now = dt.datetime.now(dt.timezone.utc)
            for index, new in enumerate(cleaned):
                values = {name: new[name] for name in COUNT_FIELDS}
                stored = existing.get(new["site_id"])
                if stored is None:
                    if new["version"] is not None:
                        stale.append(index)  # it was saved when the form loaded, and is gone now
                        continue
                    record = CheckpointDay(site_id=new["site_id"], day=day, version=1, updated_at=now,
                                           updated_by=username, **values)
                    session.add(record)
                    session.flush()
                    audit(session, username, "insert", "checkpoint_day", record.id, None,
                          {"site_id": record.site_id, "day": day, **values})
                    summary["inserted"] += 1
                    continue
                before = row_values(stored, COUNT_FIELDS)
                if before == values:
                    summary["unchanged"] += 1
                    continue
                if new["version"] != stored.version:
                    stale.append(index)
                    continue
                is_correction = day < today
                if is_correction and not reason:
                    corrections_without_reason.append(index)
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
            if corrections_without_reason:
                raise ValidationError([FieldError("reason", "修改已保存的数据需要填写原因",
                                                  "changing saved figures needs a reason")])
    except IntegrityError as error:
        # Someone inserted the same checkpoint-day between our read and our insert.
        raise ConflictError() from error
    return summary
