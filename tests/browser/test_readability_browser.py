"""Readable at every screen its users have (issue 12): a 1366×768 laptop, a 1920×1080 wall, a native 4K wall.

Every page app.py registers, for every role allowed to see it, in both languages, at 1366×768 and
1920×1080 (every tab, every expander opened), and the wall at 1366×768, 1920×1080 and 3840×2160. A view
fails on what a person would read wrong:
- "None", "nan" or "NaN": in the page's text, inputs, data grid cells (Glide draws them on a canvas:
  its hidden cell table and every text drawn on the grid's canvas are read), chart text, and the data a
  chart's tooltip shows (vega's SVG keeps each mark's scenegraph item, tooltip included, on its element);
- Streamlit's own English in the Chinese UI ("Choose an option", the file uploader, the date picker,
  the main menu, ...): the date picker and a select box's search are opened, and the sign-in form is
  typed into, to see them;
- a horizontal scrollbar: the page, its main block or a data grid scrolls sideways (and the wall, which
  has no one to scroll it, is taller than its screen); text cut off sideways by its box;
- chart labels (axis labels and titles, legend entries, text marks) drawn over each other, under a
  point, or cut off at the chart's edge, compared by their own outlines in the chart's SVG; category
  names vega left out for lack of room;
- a chart with nothing drawn, bars or cells squeezed to hairlines, or a chart on a canvas (unchecked).
Each failure names the page, role, language and size, and the element and text at fault. Every view is
saved as tests/artifacts/readability/<page>-<role>-<lang>-<size>.png (the whole page, made as tall as
its content): look at them, a passing check does not make a page pleasant.

One server for the module; one browser context per role and language, moving through the sidebar as a
person does and resizing in place, so the module runs in about five minutes on two cores.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_pages import app_pages
from tests.browser.conftest import ARTIFACTS, wait_ready
from ui.i18n import TEXT

pytestmark = pytest.mark.browser

ROLES = ("admin", "supervisor", "clerk", "viewer")  # each demo account is named after its role
LANGS = ("zh", "en")
PAGE_SIZES = ((1366, 768), (1920, 1080))
WALL_SIZES = ((1366, 768), (1920, 1080), (3840, 2160))
SHOTS = ARTIFACTS / "readability"
PROBE = (Path(__file__).parent / "readability_probe.js").read_text(encoding="utf-8")
TOLERANCE = 3  # px two labels may share (anti-aliasing, a descender) before they count as drawn over each other
WORDS = ("None", "nan", "NaN")
MONTHS = "January February March April May June July August September October November December".split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
# Streamlit's own English, as its widgets and pages print it (1.67); any of these in the Chinese UI fails.
STREAMLIT_ENGLISH = (
    "Choose an option", "Choose options", "Choose or add", "No options to select", "No results", "Select\\.\\.\\.",
    "Upload", "Drag and drop", "per file", "Browse files", "Page not found", "Deploy", "View more", "View less",
    "Press Enter", "Press Ctrl\\+Enter", "Press ⌘\\+Enter", "Date range", "Running\\.\\.\\.", "Skip to main content",
    "Made with Streamlit", "Rerun", "Clear cache", "Print", "Record screen", "Settings",  # the main menu
    *MONTHS, *(m[:3] for m in MONTHS if len(m) > 4), *WEEKDAYS,
)
ALWAYS_WRONG = ("Page not found",)  # Streamlit's dialog for an address it has no page for, in either language
PAGES = [(url_path, title_key, roles) for _, _, title_key, _, url_path, roles in app_pages()]

# Glide grids draw their cells on a canvas; an empty cell shows the column's placeholder ("None" unless
# the page sets one), which is in no DOM text. Every text drawn on a canvas is noted with its canvas.
CANVAS_TEXTS = """(() => {
  const texts = window.__canvasTexts = new Map();
  const fillText = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (text) {
    const key = String(text);
    if (!texts.has(key)) texts.set(key, new Set());
    texts.get(key).add(this.canvas);
    return fillText.apply(this, arguments);
  };
})();"""
FORGET_CANVAS_TEXTS = "() => window.__canvasTexts && window.__canvasTexts.clear()"
VISIBLE_DRAWN = """() => {
  const shown = (selector) => [...document.querySelectorAll(selector)].filter((e) => e.checkVisibility());
  return shown("[data-testid='stVegaLiteChart']").every((e) => e.querySelector(".vega-embed svg.marks > g, .vega-embed canvas"))
      && shown("[data-testid='stDataFrame']").every((e) => e.querySelector("canvas"));
}"""
# What changes while charts and grids are still laying out: each chart's size and element count, each
# grid's width of columns and header cells, the page's height.
LAYOUT = """() => [...document.querySelectorAll('.vega-embed svg.marks, .vega-embed canvas')]
  .map((e) => `${e.getAttribute('width')}x${e.getAttribute('height')}:${e.querySelectorAll('*').length}`).join(' ')
  + ' ' + [...document.querySelectorAll("[data-testid='stDataFrame']")]
  .map((g) => `${(g.querySelector('.dvn-scroller') || {}).scrollWidth}:${g.querySelectorAll("th[role='columnheader']").length}`).join(' ')
  + ' ' + (document.querySelector("[data-testid='stMain']") || document.body).scrollHeight"""


def text(key: str, lang: str) -> str:
    return TEXT[key][1 if lang == "en" else 0]


def size_name(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def settle(page) -> None:
    """Every visible chart and grid has drawn, and the layout has stopped moving (after a run or a resize)."""
    try:
        page.wait_for_function(VISIBLE_DRAWN, timeout=20_000)
    except Exception:
        pass  # the probe reports a chart that never drew
    page.evaluate("() => document.fonts.ready")
    before = None
    for _ in range(30):  # vega-embed re-renders after a resize; grids measure their columns
        now = page.evaluate(LAYOUT)
        if now == before:
            return
        before = now
        page.wait_for_timeout(150)


def open_expanders(page) -> None:
    """What an expander holds is read too: open every one (a click on its summary, no rerun). The first
    closed one each time: the locator's list shrinks as they open, so its second entry would move on."""
    closed = page.locator("[data-testid='stExpander'] details:not([open]) > summary")
    opened = 0
    for _ in range(30):
        visible = [summary for summary in closed.all() if summary.is_visible()]
        if not visible:
            break
        visible[0].click()
        opened += 1
        page.wait_for_timeout(50)
    if opened:
        wait_ready(page)
        settle(page)


