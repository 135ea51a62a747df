"""The coverage map draws in headless Chromium with every request off the machine blocked."""
from __future__ import annotations

import pytest

from tests.browser.conftest import go, screenshot, sign_in, wait_ready

pytestmark = pytest.mark.browser

MAP = ".st-key-coverage_map_chart [data-testid='stVegaLiteChart']"

# Counts the pixels the map has painted, and how many distinct colours (shading means many).
PAINTED = """(root) => {
    const canvas = root.querySelector('canvas');
    if (canvas) {
        const ctx = canvas.getContext('2d');
        const {data} = ctx.getImageData(0, 0, canvas.width, canvas.height);
        let painted = 0; const colours = new Set();
        for (let i = 0; i < data.length; i += 16) {
            const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
            if (a > 0 && !(r > 245 && g > 245 && b > 245)) { painted++; colours.add((r >> 4) + ',' + (g >> 4) + ',' + (b >> 4)); }
        }
        return {kind: 'canvas', width: canvas.width, height: canvas.height, painted, colours: colours.size};
    }
    const svg = root.querySelector('svg.marks') || root.querySelector('svg');
    if (!svg) return null;
    const shapes = [...svg.querySelectorAll('path')].filter(p => (p.getAttribute('d') || '').length > 10);
    const fills = new Set(shapes.map(p => p.getAttribute('fill')).filter(f => f && f !== 'none' && f !== 'transparent'));
    return {kind: 'svg', width: svg.clientWidth, height: svg.clientHeight, painted: shapes.length, colours: fills.size};
}"""
MIN_SHAPES = {"canvas": 2000, "svg": 40}  # painted pixels (sampled) or drawn paths


def offline_context(browser):
    """A browser context that refuses every request not addressed to this machine."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    blocked: list[str] = []

    def only_local(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", only_local)
    return context, blocked


def find_tooltip(page, chart) -> str | None:
    """Hover across the map until Vega shows a site's tooltip; return its text."""
    box = chart.bounding_box()
    for fy in (0.5, 0.4, 0.6, 0.3, 0.7):
        for fx in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            page.wait_for_timeout(120)
            tooltip = page.locator("#vg-tooltip-element.visible")
            if tooltip.count() and "包保干部" in tooltip.inner_text():
                return tooltip.inner_text()
    return None


def test_map_draws_offline_with_tooltips(browser, demo_server):
    context, blocked = offline_context(browser)
    page = context.new_page()
    sign_in(page, demo_server.url, "supervisor")
    go(page, "摸排覆盖图")
    chart = page.locator(MAP)
    chart.wait_for(timeout=30_000)
    page.wait_for_function(f"() => document.querySelector(`{MAP} canvas, {MAP} svg`)", timeout=30_000)
    page.wait_for_timeout(1000)  # let Vega finish painting
    wait_ready(page)
    drawn = chart.evaluate(PAINTED)
    screenshot(page, "coverage_map")
    assert drawn is not None, "the map has neither a canvas nor an SVG"
    assert drawn["width"] > 400 and drawn["height"] > 400, drawn
    assert drawn["painted"] > MIN_SHAPES[drawn["kind"]] and drawn["colours"] > 5, drawn  # shaded, not blank
    text = find_tooltip(page, chart)
    assert text and "入户率" in text, "no site tooltip when hovering the map"
    assert blocked == [], f"the page tried to reach the network: {blocked[:5]}"
    context.close()


def test_map_zooms_to_a_zone_and_switches_layers(browser, demo_server):
    context, blocked = offline_context(browser)
    page = context.new_page()
    sign_in(page, demo_server.url, "supervisor", query="?zone=Z1")
    go(page, "摸排覆盖图")
    chart = page.locator(MAP)
    page.wait_for_function(f"() => document.querySelector(`{MAP} canvas, {MAP} svg`)", timeout=30_000)
    page.wait_for_timeout(800)
    with_layers = chart.evaluate(PAINTED)
    page.locator(".st-key-map_layers button", has_text="摸排覆盖率").click()
    wait_ready(page)
    page.wait_for_timeout(800)
    without = chart.evaluate(PAINTED)
    screenshot(page, "coverage_map_zone_no_shading")
    assert without["colours"] < with_layers["colours"], (with_layers, without)
    assert blocked == []
    context.close()
