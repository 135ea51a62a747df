"""What a clerk does: takes one enterprise from its application to the phone verification of its
employees through the real forms, then sees it counted on the reopening page; and how the pages look."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot, sign_in, wait_ready

pytestmark = pytest.mark.browser


def _go(page, title: str) -> None:
    """Through the sidebar, as a person would (a reload would start a new session)."""
    page.locator("[data-testid='stSidebarNavLink']", has_text=title).first.click()
    page.wait_for_timeout(300)
    wait_ready(page)


def _metric(page, label: str) -> int:
    tile = page.locator("[data-testid='stMetric']", has_text=label).first
    return int(tile.locator("[data-testid='stMetricValue']").inner_text().strip().replace(",", ""))


def _choose(page, key: str, typed: str) -> None:
    """A selectbox: type to filter its options, Enter picks the first match."""
    page.locator(f".st-key-{key} input").click()
    if typed:
        page.keyboard.type(typed)
    page.keyboard.press("ArrowDown") if not typed else None
    page.keyboard.press("Enter")
    wait_ready(page)


def _step(page, label: str, fill=None, shot: str | None = None) -> None:
    """Choose the next step, fill its form, record it, and wait for the confirmation."""
    page.locator("[data-testid='stRadio']").first.get_by_text(label, exact=True).click()
    wait_ready(page)
    form = page.locator("[data-testid='stForm']").first
    if fill:
        fill(form)
    if shot:
        screenshot(page, shot)
    form.get_by_role("button", name="登记").click()
    page.get_by_text(re.compile("已登记：")).wait_for(timeout=30_000)
    wait_ready(page)


def _passed(form) -> None:
    form.get_by_text("通过", exact=True).click()


def test_one_approval_from_application_to_phone_verification(browser, demo_server):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, demo_server.url, "clerk")
    _go(page, "企业复工")
    approved_before = _metric(page, "批复复工企业")
    employees_before = _metric(page, "复工员工")
    screenshot(page, "reopening_before")

    _go(page, "复工审批登记")
    _choose(page, "reopen_entry_status", "未申请")  # only enterprises that have not applied yet
    _choose(page, "reopen_entry_enterprise", "")  # the first of them
    name = page.locator(".st-key-reopen_entry_enterprise input").input_value().split(" · ")[0].strip()
    assert page.get_by_text("未申请").first.is_visible()

    _step(page, "提交复工申请", shot="reopening_entry_apply")
    assert page.get_by_text("已申请").first.is_visible()
    # only the steps that can follow "applied" are offered: no approval yet
    options = page.locator("[data-testid='stRadio']").first.inner_text()
    assert "批复复工" not in options and "审批前实地检查" in options
    _step(page, "审批前实地检查", _passed)

    def letters(form):
        for letter in ("疫情防控承诺书", "安全生产承诺书", "员工健康监测承诺书"):
            form.get_by_text(letter, exact=True).click()
    _step(page, "签订三个承诺书", letters, shot="reopening_entry_letters")

    def approval(form):
        form.get_by_label("批复复工员工数").fill("35")
        form.get_by_label("其中外地返烟人员").fill("4")
    _step(page, "批复复工", approval)
    _step(page, "审批后实地检查", _passed)

    def phone(form):
        _passed(form)
        form.get_by_label("电话核实员工数").fill("12")
        form.get_by_label("发现问题数").fill("0")
        form.get_by_label("备注").fill("抽查 12 人，均已按时测温")
    _step(page, "电话核实员工", phone, shot="reopening_entry_phone")
    page.get_by_text(re.compile(f"已登记：{re.escape(name)} → 电话核实完成")).wait_for()
    screenshot(page, "reopening_entry_done")
    history = page.locator("[data-testid='stExpander']", has_text="已有记录")
    assert "（6）" in history.inner_text()

    _go(page, "企业复工")
    assert _metric(page, "批复复工企业") == approved_before + 1
    assert _metric(page, "复工员工") == employees_before + 35
    screenshot(page, "reopening_after")
    context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_pages_render_at_wall_size(browser, demo_server, lang):
    """Screenshots of the four pages at 1920x1080 (tests/artifacts/), and no error box on any of them."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, demo_server.url, "admin")
    if lang == "en":
        page.locator("[data-testid='stSidebar']").get_by_text("English", exact=True).click()
        wait_ready(page)
    titles = {"zh": ["企业复工", "商铺管控", "复工审批登记", "商铺营业登记"],
              "en": ["Enterprise reopening", "Shops", "Record reopening steps", "Shop opening entry"]}[lang]
    for title in titles:
        _go(page, title)
        assert page.locator("[data-testid='stException']").count() == 0
        screenshot(page, f"{title.replace(' ', '_')}_{lang}")
    context.close()
