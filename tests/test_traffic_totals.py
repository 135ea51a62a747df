"""Issue 14: the per-day, per-zone traffic totals (checkpoint_day_total) equal what checkpoint_day holds after
every kind of write, on SQLite and PostgreSQL; two clerks saving the same zone and day at once on PostgreSQL
lose nothing."""
from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import db, schema, traffic, traffic_entry, traffic_totals
from data_access.demo import DEMO_AS_OF, DEMO_START
from data_access.filters import Filters
from data_access.models import CheckpointDay, CheckpointDayTotal, Site, WorkZone
from tests.helpers import day_row

TODAY = DEMO_AS_OF + dt.timedelta(days=1)
COLUMNS = ("day", "zone_id", *traffic_totals.COLUMNS)


def kept(engine) -> set[tuple]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(*[CheckpointDayTotal.__table__.c[name] for name in COLUMNS])).all())


def recomputed(engine) -> set[tuple]:
    with engine.connect() as conn:
        return set(conn.execute(traffic_totals._aggregate()).all())


def assert_in_step(engine) -> None:
    totals = kept(engine)
    assert totals, "no totals at all: the comparison would prove nothing"
    assert totals == recomputed(engine)


def road_checkpoints(engine) -> list[tuple[int, int]]:
    """(site id, zone id) of the demo's road checkpoints, in id order."""
    with engine.connect() as conn:
        return conn.execute(sa.select(Site.id, Site.zone_id).where(*traffic_totals.ROAD_CHECKPOINT)
                            .order_by(Site.id)).all()


def stored(engine, site_id: int, day: dt.date):
    with engine.connect() as conn:
        return conn.execute(sa.select(CheckpointDay).where(CheckpointDay.site_id == site_id,
                                                           CheckpointDay.day == day)).first()


def test_the_demo_load_fills_them(demo_engine):
    assert_in_step(demo_engine)
    assert len({day for day, *_ in kept(demo_engine)}) == (DEMO_AS_OF - DEMO_START).days + 1


def test_a_grid_save_of_new_and_changed_rows(demo_engine):
    sites = road_checkpoints(demo_engine)
    new = [day_row(site_id, vehicles=30 + k) for k, (site_id, _) in enumerate(sites)]
    assert traffic_entry.save_checkpoint_days("supervisor", TODAY, new, today=TODAY)["inserted"] == len(sites)
    assert_in_step(demo_engine)
    changed = [day_row(site_id, vehicles=50, version=1) for site_id, _ in sites[:3]]
    assert traffic_entry.save_checkpoint_days("supervisor", TODAY, changed, today=TODAY)["updated"] == 3
    assert_in_step(demo_engine)


def test_a_correction_of_an_earlier_day(demo_engine):
    site_id, _ = road_checkpoints(demo_engine)[0]
    row = stored(demo_engine, site_id, DEMO_AS_OF)
    fixed = day_row(site_id, vehicles=row.vehicles + 100, persons=row.persons + 100, version=row.version)
    assert traffic_entry.save_checkpoint_days("supervisor", DEMO_AS_OF, [fixed], reason="台账核对",
                                              today=TODAY)["updated"] == 1
    assert_in_step(demo_engine)


def test_a_refused_save_leaves_them_alone(demo_engine):
    before = kept(demo_engine)
    site_id, _ = road_checkpoints(demo_engine)[0]
    with pytest.raises(Exception):
        traffic_entry.save_checkpoint_days("supervisor", DEMO_AS_OF, [day_row(site_id, vehicles=1, version=99)],
                                           reason="x", today=TODAY)
    assert kept(demo_engine) == before


def test_deleting_a_day(demo_engine):
    site_id, zone_id = road_checkpoints(demo_engine)[0]
    row = stored(demo_engine, site_id, DEMO_AS_OF)
    assert traffic_entry.delete_checkpoint_day("supervisor", site_id, DEMO_AS_OF, row.version, "录错",
                                               engine=demo_engine) == {"deleted": 1}
    assert_in_step(demo_engine)


def test_deleting_the_only_report_of_a_zone_day_drops_its_row(demo_engine):
    site_id, zone_id = road_checkpoints(demo_engine)[0]
    traffic_entry.save_checkpoint_days("supervisor", TODAY, [day_row(site_id)], today=TODAY)
    assert (TODAY, zone_id) in {(day, zone) for day, zone, *_ in kept(demo_engine)}
    traffic_entry.delete_checkpoint_day("supervisor", site_id, TODAY, 1, "录错", engine=demo_engine)
    assert TODAY not in {day for day, *_ in kept(demo_engine)}
    assert_in_step(demo_engine)


