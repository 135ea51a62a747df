"""Issue 15's data layer (data_access/logistics.py) on SQLite and PostgreSQL: the kept stock and its
arithmetic, days of cover, a negative stock refused (by the write and by the database), a goods donation
moving stock exactly once, two clerks issuing the last units at once, stock-takes, the meal grid with
versions and corrections, scope and role refusals, and bad input."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from data_access import auth, db, logistics, versions
from data_access.errors import ConflictError, PermissionDenied, ValidationError
from data_access.filters import Filters
from data_access.models import AuditLog, Donation, MealPointDay, Site, SupplyItem, SupplyMovement, SupplyStock
from tests.helpers import minimal_territory

TODAY = dt.date(2020, 2, 25)


@pytest.fixture
def world(engine):
    """minimal_territory (东卡口 in zone 1, 西卡口 in zone 2, a village in zone 1), a village checkpoint in
    zone 1, masks and disinfectant, and a second clerk of zone 1."""
    ids = minimal_territory(engine)
    auth.add_user("clerk2", "pw12-pw12", "clerk", zone_codes=["Z1"], engine=engine)
    with db.write_session(engine) as session:
        point = Site(kind="checkpoint", checkpoint_type="village", zone_id=ids["z1"], name="王家村卡口",
                     parent_site_id=ids["village"])
        masks = SupplyItem(code="masks", name="口罩", unit="只", low_threshold=30, active=True, version=1)
        disinfectant = SupplyItem(code="disinfectant", name="消毒液", unit="升", low_threshold=5, active=True, version=1)
        session.add_all([point, masks, disinfectant])
        session.flush()
        ids.update(point=point.id, masks=masks.id, disinfectant=disinfectant.id)
    return ids


def receive(ids, quantity, day=TODAY, user="clerk1", item="masks", zone="z1", **extra):
    return logistics.receive(user, {"item_id": ids[item], "zone_id": ids[zone], "day": day, "quantity": quantity,
                                    "kind": "allocation", **extra}, today=TODAY)


def issue(ids, quantity, day=TODAY, user="clerk1", item="masks", zone="z1", **extra):
    return logistics.issue(user, {"item_id": ids[item], "zone_id": ids[zone], "day": day, "quantity": quantity,
                                  **extra}, today=TODAY)


def kept(engine, ids, item="masks", zone="z1", site_id=None) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(SupplyStock.stock).where(
            SupplyStock.item_id == ids[item], SupplyStock.zone_id == ids[zone],
            sa.func.coalesce(SupplyStock.site_id, 0) == (site_id or 0))).scalar() or 0


def summed(engine, ids, item="masks", zone="z1") -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.coalesce(sa.func.sum(SupplyMovement.quantity), 0)).where(
            SupplyMovement.item_id == ids[item], SupplyMovement.zone_id == ids[zone])).scalar_one()


def count(engine, model, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def row_of(frame, **match):
    for key, value in match.items():
        frame = frame[frame[key] == value]
    assert len(frame) == 1, match
    return frame.iloc[0]


# ---- stock arithmetic -------------------------------------------------------------------------------

def test_receipts_and_issues_keep_the_stock_and_the_movements_in_step(engine, world):
    before = db.line_versions(engine)["logistics"]
    assert receive(world, 100, day=TODAY - dt.timedelta(days=3))["stock"] == 100
    assert issue(world, 30, day=TODAY - dt.timedelta(days=2), recipient_site_id=world["point"], recipient="王家村值守组")["stock"] == 70
    assert issue(world, 20, day=TODAY - dt.timedelta(days=1))["stock"] == 50
    assert kept(engine, world) == summed(engine, world) == 50
    assert db.line_versions(engine)["logistics"] == before + 3
    frame = logistics.stock(Filters(end=TODAY), engine)
    masks = row_of(frame, code="masks", zone_id=world["z1"])
    assert (masks["stock"], masks["issued_7d"], masks["threshold"]) == (50, 50, 30)
    # as of an earlier day: the kept stock minus what moved after it
    assert row_of(logistics.stock(Filters(end=TODAY - dt.timedelta(days=3)), engine), code="masks",
                  zone_id=world["z1"])["stock"] == 100
    assert row_of(logistics.stock(Filters(end=TODAY - dt.timedelta(days=4)), engine), code="masks",
                  zone_id=world["z1"])["stock"] == 0
    # every item in every zone, the zone filter applies
    assert len(frame) == 2 * 2 and set(logistics.stock(Filters(zone_id=world["z2"], end=TODAY), engine)["zone_id"]) == {world["z2"]}
    trend = logistics.stock_trend(Filters(zone_id=world["z1"], start=TODAY - dt.timedelta(days=4), end=TODAY),
                                  world["masks"], engine)
    assert list(trend.columns) == ["day", "zone", "stock"] and list(trend["stock"]) == [0, 100, 70, 50, 50]
    moved = logistics.movements(Filters(end=TODAY), engine=engine)
    assert list(moved["quantity"]) == [-20, -30, 100] and list(moved["kind"]) == ["issue", "issue", "allocation"]
    assert moved.iloc[1]["recipient_site"] == "王家村卡口" and moved.iloc[1]["recipient"] == "王家村值守组"
    assert list(moved.columns) == ["id", "day", "kind", "item", "unit", "zone", "site", "quantity", "recipient",
                                   "recipient_site", "note", "recorded_by"]
    audits = count(engine, AuditLog, AuditLog.table_name == "supply_movement")
    assert audits == 3


def test_a_duty_point_holds_its_own_stock(engine, world):
    receive(world, 40, site_id=world["cp1"])
    receive(world, 10)
    assert kept(engine, world, site_id=world["cp1"]) == 40 and kept(engine, world) == 10
    with pytest.raises(ValidationError) as refused:
        issue(world, 11)  # the zone's store holds 10: the duty point's 40 are its own
    assert "10" in refused.value.for_field("quantity")[0].zh
    assert issue(world, 35, site_id=world["cp1"])["stock"] == 5
    assert row_of(logistics.stock(Filters(end=TODAY), engine), code="masks", zone_id=world["z1"])["stock"] == 15


# ---- days of cover -------------------------------------------------------------------------------------

def test_days_of_cover_at_the_last_seven_days_issue_rate(engine, world):
    receive(world, 200, day=TODAY - dt.timedelta(days=10))
    issue(world, 60, day=TODAY - dt.timedelta(days=8))  # outside the 7 days ending TODAY
    issue(world, 40, day=TODAY - dt.timedelta(days=6))
    issue(world, 30, day=TODAY)
    receive(world, 20, item="disinfectant")  # nothing issued: no rate, no days of cover
    frame = logistics.stock(Filters(end=TODAY), engine)
    masks = row_of(frame, code="masks", zone_id=world["z1"])
    assert masks["stock"] == 70 and masks["issued_7d"] == 70 and masks["daily_rate"] == 10.0
    assert masks["cover_days"] == 7.0 and not masks["low"]
    assert row_of(frame, code="disinfectant", zone_id=world["z1"])["cover_days"] is None
    assert frame.iloc[0]["code"] == "masks" and frame.iloc[0]["zone_id"] == world["z1"]  # fewest days first
    assert list(frame.columns) == logistics.STOCK_COLUMNS
    issue(world, 45)  # 25 left at (40 + 30 + 45) / 7 a day: about 1.5 days
    low = logistics.low_stock(Filters(end=TODAY), engine)
    masks = row_of(low, code="masks", zone_id=world["z1"])
    assert masks["stock"] == 25 and masks["cover_days"] == round(25 / (115 / 7), 1) and masks["low"]
    assert {"zone", "item", "stock", "threshold", "unit", "share"} <= set(low.columns)
    tile = logistics.logistics_tile(Filters(end=TODAY), engine)
    assert tile["fewest_cover"]["item"] == "口罩" and tile["fewest_cover"]["days"] == masks["cover_days"]
    # as of a day with stock under 3 days of cover but over the threshold: still an alert
    receive(world, 20, day=TODAY, item="masks")
    low = logistics.low_stock(Filters(end=TODAY), engine)
    masks = row_of(low, code="masks", zone_id=world["z1"])
    assert masks["stock"] == 45 > masks["threshold"] and masks["cover_days"] < 3


# ---- a negative stock is refused ---------------------------------------------------------------------------

def test_issuing_more_than_is_in_stock_is_refused_naming_the_item_and_the_stock(engine, world):
    receive(world, 120)
    with pytest.raises(ValidationError) as refused:
        issue(world, 121)
    message = refused.value.for_field("quantity")[0]
    assert "口罩库存只有 120 只" in message.zh and "only 120" in message.en and "口罩" in message.en
    assert kept(engine, world) == summed(engine, world) == 120
    assert count(engine, SupplyMovement, SupplyMovement.kind == "issue") == 0
    with pytest.raises(ValidationError) as refused:  # an item never received in this zone
        issue(world, 1, zone="z2", user="super1")
    assert "只有 0 只" in refused.value.for_field("quantity")[0].zh


def test_the_database_itself_refuses_a_negative_stock(engine, world):
    receive(world, 5)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.update(SupplyStock).values(stock=SupplyStock.stock - 6))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # one stock row per place
        conn.execute(sa.insert(SupplyStock).values(item_id=world["masks"], zone_id=world["z1"], site_id=None, stock=1))
    assert kept(engine, world) == 5


def test_two_clerks_issuing_the_last_units_at_once_one_is_refused(engine, world, backend):
    """Real issues in two threads (each its own connection), started together: exactly one goes through."""
    receive(world, 10)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def clerk(name):
        barrier.wait()
        try:
            issue(world, 8, user=name)
            outcomes.append("issued")
        except ValidationError as error:
            outcomes.append("refused" if error.for_field("quantity") else repr(error))
        except Exception as error:  # reported to the test
            outcomes.append(repr(error))

    threads = [threading.Thread(target=clerk, args=(name,)) for name in ("clerk1", "clerk2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["issued", "refused"]
    assert kept(engine, world) == summed(engine, world) == 2


def test_an_issue_waiting_for_another_clerks_open_transaction_is_refused_after_it_commits(engine, world, backend):
    """The first clerk's transaction has taken the last units and not committed yet: the second issue
    waits for it (PostgreSQL: the row lock; SQLite: the write lock) and then finds too little."""
    receive(world, 10)
    first = engine.connect().execution_options(sqlite_immediate=True)
    outcome: list[str] = []

    def second():
        try:
            issue(world, 8, user="clerk2")
            outcome.append("issued")
        except ValidationError as error:
            outcome.append(error.for_field("quantity")[0].zh)

    try:
        first.begin()
        taken = first.execute(sa.update(SupplyStock).where(SupplyStock.item_id == world["masks"],
                                                           SupplyStock.stock >= 8)
                              .values(stock=SupplyStock.stock - 8))
        assert taken.rowcount == 1
        first.execute(sa.insert(SupplyMovement).values(item_id=world["masks"], zone_id=world["z1"], day=TODAY,
                                                       quantity=-8, kind="issue", recorded_by="clerk1"))
        waiting = threading.Thread(target=second)
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive(), "the second issue did not wait for the first transaction"
        first.commit()
        waiting.join(timeout=30)
        assert not waiting.is_alive()
    finally:
        first.close()
    assert outcome == ["口罩库存只有 2 只，不能发放 8 只"]
    assert kept(engine, world) == summed(engine, world) == 2


# ---- stock-take ----------------------------------------------------------------------------------------

def test_a_stock_take_sets_the_counted_figure_with_its_reason(engine, world):
    receive(world, 50, day=TODAY - dt.timedelta(days=2))
    done = logistics.stock_take("clerk1", {"item_id": world["masks"], "zone_id": world["z1"], "day": TODAY,
                                           "counted": 45, "reason": "盘点：5只破损"}, today=TODAY)
    assert done["stock"] == 45 and done["difference"] == -5
    assert kept(engine, world) == summed(engine, world) == 45
    # a count that matched is kept as a movement of 0
    done = logistics.stock_take("clerk1", {"item_id": world["masks"], "zone_id": world["z1"], "day": TODAY,
                                           "counted": 45, "reason": "复盘一致"}, today=TODAY)
    assert done["difference"] == 0 and count(engine, SupplyMovement, SupplyMovement.kind == "stocktake") == 2
    # the stock before the count is still what it was then
    assert row_of(logistics.stock(Filters(end=TODAY - dt.timedelta(days=1)), engine), code="masks",
                  zone_id=world["z1"])["stock"] == 50
    with engine.connect() as conn:
        reasons = conn.execute(sa.select(AuditLog.reason).where(AuditLog.action == "stocktake")).scalars().all()
    assert reasons == ["盘点：5只破损", "复盘一致"]
    # a place never stocked: the count creates its row
    logistics.stock_take("super1", {"item_id": world["disinfectant"], "zone_id": world["z2"], "day": TODAY,
                                    "counted": 7, "reason": "首次盘点"}, today=TODAY)
    assert kept(engine, world, item="disinfectant", zone="z2") == summed(engine, world, "disinfectant", "z2") == 7


def test_a_stock_take_needs_a_reason_and_a_count(engine, world):
    with pytest.raises(ValidationError) as refused:
        logistics.stock_take("clerk1", {"item_id": world["masks"], "zone_id": world["z1"], "day": TODAY,
                                        "counted": -1, "reason": " "}, today=TODAY)
    assert refused.value.fields() == {(None, "counted"), (None, "reason")}


# ---- donations -------------------------------------------------------------------------------------------

def donation(ids, **changes):
    row = {"day": TODAY, "donor": "某科技有限公司", "donor_kind": "firm", "donor_origin": "elsewhere", "anonymous": False,
           "kind": "goods", "amount": 500, "item_id": ids["masks"], "estimated_value": 1500,
           "description": "医用口罩500只", "received_by": "王建华", "zone_id": ids["z1"]}
    return {**row, **changes}


def test_a_goods_donation_moves_stock_exactly_once(engine, world):
    receive(world, 10)
    done = logistics.record_donation("clerk1", donation(world), today=TODAY)
    assert done["stock"] == 510 and done["movement_id"] is not None
    assert kept(engine, world) == summed(engine, world) == 510
    assert count(engine, SupplyMovement, SupplyMovement.donation_id == done["donation_id"]) == 1
    assert count(engine, SupplyMovement, SupplyMovement.kind == "donation") == 1
    # money, meals, and goods that are not a listed item move no stock
    logistics.record_donation("clerk1", donation(world, kind="money", amount=2000, item_id=None, estimated_value=None),
                              today=TODAY)
    logistics.record_donation("clerk1", donation(world, kind="meals", amount=80, item_id=None), today=TODAY)
    logistics.record_donation("clerk1", donation(world, item_id=None, description="矿泉水50箱"), today=TODAY)
    assert count(engine, Donation) == 4 and count(engine, SupplyMovement, SupplyMovement.kind == "donation") == 1
    assert kept(engine, world) == 510
    # a refused donation moves nothing either
    with pytest.raises(ValidationError):
        logistics.record_donation("clerk1", donation(world, amount=-5), today=TODAY)
    assert count(engine, Donation) == 4 and kept(engine, world) == 510
    audits = count(engine, AuditLog, AuditLog.table_name.in_(("donation", "supply_movement")))
    assert audits == 4 + 2  # four donations, the first receipt and the donation's movement


def test_anonymous_donors_are_never_named(engine, world):
    logistics.record_donation("clerk1", donation(world, kind="money", amount=1000, item_id=None, donor="张三",
                                                 donor_kind="person", donor_origin="inside", anonymous=True),
                              today=TODAY)
    logistics.record_donation("super1", donation(world, kind="money", amount=500, item_id=None, donor="",
                                                 donor_kind="person", anonymous=True, zone_id=None), today=TODAY)
    logistics.record_donation("clerk1", donation(world, kind="money", amount=3000, item_id=None), today=TODAY)
    register = logistics.donations(Filters(end=TODAY), engine)
    assert list(register.columns) == logistics.DONATION_COLUMNS
    assert register["donor"].tolist().count(None) == 2 and "张三" not in register["donor"].tolist()
    by_day = logistics.thank_you_list(Filters(end=TODAY), "day", engine)
    assert "张三" not in by_day["donor"].tolist() and list(by_day.columns) == logistics.THANKS_BY_DAY
    by_donor = logistics.thank_you_list(Filters(end=TODAY), "donor", engine)
    assert list(by_donor.columns) == logistics.THANKS_BY_DONOR
    assert by_donor.iloc[0]["donor"] == "某科技有限公司" and by_donor.iloc[0]["money"] == 3000
    anonymous = by_donor[by_donor["anonymous"]]
    assert len(anonymous) == 1 and anonymous.iloc[0]["donor"] is None and anonymous.iloc[0]["money"] == 1500
    assert anonymous.iloc[0]["gifts"] == 2


def test_a_named_donor_is_required_unless_anonymous_and_goods_into_stock_need_a_zone(engine, world):
    with pytest.raises(ValidationError) as refused:
        logistics.record_donation("super1", donation(world, donor=" ", zone_id=None, donor_kind="bank",
                                                     kind="cash"), today=TODAY)
    assert {"donor", "donor_kind", "kind"} <= {field for _, field in refused.value.fields()}
    with pytest.raises(ValidationError) as refused:
        logistics.record_donation("super1", donation(world, zone_id=None), today=TODAY)
    assert refused.value.fields() == {(None, "zone_id")}
    with pytest.raises(ValidationError) as refused:
        logistics.record_donation("clerk1", donation(world, kind="money", zone_id=None), today=TODAY)
    assert (None, "item_id") in refused.value.fields()


# ---- meals ------------------------------------------------------------------------------------------------

def meal_rows(grid, meals, donated=0):
    return [{"site_id": int(r.site_id), "meals": meals, "donated_meals": donated,
             "version": None if r.version is None else int(r.version)} for r in grid.itertuples()]


def test_the_meal_grid_saves_with_versions_and_corrections(engine, world):
    clerk = auth.authenticate("clerk1", "pw12-pw12", engine)
    grid = logistics.meal_grid(clerk, TODAY, engine=engine)
    assert list(grid.columns) == ["site_id", "name", "zone_id", "zone", "meals", "donated_meals", "version", "usual"]
    assert set(grid["site_id"]) == {world["cp1"], world["point"]}  # zone 1's duty points, not the village
    assert logistics.save_meal_days("clerk1", TODAY, meal_rows(grid, 12, 3), today=TODAY) == \
        {"inserted": 2, "updated": 0, "unchanged": 0}
    # a double click saves nothing twice
    assert logistics.save_meal_days("clerk1", TODAY, meal_rows(grid, 12, 3), today=TODAY)["unchanged"] == 2
    grid = logistics.meal_grid(clerk, TODAY, engine=engine)
    assert set(grid["version"]) == {1} and set(grid["meals"]) == {12}
    stale = meal_rows(grid, 15)
    assert logistics.save_meal_days("clerk2", TODAY, meal_rows(grid, 14), today=TODAY)["updated"] == 2
    with pytest.raises(ConflictError):  # saved by someone else since this grid was loaded
        logistics.save_meal_days("clerk1", TODAY, stale, today=TODAY)
    # an earlier day's saved figures: a correction, with its reason
    grid = logistics.meal_grid(clerk, TODAY, engine=engine)
    later = TODAY + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        logistics.save_meal_days("clerk1", TODAY, meal_rows(grid, 16), today=later)
    assert refused.value.fields() == {(None, "reason")}
    assert logistics.save_meal_days("clerk1", TODAY, meal_rows(grid, 16), reason="漏报夜班", today=later)["updated"] == 2
    with engine.connect() as conn:
        saved = conn.execute(sa.select(MealPointDay.meals, MealPointDay.corrected, MealPointDay.correction_reason,
                                       MealPointDay.version)).all()
    assert {tuple(r) for r in saved} == {(16, True, "漏报夜班", 3)}
    actions = count(engine, AuditLog, AuditLog.table_name == "meal_point_day")
    assert actions == 2 + 2 + 2
    today = logistics.meals_today(Filters(end=TODAY), engine)
    assert today == {"day": TODAY, "meals": 32, "donated_meals": 0, "reported": 2, "expected": 3}


def test_the_usual_figure_is_the_median_of_the_last_seven_days(engine, world):
    for back, meals in ((1, 10), (2, 30), (3, 20), (9, 500)):
        logistics.save_meal_days("super1", TODAY - dt.timedelta(days=back),
                                 [{"site_id": world["cp1"], "meals": meals, "donated_meals": 1, "version": None}],
                                 today=TODAY - dt.timedelta(days=back))
    admin = auth.authenticate("admin1", "pw12-pw12", engine)
    grid = logistics.meal_grid(admin, TODAY, engine=engine)
    assert row_of(grid, site_id=world["cp1"])["usual"] == 20
    assert row_of(grid, site_id=world["cp2"])["usual"] is None
    assert set(logistics.meal_grid(admin, TODAY, zone_id=world["z2"], engine=engine)["site_id"]) == {world["cp2"]}
    daily = logistics.meals_daily(Filters(start=TODAY - dt.timedelta(days=3), end=TODAY), engine)
    assert list(daily.columns) == ["day", "meals", "donated_meals", "points_reported", "points_expected"]
    assert list(daily["meals"]) == [20, 30, 10, 0] and list(daily["points_reported"]) == [1, 1, 1, 0]
    assert set(daily["points_expected"]) == {3}
    tile = logistics.logistics_tile(Filters(end=TODAY - dt.timedelta(days=1)), engine)
    assert (tile["meals"], tile["meals_reported"], tile["meals_expected"]) == (10, 1, 3) and tile["fewest_cover"] is None


def test_meals_are_saved_for_duty_points_only(engine, world):
    with pytest.raises(ValidationError) as refused:
        logistics.save_meal_days("super1", TODAY, [{"site_id": world["village"], "meals": 5, "donated_meals": 0,
                                                    "version": None}], today=TODAY)
    assert refused.value.fields() == {(0, "site_id")}
    with pytest.raises(ValidationError) as refused:
        logistics.save_meal_days("super1", TODAY, [
            {"site_id": world["cp1"], "meals": -1, "donated_meals": "abc", "version": None},
            {"site_id": world["cp1"], "meals": 5, "donated_meals": 0, "version": None}], today=TODAY)
    assert refused.value.fields() == {(0, "meals"), (0, "donated_meals"), (1, "site_id")}
    assert count(engine, MealPointDay) == 0


# ---- scope and role --------------------------------------------------------------------------------------

def test_clerks_write_only_in_their_zone_and_viewers_nowhere(engine, world):
    receive(world, 10, zone="z2", user="super1")
    with pytest.raises(PermissionDenied):
        issue(world, 1, zone="z2")
    with pytest.raises(PermissionDenied):
        receive(world, 1, zone="z2")
    with pytest.raises(PermissionDenied):
        logistics.stock_take("clerk1", {"item_id": world["masks"], "zone_id": world["z2"], "day": TODAY,
                                        "counted": 0, "reason": "x"}, today=TODAY)
    with pytest.raises(PermissionDenied):
        logistics.save_meal_days("clerk1", TODAY, [{"site_id": world["cp2"], "meals": 5, "donated_meals": 0,
                                                    "version": None}], today=TODAY)
    with pytest.raises(PermissionDenied):
        logistics.record_donation("clerk1", donation(world, zone_id=world["z2"]), today=TODAY)
    for write in (lambda: receive(world, 1, user="viewer1"), lambda: issue(world, 1, user="viewer1"),
                  lambda: logistics.record_donation("viewer1", donation(world), today=TODAY),
                  lambda: logistics.save_meal_days("viewer1", TODAY, [{"site_id": world["cp1"], "meals": 5,
                                                                       "donated_meals": 0, "version": None}],
                                                   today=TODAY)):
        with pytest.raises(PermissionDenied):
            write()
    viewer = auth.authenticate("viewer1", "pw12-pw12", engine)
    assert logistics.meal_grid(viewer, TODAY, engine=engine).empty
    assert kept(engine, world, zone="z2") == 10 and count(engine, MealPointDay) == 0
    assert count(engine, Donation) == 0 and count(engine, SupplyMovement) == 1


def test_only_admins_manage_items(engine, world):
    row = {"id": None, "code": "goggles", "name": "护目镜", "unit": "副", "low_threshold": 10, "active": True}
    for user in ("clerk1", "super1", "viewer1"):
        with pytest.raises(PermissionDenied):
            logistics.save_item(user, row)
    made = logistics.save_item("admin1", row)
    assert made["version"] == 1 and "goggles" in set(logistics.items(engine=engine)["code"])
    changed = logistics.save_item("admin1", {**row, "id": made["id"], "low_threshold": 20, "version": 1})
    assert changed["version"] == 2
    with pytest.raises(ConflictError):
        logistics.save_item("admin1", {**row, "id": made["id"], "low_threshold": 30, "version": 1})
    with pytest.raises(ValidationError) as refused:  # another item's code
        logistics.save_item("admin1", {**row, "code": "masks"})
    assert refused.value.fields() == {(None, "code")}
    logistics.save_item("admin1", {**row, "id": made["id"], "low_threshold": 20, "active": False, "version": 2})
    assert "goggles" not in set(logistics.items(engine=engine)["code"])
    assert "goggles" in set(logistics.items(include_inactive=True, engine=engine)["code"])
    with pytest.raises(ValidationError) as refused:  # an inactive item takes no movement
        receive({**world, "goggles": made["id"]}, 5, item="goggles")
    assert refused.value.fields() == {(None, "item_id")}


# ---- bad input -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("field, value, expected_en", [
    ("quantity", -5, "cannot be negative"),
    ("quantity", 0, "more than 0"),
    ("quantity", "十个", "must be a whole number"),
    ("quantity", 2.5, "must be a whole number"),
    ("day", TODAY + dt.timedelta(days=1), "future"),
    ("day", dt.date(2019, 12, 31), "season start"),
    ("day", "2020-02-30", "date must look like"),
    ("recipient", "人" * 101, "too long"),
    ("note", "x" * 501, "too long"),
    ("item_id", 9999, "unknown item"),
    ("item_id", "口罩", "unknown item"),
    ("zone_id", 9999, "unknown work zone"),
    ("recipient_site_id", 9999, "unknown site"),
])
def test_bad_input_is_refused_on_its_field(engine, world, field, value, expected_en):
    receive(world, 100)
    row = {"item_id": world["masks"], "zone_id": world["z1"], "day": TODAY, "quantity": 5, field: value}
    with pytest.raises(ValidationError) as refused:
        logistics.issue("super1", row, today=TODAY)
    errors = refused.value.for_field(field)
    assert errors and expected_en in errors[0].en and errors[0].zh
    assert kept(engine, world) == summed(engine, world) == 100


def test_a_recipient_of_another_zone_is_refused(engine, world):
    receive(world, 100)
    with pytest.raises(ValidationError) as refused:
        issue(world, 5, user="super1", recipient_site_id=world["cp2"])
    assert refused.value.fields() == {(None, "recipient_site_id")}


def test_a_receipt_names_its_kind(engine, world):
    with pytest.raises(ValidationError) as refused:
        logistics.receive("super1", {"item_id": world["masks"], "zone_id": world["z1"], "day": TODAY, "quantity": 5,
                                     "kind": "issue"}, today=TODAY)
    assert refused.value.fields() == {(None, "kind")}


def test_every_logistics_table_is_in_the_logistics_line():
    for table in ("supply_item", "supply_stock", "supply_movement", "meal_point_day", "meal_day", "donation"):
        assert versions.LINE_OF_TABLE[table] == "logistics"


# ---- the demo's story -------------------------------------------------------------------------------------

def test_the_demo_kept_stock_is_the_movements_sum_and_tells_the_report(demo_engine):
    with demo_engine.connect() as conn:
        differ = conn.execute(sa.text(
            "SELECT count(*) FROM supply_stock s FULL OUTER JOIN (SELECT item_id, zone_id, sum(quantity) AS q "
            "FROM supply_movement GROUP BY item_id, zone_id) m ON m.item_id = s.item_id AND m.zone_id = s.zone_id "
            "WHERE s.stock IS DISTINCT FROM m.q") if conn.dialect.name == "postgresql" else sa.text(
            "SELECT count(*) FROM supply_stock s JOIN (SELECT item_id, zone_id, sum(quantity) AS q "
            "FROM supply_movement GROUP BY item_id, zone_id) m ON m.item_id = s.item_id AND m.zone_id = s.zone_id "
            "WHERE s.stock <> m.q")).scalar_one()
    assert differ == 0
    first_week = logistics.stock(Filters(end=dt.date(2020, 2, 7)), demo_engine)
    masks = first_week[first_week["code"] == "masks"]
    assert (masks["cover_days"].dropna() < 3).sum() >= 4  # masks were scarce
    low = logistics.low_stock(Filters(end=dt.date(2020, 2, 25)), demo_engine)
    assert 1 <= len(low) <= 3 and (low["cover_days"].dropna() < 3).any()
    meals = logistics.meals_daily(Filters(start=dt.date(2020, 2, 1), end=dt.date(2020, 2, 25)), demo_engine)
    assert (meals["meals"] > 200).all() and (meals["points_reported"] == meals["points_expected"]).all()
    assert meals["donated_meals"].sum() == 120 + 80 + 150
    gifts = logistics.donations(Filters(), demo_engine)
    assert {"firm", "resident_group", "person"} <= set(gifts["donor_kind"]) and gifts["anonymous"].sum() >= 1
    assert {"inside", "elsewhere"} <= set(gifts["donor_origin"])
    goods = gifts[(gifts["kind"] == "goods") & gifts["item"].notna()]
    assert len(goods) >= 3 and count(demo_engine, SupplyMovement, SupplyMovement.kind == "donation") == len(goods)


def test_an_item_running_out_within_three_days_is_an_alert_of_its_own(engine, world):
    """Under 3 days of cover at the last week's issue rate: "short_cover" with whole days left (rounded up),
    urgency 2, before a mere below-threshold reminder ("low_stock", urgency 3). Both lists of the wall agree."""
    from data_access import alerts

    receive(world, 100, day=TODAY - dt.timedelta(days=8))
    receive(world, 20, day=TODAY - dt.timedelta(days=8), item="disinfectant")
    for back in range(7):  # 13 masks a day for a week: 100 - 91 = 9 left, 0.7 days of cover
        logistics.issue("clerk1", {"item_id": world["masks"], "zone_id": world["z1"], "day": TODAY - dt.timedelta(days=back),
                                   "quantity": 13}, today=TODAY, engine=engine)
    logistics.issue("clerk1", {"item_id": world["disinfectant"], "zone_id": world["z1"], "day": TODAY, "quantity": 16},
                    today=TODAY, engine=engine)  # 4 left at 16/7 a day: 1.75 days, short as well
    filters = Filters(start=TODAY - dt.timedelta(days=29), end=TODAY)
    rows = alerts.alerts(filters, dt.datetime(2020, 2, 25, 12, tzinfo=dt.timezone.utc), engine)
    stock = rows[rows["kind"].isin(["short_cover", "low_stock"])]
    masks = stock[stock["subject"].str.endswith("口罩")].iloc[0]
    assert (masks.kind, masks.urgency, masks.days, masks.detail) == ("short_cover", 2, 1, "9 只")
    shortest = stock[stock["kind"] == "short_cover"]["days"].tolist()
    assert shortest == [1, 2]  # masks (0.7 days) before disinfectant (1.75 days): the soonest out first
    split = alerts.other_alerts(filters, engine=engine)["rows"]
    assert set(split["kind"]) >= {"short_cover"} and len(split[split["kind"] == "short_cover"]) == len(stock[stock["kind"] == "short_cover"])
