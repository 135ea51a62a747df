"""The city-scale data set of issue 14, built reproducibly on a copy of the demo database.

    from city import build_city, build_demo
    url, seconds, counts = build_city("sqlite", folder, scale=1.0)

On top of the demo (loaded by data_access.schema.upgrade + data_access.demo.load_demo), with the
seeded random stream SEED (the same rows on every build, on SQLite and PostgreSQL alike):

- 1,000 road checkpoints x 180 days of reports (the season is moved back to the first of them;
  30 reports missing, ~3 % reported late, ~1 % corrected), a village checkpoint per village;
- 10,000 enterprises with their reopening steps (~37,500, rule-abiding histories), 50,000 shops;
- 2,000 villages and compounds, each with a 240-vertex boundary, and ~5,600 survey rounds;
- ~22,700 inspections of the duty points (checkpoints and compounds) with ~1,700 findings;
- 150 zone clerks, 8 clerks writing for 50 checkpoints each (bench_clerk1..8, for the concurrent
  save), an account whose role the benchmark toggles (bench_toggle), a display key for one zone;
- the duty roster (issue 16): every road checkpoint (1,000 duty points) needs 2 people on each of 3
  shifts, rostered for the 180 days to 29 February (~1.08 million assignments, a few cells one short),
  by 6,000 people (6 per point, each always on the same shift) in one duty team per work zone, their
  phones encrypted under BENCH_PERSONAL_KEY;
- compound gate registrations (issue 17): 1,000,000 passes at the city's compounds (~500) over the 28 days
  the retention keeps before the demo's now (so the purge at start deletes none), by ~21,000 people (48
  passes each, out and back), 1 % arriving from outside, 1 % at a second compound, a few fevers; their
  document numbers and phones as distinct keyed hashes and masks, the ciphers a small pool of real Fernet
  tokens (what is measured is the pages, which never decrypt a list); made by one INSERT ... SELECT, and
  gate_hour_count, gate_day_count and gate_person_site rebuilt from them (gate.rebuild_kept);
- 1.2 million audit rows: every row above as it was written (the checkpoint day, the step, the shop
  opening...), plus the corrections clerks make during the day and the sign-ins, spread over the
  180 days by the clerks who would have written them.

Big tables are bulk-loaded: COPY on PostgreSQL (psycopg's cursor.copy), Core executemany of lists of
dicts in chunks on SQLite, ids given explicitly (PostgreSQL's sequences are moved past them). Then
every line's data version is bumped and the planner statistics refreshed (ANALYZE; PRAGMA optimize on
SQLite), as a real bulk import would. `scale` shrinks every count (0.1 for quick development runs).
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

BUILDER_VERSION = 6  # bump when the data set changes: cached builds of another version are not reused
SEED = "issue14-city"
DAYS = 180
LAST_DAY = dt.date(2020, 2, 25)  # the demo's last day
FIRST_DAY = LAST_DAY - dt.timedelta(days=DAYS - 1)
SUPPLY_DAYS = 365  # a year of supply movements (issue 15)
ROSTER_END = dt.date(2020, 2, 29)  # the roster runs past the last day of reports, as the demo's does (issue 16)
ROSTER_PLACES = 2  # people a road checkpoint needs on each shift
ROSTER_SHORT = 0.005  # the share of point-shifts rostered one short
GATE_REGISTRATIONS = 1_000_000  # issue 17
GATE_PASSES = 48  # per person: 24 times out and back in the days kept
GATE_DAYS = 28  # the default retention: every pass is kept at the demo's now
GATE_TIMINGS = 200  # sets of moments the people share (person k uses set k % 200)
GATE_CIPHERS = 256  # real Fernet tokens, reused
# The personal-data key of every bench database (a copied SQLite file has no key file beside it): a fixed
# Fernet key, set for this process and the servers and processes it starts, unless one is given.
BENCH_PERSONAL_KEY = "YmVuY2gtY2l0eS1wZXJzb25hbC1kYXRhLWtleS0zMmI="
os.environ.setdefault("DASHBOARD_PERSONAL_KEY", BENCH_PERSONAL_KEY)
UTC = dt.timezone.utc
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432").rstrip("/")
BENCH_PASSWORD = "demo"
ONE_ZONE_WALL_KEY = "bench-wall-z1"  # a display key for work zone Z1 (the wall of one zone)
TOGGLE_USER = "bench_toggle"  # the account the benchmark changes to time a save of the accounts line
CLERKS = 8  # bench_clerk1..8, each writing for its own GRID checkpoints
GRID = 50
ZONE_CLERKS = 25  # per work zone
CHUNK = 20_000
PARENTS = ("site", "enterprise", "inspection", "app_user", "person")  # tables the next bulk loads point at


@dataclass(frozen=True)
class Sizes:
    checkpoints: int
    enterprises: int
    shops: int
    areas: int
    audit: int

    @classmethod
    def at(cls, scale: float) -> "Sizes":
        return cls(checkpoints=max(CLERKS * GRID, round(1_000 * scale)), enterprises=max(200, round(10_000 * scale)),
                   shops=max(500, round(50_000 * scale)), areas=max(100, round(2_000 * scale)),
                   audit=round(1_200_000 * scale))


def cache_key(scale: float) -> str:
    """The builder's version, the scale and the schema's migration head: a kept build of another is not reused."""
    from data_access import schema

    return f"v{BUILDER_VERSION}-s{scale:g}-{schema.head_revision()}".replace(".", "_").lower()


# ---- databases ----------------------------------------------------------------------------------------

def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def pg_url(name: str) -> str:
    return f"{PG_ADMIN_URL}/{name}"


def _pg_admin():
    return sa.create_engine(f"{PG_ADMIN_URL}/postgres", isolation_level="AUTOCOMMIT")


def pg_exists(name: str) -> bool:
    engine = _pg_admin()
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar() is not None
    finally:
        engine.dispose()


def pg_recreate(name: str, template: str | None = None) -> str:
    """Drop the database `name` (if there) and create it again, empty or as a copy of `template`."""
    from data_access import db

    db.dispose_engines()
    engine = _pg_admin()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    finally:
        engine.dispose()
    return pg_url(name)


def pg_rename(old: str, new: str) -> None:
    from data_access import db

    db.dispose_engines()
    engine = _pg_admin()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{new}" WITH (FORCE)'))
            conn.execute(sa.text(f'ALTER DATABASE "{old}" RENAME TO "{new}"'))
    finally:
        engine.dispose()


def demo_database(url: str) -> str:
    """Schema and demo data, then the few bench accounts and keys the measurements use."""
    from data_access import db, demo, schema

    engine = db.get_engine(url)
    schema.upgrade(engine)
    demo.load_demo(engine)
    with engine.begin() as conn:
        Loader(conn).add_bench_accounts(city=False)
        db.bump_all_lines(conn)
    return url


def build_demo(kind: str, folder: Path) -> str:
    """A fresh demo database: a file in `folder` (SQLite) or the database bench_city_demo (PostgreSQL)."""
    if kind == "sqlite":
        path = folder / "demo.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return demo_database(sqlite_url(path))
    return demo_database(pg_recreate("bench_city_demo"))


def build_city(kind: str, folder: Path, scale: float = 1.0, cache: Path | None = None,
               log=print) -> tuple[str, float | None, dict]:
    """The city database: (url, build seconds or None when a cached build was reused, row counts).

    Without `cache` it is built fresh. With `cache` a pristine build keyed by BUILDER_VERSION and the
    scale is kept (a file in the cache folder; a template database on PostgreSQL) and copied for the run,
    so measurements that write never change the kept build.
    """
    from data_access import db

    key = cache_key(scale)
    if kind == "sqlite":
        work = folder / "city.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)
        if cache is None:
            started = time.perf_counter()
            counts = _build(sqlite_url(work), scale, log)
            return sqlite_url(work), time.perf_counter() - started, counts
        cache.mkdir(parents=True, exist_ok=True)
        kept = cache / f"city-{key}.db"
        seconds = None
        if not kept.exists():
            building = cache / f"city-{key}.building.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{building}{suffix}").unlink(missing_ok=True)
            started = time.perf_counter()
            _build(sqlite_url(building), scale, log)
            seconds = time.perf_counter() - started
            db.dispose_engines()  # the WAL was checkpointed into the file by _build
            building.rename(kept)
        shutil.copyfile(kept, work)
        return sqlite_url(work), seconds, counts_of(sqlite_url(work))
    if cache is None:
        started = time.perf_counter()
        url = pg_recreate("bench_city")
        counts = _build(url, scale, log)
        return url, time.perf_counter() - started, counts
    kept = f"bench_city_cache_{key}"
    seconds = None
    if not pg_exists(kept):
        started = time.perf_counter()
        _build(pg_recreate(f"{kept}_building"), scale, log)
        seconds = time.perf_counter() - started
        pg_rename(f"{kept}_building", kept)
    url = pg_recreate("bench_city", template=kept)
    return url, seconds, counts_of(url)


COUNTED = ("site", "checkpoint_day", "enterprise", "reopening_step", "shop", "survey_round", "inspection", "finding",
           "supply_movement", "meal_point_day", "person", "duty_assignment", "gate_registration", "gate_hour_count",
           "gate_day_count", "gate_person_site", "app_user", "audit_log")


def counts_of(url: str) -> dict:
    from data_access import db

    with db.get_engine(url).connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in COUNTED}


def analyze(url: str) -> None:
    """Fresh planner statistics after the bulk load, as a real import would leave them."""
    from data_access import db

    engine = db.get_engine(url)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            raw.execute("ANALYZE")
            raw.execute("PRAGMA optimize")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))


def _build(url: str, scale: float, log) -> dict:
    from data_access import db, demo, schema

    sizes = Sizes.at(scale)
    started = time.perf_counter()
    engine = db.get_engine(url)
    schema.upgrade(engine)
    demo.load_demo(engine)
    log(f"  demo loaded in {time.perf_counter() - started:.1f} s")
    with engine.begin() as conn:
        Loader(conn, sizes, log).grow()
        db.bump_all_lines(conn)
    began = time.perf_counter()
    analyze(url)
    log(f"  ANALYZE in {time.perf_counter() - began:.1f} s")
    return counts_of(url)


# ---- the growing ---------------------------------------------------------------------------------------

def _utc(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _j(value: dict) -> str:
    """As data_access.audit writes before/after: sorted keys, Chinese kept."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


