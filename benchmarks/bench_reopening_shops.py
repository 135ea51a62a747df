"""Reopening and shop pages on the demo data and on a large data set (10,000 enterprises, 50,000 shops).

    .venv/bin/python benchmarks/bench_reopening_shops.py

Prints the median AppTest script time, cold (empty caches) and warm (a rerun with nothing changed),
and the ratio of warm time at the large data set to warm time on the demo data.
Goal (issue 4): warm < 0.1 s.
"""
from __future__ import annotations

import datetime as dt
import random
import time

from common import fresh_demo_database, report, time_page

ENTERPRISES = 10_000
SHOPS = 50_000
PATH = ("applied", "inspected_before", "letters_signed", "approved", "inspected_after", "phone_verified")


def _history(rng: random.Random, last_day: dt.date) -> list[tuple[str, dt.date, bool | None, str | None]]:
    """A believable, rule-abiding history: part of the main path, sometimes a refusal or a suspension."""
    day = dt.date(2020, 2, 10) + dt.timedelta(days=rng.randint(0, 10))
    steps = []

    def add(step, passed=None, reason=None):
        nonlocal day
        steps.append((step, min(day, last_day), passed, reason))
        day += dt.timedelta(days=rng.choice((0, 0, 1, 1, 2)))

    length = rng.choice((0, 1, 2, 3, 4, 4, 5, 6, 6, 6))
    for position, step in enumerate(PATH[:length]):
        add(step, True if step in ("inspected_before", "inspected_after", "phone_verified") else None)
        if position == 1 and rng.random() < 0.05:
            steps[-1] = (steps[-1][0], steps[-1][1], False, "整改不到位")
            add("refused", reason="整改不到位")
            return steps
    if length >= 4 and rng.random() < 0.08:
        add("suspended", reason="复查发现问题")
        if rng.random() < 0.5:
            add("inspected_after", True)
            add("resumed")
    return steps


def grow(url: str) -> tuple[int, int]:
    """Add enterprises (with steps) and shops until the data set has ENTERPRISES and SHOPS."""
    import sqlalchemy as sa

    from data_access import db, reopening
    from data_access.models import DEPARTMENTS, SHOP_CATEGORIES, Enterprise, ReopeningStep, Shop, WorkZone

    engine = db.get_engine(url)
    rng = random.Random(11)
    last_day = dt.date(2020, 2, 25)
    with engine.begin() as conn:
        zone_ids = conn.execute(sa.select(WorkZone.id)).scalars().all()
        have = conn.execute(sa.select(sa.func.count()).select_from(Enterprise)).scalar_one()
        first_id = (conn.execute(sa.select(sa.func.max(Enterprise.id))).scalar() or 0) + 1
        histories, enterprises, steps = [], [], []
        for n in range(ENTERPRISES - have):
            history = _history(rng, last_day)
            status, since = reopening.derive_status(
                [{"id": i, "step": s, "day": d, "passed": p} for i, (s, d, p, _) in enumerate(history)])
            employees = rng.randint(5, 300)
            enterprises.append({
                "id": first_id + n, "name": f"测试企业{n:05d}", "zone_id": zone_ids[n % len(zone_ids)],
                "department": DEPARTMENTS[n % 3], "above_size": rng.random() < 0.2, "employees": employees,
                "employees_from_outside": rng.randint(0, employees // 20), "owner": f"负责人{n % 40}",
                "owner_backup": f"副手{n % 30}", "status": status, "status_since": since, "version": 1,
            })
            histories.append(history)
        conn.execute(sa.insert(Enterprise), enterprises)
        for enterprise, history in zip(enterprises, histories):
            steps.extend({"enterprise_id": enterprise["id"], "step": s, "day": d, "passed": p, "reason": r,
                          "recorded_by": "bench"} for s, d, p, r in history)
        conn.execute(sa.insert(ReopeningStep), steps)
        have_shops = conn.execute(sa.select(sa.func.count()).select_from(Shop)).scalar_one()
        shops = []
        for n in range(SHOPS - have_shops):
            is_open = rng.random() < 0.15
            staff = rng.randint(1, 6) if is_open else 0
            shops.append({"name": f"测试商铺{n:05d}", "zone_id": zone_ids[n % len(zone_ids)],
                          "category": SHOP_CATEGORIES[rng.randrange(len(SHOP_CATEGORIES))], "is_open": is_open,
                          "staff": staff, "staff_from_outside": rng.randint(0, staff // 3) if is_open else 0,
                          "status_since": last_day - dt.timedelta(days=rng.randint(0, 15)) if is_open else None,
                          "version": 1})
        conn.execute(sa.insert(Shop), shops)
        conn.execute(sa.text("UPDATE data_version SET version = version + 1"))
        return (conn.execute(sa.select(sa.func.count()).select_from(Enterprise)).scalar_one(),
                conn.execute(sa.select(sa.func.count()).select_from(ReopeningStep)).scalar_one())


def main() -> None:
    demo_url = fresh_demo_database("demo")
    large_url = fresh_demo_database("large")
    started = time.perf_counter()
    enterprises, steps = grow(large_url)
    print(f"large data set: {enterprises:,} enterprises with {steps:,} steps, {SHOPS:,} shops, "
          f"built in {time.perf_counter() - started:.1f} s")
    results = []
    for page in ("pages/reopening.py", "pages/shops.py", "pages/reopening_entry.py", "pages/shop_entry.py"):
        results.append((page, time_page(demo_url, page, "supervisor"), time_page(large_url, page, "supervisor")))
    report("median script time in seconds (AppTest, supervisor: every zone)", results)
    worst = max(large["warm"] for _, _, large in results)
    print(f"\nslowest warm rerun at the large data set: {worst:.3f} s (goal < 0.100 s): {'OK' if worst < 0.1 else 'OVER'}")


if __name__ == "__main__":
    main()
