"""The demo data set, counted straight from the tables (SQLite and PostgreSQL).

Every figure the report states must come out exactly; everything around them must be coherent
(status follows the steps, stock never negative, surveys never reach more than they know, ...).
"""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from data_access import auth, db, demo, demo_geometry, reopening, schema
from data_access.models import (
    AuditLog, CheckpointDay, DisplayKey, Donation, Enterprise, Finding, Inspection, MealDay, ReopeningStep, Setting,
    Shop, Site, SupplyItem, SupplyMovement, SurveyRound, User, UserScope, WorkZone,
)

AS_OF = demo.DEMO_AS_OF
START = demo.DEMO_START
ALL_TABLES = (WorkZone, Site, CheckpointDay, Enterprise, ReopeningStep, Shop, SurveyRound, Inspection, Finding,
              SupplyItem, SupplyMovement, MealDay, Donation, User, UserScope, DisplayKey, Setting, AuditLog)


def scalar(engine, query):
    with engine.connect() as conn:
        return conn.execute(query).scalar_one()


def rows(engine, query):
    with engine.connect() as conn:
        return conn.execute(query).all()


def count(engine, model, *where) -> int:
    return scalar(engine, sa.select(sa.func.count()).select_from(model).where(*where))


def table_counts(engine) -> dict[str, int]:
    return {m.__tablename__: count(engine, m) for m in ALL_TABLES}


def road_checkpoints():
    return sa.select(Site.id).where(Site.kind == "checkpoint", Site.checkpoint_type == "road")


# ---- the split helper -------------------------------------------------------------------------------

def test_split_exact_hits_the_total_with_floors_and_caps():
    assert demo.split_exact(10, [1, 1, 1]) == [4, 3, 3]
    parts = demo.split_exact(4_892, [3.3, 0.1, 7.0, 2.2], floor=3)
    assert sum(parts) == 4_892 and min(parts) >= 3
    capped = demo.split_exact(17, [100, 1, 1, 1], caps=[2, 10, 10, 10])
    assert sum(capped) == 17 and capped[0] == 2
    assert demo.split_exact(5, [0, 0]) == [3, 2]
    with pytest.raises(ValueError):
        demo.split_exact(3, [1, 1], floor=2)


# ---- the territory ----------------------------------------------------------------------------------

def test_zones_villages_compounds_and_checkpoints(demo_engine):
    assert count(demo_engine, WorkZone) == 6
    assert sorted(scalar_list(demo_engine, sa.select(WorkZone.code))) == [f"Z{k}" for k in range(1, 7)]
    per_zone = dict(rows(demo_engine, sa.select(Site.zone_id, sa.func.count()).where(Site.kind == "village")
                         .group_by(Site.zone_id)))
    assert len(per_zone) == 6 and all(4 <= n <= 7 for n in per_zone.values()) and sum(per_zone.values()) == 34
    assert count(demo_engine, Site, Site.kind == "village") == 34
    assert count(demo_engine, Site, Site.kind == "compound") == 14
    assert count(demo_engine, Site, Site.kind == "compound", Site.has_property_management.is_(False)) == 7
    assert count(demo_engine, Site, Site.kind == "compound", Site.lead_cadre.is_(None)) == 0
    assert count(demo_engine, Site, Site.kind == "compound", sa.not_(Site.staff_on_duty.between(1, 3))) == 0
    # two road checkpoints per zone, on the report's roads
    road = rows(demo_engine, sa.select(Site.zone_id, Site.road).where(Site.id.in_(road_checkpoints())))
    assert len(road) == 12 and all(n == 2 for n in _tally(z for z, _ in road).values())
    assert {"中古线", "802省道"} <= {r for _, r in road} and all(r for _, r in road)
    # one checkpoint per village, in the village's zone
    village_cps = rows(demo_engine, sa.select(Site.parent_site_id, Site.zone_id, Site.kind)
                       .where(Site.checkpoint_type == "village"))
    villages = dict(rows(demo_engine, sa.select(Site.id, Site.zone_id).where(Site.kind == "village")))
    assert len(village_cps) == 34 and {p for p, _, _ in village_cps} == set(villages)
    assert all(villages[p] == z and kind == "checkpoint" for p, z, kind in village_cps)
    names = scalar_list(demo_engine, sa.select(Site.name))
    assert len(names) == len(set(names))  # names are unique: a GeoJSON upload matches by name


