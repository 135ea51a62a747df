// What a person would find wrong on the page as drawn now; run by test_readability_browser.py.
// Returns {kind: [finding, ...]}; each finding names the element (its Streamlit test id or key) and the text.
(args) => {
  const {words, english, always, tolerance, wall} = args;
  const found = {error: [], word: [], english: [], scroll: [], cut: [], overlap: [], clipped: [], empty: []};
  const wordPattern = new RegExp(`(^|[^A-Za-z])(${words.join("|")})(?![A-Za-z])`);
  const phrases = [...english, ...always];
  const englishPattern = new RegExp(`(^|[^A-Za-z])(${phrases.join("|")})(?![A-Za-z])`);

  const snippet = (text) => text.replace(/\s+/g, " ").trim().slice(0, 90);
  const embeds = [...document.querySelectorAll(".vega-embed")];
  const where = (element) => {
    const embed = element.closest(".vega-embed");
    if (embed) return chartName(embed, embeds.indexOf(embed));
    const keyed = element.closest("[class*='st-key-']");
    const key = keyed ? [...keyed.classList].find((c) => c.startsWith("st-key-")) : null;
    const tested = element.closest("[data-testid]");
    return [tested && tested.getAttribute("data-testid"), key].filter(Boolean).join(" ") || element.tagName;
  };
  const headings = [...document.querySelectorAll("[data-testid='stMain'] h1, [data-testid='stMain'] h2, [data-testid='stMain'] h3")];
  function chartName(embed, index) {  // its number on the page and the heading above it
    const keyed = embed.closest("[class*='st-key-']");
    const key = keyed ? [...keyed.classList].find((c) => c.startsWith("st-key-")) : null;
    const above = headings.filter((h) => h.compareDocumentPosition(embed) & Node.DOCUMENT_POSITION_FOLLOWING).pop();
    return `chart ${index + 1}` + (above ? ` under "${snippet(above.textContent)}"` : "") + (key ? ` (${key})` : "");
  }

  // ---- text a person reads: visible text, inputs' values and placeholders, grid cells, chart tooltips.
  // Also the marks' aria labels (what a screen reader says for a mark), for the words only: vega-lite
  // writes every encoded field there, not just what the chart shows.
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || !node.nodeValue.trim() || ["SCRIPT", "STYLE", "NOSCRIPT"].includes(parent.tagName)) continue;
    // Glide data grids keep their cells in a hidden table: always read
    const inGrid = parent.closest("td[role='gridcell'], th[role='columnheader']");
    if (!inGrid && !parent.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
    if (!inGrid && getComputedStyle(parent).fontSize === "0px") continue;  // shrunk away (ui/chrome.py draws over it)
    texts.push([parent, node.nodeValue, inGrid ? "grid cell" : "text"]);
  }
  for (const [text, canvases] of (window.__canvasTexts || new Map())) {  // noted by the test's init script
    for (const canvas of canvases) {
      if (canvas.isConnected && canvas.closest("[data-testid='stDataFrame']")) texts.push([canvas, text, "grid cell"]);
    }
  }
  for (const input of document.querySelectorAll("input, textarea")) {
    if (!input.checkVisibility({visibilityProperty: true})) continue;
    if (input.value && input.type !== "password" && input.type !== "file") texts.push([input, input.value, "input"]);
    if (input.placeholder) texts.push([input, input.placeholder, "placeholder"]);
  }
  for (const mark of document.querySelectorAll(".vega-embed svg.marks g.role-mark > *")) {
    const item = mark.__data__;  // vega's SVG renderer keeps each mark's scenegraph item on its element
    const tooltip = item && !Array.isArray(item) ? item.tooltip : null;
    if (tooltip != null) {
      const said = typeof tooltip === "object" ? Object.entries(tooltip).map(([k, v]) => `${k}: ${v}`).join("; ") : String(tooltip);
      texts.push([mark, said, "tooltip"]);
    }
    if (mark.getAttribute("aria-label")) texts.push([mark, mark.getAttribute("aria-label"), "aria label"]);
  }
  const seen = new Map();  // one finding per element and word, however many marks or cells repeat it
  const note = (kind, key, message) => {
    if (seen.has(key)) { seen.get(key).count += 1; return; }
    const entry = {kind, message, count: 1};
    seen.set(key, entry);
  };
  for (const [element, text, source] of texts) {
    const word = text.match(wordPattern);
    if (word) note("word", `w|${where(element)}|${source}|${word[2]}`, `"${word[2]}" in a ${source} of ${where(element)}: "${snippet(text)}"`);
    const phrase = source !== "aria label" && text.match(englishPattern);
    if (phrase) note("english", `e|${where(element)}|${source}|${phrase[2]}`, `"${phrase[2]}" in a ${source} of ${where(element)}: "${snippet(text)}"`);
  }
  for (const {kind, message, count} of seen.values()) found[kind].push(count > 1 ? `${message} (and ${count - 1} more)` : message);

  for (const box of document.querySelectorAll("[data-testid='stException']")) {
    found.error.push(`an exception is shown: "${snippet(box.innerText)}"`);
  }

  // ---- text cut off sideways by a box that hides its overflow (a label, a button, a tab, a metric)
  const clipper = new Map();
  const clipOf = (element) => {  // the nearest box, from element up, that hides what sticks out sideways
    if (!element) return null;
    if (!clipper.has(element)) {
      const hides = ["hidden", "clip"].includes(getComputedStyle(element).overflowX);
      clipper.set(element, hides ? element : clipOf(element.parentElement));
    }
    return clipper.get(element);
  };
  const cutWalker = document.createTreeWalker(document.querySelector("[data-testid='stApp']") || document.body, NodeFilter.SHOW_TEXT);
  for (let node = cutWalker.nextNode(); node; node = cutWalker.nextNode()) {
    const parent = node.parentElement;
    // (the skip link waits off-screen until a keyboard user tabs to it)
    if (!parent || !node.nodeValue.trim() || parent.closest("svg, [data-testid='stDataFrame'], [data-testid='stSkipToContent'], style, script")) continue;
    if (!parent.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
    if (getComputedStyle(parent).fontSize === "0px") continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const text = range.getBoundingClientRect();
    if (!text.width) continue;
    for (let box = clipOf(parent); box; box = clipOf(box.parentElement)) {
      const edge = box.getBoundingClientRect();
      const out = Math.max(edge.left - text.left, text.right - edge.right);
      if (out > 2) {
        found.cut.push(`"${snippet(node.nodeValue)}" in ${where(parent)} is cut off by ${out.toFixed(0)} px`);
        break;
      }
    }
  }

  // ---- horizontal scrollbars (and, on the wall, a page taller than the screen)
  const scrollers = [["document", document.documentElement], ["main block", document.querySelector("[data-testid='stMain']")],
                     ["main block content", document.querySelector("[data-testid='stMainBlockContainer']")]];
  for (const [name, element] of scrollers) {
    if (element && element.scrollWidth > element.clientWidth + 1) {
      found.scroll.push(`${name} scrolls sideways: ${element.scrollWidth} px of content in ${element.clientWidth} px`);
    }
  }
  for (const scroller of document.querySelectorAll("[data-testid='stDataFrame'] .dvn-scroller, [data-testid='stDataFrameResizable'] .dvn-scroller")) {
    if (scroller.scrollWidth > scroller.clientWidth + 1) {
      const grid = scroller.closest("[data-testid='stDataFrame']") || scroller;
      const headers = [...grid.querySelectorAll("th[role='columnheader']")].map((th) => th.textContent.trim()).filter(Boolean);
      found.scroll.push(`grid ${where(grid)} scrolls sideways: ${scroller.scrollWidth} px of columns in ${scroller.clientWidth} px (${snippet(headers.join(", "))})`);
    }
  }
  if (wall) {
    const main = document.querySelector("[data-testid='stMain']");
    if (main && main.scrollHeight > main.clientHeight + 1) {
      found.scroll.push(`the wall overflows the screen: ${main.scrollHeight} px of content in ${main.clientHeight} px`);
    }
  }

  // ---- charts: labels drawn over each other or cut off at the edge, and charts with nothing drawn
  const corners = (element) => {
    const box = element.getBBox();
    const matrix = element.getScreenCTM();
    return [[box.x, box.y], [box.x + box.width, box.y], [box.x + box.width, box.y + box.height], [box.x, box.y + box.height]]
      .map(([x, y]) => [matrix.a * x + matrix.c * y + matrix.e, matrix.b * x + matrix.d * y + matrix.f]);
  };
  // How deep two convex quadrilaterals overlap: the smallest overlap of their projections on each edge's normal
  // (0 when some axis separates them), so rotated labels are compared by their own outlines.
  const depth = (a, b) => {
    let least = Infinity;
    for (const polygon of [a, b]) {
      for (let i = 0; i < polygon.length; i++) {
        const [x1, y1] = polygon[i], [x2, y2] = polygon[(i + 1) % polygon.length];
        const length = Math.hypot(x2 - x1, y2 - y1) || 1;
        const normal = [-(y2 - y1) / length, (x2 - x1) / length];
        const project = (points) => points.map(([x, y]) => x * normal[0] + y * normal[1]);
        const pa = project(a), pb = project(b);
        least = Math.min(least, Math.min(Math.max(...pa), Math.max(...pb)) - Math.max(Math.min(...pa), Math.min(...pb)));
        if (least <= 0) return 0;
      }
    }
    return least;
  };
  const shown = (element) => {
    for (let e = element; e && e.tagName !== "svg"; e = e.parentElement) {
      if (e.getAttribute("opacity") === "0" || e.getAttribute("visibility") === "hidden" || e.style.display === "none") return false;
    }
    return element.tagName !== "text" || element.textContent.trim() !== "";
  };
  const LABELS = "g.role-axis-label text, g.role-axis-title text, g.role-legend-label text, g.role-legend-title text, " +
                 "g.role-title-text text, g.role-mark.mark-text text";
  embeds.forEach((embed, index) => {
    const name = chartName(embed, index);
    const svg = embed.querySelector("svg.marks");
    if (!svg) {
      if (embed.querySelector("canvas")) found.empty.push(`${name} is drawn on a canvas: its labels cannot be checked`);
      else found.empty.push(`${name} has not drawn`);
      return;
    }
    const marks = svg.querySelectorAll("g.role-mark > *, g.role-mark path, g.role-mark rect");
    if (marks.length === 0) found.empty.push(`${name} is empty: no marks drawn`);
    // bars or cells all squeezed to hairlines (a height that leaves no room for the rows, a day a pixel wide)
    const rects = [...svg.querySelectorAll("g.role-mark.mark-rect > path")].filter(shown).map((p) => {
      const box = p.getBoundingClientRect();
      return Math.min(box.width, box.height);
    });
    if (rects.length >= 3 && Math.max(...rects) < 2) {
      found.empty.push(`${name}: all ${rects.length} bars or cells are drawn under 2 px thick`);
    }
    const centre = (box) => [box.reduce((t, p) => t + p[0], 0) / 4, box.reduce((t, p) => t + p[1], 0) / 4];
    const labels = [];
    for (const element of [...svg.querySelectorAll(LABELS)].filter(shown)) {
      const label = {element, text: snippet(element.textContent), box: corners(element)};
      const [x, y] = centre(label.box);
      // one label drawn twice (a halo under it) is one label
      if (!labels.some((l) => l.text === label.text && Math.hypot(centre(l.box)[0] - x, centre(l.box)[1] - y) < 2)) labels.push(label);
    }
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const a = labels[i], b = labels[j];
        const overlap = depth(a.box, b.box);
        if (overlap > tolerance) {
          found.overlap.push(`${name}: "${a.text}" and "${b.text}" overlap by ${overlap.toFixed(0)} px`);
        }
      }
    }
    // a category axis that leaves names out because they would overlap (vega hides every other one):
    // a number or a date may be skipped on an axis, a checkpoint's or a category's name may not
    const dropped = [...svg.querySelectorAll("g.role-axis-label text")].filter((text) => {
      const item = text.__data__;
      return !shown(text) && item && item.datum && typeof item.datum.value === "string" && !/^[\d.,%\s-]+$/.test(item.datum.value);
    });
    if (dropped.length) {
      found.overlap.push(`${name}: ${dropped.length} category name(s) left out for lack of room, e.g. "${snippet(dropped[0].textContent)}"`);
    }
    // a point painted after a label, so over it (a map's markers on a zone's name; a name on top is fine)
    const symbols = [...svg.querySelectorAll("g.role-mark.mark-symbol > path")].filter(shown);
    for (const label of labels) {
      const covered = symbols.filter((symbol) => label.element.compareDocumentPosition(symbol) & Node.DOCUMENT_POSITION_FOLLOWING
                                                 && depth(label.box, corners(symbol)) > tolerance).length;
      if (covered) found.overlap.push(`${name}: "${label.text}" has ${covered} point symbol(s) drawn over it`);
    }
    const frame = embed.getBoundingClientRect();
    for (const label of labels) {
      const xs = label.box.map((p) => p[0]), ys = label.box.map((p) => p[1]);
      const out = Math.max(frame.left - Math.min(...xs), Math.max(...xs) - frame.right,
                           frame.top - Math.min(...ys), Math.max(...ys) - frame.bottom);
      if (out > tolerance) found.clipped.push(`${name}: "${label.text}" is cut off at the chart's edge by ${out.toFixed(0)} px`);
    }
  });
  return found;
}
