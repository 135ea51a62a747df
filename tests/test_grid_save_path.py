"""The grid save's shortcuts (issue 14) decide exactly what the general functions decide: the account
read through Core, the settings read in one statement, the Core write transaction, and the totals a
save adds to instead of recomputing them."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, update

from data_access import auth, clock, db, territory, traffic_entry, traffic_totals
from data_access.demo import DEMO_AS_OF
from data_access.errors import PermissionDenied, SaveFailed
from data_access.models import Setting, Site, User
from tests.helpers import day_row


def test_the_account_read_inside_a_write_is_the_account_reload_actor_sees(demo_engine):
    with demo_engine.connect() as conn:
        for name in ("clerk", "supervisor", "admin"):
            assert auth.load_actor(conn, name) == auth.reload_actor(name, demo_engine)
        with pytest.raises(PermissionDenied):
            auth.load_actor(conn, "nobody")


def test_a_disabled_account_is_refused_inside_a_write(demo_engine):
    with db.write_session(demo_engine) as session:
        session.execute(update(User).where(User.username == "clerk").values(active=False))
        with pytest.raises(PermissionDenied):
            auth.load_actor(session, "clerk")


def _season_and_clock(engine):
    with engine.connect() as conn:
        return traffic_entry._season_and_clock(conn)


@pytest.mark.parametrize("demo_clock", [True, False])
def test_the_saves_settings_read_equals_season_start_and_the_clock(demo_engine, monkeypatch, demo_clock):
    monkeypatch.delenv("DASHBOARD_NOW", raising=False)
    if not demo_clock:
        with db.write_session(demo_engine) as session:
            session.execute(update(Setting).where(Setting.key == "dataset").values(value="live"))
    season, reported_at = _season_and_clock(demo_engine)
    assert season == territory.season_start(demo_engine)
    expected = clock.as_utc(clock.now(demo_engine))
    if demo_clock:
        assert reported_at == expected
    else:  # the real clock: the same minute, or the next one
        assert dt.timedelta(0) <= reported_at - expected <= dt.timedelta(minutes=1)
    monkeypatch.setenv("DASHBOARD_NOW", "2020-02-20T10:15:30+08:00")
    assert _season_and_clock(demo_engine)[1] == clock.as_utc(clock.now(demo_engine))


def test_a_core_write_bumps_its_line_and_rolls_back_as_a_whole(demo_engine):
    before = db.line_versions(demo_engine)
    with db.write_connection(demo_engine) as conn:
        conn.execute(update(Setting.__table__).where(Setting.__table__.c.key == "dataset").values(value="demo"))
    after = db.line_versions(demo_engine)
    assert after["settings"] == before["settings"] + 1
    assert {k: v for k, v in after.items() if k != "settings"} == {k: v for k, v in before.items() if k != "settings"}
    with pytest.raises(RuntimeError):
        with db.write_connection(demo_engine) as conn:
            conn.execute(update(Setting.__table__).values(value="x"))
            raise RuntimeError("refused half-way")
    with demo_engine.connect() as conn:
        assert "x" not in conn.execute(select(Setting.value)).scalars().all()
    assert db.line_versions(demo_engine) == after


# ---- the totals a grid save adds to (traffic_totals.add) ---------------------------------------------

TODAY = DEMO_AS_OF + dt.timedelta(days=1)


def _in_step(engine) -> bool:
    with engine.connect() as conn:
        kept = set(conn.execute(select(*[traffic_totals.TOTAL.c[name] for name in ("day", "zone_id", *traffic_totals.COLUMNS)])))
        return bool(kept) and kept == set(conn.execute(traffic_totals._aggregate()))


def _road_checkpoint(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(Site.id).where(*traffic_totals.ROAD_CHECKPOINT).order_by(Site.id)).scalars().first()


def test_a_save_for_a_road_checkpoint_that_does_not_count_adds_nothing(demo_engine):
    site_id = _road_checkpoint(demo_engine)
    with db.write_session(demo_engine) as session:
        session.get(Site, site_id).active = False
    for day, version in ((TODAY, None), (DEMO_AS_OF, 1)):
        row = {**day_row(site_id, vehicles=777), "version": version}
        traffic_entry.save_checkpoint_days("supervisor", day, [row], reason="核对", today=TODAY)
        assert _in_step(demo_engine)


def test_a_site_change_waits_for_a_save_that_read_the_site(demo_engine, backend):
    """A save adds its figures to the totals of the zone its sites were in when it read them: a change of
    one of those sites (here: deactivated) must wait until the save commits, then recompute."""
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time (BEGIN IMMEDIATE)")
    site_id = _road_checkpoint(demo_engine)
    saving = demo_engine.connect()
    try:
        saving.begin()
        row = {"site_id": site_id, "day": TODAY, "version": None, **{n: 5 for n in traffic_entry.COUNT_FIELDS}}
        traffic_entry._apply(saving, "supervisor", [row], None, TODAY, True, dt.datetime.now(dt.timezone.utc))

        def deactivate():
            with db.write_session(demo_engine) as session:
                session.get(Site, site_id).active = False

        changing = threading.Thread(target=deactivate)
        changing.start()
        changing.join(timeout=1.0)
        assert changing.is_alive(), "the site changed while a save that counted it was still open"
        saving.commit()
        changing.join(timeout=30)
        assert not changing.is_alive()
    finally:
        saving.close()
    assert _in_step(demo_engine)


# ---- SQLite: the writers of one process take turns on a lock (db._writer_turn) ----------------------

def test_a_writer_waiting_for_its_turn_gives_up_as_busy(demo_engine, backend, monkeypatch):
    if backend != "sqlite":
        pytest.skip("PostgreSQL writers wait on row locks, not on one database lock")
    monkeypatch.setattr(db, "LOCK_WAIT_SECONDS", 0.2)
    holding, release, outcome = threading.Event(), threading.Event(), []

    def hold():
        with db.write_connection(demo_engine):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        with pytest.raises(SaveFailed) as refused:
            with db.write_connection(demo_engine):
                outcome.append("wrote")
        assert refused.value.kind == "busy" and not outcome
    finally:
        release.set()
        holder.join(10)
    with db.write_connection(demo_engine):  # the turn was handed back
        outcome.append("wrote")
    assert outcome == ["wrote"]
