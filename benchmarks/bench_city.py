"""Issue 14: every page and the wall at city scale, also right after a write; demo and city side by side.

    .venv/bin/python benchmarks/bench_city.py [--db sqlite|postgresql|both] [--quick] [--scale 1.0]
                                              [--reuse] [--cache DIR] [--json FILE] [--pages traffic,wall]
                                              [--no-browser]

Builds the city data set (benchmarks/city.py: 1,000 checkpoints x 180 days, 10,000 enterprises, 50,000
shops, 2,000 areas with 240-vertex boundaries, ~22,700 inspections, 1.2 million audit rows) on a copy of
the demo database, on SQLite (files in a temporary folder) and PostgreSQL (databases bench_city and
bench_city_demo, dropped and recreated), and prints how long each build took. The default builds fresh;
`--reuse` keeps a pristine build in --cache (a file; a template database on PostgreSQL) keyed by the
builder's version and the scale, and copies it for the run.

Then, per database, demo and city in the same run:

1. Every page of app.py's PAGES and the wall, for all zones and for one zone (?zone=Z1; the wall with a
   display key of zone Z1), under AppTest (signed in as supervisor; admin for the accounts page):
   cold (st.cache_data emptied and the map's prepared boundaries forgotten, then the page's first run;
   median of 3), warm (median of 7 reruns, nothing changed), the rerun right after a save of ANOTHER line
   of work and right after a save of the page's OWN line (median of 3, each after a real save through
   the data_access write functions, as a clerk would: a 50-row checkpoint grid for the last day, a shop's
   staff, a reopening step, a survey round, an inspection, an account's role).
   Lines: traffic pages <-> traffic; reopening pages <-> reopening; shops pages <-> shops; coverage map and
   survey entry <-> survey; inspections and inspection entry <-> inspections; the accounts page <->
   accounts; the roster <-> duty (a roster cell of a road checkpoint emptied and filled again); the people
   page <-> people (a person's title); the gate pages <-> gate (one pass registered at a compound's gate). The completeness page, the wall and the audit log show several lines: their "own" line is
   traffic (the busiest). The "other" line is shops (traffic for the shops pages and the accounts page).
2. First view after a server start: a fresh Python process imports streamlit's AppTest and the data
   layer (as a started server has Streamlit loaded) and signs in, then opens the page at its address (as
   a browser opening /coverage-map); only that run is timed: the app's own imports, the schema check, the
   empty caches and the page (all zones). The process first starts what serve.py starts with the server
   (the imports warmed in the background); "first view" opens the page at once, while that still runs
   (the goal is checked on it), "settled" 3 s later, as a person arriving after the server came up.
3. On SQLite, the wall in Chromium (`streamlit run app.py` on a free loopback port, /wall?key=demo-wall,
   refreshing every 4 s): the bytes the browser receives per refresh, counted from the websocket frames
   the DevTools protocol reports (Network.webSocketFrameReceived, each frame's payload length; refreshes
   are delimited by the script_finished ForwardMsg, parsed from the frames), for the first refresh after
   a save and for a refresh with nothing changed. The browser rather than AppTest because that is what
   a wall screen really receives: a fragment rerun, with whatever Streamlit sends and skips.
4. The coverage map's first draw in Chromium on the SQLite database: from the click on its menu entry
   to a painted canvas (or SVG) holding the map, first after the server started and again warm.
5. The 50-row grid save: 8 clerks (threads, as the sessions of one app server are) each saving their own
   50 checkpoints at once through data_access.traffic_entry.save_checkpoint_days; median and max per
   save; and one clerk alone.
6. Peak memory (VmHWM) of a fresh process that opens every page once plus the wall, demo vs city.

Prints the tables, a goals section (issue 14's goals, each checked) and a FINAL line naming the worst
page against each goal; --json writes everything for the README table. --quick cuts repetitions.
"""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import city  # noqa: E402

APP = str(ROOT / "app.py")
LAST_DAY = city.LAST_DAY
ONE_ZONE = "Z1"
WALL = "pages/wall.py"
DEMO_WALL_KEY = "demo-wall"

# page file -> its own line of work (the line whose save should refresh it)
OWN_LINE = {"traffic": "traffic", "traffic_entry": "traffic", "reopening": "reopening", "reopening_entry": "reopening",
            "shops": "shops", "shop_entry": "shops", "coverage_map": "survey", "survey_entry": "survey",
            "inspections": "inspections", "inspection_entry": "inspections", "admin": "accounts",
            "completeness": "traffic", "wall": "traffic", "audit_log": "traffic",
            "supplies": "logistics", "meal_entry": "logistics", "donations": "logistics",
            "roster": "duty", "people": "people", "gate": "gate", "gate_entry": "gate", "report": "traffic"}
SHOWS_SEVERAL_LINES = ("completeness", "wall", "audit_log", "report")

