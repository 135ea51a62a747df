"""Issue 9, item 8: rules across fields. A household is reached or unreachable, not both; a
phone check cannot find more problems than the employees it called."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data_access import community, reopening
from data_access.errors import ValidationError
from data_access.models import Enterprise, ReopeningStep, Site, SurveyRound

TODAY = dt.date(2020, 2, 26)
SURVEY = {"households_known": 100, "households_reached": 90, "people": 250, "people_from_outside": 3,
          "unreachable": 10, "utility_checked": 80, "lit_at_night": 2}


def a_village(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(Site.id).where(Site.kind == "village").order_by(Site.id).limit(1)).scalar_one()


def rounds(engine, site_id) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).where(SurveyRound.site_id == site_id)).scalar_one()


def test_reached_plus_unreachable_cannot_exceed_households_known(demo_engine):
    village = a_village(demo_engine)
    before = rounds(demo_engine, village)
    with pytest.raises(ValidationError) as refused:
        community.save_survey_round("supervisor", village, {**SURVEY, "unreachable": 11}, TODAY, today=TODAY,
                                    engine=demo_engine)
    assert [e.field for e in refused.value.errors] == ["unreachable"]
    error = refused.value.errors[0]
    assert "(101)" in error.en and "(100)" in error.en and "已知户数（100）" in error.zh
    assert rounds(demo_engine, village) == before
    community.save_survey_round("supervisor", village, SURVEY, TODAY, today=TODAY, engine=demo_engine)  # 90 + 10 = 100
    assert rounds(demo_engine, village) == before + 1


def test_each_figure_over_households_known_is_still_named_on_its_own(demo_engine):
    with pytest.raises(ValidationError) as refused:
        community.save_survey_round("supervisor", a_village(demo_engine), {**SURVEY, "households_reached": 101},
                                    TODAY, today=TODAY, engine=demo_engine)
    assert [e.field for e in refused.value.errors] == ["households_reached"]


def phone_ready(engine) -> tuple[int, int, dt.date]:
    """An enterprise whose next step can be the phone check: (id, version, day of its last step)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(Enterprise.id, Enterprise.version).where(
            Enterprise.status == "inspected_after", Enterprise.employees >= 5).order_by(Enterprise.id).limit(1)).one()
        last = conn.execute(sa.select(sa.func.max(ReopeningStep.day)).where(ReopeningStep.enterprise_id == row.id)).scalar_one()
    return row.id, row.version, last


def test_problems_found_cannot_exceed_employees_called(demo_engine):
    enterprise, version, last = phone_ready(demo_engine)
    day = max(last, dt.date(2020, 2, 25))
    with pytest.raises(ValidationError) as refused:
        reopening.record_step("supervisor", enterprise, "phone_verified", day, version, passed=False,
                              reason="多名员工未按要求测温", employees_called=5, problems_found=6, today=TODAY,
                              engine=demo_engine)
    assert [e.field for e in refused.value.errors] == ["problems_found"]
    assert refused.value.errors[0].en == "cannot exceed the employees called"
    assert refused.value.errors[0].zh == "不能超过核实员工数"
    result = reopening.record_step("supervisor", enterprise, "phone_verified", day, version, passed=True,
                                   employees_called=5, problems_found=1, today=TODAY, engine=demo_engine)
    assert result["status"] == "phone_verified"