def scalar_list(engine, query) -> list:
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def _tally(values) -> dict:
    out: dict = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def test_every_area_has_a_polygon_inside_its_zone_and_every_site_a_point(demo_engine):
    zones = {zid: json.loads(g)["coordinates"][0] for zid, g in rows(demo_engine, sa.select(WorkZone.id, WorkZone.geometry))}
    sites = rows(demo_engine, sa.select(Site.id, Site.kind, Site.zone_id, Site.lon, Site.lat, Site.geometry,
                                        Site.parent_site_id, Site.checkpoint_type))
    by_id = {s.id: s for s in sites}
    for s in sites:
        assert demo_geometry.LON_WEST - 0.01 <= s.lon <= demo_geometry.LON_EAST + 0.01
        assert demo_geometry.LAT_SOUTH - 0.01 <= s.lat <= demo_geometry.LAT_NORTH + 0.01
        if s.kind in ("village", "compound"):
            geometry = json.loads(s.geometry)
            ring = geometry["coordinates"][0]
            assert geometry["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) >= 5
            assert all(demo_geometry.contains(zones[s.zone_id], tuple(p)) for p in ring[:-1])
            assert demo_geometry.contains(ring, (s.lon, s.lat))
        elif s.checkpoint_type == "village":
            parent = by_id[s.parent_site_id]
            assert (s.lon, s.lat) == (parent.lon, parent.lat)
    # areas of one zone never overlap: no corner of one lies inside another
    areas = [(s.zone_id, json.loads(s.geometry)["coordinates"][0]) for s in sites if s.geometry]
    for i, (zone_a, ring_a) in enumerate(areas):
        for zone_b, ring_b in areas[i + 1:]:
            if zone_a == zone_b:
                assert not any(demo_geometry.contains(ring_b, tuple(p)) for p in ring_a[:-1])
                assert not any(demo_geometry.contains(ring_a, tuple(p)) for p in ring_b[:-1])
    # zones tile the box without overlapping: every point of it (clear of the jittered outer edge) is in one zone
    margin = demo_geometry.NODE_JITTER + 0.001
    west, south = demo_geometry.LON_WEST + margin, demo_geometry.LAT_SOUTH + margin
    width, height = demo_geometry.LON_EAST - margin - west, demo_geometry.LAT_NORTH - margin - south
    for i in range(61):
        for j in range(41):
            point = (west + width * i / 60.3, south + height * j / 40.3)
            assert sum(demo_geometry.contains(ring, point) for ring in zones.values()) == 1, point


# ---- road checkpoint traffic ---------------------------------------------------------------------

def test_traffic_totals_and_busiest_day(demo_engine):
    totals = rows(demo_engine, sa.select(sa.func.sum(CheckpointDay.vehicles), sa.func.sum(CheckpointDay.persons)))[0]
    assert tuple(totals) == (15_294, 28_225)
    daily = dict(rows(demo_engine, sa.select(CheckpointDay.day, sa.func.sum(CheckpointDay.vehicles))
                      .group_by(CheckpointDay.day)))
    assert sorted(daily) == [START + dt.timedelta(days=k) for k in range(25)]
    assert max(daily.values()) == 1_656 and list(daily.values()).count(1_656) == 1
    closed = [v for d, v in daily.items() if d < dt.date(2020, 2, 10)]
    reopened = [v for d, v in daily.items() if d >= dt.date(2020, 2, 10)]
    assert all(60 <= v <= 150 for v in closed)
    assert 850 <= sum(reopened) / len(reopened) <= 950  # "about 900 vehicles a day"


def test_only_road_checkpoints_report_every_day(demo_engine):
    assert count(demo_engine, CheckpointDay) == 12 * 25
    assert count(demo_engine, CheckpointDay, CheckpointDay.site_id.not_in(road_checkpoints())) == 0
    per_site = rows(demo_engine, sa.select(CheckpointDay.site_id, sa.func.count(), sa.func.min(CheckpointDay.day),
                                           sa.func.max(CheckpointDay.day)).group_by(CheckpointDay.site_id))
    assert len(per_site) == 12 and all((n, first, last) == (25, START, AS_OF) for _, n, first, last in per_site)
    C = CheckpointDay
    assert count(demo_engine, C, sa.or_(C.persons < C.vehicles, C.persons_from_outside > C.persons,
                                        C.turned_back > C.persons, C.abnormal_temperature > C.persons)) == 0
    assert 0 < scalar(demo_engine, sa.select(sa.func.sum(C.abnormal_temperature))) <= 5  # very rare
    assert count(demo_engine, C, C.version != 1) == 0 and count(demo_engine, C, C.updated_by.is_(None)) == 0


# ---- enterprises and reopening --------------------------------------------------------------------------

WORKING = ("approved", "inspected_after", "phone_verified", "resumed")


def test_enterprise_figures(demo_engine):
    E = Enterprise
    assert count(demo_engine, E) == 119 and count(demo_engine, E, E.above_size.is_(True)) == 24
    working = E.status.in_(WORKING)
    figures = rows(demo_engine, sa.select(sa.func.count(), sa.func.sum(sa.case((E.above_size.is_(True), 1), else_=0)),
                                          sa.func.sum(E.employees), sa.func.sum(E.employees_from_outside)).where(working))[0]
    assert tuple(figures) == (69, 22, 4_892, 164)
    assert set(scalar_list(demo_engine, sa.select(E.department).distinct())) == {"econ_dev", "investment", "safety"}
    assert count(demo_engine, E, sa.or_(E.owner.is_(None), E.owner_backup.is_(None), E.owner == E.owner_backup)) == 0
    assert count(demo_engine, E, E.employees_from_outside > E.employees) == 0
    statuses = dict(rows(demo_engine, sa.select(E.status, sa.func.count()).group_by(E.status)))
    assert 2 <= statuses.get("suspended", 0) <= 3 and 2 <= statuses.get("refused", 0) <= 3
    assert 1 <= statuses.get("resumed", 0) <= 2  # resumed counts among the 69
    assert statuses.get("not_applied", 0) > 0
    for status in ("applied", "inspected_before", "letters_signed"):
        assert statuses.get(status, 0) > 0


def test_steps_follow_the_process_and_the_dates(demo_engine):
    S, E = ReopeningStep, Enterprise
    first, last = rows(demo_engine, sa.select(sa.func.min(S.day), sa.func.max(S.day)))[0]
    assert first >= dt.date(2020, 2, 8) and last <= AS_OF
    assert count(demo_engine, S, S.step != "applied", S.day < dt.date(2020, 2, 10)) == 0
    # not applied: no steps; everyone else starts with an application
    assert count(demo_engine, E, E.status == "not_applied", E.id.in_(sa.select(S.enterprise_id))) == 0
    assert count(demo_engine, E, E.status_since.is_(None), E.status != "not_applied") == 0
    # every refusal and suspension carries its reason; checks carry a result; phone calls a count
    assert count(demo_engine, S, S.step.in_(("refused", "suspended")), S.reason.is_(None)) == 0
    assert count(demo_engine, S, S.step.in_(reopening.CHECKS), S.passed.is_(None)) == 0
    assert count(demo_engine, S, S.step == "phone_verified", sa.or_(S.employees_called < 1, S.problems_found.is_(None))) == 0
    # every working enterprise was approved; suspended ones are not among the 69
    approved = sa.select(S.enterprise_id).where(S.step == "approved")
    assert count(demo_engine, E, E.status.in_(WORKING), E.id.not_in(approved)) == 0
    assert count(demo_engine, E, E.status == "resumed", E.id.not_in(sa.select(S.enterprise_id).where(S.step == "suspended"))) == 0
    # a few cases stuck since mid-February at an early step
    stuck = count(demo_engine, E, E.status.in_(("applied", "letters_signed")), E.status_since <= dt.date(2020, 2, 15))
    assert 2 <= stuck <= 6


def test_stored_status_is_the_latest_step(demo_engine):
    S, E = ReopeningStep, Enterprise
    ranked = sa.select(S.enterprise_id, S.step, S.day, sa.func.row_number().over(
        partition_by=S.enterprise_id, order_by=(S.day.desc(), S.id.desc())).label("rn")).subquery()
    latest = sa.select(ranked.c.enterprise_id, ranked.c.step, ranked.c.day).where(ranked.c.rn == 1).subquery()
    stored = rows(demo_engine, sa.select(E.id, E.status, E.status_since, latest.c.step, latest.c.day)
                  .outerjoin(latest, latest.c.enterprise_id == E.id))
    assert len(stored) == 119
    for enterprise_id, status, since, step, day in stored:
        assert (status, since) == ((step, day) if step else ("not_applied", None)), enterprise_id
    # and it is what the reopening rules derive from the steps
    steps = [dict(r._mapping) for r in rows(demo_engine, sa.select(S.id, S.enterprise_id, S.step, S.day, S.passed))]
    for enterprise_id, status, since, _, _ in stored:
        mine = [s for s in steps if s["enterprise_id"] == enterprise_id]
        assert reopening.derive_status(mine) == (status, since), enterprise_id


# ---- shops ---------------------------------------------------------------------------------------------

def test_shop_figures(demo_engine):
    assert count(demo_engine, Shop) == 453
    opened = rows(demo_engine, sa.select(sa.func.count(), sa.func.sum(Shop.staff), sa.func.sum(Shop.staff_from_outside))
                  .where(Shop.is_open.is_(True)))[0]
    assert tuple(opened) == (58, 123, 17)
    assert count(demo_engine, Shop, Shop.staff_from_outside > Shop.staff) == 0
    assert count(demo_engine, Shop, Shop.is_open.is_(True), Shop.staff < 1) == 0
    assert count(demo_engine, Shop, Shop.is_open.is_(True), sa.not_(Shop.status_since.between(dt.date(2020, 2, 10), AS_OF))) == 0
    categories = dict(rows(demo_engine, sa.select(Shop.category, sa.func.count()).group_by(Shop.category)))
    assert set(categories) == {"supermarket", "pharmacy", "restaurant", "hotel", "grain_oil", "other"}
    assert len(scalar_list(demo_engine, sa.select(Shop.zone_id).distinct())) == 6


# ---- surveys -------------------------------------------------------------------------------------------

def _latest_rounds():
    latest = sa.select(SurveyRound.site_id, sa.func.max(SurveyRound.round_no).label("round_no")) \
        .where(SurveyRound.day <= AS_OF).group_by(SurveyRound.site_id).subquery()
    return sa.select(SurveyRound).join(latest, sa.and_(latest.c.site_id == SurveyRound.site_id,
                                                       latest.c.round_no == SurveyRound.round_no)).subquery()


def test_survey_figures_of_the_latest_rounds(demo_engine):
    last = _latest_rounds()
    totals = dict((kind, (hh, pp)) for kind, hh, pp in rows(demo_engine, sa.select(
        Site.kind, sa.func.sum(last.c.households_reached), sa.func.sum(last.c.people))
        .join(last, last.c.site_id == Site.id).group_by(Site.kind)))
    assert totals == {"village": (7_718, 11_222), "compound": (2_015, 5_276)}
    # two rounds per village and compound, the second reaching more
    assert count(demo_engine, SurveyRound) == 2 * 48
    R1, R2 = aliased(SurveyRound), aliased(SurveyRound)
    pairs = rows(demo_engine, sa.select(R1.households_reached, R2.households_reached, R1.day, R2.day)
                 .join(R2, sa.and_(R2.site_id == R1.site_id, R2.round_no == 2)).where(R1.round_no == 1))
    assert len(pairs) == 48 and all(a < b and d1 < d2 for a, b, d1, d2 in pairs)
    assert all(dt.date(2020, 1, 25) <= d1 <= dt.date(2020, 2, 5) and dt.date(2020, 2, 15) <= d2 <= dt.date(2020, 2, 24)
               for _, _, d1, d2 in pairs)


def test_survey_rows_are_coherent_and_coverage_varies(demo_engine):
    R = SurveyRound
    assert count(demo_engine, R, R.households_reached > R.households_known) == 0
    assert count(demo_engine, R, sa.or_(R.unreachable > R.households_known - R.households_reached,
                                        R.lit_at_night > R.unreachable, R.utility_checked > R.households_known,
                                        R.people_from_outside > R.people, R.people < R.households_reached)) == 0
    last = _latest_rounds()
    sites = rows(demo_engine, sa.select(Site.households_known, Site.people_known, last.c.households_known,
                                        last.c.households_reached, last.c.people).join(last, last.c.site_id == Site.id))
    assert len(sites) == 48
    assert all(known == round_known and people_known >= people for known, people_known, round_known, _, people in sites)
    coverage = [reached / known for _, _, known, reached, _ in sites]
    assert sum(c < 1 for c in coverage) >= 10  # several sites below 100%
    assert sum(c >= 0.9 for c in coverage) >= 40  # most at 90–100%
    assert sum(0.7 <= c < 0.85 for c in coverage) >= 2  # a couple well behind


# ---- inspections ----------------------------------------------------------------------------------------

def test_duty_points_inspected_every_two_days_with_some_overdue(demo_engine):
    duty = sa.select(Site.id).where(Site.kind.in_(("checkpoint", "compound")))
    assert count(demo_engine, Site, Site.id.in_(duty)) == 12 + 34 + 14
    last = dict(rows(demo_engine, sa.select(Inspection.site_id, sa.func.max(Inspection.day)).group_by(Inspection.site_id)))
    assert set(last) == set(scalar_list(demo_engine, duty))  # every duty point is visited
    overdue = [site for site, day in last.items() if day < AS_OF - dt.timedelta(days=2)]
    assert 1 <= len(overdue) <= 10
    first, final = rows(demo_engine, sa.select(sa.func.min(Inspection.day), sa.func.max(Inspection.day)))[0]
    assert (first, final) == (dt.date(2020, 2, 3), AS_OF)
    visits = count(demo_engine, Inspection)
    assert 60 * 9 <= visits <= 60 * 13  # about every two days from 3 to 25 February
    all_passed = sa.and_(Inspection.staff_at_post, Inspection.no_dereliction, Inspection.travellers_screened,
                         Inspection.publicity_posted)
    assert count(demo_engine, Inspection, sa.not_(all_passed)) / visits < 0.1  # most pass
    # a failed check always has a finding (the entry form's rule)
    assert count(demo_engine, Inspection, sa.not_(all_passed), Inspection.id.not_in(sa.select(Finding.inspection_id))) == 0


def test_findings_owners_deadlines_and_some_past_due(demo_engine):
    F = Finding
    total = count(demo_engine, F)
    assert 20 <= total <= 30
    assert count(demo_engine, F, F.owner.is_(None)) == 0
    raised_due = rows(demo_engine, sa.select(F.raised_on, F.due_on, F.fixed_on, F.fix_note))
    assert all(1 <= (due - raised).days <= 3 for raised, due, _, _ in raised_due)
    fixed = [(raised, due, on) for raised, due, on, note in raised_due if on is not None and note]
    assert len(fixed) == count(demo_engine, F, F.fixed_on.is_not(None))
    assert 0.55 <= len(fixed) / total <= 0.75
    assert any(on > due for _, due, on in fixed) and all(raised <= on <= AS_OF for raised, _, on in fixed)
    past_due_open = count(demo_engine, F, F.fixed_on.is_(None), F.due_on < AS_OF)
    assert past_due_open >= 1 and count(demo_engine, F, F.fixed_on.is_(None)) > past_due_open
    # findings sit at the visit's duty point, raised on the visit's day
    assert count(demo_engine, F, sa.not_(sa.exists().where(
        Inspection.id == F.inspection_id, Inspection.site_id == F.site_id, Inspection.day == F.raised_on))) == 0


# ---- supplies, meals, donations -------------------------------------------------------------------------

def test_stock_never_negative_and_some_below_threshold(demo_engine):
    M = SupplyMovement
    assert set(scalar_list(demo_engine, sa.select(SupplyItem.code))) == {
        "masks", "disinfectant", "thermometers", "gloves", "protective_suits"}
    assert count(demo_engine, M, M.quantity == 0) == 0
    assert count(demo_engine, M, sa.not_(M.day.between(START, AS_OF))) == 0
    running = sa.select(M.item_id, M.zone_id, sa.func.sum(M.quantity).over(
        partition_by=(M.item_id, M.zone_id), order_by=(M.day, M.id)).label("stock")).subquery()
    assert scalar(demo_engine, sa.select(sa.func.min(running.c.stock))) >= 0
    stock = sa.select(M.item_id, M.zone_id, sa.func.sum(M.quantity).label("stock")) \
        .where(M.day <= AS_OF).group_by(M.item_id, M.zone_id).subquery()
    low = rows(demo_engine, sa.select(stock.c.item_id, stock.c.zone_id, stock.c.stock)
               .join(SupplyItem, SupplyItem.id == stock.c.item_id).where(stock.c.stock < SupplyItem.low_threshold))
    assert 1 <= len(low) <= 2 and all(s > 0 for _, _, s in low)
    assert count(demo_engine, M, M.quantity > 0) > 0 and count(demo_engine, M, M.quantity < 0) > 0


def test_meals_every_day_and_donations(demo_engine):
    per_day = dict(rows(demo_engine, sa.select(MealDay.day, sa.func.sum(MealDay.meals)).group_by(MealDay.day)))
    assert len(per_day) == 25 and all(200 <= v <= 240 for v in per_day.values())
    assert count(demo_engine, MealDay) == 6 * 25
    assert 12 <= count(demo_engine, Donation) <= 18
    assert set(scalar_list(demo_engine, sa.select(Donation.kind).distinct())) == {"money", "goods", "meals"}
    assert count(demo_engine, Donation, sa.not_(Donation.day.between(START, AS_OF))) == 0


# ---- accounts, key, settings, loading -------------------------------------------------------------------

def test_demo_accounts_sign_in_and_the_wall_key_works(demo_engine):
    clerk = auth.authenticate("clerk", "demo", demo_engine)
    assert clerk is not None and clerk.role == "clerk" and len(clerk.zone_ids) == 1
    z1 = scalar(demo_engine, sa.select(WorkZone.id).where(WorkZone.code == "Z1"))
    assert clerk.zone_ids == {z1}
    for username in ("admin", "supervisor", "viewer"):
        actor = auth.authenticate(username, "demo", demo_engine)
        assert actor is not None and actor.role == username and not actor.zone_ids
    assert auth.authenticate("clerk", "wrong", demo_engine) is None
    assert count(demo_engine, User, User.is_demo.is_(False)) == 0
    display = auth.check_display_key("demo-wall", demo_engine)
    assert display is not None and display.label == "指挥部大屏" and display.zone_id is None
    assert count(demo_engine, DisplayKey, DisplayKey.is_demo.is_(False)) == 0


def test_settings_flag_and_audit(demo_engine):
    settings = dict(rows(demo_engine, sa.select(Setting.key, Setting.value)))
    assert settings["dataset"] == "demo" and settings["stuck_after_days"] == "5"
    assert demo.is_demo(demo_engine)
    audit_rows = rows(demo_engine, sa.select(AuditLog.username, AuditLog.action, AuditLog.table_name, AuditLog.after))
    assert len(audit_rows) == 1
    username, action, table, after = audit_rows[0]
    assert (username, action, table) == ("demo-loader", "load_demo", "setting")
    assert json.loads(after)["rows"]["shop"] == 453


def test_loading_twice_changes_nothing(demo_engine):
    before, version = table_counts(demo_engine), db.data_version(demo_engine)
    assert demo.load_demo(demo_engine) == "already"
    assert table_counts(demo_engine) == before and db.data_version(demo_engine) == version


def test_an_empty_database_loads_and_is_flagged(engine):
    assert not demo.is_demo(engine)
    versions = db.line_versions(engine)
    assert demo.load_demo(engine) == "loaded"
    moved = {line for line, version in db.line_versions(engine).items() if version == versions[line] + 1}
    # every line the demo fills, once (no report is issued in the demo: its archive starts empty)
    assert demo.is_demo(engine) and moved == set(versions) - {"sessions", "reports"}
    assert count(engine, Shop) == 453
    assert demo.load_demo(engine) == "already"


@pytest.mark.parametrize("real", ["zone", "user"])
def test_refused_over_real_data_and_nothing_added(engine, real):
    with Session(engine) as session:
        if real == "zone":
            session.add(WorkZone(code="R1", name="真实管区"))
        else:
            session.add(User(username="li", display_name="李明", role="clerk", password_hash="x", is_demo=False))
        session.commit()
    before, version = table_counts(engine), db.data_version(engine)
    with pytest.raises(demo.RealDataPresent) as refused:
        demo.load_demo(engine)
    assert "real" in refused.value.en and "真实数据" in refused.value.zh
    assert table_counts(engine) == before and db.data_version(engine) == version
    assert not demo.is_demo(engine)


# ---- determinism -------------------------------------------------------------------------------------------

DETERMINISM_TABLES = (WorkZone, Site, CheckpointDay, Enterprise, ReopeningStep, Shop, SurveyRound, Inspection, Finding,
                      SupplyMovement, MealDay, Donation)


def test_two_builds_give_the_same_rows(tmp_path):
    dumps = []
    for n in (1, 2):
        engine = db.get_engine(f"sqlite:///{tmp_path / f'demo_{n}.db'}")
        schema.upgrade(engine)
        with Session(engine) as session:
            demo.build_demo(session)
            session.commit()
        with engine.connect() as conn:
            dumps.append({m.__tablename__: conn.execute(sa.select(m.__table__).order_by(m.__table__.c.id)).all()
                          for m in DETERMINISM_TABLES})
            gate = GateRegistration.__table__  # ciphers differ every time (Fernet's random IV): the rest may not
            dumps[-1]["gate_registration"] = conn.execute(sa.select(
                *(c for c in gate.c if not c.name.endswith("_cipher"))).order_by(gate.c.id)).all()
        engine.dispose()
    assert dumps[0].keys() == dumps[1].keys()
    for table in dumps[0]:
        assert dumps[0][table] == dumps[1][table], table
    assert len(dumps[0]["checkpoint_day"]) == 300


# ---- people, A/B responsibility and the duty roster (issue 16) ----------------------------------------------

from data_access.models import (  # noqa: E402
    DutyAssignment, DutyPost, DutyShift, OrgUnit, Person, Responsibility, RESPONSIBILITY_LINES,
)

FEBRUARY = [dt.date(2020, 2, d) for d in range(1, 30)]
DUTY_KINDS = sa.case((Site.kind == "compound", "compound"), else_=Site.checkpoint_type)


def _gap_keys(engine) -> dict[tuple, tuple]:
    """(day, shift code, site id) -> (places left empty, places absent) of demo.DUTY_GAPS."""
    lists = {"road": sa.select(Site.id).where(Site.checkpoint_type == "road"),
             "village": sa.select(Site.id).where(Site.checkpoint_type == "village"),
             "compound": sa.select(Site.id).where(Site.kind == "compound")}
    ids = {kind: scalar_list(engine, query.order_by(Site.id)) for kind, query in lists.items()}
    return {(day, code, ids[kind][k]): (empty, absent) for day, code, kind, k, empty, absent in demo.DUTY_GAPS}


def test_units_and_people_with_encrypted_phones(demo_engine):
    from data_access import personal

    kinds = dict(rows(demo_engine, sa.select(OrgUnit.kind, sa.func.count()).group_by(OrgUnit.kind)))
    assert kinds == {"zone_staff": 6 + 3, "village_cadres": 34, "compound_team": 14, "task_force": 5, "police": 1,
                     "health_centre": 1}
    sizes = rows(demo_engine, sa.select(OrgUnit.kind, OrgUnit.name, sa.func.count(Person.id))
                 .join(Person, Person.unit_id == OrgUnit.id).group_by(OrgUnit.id, OrgUnit.kind, OrgUnit.name))
    task_forces = {name: n for kind, name, n in sizes if kind == "task_force"}
    assert set(task_forces) == {"市委党校工作组", "市财政局工作组", "市环保局工作组", "市工信局工作组", "市税务局工作组"}
    assert all(5 <= n <= 8 for n in task_forces.values())
    assert all(2 <= n <= 3 for kind, _, n in sizes if kind == "village_cadres")
    assert all(2 <= n <= 4 for kind, _, n in sizes if kind == "compound_team")  # a 副科级干部 and 1-3 staff
    assert {n for kind, _, n in sizes if kind in ("police", "health_centre")} == {4}
    people = rows(demo_engine, sa.select(Person.name, Person.phone_cipher, Person.phone_hash, Person.phone_masked,
                                         Person.status))
    assert len({p.name for p in people}) == len(people)
    for name, cipher, hashed, masked, _ in people:
        phone = personal.decrypt(cipher)
        assert phone.startswith("1700000") and len(phone) == 11 and phone not in cipher
        assert masked == personal.mask_phone(phone) and hashed == personal.lookup_hash(phone)
    assert {p.status for p in people} == {"active", "leave"}
    # the compounds' leaders are deputy section-level cadres
    leads = scalar_list(demo_engine, sa.select(Site.lead_cadre).where(Site.kind == "compound"))
    titles = dict(rows(demo_engine, sa.select(Person.name, Person.title).where(Person.name.in_(leads))))
    assert len(titles) == 14 and set(titles.values()) == {"副科级干部"}


def test_a_and_b_for_every_line_site_and_enterprise_keep_the_names_shown_before(demo_engine):
    A, B = aliased(Person), aliased(Person)
    R = Responsibility
    pairs = sa.select(R.line, R.zone_id, R.site_id, R.enterprise_id, A.name.label("a"), B.name.label("b")) \
        .join(A, A.id == R.a_person_id).join(B, B.id == R.b_person_id)
    found = rows(demo_engine, pairs)
    assert count(demo_engine, R) == len(found)  # every responsibility has an A and a B
    lines = {(r.line, r.zone_id) for r in found if r.line}
    assert len(lines) == len(RESPONSIBILITY_LINES) * 6
    by_site = {r.site_id: (r.a, r.b) for r in found if r.site_id}
    sites = rows(demo_engine, sa.select(Site.id, Site.lead_cadre).where(Site.lead_cadre.is_not(None)))
    assert len(sites) == 12 + 34 + 34 + 14 and set(by_site) == {s.id for s in sites}
    for site_id, lead in sites:  # the lead cadre the pages showed is A ("王建华（市委党校）": the person 王建华)
        assert by_site[site_id][0] == demo.person_name(lead)[0] and by_site[site_id][1] != by_site[site_id][0]
    by_enterprise = {r.enterprise_id: (r.a, r.b) for r in found if r.enterprise_id}
    owners = rows(demo_engine, sa.select(Enterprise.id, Enterprise.owner, Enterprise.owner_backup))
    assert len(owners) == 119 and all(by_enterprise[e] == (a, b) for e, a, b in owners)


def test_every_duty_point_rostered_every_shift_of_february_bar_the_gaps(demo_engine):
    shifts = dict(rows(demo_engine, sa.select(DutyShift.id, DutyShift.code)))
    assert sorted(shifts.values()) == ["day", "evening", "night"]
    points = dict(rows(demo_engine, sa.select(Site.id, DUTY_KINDS).where(Site.kind.in_(("checkpoint", "compound")))))
    assert len(points) == 60
    required = {(s, shifts[h]): n for s, h, n in rows(demo_engine, sa.select(DutyPost.site_id, DutyPost.shift_id,
                                                                             DutyPost.required))}
    assert len(required) == 60 * 3
    assert all(n == {"road": 2, "village": 1, "compound": 1}[points[s]] for (s, _), n in required.items())
    rostered = {(d, shifts[h], s): n for d, h, s, n in rows(demo_engine, sa.select(
        DutyAssignment.day, DutyAssignment.shift_id, DutyAssignment.site_id, sa.func.count())
        .group_by(DutyAssignment.day, DutyAssignment.shift_id, DutyAssignment.site_id))}
    assert {d for d, _, _ in rostered} == set(FEBRUARY)
    gaps = _gap_keys(demo_engine)
    for day in FEBRUARY:
        for code in ("night", "day", "evening"):
            for site_id in points:
                empty = len(gaps.get((day, code, site_id), ((), ()))[0])
                assert rostered.get((day, code, site_id), 0) == required[(site_id, code)] - empty, (day, code, site_id)
    # nobody is on two points at once, nor twice on one shift
    twice = sa.select(DutyAssignment.person_id).group_by(DutyAssignment.person_id, DutyAssignment.day,
                                                         DutyAssignment.shift_id).having(sa.func.count() > 1)
    assert rows(demo_engine, twice) == []
    # no one serves two shifts in a row (night after the evening before, or day after night)
    serves = {(p, d, shifts[h]) for p, d, h in rows(demo_engine, sa.select(
        DutyAssignment.person_id, DutyAssignment.day, DutyAssignment.shift_id))}
    for person, day, code in serves:
        if code == "evening":
            assert (person, day + dt.timedelta(days=1), "night") not in serves
        if code == "night":
            assert (person, day, "day") not in serves
        if code == "day":
            assert (person, day, "evening") not in serves


def test_the_five_task_forces_on_road_checkpoint_duty(demo_engine):
    on_duty = rows(demo_engine, sa.select(DutyAssignment.day, DutyAssignment.shift_id, DutyAssignment.site_id,
                                          OrgUnit.kind, OrgUnit.name)
                   .join(Person, Person.id == DutyAssignment.person_id).join(OrgUnit, OrgUnit.id == Person.unit_id)
                   .join(Site, Site.id == DutyAssignment.site_id))
    road = set(scalar_list(demo_engine, road_checkpoints()))
    forces = {name for _, _, site, kind, name in on_duty if kind == "task_force"}
    assert len(forces) == 5
    assert all(site in road for _, _, site, kind, _ in on_duty if kind == "task_force")  # only at road checkpoints
    with_force = {(d, h, s) for d, h, s, kind, _ in on_duty if kind == "task_force"}
    cells = {(d, h, s) for d, h, s, _, _ in on_duty if s in road}
    shifts = dict(rows(demo_engine, sa.select(DutyShift.id, DutyShift.code)))
    # every road checkpoint shift has a task-force member, bar the one gap that left that place empty
    missing = {(d, shifts[h], s) for d, h, s in cells - with_force}
    assert missing == {k for k, (empty, _) in _gap_keys(demo_engine).items() if 0 in empty and k[2] in road}


def test_absences_come_from_inspections_and_the_board_at_the_demo_now(demo_engine):
    A = DutyAssignment
    day_shift = scalar(demo_engine, sa.select(DutyShift.id).where(DutyShift.code == "day"))
    assert count(demo_engine, Inspection, Inspection.shift_id != day_shift) == 0  # visits are made by day
    unmanned = scalar_list(demo_engine, sa.select(Inspection.id).where(Inspection.staff_at_post.is_(False)))
    assert unmanned
    marked = dict(rows(demo_engine, sa.select(A.absent_inspection_id, sa.func.count()).where(A.absent.is_(True))
                       .group_by(A.absent_inspection_id)))
    assert {k: v for k, v in marked.items() if k is not None} == {i: 1 for i in unmanned}
    # the inspection's point, day and shift
    assert count(demo_engine, A, A.absent_inspection_id.is_not(None), ~sa.exists().where(
        Inspection.id == A.absent_inspection_id, Inspection.site_id == A.site_id, Inspection.day == A.day,
        Inspection.shift_id == A.shift_id)) == 0
    # 26 February 09:30, the 8-16 shift: 72 needed, a village checkpoint with nobody (Z1), a road checkpoint one
    # short, another with one of its two absent: 岗位在岗 69/72, three points short, one of them empty
    now = dt.date(2020, 2, 26)
    assert demo.DEMO_NOW.startswith("2020-02-26T09:30")
    required = dict(rows(demo_engine, sa.select(DutyPost.site_id, DutyPost.required).where(DutyPost.shift_id == day_shift)))
    present = dict(rows(demo_engine, sa.select(A.site_id, sa.func.sum(sa.case((A.absent.is_(False), 1), else_=0)))
                        .where(A.day == now, A.shift_id == day_shift).group_by(A.site_id)))
    assert sum(required.values()) == 72
    assert sum(min(present.get(s, 0), n) for s, n in required.items()) == 69
    short = [s for s, n in required.items() if present.get(s, 0) < n]
    empty = [s for s in short if present.get(s, 0) == 0]
    assert len(short) == 3 and len(empty) == 1
    z1 = scalar(demo_engine, sa.select(WorkZone.id).where(WorkZone.code == "Z1"))
    assert scalar(demo_engine, sa.select(Site.zone_id).where(Site.id == empty[0])) == z1  # the Z1 clerk sees it
    # later today: the evening shift has a compound gate with nobody rostered
    evening = scalar(demo_engine, sa.select(DutyShift.id).where(DutyShift.code == "evening"))
    compounds = scalar_list(demo_engine, sa.select(Site.id).where(Site.kind == "compound"))
    staffed = set(scalar_list(demo_engine, sa.select(A.site_id).where(A.day == now, A.shift_id == evening)))
    assert len(set(compounds) - staffed) == 1


# ---- compound gate registrations (issue 17) ----------------------------------------------------------------

from data_access.filters import Filters  # noqa: E402
from data_access.models import GateDayCount, GateHourCount, GatePersonSite, GateRegistration  # noqa: E402

GATE_NOW = dt.datetime.fromisoformat(demo.DEMO_NOW)


def _gate_rows(engine):
    G = GateRegistration
    return rows(engine, sa.select(G.id, G.site_id, G.direction, G.at, G.doc_type, G.doc_cipher, G.doc_hash, G.doc_masked,
                                  G.name, G.building, G.phone_cipher, G.phone_hash, G.phone_masked, G.from_outside,
                                  G.origin, G.temperature, G.recorded_at).order_by(G.id))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)  # SQLite keeps UTC, naive


