"""Coverage map, survey entry and inspection pages on the demo data and on a large data set.

    /work/venv/bin/python benchmarks/bench_community.py

The large set adds villages and compounds up to 2,000, each with a detailed boundary (240
vertices), two survey rounds, and visits every two days to every compound, to a copy of the demo.
Prints the median AppTest script time, cold (empty caches) and warm (a rerun with nothing changed),
and how many bytes the coverage map sends to the browser. Goal (issue 5): warm < 0.15 s.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import random
import time

from common import APP, fresh_demo_database

SITES = 2_000
VERTICES = 240
PAGES = ("pages/coverage_map.py", "pages/inspections.py", "pages/survey_entry.py", "pages/inspection_entry.py")
ONE_ZONE = {"zone": "Z1"}  # the filter bar zoomed to one work zone


def boundary(rng: random.Random, lon: float, lat: float, radius: float) -> str:
    """A wobbly closed ring of VERTICES points, like a surveyed village boundary."""
    ring = []
    for k in range(VERTICES):
        angle = 2 * math.pi * k / VERTICES
        r = radius * (1 + 0.12 * math.sin(5 * angle) + rng.uniform(-0.03, 0.03))
        ring.append([round(lon + r * math.cos(angle) * 1.25, 6), round(lat + r * math.sin(angle), 6)])
    ring.append(ring[0])
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def zone_boxes(conn):
    import sqlalchemy as sa

    from data_access.models import WorkZone

    boxes = []
    for zone_id, geometry in conn.execute(sa.select(WorkZone.id, WorkZone.geometry)):
        ring = json.loads(geometry)["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        boxes.append((zone_id, min(xs), min(ys), max(xs), max(ys)))
    return boxes


def grow(url: str) -> dict:
    """Add villages and compounds (with boundaries, rounds and inspections) up to SITES."""
    import sqlalchemy as sa

    from data_access import db
    from data_access.models import Inspection, Site, SurveyRound

    engine = db.get_engine(url)
    rng = random.Random(5)
    with engine.begin() as conn:
        boxes = zone_boxes(conn)
        have = conn.execute(sa.select(sa.func.count()).where(Site.kind.in_(("village", "compound")))).scalar_one()
        per_zone = math.ceil((SITES - have) / len(boxes))
        sites = []
        for zone_id, x0, y0, x1, y1 in boxes:
            side = math.ceil(math.sqrt(per_zone))
            step_x, step_y = (x1 - x0) / (side + 1), (y1 - y0) / (side + 1)
            for n in range(per_zone):
                if len(sites) + have >= SITES:
                    break
                lon, lat = x0 + step_x * (1 + n % side), y0 + step_y * (1 + n // side)
                compound = n % 4 == 0
                sites.append({"kind": "compound" if compound else "village", "zone_id": zone_id,
                              "name": f"测试{'小区' if compound else '村'}{len(sites):04d}", "lon": lon, "lat": lat,
                              "households_known": rng.randint(80, 400), "people_known": rng.randint(200, 1000),
                              "has_property_management": (n % 8 == 0) if compound else None,
                              "lead_cadre": f"干部{len(sites) % 97}", "staff_on_duty": rng.randint(1, 3),
                              "geometry": boundary(rng, lon, lat, min(step_x, step_y) * 0.4), "active": True})
        conn.execute(sa.insert(Site), sites)
        new = conn.execute(sa.select(Site.id, Site.kind).where(Site.name.like("测试%"))).all()
        rounds, visits = [], []
        for site_id, kind in new:
            known = rng.randint(80, 400)
            for round_no, day in ((1, dt.date(2020, 2, 1)), (2, dt.date(2020, 2, 18))):
                reached = round(known * rng.uniform(0.7, 1.0))
                rounds.append({"site_id": site_id, "round_no": round_no, "day": day, "households_known": known,
                               "households_reached": reached, "people": reached * 2, "people_from_outside": 1,
                               "unreachable": known - reached, "utility_checked": known // 2, "lit_at_night": 0,
                               "version": 1})
            if kind == "compound":
                for offset in range(rng.randint(0, 1), 25, 2):
                    visits.append({"site_id": site_id, "day": dt.date(2020, 2, 1) + dt.timedelta(days=offset),
                                   "inspector": "纪工委", "staff_at_post": True, "no_dereliction": True,
                                   "travellers_screened": True, "publicity_posted": True, "recorded_by": "bench"})
        conn.execute(sa.insert(SurveyRound), rounds)
        conn.execute(sa.insert(Inspection), visits)
        conn.execute(sa.text("UPDATE data_version SET version = version + 1"))
        total = conn.execute(sa.select(sa.func.count()).where(Site.kind.in_(("village", "compound")))).scalar_one()
        vertices = conn.execute(sa.select(sa.func.sum(sa.func.length(Site.geometry)))).scalar_one()
    return {"sites": total, "rounds": len(rounds), "visits": len(visits), "geometry_bytes": int(vertices)}


def payload_bytes(spec: dict) -> int:
    """How many bytes the map sends to the browser: the JSON spec plus its Arrow tables."""
    datasets = spec.get("datasets", {})
    tables = sum(len(value) for value in datasets.values() if isinstance(value, bytes))
    rest = {**spec, "datasets": {k: v for k, v in datasets.items() if not isinstance(v, bytes)}}
    return len(json.dumps(rest, separators=(",", ":"), ensure_ascii=False).encode("utf-8")) + tables


def map_payload(url: str, zone: bool = False) -> tuple[int, int, float]:
    """Bytes of the map's spec as sent to the browser, and the seconds it takes to build (cold)."""
    import os

    import sqlalchemy as sa
    import streamlit as st

    from data_access import db, geometry, territory
    from data_access.filters import Filters
    from ui.charts import coverage
    from ui.data import chart_spec
    from ui.i18n import t

    os.environ["DATABASE_URL"] = url
    db.dispose_engines()
    start, end = territory.default_range()
    zone_id = None
    if zone:
        with db.read_connection() as conn:
            zone_id = conn.execute(sa.text("SELECT min(id) FROM work_zone")).scalar_one()
    st.cache_data.clear()
    geometry.forget_boundaries()
    began = time.perf_counter()
    spec = chart_spec(coverage.coverage_map, geometry.map_data, (Filters(zone_id=zone_id, start=start, end=end), 900),
                      label=t, layers=coverage.LAYERS, width=900, height=660)
    return payload_bytes(spec), geometry.static_bytes(spec.get("data", {}).get("url")), time.perf_counter() - began