GOALS = {"warm": 0.1, "warm_ratio": 1.5, "other": 0.15, "own": 0.3, "first_view": 1.5, "wall_refresh": 0.2,
         "wall_kib": 100, "map_draw": 2.0, "grid_save": 0.05, "memory_ratio": 1.3}


def other_line(own: str) -> str:
    return "traffic" if own in ("shops", "accounts") else "shops"


def app_pages() -> list[tuple[str, bool]]:
    """(page file, admin only) for every entry of app.py's PAGES, in its order."""
    return [(path, admin_only) for path, _, admin_only in _pages_of_app()]


def _pages_of_app() -> list[tuple[str, str, bool]]:
    """(file, url path, admin only) from app.py's PAGES, read from the source (importing app.py runs it)."""
    import ast

    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    listing = next(node.value for node in tree.body if isinstance(node, ast.Assign)
                   and any(isinstance(t, ast.Name) and t.id == "PAGES" for t in node.targets))
    pages = []
    for entry in listing.elts:
        _, path, _, _, url, roles = entry.elts
        admin_only = isinstance(roles, ast.Set) and [r.value for r in roles.elts] == ["admin"]
        pages.append((path.value, url.value, admin_only))
    return pages


def stem(page: str) -> str:
    return Path(page).stem


def median(values):
    return statistics.median(values) if values else None


# ---- saves, as clerks make them -------------------------------------------------------------------

class Saver:
    """One real save per call for each line of work, through the data_access write functions, each
    changing something (a save that changes nothing would not be a write). What a form would have
    loaded first (the grid, the row's version) is read outside the timing; save() returns the save's
    own seconds."""

    def __init__(self, url: str):
        self.url = url
        self.turn = 0
        self.times: dict[str, list[float]] = {}

    def save(self, line: str) -> float:
        self.turn += 1
        seconds = getattr(self, line)()
        self.times.setdefault(line, []).append(seconds)
        return seconds

    def _query(self, sql: str, **params):
        import sqlalchemy as sa

        from data_access import db

        with db.read_connection() as conn:
            return conn.execute(sa.text(sql), params).all()

    def traffic(self) -> float:
        """A 50-row grid for the last day, as the supervisor's grid loads it."""
        from data_access import auth, traffic_entry

        rows = grid_rows(auth.reload_actor("supervisor"), bump=self.turn)
        return timed(lambda: traffic_entry.save_checkpoint_days("supervisor", LAST_DAY, rows, today=LAST_DAY))

    def shops(self) -> float:
        from data_access import shops

        shop_id, version, staff = self._query("SELECT id, version, staff FROM shop WHERE is_open ORDER BY id LIMIT 1")[0]
        row = {"shop_id": shop_id, "version": version, "is_open": True, "staff": staff + 1 if staff < 6 else 1,
               "staff_from_outside": 0}
        return timed(lambda: shops.save_shops("supervisor", LAST_DAY, [row], today=LAST_DAY))

    def reopening(self) -> float:
        from data_access import reopening

        enterprise_id, version = self._query(
            "SELECT id, version FROM enterprise WHERE status = 'not_applied' ORDER BY id LIMIT 1")[0]
        return timed(lambda: reopening.record_step("supervisor", enterprise_id, "applied", LAST_DAY, version,
                                                   note="提交复工申请", today=LAST_DAY))

    def survey(self) -> float:
        from data_access import community

        areas = self._query("SELECT id FROM site WHERE kind IN ('village', 'compound') AND active ORDER BY id")
        site_id = areas[self.turn % len(areas)][0]
        values = {"households_known": 400, "households_reached": 380 + self.turn % 10, "people": 900,
                  "people_from_outside": 9, "unreachable": 8, "utility_checked": 200, "lit_at_night": 2}
        return timed(lambda: community.save_survey_round("supervisor", site_id, values, LAST_DAY, today=LAST_DAY))

    def inspections(self) -> float:
        from data_access import inspections

        points = self._query("SELECT id FROM site WHERE checkpoint_type = 'road' AND active ORDER BY id")
        site_id = points[self.turn % len(points)][0]
        checks = {c: True for c in city.CHECKS}
        return timed(lambda: inspections.record_inspection("supervisor", site_id, LAST_DAY, checks, "纪工委督查组",
                                                           remarks=f"督查第{self.turn}次", today=LAST_DAY))

    def logistics(self) -> float:
        """A supervisor receives, then issues, one unit of masks in the first zone (the stock stays as it was)."""
        from data_access import logistics

        item_id, zone_id = self._query("SELECT (SELECT id FROM supply_item WHERE code = 'masks'), "
                                       "(SELECT min(id) FROM work_zone)")[0]
        row = {"item_id": item_id, "zone_id": zone_id, "day": LAST_DAY, "quantity": 1}
        if self.turn % 2:
            return timed(lambda: logistics.receive("supervisor", {**row, "kind": "purchase"}, today=LAST_DAY))
        return timed(lambda: logistics.issue("supervisor", {**row, "recipient": "基准测试"}, today=LAST_DAY))

    def duty(self) -> float:
        """One roster cell (a road checkpoint's 8-16 shift on the last day) saved one short, then whole again,
        as the week grid sends it (the people loaded with the form beside the people chosen)."""
        from data_access import roster

        # a cell with people in it: the lowest road checkpoint's may be one of the data set's gaps, and a save
        # of an empty cell as empty changes nothing (no version moves, nothing to measure)
        site_id, shift_id = self._query(
            "SELECT min(a.site_id), a.shift_id FROM duty_assignment a JOIN duty_shift s ON s.id = a.shift_id "
            "WHERE a.day = :d AND s.code = 'day' GROUP BY a.shift_id", d=LAST_DAY)[0]
        have = sorted(p for (p,) in self._query(
            "SELECT person_id FROM duty_assignment WHERE site_id = :s AND day = :d AND shift_id = :h",
            s=site_id, d=LAST_DAY, h=shift_id))
        if not hasattr(self, "cell_people"):
            self.cell_people = have
        chosen = self.cell_people if len(have) < len(self.cell_people) else have[:-1]
        cell = {"day": LAST_DAY, "shift_id": shift_id, "person_ids": chosen, "loaded_person_ids": have}
        saved = {}
        seconds = timed(lambda: saved.update(roster.save_week("supervisor", site_id, [cell])))
        if not saved.get("changed"):  # a save that moves no version would measure a warm rerun instead
            raise RuntimeError(f"the roster save at site {site_id} changed nothing")
        return seconds

    def people(self) -> float:
        """A person's title changed (and back, the next time), as the people page's form saves it."""
        from data_access import people

        person_id, name, unit_id, zone_id, title, status, version = self._query(
            "SELECT id, name, unit_id, zone_id, title, status, version FROM person ORDER BY id DESC LIMIT 1")[0]
        fields = {"name": name, "unit_id": unit_id, "zone_id": zone_id, "status": status,
                  "title": "值守组长" if title != "值守组长" else "值守人员"}
        return timed(lambda: people.save_person("supervisor", person_id, fields, version=version))

    def gate(self) -> float:
        """One pass registered at the first compound's gate (in, then out the next time), as the entry form
        saves it: the number encrypted, the hour's count added, audited."""
        from data_access import demo, gate

        (site_id,) = self._query("SELECT min(id) FROM site WHERE kind = 'compound'")[0]
        number = demo.resident_id("990000", dt.date(1970, 1, 1) + dt.timedelta(days=self.turn), self.turn % 1000)
        fields = {"direction": ("in", "out")[self.turn % 2], "at": None, "doc_type": "resident_id",
                  "doc_number": number, "name": "基准测试", "building": "1号楼1单元101", "phone": "17000000001",
                  "from_outside": False, "origin": None, "temperature": "36.5"}
        return timed(lambda: gate.register("supervisor", site_id, fields))

    def accounts(self) -> float:
        from data_access import auth

        role = ("supervisor", "viewer")[self.turn % 2]
        return timed(lambda: auth.set_role(city.TOGGLE_USER, role, by="admin"))


