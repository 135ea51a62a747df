"""The audit trail: who changed what, when, from which value to which, and why."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy.orm import Session

from .models import AuditLog


def _json(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=_plain, sort_keys=True)


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def audit(session: Session, username: str, action: str, table: str, row_id: int | None,
          before: dict | None, after: dict | None, reason: str | None = None) -> None:
    """Add the audit row to the caller's transaction: it commits or rolls back with the change."""
    session.add(AuditLog(
        at=dt.datetime.now(dt.timezone.utc), username=username, action=action, table_name=table,
        row_id=row_id, before=_json(before), after=_json(after), reason=reason,
    ))


def row_values(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


def recent(limit: int = 200, table: str | None = None, username: str | None = None, engine=None):
    """The newest audit rows, newest first (the administration page's log view)."""
    import pandas as pd
    from sqlalchemy import select

    from .db import read_connection
    from .validate import clean_search

    username = clean_search(username)  # typed into a search box: a NUL must not reach PostgreSQL
    query = select(AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.table_name, AuditLog.row_id,
                   AuditLog.before, AuditLog.after, AuditLog.reason).order_by(AuditLog.id.desc()).limit(limit)
    if table:
        query = query.where(AuditLog.table_name == table)
    if username:
        query = query.where(AuditLog.username == username)
    with read_connection(engine) as conn:
        return pd.DataFrame(conn.execute(query).all(),
                            columns=["at", "username", "action", "table_name", "row_id", "before", "after", "reason"])
