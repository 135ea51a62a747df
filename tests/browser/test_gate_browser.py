"""What the compound's gate team does on 门岗登记 (issue 17), on a phone (390x844): registers three people
by keyboard alone — typing, Tab and Enter — each save leaving a blank form with the cursor back in the
document number. The database then holds the three registrations, and the page shows their numbers masked
only (no full ID number or phone anywhere in its text). The scripted typing takes well under a minute.
"""
from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import Server, query, screenshot, sign_in, wait_ready

pytestmark = pytest.mark.browser
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
FULL_ID = re.compile(r"\d{17}[\dXx]")
FULL_PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
KEY_DELAY = 25  # ms between keys: a quick clerk on a phone keyboard is slower than this


def resident_id(body17: str) -> str:
    """Checksum-valid (GB 11643); the area code 99xxxx is no real place, so the number is nobody's."""
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, WEIGHTS)) % 11]


PEOPLE = [  # document number, name, 楼盘座号, phone, temperature
    (resident_id("99050119800214003"), "键盘甲", "1号楼1单元101", "17000091111", "36.5"),
    (resident_id("99050119920730015"), "键盘乙", "2号楼3单元602", "17000092222", "36.7"),
    (resident_id("99050120010101027"), "键盘丙", "7号楼2单元1203", "", "36.4"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gate")
    instance = Server(f"sqlite:///{folder / 'demo.db'}", folder / "server.log")
    yield instance
    instance.stop()


def _focused_key(page) -> str:
    """The st-key-... class of the widget holding the cursor ('' when none)."""
    return page.evaluate("""() => {
        const el = document.activeElement; if (!el || !el.closest) return '';
        const box = el.closest('[class*="st-key-"]'); if (!box) return '';
        return [...box.classList].find((c) => c.startsWith('st-key-')) || '';
    }""")


def _wait_focus(page, key: str, timeout: float = 10) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if _focused_key(page) == f"st-key-{key}":
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the cursor is in {_focused_key(page)!r}, not in {key}")


def test_three_registrations_by_keyboard_alone_on_a_phone(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", has_touch=True)
    page = context.new_page()
    page.goto(server.url + "/")  # the first request fills the demo database
    wait_ready(page)
    sign_in(page, server.url, "gate", query="gate-entry")  # the sign-in opens the page asked for
    page.locator(".st-key-gate_form_doc_number input").wait_for(timeout=30_000)
    wait_ready(page)
    names = [p[1] for p in PEOPLE]
    assert not query(server, "SELECT id FROM gate_registration WHERE name IN (:a, :b, :c)",
                      a=names[0], b=names[1], c=names[2])
    screenshot(page, "gate_entry_phone_before")
    typing = 0.0
    for number, name, building, phone, temperature in PEOPLE:
        _wait_focus(page, "gate_form_doc_number")  # on the first run, and after every save
        started = time.perf_counter()
        for k, text in enumerate((number, name, building, phone, temperature)):
            if text:
                page.keyboard.type(text, delay=KEY_DELAY)
            if k < 4:
                page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # the form's Enter: saves
        typing += time.perf_counter() - started
        page.get_by_text(f"已登记：{name}").wait_for(timeout=30_000)
        wait_ready(page)
        masked = number[:6] + "********" + number[-4:]
        assert masked in page.locator("[data-testid='stMain']").inner_text()
    assert typing < 60, f"{typing:.1f} s of scripted typing"
    screenshot(page, "gate_entry_phone_after")

    rows = query(server, """SELECT name, building, doc_masked, phone_masked, direction, recorded_by, doc_cipher
                             FROM gate_registration WHERE name IN (:a, :b, :c) ORDER BY id""",
                  a=names[0], b=names[1], c=names[2])
    assert [r[0] for r in rows] == names
    for (number, name, building, phone, _), row in zip(PEOPLE, rows):
        assert row[1] == building and row[4] == "in" and row[5] == "gate"
        assert row[2] == number[:6] + "********" + number[-4:]
        assert row[3] == (phone[:3] + "****" + phone[-4:] if phone else None)
        assert number not in row[6]  # encrypted at rest
    shown = page.locator("body").inner_text()
    assert not FULL_ID.search(shown) and not FULL_PHONE.search(shown), shown
    for number, _, _, phone, _ in PEOPLE:  # nor in any field's value (the form is blank again)
        assert page.locator(f"input[value='{number}']").count() == 0
        if phone:
            assert page.locator(f"input[value='{phone}']").count() == 0
    # one screen: the form's save button is on the phone's screen without scrolling
    box = page.locator(".st-key-gate_form_save button").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844, box
    context.close()
