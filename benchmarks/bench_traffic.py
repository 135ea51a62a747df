"""Checkpoint traffic pages on the demo data and on a large data set (100 checkpoints x 180 days).

    .venv/bin/python benchmarks/bench_traffic.py

Prints the median AppTest script time, cold (empty caches) and warm (a rerun with nothing changed),
and the ratio of warm time at the large data set to warm time on the demo data.
Goal (issue 3): warm < 0.1 s, ratio < 1.5.
"""
from __future__ import annotations

import datetime as dt
import random
import time

from common import fresh_demo_database, report, time_page

CHECKPOINTS = 100
DAYS = 180


def grow(url: str) -> int:
    """Add road checkpoints up to CHECKPOINTS and reports back to DAYS days before the demo's last day."""
    import sqlalchemy as sa

    from data_access import db
    from data_access.models import CheckpointDay, Site, WorkZone

    engine = db.get_engine(url)
    rng = random.Random(7)
    with engine.begin() as conn:
        zone_ids = conn.execute(sa.select(WorkZone.id)).scalars().all()
        existing = conn.execute(sa.select(sa.func.count()).where(Site.checkpoint_type == "road")).scalar_one()
        conn.execute(sa.insert(Site), [
            {"kind": "checkpoint", "checkpoint_type": "road", "zone_id": zone_ids[n % len(zone_ids)],
             "name": f"测试卡口{n:03d}", "road": "测试线", "active": True}
            for n in range(CHECKPOINTS - existing)
        ])
        site_ids = conn.execute(sa.select(Site.id).where(Site.checkpoint_type == "road")).scalars().all()
        last = conn.execute(sa.select(sa.func.max(CheckpointDay.day))).scalar_one()
        have = set(conn.execute(sa.select(CheckpointDay.site_id, CheckpointDay.day)).all())
        rows = []
        for offset in range(DAYS):
            day = last - dt.timedelta(days=offset)
            for site_id in site_ids:
                if (site_id, day) not in have:
                    persons = rng.randint(20, 400)
                    rows.append({"site_id": site_id, "day": day, "vehicles": rng.randint(10, 200), "persons": persons,
                                 "persons_from_outside": rng.randint(0, persons // 10), "turned_back": rng.randint(0, 5),
                                 "abnormal_temperature": 0, "version": 1, "corrected": False})
        conn.execute(sa.insert(CheckpointDay), rows)
        conn.execute(sa.text("UPDATE data_version SET version = version + 1"))
        return conn.execute(sa.select(sa.func.count()).select_from(CheckpointDay)).scalar_one()


def main() -> None:
    demo_url = fresh_demo_database("demo")
    large_url = fresh_demo_database("large")
    started = time.perf_counter()
    rows = grow(large_url)
    print(f"large data set: {rows:,} checkpoint-days ({CHECKPOINTS} checkpoints x {DAYS} days), built in {time.perf_counter() - started:.1f} s")
    results = []
    for page, user in (("pages/traffic.py", "supervisor"), ("pages/traffic_entry.py", "supervisor")):
        results.append((page, time_page(demo_url, page, user), time_page(large_url, page, user)))
    report("median script time in seconds (AppTest)", results)


if __name__ == "__main__":
    main()
