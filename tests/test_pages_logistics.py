"""AppTest: the logistics pages (物资保障, 送餐登记, 爱心捐赠) and their forms, on the demo data.

Each page opens for each role allowed to see it in both languages; a form's bad input shows its message
next to the field and saves nothing; a good save shows the new figure.
"""
from __future__ import annotations

import datetime as dt

import pytest

from data_access import auth, logistics
from data_access.filters import Filters
from tests.apptest_helpers import app, open_in, signed_in, texts

SUPPLIES, MEALS, DONATIONS = "pages/supplies.py", "pages/meal_entry.py", "pages/donations.py"
ROLES = ("admin", "supervisor", "clerk", "viewer")
WRITERS = ("admin", "supervisor", "clerk")


def _errors(at) -> list[str]:
    return [e.value for e in at.error]


def _form_errors(at) -> str:
    """Every error box's text (the field messages sit in their own boxes under the fields)."""
    return "\n".join(_errors(at))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # both databases: tests/test_smoke_pages.py
@pytest.mark.parametrize("language", ("zh", "en"), indirect=True)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", (SUPPLIES, MEALS, DONATIONS))
def test_page_opens_for_every_role(demo_engine, role, language, page):
    if page == MEALS and role == "viewer":
        at = signed_in(role)
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page).run()
        return
    at = open_in(role, page, language)
    assert at.title
    if language == "en":
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in at.title[0].value)
    forms = [f for f in ("sup_receive_save", "don_form_save") if any(b.key == f for b in at.button)]
    assert bool(forms) == (role in WRITERS and page != MEALS), forms


def _zone_and_item(at, engine):
    """The zone the supplies forms record for and the first active item."""
    zone_id = at.selectbox(key="sup_zone").value
    item = logistics.items(engine=engine).iloc[0]
    return zone_id, int(item["id"]), item["name"]


def _stock_now(engine, zone_id, item_id) -> int:
    frame = logistics.stock(Filters(zone_id=zone_id, end=dt.date.today()), engine=engine)
    return int(frame.loc[frame["item_id"] == item_id, "stock"].iloc[0])


def test_issue_more_than_in_stock_is_refused_under_the_quantity(demo_engine):
    at = open_in("clerk", SUPPLIES, "zh")
    zone_id, item_id, name = _zone_and_item(at, demo_engine)
    before = _stock_now(demo_engine, zone_id, item_id)
    at.selectbox(key="sup_issue_item").set_value(item_id)
    at.number_input(key="sup_issue_quantity").set_value(before + 1)
    at.button(key="sup_issue_save").click().run()
    assert not at.exception
    errors = _form_errors(at)
    assert "未保存任何内容" in errors and str(before) in errors.replace(",", ""), errors
    assert _stock_now(demo_engine, zone_id, item_id) == before  # nothing saved
    assert at.number_input(key="sup_issue_quantity").value == before + 1  # what was typed stays


def test_stock_take_without_a_reason_is_refused(demo_engine):
    at = open_in("supervisor", SUPPLIES, "zh")
    zone_id, item_id, _ = _zone_and_item(at, demo_engine)
    before = _stock_now(demo_engine, zone_id, item_id)
    at.selectbox(key="sup_stocktake_item").set_value(item_id)
    at.number_input(key="sup_stocktake_counted").set_value(before + 7)
    at.button(key="sup_stocktake_save").click().run()
    assert not at.exception and "未保存任何内容" in _form_errors(at)
    assert _stock_now(demo_engine, zone_id, item_id) == before


def test_receive_then_issue_show_the_new_stock(demo_engine):
    at = open_in("clerk", SUPPLIES, "zh")
    zone_id, item_id, name = _zone_and_item(at, demo_engine)
    before = _stock_now(demo_engine, zone_id, item_id)
    at.selectbox(key="sup_receive_item").set_value(item_id)
    at.number_input(key="sup_receive_quantity").set_value(1000)
    at.button(key="sup_receive_save").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    assert _stock_now(demo_engine, zone_id, item_id) == before + 1000
    assert "已入库" in texts(at)
    at.selectbox(key="sup_issue_item").set_value(item_id)
    at.number_input(key="sup_issue_quantity").set_value(300)
    at.text_input(key="sup_issue_recipient").input("东卡口值守组")
    at.button(key="sup_issue_save").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    now = before + 700
    assert _stock_now(demo_engine, zone_id, item_id) == now
    assert "已发放" in texts(at)
    assert f"{name} {now:,}" in texts(at)  # the zone's stock line under the forms shows the new figure


def test_donation_without_a_donor_is_refused_then_registered(demo_engine):
    at = open_in("clerk", DONATIONS, "zh")
    before = len(logistics.donations(Filters(), engine=demo_engine))
    at.number_input(key="don_form_amount").set_value(5000)
    at.button(key="don_form_save").click().run()
    assert not at.exception and "未保存任何内容" in _form_errors(at)
    assert len(logistics.donations(Filters(), engine=demo_engine)) == before
    at.text_input(key="don_form_donor").input("测试爱心企业")
    at.button(key="don_form_save").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    assert "已登记" in texts(at) and "测试爱心企业" in texts(at)
    assert len(logistics.donations(Filters(), engine=demo_engine)) == before + 1


def test_anonymous_donor_is_listed_as_anonymous(demo_engine):
    at = open_in("supervisor", DONATIONS, "zh")
    at.text_input(key="don_form_donor").input("不愿具名的王先生")
    at.checkbox(key="don_form_anonymous").check()
    at.number_input(key="don_form_amount").set_value(2000)
    at.button(key="don_form_save").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    at.toggle(key="thanks_show").set_value(True).run()
    shown = "\n".join(str(getattr(e, "proto", "")) for e in at.get("html")) + texts(at)
    assert "匿名" in shown and "王先生" not in shown


