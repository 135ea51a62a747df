"""Issue 14: while no line of work has changed, a wall refresh redraws the session's last board
instead of asking the caches for each panel again; a write (any line), another minute or another
language reads the board again."""
from __future__ import annotations

import datetime as dt

from data_access import clock, db
from tests.apptest_helpers import app
from ui import data


def reads_counted(monkeypatch) -> list:
    calls = []
    real = data._cached_call
    monkeypatch.setattr(data, "_cached_call", lambda *args, **kwargs: calls.append(args[:2]) or real(*args, **kwargs))
    return calls


def test_a_refresh_without_a_write_redraws_the_last_board(demo_engine, monkeypatch):
    monkeypatch.setenv("DASHBOARD_NOW", clock.now(demo_engine).isoformat())  # the minute stays put
    at = app({"key": "demo-wall"})
    at.run()
    shown = [m.value for m in at.metric]
    calls = reads_counted(monkeypatch)
    at.run()
    assert not at.exception and calls == [] and [m.value for m in at.metric] == shown
    with db.write_session() as session:
        db.bump_all_lines(session)
    at.run()
    assert not at.exception and calls and [m.value for m in at.metric] == shown  # read again: the same figures
    calls.clear()
    monkeypatch.setenv("DASHBOARD_NOW", (clock.now(demo_engine) + dt.timedelta(minutes=1)).isoformat())
    at.run()
    assert not at.exception and calls  # another minute: what is due and late may have changed
