"""The wall display's look and layout: dark, big type read from across the room, no Streamlit chrome,
nothing that dims while the board refreshes, and the whole board filling any 16:9 screen by itself.

Every size is a multiple of one unit, `--u`: a hundredth of the screen's width on a 16:9 screen
(min(1vw, 1vh·16/9), so a screen of another shape gets a 16:9 board that fits it). The board is
therefore the same picture at 1366x768, 1920x1080, 2560x1440 and 3840x2160, only larger or smaller.

Charts cannot read the screen's size from Python, and do not need to: each is drawn once at its size
on a 1920x1080 board (UNIT_PX px per unit, ui/charts/theme.wall_spec) as SVG, and the CSS below
scales that SVG into its panel, whose size the browser works out (the charts' row takes whatever
height the header, banners and tiles leave). Text inside charts scales with everything else.
"""
from __future__ import annotations

UNIT_PX = 19.2  # CSS px per unit on a 1920x1080 screen: the board charts are drawn for
SCREEN_U = (100.0, 56.25)  # the board in units: a 16:9 screen

# The board in units, used for the charts' drawn sizes (the CSS below lays the same numbers out;
# the row of charts takes what is left, so a small error here only leaves a margin beside a chart).
PAD_TOP, PAD_SIDE, PAD_BOTTOM = 0.6, 1.2, 0.6
GAP = 0.5  # between rows
COLUMN_GAP = 0.8  # between columns
HEADER_U = 2.8
BANNER_U = 1.95  # the demo banner, the stale banner, a corrected-parameter notice: one line each
TILE_ROW_U = 6.3
BODY_COLUMNS = (31, 37, 28)  # trend over funnel | map | alerts
PANEL_TITLE_U = 1.62 + 0.25  # a chart's heading and the gap under it
TREND_SHARE = 0.42  # of the first column's chart height: the funnel's nine rows need the rest

HEADER_COLUMNS = (40, 33, 23)  # title | the day shown | clock
TITLE_SIZES = (1.75, 1.6, 1.45, 1.3, 1.15, 1.0)  # units: a long title (a zone's, in English) steps down to fit

# The alert column (its CSS below): a heading, then alerts of one or two lines each.
ALERT_FONT_U, ALERT_LINE_HEIGHT, ALERT_GAP_U, ALERT_PAD_U = 0.92, 1.3, 0.25, 0.5
ALERT_TITLE_U = 1.2 * 1.35
MORE_U = ALERT_GAP_U + 0.85 * 1.6  # the caption saying how many more there are


def body_height(banners: int) -> float:
    """Units left for the row of charts under the header, `banners` one-line banners and two rows of tiles."""
    used = PAD_TOP + HEADER_U + GAP + banners * (BANNER_U + GAP) + 2 * TILE_ROW_U + 2 * GAP + PAD_BOTTOM
    return SCREEN_U[1] - used


def body_widths() -> tuple[float, ...]:
    """Each column's width in units."""
    free = SCREEN_U[0] - 2 * PAD_SIDE - COLUMN_GAP * (len(BODY_COLUMNS) - 1)
    return tuple(free * share / sum(BODY_COLUMNS) for share in BODY_COLUMNS)


def chart_units(banners: int) -> dict[str, tuple[float, float]]:
    """Each chart's width and height in units under `banners` one-line banners: the trend above the
    funnel in the first column, the map alone in the second, as tall as the row of charts."""
    height = body_height(banners)
    left, middle, _ = body_widths()
    both = height - GAP - 2 * PANEL_TITLE_U
    return {"trend": (left, both * TREND_SHARE), "funnel": (left, both * (1 - TREND_SHARE)),
            "map": (middle, height - PANEL_TITLE_U)}


def chart_sizes(banners: int) -> dict[str, tuple[int, int]]:
    """Each chart's drawn size in px on the 1920x1080 board (the CSS scales it to the screen)."""
    return {name: (int(w * UNIT_PX), int(h * UNIT_PX)) for name, (w, h) in chart_units(banners).items()}


def alert_height(lines: int) -> float:
    """Units one alert of `lines` lines takes in the column, with the gap above it."""
    return ALERT_GAP_U + lines * ALERT_FONT_U * ALERT_LINE_HEIGHT


