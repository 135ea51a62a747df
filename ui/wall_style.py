"""The wall display's look: dark, big type read from across the room, no Streamlit chrome, and
nothing that dims while the board refreshes. Sizes are in vw/vh so 1920x1080 and 3840x2160 match."""

WALL_CSS = """
<style>
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stStatusWidget"], [data-testid="stDecoration"],
footer, #MainMenu { display: none !important; }
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] { background: #0b1420 !important; }
[data-testid="stMainBlockContainer"] { padding: 1.0vh 1.4vw 0 1.4vw !important; max-width: 100% !important; }
[data-testid="stVerticalBlock"] { gap: 0.8vh !important; }
/* A refresh must not dim the screen: keep stale elements at full strength. */
[data-stale="true"], .stale-element { opacity: 1 !important; transition: none !important; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { color: #e8eef5; font-size: 1.05vw; }
h1, h2, h3, h4 { color: #ffffff !important; }
h1 { font-size: 2.1vw !important; padding: 0 !important; }
h3 { font-size: 1.3vw !important; padding: 0.2vh 0 !important; }
[data-testid="stMetric"] { background: #13233a; border: 1px solid #24406a; border-radius: 0.5vw; padding: 0.7vh 0.8vw !important; }
[data-testid="stMetricLabel"] p { font-size: 1.0vw !important; color: #9fb6d3 !important; }
[data-testid="stMetricValue"] p { font-size: 2.6vw !important; font-weight: 700; color: #ffffff !important; line-height: 1.15; }
[data-testid="stMetricDelta"] p { font-size: 1.0vw !important; color: inherit !important; }
[data-testid="stMetricDelta"] svg { width: 1.1vw; height: 1.1vw; }
[data-testid="stCaptionContainer"] p, .stCaption p { font-size: 0.9vw !important; color: #9fb6d3 !important; }
[data-testid="stAlertContainer"] { padding: 0.6vh 1vw !important; }
[data-testid="stAlertContainer"] p { font-size: 1.05vw !important; color: inherit !important; }
[data-testid="stAlertContentWarning"] { color: #ffd27a !important; }
.st-key-wall_demo [data-testid="stAlertContainer"], .st-key-wall_notice [data-testid="stAlertContainer"] {
  background: #3a2e0c !important; }
.st-key-wall_notice [data-testid="stAlertContainer"] { padding: 0.3vh 1vw !important; }
.st-key-wall_alerts { background: #121c2b; border: 1px solid #24406a; border-radius: 0.5vw; padding: 0.6vh 0.8vw; }
/* An alert wraps once (under its text, not its marker), then is cut: pages/wall.py counts lines.
   Streamlit pulls each Markdown block up by 1rem (16px at any screen size): undone here, so lines are
   spaced in vw/vh alone and 3840x2160 looks exactly like 1920x1080, wrapped lines closer than alerts. */
.st-key-wall_alerts { gap: 0.3vh !important; }
.st-key-wall_alerts [data-testid="stMarkdownContainer"], .st-key-wall_as_of [data-testid="stMarkdownContainer"],
.st-key-wall_alerts [data-testid="stCaptionContainer"], .st-key-wall_as_of [data-testid="stCaptionContainer"] {
  margin-bottom: 0 !important; }
.st-key-wall_alerts [data-testid="stMarkdownContainer"] p { font-size: 1.0vw; margin: 0; line-height: 1.3;
  display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 2; overflow: hidden;
  padding-left: 1.35em; text-indent: -1.35em; }
.st-key-wall_alerts [data-testid="stMarkdownContainer"] p * { text-indent: 0; }  /* the marker icon inherits it */
/* The header's day: read from across the room, the newer day's count in a calm colour. */
.st-key-wall_as_of [data-testid="stMarkdownContainer"] p { font-size: 1.15vw !important; color: #e8eef5; margin: 0;
  line-height: 1.4; }
.st-key-wall_as_of [data-testid="stCaptionContainer"] p { line-height: 1.4; margin: 0; }
.st-key-wall_as_of { gap: 0.3vh !important; }
/* Streamlit's blue is too dark on the wall's navy: the newer day and the not-yet-due count in a light blue. */
.st-key-wall_as_of .stMarkdownColoredText, .st-key-wall_pending .stMarkdownColoredText { color: #8cc4ff !important; }
.st-key-wall_clock iframe { display: block; }
</style>
"""
