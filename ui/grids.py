"""Column layouts of the entry grids: fixed widths (px) so a grid reads the same on every screen,
and every figure a clerk types fits on a laptop (1366 px wide) without scrolling sideways."""

TRAFFIC_ENTRY_COLUMNS = {
    "name": 160, "zone": 100, "status": 70,
    "vehicles": 85, "persons": 85, "persons_from_outside": 85, "turned_back": 85, "abnormal_temperature": 85,
    "vehicles_yesterday": 95, "persons_yesterday": 95,
}