def grid_rows(actor, bump: int, limit: int = city.GRID) -> list[dict]:
    """The first `limit` rows of the actor's checkpoint grid for the last day, each figure changed."""
    import math

    from data_access import traffic_entry

    grid = traffic_entry.entry_grid(actor, LAST_DAY).head(limit)
    rows = []
    for record in grid.to_dict("records"):
        def value(name, default):
            v = record.get(name)
            return default if v is None or (isinstance(v, float) and math.isnan(v)) else int(v)

        version = record.get("version")
        vehicles = value("vehicles", 40) + 1 + bump % 3
        persons = max(value("persons", 80), vehicles)
        rows.append({"site_id": int(record["site_id"]),
                     "version": None if version is None or (isinstance(version, float) and math.isnan(version)) else int(version),
                     "vehicles": vehicles, "persons": persons,
                     "persons_from_outside": min(value("persons_from_outside", 3), persons),
                     "turned_back": min(value("turned_back", 1), persons),
                     "abnormal_temperature": min(value("abnormal_temperature", 0), persons)})
    return rows


# ---- AppTest timings ------------------------------------------------------------------------------

def use_database(url: str) -> None:
    from data_access import db

    os.environ["DATABASE_URL"] = url
    db.dispose_engines()


def clear_caches() -> None:
    import streamlit as st

    from data_access import geometry

    st.cache_data.clear()
    forget = getattr(geometry, "forget_boundaries", None)
    if forget:
        forget()


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def check(at, where: str, problems: list[str]) -> None:
    """An exception stops the run; an error box (the page's "unexpected error", the wall's "refresh
    failed") is noted: a page that failed is fast, and its time means nothing."""
    if at.exception:
        raise RuntimeError(f"{where}: {at.exception[0].value if at.exception else ''}")
    errors = [str(e.value)[:80] for e in at.error]
    if errors:
        problems.append(f"{where}: error box {errors[0]!r}")


