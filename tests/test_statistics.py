"""Planner statistics: schema.refresh_statistics analyses the tables a bulk load changed, once, and nothing
when nothing changed (it runs at every start). On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from data_access import schema
from data_access.models import AuditLog


def _bulk_audit(engine, rows: int) -> None:
    at = dt.datetime(2020, 2, 20, tzinfo=dt.timezone.utc)
    with engine.begin() as conn:
        conn.execute(sa.insert(AuditLog), [{"at": at, "username": "bulk", "action": "update", "table_name": "shop",
                                            "row_id": n} for n in range(rows)])
        if conn.dialect.name == "postgresql":  # counted rows reach pg_stat_user_tables at commit, not a second later
            conn.execute(sa.text("SELECT pg_stat_force_next_flush()"))


def test_a_bulk_load_is_analysed_once(demo_engine):
    schema.refresh_statistics(demo_engine)  # whatever the demo load left
    assert schema.refresh_statistics(demo_engine) == []  # nothing changed: nothing to do
    _bulk_audit(demo_engine, 2_000)
    assert "audit_log" in schema.refresh_statistics(demo_engine)
    assert schema.refresh_statistics(demo_engine) == []
    _bulk_audit(demo_engine, 20)  # a few rows more: not worth it
    assert "audit_log" not in schema.refresh_statistics(demo_engine)


def test_the_planner_knows_the_audit_log_afterwards(demo_engine):
    _bulk_audit(demo_engine, 2_000)
    schema.refresh_statistics(demo_engine)
    with demo_engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            counts = conn.exec_driver_sql("SELECT stat FROM sqlite_stat1 WHERE tbl = 'audit_log'").scalars().all()
            rows = conn.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar_one()
            assert counts and all(int(stat.split()[0]) == rows for stat in counts)
        else:
            analysed = conn.exec_driver_sql("SELECT last_analyze FROM pg_stat_user_tables "
                                            "WHERE relname = 'audit_log'").scalar()
            assert analysed is not None