def test_gate_numbers_are_synthetic_valid_encrypted_and_masked(demo_engine):
    from data_access import personal

    found = _gate_rows(demo_engine)
    assert 3_000 <= len(found) <= 5_000
    compounds = set(scalar_list(demo_engine, sa.select(Site.id).where(Site.kind == "compound")))
    assert {r.site_id for r in found} == compounds  # every compound's gate, and only compounds
    documents, phones = {}, {}
    for r in found:  # each person's numbers encrypted once: one token per person, reused by every registration
        documents.setdefault(r.doc_cipher, (r.doc_type, r.doc_hash, r.doc_masked))
        if r.phone_cipher:
            phones.setdefault(r.phone_cipher, (r.phone_hash, r.phone_masked))
    assert len(documents) == len({r.doc_hash for r in found}) and 400 <= len(documents) <= 1_000
    kinds = {}
    for cipher, (doc_type, doc_hash, masked) in documents.items():
        number = personal.decrypt(cipher)
        kinds[doc_type] = kinds.get(doc_type, 0) + 1
        assert number not in cipher and doc_hash == personal.lookup_hash(number)
        assert masked == personal.mask_document(doc_type, number) and number not in masked
        if doc_type == "resident_id":
            # area code 99xxxx: no division code begins with 99, so no card was ever issued with it; yet valid
            assert personal.valid_resident_id(number) == number and number.startswith("99")
            assert dt.date(1940, 1, 1) <= dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])) <= AS_OF
        else:
            assert number.startswith("DM") and personal.normal_document(doc_type, number) == number
    assert kinds["resident_id"] > 0.9 * len(documents) and len(kinds) == 5
    for cipher, (phone_hash, masked) in phones.items():
        phone = personal.decrypt(cipher)
        assert personal.normal_phone(phone) == phone and 17_000_010_000 <= int(phone) <= 17_000_099_999
        assert phone_hash == personal.lookup_hash(phone) and masked == personal.mask_phone(phone) == "170****" + phone[-4:]
    assert 0.85 * len(documents) <= len(phones) < len(documents)  # most gave a phone, a few did not
    assert all(r.phone_hash is None and r.phone_masked is None for r in found if r.phone_cipher is None)


