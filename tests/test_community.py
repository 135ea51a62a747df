"""Survey coverage, survey rounds and the GeoJSON upload, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from data_access import auth, community, db
from data_access.db import write_session
from data_access.errors import ConflictError, PermissionDenied, ValidationError
from data_access.filters import Filters
from data_access.models import AuditLog, CheckpointDay, Site, SurveyRound, WorkZone

TODAY = dt.date(2020, 2, 25)
END = dt.date(2020, 2, 25)


def square(lon: float, lat: float, size: float = 0.01) -> str:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def community_territory(engine) -> dict:
    """Two zones with villages, compounds, checkpoints, survey rounds and one account per role.

    Z1: 王家村 (two rounds), 李家村 (one), 阳光小区 (no property management, one round), 幸福小区
    (managed, never surveyed), road checkpoint 东卡口 and 王家村's own checkpoint. Z2: 赵家村, 和平小区,
    road checkpoint 西卡口. Passwords 'pw12-pw12'.
    """
    with write_session(engine) as session:
        z1 = WorkZone(code="Z1", name="一区", geometry=square(120.85, 37.28, 0.05))
        z2 = WorkZone(code="Z2", name="二区", geometry=square(120.90, 37.28, 0.05))
        session.add_all([z1, z2])
        session.flush()

        def area(kind, zone, name, lon, lat, known, people, managed=None, cadre="张干部", staff=2):
            return Site(kind=kind, zone_id=zone.id, name=name, households_known=known, people_known=people,
                        has_property_management=managed, lead_cadre=cadre, staff_on_duty=staff,
                        lon=lon + 0.005, lat=lat + 0.005, geometry=square(lon, lat))

        sites = {
            "wang": area("village", z1, "王家村", 120.86, 37.29, 100, 300),
            "li": area("village", z1, "李家村", 120.88, 37.29, 50, 150),
            "sun": area("compound", z1, "阳光小区", 120.86, 37.31, 200, 500, managed=False, cadre="刘副科"),
            "joy": area("compound", z1, "幸福小区", 120.88, 37.31, 120, 300, managed=True, cadre="陈副科"),
            "zhao": area("village", z2, "赵家村", 120.91, 37.29, 80, 240),
            "peace": area("compound", z2, "和平小区", 120.91, 37.31, 60, 150, managed=False),
            "east": Site(kind="checkpoint", checkpoint_type="road", zone_id=z1.id, name="东卡口", road="中古线",
                         lon=120.895, lat=37.285, lead_cadre="王队长", staff_on_duty=4),
            "west": Site(kind="checkpoint", checkpoint_type="road", zone_id=z2.id, name="西卡口", road="802",
                         lon=120.93, lat=37.30),
        }
        session.add_all(sites.values())
        session.flush()
        sites["wang_gate"] = Site(kind="checkpoint", checkpoint_type="village", zone_id=z1.id, name="王家村卡口",
                                  parent_site_id=sites["wang"].id, lon=120.865, lat=37.295)
        session.add(sites["wang_gate"])
        session.flush()

        def round_(site, number, day, known, reached, people, outside=0, unreachable=0, utility=0, lit=0):
            return SurveyRound(site_id=sites[site].id, round_no=number, day=day, households_known=known,
                               households_reached=reached, people=people, people_from_outside=outside,
                               unreachable=unreachable, utility_checked=utility, lit_at_night=lit, version=1)

        session.add_all([
            round_("wang", 1, dt.date(2020, 2, 5), 100, 80, 250, 5, 20, 60, 10),
            round_("wang", 2, dt.date(2020, 2, 15), 100, 95, 280, 6, 5, 90, 3),
            round_("li", 1, dt.date(2020, 2, 10), 50, 40, 120),
            round_("sun", 1, dt.date(2020, 2, 12), 200, 150, 400, 20, 50, 100, 30),
            round_("zhao", 1, dt.date(2020, 2, 8), 80, 64, 200),
            round_("peace", 1, dt.date(2020, 2, 26), 60, 60, 150),  # after the as-of day: not counted
            CheckpointDay(site_id=sites["east"].id, day=END, vehicles=120, persons=200, version=1),
        ])
        ids = {key: site.id for key, site in sites.items()}
        ids.update(z1=z1.id, z2=z2.id)
    auth.add_user("admin1", "pw12-pw12", "admin", engine=engine)
    auth.add_user("super1", "pw12-pw12", "supervisor", engine=engine)
    auth.add_user("clerk1", "pw12-pw12", "clerk", zone_codes=["Z1"], engine=engine)
    auth.add_user("viewer1", "pw12-pw12", "viewer", engine=engine)
    return ids


def rows(engine, model, *where):
    with engine.connect() as conn:
        return conn.execute(sa.select(model).where(*where)).all()


def audits(engine, table):
    with engine.connect() as conn:
        return conn.execute(sa.select(AuditLog.username, AuditLog.action, AuditLog.row_id, AuditLog.reason)
                            .where(AuditLog.table_name == table).order_by(AuditLog.id)).all()


GOOD = {"households_known": 100, "households_reached": 98, "people": 290, "people_from_outside": 4,
        "unreachable": 2, "utility_checked": 95, "lit_at_night": 1}


# ---- the demo data set -------------------------------------------------------------------------

def test_demo_coverage_totals_match_the_report(demo_engine):
    totals = community.coverage_totals(Filters(end=dt.date(2020, 2, 25)), engine=demo_engine)
    assert totals["village"]["sites"] == 34 and totals["compound"]["sites"] == 14
    assert (totals["village"]["households_reached"], totals["village"]["people"]) == (7_718, 11_222)
    assert (totals["compound"]["households_reached"], totals["compound"]["people"]) == (2_015, 5_276)


def test_demo_compounds_by_property_management(demo_engine):
    frame = community.compounds_by_management(Filters(end=dt.date(2020, 2, 25)), engine=demo_engine)
    counts = dict(zip(frame["managed"], frame["compounds"]))
    assert counts == {False: 7, True: 7}
    assert frame["households_reached"].sum() == 2_015 and frame["people"].sum() == 5_276


def test_demo_zone_totals_add_up_and_every_area_has_geometry(demo_engine):
    end = dt.date(2020, 2, 25)
    with demo_engine.connect() as conn:
        zone_ids = conn.execute(sa.select(WorkZone.id)).scalars().all()
    people = sum(community.coverage_totals(Filters(zone_id=z, end=end), engine=demo_engine)["village"]["people"]
                 for z in zone_ids)
    assert people == 11_222
    assert len(community.map_areas(Filters(end=end), engine=demo_engine)) == 48
    zones, areas = community.map_shapes(None, engine=demo_engine)
    assert len(zones) == 6 and len(areas) == 48
    assert zones["geometry"].notna().all() and areas["geometry"].notna().all()


# ---- coverage reads ----------------------------------------------------------------------------

def test_coverage_uses_the_latest_round_as_of_the_day(engine):
    ids = community_territory(engine)
    totals = community.coverage_totals(Filters(end=END), engine=engine)
    assert totals["village"] == {"sites": 3, "surveyed": 3, "households_known": 230, "households_reached": 199,
                                 "people": 600, "people_from_outside": 6, "unreachable": 5, "utility_checked": 90,
                                 "lit_at_night": 3, "coverage": pytest.approx(199 / 230)}
    assert totals["compound"]["sites"] == 3 and totals["compound"]["surveyed"] == 1  # 和平小区's round is later
    earlier = community.coverage_totals(Filters(end=dt.date(2020, 2, 10)), engine=engine)
    assert earlier["village"]["households_reached"] == 80 + 40 + 64  # 王家村's first round
    one_zone = community.coverage_totals(Filters(zone_id=ids["z2"], end=END), engine=engine)
    assert one_zone["village"]["households_reached"] == 64
    one_site = community.site_coverage(Filters(site_id=ids["wang"], end=END), engine=engine)
    assert one_site["name"].tolist() == ["王家村"] and one_site["round_no"].tolist() == [2]


def test_least_covered_puts_never_surveyed_first(engine):
    community_territory(engine)
    frame = community.least_covered(Filters(end=END), engine=engine)
    assert frame["name"].tolist()[:3] == ["和平小区", "幸福小区", "阳光小区"]
    assert frame["coverage"].iloc[2] == pytest.approx(0.75)


def test_compounds_by_management(engine):
    community_territory(engine)
    frame = community.compounds_by_management(Filters(end=END), engine=engine).set_index("managed")
    assert frame.loc[False, "compounds"] == 2 and frame.loc[True, "compounds"] == 1
    assert frame.loc[False, "households_reached"] == 150 and frame.loc[False, "coverage"] == pytest.approx(150 / 200)


def test_map_reads_follow_the_zone_filter(engine):
    ids = community_territory(engine)
    areas = community.map_areas(Filters(zone_id=ids["z1"], end=END), engine=engine)
    assert set(areas["name"]) == {"王家村", "李家村", "阳光小区", "幸福小区"}
    assert areas["kind"].tolist()[:2] == ["village", "village"]  # villages first: compounds draw on top
    checkpoints = community.map_checkpoints(Filters(zone_id=ids["z1"], end=END), engine=engine)
    assert checkpoints["name"].tolist() == ["东卡口"] and checkpoints["vehicles"].tolist() == [120]
    focused = community.map_areas(Filters(site_id=ids["sun"], end=END), engine=engine)
    assert len(focused) == 4 and focused.loc[focused["focused"], "name"].tolist() == ["阳光小区"]
    assert community.focus(Filters(site_id=ids["sun"], end=END), engine=engine) == (ids["z1"], ids["sun"])
    assert community.focus(Filters(site_id=ids["east"], end=END), engine=engine) == (ids["z1"], None)
    zones, areas = community.map_shapes(ids["z2"], engine=engine)
    assert zones["name"].tolist() == ["二区"] and set(areas["site_id"]) == {ids["zhao"], ids["peace"]}


def test_geometry_fingerprint_follows_boundaries_not_figures(engine):
    ids = community_territory(engine)
    before = community.geometry_fingerprint(None, engine=engine)
    community.save_survey_round("clerk1", ids["wang"], GOOD, dt.date(2020, 2, 24), today=TODAY, engine=engine)
    assert community.geometry_fingerprint(None, engine=engine) == before
    zone_two = community.geometry_fingerprint(ids["z2"], engine=engine)
    community.replace_geometry("admin1", collection(feature({"name": "王家村"})), engine=engine)
    assert community.geometry_fingerprint(None, engine=engine) != before
    assert community.geometry_fingerprint(ids["z2"], engine=engine) != zone_two  # (the audit id moved on)


def test_rounds_progress(engine):
    community_territory(engine)
    frame = community.rounds_progress(Filters(end=END), engine=engine)
    villages = frame[frame["kind"] == "village"].set_index("round_no")
    assert villages.loc[1, "sites"] == 3 and villages.loc[2, "sites"] == 1
    assert villages.loc[1, "households_reached"] == 80 + 40 + 64


# ---- survey writes -----------------------------------------------------------------------------

def test_new_round_keeps_earlier_rounds_and_is_audited(engine):
    ids = community_territory(engine)
    version = db.data_version(engine)
    result = community.save_survey_round("clerk1", ids["wang"], GOOD, dt.date(2020, 2, 24), today=TODAY, engine=engine)
    assert result == {"round_no": 3, "action": "inserted", "version": 1}
    assert [r.round_no for r in community.site_rounds(ids["wang"], engine=engine).itertuples()] == [1, 2, 3]
    assert db.data_version(engine) == version + 1
    assert audits(engine, "survey_round") == [("clerk1", "insert", rows(engine, SurveyRound.id, SurveyRound.round_no == 3)[0][0], None)]
    # the same form saved twice (a double click) saves once
    again = community.save_survey_round("clerk1", ids["wang"], GOOD, dt.date(2020, 2, 24), today=TODAY, engine=engine)
    assert again["action"] == "unchanged" and len(rows(engine, SurveyRound.id, SurveyRound.site_id == ids["wang"])) == 3
    assert community.coverage_totals(Filters(end=END), engine=engine)["village"]["households_reached"] == 98 + 40 + 64


def test_first_round_of_a_site_is_number_one(engine):
    ids = community_territory(engine)
    result = community.save_survey_round("super1", ids["joy"], GOOD, "2020-02-20", today=TODAY, engine=engine)
    assert result["round_no"] == 1


@pytest.mark.parametrize("field, value, expected_en", [
    ("households_reached", 101, "cannot exceed households known"),
    ("people", -1, "cannot be negative"),
    ("unreachable", "abc", "must be a whole number"),
    ("utility_checked", 2.5, "must be a whole number"),
    ("households_known", None, "required"),
    ("people_from_outside", 291, "cannot exceed people"),
    ("lit_at_night", 3, "cannot exceed unreachable households"),
])
def test_bad_survey_input_is_refused_per_field(engine, field, value, expected_en):
    ids = community_territory(engine)
    with pytest.raises(ValidationError) as refused:
        community.save_survey_round("clerk1", ids["wang"], {**GOOD, field: value}, dt.date(2020, 2, 24),
                                    today=TODAY, engine=engine)
    assert [e.field for e in refused.value.errors] == [field]
    assert refused.value.errors[0].en.startswith(expected_en)
    assert len(rows(engine, SurveyRound.id, SurveyRound.site_id == ids["wang"])) == 2


@pytest.mark.parametrize("day, expected_en", [
    (dt.date(2020, 2, 26), "date cannot be in the future"),
    ("25/02/2020", "date must look like 2020-02-25"),
    (None, "required"),
])
def test_bad_survey_day_is_refused(engine, day, expected_en):
    ids = community_territory(engine)
    with pytest.raises(ValidationError) as refused:
        community.save_survey_round("clerk1", ids["wang"], GOOD, day, today=TODAY, engine=engine)
    assert refused.value.errors[0].en == expected_en


def test_new_round_cannot_predate_the_last_round(engine):
    ids = community_territory(engine)
    with pytest.raises(ValidationError) as refused:
        community.save_survey_round("clerk1", ids["wang"], GOOD, dt.date(2020, 2, 14), today=TODAY, engine=engine)
    assert "before round 2" in refused.value.errors[0].en


@pytest.mark.parametrize("user, site, error", [
    ("clerk1", "zhao", PermissionDenied),  # a clerk outside their zone
    ("viewer1", "wang", PermissionDenied),
])
def test_survey_rights(engine, user, site, error):
    ids = community_territory(engine)
    with pytest.raises(error):
        community.save_survey_round(user, ids[site], GOOD, dt.date(2020, 2, 24), today=TODAY, engine=engine)
    assert audits(engine, "survey_round") == []


def test_only_villages_and_compounds_are_surveyed(engine):
    ids = community_territory(engine)
    with pytest.raises(ValidationError):
        community.save_survey_round("super1", ids["east"], GOOD, dt.date(2020, 2, 24), today=TODAY, engine=engine)


def test_correcting_a_round_is_version_checked_and_needs_a_reason(engine):
    ids = community_territory(engine)
    fixed = {**GOOD, "households_reached": 90}
    with pytest.raises(ValidationError) as refused:
        community.save_survey_round("clerk1", ids["wang"], fixed, dt.date(2020, 2, 15), round_no=2, version=1,
                                    today=TODAY, engine=engine)
    assert refused.value.errors[0].field == "reason"
    result = community.save_survey_round("clerk1", ids["wang"], fixed, dt.date(2020, 2, 15), round_no=2, version=1,
                                         reason="抄错", today=TODAY, engine=engine)
    assert result == {"round_no": 2, "action": "updated", "version": 2}
    # a second form, loaded before that correction, is now stale
    with pytest.raises(ConflictError):
        community.save_survey_round("super1", ids["wang"], {**GOOD, "households_reached": 91}, dt.date(2020, 2, 15),
                                    round_no=2, version=1, reason="核实", today=TODAY, engine=engine)
    saved = community.site_rounds(ids["wang"], engine=engine).set_index("round_no")
    assert saved.loc[2, "households_reached"] == 90 and saved.loc[1, "households_reached"] == 80
    assert [(a.action, a.reason) for a in audits(engine, "survey_round")] == [("correct", "抄错")]


def test_correction_date_stays_between_rounds(engine):
    ids = community_territory(engine)
    with pytest.raises(ValidationError) as refused:
        community.save_survey_round("clerk1", ids["wang"], GOOD, dt.date(2020, 2, 1), round_no=2, version=1,
                                    reason="x", today=TODAY, engine=engine)
    assert refused.value.errors[0].field == "day"


# ---- GeoJSON upload ----------------------------------------------------------------------------

def feature(properties: dict, geometry: dict | None = None) -> dict:
    ring = [[120.87, 37.30], [120.875, 37.30], [120.875, 37.305], [120.87, 37.305], [120.87, 37.30]]
    return {"type": "Feature", "properties": properties, "geometry": geometry or {"type": "Polygon", "coordinates": [ring]}}


def collection(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False).encode()


def geometries(engine):
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(Site.id, Site.geometry)).all()), dict(conn.execute(sa.select(WorkZone.id, WorkZone.geometry)).all())


def test_geojson_upload_replaces_all_named_rows_with_audit(engine):
    ids = community_territory(engine)
    multi = {"type": "MultiPolygon", "coordinates": [[[[120.9, 37.3], [120.91, 37.3], [120.91, 37.31], [120.9, 37.3]]]]}
    raw = collection(feature({"name": "王家村"}), feature({"site_id": ids["peace"]}, multi),
                     feature({"site_id": str(ids["sun"])}), feature({"zone_code": "Z2"}))
    result = community.replace_geometry("admin1", raw, engine=engine)
    assert result == {"replaced": 4, "unchanged": 0}
    sites, zones = geometries(engine)
    assert json.loads(sites[ids["peace"]]) == multi
    assert json.loads(sites[ids["wang"]])["coordinates"][0][0] == [120.87, 37.30]
    assert json.loads(zones[ids["z2"]])["type"] == "Polygon"
    assert [(a.action, a.row_id) for a in audits(engine, "site")] == [("geometry", ids["wang"]), ("geometry", ids["peace"]), ("geometry", ids["sun"])]
    assert community.replace_geometry("admin1", raw, engine=engine) == {"replaced": 0, "unchanged": 4}


BAD_FILES = [
    (b"{not json", "not valid JSON"),
    (json.dumps({"type": "Feature"}).encode(), "must be a GeoJSON FeatureCollection"),
    (collection(), "the file holds no features"),
    (collection(feature({"name": "没有这个村"})), "no site named"),
    (collection(feature({"name": "东卡口"})), "is not a village or compound"),
    (collection(feature({"comment": "x"})), "must name its site"),
    (collection(feature({"site_id": 99999})), "no site with id"),
    (collection(feature({"zone_code": "Z9"})), "no work zone with code"),
    (collection(feature({"name": "王家村"}, {"type": "Point", "coordinates": [120.9, 37.3]})), "must be Polygon or MultiPolygon"),
    (collection(feature({"name": "王家村"}, {"type": "Polygon", "coordinates": [[[120.9, 37.3], [120.91, 37.3], [120.9, 37.3]]]})), "at least 4 positions"),
    (collection(feature({"name": "王家村"}, {"type": "Polygon", "coordinates": [[["120.9", 37.3], [120.91, 37.3], [120.91, 37.31], ["120.9", 37.3]]]})), "must be [longitude, latitude] numbers"),
    (collection(feature({"name": "王家村"}, {"type": "Polygon", "coordinates": [[[220.9, 37.3], [120.91, 37.3], [120.91, 37.31], [220.9, 37.3]]]})), "out of range"),
    (collection(feature({"name": "王家村"}, {"type": "Polygon", "coordinates": [[[120.9, 37.3], [120.91, 37.3], [120.91, 37.31], [120.9, 37.31]]]})), "not closed"),
    (collection(feature({"name": "王家村"}), feature({"site_id": None, "name": "王家村"})), "already appears in feature"),
    ("\ufeff".encode() + b"[]", "must be a GeoJSON FeatureCollection"),
]


@pytest.mark.parametrize("raw, expected_en", BAD_FILES)
def test_bad_geojson_is_refused_with_the_reason_and_changes_nothing(engine, raw, expected_en):
    ids = community_territory(engine)
    before = geometries(engine)
    # a good feature first: the file is all or nothing
    if raw.startswith(b'{"type": "FeatureCollection"') and b'"features": []' not in raw:
        data = json.loads(raw)
        data["features"].insert(0, feature({"name": "李家村"}))
        raw = json.dumps(data, ensure_ascii=False).encode()
    with pytest.raises(ValidationError) as refused:
        community.replace_geometry("admin1", raw, engine=engine)
    assert any(expected_en in e.en for e in refused.value.errors), refused.value.errors
    assert geometries(engine) == before
    assert audits(engine, "site") == []
    assert ids


def test_duplicate_names_need_a_site_id(engine):
    ids = community_territory(engine)
    with write_session(engine) as session:
        session.add(Site(kind="village", zone_id=ids["z2"], name="王家村", households_known=1, people_known=1))
    with pytest.raises(ValidationError) as refused:
        community.check_geojson(collection(feature({"name": "王家村"})), engine=engine)
    assert "use site_id" in refused.value.errors[0].en
    assert len(community.check_geojson(collection(feature({"site_id": ids["wang"]})), engine=engine)) == 1


@pytest.mark.parametrize("user", ["super1", "clerk1", "viewer1"])
def test_only_an_admin_may_upload_geometry(engine, user):
    community_territory(engine)
    before = geometries(engine)
    with pytest.raises(PermissionDenied):
        community.replace_geometry(user, collection(feature({"name": "王家村"})), engine=engine)
    assert geometries(engine) == before
