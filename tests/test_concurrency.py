"""Several clerks saving at once, from separate processes: no error, no lost row, no lost update."""
from __future__ import annotations

import datetime as dt
import multiprocessing

import sqlalchemy as sa

from data_access.models import AuditLog, CheckpointDay
from tests.helpers import day_row, minimal_territory

START = dt.date(2020, 1, 1)
TODAY = dt.date(2020, 12, 31)
WORKERS = 4
DAYS_EACH = 15
INCREMENTS_EACH = 10


def _insert_days(url: str, site_id: int, first_day: int, start, queue) -> None:
    """Insert DAYS_EACH new checkpoint-days, each in its own transaction."""
    import os

    os.environ["DATABASE_URL"] = url
    from data_access.traffic_entry import save_checkpoint_days

    start.wait(timeout=60)  # all workers begin together, so their transactions really overlap
    try:
        for offset in range(first_day, first_day + DAYS_EACH):
            save_checkpoint_days("super1", START + dt.timedelta(days=offset), [day_row(site_id, vehicles=offset)], today=TODAY)
        queue.put(None)
    except Exception as error:  # reported to the test, which fails on it
        queue.put(repr(error))


def _increment(url: str, site_id: int, step: int, start, queue) -> None:
    """Read-modify-write the same row INCREMENTS_EACH times, retrying when the form is stale.

    Each worker adds its own step, a power of 11 (1, 11, 121, 1331). A save whose value already
    equals the stored one is accepted as a no-op by design (it is how a double click is absorbed),
    so the steps must make that impossible for a stale increment: with at most 10 increments per
    worker, what the others add is a base-11 number with a 0 digit where this worker's step has its
    1, so it never equals the step. (Powers of 10 failed here once: 10 x 100 = 1000.)
    """
    import os

    os.environ["DATABASE_URL"] = url
    from data_access.db import get_engine
    from data_access.errors import ConflictError
    from data_access.traffic_entry import save_checkpoint_days

    engine = get_engine()
    conflicts = 0
    start.wait(timeout=60)
    try:
        for _ in range(INCREMENTS_EACH):
            while True:
                with engine.connect() as conn:
                    vehicles, version = conn.execute(
                        sa.select(CheckpointDay.vehicles, CheckpointDay.version).where(CheckpointDay.site_id == site_id)
                    ).one()
                try:
                    save_checkpoint_days("super1", START, [day_row(site_id, vehicles=vehicles + step, version=version)],
                                         reason="increment", today=TODAY)
                    break
                except ConflictError:
                    conflicts += 1
        queue.put(("ok", conflicts))
    except Exception as error:
        queue.put((repr(error), conflicts))


def _run(target, args_list):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start = context.Barrier(len(args_list))
    processes = [context.Process(target=target, args=(*args, start, queue)) for args in args_list]
    for process in processes:
        process.start()
    results = [queue.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    return results


def test_concurrent_inserts_lose_nothing(engine):
    ids = minimal_territory(engine)
    url = engine.url.render_as_string(hide_password=False)
    sites = [ids["cp1"], ids["cp2"]]
    args = [(url, sites[n % 2], (n // 2) * DAYS_EACH) for n in range(WORKERS)]
    errors = [r for r in _run(_insert_days, args) if r is not None]
    assert errors == []
    with engine.connect() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(CheckpointDay)).scalar_one()
        audits = conn.execute(sa.select(sa.func.count()).where(AuditLog.table_name == "checkpoint_day")).scalar_one()
    assert rows == WORKERS * DAYS_EACH
    assert audits == WORKERS * DAYS_EACH


def test_concurrent_updates_of_one_row_lose_no_update(engine):
    ids = minimal_territory(engine)
    from data_access.traffic_entry import save_checkpoint_days

    save_checkpoint_days("super1", START, [day_row(ids["cp1"], vehicles=0)], today=TODAY, engine=engine)
    url = engine.url.render_as_string(hide_password=False)
    steps = [11**n for n in range(WORKERS)]
    results = _run(_increment, [(url, ids["cp1"], step) for step in steps])
    assert [status for status, _ in results] == ["ok"] * WORKERS
    assert sum(conflicts for _, conflicts in results) > 0  # the workers really did collide
    with engine.connect() as conn:
        vehicles, version = conn.execute(sa.select(CheckpointDay.vehicles, CheckpointDay.version)).one()
    assert vehicles == INCREMENTS_EACH * sum(steps)  # every increment landed exactly once
    assert version == 1 + WORKERS * INCREMENTS_EACH