def alert_room(banners: int) -> float:
    """Units the alerts themselves may fill: the column's height less its padding, border, heading and a
    margin for rounding (a line that wraps further is cut by its own clamp, never the column)."""
    return body_height(banners) - 2 * ALERT_PAD_U - 0.2 - ALERT_TITLE_U - 0.8


def title_size(text: str) -> float:
    """The largest of TITLE_SIZES at which `text` fits its header column on one line (bold: a CJK character
    is 1 em wide, anything else about 0.48 em: measured 0.46 in Noto Sans)."""
    width_em = sum(1.0 if ord(ch) > 0x2E80 else 0.48 for ch in text.replace("\\", ""))
    room = (SCREEN_U[0] - 2 * PAD_SIDE - 2 * COLUMN_GAP) * HEADER_COLUMNS[0] / sum(HEADER_COLUMNS) - 1
    return next((size for size in TITLE_SIZES if size * width_em <= room), TITLE_SIZES[-1])


def title_key(size: float) -> str:
    return f"wall_title_{round(size * 100)}"


def u(n: float) -> str:
    return f"calc({n:g} * var(--u))"


def unit_rule(scale: float | None) -> str:
    """`--u` for this screen; `?scale=s` asks for a board of s x 1920x1080 CSS px instead (never larger
    than the screen: a link made for another screen must not push the board off this one)."""
    auto = "min(1vw, calc(1vh * 16 / 9))"
    return f":root {{ --u: {auto if scale is None else f'min({auto}, {UNIT_PX * scale:g}px)'}; }}"


def wall_css(scale: float | None = None) -> str:
    return "<style>\n" + unit_rule(scale) + "\n" + CSS + "</style>"