def test_meal_grid_opens_with_the_duty_points(demo_engine):
    at = open_in("clerk", MEALS, "zh")
    assert not at.exception and not _errors(at)
    assert at.button(key="meal_save") is not None


def test_meal_grid_saves_the_usual_figures_it_was_filled_with(demo_engine):
    """A day nobody has reported yet opens filled with each point's usual figure; saving it as it is
    records those figures, and the day's total and completeness line shows them."""
    day = dt.date(2020, 2, 26)  # the demo's meals end on 02-25
    clerk = auth.authenticate("clerk", "demo")
    grid = logistics.meal_grid(clerk, day, engine=demo_engine)
    assert grid["version"].isna().all() and grid["usual"].notna().all()
    at = open_in("clerk", MEALS, "zh")
    at.date_input(key="meal_day").set_value(day).run()
    assert "0/" in texts(at)  # nothing reported for the day yet
    at.button(key="meal_save").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    usual = int(grid["usual"].sum())
    saved = logistics.meal_grid(clerk, day, engine=demo_engine)
    assert saved["version"].notna().all() and int(saved["meals"].sum()) == usual
    assert f"{usual:,} 份送餐" in texts(at)  # the message
    assert f"送餐 {usual:,} 份" in texts(at)  # the day's total, read again after the save


def test_wall_tile_shows_meals_and_the_shortest_cover(demo_engine):
    at = app({"key": "demo-wall"})
    at.run()
    tile = next(m for m in at.metric if m.label.startswith("今日送餐"))
    figures = logistics.logistics_tile(Filters(end=dt.date(2020, 2, 25)), engine=demo_engine)
    assert tile.value == f"{figures['meals']:,}"
    fewest = figures["fewest_cover"]
    assert fewest and fewest["item"] in tile.delta.replace("\u2060", "")
    if fewest["days"] < 3:  # the alert column names it too (alerts.py's short_cover rows)
        assert f"{fewest['zone']} {fewest['item']} 不足" in texts(at)


def test_thank_you_list_by_donor_names_the_donors(demo_engine):
    at = open_in("viewer", DONATIONS, "zh")
    assert not any(b.key == "don_form_save" for b in at.button)  # a viewer only reads
    at.segmented_control(key="thanks_by").set_value("donor").run()
    at.toggle(key="thanks_show").set_value(True).run()
    assert not at.exception and not _errors(at)
    page = "\n".join(str(e.proto) for e in at.get("html"))
    first = logistics.thank_you_list(Filters(start=dt.date(2020, 2, 1), end=dt.date(2020, 2, 25)), "donor",
                                     engine=demo_engine).iloc[0]["donor"]
    assert first in page and "笔数" in page  # the list by donor, one row each



def test_a_duty_point_keeps_its_own_stock(demo_engine):
    """Held at a duty point: received into it and issued from it, the point's own stock moves and the zone's
    store does not; issuing more than the point holds is refused under the quantity, with the count kept."""
    import sqlalchemy as sa

    from data_access import territory
    from data_access.models import SupplyStock

    def held(zone_id, item_id) -> dict:
        with demo_engine.connect() as conn:
            rows = conn.execute(sa.select(SupplyStock.site_id, SupplyStock.stock)
                                .where(SupplyStock.zone_id == zone_id, SupplyStock.item_id == item_id)).all()
        return {site: stock for site, stock in rows}

    at = open_in("clerk", SUPPLIES, "zh")
    zone_id, item_id, _ = _zone_and_item(at, demo_engine)
    assert at.session_state["sup_place"] == 0 and at.selectbox(key="sup_place").options[0] == "管区物资库"
    before = held(zone_id, item_id)
    point = int(territory.sites(zone_id, ("checkpoint",), engine=demo_engine)["id"].iloc[0])
    at.selectbox(key="sup_place").set_value(point).run()
    at.selectbox(key="sup_receive_item").set_value(item_id)
    at.number_input(key="sup_receive_quantity").set_value(100)
    at.button(key="sup_receive_save").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    after = held(zone_id, item_id)
    assert after[point] == before.get(point, 0) + 100 and after[None] == before[None]
    at.selectbox(key="sup_issue_item").set_value(item_id)
    at.number_input(key="sup_issue_quantity").set_value(after[point] + 1)
    at.button(key="sup_issue_save").click().run()
    assert "库存只有" in _form_errors(at) and held(zone_id, item_id) == after
    assert at.number_input(key="sup_issue_quantity").value == after[point] + 1  # what was typed stays
    at.number_input(key="sup_issue_quantity").set_value(40)
    at.button(key="sup_issue_save").click().run()
    assert not _errors(at), _errors(at)
    assert held(zone_id, item_id)[point] == after[point] - 40 and held(zone_id, item_id)[None] == before[None]




@pytest.mark.parametrize("page, url_path", ((SUPPLIES, "supplies"), (MEALS, "meal-entry"), (DONATIONS, "donations")))
def test_a_bad_zone_parameter_is_never_an_error(demo_engine, page, url_path):
    """Opened as a browser opens /<page>?zone=<markup>: no exception, no error box, the markup never drawn.
    (The database refusing connections on these pages: tests/browser/test_failures_browser.py.)"""
    from streamlit.util import calc_hash

    at = app({"zone": "<b>Z9</b>"})
    at.session_state["actor"] = auth.authenticate("supervisor", "demo")
    at._page_hash = calc_hash(url_path)
    at.run()
    assert not at.exception and not _errors(at) and "<b>" not in texts(at), _errors(at)
