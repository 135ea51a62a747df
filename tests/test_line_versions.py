"""Per-line data versions (issue 14): a save invalidates the caches of the lines it wrote, and only those."""
from __future__ import annotations

import datetime as dt
import functools
import threading
import time

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import db, versions
from data_access.models import SHOP_CATEGORIES, CheckpointDay, Shop, WorkZone
from data_access.traffic_entry import save_checkpoint_days
from tests.helpers import day_row, minimal_territory
from ui import data

TODAY = dt.date(2020, 2, 10)
runs: dict[str, int] = {}


def _counted(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        runs[fn.__name__] = runs.get(fn.__name__, 0) + 1
        return fn(*args, **kwargs)
    return wrapper


@_counted
def traffic_total() -> int:
    return int(db.read_frame(sa.select(sa.func.coalesce(sa.func.sum(CheckpointDay.vehicles), 0).label("n"))).n[0])


@_counted
def shop_count() -> int:
    return int(db.read_frame(sa.select(sa.func.count().label("n")).select_from(Shop)).n[0])


@_counted
def zone_names() -> list[str]:
    return db.read_frame(sa.select(WorkZone.name).order_by(WorkZone.code)).name.tolist()


@pytest.fixture
def territory(engine):
    runs.clear()
    return minimal_territory(engine)


def _checkpoint(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT min(id) FROM site WHERE kind = 'checkpoint'")).scalar()


def _add_shop(engine, name: str) -> None:
    with db.write_session(engine) as session:
        zone_id = session.execute(sa.select(sa.func.min(WorkZone.id))).scalar()
        session.add(Shop(zone_id=zone_id, name=name, category=SHOP_CATEGORIES[0], staff=2))


def test_a_write_moves_only_the_lines_whose_tables_it_wrote(engine, territory):
    before = db.line_versions(engine)
    save_checkpoint_days("super1", TODAY, [day_row(_checkpoint(engine))], today=TODAY)  # checkpoint_day + audit_log
    after = db.line_versions(engine)
    assert {line for line in versions.LINES if after[line] != before[line]} == {"traffic"}
    assert after["traffic"] == before["traffic"] + 1
    assert db.data_version(engine) == sum(after.values())


def test_a_save_rebuilds_the_reads_of_its_line_and_keeps_the_others(engine, territory):
    assert data.read(traffic_total) == 0 and data.read(shop_count) == 0 and data.read(zone_names) == ["一区", "二区"]
    assert runs == {"traffic_total": 1, "shop_count": 1, "zone_names": 1}  # learning its lines cost no second run
    data.read(traffic_total), data.read(shop_count), data.read(zone_names)
    assert runs == {"traffic_total": 1, "shop_count": 1, "zone_names": 1}

    _add_shop(engine, "新店")
    assert data.read(shop_count) == 1
    assert data.read(traffic_total) == 0 and data.read(zone_names) == ["一区", "二区"]
    assert runs == {"traffic_total": 1, "shop_count": 2, "zone_names": 1}

    save_checkpoint_days("super1", TODAY, [day_row(_checkpoint(engine), vehicles=7)], today=TODAY)
    assert data.read(traffic_total) == 7 and data.read(shop_count) == 1
    assert runs == {"traffic_total": 2, "shop_count": 2, "zone_names": 1}


def test_a_change_to_the_shared_territory_reaches_every_read_that_names_it(engine, territory):
    data.read(zone_names), data.read(shop_count)
    with db.write_session(engine) as session:
        session.execute(sa.update(WorkZone).where(WorkZone.code == "Z1").values(name="东区"))
    assert data.read(zone_names) == ["东区", "二区"]
    data.read(shop_count)
    assert runs == {"zone_names": 2, "shop_count": 1}


def test_raw_sql_naming_no_known_table_counts_as_every_line(engine, territory):
    before = db.line_versions(engine)
    with db.write_session(engine) as session:
        session.execute(sa.text("UPDATE shop SET staff = staff"))  # a known target: shops only
    middle = db.line_versions(engine)
    assert {line for line in versions.LINES if middle[line] != before[line]} == {"shops"}
    assert versions.lines_written("TRUNCATE shop") == set(versions.LINES)
    assert versions.lines_of("SELECT 1") == set(versions.LINES)
    assert versions.lines_of("SELECT count(*) FROM audit_log") == set(versions.LINES)  # moves with every save
    assert versions.lines_of("BEGIN") == set() and versions.lines_written("SELECT * FROM shop FOR UPDATE") == set()


def test_a_write_that_changes_nothing_moves_no_version(engine, territory):
    before = db.line_versions(engine)
    with db.write_session(engine) as session:
        session.execute(sa.select(Shop.id)).all()
    assert db.line_versions(engine) == before


def test_a_failed_write_moves_no_version(engine, territory):
    before = db.line_versions(engine)
    with pytest.raises(RuntimeError):
        with db.write_session(engine) as session:
            session.execute(sa.update(Shop).values(staff=1))
            raise RuntimeError("the clerk's form was refused")
    assert db.line_versions(engine) == before


def test_a_chart_spec_follows_its_read_s_lines(engine, territory):
    from ui.charts import inspections as inspection_charts
    from ui.i18n import t

    _add_shop(engine, "一店")
    spec = data.chart_spec(inspection_charts.days_since_chart, shop_points, (), label=t)
    save_checkpoint_days("super1", TODAY, [day_row(_checkpoint(engine))], today=TODAY)
    assert data.chart_spec(inspection_charts.days_since_chart, shop_points, (), label=t) == spec
    assert runs["shop_points"] == 1  # a traffic save left the shop chart's data alone
    _add_shop(engine, "二店")
    assert data.chart_spec(inspection_charts.days_since_chart, shop_points, (), label=t) != spec
    assert runs["shop_points"] == 2


@_counted
def shop_points() -> pd.DataFrame:
    frame = db.read_frame(sa.select(Shop.name, Shop.staff.label("days_since")).order_by(Shop.name))
    frame["overdue"] = False
    return frame


def test_two_lines_save_at_once_without_waiting_for_each_other(engine, territory, backend):
    """PostgreSQL: a shop save holding its version row does not hold up a checkpoint save (SQLite has one
    writer at a time by design, so there the second save waits its turn)."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises every write transaction (BEGIN IMMEDIATE); nothing to show")
    bumped, release = threading.Event(), threading.Event()

    def hold_a_shop_save():
        with db.write_session(engine) as session:
            session.execute(sa.update(Shop).values(staff=Shop.staff))
            versions.bump(session, {"shops"})  # its version row is now locked until it commits
            bumped.set()
            release.wait(20)

    _add_shop(engine, "三店")
    holder = threading.Thread(target=hold_a_shop_save)
    holder.start()
    try:
        assert bumped.wait(10)
        started = time.perf_counter()
        save_checkpoint_days("super1", TODAY, [day_row(_checkpoint(engine), vehicles=3)], today=TODAY)
        assert time.perf_counter() - started < 2  # not the 8 s lock wait
    finally:
        release.set()
        holder.join(20)


def test_each_read_in_the_app_learns_a_bounded_set_of_lines(demo_engine, monkeypatch):
    """The pages' reads name their tables: none learns 'every line' by reading SQL that names no table.
    (Reads of the audit log do depend on every line.)"""
    from tests.apptest_helpers import open_in
    monkeypatch.setattr(data, "_learned", versions.Learned())  # only what these pages learn, whatever ran before
    for page in ("pages/traffic.py", "pages/shops.py", "pages/reopening.py", "pages/audit_log.py"):
        open_in("supervisor", page, "zh")
    learned = data._learned._lines
    labelled = ("ui.audit_view", "labelled")  # the audit log page's lines, labelled once per version
    everything = {key for key, lines in learned.items()
                  if lines == versions.ALL and key[0] != "data_access.audit" and key != labelled}
    assert learned and not everything, everything
    assert learned[("data_access.shops", "summary")] <= {"shops", "territory", "settings"}
    assert learned[labelled] == versions.ALL  # every save writes the audit log


@_counted
def audit_rows() -> int:
    from data_access.models import AuditLog

    return int(db.read_frame(sa.select(sa.func.count().label("n")).select_from(AuditLog)).n[0])


def test_a_read_of_the_audit_log_sees_every_line_s_save(engine, territory):
    first = data.read(audit_rows)
    _add_shop(engine, "四店")  # a save that writes no audit row still moves a line: the read reruns
    save_checkpoint_days("super1", TODAY, [day_row(_checkpoint(engine))], today=TODAY)
    assert data.read(audit_rows) > first and runs["audit_rows"] == 2


def test_every_table_has_a_line_or_is_named_as_having_none():
    from data_access.models import Base

    tables = set(Base.metadata.tables)
    assert tables - set(versions.LINE_OF_TABLE) - versions.UNVERSIONED == set()
    assert set(versions.LINE_OF_TABLE) - tables == set()  # no stale names either


def test_two_writers_on_a_line_with_no_version_row_yet_both_save(engine, backend):
    """A line newer than the database's rows (a fresh deployment's first saves on it): the second writer
    waits for the first's row and moves it on, instead of failing on a duplicate key."""
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM line_version WHERE line = 'duty'"))
    if backend == "sqlite":  # one writer at a time: in turn, the second finds the row
        for _ in range(2):
            with db.write_session(engine) as session:
                versions.bump(session, {"duty"})
    else:
        first_in, release, failures = threading.Event(), threading.Event(), []

        def first():
            with db.write_session(engine) as session:
                versions.bump(session, {"duty"})  # inserts the row, holds it until commit
                first_in.set()
                release.wait(20)

        def second():
            try:
                with db.write_session(engine) as session:
                    versions.bump(session, {"duty"})
            except Exception as error:  # noqa: BLE001 - the failure is what the test looks for
                failures.append(error)

        one = threading.Thread(target=first)
        one.start()
        assert first_in.wait(10)
        two = threading.Thread(target=second)
        two.start()
        time.sleep(0.5)  # the second is now waiting on the first's row
        release.set()
        one.join(20)
        two.join(20)
        assert not failures, failures
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version FROM line_version WHERE line = 'duty'")).scalar() == 2
