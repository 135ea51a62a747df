"""The writer scope (data_access.scope): one rule for every list of what an account may write and
every write, on SQLite and PostgreSQL. A clerk with a zone scope, a clerk with a single-site scope,
an admin and a viewer."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data_access import auth, community, inspections, reopening, scope, shops, traffic, traffic_entry
from data_access.db import write_session
from data_access.errors import PermissionDenied
from data_access.models import Enterprise, Shop, Site, User, UserScope
from tests.helpers import day_row, minimal_territory

DAY = dt.date(2020, 2, 20)
TODAY = dt.date(2020, 2, 25)


@pytest.fixture
def world(engine):
    """minimal_territory (东卡口 in zone 1, 西卡口 in zone 2), a compound and a shop and an enterprise per
    zone, and `siteclerk`, a clerk whose only scope is 西卡口."""
    ids = minimal_territory(engine)
    auth.add_user("siteclerk", "pw12-pw12", "clerk", engine=engine)
    with write_session(engine) as session:
        session.add_all([Site(kind="compound", zone_id=ids["z2"], name="西苑小区"),
                         Shop(name="一号超市", zone_id=ids["z1"], category="supermarket"),
                         Shop(name="二号超市", zone_id=ids["z2"], category="supermarket"),
                         Enterprise(name="一区企业", zone_id=ids["z1"], department="safety"),
                         Enterprise(name="二区企业", zone_id=ids["z2"], department="safety")])
        user_id = session.scalar(sa.select(User.id).where(User.username == "siteclerk"))
        session.add(UserScope(user_id=user_id, site_id=ids["cp2"]))
    return ids


def actor(engine, name):
    return auth.authenticate(name, "pw12-pw12", engine)


# ---- the rule, row by row --------------------------------------------------------------------------

def test_may_write_follows_role_zone_and_site(engine, world):
    clerk, site_clerk = actor(engine, "clerk1"), actor(engine, "siteclerk")
    assert scope.may_write_site(clerk, world["cp1"], world["z1"])
    assert not scope.may_write_site(clerk, world["cp2"], world["z2"])
    assert scope.may_write_site(site_clerk, world["cp2"], world["z2"])
    assert not scope.may_write_site(site_clerk, world["cp1"], world["z1"])
    assert not scope.may_write_zone(site_clerk, world["z2"])  # a site scope is not its zone
    assert scope.may_write_zone(actor(engine, "super1"), world["z2"])
    viewer = actor(engine, "viewer1")
    assert not scope.may_write_site(viewer, world["cp1"], world["z1"]) and not scope.may_write_zone(viewer, world["z1"])


# ---- the lists of what an account may write ----------------------------------------------------------

def writable(engine, who) -> dict[str, set[str]]:
    """Every list the entry pages offer, by name."""
    person = actor(engine, who)
    return {
        "checkpoints": set(traffic_entry.entry_grid(person, DAY, engine=engine)["name"]),
        "not_reported": set(traffic.missing_reports(DAY, person, engine=engine)["name"]),
        "areas": set(community.writable_areas(person, engine=engine)["name"]),
        "points": set(inspections.writable_points(person, engine=engine)["name"]),
        "shops": set(shops.entry_rows(person, engine=engine)["name"]),
        "enterprises": set(reopening.choices(person, engine=engine)["name"]),
    }


def test_zone_clerk_lists_their_zone(engine, world):
    assert writable(engine, "clerk1") == {
        "checkpoints": {"东卡口"}, "not_reported": {"东卡口"}, "areas": {"王家村"}, "points": {"东卡口"},
        "shops": {"一号超市"}, "enterprises": {"一区企业"}}


def test_site_clerk_lists_their_site_only(engine, world):
    assert writable(engine, "siteclerk") == {
        "checkpoints": {"西卡口"}, "not_reported": {"西卡口"}, "areas": set(), "points": {"西卡口"},
        "shops": set(), "enterprises": set()}


def test_admin_lists_everything_and_a_viewer_nothing(engine, world):
    assert writable(engine, "admin1") == {
        "checkpoints": {"东卡口", "西卡口"}, "not_reported": {"东卡口", "西卡口"}, "areas": {"王家村", "西苑小区"},
        "points": {"东卡口", "西卡口", "西苑小区"}, "shops": {"一号超市", "二号超市"}, "enterprises": {"一区企业", "二区企业"}}
    assert writable(engine, "viewer1") == {key: set() for key in writable(engine, "admin1")}


def test_not_reported_without_an_account_lists_every_checkpoint(engine, world):
    assert set(traffic.missing_reports(DAY, engine=engine)["name"]) == {"东卡口", "西卡口"}
    traffic_entry.save_checkpoint_days("admin1", DAY, [day_row(world["cp2"])], today=TODAY, engine=engine)
    assert set(traffic.missing_reports(DAY, engine=engine)["name"]) == {"东卡口"}
    assert traffic.missing_reports(DAY, actor(engine, "siteclerk"), engine=engine).empty


# ---- the writes ----------------------------------------------------------------------------------

def test_site_clerk_writes_for_their_site_and_is_refused_elsewhere(engine, world):
    saved = traffic_entry.save_checkpoint_days("siteclerk", DAY, [day_row(world["cp2"])], today=TODAY, engine=engine)
    assert saved["inserted"] == 1
    with pytest.raises(PermissionDenied) as refused:
        traffic_entry.save_checkpoint_days("siteclerk", DAY, [day_row(world["cp1"])], today=TODAY, engine=engine)
    assert refused.value.zh == "您无权填报这些站点：东卡口"
    assert refused.value.en == "You may not write for these sites: 东卡口"


def test_zone_clerk_is_refused_a_shop_and_an_enterprise_of_another_zone(engine, world):
    other_shop = shops.entry_rows(actor(engine, "admin1"), zone_id=world["z2"], engine=engine).iloc[0]
    with pytest.raises(PermissionDenied) as refused:
        shops.save_shops("clerk1", DAY, [{"shop_id": int(other_shop["shop_id"]), "is_open": True, "staff": 2,
                                          "staff_from_outside": 0, "version": 1}], today=TODAY, engine=engine)
    assert refused.value.en == "You may not write for these shops: 二号超市"
    other = reopening.choices(actor(engine, "admin1"), zone_id=world["z2"], engine=engine).iloc[0]
    with pytest.raises(PermissionDenied) as refused:
        reopening.record_step("clerk1", int(other["id"]), "applied", DAY, 1, today=TODAY, engine=engine)
    assert refused.value.en == "You may not write for this work zone"


def test_viewer_is_refused_every_write(engine, world):
    with pytest.raises(PermissionDenied) as refused:
        traffic_entry.save_checkpoint_days("viewer1", DAY, [day_row(world["cp1"])], today=TODAY, engine=engine)
    assert refused.value.en == "A read-only account cannot change data"
    with pytest.raises(PermissionDenied):
        community.save_survey_round("viewer1", world["village"], {"households_known": 100, "households_reached": 50,
                                                                  "people": 120, "people_from_outside": 0, "unreachable": 0,
                                                                  "utility_checked": 0, "lit_at_night": 0}, DAY, today=TODAY, engine=engine)