def new_app(query: dict):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=600)
    for key, value in query.items():
        at.query_params[key] = value
    return at


def measure_view(url: str, page: str, admin: bool, zone: bool, saver: Saver, runs: dict, label: str) -> dict:
    """cold, warm, after another line's save, after its own line's save (seconds, medians), and the
    error boxes the page showed meanwhile."""
    from data_access import auth

    use_database(url)
    name = stem(page)
    own = OWN_LINE[name]
    other = other_line(own)
    where = f"{label} {name}{' (one zone)' if zone else ''}"
    problems: list[str] = []
    colds = []
    if page == WALL:
        query = {"key": city.ONE_ZONE_WALL_KEY if zone else DEMO_WALL_KEY}
        for _ in range(runs["cold"]):
            at = new_app(query)
            clear_caches()
            colds.append(timed(at.run))
            check(at, where, problems)
    else:
        at = new_app({"zone": ONE_ZONE} if zone else {})
        at.session_state["actor"] = auth.authenticate("admin" if admin else "supervisor", "demo")
        at.run()
        for _ in range(runs["cold"]):
            clear_caches()
            colds.append(timed(lambda: at.switch_page(page).run()))
            check(at, where, problems)
    warms = [timed(at.run) for _ in range(runs["warm"])]
    after = {}
    for kind, line in (("other", other), ("own", own)):
        times = []
        for _ in range(runs["save"]):
            saver.save(line)
            times.append(timed(at.run))
            check(at, f"{where} after a {line} save", problems)
        after[kind] = median(times)
    return {"cold": median(colds), "warm": median(warms), "other": after["other"], "own": after["own"],
            "own_line": own, "other_line": other, "problems": problems}


# ---- children: a fresh process per measurement ------------------------------------------------------

def child(argv: list[str]) -> None:
    """--child first-view URL PAGE USER | --child memory URL: prints one JSON line."""
    kind, url = argv[0], argv[1]
    os.environ["DATABASE_URL"] = url
    from streamlit.testing.v1 import AppTest
    from streamlit.util import calc_hash

    from data_access import auth

    if kind == "first-view":
        page, user, settle = argv[2], argv[3], float(argv[4])
        # what serve.py's lifespan does when the server starts; the page is opened at once (settle 0: that
        # work still running) or `settle` seconds later (a person arriving after the server came up)
        from ui.startup import start_warm_imports

        start_warm_imports()
        time.sleep(settle)
        if page == WALL:
            at = AppTest.from_file(APP, default_timeout=600)
            at.query_params["key"] = DEMO_WALL_KEY
        else:
            actor = auth.authenticate(user, "demo")
            at = AppTest.from_file(APP, default_timeout=600)
            at.session_state["actor"] = actor
            at._page_hash = calc_hash(url_path(page))  # the browser opened /<url path>
        seconds = timed(at.run)
        print(json.dumps({"seconds": seconds, "exception": bool(at.exception)}))
        return
    # memory: every page once, then the wall
    before = vm_hwm_kib()
    at = AppTest.from_file(APP, default_timeout=600)
    at.session_state["actor"] = auth.authenticate("supervisor", "demo")
    at.run()
    admin = AppTest.from_file(APP, default_timeout=600)
    admin.session_state["actor"] = auth.authenticate("admin", "demo")
    admin.run()
    for page, admin_only in app_pages():
        (admin if admin_only else at).switch_page(page).run()
    wall = AppTest.from_file(APP, default_timeout=600)
    wall.query_params["key"] = DEMO_WALL_KEY
    wall.run()
    print(json.dumps({"peak_kib": vm_hwm_kib(), "after_imports_kib": before}))


def url_path(page: str) -> str:
    return next(url for path, url, _ in _pages_of_app() if path == page)


def vm_hwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_child(*args: str) -> dict:
    result = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                            cwd=ROOT, env={**os.environ, "DATABASE_URL": args[1]}, timeout=900)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode or not lines:
        raise RuntimeError(f"child {args[:1]} failed: {result.stderr[-2000:]}")
    return json.loads(lines[-1])


SETTLED = 3.0  # seconds between the server start and the first view, for the settled figure


def first_view(url: str, page: str, admin: bool, settle: float = 0.0) -> float:
    return run_child("first-view", url, page, "admin" if admin else "supervisor", str(settle))["seconds"]


