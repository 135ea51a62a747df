"""Issue 9: charts over long ranges (a typo row dated 1920, a 431-day season) on SQLite and PostgreSQL.

Every per-day series a chart draws is summed into days, weeks, months or years by the range's
length, so a chart never meets Altair's 5,000-row limit; sums stay exact at every grain and the
headline figures (totals, busiest day) never depend on it.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import reopening, traffic, traffic_totals
from data_access.db import write_session
from data_access.demo import DEMO_AS_OF, DEMO_START
from data_access.filters import Filters
from data_access.models import CheckpointDay, Site
from ui.charts import reopening as reopening_charts
from ui.charts import traffic as traffic_charts

TYPO_DAY = dt.date(1920, 2, 25)  # a legacy upload's typo for 2020-02-25
TYPO_VEHICLES, TYPO_PERSONS = 123, 245
LONG_SEASON_END = DEMO_START + dt.timedelta(days=430)  # 431 days of reports at the 12 road checkpoints
ALTAIR_MAX_ROWS = 5_000
DEMO_VEHICLES, DEMO_PERSONS, DEMO_BUSIEST = 15_294, 28_225, 1_656


# ---- builders (the page and browser tests use them too) --------------------------------------------

def road_checkpoints(engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.scalars(sa.select(Site.id).where(Site.kind == "checkpoint", Site.checkpoint_type == "road")
                                 .order_by(Site.id)))


def add_typo_row(engine) -> None:
    """One checkpoint_day row dated 1920-02-25, written straight to the table as a legacy upload left it."""
    site_id = road_checkpoints(engine)[0]
    with write_session(engine) as session:  # bumps the data version, as any write does
        session.add(CheckpointDay(site_id=site_id, day=TYPO_DAY, vehicles=TYPO_VEHICLES, persons=TYPO_PERSONS,
                                  persons_from_outside=0, turned_back=0, abnormal_temperature=0, version=1,
                                  updated_by="legacy_upload"))


def long_season_rows(site_ids: list[int], first: dt.date, last: dt.date) -> list[dict]:
    rows = []
    for k, site_id in enumerate(site_ids):
        for n in range((last - first).days + 1):
            vehicles = 40 + (7 * k + 3 * n) % 61
            rows.append(dict(site_id=site_id, day=first + dt.timedelta(days=n), vehicles=vehicles,
                             persons=2 * vehicles, persons_from_outside=n % 3, turned_back=k % 2,
                             abnormal_temperature=0, corrected=False, version=1, updated_by="season"))
    return rows


def add_long_season(engine) -> int:
    """The demo's 12 road checkpoints go on reporting until 431 days after the demo's first day
    (12 x 431 = 5,172 rows in all); returns the vehicles added."""
    rows = long_season_rows(road_checkpoints(engine), DEMO_AS_OF + dt.timedelta(days=1), LONG_SEASON_END)
    with write_session(engine) as session:
        session.execute(sa.insert(CheckpointDay), rows)
        traffic_totals.rebuild(session)  # rows written around the write path: their totals too
    return sum(r["vehicles"] for r in rows)


def sql_totals(engine, start: dt.date, end: dt.date) -> tuple[int, int]:
    with engine.connect() as conn:
        return tuple(conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(CheckpointDay.vehicles), 0),
                      sa.func.coalesce(sa.func.sum(CheckpointDay.persons), 0))
            .join(Site, Site.id == CheckpointDay.site_id)
            .where(Site.checkpoint_type == "road", CheckpointDay.day.between(start, end))).one())


def span(start: dt.date, end: dt.date = DEMO_AS_OF) -> Filters:
    return Filters(start=start, end=end)


# ---- the grain ----------------------------------------------------------------------------------

@pytest.mark.parametrize("days, expected", [(1, "day"), (31, "day"), (92, "day"), (93, "week"), (431, "week"),
                                            (731, "week"), (732, "month"), (3653, "month"), (3654, "year"),
                                            (36_526, "year")])
def test_grain_follows_the_range_length(days, expected):
    from data_access import grain

    end = dt.date(2020, 2, 25)
    assert grain.grain_for(end - dt.timedelta(days=days - 1), end) == expected


def test_period_starts_are_mondays_first_days_and_new_years():
    from data_access import grain

    day = dt.date(2020, 2, 26)  # a Wednesday
    assert grain.period_start(day, "day") == day
    assert grain.period_start(day, "week") == dt.date(2020, 2, 24)
    assert grain.period_start(day, "month") == dt.date(2020, 2, 1)
    assert grain.period_start(day, "year") == dt.date(2020, 1, 1)
    assert grain.periods(dt.date(2020, 2, 26), dt.date(2020, 3, 9), "week") == [
        dt.date(2020, 2, 24), dt.date(2020, 3, 2), dt.date(2020, 3, 9)]


@pytest.mark.parametrize("start, expected", [(DEMO_START, "day"), (dt.date(2019, 6, 1), "week"),
                                             (dt.date(2016, 1, 1), "month"), (TYPO_DAY, "year")])
def test_each_read_draws_at_the_ranges_grain(demo_engine, start, expected):
    filters = span(start)
    for frame in (traffic.daily(filters, demo_engine), traffic.daily_by_checkpoint(filters, engine=demo_engine),
                  reopening.daily(filters, engine=demo_engine)):
        assert set(frame["grain"]) == {expected}
    frame = traffic.daily(filters, demo_engine)
    assert frame["day"].iloc[0] <= start and frame["day"].iloc[-1] <= DEMO_AS_OF  # each period's first day
    if expected == "day":
        assert len(frame) == 25 and "vehicles_7d" in frame
    else:  # a 7-day average means nothing per month: the per-day average of each period instead
        assert "vehicles_7d" not in frame and "vehicles_per_day" in frame


# ---- sums stay exact at every grain ------------------------------------------------------------------

@pytest.mark.parametrize("start, expected", [(DEMO_START, "day"), (dt.date(2019, 6, 1), "week"),
                                             (dt.date(2016, 1, 1), "month"), (TYPO_DAY, "year")])
def test_totals_equal_at_every_grain(demo_engine, start, expected):
    filters = span(start)
    frame = traffic.daily(filters, demo_engine)
    assert set(frame["grain"]) == {expected}
    assert (int(frame["vehicles"].sum()), int(frame["persons"].sum())) == (DEMO_VEHICLES, DEMO_PERSONS)
    cells = traffic.daily_by_checkpoint(filters, engine=demo_engine)
    assert int(cells["vehicles"].sum()) == DEMO_VEHICLES  # the demo's 12 checkpoints are all in the top 15
    summary = traffic.summary(filters, demo_engine)
    assert summary["totals"]["vehicles"] == DEMO_VEHICLES and summary["busiest_vehicles"] == DEMO_BUSIEST
    steps = reopening.daily(filters, engine=demo_engine)
    assert int(steps["approvals"].sum()) == int(reopening.daily(span(DEMO_START), engine=demo_engine)["approvals"].sum())
    assert steps.iloc[-1]["employees"] == 4_892 and steps.iloc[-1]["working"] == 69  # the running totals' last value


def test_partial_periods_at_both_ends_count_only_days_in_range(demo_engine):
    add_long_season(demo_engine)
    for start, end in [(dt.date(2020, 2, 5), dt.date(2020, 9, 2)),  # weeks, cut on a Wednesday at both ends
                       (dt.date(2020, 2, 17), dt.date(2022, 1, 9))]:  # months, ending after the data
        filters = span(start, end)
        frame = traffic.daily(filters, demo_engine)
        assert (int(frame["vehicles"].sum()), int(frame["persons"].sum())) == sql_totals(demo_engine, start, end)
        assert int(frame["days"].sum()) == filters.days()
        per_checkpoint = traffic.daily_by_checkpoint(filters, engine=demo_engine)
        assert int(per_checkpoint["vehicles"].sum()) == sql_totals(demo_engine, start, end)[0]


def test_running_totals_carry_over_empty_periods(demo_engine):
    frame = reopening.daily(span(dt.date(2018, 1, 1), dt.date(2020, 12, 31)), engine=demo_engine)
    assert set(frame["grain"]) == {"month"} and len(frame) == 36
    before = frame[frame["day"] < dt.date(2020, 2, 1)]
    assert (before["employees"] == 0).all() and (before["approvals"] == 0).all()
    after = frame[frame["day"] >= dt.date(2020, 3, 1)]
    assert (after["employees"] == 4_892).all() and (after["working"] == 69).all()


# ---- a range of a hundred years: bounded frames, charts that draw, exact headline figures -------------

def test_a_century_long_range_gives_bounded_frames_and_charts(demo_engine):
    add_typo_row(demo_engine)
    filters = span(TYPO_DAY)
    assert filters.days() == 36_526
    frame = traffic.daily(filters, demo_engine)
    assert len(frame) == 101  # 1920 … 2020
    assert (int(frame["vehicles"].sum()), int(frame["persons"].sum())) == (DEMO_VEHICLES + TYPO_VEHICLES,
                                                                          DEMO_PERSONS + TYPO_PERSONS)
    cells = traffic.daily_by_checkpoint(filters, engine=demo_engine)
    assert len(cells) <= 2 * 12 and int(cells["vehicles"].sum()) == DEMO_VEHICLES + TYPO_VEHICLES
    steps = reopening.daily(filters, engine=demo_engine)
    assert len(steps) == 101
    for chart in (traffic_charts.daily_trend(frame, "vehicles", "车辆", "7日均值", "年份"),
                  traffic_charts.checkpoint_heatmap(cells, "车辆", "年份", "卡口"),
                  reopening_charts.over_time(steps, "批复", "员工", "年份")):
        chart.to_dict()  # Altair refuses more than 5,000 rows here
    summary = traffic.summary(filters, demo_engine)
    assert summary["days"] == 36_526
    assert summary["totals"]["vehicles"] == DEMO_VEHICLES + TYPO_VEHICLES
    assert summary["busiest_vehicles"] == DEMO_BUSIEST  # still a day, not a year
    assert summary["busiest_day"] == demo_busiest_day(demo_engine)
    assert summary["today"]["vehicles"] == sql_totals(demo_engine, DEMO_AS_OF, DEMO_AS_OF)[0]


def demo_busiest_day(engine) -> dt.date:
    with engine.connect() as conn:
        return conn.execute(sa.select(CheckpointDay.day).group_by(CheckpointDay.day)
                            .order_by(sa.func.sum(CheckpointDay.vehicles).desc()).limit(1)).scalar_one()


def test_the_12_by_431_season_fits_every_chart(demo_engine):
    added = add_long_season(demo_engine)
    filters = span(DEMO_START, LONG_SEASON_END)
    assert filters.days() == 431
    frame = traffic.daily(filters, demo_engine)
    assert set(frame["grain"]) == {"week"} and len(frame) <= 63
    assert int(frame["vehicles"].sum()) == DEMO_VEHICLES + added
    cells = traffic.daily_by_checkpoint(filters, engine=demo_engine)
    assert cells["name"].nunique() == 12 and len(cells) == 12 * len(frame)
    spec = traffic_charts.checkpoint_heatmap(cells, "Vehicles", "Week of", "Checkpoint").to_dict()
    assert sum(len(rows) for rows in spec.get("datasets", {}).values()) < ALTAIR_MAX_ROWS
    traffic_charts.daily_trend(frame, "persons", "Persons", "per day", "Week of").to_dict()
    summary = traffic.summary(filters, demo_engine)
    assert summary["busiest_vehicles"] == DEMO_BUSIEST and summary["days"] == 431
    assert summary["totals"]["vehicles"] == DEMO_VEHICLES + added


def test_the_heat_map_keeps_under_the_limit_however_many_periods(demo_engine):
    """A range of 421 years with a report in every year at each of the 12 checkpoints would be
    5,052 cells: the heat map keeps fewer checkpoints (the page says how many it shows)."""
    site_ids = road_checkpoints(demo_engine)
    rows = [row for year in range(1800, 2221) if year != 2020
            for row in long_season_rows(site_ids, dt.date(year, 1, 1), dt.date(year, 1, 1))]
    with write_session(demo_engine) as session:
        session.execute(sa.insert(CheckpointDay), rows)
        traffic_totals.rebuild(session)  # rows written around the write path: their totals too
    filters = span(dt.date(1800, 1, 1), dt.date(2220, 12, 31))
    periods = len(traffic.daily(filters, demo_engine))
    cells = traffic.daily_by_checkpoint(filters, engine=demo_engine)
    assert periods == 421 and 0 < len(cells) <= ALTAIR_MAX_ROWS and cells["name"].nunique() < 12
    traffic_charts.checkpoint_heatmap(cells, "Vehicles", "Year", "Checkpoint").to_dict()


def test_short_ranges_are_unchanged(demo_engine):
    frame = traffic.daily(span(dt.date(2020, 2, 10), dt.date(2020, 2, 16)), demo_engine)
    assert list(frame["day"]) == [dt.date(2020, 2, 10) + dt.timedelta(days=k) for k in range(7)]
    expected = frame["vehicles"].rolling(7, min_periods=1).mean().round(1)
    assert frame["vehicles_7d"].tolist() == expected.tolist()
    assert isinstance(frame, pd.DataFrame) and set(frame["grain"]) == {"day"}


# ---- other charts that grow with the data ----------------------------------------------------------

def test_findings_by_owner_folds_the_long_tail_into_one_named_bar():
    """2,000 owners with open findings (6,000 rows) would pass Altair's limit: the chart keeps the
    owners with most findings and one bar for the rest, saying how many, with every finding counted."""
    from ui.i18n import translator
    from ui.charts.inspections import MAX_OWNERS, findings_by_owner_chart

    frame = pd.DataFrame([{"owner": f"owner{k:04d}", "age": age, "open": 1 + (k % 3 == 0), "past_due": 0}
                          for k in range(2_000) for age in ("0-2", "3-6", "7+")])
    spec = findings_by_owner_chart(frame, translator("en")).to_dict()
    rows = next(iter(spec["datasets"].values()))
    owners = spec["encoding"]["y"]["sort"]  # bar order: most findings first, the folded bar last
    assert len(owners) == MAX_OWNERS and owners[-1] == f"{2_000 - MAX_OWNERS + 1} other owners"
    assert {row["owner"] for row in rows} == set(owners) and len(rows) <= 3 * MAX_OWNERS
    assert sum(row["open"] for row in rows) == int(frame["open"].sum())
