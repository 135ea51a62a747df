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