def peak_memory(url: str) -> dict:
    return run_child("memory", url)


# ---- concurrent grid saves --------------------------------------------------------------------------

def grid_saves(url: str, rounds: int) -> dict:
    """One clerk alone, then 8 clerks at once (threads), each saving its own 50 checkpoints."""
    from data_access import auth, traffic_entry
    from data_access.errors import DataError

    use_database(url)
    clerks = [f"bench_clerk{k}" for k in range(1, city.CLERKS + 1)]
    actors = {name: auth.reload_actor(name) for name in clerks}
    failures: list[str] = []

    def save(name: str, rows: list[dict], out: list) -> None:
        try:
            out.append(timed(lambda: traffic_entry.save_checkpoint_days(name, LAST_DAY, rows, today=LAST_DAY)))
        except DataError as error:  # SaveFailed (busy), ConflictError...
            failures.append(f"{name}: {type(error).__name__} {getattr(error, 'kind', '')}")

    alone: list[float] = []
    for turn in range(rounds):
        save(clerks[0], grid_rows(actors[clerks[0]], bump=turn), alone)
    together: list[float] = []
    for turn in range(rounds):
        rows = {name: grid_rows(actors[name], bump=turn + 1) for name in clerks}
        barrier = threading.Barrier(len(clerks))

        def clerk(name):
            barrier.wait()
            save(name, rows[name], together)

        threads = [threading.Thread(target=clerk, args=(name,)) for name in clerks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    rows_each = len(grid_rows(actors[clerks[0]], bump=0))
    return {"rows": rows_each, "alone_median": median(alone), "alone_max": max(alone, default=None),
            "together_median": median(together), "together_max": max(together, default=None),
            "saves": len(together), "failures": failures}


# ---- Chromium -----------------------------------------------------------------------------------

MAP = ".st-key-coverage_map_chart [data-testid='stVegaLiteChart']"


def map_draw(url: str, log_folder: Path) -> dict:
    """Seconds from the click on the map's menu entry to the map painted: first after the server
    started, then again (warm)."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, Server, go, sign_in, wait_ready
    from tests.browser.test_map_browser import MIN_SHAPES, PAINTED

    painted = (f"() => {{ const root = document.querySelector(`{MAP}`); if (!root) return false;"
               f" const d = ({PAINTED})(root); return !!d && d.painted > (d.kind === 'canvas' ? {MIN_SHAPES['canvas']}"
               f" : {MIN_SHAPES['svg']}); }}")
    server = Server(url, log_folder / f"map-{abs(hash(url))}.log")
    times = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
            sign_in(page, server.url, "supervisor")
            for _ in range(2):
                link = page.locator("[data-testid='stSidebarNavLink']", has_text="摸排覆盖图").first
                started = time.perf_counter()
                link.click()
                page.wait_for_function(painted, timeout=120_000, polling=25)
                times.append(time.perf_counter() - started)
                wait_ready(page, timeout=120_000)
                go(page, "卡口通行")
            browser.close()
    finally:
        server.stop()
    return {"first": times[0], "warm": times[1]}


def wall_bytes(url: str, log_folder: Path, refresh: float = 4.0) -> dict:
    """Bytes the wall's browser receives for one refresh right after a save and for one with nothing
    changed, and how long those refreshes took in the browser (new_session to script_finished).

    A refresh is the frames from a new_session ForwardMsg to its script_finished. Frame times are
    DevTools' timestamps (the monotonic clock, as time.monotonic()), so "the first refresh that began
    after the save committed" is exact even though Playwright hands the events over late."""
    from playwright.sync_api import sync_playwright
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from tests.browser.conftest import CHROMIUM, Server, wait_ready

    server = Server(url, log_folder / f"wall-{abs(hash(url))}.log", env={"WALL_REFRESH_SECONDS": str(refresh)})
    frames: list[tuple[float, int, str]] = []  # (monotonic time, bytes, ForwardMsg type)

    def received(event):
        response = event["response"]
        data = response["payloadData"]
        kind, size = "text", len(data.encode("utf-8"))
        if response.get("opcode") == 2:
            raw = base64.b64decode(data)
            size, message = len(raw), ForwardMsg()
            try:
                message.ParseFromString(raw)
                kind = message.WhichOneof("type") or "?"
            except Exception:
                kind = "?"
        frames.append((event["timestamp"], size, kind))

    def refresh_after(page, moment: float, timeout: float = 120) -> list[tuple[float, int, str]]:
        """The first complete refresh whose new_session came after `moment` (time.monotonic())."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            page.wait_for_timeout(50)  # Playwright's sync API delivers events only while it is called
            group = None
            for frame in frames:
                if frame[0] <= moment:
                    continue
                if group is None and frame[2] == "new_session":
                    group = []
                if group is not None:
                    group.append(frame)
                    if frame[2] == "script_finished":
                        return group
        raise RuntimeError("the wall did not refresh")

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
            cdp = page.context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.on("Network.webSocketFrameReceived", received)
            page.goto(f"{server.url}/wall?key={DEMO_WALL_KEY}")
            wait_ready(page, timeout=120_000)
            page.wait_for_selector("[data-testid='stMetric']", timeout=120_000)
            loaded = sum(f[1] for f in frames)
            steady = refresh_after(page, time.monotonic())  # nothing changed
            use_database(url)
            Saver(url).save("traffic")
            after = refresh_after(page, time.monotonic())  # the first refresh begun after the commit
            browser.close()
    finally:
        server.stop()
    span = lambda group: group[-1][0] - group[0][0]  # noqa: E731
    return {"first_load_bytes": loaded, "unchanged_bytes": sum(f[1] for f in steady),
            "after_save_bytes": sum(f[1] for f in after), "unchanged_seconds": span(steady),
            "after_save_seconds": span(after), "refresh_interval": refresh}


# ---- the run --------------------------------------------------------------------------------------

def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), None)
    import sqlite3

    import streamlit

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mib": memory, "python": platform.python_version(),
            "streamlit": streamlit.__version__, "sqlite": sqlite3.sqlite_version, "os": platform.platform(),
            "date": dt.datetime.now().isoformat(timespec="minutes"),
            "load_average": " ".join(f"{x:.1f}" for x in os.getloadavg()), "commit": git_state()}


def git_state() -> str:
    """The commit measured, and whether the app's files differed from it (others edit while we run)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "app.py", "data_access", "ui", "pages"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"
    return head + (f" (+{len(dirty.splitlines())} changed files)" if dirty else "")


def postgres_version() -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(f"{city.PG_ADMIN_URL}/postgres")
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SHOW server_version")).scalar_one()
    finally:
        engine.dispose()


def run_database(kind: str, args, folder: Path, runs: dict, pages: list[tuple[str, bool]], report: dict) -> None:
    print(f"\n=== {kind} ===", flush=True)
    started = time.perf_counter()
    demo_url = city.build_demo(kind, folder)
    print(f"demo database in {time.perf_counter() - started:.1f} s", flush=True)
    city_url, seconds, counts = city.build_city(kind, folder, args.scale, cache=args.cache if args.reuse else None,
                                                log=lambda text: print(text, flush=True))
    built = f"built in {seconds:.1f} s" if seconds is not None else "reused from the cache (copied)"
    print(f"city database {built}: " + ", ".join(f"{n:,} {t}" for t, n in counts.items()), flush=True)
    result = report["databases"][kind] = {"build_seconds": seconds, "counts": counts, "views": [], "problems": []}
    savers = {"demo": Saver(demo_url), "city": Saver(city_url)}
    urls = {"demo": demo_url, "city": city_url}
    for page, admin in pages:
        for zone in (False, True):
            row = {"page": stem(page), "zone": ONE_ZONE if zone else "all"}
            for label in ("demo", "city"):
                row[label] = measure_view(urls[label], page, admin, zone, savers[label], runs, label)
                result["problems"] += row[label]["problems"]
            if not zone and not args.no_first_view:
                for label in ("demo", "city"):
                    row[label]["first_view"] = first_view(urls[label], page, admin)
                    row[label]["first_view_settled"] = first_view(urls[label], page, admin, SETTLED)
            result["views"].append(row)
            print(view_line(row), flush=True)
    result["saves"] = {label: {line: median(times) for line, times in saver.times.items()}
                       for label, saver in savers.items()}
    print("grid saves (8 clerks at once) ...", flush=True)
    result["grid"] = grid_saves(city_url, runs["grid"])
    print("peak memory ...", flush=True)
    result["memory"] = {label: peak_memory(urls[label]) for label in ("demo", "city")}
    if kind == "sqlite" and not args.no_browser:
        print("Chromium: the wall's bytes per refresh, the map's first draw ...", flush=True)
        result["wall_browser"] = {label: wall_bytes(urls[label], folder) for label in ("demo", "city")}
        result["map_draw"] = {label: map_draw(urls[label], folder) for label in ("demo", "city")}
    from data_access import db

    db.dispose_engines()


# ---- printing -------------------------------------------------------------------------------------

def fmt(value, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def ratio(a, b) -> str:
    return "—" if not a or b is None else f"{b / a:.2f}"


HEADER = (f"{'page':18} {'zone':4} | {'cold demo':>9} {'city':>6} | {'warm demo':>9} {'city':>6} {'x':>5} | "
          f"{'other demo':>10} {'city':>6} | {'own demo':>8} {'city':>6} | {'1st view demo':>13} {'city':>6} | "
          f"{'settled demo':>12} {'city':>6}")


def view_line(row: dict) -> str:
    d, c = row["demo"], row["city"]
    failed = "!" if d.get("problems") or c.get("problems") else ""
    return (f"{row['page'] + failed:18} {row['zone']:4} | {fmt(d['cold']):>9} {fmt(c['cold']):>6} | {fmt(d['warm']):>9} "
            f"{fmt(c['warm']):>6} {ratio(d['warm'], c['warm']):>5} | {fmt(d['other']):>10} {fmt(c['other']):>6} | "
            f"{fmt(d['own']):>8} {fmt(c['own']):>6} | {fmt(d.get('first_view')):>13} {fmt(c.get('first_view')):>6} | "
            f"{fmt(d.get('first_view_settled')):>12} {fmt(c.get('first_view_settled')):>6}")


def print_report(report: dict) -> None:
    for kind, result in report["databases"].items():
        print(f"\n## {kind}: AppTest script seconds (medians), demo vs city")
        build = result["build_seconds"]
        print(f"city build: {'reused' if build is None else f'{build:.1f} s'}; "
              + ", ".join(f"{n:,} {t}" for t, n in result["counts"].items()))
        print("other = rerun right after a save of another line, own = after a save of the page's own line "
              "(completeness, wall, audit log: traffic)")
        print(HEADER)
        for row in result["views"]:
            print(view_line(row))
        saves = result["saves"]
        print("save itself (median s): " + ", ".join(
            f"{line} {fmt(saves['demo'].get(line))}/{fmt(saves['city'].get(line))}" for line in saves["city"])
            + "  (demo/city)")
        grid = result["grid"]
        print(f"50-row grid save (city, {grid['rows']} rows each): alone median {fmt(grid['alone_median'])} max "
              f"{fmt(grid['alone_max'])} s; 8 clerks at once median {fmt(grid['together_median'])} max "
              f"{fmt(grid['together_max'])} s over {grid['saves']} saves"
              + (f"; {len(grid['failures'])} failed: {grid['failures'][:3]}" if grid["failures"] else ""))
        memory = result["memory"]
        print(f"peak memory, every page once plus the wall: demo {memory['demo']['peak_kib'] / 1024:.0f} MiB, city "
              f"{memory['city']['peak_kib'] / 1024:.0f} MiB (x{memory['city']['peak_kib'] / memory['demo']['peak_kib']:.2f};"
              f" after imports {memory['demo']['after_imports_kib'] / 1024:.0f} MiB)")
        if "wall_browser" in result:
            for label, wall in result["wall_browser"].items():
                print(f"wall in Chromium ({label}): first load {wall['first_load_bytes'] / 1024:.0f} KiB; per refresh "
                      f"unchanged {wall['unchanged_bytes'] / 1024:.1f} KiB ({wall['unchanged_seconds']:.2f} s), "
                      f"right after a save {wall['after_save_bytes'] / 1024:.1f} KiB ({wall['after_save_seconds']:.2f} s)")
        if "map_draw" in result:
            for label, draw in result["map_draw"].items():
                print(f"coverage map draw in Chromium ({label}): first after start {draw['first']:.2f} s, "
                      f"again {draw['warm']:.2f} s")
        if result["problems"]:
            print(f"! = the page showed an error box (its times mean nothing); {len(result['problems'])} such runs:")
        for problem in sorted(set(result["problems"]))[:12]:
            print(f"  {problem}")


def check_goals(report: dict) -> tuple[list[dict], str]:
    """Every goal, per database: the worst page, its figure and whether it meets the goal."""
    checks = []

    def add(goal: str, what: str, value, limit, unit: str = "s", where: str = "") -> None:
        if value is None:
            return
        checks.append({"goal": goal, "worst": what, "value": value, "limit": limit, "unit": unit, "where": where,
                       "ok": value <= limit})

    for kind, result in report["databases"].items():
        views = result["views"]

        def label(r):
            failed = " (error box!)" if r["demo"].get("problems") or r["city"].get("problems") else ""
            return f"{r['page']}{'' if r['zone'] == 'all' else ' ' + r['zone']}{failed}"

        for key, goal in (("warm", "warm"), ("other", "other"), ("own", "own")):
            worst = max(views, key=lambda r: r["city"][key])
            add(goal, label(worst), worst["city"][key], GOALS[goal], where=kind)
        worst = max(views, key=lambda r: r["city"]["warm"] / r["demo"]["warm"])
        add("warm_ratio", label(worst), worst["city"]["warm"] / worst["demo"]["warm"], GOALS["warm_ratio"], "x", kind)
        firsts = [r for r in views if r["city"].get("first_view") is not None]
        if firsts:
            worst = max(firsts, key=lambda r: r["city"]["first_view"])
            add("first_view", label(worst), worst["city"]["first_view"], GOALS["first_view"], where=kind)
        walls = [r for r in views if r["page"] == "wall"]
        if walls:
            worst = max(walls, key=lambda r: r["city"]["own"])
            add("wall_refresh", label(worst), worst["city"]["own"], GOALS["wall_refresh"], where=kind)
        if "wall_browser" in result:
            wall = result["wall_browser"]["city"]
            add("wall_refresh", "wall in Chromium", wall["after_save_seconds"], GOALS["wall_refresh"], where=kind)
            add("wall_kib", "wall", wall["after_save_bytes"] / 1024, GOALS["wall_kib"], "KiB", kind)
        if "map_draw" in result:
            add("map_draw", "coverage_map", result["map_draw"]["city"]["first"], GOALS["map_draw"], where=kind)
        add("grid_save", "8 clerks", result["grid"]["together_median"], GOALS["grid_save"], where=kind)
        memory = result["memory"]
        add("memory_ratio", "every page", memory["city"]["peak_kib"] / memory["demo"]["peak_kib"],
            GOALS["memory_ratio"], "x", kind)
    names = {"warm": "warm", "warm_ratio": "warm/demo", "other": "other-line save", "own": "own-line save",
             "first_view": "first view", "wall_refresh": "wall refresh after save", "wall_kib": "wall bytes/refresh",
             "map_draw": "map first draw", "grid_save": "grid save x8 (median)", "memory_ratio": "peak memory/demo"}
    parts = []
    for goal in GOALS:
        mine = [c for c in checks if c["goal"] == goal]
        if not mine:
            continue
        worst = max(mine, key=lambda c: c["value"] / c["limit"])
        unit = worst["unit"]
        value = f"{worst['value']:.2f}{'x' if unit == 'x' else ' ' + unit}" if unit != "s" else f"{worst['value']:.3f} s"
        parts.append(f"{names[goal]} {worst['worst']} ({worst['where']}) {value} (goal {worst['limit']:g}) "
                     f"{'ok' if worst['ok'] else 'OVER'}")
    for c in checks:
        c["name"] = names[c["goal"]]
    return checks, "worst: " + " | ".join(parts)


def print_goals(checks: list[dict], final: str) -> None:
    print("\n## goals (issue 14), city scale")
    for c in checks:
        unit = "" if c["unit"] == "x" else " " + c["unit"]
        print(f"  [{'ok ' if c['ok'] else 'OVER'}] {c['where']:10} {c['name']:24} worst {c['worst']:22} "
              f"{c['value']:.3f}{unit} (goal ≤ {c['limit']:g}{unit})")
    print(f"\nFINAL {final}")


def quiet_streamlit() -> None:
    """No "missing ScriptRunContext" / "No runtime found" warnings from clearing caches outside a run
    (set as a config option too: AppTest re-applies the configured level on every run)."""
    from streamlit import config
    from streamlit.logger import set_log_level

    config.set_option("logger.level", "error")
    set_log_level("error")


def main() -> None:
    quiet_streamlit()
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--scale", type=float, default=1.0, help="size of the city (0.1 for quick development)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (cold 1, warm 3, after a save 1)")
    parser.add_argument("--reuse", action="store_true", help="reuse a pristine city build kept in --cache")
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / "out" / "city-cache")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--pages", help="only these pages (comma-separated stems, e.g. traffic,wall)")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium measurements")
    parser.add_argument("--no-first-view", action="store_true", help="skip the fresh-process first views")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files and server logs (else removed)")
    args = parser.parse_args()
    runs = ({"cold": 1, "warm": 3, "save": 1, "grid": 2} if args.quick else {"cold": 3, "warm": 7, "save": 3, "grid": 5})
    pages = app_pages() + [(WALL, False)]
    if args.pages:
        wanted = set(args.pages.split(","))
        pages = [p for p in pages if stem(p[0]) in wanted]
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    report = {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()}, "runs": runs,
              "goals": GOALS, "databases": {}}
    if "postgresql" in kinds:
        report["machine"]["postgresql"] = postgres_version()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in report["machine"].items()), flush=True)
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="bench_city_"))
    try:
        for kind in kinds:
            run_database(kind, args, folder, runs, pages, report)
    finally:
        if args.keep:
            print(f"SQLite files and server logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print_report(report)
    checks, final = check_goals(report)
    report["checks"], report["final"] = checks, final
    report["seconds"] = time.perf_counter() - started
    print_goals(checks, final)
    report["load_average_end"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    report["commit_end"] = git_state()
    if report["commit_end"] != report["machine"]["commit"]:
        print(f"the app changed during the run: {report['machine']['commit']} at the start, {report['commit_end']} at the end")
    print(f"(whole run {report['seconds'] / 60:.1f} min; load average at the end {report['load_average_end']}, "
          f"at the start {report['machine']['load_average']}: other work on the machine makes times swing)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
