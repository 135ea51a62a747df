"""Column layouts of the entry grids: fixed widths (px) so a grid reads the same on every screen."""

TRAFFIC_ENTRY_COLUMNS = {
    "name": 200, "zone": 140, "status": 90,
    "vehicles": 110, "persons": 110, "persons_from_outside": 110, "turned_back": 110, "abnormal_temperature": 110,
    "vehicles_yesterday": 120, "persons_yesterday": 120,
}
