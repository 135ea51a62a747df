"""Shops: the figures by category and zone, and the all-or-nothing audited open/close write, on both backends."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
import sqlalchemy as sa

from data_access import auth, db, shops
from data_access.db import write_session
from data_access.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from data_access.filters import Filters
from data_access.models import AuditLog, Shop
from tests.helpers import minimal_territory

TODAY = dt.date(2020, 2, 25)
DAY = dt.date(2020, 2, 20)


def _shops(engine, zone_id, specs) -> list[int]:
    with write_session(engine) as session:
        rows = [Shop(name=name, zone_id=zone_id, category=category, is_open=is_open, staff=staff,
                     staff_from_outside=outside, status_since=since) for name, category, is_open, staff, outside, since in specs]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


@pytest.fixture
def world(engine):
    ids = minimal_territory(engine)
    ids["z1_shops"] = _shops(engine, ids["z1"], [
        ("一号超市", "supermarket", True, 4, 1, dt.date(2020, 2, 10)),
        ("仁和药店", "pharmacy", True, 2, 0, dt.date(2020, 2, 12)),
        ("老街饭馆", "restaurant", False, 0, 0, None),
        ("东方宾馆", "hotel", False, 0, 0, dt.date(2020, 2, 3)),
    ])
    ids["z2_shops"] = _shops(engine, ids["z2"], [
        ("丰收粮油", "grain_oil", True, 3, 2, dt.date(2020, 2, 15)),
        ("五金店", "other", False, 0, 0, None),
    ])
    return ids


def _filters(zone_id=None, end=TODAY):
    return Filters(zone_id=zone_id, start=dt.date(2020, 2, 1), end=end)


def _row(shop_id, is_open=True, staff=3, outside=0, version=1):
    return {"shop_id": shop_id, "is_open": is_open, "staff": staff, "staff_from_outside": outside, "version": version}


def _state(engine, shop_id):
    with engine.connect() as conn:
        return conn.execute(sa.select(Shop.is_open, Shop.staff, Shop.staff_from_outside, Shop.status_since, Shop.version,
                                      Shop.updated_by).where(Shop.id == shop_id)).one()


def _count(engine, model, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


# ---- reads ------------------------------------------------------------------------------------------

def test_summary_counts_staff_of_open_shops_only(engine, world):
    assert shops.summary(_filters(), engine=engine) == {
        "shops": 6, "open": 3, "closed": 3, "staff": 9, "staff_from_outside": 3, "opened_on_day": 0, "day": TODAY}
    z1 = shops.summary(_filters(zone_id=world["z1"]), engine=engine)
    assert (z1["shops"], z1["open"], z1["staff"], z1["staff_from_outside"]) == (4, 2, 6, 1)
    assert shops.summary(_filters(end=dt.date(2020, 2, 12)), engine=engine)["opened_on_day"] == 1


def test_by_category_lists_every_category_in_order(engine, world):
    frame = shops.by_category(_filters(zone_id=world["z1"]), engine=engine)
    assert list(frame["category"]) == ["supermarket", "pharmacy", "restaurant", "hotel", "grain_oil", "other"]
    assert list(frame["open"]) == [1, 1, 0, 0, 0, 0] and list(frame["closed"]) == [0, 0, 1, 1, 0, 0]
    assert list(frame["staff"]) == [4, 2, 0, 0, 0, 0]


def test_by_zone_and_zone_category(engine, world):
    frame = shops.by_zone(_filters(), engine=engine)
    assert list(frame["code"]) == ["Z1", "Z2"] and list(frame["open"]) == [2, 1] and list(frame["staff"]) == [6, 3]
    cells = shops.by_zone_category(_filters(), engine=engine)
    assert len(cells) == 6 and cells["open"].sum() == 3
    assert cells.set_index(["code", "category"]).loc[("Z2", "grain_oil"), "open"] == 1


def test_shop_table_filters(engine, world):
    assert len(shops.shop_table(_filters(), engine=engine)) == 6
    assert set(shops.shop_table(_filters(), state="open", engine=engine)["name"]) == {"一号超市", "仁和药店", "丰收粮油"}
    assert list(shops.shop_table(_filters(), categories=("hotel",), engine=engine)["name"]) == ["东方宾馆"]
    assert list(shops.shop_table(_filters(), search="药", engine=engine)["name"]) == ["仁和药店"]
    assert shops.shop_table(_filters(), search="%", engine=engine).empty  # LIKE wildcards are escaped
    assert len(shops.shop_table(_filters(), limit=2, engine=engine)) == 2
    assert shops.count_shops(_filters(), state="closed", engine=engine) == 3


def test_entry_rows_follow_the_actors_zones(engine, world):
    clerk = auth.authenticate("clerk1", "pw12-pw12", engine)
    assert set(shops.entry_rows(clerk, engine=engine)["shop_id"]) == set(world["z1_shops"])
    assert shops.entry_rows(clerk, zone_id=world["z2"], engine=engine).empty
    admin = auth.authenticate("admin1", "pw12-pw12", engine)
    assert len(shops.entry_rows(admin, engine=engine)) == 6
    assert list(shops.entry_rows(admin, category="grain_oil", engine=engine)["name"]) == ["丰收粮油"]
    assert shops.entry_rows(auth.authenticate("viewer1", "pw12-pw12", engine), engine=engine).empty


# ---- the write --------------------------------------------------------------------------------------

def test_open_and_close_many_shops_at_once(engine, world):
    restaurant, hotel = world["z1_shops"][2], world["z1_shops"][3]
    supermarket = world["z1_shops"][0]
    version = db.data_version(engine)
    result = shops.save_shops("clerk1", DAY, [_row(restaurant, staff=5, outside=2), _row(hotel, staff=1),
                                              _row(supermarket, is_open=False, staff=4, outside=1)],
                              today=TODAY, engine=engine)
    assert result == {"opened": 2, "closed": 1, "updated": 0, "unchanged": 0}
    assert tuple(_state(engine, restaurant)) == (True, 5, 2, DAY, 2, "clerk1")
    assert tuple(_state(engine, supermarket))[:5] == (False, 0, 0, DAY, 2)  # closing sets staff at work to 0
    assert db.data_version(engine) == version + 1
    figures = shops.summary(_filters(), engine=engine)
    assert (figures["open"], figures["staff"], figures["staff_from_outside"]) == (4, 5 + 1 + 2 + 3, 2 + 0 + 2)


def test_staff_change_keeps_the_opening_day(engine, world):
    pharmacy = world["z1_shops"][1]
    assert shops.save_shops("clerk1", DAY, [_row(pharmacy, staff=6, outside=1)], today=TODAY, engine=engine) == {
        "opened": 0, "closed": 0, "updated": 1, "unchanged": 0}
    assert tuple(_state(engine, pharmacy))[:4] == (True, 6, 1, dt.date(2020, 2, 12))


def test_every_change_is_audited(engine, world):
    restaurant, supermarket = world["z1_shops"][2], world["z1_shops"][0]
    shops.save_shops("clerk1", DAY, [_row(restaurant, staff=5, outside=2), _row(supermarket, staff=6, outside=1)],
                     today=TODAY, engine=engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(AuditLog).where(AuditLog.table_name == "shop").order_by(AuditLog.id)).all()
    assert [(r.action, r.row_id, r.username) for r in rows] == [("open", restaurant, "clerk1"),
                                                                ("update", supermarket, "clerk1")]
    assert json.loads(rows[0].before) == {"is_open": False, "staff": 0, "staff_from_outside": 0, "status_since": None}
    assert json.loads(rows[0].after) == {"is_open": True, "staff": 5, "staff_from_outside": 2,
                                         "status_since": "2020-02-20"}


@pytest.mark.parametrize("row, field, expected_en", [
    ({"staff": -1}, "staff", "cannot be negative"),
    ({"staff": "三"}, "staff", "whole number"),
    ({"staff": 2.5}, "staff", "whole number"),
    ({"staff": None}, "staff", "required"),
    ({"staff": 0}, "staff", "at least 1"),
    ({"staff": 2, "staff_from_outside": 3}, "staff_from_outside", "cannot exceed"),
    ({"is_open": "yes"}, "is_open", "open or closed"),
    ({"is_open": None}, "is_open", "open or closed"),
])
def test_bad_rows_save_nothing(engine, world, row, field, expected_en):
    good = _row(world["z1_shops"][2], staff=5)
    bad = {**_row(world["z1_shops"][3]), **row}
    audits = _count(engine, AuditLog)
    with pytest.raises(ValidationError) as error:
        shops.save_shops("clerk1", DAY, [good, bad], today=TODAY, engine=engine)
    messages = error.value.for_field(field, row=1)
    assert messages and expected_en in messages[0].en and messages[0].zh
    assert _count(engine, AuditLog) == audits
    assert not _state(engine, world["z1_shops"][2]).is_open  # the good row was not saved either


def test_numpy_booleans_from_the_grid_are_accepted(engine, world):
    result = shops.save_shops("clerk1", DAY, [_row(world["z1_shops"][2], is_open=np.bool_(True), staff=np.int64(2))],
                              today=TODAY, engine=engine)
    assert result["opened"] == 1


@pytest.mark.parametrize("day, expected_en", [(TODAY + dt.timedelta(days=1), "future"), ("20-02-2020", "look like"),
                                              (None, "required")])
def test_bad_day(engine, world, day, expected_en):
    with pytest.raises(ValidationError) as error:
        shops.save_shops("clerk1", day, [_row(world["z1_shops"][2])], today=TODAY, engine=engine)
    assert expected_en in error.value.for_field("day")[0].en


def test_day_cannot_be_before_the_shops_last_change(engine, world):
    hotel = world["z1_shops"][3]  # closed since 2020-02-03
    with pytest.raises(ValidationError) as error:
        shops.save_shops("clerk1", dt.date(2020, 2, 2), [_row(world["z1_shops"][2]), _row(hotel)], today=TODAY,
                         engine=engine)
    assert error.value.fields() == {(1, "day")} and "2020-02-03" in error.value.errors[0].en
    assert not _state(engine, world["z1_shops"][2]).is_open


def test_duplicate_and_empty_batches(engine, world):
    with pytest.raises(ValidationError) as error:
        shops.save_shops("clerk1", DAY, [_row(world["z1_shops"][2]), _row(world["z1_shops"][2])], today=TODAY,
                         engine=engine)
    assert error.value.fields() == {(1, "shop_id")}
    with pytest.raises(ValidationError):
        shops.save_shops("clerk1", DAY, [], today=TODAY, engine=engine)
    with pytest.raises(NotFound):
        shops.save_shops("clerk1", DAY, [_row(99_999)], today=TODAY, engine=engine)


@pytest.mark.parametrize("user", ["clerk1", "viewer1"])
def test_rights_whole_batch_refused(engine, world, user):
    rows = [_row(world["z1_shops"][2]), _row(world["z2_shops"][1])] if user == "clerk1" else [_row(world["z1_shops"][2])]
    version = db.data_version(engine)
    with pytest.raises(PermissionDenied) as error:
        shops.save_shops(user, DAY, rows, today=TODAY, engine=engine)
    if user == "clerk1":
        assert "五金店" in error.value.zh
    assert not _state(engine, world["z1_shops"][2]).is_open
    assert db.data_version(engine) == version


def test_supervisor_writes_in_any_zone(engine, world):
    assert shops.save_shops("super1", DAY, [_row(world["z2_shops"][1], staff=2)], today=TODAY, engine=engine)["opened"] == 1


def test_stale_rows_are_refused_and_double_click_writes_once(engine, world):
    restaurant, hotel = world["z1_shops"][2], world["z1_shops"][3]
    shops.save_shops("super1", DAY, [_row(restaurant, staff=5)], today=TODAY, engine=engine)
    with pytest.raises(ConflictError) as error:  # the clerk's form still holds version 1 of the restaurant
        shops.save_shops("clerk1", DAY, [_row(hotel, staff=1), _row(restaurant, staff=7)], today=TODAY, engine=engine)
    assert error.value.rows == [1]
    assert not _state(engine, hotel).is_open and _state(engine, restaurant).staff == 5
    again = shops.save_shops("super1", DAY, [_row(restaurant, staff=5)], today=TODAY, engine=engine)
    assert again == {"opened": 0, "closed": 0, "updated": 0, "unchanged": 1}
    assert _count(engine, AuditLog, AuditLog.table_name == "shop") == 1


def test_shop_names_with_html_are_stored_and_read_as_typed(engine, world):
    [shop_id] = _shops(engine, world["z1"], [("<b>小卖部</b>", "other", False, 0, 0, None)])
    assert shops.shop_table(_filters(), search="<b>", engine=engine).iloc[0]["name"] == "<b>小卖部</b>"
    assert shop_id


# ---- the demo data set ------------------------------------------------------------------------------

def test_demo_figures_exactly(demo_engine):
    from data_access import demo

    filters = Filters(start=dt.date(2020, 2, 1), end=demo.DEMO_AS_OF)
    figures = shops.summary(filters, engine=demo_engine)
    assert (figures["shops"], figures["open"], figures["staff"], figures["staff_from_outside"]) == (453, 58, 123, 17)
    by_category = shops.by_category(filters, engine=demo_engine)
    assert by_category["shops"].sum() == 453 and by_category["open"].sum() == 58
    assert (by_category["shops"] > 0).all()  # every category the report names exists
    by_zone = shops.by_zone(filters, engine=demo_engine)
    assert len(by_zone) == 6 and by_zone["staff"].sum() == 123