def test_gate_passes_pair_up_arrive_from_outside_and_cross_compounds(demo_engine):
    found = _gate_rows(demo_engine)
    start = dt.datetime(2020, 2, 1, tzinfo=demo.YANTAI)
    assert all(start <= _aware(r.at) < GATE_NOW and _aware(r.recorded_at) >= _aware(r.at) for r in found)
    assert [r.id for r in found] == [r.id for r in sorted(found, key=lambda r: _aware(r.at))]  # ids in time order
    by_person: dict[str, list] = {}
    for r in found:
        by_person.setdefault(r.doc_hash, []).append(r)
    for person in by_person.values():  # out and back in again, one outing at a time; an arrival: in, once
        directions = [r.direction for r in sorted(person, key=lambda r: _aware(r.at))]
        if any(r.from_outside for r in person):
            assert directions == ["in"] and person[0].origin in demo.ORIGINS
            continue
        pairs = directions[: len(directions) // 2 * 2]
        assert pairs == ["out", "in"] * (len(directions) // 2), directions
        if len(directions) % 2:  # still out at the demo's now: left this morning
            assert directions[-1] == "out" and _aware(person[-1].at).astimezone(demo.YANTAI).date() == GATE_NOW.date()
    assert all(r.origin is None for r in found if not r.from_outside)
    # at two or more compounds: the visitors, one of them at three
    sites = sorted(len({r.site_id for r in person}) for person in by_person.values())
    assert sites[-demo.GATE_MULTI:] == [2] * (demo.GATE_MULTI - 1) + [3] and sites[-demo.GATE_MULTI - 1] == 1
    # arrivals from outside by the survey's day: never more than the survey counted there; some later
    surveyed = {s: (d, n) for s, d, n in rows(demo_engine, sa.select(
        SurveyRound.site_id, SurveyRound.day, SurveyRound.people_from_outside).where(SurveyRound.round_no == 2))}
    arrivals = [(r.site_id, _aware(r.at).astimezone(demo.YANTAI).date()) for r in found if r.from_outside]
    for site_id, (day, counted) in surveyed.items():
        if site_id in {s for s, _ in arrivals}:
            assert sum(1 for s, d in arrivals if s == site_id and d <= day) <= counted
    assert 40 <= len(arrivals) <= 120 and any(d > surveyed[s][0] for s, d in arrivals)
    # temperatures at entry only; a few fevers
    assert all(r.temperature is None for r in found if r.direction == "out")
    temperatures = [float(r.temperature) for r in found if r.direction == "in"]
    assert all(t is not None for t in temperatures)
    assert sum(t >= 37.3 for t in temperatures) == demo.GATE_FEVERS and all(35.8 <= t <= 38.5 for t in temperatures)


def test_gate_counts_fit_each_compound_and_are_kept_per_hour(demo_engine):
    from data_access import clock, gate

    found = _gate_rows(demo_engine)
    known = dict(rows(demo_engine, sa.select(Site.id, Site.people_known).where(Site.kind == "compound")))
    days_ = 25  # 1-25 February whole (the 26th only to 09:30)
    for site_id, people in known.items():
        entries = sum(1 for r in found if r.site_id == site_id and r.direction == "in"
                      and _aware(r.at).astimezone(demo.YANTAI).date() <= AS_OF)
        assert 0.008 <= entries / days_ / people <= 0.025, (site_id, entries, people)  # ~1-2 % of its people a day
    local = [(_aware(r.at).astimezone(demo.YANTAI), r.direction) for r in found]
    before = sum(1 for m, d in local if d == "in" and m.date() < demo.HIGHWAYS_REOPEN) / 9
    after = sum(1 for m, d in local if d == "in" and demo.HIGHWAYS_REOPEN <= m.date() <= AS_OF) / 16
    assert after > 1.3 * before  # busier once work resumed
    hours = [m.hour for m, _ in local]
    assert min(hours) >= 6 and max(hours) <= 23 and sum(9 <= h <= 11 for h in hours) > sum(h >= 19 for h in hours)
    assert any(m.date() == GATE_NOW.date() for m, _ in local)  # this morning's passes: the gate page's today
    # gate_hour_count holds exactly the registrations' counts, by local day and hour, as every write keeps them
    kept = {(r.site_id, r.day, r.hour): (r.entries, r.exits, r.from_outside)
            for r in rows(demo_engine, sa.select(GateHourCount))}
    expected = {(c["site_id"], c["day"], c["hour"]): (c["entries"], c["exits"], c["from_outside"])
                for c in gate.hour_counts((r.site_id, r.at, r.direction, r.from_outside) for r in found)}
    assert kept == expected
    assert sum(e for e, _, _ in kept.values()) == sum(r.direction == "in" for r in found)
    assert sum(o for _, _, o in kept.values()) == sum(bool(r.from_outside) for r in found)
    assert clock.zone().key == "Asia/Shanghai"
    # gate_day_count: the hours summed by compound and day
    days_kept = {(r.site_id, r.day): (r.entries, r.exits, r.from_outside) for r in rows(demo_engine, sa.select(GateDayCount))}
    summed: dict = {}
    for (site_id, day, _), values in kept.items():
        summed[(site_id, day)] = tuple(a + b for a, b in zip(summed.get((site_id, day), (0, 0, 0)), values))
    assert days_kept == summed
    # gate_person_site: each person's first and last pass and how many at each compound (people at 2+ compounds)
    stays = {(s.doc_hash, s.site_id): (_aware(s.first_at), _aware(s.last_at), s.passes)
             for s in rows(demo_engine, sa.select(GatePersonSite))}
    assert stays == {(h, s): (_aware(f), _aware(la), n) for h, s, f, la, n in rows(demo_engine, sa.select(
        GateRegistration.doc_hash, GateRegistration.site_id, sa.func.min(GateRegistration.at),
        sa.func.max(GateRegistration.at), sa.func.count()).group_by(GateRegistration.doc_hash, GateRegistration.site_id))}
    assert len(gate.multi_compound("admin", Filters(start=dt.date(2020, 2, 1), end=AS_OF), engine=demo_engine)) >= 5


def test_gate_account_and_retention_keeps_the_demo(demo_engine):
    from data_access import gate

    actor = auth.authenticate("gate", "demo", demo_engine)
    compound = scalar(demo_engine, sa.select(Site.id).where(Site.name == demo.GATE_USER[3]))
    assert actor is not None and actor.role == "clerk" and actor.site_ids == {compound} and not actor.zone_ids
    assert scalar(demo_engine, sa.select(Site.kind).where(Site.id == compound)) == "compound"
    assert list(gate.compounds("gate", demo_engine)["site_id"]) == [compound]
    # the demo's now is 26 February: 28 days kept reach back to 29 January, so the purge at start deletes nothing
    before = count(demo_engine, GateRegistration)
    assert gate.purge(engine=demo_engine)["deleted"] == 0 and count(demo_engine, GateRegistration) == before