ROADS = ("中古线", "802省道", "县道X017", "县道X036", "栖蓬路", "烟霞路", "唐山线", "观里路", "桃村线", "庙后路")
SURNAMES = "王李张刘孙林姜于曲衣牟杨宋郝迟隋唐邹战柳徐赵高吕纪初丛滕鞠慕"
GIVEN = "建华 志强 海燕 晓东 文军 丽娟 春生 国庆 红梅 振宇 立新 秀芳 德胜 永刚 玉兰 明辉 卫东 桂香 成林 雪梅".split()
CHECKS = ("staff_at_post", "no_dereliction", "travellers_screened", "publicity_posted")
FAILURES = {"staff_at_post": ("值守人员脱岗", "已补齐值守人员"), "no_dereliction": ("值班人员未认真盘查", "已约谈值班人员"),
            "travellers_screened": ("未逐一测温登记", "已完善测温登记台账"), "publicity_posted": ("宣传材料未张贴", "已重新张贴")}


class Loader:
    """Grows the demo in the open connection `conn` (one transaction)."""

    def __init__(self, conn, sizes: Sizes | None = None, log=print):
        self.conn, self.sizes, self.log = conn, sizes, log
        self.pg = conn.dialect.name == "postgresql"
        self.rng = random.Random(SEED)
        self.audit_rows: list[tuple] = []  # (at, username, action, table, row_id, before, after, reason)

    # -- plumbing --

    def next_id(self, table: str) -> int:
        return (self.conn.execute(sa.text(f"SELECT max(id) FROM {table}")).scalar() or 0) + 1

    def insert(self, model, rows: list[dict]) -> None:
        """Bulk insert: COPY on PostgreSQL, executemany of dicts in chunks on SQLite."""
        if not rows:
            return
        table = model.__table__ if hasattr(model, "__table__") else model
        columns = list(rows[0])
        if self.pg:
            raw = self.conn.connection.driver_connection
            with raw.cursor() as cursor:
                with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[c] for c in columns])
                if table.name in PARENTS:
                    # Statistics for the foreign-key checks of the next COPY: planned on the demo's row
                    # counts, PostgreSQL would scan a 10,000-row parent table once per child row.
                    cursor.execute(f"ANALYZE {table.name}")
        else:
            for start in range(0, len(rows), CHUNK):
                self.conn.execute(sa.insert(table), rows[start:start + CHUNK])

    def timed(self, what: str, fn) -> None:
        started = time.perf_counter()
        fn()
        self.log(f"  {what} in {time.perf_counter() - started:.1f} s")

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    # -- the whole set --

    def grow(self) -> None:
        from data_access.models import WorkZone

        self.zones = dict(self.conn.execute(sa.select(WorkZone.id, WorkZone.code).order_by(WorkZone.code)).all())
        self.zone_ids = list(self.zones)
        self.timed("accounts", lambda: self.add_bench_accounts(city=True))
        self.timed("sites", self.add_sites)
        self.timed("checkpoint days", self.add_checkpoint_days)
        self.timed("enterprises and steps", self.add_enterprises)
        self.timed("shops", self.add_shops)
        self.timed("survey rounds", self.add_surveys)
        self.timed("inspections and findings", self.add_inspections)
        self.timed("supplies and meals", self.add_logistics)
        self.timed("scopes of the grid clerks", self.scope_grid_clerks)
        self.timed("people and the duty roster", self.add_roster)
        self.timed("compound gate registrations", self.add_gate)
        self.timed("audit log", self.add_audit)
        self.finish()

    def add_bench_accounts(self, city: bool) -> None:
        """bench_toggle and the one-zone wall key (demo and city alike); in the city also the clerks."""
        from data_access.auth import hash_display_key, hash_password
        from data_access.models import DisplayKey, User, UserScope, WorkZone

        zones = dict(self.conn.execute(sa.select(WorkZone.code, WorkZone.id)).all())
        password = hash_password(BENCH_PASSWORD)  # one scrypt hash for every bench account
        users = [{"username": TOGGLE_USER, "display_name": "测试账号", "role": "viewer"}]
        if city:
            users += [{"username": f"bench_clerk{k}", "display_name": f"卡口填报员{k}", "role": "clerk"}
                      for k in range(1, CLERKS + 1)]
            for code in sorted(zones):
                users += [{"username": f"{code.lower()}_clerk{n:02d}", "display_name": f"{code}填报员{n:02d}",
                           "role": "clerk"} for n in range(1, ZONE_CLERKS + 1)]
        first = self.next_id("app_user")
        rows = [{"id": first + i, **u, "password_hash": password, "active": True, "is_demo": False}
                for i, u in enumerate(users)]
        self.insert(User, rows)
        self.user_ids = {r["username"]: r["id"] for r in rows}
        scopes = []
        for row in rows:
            code = row["username"].split("_")[0].upper()
            if code in zones:
                scopes.append({"user_id": row["id"], "zone_id": zones[code], "site_id": None})
        if scopes:
            first_scope = self.next_id("user_scope")
            self.insert(UserScope, [{"id": first_scope + i, **s} for i, s in enumerate(scopes)])
        self.conn.execute(sa.insert(DisplayKey), [{
            "key_hash": hash_display_key(ONE_ZONE_WALL_KEY), "label": "第一工作管区大屏", "zone_id": zones["Z1"],
            "created_by": "bench", "is_demo": False}])
        self.zone_clerks = {zones[code]: [r["username"] for r in rows if r["username"].startswith(code.lower() + "_")]
                            for code in zones}

    # -- territory --

    def add_sites(self) -> None:
        from bench_community import boundary, zone_boxes
        from data_access.models import Site

        rng = self.rng
        boxes = {zone_id: box for zone_id, *box in zone_boxes(self.conn)}
        self.site_id = self.next_id("site")
        sites = []

        def add(**row) -> dict:
            row = {"id": self.site_id, "kind": None, "zone_id": None, "name": None, "households_known": None,
                   "people_known": None, "has_property_management": None, "lead_cadre": None, "staff_on_duty": None,
                   "checkpoint_type": None, "road": None, "parent_site_id": None, "lon": None, "lat": None,
                   "geometry": None, "active": True, "report_due_minutes": None, "reporting_from": None, **row}
            self.site_id += 1
            sites.append(row)
            return row

        have_roads = self.conn.execute(sa.select(sa.func.count()).where(Site.checkpoint_type == "road")).scalar_one()
        numbers: dict[str, int] = {}
        for n in range(self.sizes.checkpoints - have_roads):
            zone_id = self.zone_ids[n % len(self.zone_ids)]
            x0, y0, x1, y1 = boxes[zone_id]
            road = ROADS[rng.randrange(len(ROADS))]
            numbers[road] = numbers.get(road, 0) + 1
            add(kind="checkpoint", checkpoint_type="road", zone_id=zone_id, name=f"{road}{numbers[road]:03d}号卡口",
                road=road, lon=rng.uniform(x0, x1), lat=rng.uniform(y0, y1), staff_on_duty=rng.randint(4, 6),
                lead_cadre=self.name())
        have_areas = self.conn.execute(
            sa.select(sa.func.count()).where(Site.kind.in_(("village", "compound")))).scalar_one()
        new_areas = self.sizes.areas - have_areas
        per_zone = math.ceil(new_areas / len(boxes))
        villages = []
        made = 0
        for zone_id, (x0, y0, x1, y1) in boxes.items():
            side = math.ceil(math.sqrt(per_zone))
            step_x, step_y = (x1 - x0) / (side + 1), (y1 - y0) / (side + 1)
            for n in range(per_zone):
                if made >= new_areas:
                    break
                lon, lat = x0 + step_x * (1 + n % side), y0 + step_y * (1 + n // side)
                compound = n % 4 == 0
                row = add(kind="compound" if compound else "village", zone_id=zone_id,
                          name=f"{'城区' if compound else ''}{self.name()[0]}家{'小区' if compound else '村'}{made:04d}",
                          lon=lon, lat=lat, households_known=rng.randint(80, 400), people_known=rng.randint(200, 1000),
                          has_property_management=(n % 8 == 0) if compound else None, lead_cadre=self.name(),
                          staff_on_duty=rng.randint(1, 3), geometry=boundary(rng, lon, lat, min(step_x, step_y) * 0.4))
                made += 1
                if not compound:
                    villages.append(row)
        for village in villages:
            add(kind="checkpoint", checkpoint_type="village", zone_id=village["zone_id"], name=f"{village['name']}卡口",
                parent_site_id=village["id"], lon=village["lon"], lat=village["lat"], lead_cadre=village["lead_cadre"],
                staff_on_duty=rng.randint(2, 3))
        # villages first: their checkpoints point at them (the foreign key is checked row by row on SQLite)
        sites.sort(key=lambda r: (r["parent_site_id"] is not None, r["id"]))
        self.insert(Site, sites)
        self.sites = sites

    def road_checkpoints(self) -> list[tuple[int, int]]:
        from data_access.models import Site

        return self.conn.execute(sa.select(Site.id, Site.zone_id).where(Site.checkpoint_type == "road")
                                 .order_by(Site.id)).all()

    # -- traffic --

    def add_checkpoint_days(self) -> None:
        from data_access import traffic_totals
        from data_access.models import CheckpointDay

        rng = self.rng
        roads = self.road_checkpoints()
        have = set(self.conn.execute(sa.select(CheckpointDay.site_id, CheckpointDay.day)).all())
        days = [FIRST_DAY + dt.timedelta(days=k) for k in range(DAYS)]
        missing = set()
        while len(missing) < round(30 * len(roads) / 1000):
            missing.add((rng.choice(roads)[0], rng.choice(days[:-3])))
        first = self.next_id("checkpoint_day")
        rows = []
        for site_id, zone_id in roads:
            base = rng.uniform(20, 160)
            clerks = self.zone_clerks.get(zone_id) or ["clerk"]
            clerk = clerks[site_id % len(clerks)]
            for k, day in enumerate(days):
                if (site_id, day) in have or (site_id, day) in missing:
                    continue
                season = 0.5 + 0.5 * k / DAYS
                vehicles = max(0, round(base * season * rng.uniform(0.7, 1.3)))
                persons = vehicles + round(vehicles * rng.uniform(0.6, 1.1))
                late = rng.random() < 0.03
                reported = (_utc(day + dt.timedelta(days=1), rng.randint(3, 9), rng.randint(0, 59)) if late
                            else _utc(day, rng.randint(9, 14), rng.randint(0, 59)))
                corrected = rng.random() < 0.01
                rows.append({
                    "id": first + len(rows), "site_id": site_id, "day": day, "vehicles": vehicles, "persons": persons,
                    "persons_from_outside": round(persons * rng.uniform(0.02, 0.09)),
                    "turned_back": round(persons * rng.uniform(0.0, 0.03)), "abnormal_temperature": int(rng.random() < 0.002),
                    "corrected": corrected, "correction_reason": "台账核对" if corrected else None,
                    "reported_at": reported, "version": 2 if corrected else 1,
                    "updated_at": reported + dt.timedelta(hours=20) if corrected else reported, "updated_by": clerk})
        self.insert(CheckpointDay, rows)
        traffic_totals.rebuild(self.conn)  # as every write of checkpoint_day keeps them
        keys = ("abnormal_temperature", "persons", "persons_from_outside", "turned_back", "vehicles")
        for row in rows:
            values = {k: row[k] for k in keys}
            self.audit_rows.append((row["reported_at"], row["updated_by"], "insert", "checkpoint_day", row["id"], None,
                                    _j({**values, "day": row["day"], "site_id": row["site_id"]}), None))
            if row["corrected"]:
                before = {**values, "vehicles": values["vehicles"] + 3}
                self.audit_rows.append((row["updated_at"], row["updated_by"], "correct", "checkpoint_day", row["id"],
                                        _j(before), _j(values), "台账核对"))
        self.traffic_rows = rows

    # -- logistics (issue 15): a year of supplies issued to every duty point, the season's meals --

    def add_logistics(self) -> None:
        """Each road checkpoint is issued one item a day (the items in turn) for SUPPLY_DAYS; each zone's
        store is allocated, on the first day of each week, what it issues that week and a margin, so no
        stock is ever negative. Meals per checkpoint for the season, residents' meals on some days."""
        from sqlalchemy.orm import Session

        from data_access import demo
        from data_access.models import MealPointDay, SupplyItem, SupplyMovement

        rng = self.rng
        items = [item_id for item_id, in self.conn.execute(sa.select(SupplyItem.id).order_by(SupplyItem.id))]
        roads = self.road_checkpoints()
        first = LAST_DAY - dt.timedelta(days=SUPPLY_DAYS - 1)
        keeper = "city-keeper"
        issues, weekly = [], {}
        for k in range(SUPPLY_DAYS):
            day = first + dt.timedelta(days=k)
            at = _utc(day, 1, 30)
            for n, (site_id, zone_id) in enumerate(roads):
                item_id, quantity = items[(n + k) % len(items)], rng.randint(5, 40)
                issues.append({"item_id": item_id, "zone_id": zone_id, "day": day, "quantity": -quantity,
                               "note": None, "recorded_by": keeper, "kind": "issue", "site_id": None,
                               "recipient_site_id": site_id, "recipient": "值守组", "recorded_at": at})
                week = (k // 7, item_id, zone_id)
                weekly[week] = weekly.get(week, 0) + quantity
        receipts = [{"item_id": item_id, "zone_id": zone_id, "day": first + dt.timedelta(days=7 * week),
                     "quantity": quantity + rng.randint(20, 200), "note": "市指挥部调拨", "recorded_by": keeper,
                     "kind": "allocation", "site_id": None, "recipient_site_id": None, "recipient": None,
                     "recorded_at": _utc(first + dt.timedelta(days=7 * week), 0, 30)}
                    for (week, item_id, zone_id), quantity in sorted(weekly.items())]
        self.insert(SupplyMovement, receipts + issues)
        demo.keep_stock(Session(bind=self.conn))  # as every movement write keeps supply_stock
        have = set(self.conn.execute(sa.select(MealPointDay.site_id, MealPointDay.day)).all())
        meals = []
        for site_id, _zone in roads:
            usual = rng.randint(3, 9)
            for k in range(DAYS):
                day = FIRST_DAY + dt.timedelta(days=k)
                if (site_id, day) in have:
                    continue
                meals.append({"site_id": site_id, "day": day, "meals": max(0, usual + rng.randint(-2, 2)),
                              "donated_meals": rng.randint(5, 30) if rng.random() < 0.02 else 0, "version": 1,
                              "updated_at": _utc(day, 4), "updated_by": keeper, "corrected": False,
                              "correction_reason": None})
        self.insert(MealPointDay, meals)

    # -- reopening and shops (as bench_reopening_shops grows them) --

    def add_enterprises(self) -> None:
        from bench_reopening_shops import _history
        from data_access.models import DEPARTMENTS, Enterprise, ReopeningStep
        from data_access.reopening import derive_status

        rng = self.rng
        have = self.conn.execute(sa.select(sa.func.count()).select_from(Enterprise)).scalar_one()
        first = self.next_id("enterprise")
        enterprises, histories = [], []
        for n in range(self.sizes.enterprises - have):
            history = _history(rng, LAST_DAY)
            status, since = derive_status([{"id": i, "step": s, "day": d, "passed": p}
                                           for i, (s, d, p, _) in enumerate(history)])
            zone_id = self.zone_ids[n % len(self.zone_ids)]
            employees = rng.randint(5, 300)
            recorder = rng.choice(self.zone_clerks[zone_id])
            enterprises.append({
                "id": first + n, "name": f"{self.name()[0]}氏{n:05d}号企业有限公司", "zone_id": zone_id,
                "department": DEPARTMENTS[n % 3], "above_size": rng.random() < 0.2, "employees": employees,
                "employees_from_outside": rng.randint(0, employees // 20), "owner": self.name(),
                "owner_backup": self.name(), "status": status, "status_since": since, "version": 1 + len(history),
                "updated_at": _utc(since, 2, 0) if since else None, "updated_by": recorder if history else None})
            histories.append((history, recorder))
        self.insert(Enterprise, enterprises)
        step_id = self.next_id("reopening_step")
        steps = []
        for enterprise, (history, recorder) in zip(enterprises, histories):
            for order, (step, day, passed, reason) in enumerate(history):
                at = _utc(day, 1 + order, rng.randint(0, 59))
                steps.append({"id": step_id + len(steps), "enterprise_id": enterprise["id"], "step": step, "day": day,
                              "passed": passed, "employees_called": None, "problems_found": None, "reason": reason,
                              "note": None, "recorded_by": recorder, "recorded_at": at})
                self.audit_rows.append((at, recorder, "insert", "reopening_step", steps[-1]["id"], None,
                                        _j({"day": day, "passed": passed, "reason": reason, "step": step}), None))
                self.audit_rows.append((at, recorder, "update", "enterprise", enterprise["id"], None,
                                        _j({"status": step, "status_since": day}), None))
        self.insert(ReopeningStep, steps)

    def add_shops(self) -> None:
        from data_access.models import SHOP_CATEGORIES, Shop

        rng = self.rng
        have = self.conn.execute(sa.select(sa.func.count()).select_from(Shop)).scalar_one()
        first = self.next_id("shop")
        shops = []
        for n in range(self.sizes.shops - have):
            zone_id = self.zone_ids[n % len(self.zone_ids)]
            is_open = rng.random() < 0.15
            staff = rng.randint(1, 6) if is_open else 0
            since = LAST_DAY - dt.timedelta(days=rng.randint(0, 15)) if is_open else \
                dt.date(2020, 1, 26) + dt.timedelta(days=rng.randint(0, 6))
            clerk = rng.choice(self.zone_clerks[zone_id])
            shops.append({"id": first + n, "name": f"{self.name()[0]}记{n:05d}号商铺", "zone_id": zone_id,
                          "category": SHOP_CATEGORIES[rng.randrange(len(SHOP_CATEGORIES))], "is_open": is_open,
                          "staff": staff, "staff_from_outside": rng.randint(0, staff // 3) if is_open else 0,
                          "status_since": since, "version": 2 if is_open else 1,
                          "updated_at": _utc(since, 0, rng.randint(0, 59)), "updated_by": clerk})
        self.insert(Shop, shops)
        for shop in shops:
            closed = dt.date(2020, 1, 26) + dt.timedelta(days=shop["id"] % 7)
            self.audit_rows.append((_utc(closed, 0, 30), shop["updated_by"], "close", "shop", shop["id"],
                                    _j({"is_open": True, "staff": 2, "staff_from_outside": 0}),
                                    _j({"is_open": False, "staff": 0, "staff_from_outside": 0, "status_since": closed}),
                                    None))
            if shop["is_open"]:
                self.audit_rows.append((shop["updated_at"], shop["updated_by"], "open", "shop", shop["id"],
                                        _j({"is_open": False, "staff": 0, "staff_from_outside": 0}),
                                        _j({"is_open": True, "staff": shop["staff"],
                                            "staff_from_outside": shop["staff_from_outside"],
                                            "status_since": shop["status_since"]}), None))

    # -- survey and inspections --

    def add_surveys(self) -> None:
        from data_access.models import SurveyRound

        rng = self.rng
        windows = ((dt.date(2020, 1, 24), 9), (dt.date(2020, 2, 5), 9), (dt.date(2020, 2, 15), 5),
                   (dt.date(2020, 2, 21), 3))
        first = self.next_id("survey_round")
        rows = []
        for site in self.sites:
            if site["kind"] not in ("village", "compound"):
                continue
            known = site["households_known"]
            reached = round(known * rng.uniform(0.5, 0.7))
            clerk = rng.choice(self.zone_clerks[site["zone_id"]])
            for round_no in range(1, rng.choice((2, 2, 3, 3, 3, 4)) + 1):
                start, width = windows[round_no - 1]
                day = start + dt.timedelta(days=rng.randint(0, width))
                reached = min(known, round(reached + (known - reached) * rng.uniform(0.3, 0.8)))
                unreachable = round((known - reached) * rng.uniform(0.5, 0.9))
                people = round(reached * rng.uniform(1.5, 3.0))
                rows.append({"id": first + len(rows), "site_id": site["id"], "round_no": round_no, "day": day,
                             "households_known": known, "households_reached": reached, "people": people,
                             "people_from_outside": round(people * rng.uniform(0.005, 0.03)), "unreachable": unreachable,
                             "utility_checked": round(known * rng.uniform(0.1, 0.7)),
                             "lit_at_night": round(unreachable * rng.uniform(0.2, 0.6)), "version": 1,
                             "updated_at": _utc(day, 2, rng.randint(0, 59)), "updated_by": clerk})
                self.audit_rows.append((rows[-1]["updated_at"], clerk, "insert", "survey_round", rows[-1]["id"], None,
                                        _j({"day": day, "households_reached": reached, "round_no": round_no,
                                            "site_id": site["id"]}), None))
        self.insert(SurveyRound, rows)

    def add_inspections(self) -> None:
        from data_access.models import Finding, Inspection

        rng = self.rng
        points = [s for s in self.sites if s["kind"] == "checkpoint" or s["kind"] == "compound"]
        teams = [f"{self.name()}、{self.name()}" for _ in range(12)]
        first = self.next_id("inspection")
        visits, findings = [], []
        finding_id = self.next_id("finding")
        for point in points:
            day = dt.date(2020, 2, 3) + dt.timedelta(days=rng.randint(0, 3))
            recorder = rng.choice(self.zone_clerks[point["zone_id"]])
            while day <= LAST_DAY:
                visit = {"id": first + len(visits), "site_id": point["id"], "day": day, "inspector": rng.choice(teams),
                         **{c: True for c in CHECKS}, "remarks": None, "recorded_by": recorder}
                at = _utc(day, 3, rng.randint(0, 59))
                if rng.random() < 0.074:
                    check = rng.choice(CHECKS)
                    visit[check] = False
                    description, fix = FAILURES[check]
                    visit["remarks"] = f"发现问题：{description}，已当场交办"
                    due = day + dt.timedelta(days=rng.randint(1, 3))
                    fixed = None
                    if rng.random() < (0.9 if day < dt.date(2020, 2, 20) else 0.4):
                        fixed = min(LAST_DAY, due + dt.timedelta(days=rng.randint(-1, 2)))
                        fixed = max(fixed, day)
                    findings.append({"id": finding_id + len(findings), "inspection_id": visit["id"],
                                     "site_id": point["id"], "description": description,
                                     "owner": point["lead_cadre"] or self.name(), "raised_on": day, "due_on": due,
                                     "fixed_on": fixed, "fix_note": fix if fixed else None,
                                     "version": 2 if fixed else 1, "updated_at": _utc(fixed or day, 4),
                                     "updated_by": recorder})
                    self.audit_rows.append((at, recorder, "insert", "finding", findings[-1]["id"], None,
                                            _j({"description": description, "due_on": due, "site_id": point["id"]}), None))
                    if fixed:
                        self.audit_rows.append((_utc(fixed, 4), recorder, "close", "finding", findings[-1]["id"],
                                                _j({"fix_note": None, "fixed_on": None}),
                                                _j({"fix_note": fix, "fixed_on": fixed}), None))
                visits.append(visit)
                self.audit_rows.append((at, recorder, "insert", "inspection", visit["id"], None,
                                        _j({"day": day, "site_id": point["id"], **{c: visit[c] for c in CHECKS}}), None))
                day += dt.timedelta(days=rng.choice((2, 3, 3, 4)))
        self.insert(Inspection, visits)
        self.insert(Finding, findings)

    def scope_grid_clerks(self) -> None:
        """bench_clerk1..8 each write for their own GRID road checkpoints (site scopes)."""
        from data_access.models import UserScope

        roads = [site_id for site_id, _ in self.road_checkpoints()]
        first = self.next_id("user_scope")
        pairs = [(self.user_ids[f"bench_clerk{k}"], site_id)
                 for k in range(1, CLERKS + 1) for site_id in roads[(k - 1) * GRID:k * GRID]]
        self.insert(UserScope, [{"id": first + i, "user_id": user_id, "zone_id": None, "site_id": site_id}
                                for i, (user_id, site_id) in enumerate(pairs)])

    # -- people and the duty roster (issue 16) --

    def add_roster(self) -> None:
        """A duty team per work zone, six people per road checkpoint (two places on each of three shifts, each
        person always on the same one), the head counts, and 180 days of assignments to ROSTER_END; about one
        point-shift in 200 is one short."""
        from data_access import personal
        from data_access.models import DutyAssignment, DutyPost, DutyShift, OrgUnit, Person

        rng = self.rng
        shifts = self.conn.execute(sa.select(DutyShift.id).where(DutyShift.active).order_by(DutyShift.start_minute)) \
            .scalars().all()
        points = self.road_checkpoints()[:self.sizes.checkpoints]
        stamp = _utc(FIRST_DAY, 0, 1)
        first_unit = self.next_id("org_unit")
        units = [{"id": first_unit + k, "code": f"BENCH-{code}", "name": f"{code}卡口值守队", "kind": "zone_staff",
                  "zone_id": zone_id, "site_id": None, "active": True, "version": 1, "updated_at": stamp,
                  "updated_by": "bench"} for k, (zone_id, code) in enumerate(self.zones.items())]
        self.insert(OrgUnit, units)
        unit_of = {u["zone_id"]: u["id"] for u in units}
        first_person = self.next_id("person")
        people, team = [], {}
        for site_id, zone_id in points:
            for s in range(len(shifts)):
                for place in range(ROSTER_PLACES):
                    phone = f"171{first_person + len(people):08d}"
                    team[(site_id, s, place)] = first_person + len(people)
                    people.append({"id": first_person + len(people), "name": self.name(), "unit_id": unit_of[zone_id],
                                   "zone_id": zone_id, "title": "值守人员", "phone_cipher": personal.encrypt(phone),
                                   "phone_hash": personal.lookup_hash(phone), "phone_masked": personal.mask_phone(phone),
                                   "status": "active", "note": None, "version": 1, "updated_at": stamp,
                                   "updated_by": "bench"})
        self.insert(Person, people)
        have_posts = set(self.conn.execute(sa.select(DutyPost.site_id, DutyPost.shift_id)).all())
        first_post = self.next_id("duty_post")
        posts = [(site_id, shift_id) for site_id, _ in points for shift_id in shifts
                 if (site_id, shift_id) not in have_posts]
        self.insert(DutyPost, [{"id": first_post + k, "site_id": site_id, "shift_id": shift_id,
                                "required": ROSTER_PLACES, "version": 1, "updated_at": stamp, "updated_by": "bench"}
                               for k, (site_id, shift_id) in enumerate(posts)])
        # The assignments in one INSERT ... SELECT (a million rows made in the database, not sent one by one:
        # 26 us a row as an executemany on SQLite): the rota's places x the days, less the cells the demo's own
        # points have already and a place left empty in about one point-shift in 200 (a fixed arithmetic
        # pattern, the same on both databases).
        meta = sa.MetaData()
        places = sa.Table("bench_roster_place", meta, sa.Column("site_id", sa.Integer), sa.Column("shift_id", sa.Integer),
                          sa.Column("place", sa.Integer), sa.Column("person_id", sa.Integer), prefixes=["TEMPORARY"])
        when = sa.Table("bench_roster_day", meta, sa.Column("day", sa.Date), sa.Column("n", sa.Integer),
                        sa.Column("planned", sa.DateTime(timezone=True)), prefixes=["TEMPORARY"])
        meta.create_all(self.conn)
        self.conn.execute(sa.insert(places), [{"site_id": site_id, "shift_id": shifts[s], "place": place,
                                                "person_id": person_id} for (site_id, s, place), person_id in team.items()])
        days = [ROSTER_END - dt.timedelta(days=k) for k in range(DAYS - 1, -1, -1)]
        self.conn.execute(sa.insert(when), [{"day": day, "n": k, "planned": _utc(day - dt.timedelta(days=day.weekday() + 2), 2)}
                                            for k, day in enumerate(days)])
        A = DutyAssignment.__table__
        already = sa.select(A.c.id).where(A.c.site_id == places.c.site_id, A.c.day == when.c.day,
                                          A.c.shift_id == places.c.shift_id).exists()
        short = (places.c.site_id * 7919 + when.c.n * 104729 + places.c.shift_id * 31) % round(1 / ROSTER_SHORT) == 0
        rows = sa.select(places.c.site_id, when.c.day, places.c.shift_id, places.c.person_id, sa.false(),
                         sa.literal("bench"), when.c.planned) \
            .select_from(places.join(when, sa.true())) \
            .where(~already, ~sa.and_(places.c.place == ROSTER_PLACES - 1, short)) \
            .order_by(when.c.day, places.c.shift_id, places.c.site_id, places.c.place)
        # PostgreSQL checks each row's three foreign keys by a trigger (~30 us a row): dropped for the load and
        # added back, which checks every row at once (as pg_restore does)
        keys = list(A.foreign_key_constraints) if self.pg else []
        for key in keys:
            self.conn.execute(sa.schema.DropConstraint(key))
        self.conn.execute(A.insert().from_select(
            ["site_id", "day", "shift_id", "person_id", "absent", "recorded_by", "recorded_at"], rows))
        for key in keys:
            self.conn.execute(sa.schema.AddConstraint(key))
        meta.drop_all(self.conn)

    # -- compound gate registrations (issue 17) --

    def add_gate(self) -> None:
        """GATE_REGISTRATIONS passes at the city's compounds over the GATE_DAYS before the demo's now, in one
        INSERT ... SELECT of people x their moments, then the kept tables rebuilt from them (gate.rebuild_kept)."""
        from data_access import demo, gate, personal
        from data_access.models import GateRegistration, Site

        rng = self.rng
        target = round(GATE_REGISTRATIONS * self.sizes.audit / 1_200_000)
        compounds = self.conn.execute(sa.select(Site.id).where(Site.kind == "compound").order_by(Site.id)).scalars().all()
        people = math.ceil(target / GATE_PASSES)
        tokens = [personal.encrypt(f"bench-{k}") for k in range(GATE_CIPHERS)]
        meta = sa.MetaData()
        person = sa.Table("bench_gate_person", meta, sa.Column("k", sa.Integer), sa.Column("site_id", sa.Integer),
                          sa.Column("other_site_id", sa.Integer), sa.Column("timing", sa.Integer),
                          *(sa.Column(c, sa.String(200)) for c in (
                              "doc_type", "doc_cipher", "doc_hash", "doc_masked", "name", "building", "phone_cipher",
                              "phone_hash", "phone_masked", "origin")),
                          sa.Column("outside", sa.Boolean), prefixes=["TEMPORARY"])
        moment = sa.Table("bench_gate_moment", meta, sa.Column("timing", sa.Integer), sa.Column("n", sa.Integer),
                          sa.Column("direction", sa.String(3)), sa.Column("at", sa.DateTime(timezone=True)),
                          sa.Column("temperature", sa.Numeric(3, 1)), prefixes=["TEMPORARY"])
        meta.create_all(self.conn)
        rows = []
        for k in range(people):
            number = demo.resident_id(f"99{k // 1000 % 10000:04d}", dt.date(1950, 1, 1) + dt.timedelta(days=k % 20_000),
                                      k % 1000)
            phone = f"172{k:08d}" if k % 20 else None
            outside = k % 100 == 7
            rows.append({"k": k, "site_id": compounds[k % len(compounds)],
                         "other_site_id": compounds[(k + 1) % len(compounds)] if k % 100 == 3 else None,
                         "timing": k % GATE_TIMINGS, "doc_type": "resident_id", "doc_cipher": tokens[k % GATE_CIPHERS],
                         "doc_hash": personal.lookup_hash(number), "doc_masked": personal.mask_id(number),
                         "name": self.name(), "building": f"{k % 12 + 1}号楼{k % 3 + 1}单元{k % 6 + 1}0{k % 2 + 1}",
                         "phone_cipher": tokens[(k + 1) % GATE_CIPHERS] if phone else None,
                         "phone_hash": personal.lookup_hash(phone) if phone else None,
                         "phone_masked": personal.mask_phone(phone), "origin": demo.ORIGINS[k % len(demo.ORIGINS)] if outside else None,
                         "outside": outside})
        self.conn.execute(sa.insert(person), rows)
        now = dt.datetime.fromisoformat(demo.DEMO_NOW)
        first = (now - dt.timedelta(days=GATE_DAYS - 1)).replace(hour=0, minute=0)
        # outings start in the morning, around noon or in the afternoon (one at a time: back within 3h10m)
        # (and early this morning, before the demo's now: the gate pages' "today")
        starts = [day * 1440 + hour * 60 for day in range(GATE_DAYS - 1) for hour in (7, 11, 15)] + [
            (GATE_DAYS - 1) * 1440 + 6 * 60]
        moments = []
        for timing in range(GATE_TIMINGS):
            outs = sorted(rng.sample(starts, GATE_PASSES // 2))
            for i, start in enumerate(outs):
                out = first + dt.timedelta(minutes=start + rng.randint(0, 60))
                back = min(out + dt.timedelta(minutes=rng.randint(25, 170)), now - dt.timedelta(minutes=1))
                fever = timing == 0 and i == 5
                moments += [{"timing": timing, "n": 2 * i, "direction": "out", "at": out.astimezone(UTC), "temperature": None},
                            {"timing": timing, "n": 2 * i + 1, "direction": "in", "at": back.astimezone(UTC),
                             "temperature": 37.6 if fever else 36.1 + rng.randint(0, 7) / 10}]
        self.conn.execute(sa.insert(moment), moments)
        visit = (moment.c.n % 12).in_((2, 3))  # one outing in six of a person with a second compound is there
        first_in = moment.c.n == 1
        select = sa.select(
            sa.case((sa.and_(person.c.other_site_id.is_not(None), visit), person.c.other_site_id), else_=person.c.site_id),
            moment.c.direction, moment.c.at, person.c.doc_type, person.c.doc_cipher, person.c.doc_hash,
            person.c.doc_masked, person.c.name, person.c.building, person.c.phone_cipher, person.c.phone_hash,
            person.c.phone_masked, sa.and_(person.c.outside, first_in),
            sa.case((sa.and_(person.c.outside, first_in), person.c.origin), else_=None),
            moment.c.temperature, sa.literal("bench"), moment.c.at) \
            .select_from(person.join(moment, moment.c.timing == person.c.timing)) \
            .order_by(moment.c.at, person.c.k).limit(target)
        R = GateRegistration.__table__
        keys = list(R.foreign_key_constraints) if self.pg else []
        for key in keys:
            self.conn.execute(sa.schema.DropConstraint(key))
        for index in R.indexes:  # built once after the load, not kept up row by row
            index.drop(self.conn)
        self.conn.execute(R.insert().from_select(
            ["site_id", "direction", "at", "doc_type", "doc_cipher", "doc_hash", "doc_masked", "name", "building",
             "phone_cipher", "phone_hash", "phone_masked", "from_outside", "origin", "temperature", "recorded_by",
             "recorded_at"], select))
        for index in R.indexes:
            index.create(self.conn)
        for key in keys:
            self.conn.execute(sa.schema.AddConstraint(key))
        meta.drop_all(self.conn)
        # gate_hour_count, gate_day_count and gate_person_site anew from every registration, by gate.py's own
        # rebuilds (what every write keeps: local day and hour; each person's first and last pass at each compound)
        started = time.perf_counter()
        kept = gate.rebuild_kept(self.conn)
        self.log(f"    {', '.join(f'{table} ({n:,} rows)' for table, n in kept.items())} rebuilt in "
                 f"{time.perf_counter() - started:.1f} s")

    # -- the audit log --

    def add_audit(self) -> None:
        """The rows above as written, then clerks' same-day updates and sign-ins until sizes.audit."""
        from data_access.models import AuditLog

        rng = self.rng
        rows = self.audit_rows
        for username, user_id in self.user_ids.items():
            rows.append((_utc(FIRST_DAY, 0, 5), "admin", "insert", "app_user", user_id, None,
                         _j({"role": "clerk", "username": username, "zones": []}), None))
        rest = max(0, self.sizes.audit - len(rows))
        updates = round(rest * 0.6)
        traffic = self.traffic_rows
        keys = ("abnormal_temperature", "persons", "persons_from_outside", "turned_back", "vehicles")
        for _ in range(updates):
            row = traffic[rng.randrange(len(traffic))]
            values = {k: row[k] for k in keys}
            before = {**values, "vehicles": max(0, values["vehicles"] - rng.randint(1, 9))}
            at = row["reported_at"] + dt.timedelta(minutes=rng.randint(5, 600))
            rows.append((at, row["updated_by"], "update", "checkpoint_day", row["id"], _j(before), _j(values), None))
        clerks = [(name, user_id) for name, user_id in self.user_ids.items() if name != TOGGLE_USER]
        span = DAYS * 24 * 60
        for _ in range(rest - updates):
            name, user_id = clerks[rng.randrange(len(clerks))]
            client = f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            outcome = "success" if rng.random() < 0.97 else "wrong_password"
            at = _utc(FIRST_DAY) + dt.timedelta(minutes=rng.randrange(span))
            rows.append((at, name, "sign_in", "sign_in", user_id, None,
                         _j({"client": client, "name": name, "outcome": outcome}), None))
        rows.sort(key=lambda r: r[0])
        first = self.next_id("audit_log")
        columns = ("at", "username", "action", "table_name", "row_id", "before", "after", "reason")
        for start in range(0, len(rows), 100_000):
            chunk = rows[start:start + 100_000]
            self.insert(AuditLog, [{"id": first + start + i, **dict(zip(columns, r))} for i, r in enumerate(chunk)])
        self.audit_rows = []

    # -- the end --

    def finish(self) -> None:
        """The season starts on the first day of reports; PostgreSQL's id sequences move past the given ids."""
        from data_access.models import Setting
        from data_access.territory import SEASON_START_KEY

        self.conn.execute(sa.update(Setting).where(Setting.key == SEASON_START_KEY).values(value=FIRST_DAY.isoformat()))
        self.conn.execute(sa.insert(Setting), [{"key": "bench_city_builder",
                                                "value": f"v{BUILDER_VERSION} {self.sizes}"}])
        if self.pg:
            tables = self.conn.execute(sa.text(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'id' "
                "AND pg_get_serial_sequence(table_name, 'id') IS NOT NULL")).scalars().all()
            for table in tables:
                self.conn.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"))