CSS = f"""
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stStatusWidget"], [data-testid="stDecoration"],
[data-testid="stElementToolbar"], footer, #MainMenu {{ display: none !important; }}
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{ background: #0b1420 !important; }}
/* The board: exactly one screen (a 16:9 board centred on another shape), never a scroll bar. */
[data-testid="stMain"] {{ overflow: hidden !important; }}
[data-testid="stMainBlockContainer"] {{ box-sizing: border-box; width: {u(SCREEN_U[0])} !important;
  height: calc({SCREEN_U[1]:g} * var(--u) - 1px); max-width: none !important;
  margin: max(0px, calc((100vh - {SCREEN_U[1]:g} * var(--u)) / 2)) auto 0 !important;  /* centred if smaller */
  padding: {u(PAD_TOP)} {u(PAD_SIDE)} {u(PAD_BOTTOM)} {u(PAD_SIDE)} !important; display: flex; flex-direction: column; }}
[data-testid="stVerticalBlock"] {{ gap: {u(GAP)} !important; }}
[data-testid="stHorizontalBlock"] {{ gap: {u(COLUMN_GAP)} !important; }}
/* Everything that holds the row of charts passes the screen's height down to it. */
[data-testid="stMainBlockContainer"] :is([data-testid="stVerticalBlock"], [data-testid="stLayoutWrapper"]):has(.st-key-wall_body),
.st-key-wall_body, .st-key-wall_body > [data-testid="stLayoutWrapper"] {{
  flex: 1 1 0 !important; min-height: 0 !important; display: flex !important; flex-direction: column !important; }}
.st-key-wall_body [data-testid="stHorizontalBlock"] {{ flex: 1 1 0; min-height: 0; align-items: stretch !important; }}
.st-key-wall_body [data-testid="stColumn"] > [data-testid="stVerticalBlock"] {{ height: 100%; min-height: 0; }}
.st-key-wall_body [data-testid="stColumn"] > [data-testid="stVerticalBlock"] > [data-testid="stLayoutWrapper"] {{
  flex: 1 1 0; min-height: 0; display: flex; flex-direction: column; }}
.st-key-wall_trend, .st-key-wall_funnel, .st-key-wall_map {{ flex: 1 1 0; min-height: 0; gap: {u(0.25)} !important; }}
/* the first column's two panels share its height as their charts were drawn (pages/wall.py) */
[data-testid="stLayoutWrapper"]:has(> .st-key-wall_trend) {{ flex-grow: {PANEL_TITLE_U + chart_units(1)["trend"][1]:.2f} !important; }}
[data-testid="stLayoutWrapper"]:has(> .st-key-wall_funnel) {{ flex-grow: {PANEL_TITLE_U + chart_units(1)["funnel"][1]:.2f} !important; }}
/* A chart fills what its panel leaves under the heading: its SVG is scaled (viewBox) to fit, whole. */
.st-key-wall_body [data-testid="stElementContainer"]:has([data-testid="stVegaLiteChart"]) {{
  flex: 1 1 0; min-height: 0; width: 100% !important; position: relative; }}
.st-key-wall_body [data-testid="stFullScreenFrame"]:has([data-testid="stVegaLiteChart"]) {{ position: absolute; inset: 0; }}
.st-key-wall_body [data-testid="stFullScreenFrame"] > div:has([data-testid="stVegaLiteChart"]),
.st-key-wall_body [data-testid="stVegaLiteChart"] {{ width: 100% !important; height: 100% !important;
  max-width: none !important; padding: 0 !important; display: block !important; }}
.st-key-wall_body [data-testid="stVegaLiteChart"] svg.marks {{ width: 100% !important; height: 100% !important; display: block; }}
.st-key-wall_alerts {{ height: 100%; overflow: hidden; box-sizing: border-box; }}
/* A refresh must not dim the screen: keep stale elements at full strength. */
[data-stale="true"], .stale-element {{ opacity: 1 !important; transition: none !important; }}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li {{ color: #e8eef5; font-size: {u(1.0)}; }}
h1, h2, h3, h4 {{ color: #ffffff !important; }}
h1 {{ font-size: {u(TITLE_SIZES[0])} !important; padding: 0 !important; line-height: 1.3 !important; white-space: nowrap; }}
""" + "".join(f".st-key-{title_key(size)} h1 {{ font-size: {u(size)} !important; }}\n" for size in TITLE_SIZES) + f"""
h3 {{ font-size: {u(1.2)} !important; padding: 0 !important; line-height: 1.35 !important; white-space: nowrap; }}
[data-testid="stHeading"] [data-testid="stHeaderActionElements"] {{ display: none !important; }}
/* Streamlit pulls the block under a heading up by 1rem (16 px on any screen): undone, the board spaces in units. */
[data-testid="stHeading"] [data-testid="stMarkdownContainer"] {{ margin-bottom: 0 !important; }}
[data-testid="stMetric"] {{ background: #13233a; border: 1px solid #24406a; border-radius: {u(0.5)};
  padding: {u(0.35)} {u(0.8)} !important; height: {u(TILE_ROW_U)}; box-sizing: border-box; overflow: hidden; }}
/* A tile's three lines in units only: Streamlit's own px line boxes, paddings and gaps would not scale. */
[data-testid="stMetric"] [data-testid="stMarkdownContainer"] {{ font-size: inherit !important; line-height: inherit !important; }}
[data-testid="stMetricLabel"] {{ height: auto !important; min-height: 0 !important; font-size: {u(0.95)} !important;
  line-height: 1.35 !important; }}
[data-testid="stMetricLabel"] > div {{ gap: {u(0.3)} !important; }}
[data-testid="stMetricLabel"] p {{ font-size: inherit !important; color: #9fb6d3 !important; line-height: inherit !important; }}
[data-testid="stMetricValue"] {{ margin: {u(0.05)} 0 !important; padding: 0 !important; font-size: {u(2.4)} !important;
  line-height: 1.15 !important; }}
[data-testid="stMetricValue"] p, [data-testid="stMetricValue"] > div {{ font-size: inherit !important; font-weight: 700;
  color: #ffffff !important; line-height: inherit !important; }}
div:has(> [data-testid="stMetricDelta"]) {{ padding: 0 !important; gap: {u(0.4)} !important; }}
[data-testid="stMetricDelta"] {{ padding: 0 {u(0.4)} !important; border-radius: {u(0.8)} !important; font-size: {u(0.9)} !important;
  line-height: 1.45 !important; }}
[data-testid="stMetricDelta"] p, [data-testid="stMetricDelta"] > div {{ font-size: inherit !important; color: inherit !important;
  line-height: inherit !important; }}
[data-testid="stMetricDelta"] svg {{ width: {u(1.0)}; height: {u(1.0)}; margin-right: {u(0.15)} !important; }}
[data-testid="stCaptionContainer"] p, .stCaption p {{ font-size: {u(0.85)} !important; color: #9fb6d3 !important; }}
[data-testid="stAlertContainer"] {{ padding: {u(0.3)} {u(0.9)} !important; border-radius: {u(0.4)} !important; }}
[data-testid="stAlertContainer"] p {{ font-size: {u(0.95)} !important; color: inherit !important; line-height: 1.4; }}
[data-testid="stAlertContainer"] [data-testid="stAlertDynamicIcon"] {{ font-size: {u(1.1)} !important; }}
[data-testid="stAlertContainer"] span:has(> [data-testid="stAlertDynamicIcon"]),
[data-testid="stAlertContainer"] div:has(> span > [data-testid="stAlertDynamicIcon"]) {{ width: auto !important;
  height: auto !important; display: flex; align-items: center; }}
[data-testid="stAlertContainer"] div:has(> div > span > [data-testid="stAlertDynamicIcon"]) {{ align-items: center !important;
  gap: {u(0.5)} !important; }}
[data-testid="stAlertContainer"] [data-testid="stMarkdownContainer"] {{ margin-bottom: 0 !important; width: auto !important; }}
[data-testid="stAlertContainer"] [data-testid="stMarkdownContainer"] p {{ margin: 0 !important; }}
[data-testid="stAlertContentWarning"] {{ color: #ffd27a !important; }}
/* The stale and refused banners: red on the wall's navy, not Streamlit's pale pink. */
[data-testid="stAlertContainer"]:has([data-testid="stAlertContentError"]) {{ background: #4a1219 !important;
  border: 1px solid #a8323e; }}
[data-testid="stAlertContentError"] {{ color: #ffc2c2 !important; }}
.st-key-wall_demo [data-testid="stAlertContainer"], .st-key-wall_notice [data-testid="stAlertContainer"] {{
  background: #3a2e0c !important; }}
/* Header: the title, the day shown (and a newer day coming in) and the clock on one line. */
.st-key-wall_header [data-testid="stHorizontalBlock"] {{ align-items: center; }}
.st-key-wall_as_of [data-testid="stMarkdownContainer"] p {{ font-size: {u(1.05)} !important; color: #e8eef5; margin: 0;
  line-height: 1.35; white-space: nowrap; }}
.st-key-wall_as_of [data-testid="stCaptionContainer"] p {{ line-height: 1.35; margin: 0; white-space: nowrap; }}
.st-key-wall_as_of {{ gap: {u(0.1)} !important; }}
.st-key-wall_clock iframe, .st-key-wall_clock [data-testid="stElementContainer"] {{ display: block; width: 100% !important;
  height: {u(2.8)} !important; border: 0; }}
/* Streamlit's blue is too dark on the wall's navy: the newer day and the not-yet-due count in a light blue. */
.st-key-wall_as_of .stMarkdownColoredText, .st-key-wall_pending .stMarkdownColoredText {{ color: #8cc4ff !important; }}
/* Alerts: a column of its own. An alert wraps once (under its text, not its marker), then is cut:
   pages/wall.py counts the lines. Streamlit pulls each Markdown block up by 1rem (16px at any screen):
   undone, so lines are spaced in units alone and every screen size looks the same. */
.st-key-wall_alerts {{ background: #121c2b; border: 1px solid #24406a; border-radius: {u(0.5)};
  padding: {u(ALERT_PAD_U)} {u(0.8)}; gap: {u(ALERT_GAP_U)} !important; }}
.st-key-wall_alerts [data-testid="stMarkdownContainer"], .st-key-wall_as_of [data-testid="stMarkdownContainer"],
.st-key-wall_alerts [data-testid="stCaptionContainer"], .st-key-wall_as_of [data-testid="stCaptionContainer"] {{
  margin-bottom: 0 !important; }}
.st-key-wall_alerts [data-testid="stMarkdownContainer"] p {{ font-size: {u(ALERT_FONT_U)}; margin: 0; line-height: {ALERT_LINE_HEIGHT};
  display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 2; overflow: hidden;
  padding-left: 1.35em; text-indent: -1.35em; }}
.st-key-wall_alerts [data-testid="stCaptionContainer"] p {{ line-height: 1.6; margin: 0; }}
.st-key-wall_alerts [data-testid="stMarkdownContainer"] p * {{ text-indent: 0; }}  /* the marker icon inherits it */
.st-key-wall_alerts [data-testid="stMarkdownContainer"] p [data-testid="stIconMaterial"] {{ font-size: 1.1em !important; }}
"""

WALL_CSS = wall_css()  # the automatic board (kept for callers that want the stylesheet as it was)
