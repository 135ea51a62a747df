"""Measuring the wall in the browser: what fills the screen, what is cut, what is drawn over what.

`measure(page)` returns one report (sizes in CSS px); `problems(report)` lists, in words, everything
in it a person at the wall would see as wrong. Shared by the wall's browser tests.
"""
from __future__ import annotations

import re

CHARTS = {"trend": ".st-key-wall_trend", "funnel": ".st-key-wall_funnel", "map": ".st-key-wall_map"}
# Shares of the screen each chart must at least cover on a 16:9 screen (drawn content, not its box):
# the map as large as the row of charts allows, the others as large as their half of the first column.
MIN_SHARE = {"trend": (0.28, 0.21), "funnel": (0.28, 0.29), "map": (0.35, 0.55)}
MIN_GEO_SHARE = (0.30, 0.45)  # the map's zones alone (without its legends), of the screen's width and height
BANNER_SHARE = 2.5 / 35  # a one-line banner and its gap, of the row of charts' height
MIN_FILL = 0.85  # a chart covers at least this share of its panel's width or of its height (it keeps its shape)
MIN_TEXT = 0.0145  # the smallest text anywhere on the wall, as a share of the screen's height (11 px at 768)
CLOCK = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")

MEASURE_JS = r"""
() => {
  const box = el => { const r = el.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; };
  const textBox = el => { const range = document.createRange(); range.selectNodeContents(el);
    const r = range.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; };
  const fontPx = el => parseFloat(getComputedStyle(el).fontSize);
  const vw = window.innerWidth, vh = window.innerHeight;
  const main = document.querySelector('[data-testid="stMain"]');
  const doc = document.scrollingElement;
  const board = box(document.querySelector('[data-testid="stMainBlockContainer"]'));
  const base = Math.min(vh, board.h + 1);  // text is read against the board (smaller than the screen under ?scale=)
  const out = {vw, vh, board, scroll: {mainH: main.scrollHeight, mainClientH: main.clientHeight, mainW: main.scrollWidth,
    mainClientW: main.clientWidth, docH: doc.scrollHeight, docW: doc.scrollWidth}};

  // HTML text a person reads: tiles, header, banners, panel headings, alerts.
  const clipped = [], small = [], outside = [];
  const readable = document.querySelectorAll(
    '[data-testid="stMetricLabel"] p, [data-testid="stMetricValue"], [data-testid="stMetricDelta"], ' +
    '[data-testid="stMetricDelta"] > div, h1, h3, .st-key-wall_as_of p, [data-testid="stAlertContainer"] p, ' +
    '.st-key-wall_alerts p');
  for (const el of readable) {
    const text = (el.innerText || '').trim();
    if (!text) continue;
    if (el.scrollWidth > el.clientWidth + 1) clipped.push(text.slice(0, 60) + ' (' + el.scrollWidth + ' > ' + el.clientWidth + ')');
    if (text.includes('…')) clipped.push(text.slice(0, 60) + ' (ellipsis)');
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const holder = node.parentElement;
      if (!node.textContent.trim() || holder.closest('[data-testid="stIconMaterial"], [data-testid="stAlertDynamicIcon"]')) continue;
      if (fontPx(holder) < base * MIN_TEXT) small.push(node.textContent.trim().slice(0, 40) + ' ' + fontPx(holder).toFixed(1) + 'px');
    }
    const b = textBox(el);
    if (b.x < -1 || b.y < -1 || b.x + b.w > vw + 1 || b.y + b.h > vh + 1) outside.push(text.slice(0, 40));
  }
  // A tile: its label, value and change inside its own box.
  for (const tile of document.querySelectorAll('[data-testid="stMetric"]')) {
    const t = box(tile);
    for (const part of tile.querySelectorAll('[data-testid="stMetricLabel"], [data-testid="stMetricValue"], [data-testid="stMetricDelta"]')) {
      const b = textBox(part);
      if (b.w && (b.x < t.x - 1 || b.y < t.y - 1 || b.x + b.w > t.x + t.w + 1 || b.y + b.h > t.y + t.h + 1))
        clipped.push('tile ' + (tile.innerText || '').split('\n')[0] + ': ' + (part.innerText || '').slice(0, 30) + ' outside its tile');
    }
  }
  out.clipped = clipped; out.small = small; out.outside = outside;

  // Header: title, the day shown and the clock side by side, none over another.
  const header = [document.querySelector('h1'), document.querySelector('.st-key-wall_as_of'),
                  document.querySelector('.st-key-wall_clock iframe')].filter(Boolean).map(el =>
                  el.tagName === 'H1' ? textBox(el) : box(el));
  out.header = header;
  const frame = document.querySelector('.st-key-wall_clock iframe');
  let clock = null;
  try { const c = frame.contentDocument.getElementById('c');
        clock = {text: c.textContent, scrollW: c.scrollWidth, clientW: c.clientWidth, scrollH: c.scrollHeight,
                 clientH: c.clientHeight, font: parseFloat(frame.contentWindow.getComputedStyle(c).fontSize)}; }
  catch (e) { clock = {error: String(e)}; }
  out.clock = clock;

  // Alerts: every line inside the column, none over the next.
  const column = document.querySelector('.st-key-wall_alerts');
  out.alerts = column ? {box: box(column), lines: [...column.querySelectorAll('[data-testid="stElementContainer"]')]
    .map(el => ({text: (el.innerText || '').slice(0, 40), box: box(el)}))} : null;

  // Charts: the SVG's drawn content, its panel, its marks and every text in it.
  out.charts = {};
  for (const [name, selector] of Object.entries(MIN_CHARTS)) {
    const panel = document.querySelector(selector);
    const svg = panel && panel.querySelector('svg.marks');
    if (!svg) { out.charts[name] = null; continue; }
    const root = svg.querySelector('g');
    const scale = svg.getScreenCTM() ? svg.getScreenCTM().a : 0;
    const texts = [];
    for (const t of svg.querySelectorAll('text')) {
      const s = (t.textContent || '').trim();
      const style = getComputedStyle(t);
      if (!s || style.visibility === 'hidden' || style.display === 'none' || parseFloat(style.opacity) === 0) continue;
      if (t.closest('[opacity="0"]')) continue;
      const r = t.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      const group = t.closest('g.role-legend') ? 'legend' : t.closest('g.role-axis') ? 'axis'
        : t.closest('g.role-title') ? 'title' : 'mark';
      const halo = (t.getAttribute('stroke') || style.stroke || 'none') !== 'none' && parseFloat(style.strokeWidth || '0') > 0.5
        && t.closest('g.role-mark') !== null;
      texts.push({text: s, group, halo, font: parseFloat(t.getAttribute('font-size') || style.fontSize) * scale,
                  box: {x: r.x, y: r.y, w: r.width, h: r.height}});
    }
    const marks = [...svg.querySelectorAll('g.role-mark > path, g.role-mark > rect, g.role-mark > g > path')]
      .filter(m => { const r = m.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
    const shapes = [...svg.querySelectorAll('g.mark-shape path')].map(p => p.getBoundingClientRect())
      .filter(r => r.width > 0 && r.height > 0);
    const geo = shapes.length ? {x: Math.min(...shapes.map(r => r.x)), y: Math.min(...shapes.map(r => r.y)),
      w: Math.max(...shapes.map(r => r.right)) - Math.min(...shapes.map(r => r.x)),
      h: Math.max(...shapes.map(r => r.bottom)) - Math.min(...shapes.map(r => r.y))} : null;
    out.charts[name] = {panel: box(panel), svg: box(svg), content: root ? box(root) : null, marks: marks.length,
      texts, geo, legends: [...svg.querySelectorAll('g.role-legend')].map(box).filter(b => b.w && b.h),
      viewBox: svg.getAttribute('viewBox')};
  }
  return out;
}
"""


