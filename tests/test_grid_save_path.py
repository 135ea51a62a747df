"""The grid save's shortcuts (issue 14) decide exactly what the general functions decide: the account
read through Core, the settings read in one statement, and the Core write transaction."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from data_access import auth, clock, db, territory, traffic_entry
from data_access.errors import PermissionDenied
from data_access.models import Setting, User


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


@pytest.mark.parametrize("demo_clock", [True, False])
def test_the_saves_settings_read_equals_season_start_and_the_clock(demo_engine, monkeypatch, demo_clock):
    monkeypatch.delenv("DASHBOARD_NOW", raising=False)
    if not demo_clock:
        with db.write_session(demo_engine) as session:
            session.execute(update(Setting).where(Setting.key == "dataset").values(value="live"))
    season, reported_at = traffic_entry._season_and_clock(demo_engine)
    assert season == territory.season_start(demo_engine)
    expected = clock.as_utc(clock.now(demo_engine))
    if demo_clock:
        assert reported_at == expected
    else:  # the real clock: the same minute, or the next one
        assert dt.timedelta(0) <= reported_at - expected <= dt.timedelta(minutes=1)
    monkeypatch.setenv("DASHBOARD_NOW", "2020-02-20T10:15:30+08:00")
    assert traffic_entry._season_and_clock(demo_engine)[1] == clock.as_utc(clock.now(demo_engine))


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
