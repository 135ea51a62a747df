"""The wall display's look: dark, big type, no Streamlit chrome, nothing that fades while refreshing."""

WALL_CSS = """
<style>
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stStatusWidget"], [data-testid="stDecoration"],
footer, #MainMenu { display: none !important; }
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] { background: #0b1420 !important; color: #e8eef5; }
[data-testid="stMainBlockContainer"] { padding: 1.2vh 1.6vw 0 1.6vw !important; max-width: 100% !important; }
/* A refresh must not dim the screen: keep stale elements at full strength. */
[data-stale="true"], .stale-element, [data-testid="stElementContainer"][data-stale] { opacity: 1 !important; transition: none !important; }
.stApp * { color: #e8eef5; }
h1, h2, h3 { color: #ffffff !important; }
h1 { font-size: 2.4vw !important; padding: 0 !important; }
h3 { font-size: 1.35vw !important; padding: 0.4vh 0 !important; }
[data-testid="stMetric"] { background: #13233a; border: 1px solid #24406a; border-radius: 0.6vw; padding: 0.8vh 0.8vw !important; }
[data-testid="stMetricLabel"] p { font-size: 1.05vw !important; color: #9fb6d3 !important; }
[data-testid="stMetricValue"] div { font-size: 2.5vw !important; font-weight: 700; color: #ffffff !important; line-height: 1.1; }
[data-testid="stMetricDelta"] div { font-size: 1.0vw !important; }
[data-testid="stMetricDelta"] svg { width: 1.0vw; height: 1.0vw; }
[data-testid="stCaptionContainer"] p { font-size: 0.9vw !important; color: #9fb6d3 !important; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.0vw; }
[data-testid="stAlert"] p { font-size: 1.0vw !important; }
.st-key-wall_alerts [data-testid="stMarkdownContainer"] p { font-size: 1.0vw; margin: 0.2vh 0; }
</style>
"""