def measure(page) -> dict:
    return page.evaluate(MEASURE_JS.replace("MIN_TEXT", str(MIN_TEXT)).replace("MIN_CHARTS", repr(CHARTS).replace("'", '"')))


def _overlap(a: dict, b: dict, slack: float = 1.0) -> float:
    """The area two boxes share once each is shrunk by `slack` px on every side (glyph boxes touch)."""
    w = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"]) - 2 * slack
    h = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"]) - 2 * slack
    return w * h if w > 0 and h > 0 else 0.0


def _inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return (inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack
            and inner["x"] + inner["w"] <= outer["x"] + outer["w"] + slack
            and inner["y"] + inner["h"] <= outer["y"] + outer["h"] + slack)


def text_overlaps(texts: list[dict]) -> list[str]:
    """Pairs of texts drawn over each other (a name's halo, drawn under it, is the same text: skipped)."""
    shown = [t for t in texts if not t["halo"]]
    found = []
    for i, a in enumerate(shown):
        for b in shown[i + 1:]:
            if _overlap(a["box"], b["box"]) > 0:
                found.append(f"{a['text']!r} ({a['group']}) over {b['text']!r} ({b['group']})")
    return found


def problems(report: dict, extra_banners: int = 0) -> list[str]:
    """Everything wrong with one measured wall, in words; [] when it fits. Shares and text sizes are of
    the board, which is the screen unless `?scale=` asked for a smaller one. Each banner beyond the demo
    banner (stale, corrected link) takes its line from the row of charts, which shrink to make room."""
    vw, vh, scroll = report["vw"], report["vh"], report["scroll"]
    bw, bh = min(vw, report["board"]["w"] + 1), min(vh, report["board"]["h"] + 1)
    shrink = 1 - extra_banners * BANNER_SHARE
    found = []
    if scroll["mainH"] > scroll["mainClientH"] + 1 or scroll["docH"] > vh + 1:
        found.append(f"page overflows: {scroll['mainH']} px of content in {scroll['mainClientH']} px")
    if scroll["mainW"] > scroll["mainClientW"] + 1 or scroll["docW"] > vw + 1:
        found.append(f"horizontal scroll: {max(scroll['mainW'], scroll['docW'])} px wide on a {vw} px screen")
    board = report["board"]
    if abs(vw / vh - 16 / 9) < 0.01 and (board["w"] < vw * 0.98 or board["h"] < vh * 0.98):
        found.append(f"the board does not fill the screen: {board['w']:.0f}x{board['h']:.0f} on {vw}x{vh}")
    found += [f"clipped: {c}" for c in report["clipped"]]
    found += [f"too small to read: {s}" for s in report["small"]]
    found += [f"off screen: {s}" for s in report["outside"]]
    header = report["header"]
    for i, a in enumerate(header):
        for b in header[i + 1:]:
            if _overlap(a, b, slack=0) > 0:
                found.append("header: title, day and clock overlap")
    clock = report["clock"] or {}
    if "error" in clock or not CLOCK.match(clock.get("text", "")):
        found.append(f"clock does not show date and time: {clock}")
    elif clock["scrollW"] > clock["clientW"] + 1 or clock["scrollH"] > clock["clientH"] + 1:
        found.append(f"clock cut: {clock}")
    elif clock["font"] < bh * MIN_TEXT * 1.5:
        found.append(f"clock too small: {clock['font']:.1f}px")
    alerts = report["alerts"]
    if alerts is None:
        found.append("no alert column")
    else:
        lines = alerts["lines"]
        for line in lines:
            if not _inside(line["box"], alerts["box"]):
                found.append(f"alert outside its column: {line['text']!r}")
        for a, b in zip(lines, lines[1:]):
            if _overlap(a["box"], b["box"]) > 0:
                found.append(f"alerts overlap: {a['text']!r} / {b['text']!r}")
    for name, chart in report["charts"].items():
        if chart is None:
            found.append(f"{name}: no chart drawn")
            continue
        content, panel = chart["content"], chart["panel"]
        if chart["marks"] < {"trend": 10, "funnel": 5, "map": 10}[name]:
            found.append(f"{name}: empty chart ({chart['marks']} marks)")
        if not chart["texts"]:
            found.append(f"{name}: no text in the chart")
        share_w, share_h = (share * shrink for share in MIN_SHARE[name])
        if content["w"] < bw * share_w or content["h"] < bh * share_h:
            found.append(f"{name}: {content['w']:.0f}x{content['h']:.0f} px, under {share_w:.0%} of the width "
                         f"or {share_h:.0%} of the height of a {bw:.0f}x{bh:.0f} board")
        if content["w"] < panel["w"] * MIN_FILL and content["h"] < (panel["h"] - 2 * bh / 56.25) * MIN_FILL:
            found.append(f"{name}: {content['w']:.0f}x{content['h']:.0f} px in a {panel['w']:.0f}x{panel['h']:.0f} panel")
        if not _inside(content, panel, slack=2):
            found.append(f"{name}: drawn outside its panel")
        found += [f"{name}: {o}" for o in text_overlaps(chart["texts"])]
        axis = [t["text"] for t in chart["texts"] if t["group"] == "axis"]
        found += [f"{name}: axis label {label!r} printed {axis.count(label)} times"
                  for label in sorted(set(axis)) if axis.count(label) > 1]
        found += [f"{name}: text {t['text']!r} {t['font']:.1f}px" for t in chart["texts"]
                  if t["font"] < bh * MIN_TEXT]
        found += [f"{name}: text {t['text']!r} outside the chart" for t in chart["texts"]
                  if not _inside(t["box"], chart["svg"], slack=2)]
        if name == "map":
            geo = chart["geo"]
            if geo is None:
                found.append("map: no zones drawn")
                continue
            if geo["w"] < bw * MIN_GEO_SHARE[0] * shrink and geo["h"] < bh * MIN_GEO_SHARE[1] * shrink:
                found.append(f"map: zones {geo['w']:.0f}x{geo['h']:.0f} px on a {bw:.0f}x{bh:.0f} board")
            labels = [t for t in chart["texts"] if t["group"] == "mark" and not t["halo"]]
            for legend in chart["legends"]:
                if _overlap(legend, geo, slack=0) > 0:
                    found.append("map: a legend lies over the zones")
                for label in labels:
                    if _overlap(legend, label["box"], slack=0) > 0:
                        found.append(f"map: a legend covers {label['text']!r}")
    return found


def sizes(report: dict) -> dict:
    """Each chart's drawn size in px, and the map's zones: for the record."""
    out = {}
    for name, chart in report["charts"].items():
        if chart:
            out[name] = f"{chart['content']['w']:.0f}x{chart['content']['h']:.0f}"
    geo = (report["charts"].get("map") or {}).get("geo")
    if geo:
        out["map zones"] = f"{geo['w']:.0f}x{geo['h']:.0f}"
    return out
