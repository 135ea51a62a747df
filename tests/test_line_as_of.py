"""Each line of work has its own "as of", and a range nobody chose follows new data (issue 10)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from data_access import territory, traffic_entry
from data_access.models import Site, WorkZone
from tests.apptest_helpers import rerun_router, signed_in

LAST, NEXT = dt.date(2020, 2, 25), dt.date(2020, 2, 26)


def save_next_day_for_z1(engine) -> None:
    with engine.connect() as conn:
        sites = conn.execute(sa.select(Site.id).join(WorkZone).where(
            WorkZone.code == "Z1", Site.checkpoint_type == "road")).scalars().all()
    traffic_entry.save_checkpoint_days("clerk", NEXT, [
        {"site_id": s, "version": None, "vehicles": 100, "persons": 180, "persons_from_outside": 2, "turned_back": 0,
         "abnormal_temperature": 0} for s in sites], engine=engine)


def test_a_new_traffic_day_moves_only_the_traffic_as_of(demo_engine):
    assert {line: territory.as_of(line, engine=demo_engine) for line in ("traffic", "reopening", "shops")} == \
        {"traffic": LAST, "reopening": LAST, "shops": LAST}
    save_next_day_for_z1(demo_engine)
    assert territory.as_of("traffic", engine=demo_engine) == NEXT
    assert territory.as_of("reopening", engine=demo_engine) == LAST
    assert territory.as_of("shops", engine=demo_engine) == LAST


def test_the_range_follows_new_data_for_a_signed_in_clerk(demo_engine):
    at = signed_in("clerk")
    assert at.session_state["filters"].end == LAST
    save_next_day_for_z1(demo_engine)
    rerun_router(at)
    assert at.session_state["filters"].end == NEXT  # the clerk who saved 02-26 sees 02-26
    assert "2020-02-26" in "".join(c.value for c in at.caption)
    at.switch_page("pages/reopening.py").run()
    assert not at.exception
    assert any("2020-02-25" in c.value for c in at.caption)  # reopening stays on its own day


def test_a_chosen_range_stays_and_offers_the_latest_day(demo_engine):
    at = signed_in("supervisor", query={"from": "2020-02-10", "to": "2020-02-20"})
    save_next_day_for_z1(demo_engine)
    rerun_router(at)
    assert at.session_state["filters"].end == dt.date(2020, 2, 20)
    jump = at.button(key="f_jump_latest")
    assert "2020-02-26" in jump.label
    jump.click()
    rerun_router(at)
    assert at.session_state["filters"].end == NEXT
    rerun_router(at)  # following again: nothing to offer
    assert not [b for b in at.button if b.key == "f_jump_latest"]
