"""A save the database does not commit says why, quickly, and leaves nothing behind.

Each failure is produced for real: a writer holding the lock (SQLite) or the row (PostgreSQL), a
file system with no space left, a database that refuses connections.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import threading
import time

import pytest
import sqlalchemy as sa

from data_access import auth, db, traffic_entry
from data_access.errors import SaveFailed
from data_access.models import CheckpointDay, Site
from tests.conftest import _pg_admin

DAY = dt.date(2020, 2, 25)


def _first_checkpoint_row(engine) -> dict:
    with engine.connect() as conn:
        row = conn.execute(sa.select(CheckpointDay).join(Site).where(CheckpointDay.day == DAY, Site.checkpoint_type == "road")
                           .order_by(CheckpointDay.id).limit(1)).one()
    return {"site_id": row.site_id, "version": row.version, "vehicles": row.vehicles + 7, "persons": row.persons + 7,
            "persons_from_outside": row.persons_from_outside, "turned_back": row.turned_back,
            "abnormal_temperature": row.abnormal_temperature}


def _stored_vehicles(engine, site_id) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(CheckpointDay.vehicles).where(CheckpointDay.site_id == site_id,
                                                                    CheckpointDay.day == DAY)).scalar_one()


def _version(engine) -> int:
    return db.data_version(engine)


def test_postgres_sessions_carry_timeouts_and_a_name(demo_engine, backend):
    if backend != "postgresql":
        pytest.skip("PostgreSQL settings")
    with demo_engine.connect() as conn:
        assert conn.execute(sa.text("SHOW lock_timeout")).scalar() == "8s"
        assert conn.execute(sa.text("SHOW statement_timeout")).scalar() == "30s"
        assert conn.execute(sa.text("SHOW application_name")).scalar() == "zone-dashboard"


def test_a_held_lock_answers_within_ten_seconds_and_saves_nothing(demo_engine, backend):
    """Another writer (an abandoned session) holds the lock: the save gives up with 'busy'."""
    row = _first_checkpoint_row(demo_engine)
    before, version = _stored_vehicles(demo_engine, row["site_id"]), _version(demo_engine)
    holder = sa.create_engine(demo_engine.url, poolclass=sa.pool.NullPool)
    conn = holder.connect()
    try:
        if backend == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, held
        else:
            conn.execute(sa.select(CheckpointDay.id).where(CheckpointDay.site_id == row["site_id"],
                                                           CheckpointDay.day == DAY).with_for_update())
        started = time.monotonic()
        with pytest.raises(SaveFailed) as raised:
            traffic_entry.save_checkpoint_days("clerk", DAY, [row], reason="核对", today=DAY, engine=demo_engine)
        waited = time.monotonic() - started
    finally:
        conn.rollback()
        conn.close()
        holder.dispose()
    assert raised.value.kind == "busy"
    assert "未保存" in raised.value.text("zh") and "still here" in raised.value.text("en")
    assert 1 < waited < 10.5, waited
    assert _stored_vehicles(demo_engine, row["site_id"]) == before
    assert _version(demo_engine) == version
    # and once the lock is gone the same save goes through, exactly once
    traffic_entry.save_checkpoint_days("clerk", DAY, [row], reason="核对", today=DAY, engine=demo_engine)
    assert _stored_vehicles(demo_engine, row["site_id"]) == before + 7


@pytest.fixture
def full_disk(tmp_path):
    """A real file system of 16 MB (tmpfs; needs root) that the test can fill up: room for the demo database
    (6 MB since the roster and the gate registrations), then filled."""
    mount_point = tmp_path / "small_disk"
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"cannot mount a small tmpfs for the full-disk test (run the tests as root): {result.stderr}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _fill(folder) -> None:
    """Write zeros until the file system says no more."""
    with open(folder / "filler", "wb", buffering=0) as filler:  # unbuffered: closing it has nothing left to fail on
        try:
            while True:
                filler.write(b"\0" * 65536)
        except OSError:
            pass


def test_a_full_disk_says_so_and_saves_nothing(demo_engine, backend, full_disk):
    if backend != "sqlite":
        pytest.skip("the embedded database's disk; PostgreSQL's disk belongs to the shared server")
    path = full_disk / "dashboard.db"
    shutil.copyfile(demo_engine.url.database, path)
    engine = db.get_engine(f"sqlite:///{path}")
    row = _first_checkpoint_row(engine)
    saved = _stored_vehicles(engine, row["site_id"])
    _fill(full_disk)
    with pytest.raises(SaveFailed) as raised:
        for _ in range(20):  # the log may still hold a free page or two: write until the disk is really full
            traffic_entry.save_checkpoint_days("supervisor", DAY, [row], reason="核对", today=DAY, engine=engine)
            saved = row["vehicles"]
            row = {**row, "vehicles": row["vehicles"] + 1, "version": row["version"] + 1}
    assert raised.value.kind == "full"
    assert "存储空间已满" in raised.value.text("zh")
    os.remove(full_disk / "filler")
    assert _stored_vehicles(engine, row["site_id"]) == saved  # the last whole save, nothing half-written
    traffic_entry.save_checkpoint_days("supervisor", DAY, [row], reason="核对", today=DAY, engine=engine)
    assert _stored_vehicles(engine, row["site_id"]) == row["vehicles"]
    engine.dispose()


def test_a_database_that_refuses_connections_is_unreachable(demo_engine, backend):
    if backend != "postgresql":
        pytest.skip("a PostgreSQL database made unreachable")
    row = _first_checkpoint_row(demo_engine)
    name = demo_engine.url.database
    with _pg_admin().connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
    try:
        with pytest.raises(SaveFailed) as raised:
            auth.set_active("viewer", False, engine=demo_engine)  # a write with no read before its transaction
        assert raised.value.kind == "unreachable"
        assert "连不上数据库" in raised.value.text("zh")
    finally:
        with _pg_admin().connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))


def test_two_writers_one_waits_briefly_and_both_land(demo_engine, backend):
    """A lock held for a moment (a real save) is waited for, not refused."""
    row = _first_checkpoint_row(demo_engine)
    holder = sa.create_engine(demo_engine.url, poolclass=sa.pool.NullPool)
    conn = holder.connect()
    if backend == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.execute(sa.select(CheckpointDay.id).where(CheckpointDay.site_id == row["site_id"],
                                                       CheckpointDay.day == DAY).with_for_update())
    release = threading.Timer(1.0, lambda: (conn.rollback(), conn.close()))
    release.start()
    try:
        summary = traffic_entry.save_checkpoint_days("clerk", DAY, [row], reason="核对", today=DAY, engine=demo_engine)
    finally:
        release.join()
        holder.dispose()
    assert summary["updated"] == 1