def probe(page, lang: str, wall: bool = False) -> list[str]:
    found = page.evaluate(PROBE, {"words": list(WORDS), "english": list(STREAMLIT_ENGLISH) if lang == "zh" else [],
                                  "always": list(ALWAYS_WRONG), "tolerance": TOLERANCE, "wall": wall})
    return [f"{kind}: {finding}" for kind, findings in found.items() for finding in findings]


def shoot(page, name: str, whole: bool = True) -> None:
    """The view, made as tall as its content (Streamlit scrolls inside its main block, so a full-page
    screenshot alone shows only the top), then the window put back."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("() => (document.querySelector(\"[data-testid='stMain']\") || document.body).scrollHeight")
    if whole and height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": height})
        settle(page)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    if page.viewport_size != size:
        page.set_viewport_size(size)


def check_view(page, where: str, name: str, lang: str) -> list[str]:
    """Every tab of the page shown in turn: its findings (each once per view), and its screenshot."""
    settle(page)
    open_expanders(page)
    found = probe(page, lang)
    failures = [f"{where}: {finding}" for finding in found]
    shoot(page, name)
    tabs = page.locator("[data-testid='stMain'] [data-testid='stTabs'] [role='tab']")
    for index in range(1, tabs.count()):
        label = tabs.nth(index).inner_text().strip()
        tabs.nth(index).click()
        settle(page)
        open_expanders(page)
        more = [finding for finding in probe(page, lang) if finding not in found]
        found += more
        failures += [f"{where} tab {label}: {finding}" for finding in more]
        shoot(page, f"{name}-tab{index + 1}")
    if tabs.count():
        tabs.nth(0).click()
        settle(page)
    return failures


def sidebar_link(page, title: str):
    return page.locator("[data-testid='stSidebarNavLink']").filter(has=page.get_by_text(title, exact=True)).first


def sign_in_checked(page, base_url: str, role: str, lang: str) -> list[str]:
    """Sign in as a person does, reading the form as it is typed into (Streamlit adds "Press Enter ...")."""
    page.goto(base_url + "/" + ("?lang=en" if lang == "en" else ""))
    wait_ready(page)
    page.locator(".st-key-signin_username input").fill(role)
    page.locator(".st-key-signin_password input").fill("demo")
    page.locator(".st-key-signin_password input").focus()
    failures = [f"sign-in {lang}: {finding}" for finding in probe(page, lang)]
    shoot(page, f"sign-in-{role}-{lang}", whole=False)
    page.locator(".st-key-signin_submit button").click()
    page.wait_for_selector(".st-key-sign_out", timeout=30_000)
    wait_ready(page)
    return failures


def popups_checked(page, where: str, name: str, lang: str) -> list[str]:
    """Streamlit's pop-ups print their own words: the filter bar's date picker, and a select box that
    finds nothing. Only what the pop-up adds is reported."""
    before = set(probe(page, lang))
    page.locator("[data-testid='stSidebar'] [data-testid='stDateInputField']").first.click()
    calendar = page.locator("[data-testid='stDateInputCalendar']").first
    calendar.wait_for(timeout=10_000)
    failures = [f"{where} date picker: {finding}" for finding in probe(page, lang) if finding not in before]
    shoot(page, name + "-datepicker", whole=False)
    page.keyboard.press("Escape")
    calendar.wait_for(state="hidden", timeout=10_000)
    page.locator(".st-key-f_zone input").click()
    page.keyboard.type("zzz")
    page.locator("[role='listbox']").first.wait_for(timeout=10_000)
    failures += [f"{where} select box search: {finding}" for finding in probe(page, lang) if finding not in before]
    page.keyboard.press("Escape")  # closes the list and puts the chosen zone back
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    wait_ready(page)
    menu = page.locator("[data-testid='stMainMenu'] button")
    if menu.count():  # the toolbar is set for viewers (.streamlit/config.toml): no menu at all
        menu.first.click()
        page.locator("[data-testid='stMainMenuPopover']").first.wait_for(timeout=10_000)
        failures += [f"{where} main menu: {finding}" for finding in probe(page, lang) if finding not in before]
        page.keyboard.press("Escape")
    return failures


def new_context(browser, size: tuple[int, int], lang: str):
    """A browser of the UI's language (the date picker follows the browser's), noting canvas texts."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]},
                                  locale="zh-CN" if lang == "zh" else "en-US")
    context.add_init_script(CANVAS_TEXTS)
    return context