def test_an_upload(demo_engine):
    from data_access import auth

    names = [name for (name,) in demo_engine.connect().execute(
        sa.select(Site.name).where(*traffic_totals.ROAD_CHECKPOINT).order_by(Site.id))]
    frame = pd.DataFrame([{"day": day.isoformat(), "checkpoint": name, "vehicles": "9", "persons": "12",
                           "persons_from_outside": "0", "turned_back": "0", "abnormal_temperature": "0"}
                          for day in (DEMO_AS_OF, TODAY) for name in names])
    rows = traffic_entry.check_upload(frame, auth.reload_actor("supervisor"), today=TODAY, engine=demo_engine)
    saved = traffic_entry.save_upload("supervisor", rows, reason="按台账导入", today=TODAY, engine=demo_engine)
    assert saved["inserted"] == len(names) and saved["updated"] == len(names)
    assert_in_step(demo_engine)


def test_a_command_line_import(demo_engine, tmp_path):
    from data_access.__main__ import main

    site_id, _ = road_checkpoints(demo_engine)[0]
    with demo_engine.connect() as conn:
        name = conn.execute(sa.select(Site.name).where(Site.id == site_id)).scalar_one()
    path = tmp_path / "days.csv"
    path.write_text(f"day,checkpoint,vehicles,persons,persons_from_outside,turned_back,abnormal_temperature\n"
                    f"{DEMO_AS_OF.isoformat()},{name},1,2,0,0,0\n", encoding="utf-8")
    assert main(["import", "checkpoint-days", str(path), "--as", "supervisor", "--reason", "台账"]) == 0
    assert stored(demo_engine, site_id, DEMO_AS_OF).vehicles == 1
    assert_in_step(demo_engine)


def test_rows_written_through_the_orm_by_hand(demo_engine):
    """Any ORM flush keeps them: a row added, one moved to another day with new figures, one deleted."""
    (first, _), (second, _), (third, _) = road_checkpoints(demo_engine)[:3]
    with db.write_session(demo_engine) as session:
        session.add(CheckpointDay(site_id=first, day=TODAY, vehicles=5, persons=6, version=1))
        moved = session.scalars(sa.select(CheckpointDay).where(CheckpointDay.site_id == second,
                                                               CheckpointDay.day == DEMO_AS_OF)).one()
        moved.day, moved.vehicles = TODAY, 77
        session.delete(session.scalars(sa.select(CheckpointDay).where(CheckpointDay.site_id == third,
                                                                      CheckpointDay.day == DEMO_START)).one())
    assert_in_step(demo_engine)


def _zones(engine) -> list[int]:
    with engine.connect() as conn:
        return conn.execute(sa.select(WorkZone.id).order_by(WorkZone.id)).scalars().all()


def test_a_site_moved_to_another_zone(demo_engine):
    site_id, zone_id = road_checkpoints(demo_engine)[0]
    other = next(zone for zone in _zones(demo_engine) if zone != zone_id)
    with db.write_session(demo_engine) as session:
        session.get(Site, site_id).zone_id = other
    assert_in_step(demo_engine)


def test_a_site_deactivated_and_back(demo_engine):
    site_id, _ = road_checkpoints(demo_engine)[0]
    for active in (False, True):
        with db.write_session(demo_engine) as session:
            session.get(Site, site_id).active = active
        assert_in_step(demo_engine)


def test_a_site_changed_through_core_is_refreshed_by_refresh_sites(demo_engine):
    site_id, zone_id = road_checkpoints(demo_engine)[0]
    other = next(zone for zone in _zones(demo_engine) if zone != zone_id)
    with db.write_session(demo_engine) as session:
        session.execute(sa.update(Site).where(Site.id == site_id).values(zone_id=other, checkpoint_type="village"))
        traffic_totals.refresh_sites(session, [site_id], [zone_id])
    assert_in_step(demo_engine)


def test_the_migration_fills_them_from_saved_rows(demo_engine):
    from alembic import command

    expected = kept(demo_engine)
    with demo_engine.connect() as conn:
        command.downgrade(schema.alembic_config(conn), "0007")
        conn.commit()
        assert "checkpoint_day_total" not in sa.inspect(conn).get_table_names()
    db.dispose_engines()
    schema.upgrade(demo_engine)
    assert kept(demo_engine) == expected
    assert_in_step(demo_engine)