def time_page(url: str, page: str, username: str = "supervisor", warm_runs: int = 15, query: dict | None = None) -> dict:
    """Median AppTest script time of one page, cold and warm, as wall-clock and as CPU seconds.

    Like common.time_page, but "cold" also empties st.cache_resource and the map's prepared boundaries
    (data_access.geometry keeps them per geometry fingerprint), and CPU time is reported too: on a
    shared, busy machine wall-clock times swing, the process's own CPU time much less.
    """
    import os
    import statistics

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from data_access import auth, db, geometry

    os.environ["DATABASE_URL"] = url
    db.dispose_engines()

    def timed(run) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        return time.perf_counter() - wall, time.process_time() - cpu

    colds = []
    for _ in range(3):
        st.cache_data.clear()
        st.cache_resource.clear()
        geometry.forget_boundaries()
        at = AppTest.from_file(APP, default_timeout=300)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.session_state["actor"] = auth.authenticate(username, "demo")
        at.run()
        colds.append(timed(lambda: at.switch_page(page).run()))
        assert not at.exception, at.exception
    warms = [timed(at.run) for _ in range(warm_runs)]
    median = lambda values, i: statistics.median(v[i] for v in values)  # noqa: E731
    return {"cold": median(colds, 0), "warm": median(warms, 0), "cold_cpu": median(colds, 1), "warm_cpu": median(warms, 1)}


def report(rows: list[tuple[str, dict, dict]]) -> None:
    print("\nmedian AppTest script time in seconds: wall-clock (CPU of this process)")
    print(f"{'page':28} {'demo cold':>16} {'demo warm':>16} {'large cold':>16} {'large warm':>16}")
    cell = lambda r, k: f"{r[k]:.3f} ({r[k + '_cpu']:.3f})"  # noqa: E731
    for page, demo, large in rows:
        print(f"{page:28} {cell(demo, 'cold'):>16} {cell(demo, 'warm'):>16} {cell(large, 'cold'):>16} {cell(large, 'warm'):>16}")


def main() -> None:
    demo_url = fresh_demo_database("community_demo")
    large_url = fresh_demo_database("community_large")
    started = time.perf_counter()
    grown = grow(large_url)
    print(f"large data set: {grown['sites']:,} villages and compounds ({VERTICES} vertices each), "
          f"{grown['rounds']:,} survey rounds, {grown['visits']:,} more inspections, "
          f"{grown['geometry_bytes'] / 1e6:.1f} MB of stored GeoJSON; built in {time.perf_counter() - started:.1f} s")
    results = [(page, time_page(demo_url, page), time_page(large_url, page)) for page in PAGES]
    results.insert(1, ("  ...zoomed to one zone", time_page(demo_url, PAGES[0], query=ONE_ZONE),
                       time_page(large_url, PAGES[0], query=ONE_ZONE)))
    report(results)
    print("\ncoverage map payload to the browser, 900 x 660: per rerun (Vega-Lite spec + Arrow tables) and the"
          "\nboundaries file (TopoJSON, a static file fetched once per browser and then cached):")
    for label, url in (("demo", demo_url), ("large", large_url)):
        for zone in (False, True):
            size, boundaries, seconds = map_payload(url, zone)
            print(f"  {label:6} {'one zone' if zone else 'all zones':10} {size:>10,} bytes per rerun"
                  f"  {boundaries:>10,} bytes boundaries   built in {seconds:.2f} s (cold)")


if __name__ == "__main__":
    main()