def report(failures: list[str]) -> str:
    return f"{len(failures)} readability problems:\n" + "\n".join(failures)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_reads_well(browser, demo_server, role, lang):
    context = new_context(browser, PAGE_SIZES[0], lang)
    page = context.new_page()
    failures = sign_in_checked(page, demo_server.url, role, lang)
    sizes = list(PAGE_SIZES)
    for index, (url_path, title_key, _) in enumerate(entry for entry in PAGES if role in entry[2]):
        page.evaluate(FORGET_CANVAS_TEXTS)
        sidebar_link(page, text(title_key, lang)).click()
        wait_ready(page)
        for size in sizes:
            if page.viewport_size != {"width": size[0], "height": size[1]}:
                page.evaluate(FORGET_CANVAS_TEXTS)  # the grids draw again at the new size
                page.set_viewport_size({"width": size[0], "height": size[1]})
            where, name = f"{url_path} {role}/{lang} {size_name(size)}", f"{url_path}-{role}-{lang}-{size_name(size)}"
            failures += check_view(page, where, name, lang)
            if index == 0 and size == PAGE_SIZES[0]:
                failures += popups_checked(page, where, name, lang)
        sizes.reverse()  # the next page starts at the size this one ended on: one resize fewer
    context.close()
    assert not failures, report(failures)


@pytest.mark.parametrize("lang", LANGS)
def test_the_wall_reads_well(browser, demo_server, lang):
    failures = []
    for size in WALL_SIZES:
        context = new_context(browser, size, lang)
        page = context.new_page()
        page.goto(f"{demo_server.url}/wall?key=demo-wall" + ("&lang=en" if lang == "en" else ""))
        page.locator("[data-testid='stMetric']").first.wait_for(timeout=30_000)
        wait_ready(page)
        settle(page)
        failures += [f"wall {lang} {size_name(size)}: {finding}" for finding in probe(page, lang, wall=True)]
        shoot(page, f"wall-{lang}-{size_name(size)}", whole=False)
        context.close()
    # a wall whose browser holds no key yet: a plain message, never Streamlit's "Page not found"
    context = new_context(browser, (1920, 1080), lang)
    page = context.new_page()
    page.goto(f"{demo_server.url}/wall" + ("?lang=en" if lang == "en" else ""))
    wait_ready(page)
    settle(page)
    failures += [f"wall without a key {lang}: {finding}" for finding in probe(page, lang, wall=True)]
    shoot(page, f"wall-nokey-{lang}", whole=False)
    context.close()
    assert not failures, report(failures)