def _raw_day_totals(engine, zone_id: int | None) -> list[tuple]:
    """What the traffic pages summed before the totals table: every report of the range."""
    sums = [sa.func.sum(getattr(CheckpointDay, m)) for m in traffic.METRICS]
    query = (sa.select(CheckpointDay.day, *sums, sa.func.count()).join(Site, Site.id == CheckpointDay.site_id)
             .where(*traffic_totals.ROAD_CHECKPOINT).group_by(CheckpointDay.day).order_by(CheckpointDay.day))
    if zone_id is not None:
        query = query.where(Site.zone_id == zone_id)
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def test_the_pages_read_what_the_reports_say(demo_engine):
    site_id, zone_id = road_checkpoints(demo_engine)[0]
    with db.write_session(demo_engine) as session:
        session.get(Site, site_id).active = False  # its reports no longer count
    for zone in (None, zone_id):
        frame = traffic._day_totals(Filters(start=DEMO_START, end=DEMO_AS_OF, zone_id=zone), demo_engine)
        assert [tuple(row) for row in frame.itertuples(index=False)] == _raw_day_totals(demo_engine, zone)


# ---- two clerks at once on PostgreSQL -------------------------------------------------------------------

def _pg_only(backend):
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time (BEGIN IMMEDIATE): no two refreshes overlap")


@pytest.mark.parametrize("day", [DEMO_AS_OF, TODAY], ids=["zone-day with totals", "new zone-day"])
def test_two_clerks_of_one_zone_and_day_lose_no_report(demo_engine, backend, day):
    """Each transaction writes its checkpoint's report, then refreshes the zone-day. Without the lock the
    second would recompute without the first's report (not committed yet) and commit a total that lacks it."""
    _pg_only(backend)
    by_zone: dict[int, list[int]] = {}
    for site_id, zone_id in road_checkpoints(demo_engine):
        by_zone.setdefault(zone_id, []).append(site_id)
    zone_id, (first, second) = next((zone, sites[:2]) for zone, sites in by_zone.items() if len(sites) >= 2)
    one, two = demo_engine.connect(), demo_engine.connect()
    try:
        one.begin(), two.begin()
        for conn, site_id in ((one, first), (two, second)):
            conn.execute(sa.delete(CheckpointDay).where(CheckpointDay.site_id == site_id, CheckpointDay.day == day))
            conn.execute(sa.insert(CheckpointDay).values(site_id=site_id, day=day, vehicles=1000 + site_id, persons=2000,
                                                         persons_from_outside=0, turned_back=0, abnormal_temperature=0,
                                                         version=1))
        traffic_totals.refresh(one, [(day, zone_id)])
        waiting = threading.Thread(target=traffic_totals.refresh, args=(two, [(day, zone_id)]))
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive(), "the second refresh did not wait for the first transaction's lock"
        one.commit()
        waiting.join(timeout=30)
        assert not waiting.is_alive()
        two.commit()
    finally:
        one.close(), two.close()
    assert_in_step(demo_engine)
    with demo_engine.connect() as conn:
        vehicles = conn.execute(sa.select(CheckpointDayTotal.vehicles).where(
            CheckpointDayTotal.day == day, CheckpointDayTotal.zone_id == zone_id)).scalar_one()
    assert vehicles >= 2000 + first + second


def test_eight_clerks_saving_one_day_at_once(demo_engine, backend):
    """Real saves in threads, every checkpoint its own clerk's row, all on one day: the totals hold them all."""
    sites = road_checkpoints(demo_engine)
    barrier = threading.Barrier(min(8, len(sites)))
    failures: list[str] = []

    def clerk(chunk):
        barrier.wait()
        try:
            for site_id, _ in chunk:
                traffic_entry.save_checkpoint_days("supervisor", TODAY, [day_row(site_id, vehicles=site_id)], today=TODAY)
        except Exception as error:  # reported to the test
            failures.append(repr(error))

    chunks = [sites[k::barrier.parties] for k in range(barrier.parties)]
    threads = [threading.Thread(target=clerk, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert_in_step(demo_engine)
    assert sum(row[2] for row in kept(demo_engine) if row[0] == TODAY) == sum(site_id for site_id, _ in sites)
