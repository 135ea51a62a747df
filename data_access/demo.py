"""The demo data set: the report's zone, 1–25 February 2020, with the report's figures exactly.

Everything is invented but believable (names, places, day-to-day numbers) and generated from
fixed seeds, so every load gives the same rows, whatever the current date. The figures the report
states (see /work/shared/DOMAIN.md) are exact by construction: each total is split into parts with
`split_exact` (largest remainder), never sampled and hoped for.

    load_demo(engine)   fill an empty database (refuses one holding real data); "loaded" / "already"
    build_demo(session) insert everything into an open session (no commit)
    is_demo(engine)     is the demo data set loaded?
"""
from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Sequence

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from . import demo_geometry as geo
from .audit import audit
from .auth import hash_display_key, hash_password
from .clock import DEMO_NOW_KEY
from .db import get_engine, read_connection, write_session
from .errors import DataError
from .models import (
    CheckpointDay,
    DisplayKey,
    Donation,
    DutyAssignment,
    DutyPost,
    DutyShift,
    Enterprise,
    Finding,
    GateDayCount,
    GateHourCount,
    GatePersonSite,
    GateRegistration,
    Inspection,
    MealDay,
    MealPointDay,
    OrgUnit,
    Person,
    ReopeningStep,
    Responsibility,
    Setting,
    Shop,
    Site,
    SupplyItem,
    SupplyMovement,
    SupplyStock,
    SurveyRound,
    User,
    UserScope,
    WorkZone,
)
from .territory import SEASON_START_KEY

DEMO_START = dt.date(2020, 2, 1)
DEMO_SEASON_START = dt.date(2020, 1, 23)  # the survey began: no write may be dated earlier
DEMO_AS_OF = dt.date(2020, 2, 25)  # the last day with data
SEED = 20200226  # the report's date
LOADER = "demo-loader"
DEMO_PASSWORD = "demo"
DEMO_DISPLAY_KEY = "demo-wall"
DATASET_KEY = "dataset"
DEMO_LOCK_ID = 724_020_225  # serialises two app servers loading at once on PostgreSQL

# ---- the report's figures (exact) ----------------------------------------------------------------
VILLAGES_PER_ZONE = (6, 5, 7, 5, 4, 7)  # 34; every zone manages 4–7 villages
COMPOUNDS_PER_ZONE = (3, 2, 2, 3, 2, 2)  # 14
COMPOUNDS_WITHOUT_MANAGEMENT = 7
ENTERPRISES, ENTERPRISES_ABOVE_SIZE = 119, 24
APPROVED, APPROVED_ABOVE_SIZE = 69, 22
APPROVED_EMPLOYEES, APPROVED_FROM_OUTSIDE = 4_892, 164
SHOPS, SHOPS_OPEN, OPEN_STAFF, OPEN_STAFF_FROM_OUTSIDE = 453, 58, 123, 17
VILLAGE_HOUSEHOLDS, VILLAGE_PEOPLE = 7_718, 11_222
COMPOUND_HOUSEHOLDS, COMPOUND_PEOPLE = 2_015, 5_276
VEHICLES_TOTAL, PERSONS_TOTAL, BUSIEST_DAY_VEHICLES = 15_294, 28_225, 1_656

# ---- the story around them ------------------------------------------------------------------------
HIGHWAYS_REOPEN = dt.date(2020, 2, 10)  # work resumed; traffic picked up
BUSIEST_DAY = dt.date(2020, 2, 17)  # the Monday of the second week back
STUCK_AFTER_DAYS = 5
UTC = dt.timezone.utc


class RealDataPresent(DataError):
    """The database holds real (non-demo) data: the demo data set must not be mixed into it."""

    zh = "数据库中已有真实数据（非演示数据），未加载演示数据"
    en = "The database already holds real (non-demo) data; the demo data set was not loaded"

    def __init__(self):
        super().__init__(self.en)


# ---- small helpers ---------------------------------------------------------------------------------

def split_exact(total: int, weights: Sequence[float], floor: int | Sequence[int] = 0,
                caps: Sequence[int | None] | None = None) -> list[int]:
    """Whole parts, each >= its floor (and <= its cap), summing to exactly `total`.

    Above the floors, parts follow the weights by the largest-remainder method (exact arithmetic, ties
    to the earlier part); a part that would pass its cap is held at the cap and the rest re-split.
    """
    n = len(weights)
    floors = [floor] * n if isinstance(floor, int) else list(floor)
    caps = list(caps) if caps is not None else [None] * n
    if len(floors) != n or len(caps) != n:
        raise ValueError("weights, floors and caps differ in length")
    if total < sum(floors) or any(c is not None and c < f for c, f in zip(caps, floors)):
        raise ValueError(f"cannot split {total} above the floors")
    if all(c is not None for c in caps) and total > sum(caps):
        raise ValueError(f"cannot split {total} under the caps")
    fixed: dict[int, int] = {}
    while True:
        free = [i for i in range(n) if i not in fixed]
        rest = total - sum(fixed.values()) - sum(floors[i] for i in free)
        parts = _largest_remainder(rest, [weights[i] for i in free])
        values = {i: floors[i] + p for i, p in zip(free, parts)}
        over = [i for i in free if caps[i] is not None and values[i] > caps[i]]
        if not over:
            return [fixed[i] if i in fixed else values[i] for i in range(n)]
        for i in over:
            fixed[i] = caps[i]


def _largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    if not weights:
        if total:
            raise ValueError("nothing to split into")
        return []
    exact = [Fraction(w) for w in weights]
    if any(w < 0 for w in exact):
        raise ValueError("negative weight")
    whole = sum(exact)
    if whole == 0:
        exact, whole = [Fraction(1)] * len(weights), Fraction(len(weights))
    quotas = [total * w / whole for w in exact]
    parts = [math.floor(q) for q in quotas]
    order = sorted(range(len(parts)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]


def feb(day: int) -> dt.date:
    return dt.date(2020, 2, day)


# Every day's figures are due by 10:00 the next morning (each checkpoint reported by 21:30 the same
# evening, so the last demo day is complete), and the demo's clock stands at 09:30 on the morning
# after its last day: nothing is late, and 2020-02-26 is the day clerks enter next.
DEMO_DUE_MINUTES = 34 * 60
DEMO_NOW = "2020-02-26T09:30:00+08:00"


def at(day: dt.date, hour: int = 13, minute: int = 0) -> dt.datetime:
    """A fixed moment of a day (UTC; 13:00 UTC is 21:00 in Yantai)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def stream(name: str) -> random.Random:
    """An independent, fixed random stream per table family (a string seed is stable across runs)."""
    return random.Random(f"{SEED}:{name}")


SURNAMES = "王李张刘孙林姜于曲衣牟杨宋郝迟隋唐邹战柳徐赵高吕纪初丛滕鞠慕"
GIVEN = ("建华 志强 海燕 晓东 文军 丽娟 春生 国庆 红梅 振宇 立新 秀芳 德胜 永刚 玉兰 明辉 卫东 桂香 成林 雪梅 "
         "洪波 广利 树森 凤英 海涛 学军 金凤 庆丰 立国 淑珍 少华 晓燕 连生 宝山 俊杰 春燕 新民 爱华 志远 文静 "
         "晓光 瑞芳 世杰 光明 婷婷 海波 宏伟 丽华 长江 建国 红霞 子健 云飞 美玲 铁军 晓梅 军 华 伟 强 磊 静 敏 "
         "勇 杰 涛 斌 峰 娜 鹏 超 燕 刚 平").split()


class Names:
    """Invented personal names, never the same twice in one data set."""

    def __init__(self, rng: random.Random):
        self.rng, self.used = rng, set()

    def __call__(self) -> str:
        while True:
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
            if name not in self.used:
                self.used.add(name)
                return name

    def many(self, n: int) -> list[str]:
        return [self() for _ in range(n)]


# ---- the builder's shared state ------------------------------------------------------------------

@dataclass
class Demo:
    session: Session
    names: Names
    zones: list[WorkZone] = field(default_factory=list)
    villages: list[Site] = field(default_factory=list)
    compounds: list[Site] = field(default_factory=list)
    road_checkpoints: list[Site] = field(default_factory=list)
    village_checkpoints: list[Site] = field(default_factory=list)
    enterprises: list[Enterprise] = field(default_factory=list)
    leaders: dict[str, list[str]] = field(default_factory=dict)
    person_ids: dict[str, int] = field(default_factory=dict)  # a person's name (unique in the demo) -> id
    teams: dict[int, list[list[str]]] = field(default_factory=dict)  # duty point id -> its rota (names per slot)

    def add(self, rows) -> list:
        """ORM objects, for the few tables whose ids later rows need."""
        rows = list(rows)
        self.session.add_all(rows)
        return rows

    def bulk(self, model, rows: list[dict], copy: bool = False) -> None:
        """Plain rows in one Core executemany (ids follow the list's order): fast for the big tables.

        Every row must carry the same keys (None is written as NULL), so the rows stay one batch. `copy`:
        on PostgreSQL, COPY them (the roster's thousands of rows: 0.21 s as an executemany, ~0.03 s copied).
        """
        if rows:
            keys = set(rows[0])
            assert all(set(r) == keys for r in rows), model.__tablename__
            self.session.flush()
            conn = self.session.connection()
            if copy and conn.dialect.name == "postgresql":
                _copy_rows(conn, model.__table__, rows)
            else:
                conn.execute(insert(model.__table__), rows)


def _copy_rows(conn, table, rows: list[dict]) -> None:
    """PostgreSQL's COPY of plain rows, in the session's transaction. COPY goes to the driver, past the
    statement watch that notes which lines a transaction writes: an UPDATE of no row names the table to it.
    The driver turns each value into COPY's text (psycopg's write_row: in C, ~3x faster than doing it here)."""
    columns = list(rows[0])
    conn.execute(table.update().where(text("false")).values({columns[0]: table.c[columns[0]]}))
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])


ZONE_NAMES = ("第一工作管区", "第二工作管区", "第三工作管区", "第四工作管区", "第五工作管区", "第六工作管区")
VILLAGE_NAMES = (
    "王家庄", "李家疃", "东柳村", "西林村", "后寨村", "南庄村", "北沟村", "大河南村", "小河北村", "杨家泊",
    "孙家疃", "唐家夼", "曲家庄", "衣家村", "林家夼", "牟家疃", "邹家庄", "臧家沟", "郝家楼", "迟家村",
    "隋家店", "战家泊", "于家埠", "姜家崖", "宋家庄", "前阳村", "后阳村", "石门口村", "松山村", "泉水沟村",
    "杏林村", "桃园村", "上庄村", "下庄村",
)
COMPOUND_NAMES = ("翠湖小区", "金桥花园", "东方家园", "怡和苑", "福盛小区", "锦绣华庭", "御景苑", "康乐小区",
                  "桃源居", "紫薇花园", "泰和家园", "丰泽小区", "长青苑", "开发区职工小区")
# (zone, road, place, side of the zone's outer border, segment, position along it, traffic weight)
ROAD_CHECKPOINTS = (
    (0, "中古线", "西关", "W", 0, 0.55, 2.4), (0, "县道X017", "北岭", "N", 0, 0.45, 0.7),
    (1, "802省道", "蓬栖", "N", 1, 0.35, 2.0), (1, "县道X017", "泉口", "N", 0, 0.60, 0.7),
    (2, "中古线", "东口", "E", 0, 0.70, 2.4), (2, "县道X036", "青石", "N", 1, 0.50, 0.7),
    (3, "县道X036", "南岭", "W", 1, 0.40, 0.7), (3, "802省道", "南坡", "S", 1, 0.50, 2.0),
    (4, "802省道", "南台", "S", 0, 0.55, 2.0), (4, "县道X017", "柳沟", "S", 1, 0.40, 0.7),
    (5, "中古线", "福栖", "E", 1, 0.35, 2.4), (5, "县道X036", "龙泉", "E", 0, 0.45, 0.7),
)
CITY_DEPARTMENTS = ("市委党校", "市财政局", "市环保局", "市工信局", "市税务局", "开发区")


# ---- territory: zones, villages, compounds, checkpoints --------------------------------------------

def add_territory(demo: Demo) -> None:
    rng = stream("geometry")
    people = stream("territory")
    layout = geo.Layout(rng)
    demo.zones = demo.add(WorkZone(code=f"Z{k + 1}", name=ZONE_NAMES[k], geometry=geo.geojson_polygon(layout.zone_ring(k)),
                                   report_due_minutes=DEMO_DUE_MINUTES)
                          for k in range(len(ZONE_NAMES)))
    demo.session.flush()
    village_names = iter(VILLAGE_NAMES)
    compound_names = iter(COMPOUND_NAMES)
    managed = [True] * (sum(COMPOUNDS_PER_ZONE) - COMPOUNDS_WITHOUT_MANAGEMENT) + [False] * COMPOUNDS_WITHOUT_MANAGEMENT
    people.shuffle(managed)
    for k, zone in enumerate(demo.zones):
        box = layout.zone_box(k)
        for cell in geo.village_cells(rng, VILLAGES_PER_ZONE[k]):
            ring = geo.village_ring(rng, box.cell(*cell))
            lon, lat = geo.centroid(ring)
            demo.villages.append(Site(kind="village", zone_id=zone.id, name=next(village_names), lon=lon, lat=lat,
                                      geometry=geo.geojson_polygon(ring), lead_cadre=demo.names(),
                                      staff_on_duty=people.randint(2, 4)))
        for ring in geo.compound_rings(rng, box.cell(*geo.TOWN_CELL), COMPOUNDS_PER_ZONE[k]):
            lon, lat = geo.centroid(ring)
            demo.compounds.append(Site(kind="compound", zone_id=zone.id, name=next(compound_names), lon=lon, lat=lat,
                                       geometry=geo.geojson_polygon(ring), has_property_management=managed.pop(),
                                       lead_cadre=demo.names(), staff_on_duty=people.randint(1, 3)))
    demo.add(demo.villages + demo.compounds)
    demo.session.flush()  # village ids for their checkpoints
    for zone_index, road, place, side, segment, t, _ in ROAD_CHECKPOINTS:
        assert side in layout.outer_sides(zone_index), (road, place)
        lon, lat = layout.border_point(zone_index, side, segment, t)
        demo.road_checkpoints.append(Site(
            kind="checkpoint", checkpoint_type="road", zone_id=demo.zones[zone_index].id, name=f"{road}{place}卡口",
            road=road, lon=lon, lat=lat, staff_on_duty=people.randint(4, 6),
            lead_cadre=f"{demo.names()}（{people.choice(CITY_DEPARTMENTS)}）"))
    for village in demo.villages:
        demo.village_checkpoints.append(Site(
            kind="checkpoint", checkpoint_type="village", zone_id=village.zone_id, name=f"{village.name}卡口",
            parent_site_id=village.id, lon=village.lon, lat=village.lat, lead_cadre=demo.names(),
            staff_on_duty=people.randint(2, 3)))
    demo.add(demo.road_checkpoints + demo.village_checkpoints)
    demo.session.flush()


# ---- road checkpoint traffic ------------------------------------------------------------------------

def traffic_day_totals(rng: random.Random) -> dict[dt.date, int]:
    """Vehicles per day over all road checkpoints: low while highways were closed, ~900 after."""
    closed = days(DEMO_START, HIGHWAYS_REOPEN - dt.timedelta(days=1))
    totals = {d: round(66 + 9 * k + rng.uniform(-5, 5)) for k, d in enumerate(closed)}
    others = [d for d in days(HIGHWAYS_REOPEN, DEMO_AS_OF) if d != BUSIEST_DAY]
    weights = []
    for d in others:
        weight = 0.8 + 0.02 * (d - HIGHWAYS_REOPEN).days
        if d.weekday() >= 5:
            weight *= 0.82
        if d == HIGHWAYS_REOPEN:
            weight *= 1.1  # the first day back
        weights.append(weight * rng.uniform(0.94, 1.06))
    rest = VEHICLES_TOTAL - sum(totals.values()) - BUSIEST_DAY_VEHICLES
    totals.update(zip(others, split_exact(rest, weights)))
    totals[BUSIEST_DAY] = BUSIEST_DAY_VEHICLES
    assert all(v < BUSIEST_DAY_VEHICLES for d, v in totals.items() if d != BUSIEST_DAY)
    return dict(sorted(totals.items()))


ABNORMAL = {(feb(6), 0): 1, (feb(13), 4): 1, (feb(21), 2): 1}  # (day, checkpoint index): cases sent to the health centre


def add_traffic(demo: Demo) -> None:
    from . import traffic_totals

    rng = stream("traffic")
    checkpoints = demo.road_checkpoints
    weights = [spec[-1] for spec in ROAD_CHECKPOINTS]
    clerks = demo.names.many(len(checkpoints))
    cells = []  # (day, checkpoint index, vehicles)
    for day, total in traffic_day_totals(rng).items():
        parts = split_exact(total, [w * rng.uniform(0.85, 1.15) for w in weights])
        cells += [(day, k, v) for k, v in enumerate(parts)]
    persons = split_exact(PERSONS_TOTAL, [v * rng.uniform(1.65, 2.05) + rng.uniform(0, 2) for _, _, v in cells],
                          floor=[v for _, _, v in cells])  # every vehicle carries at least its driver
    rows = []
    for (day, k, vehicles), people in zip(cells, persons):
        early = day < HIGHWAYS_REOPEN
        outside = round(people * (rng.uniform(0.02, 0.05) if early else rng.uniform(0.04, 0.09)))
        turned_back = round(people * (rng.uniform(0.08, 0.16) if early else rng.uniform(0.01, 0.035)))
        rows.append(dict(
            site_id=checkpoints[k].id, day=day, vehicles=vehicles, persons=people, persons_from_outside=outside,
            turned_back=turned_back, abnormal_temperature=min(ABNORMAL.get((day, k), 0), people),
            corrected=False, version=1, updated_at=at(day, 13, 30), reported_at=at(day, 13, 30), updated_by=clerks[k]))
    demo.bulk(CheckpointDay, rows)
    traffic_totals.rebuild(demo.session)  # the per-day, per-zone totals the traffic pages read


# ---- enterprises and reopening ------------------------------------------------------------------------

ENTERPRISE_PREFIXES = (
    "鑫源 华泰 金苹 瑞丰 宏达 恒远 龙泽 盛源 康达 绿源 顺发 泰和 永昌 海诚 东晟 天润 嘉禾 富祥 德润 佳和 中盛 鲁霞 "
    "霞光 润达 昌盛 振华 兴业 万通 正泰 明康 金果 红富 翠峰 鼎盛 众合 和丰 广源 长鑫 亿达 丰泰 银丰 宏图 新星 福瑞 "
    "凯德 安泰 隆兴 同力 信诚 聚源 国丰 金山 泰丰 汇通 博远 源丰 诚达 华盛 荣昌 旭日").split()
INDUSTRIES = ("果品", "果业", "冷藏", "包装", "纸制品", "机械", "食品", "建材", "塑料制品", "电子", "物流", "服饰",
              "木业", "酒业", "饲料", "五金", "汽车配件", "彩印", "生物科技", "新材料", "农业科技", "钢结构", "果汁饮料",
              "环保科技")
ZONE_ENTERPRISES = (24, 21, 19, 20, 18, 17)
DEPARTMENT_COUNTS = {"econ_dev": 46, "investment": 40, "safety": 33}
# current status → (how many, of which above designated size)
STATUS_PLAN = {
    "phone_verified": (43, 17), "inspected_after": (14, 3), "approved": (10, 1), "resumed": (2, 1),  # the 69 at work
    "suspended": (2, 1), "refused": (3, 0),
    "applied": (6, 0), "inspected_before": (4, 1), "letters_signed": (5, 0),
    "not_applied": (30, 0),
}
WORKING = ("approved", "inspected_after", "phone_verified", "resumed")
STUCK_PLAN = {"applied": (feb(12), feb(14)), "letters_signed": (feb(13), feb(15))}  # cases left waiting
Z1_NEEDS = ("not_applied", "applied", "inspected_before", "inspected_after")  # the Z1 clerk sees every stage
LETTERS_NOTE = "疫情防控承诺书、安全生产承诺书、员工健康监测承诺书已签订"
REFUSALS = (
    ("inspected_before", "防疫物资储备不足，未设立隔离观察室"),
    (None, "员工中有重点疫区返烟人员未满14天隔离期"),
    (None, "未制定疫情防控工作方案，外地员工比例过高"),
)
SUSPENSIONS = (
    ("inspected_after", "复工后未落实测温登记，员工宿舍管理混乱"),
    ("phone_verified", "电话抽查发现部分员工未按要求每日两次测温"),
)
RESUMPTIONS = (
    ("inspected_after", "车间未按要求每日消毒，消毒记录缺失", "整改到位，消毒台账齐全"),
    ("phone_verified", "电话抽查发现外地返烟员工未落实居家观察", "已安排集中观察，整改到位"),
)


def _enterprise_names(rng: random.Random, above: list[bool]) -> list[str]:
    used, names = set(), []
    for is_above in above:
        while True:
            core = rng.choice(ENTERPRISE_PREFIXES) + rng.choice(INDUSTRIES)
            name = (f"{rng.choice(('山东', '烟台'))}{core}股份有限公司" if is_above else f"栖霞市{core}有限公司")
            if core not in used:
                used.add(core)
                names.append(name)
                break
    return names


def _status_slots(rng: random.Random) -> list[tuple[str, bool]]:
    slots = []
    for status, (count, above) in STATUS_PLAN.items():
        slots += [(status, True)] * above + [(status, False)] * (count - above)
    rng.shuffle(slots)
    for status in reversed(Z1_NEEDS):  # the first ZONE_ENTERPRISES[0] slots go to Z1
        k = next(i for i, s in enumerate(slots) if s[0] == status and not s[1])
        slots.insert(0, slots.pop(k))
    return slots


def add_enterprises(demo: Demo) -> None:
    rng = stream("reopening")
    slots = _status_slots(rng)
    assert len(slots) == ENTERPRISES and sum(a for _, a in slots) == ENTERPRISES_ABOVE_SIZE
    zones = [z for z, n in zip(demo.zones, ZONE_ENTERPRISES) for _ in range(n)]
    departments = [d for d, n in DEPARTMENT_COUNTS.items() for _ in range(n)]
    rng.shuffle(departments)
    names = _enterprise_names(rng, [a for _, a in slots])
    # Leaders own enterprises by department, each with an A (owner) and a B (backup) role.
    demo.leaders = {d: demo.names.many(4) for d in DEPARTMENT_COUNTS}
    working = [k for k, (s, _) in enumerate(slots) if s in WORKING]
    assert len(working) == APPROVED and sum(slots[k][1] for k in working) == APPROVED_ABOVE_SIZE
    employees = dict(zip(working, split_exact(
        APPROVED_EMPLOYEES, [rng.uniform(90, 320) if slots[k][1] else rng.uniform(6, 45) for k in working], floor=3)))
    outside = dict(zip(working, split_exact(
        APPROVED_FROM_OUTSIDE, [employees[k] * rng.uniform(0.3, 1.7) for k in working],
        caps=[employees[k] for k in working])))
    for k, ((status, above), zone, department, name) in enumerate(zip(slots, zones, departments, names)):
        if k not in employees:
            employees[k] = rng.randint(120, 400) if above else rng.randint(5, 60)
            outside[k] = round(employees[k] * rng.uniform(0, 0.06))
        a_role, b_role = rng.sample(demo.leaders[department], 2)
        demo.enterprises.append(Enterprise(
            name=name, zone_id=zone.id, department=department, above_size=above, employees=employees[k],
            employees_from_outside=outside[k], owner=a_role, owner_backup=b_role, status="not_applied", version=1))
    clerks = {d: demo.names.many(2) for d in DEPARTMENT_COUNTS}
    stuck = {status: list(since) for status, since in STUCK_PLAN.items()}
    refusals, suspensions, resumptions = list(REFUSALS), list(SUSPENSIONS), list(RESUMPTIONS)
    histories = []
    for enterprise, (status, _) in zip(demo.enterprises, slots):
        history = _history(rng, status, enterprise, stuck, refusals, suspensions, resumptions)
        recorder = rng.choice(clerks[enterprise.department])
        histories.append((history, recorder))
        if history:  # the stored status is the one the steps imply: the latest step's
            last_step, last_day, _ = history[-1]
            enterprise.status, enterprise.status_since = last_step, last_day
            enterprise.updated_at, enterprise.updated_by = at(last_day, 9, len(history)), recorder
    demo.add(demo.enterprises)
    demo.session.flush()
    blank = {"passed": None, "employees_called": None, "problems_found": None, "reason": None, "note": None}
    demo.bulk(ReopeningStep, [  # in order, so that (day, id) is the order things happened
        {**blank, "enterprise_id": enterprise.id, "step": step, "day": day, "recorded_by": recorder,
         "recorded_at": at(day, 9, order), **extra}
        for enterprise, (history, recorder) in zip(demo.enterprises, histories)
        for order, (step, day, extra) in enumerate(history)
    ])


def _approval_chain(rng: random.Random, approved: dt.date) -> list[tuple[str, dt.date, dict]]:
    """applied → inspected_before (passed) → letters_signed → approved, ending on `approved`."""
    letters = approved - dt.timedelta(days=rng.randint(0, 1))
    before = max(letters - dt.timedelta(days=rng.randint(0, 1)), HIGHWAYS_REOPEN)
    letters = max(letters, before)
    applied = before - dt.timedelta(days=rng.randint(1, 2))
    return [
        ("applied", applied, {}),
        ("inspected_before", before, {"passed": True, "note": "测温点、消毒记录、隔离观察室检查合格"}),
        ("letters_signed", letters, {"note": LETTERS_NOTE}),
        ("approved", approved, {}),
    ]


def _approved_note(enterprise: Enterprise) -> dict:
    return {"note": f"批复复工员工{enterprise.employees}人，其中外地返烟{enterprise.employees_from_outside}人"}


def _inspected_after(passed: bool = True, reason: str | None = None, note: str | None = None) -> dict:
    return {"passed": passed, "reason": reason,
            "note": note or ("复工后现场检查：测温、消毒、登记落实到位" if passed else None)}


def _phone(rng: random.Random, enterprise: Enterprise, passed: bool = True, reason: str | None = None) -> dict:
    called = min(enterprise.employees, rng.randint(5, 20))
    problems = 0 if passed else rng.randint(2, 4)
    return {"passed": passed, "employees_called": called, "problems_found": problems, "reason": reason,
            "note": f"抽查员工{called}人" + ("，均按要求每日两次测温" if passed else "")}


def _plus(day: dt.date, rng: random.Random, low: int, high: int) -> dt.date:
    return day + dt.timedelta(days=rng.randint(low, high))


Steps = list[tuple[str, dt.date, dict]]


def _approved_chain(rng: random.Random, enterprise: Enterprise, approved: dt.date) -> Steps:
    chain = _approval_chain(rng, approved)
    chain[-1] = ("approved", chain[-1][1], _approved_note(enterprise))
    return chain


def _phone_verified(rng: random.Random, enterprise: Enterprise) -> Steps:
    early = [10, 10, 11, 11, 12, 12, 13, 14, 15, 16, 17, 18, 19] if enterprise.above_size else list(range(10, 20))
    chain = _approved_chain(rng, enterprise, feb(rng.choice(early)))
    after = _plus(chain[-1][1], rng, 1, 3)
    phone = _plus(after, rng, 1, 3)
    return chain + [("inspected_after", after, _inspected_after()), ("phone_verified", phone, _phone(rng, enterprise))]


def _inspected_after_approval(rng: random.Random, enterprise: Enterprise) -> Steps:
    after = feb(rng.randint(20, 25))
    chain = _approved_chain(rng, enterprise, after - dt.timedelta(days=rng.randint(1, 3)))
    return chain + [("inspected_after", after, _inspected_after())]


def _resumed(rng: random.Random, enterprise: Enterprise, failed_step: str, reason: str, fix: str) -> Steps:
    chain = _approved_chain(rng, enterprise, feb(rng.randint(10, 12)))
    after = _plus(chain[-1][1], rng, 1, 2)
    if failed_step == "inspected_after":
        chain += [("inspected_after", after, _inspected_after(False, reason)), ("suspended", after, {"reason": reason})]
        failed_on = after
    else:
        failed_on = _plus(after, rng, 1, 2)
        chain += [("inspected_after", after, _inspected_after()),
                  ("phone_verified", failed_on, _phone(rng, enterprise, False, reason)),
                  ("suspended", failed_on, {"reason": reason})]
    recheck = _plus(failed_on, rng, 3, 5)
    return chain + [("inspected_after", recheck, _inspected_after(True, note=f"整改复查：{fix}")),
                    ("resumed", _plus(recheck, rng, 0, 1), {"note": "整改复查通过，准予复工"})]


def _suspended(rng: random.Random, enterprise: Enterprise, failed_step: str, reason: str) -> Steps:
    chain = _approved_chain(rng, enterprise, feb(rng.randint(12, 15)))
    after = _plus(chain[-1][1], rng, 1, 2)
    if failed_step == "inspected_after":
        return chain + [("inspected_after", after, _inspected_after(False, reason)), ("suspended", after, {"reason": reason})]
    phone = _plus(after, rng, 1, 3)
    return chain + [("inspected_after", after, _inspected_after()),
                    ("phone_verified", phone, _phone(rng, enterprise, False, reason)), ("suspended", phone, {"reason": reason})]


def _refused(rng: random.Random, failed_step: str, reason: str) -> Steps:
    applied = feb(rng.randint(11, 18))
    before = _plus(applied, rng, 1, 2)
    if failed_step == "inspected_before":
        return [("applied", applied, {}), ("inspected_before", before, {"passed": False, "reason": reason}),
                ("refused", before, {"reason": reason})]
    return [("applied", applied, {}), ("inspected_before", before, {"passed": True, "note": "现场检查合格"}),
            ("refused", _plus(before, rng, 1, 2), {"reason": reason})]


def _on_the_way(rng: random.Random, status: str, waiting_since: dt.date | None) -> Steps:
    """Still on the way to approval: recent, or stuck since mid-February (`waiting_since`)."""
    if status == "applied":
        return [("applied", waiting_since or feb(rng.randint(21, 25)), {"note": "提交复工申请及防控方案"})]
    if status == "inspected_before":
        before = feb(rng.randint(20, 24))
        return [("applied", before - dt.timedelta(days=rng.randint(1, 2)), {}),
                ("inspected_before", before, {"passed": True, "note": "现场检查合格，待签订承诺书"})]
    if status == "letters_signed":
        letters = waiting_since or feb(rng.randint(21, 25))
        before = letters - dt.timedelta(days=rng.randint(0, 1))
        return [("applied", before - dt.timedelta(days=rng.randint(1, 2)), {}),
                ("inspected_before", before, {"passed": True, "note": "现场检查合格"}),
                ("letters_signed", letters, {"note": LETTERS_NOTE})]
    raise ValueError(status)


def _history(rng: random.Random, status: str, enterprise: Enterprise, stuck: dict, refusals: list,
             suspensions: list, resumptions: list) -> Steps:
    """The dated steps that bring an enterprise to `status` by DEMO_AS_OF (the last one is `status`)."""
    if status == "not_applied":
        return []
    if status == "phone_verified":
        return _phone_verified(rng, enterprise)
    if status == "inspected_after":
        return _inspected_after_approval(rng, enterprise)
    if status == "approved":
        return _approved_chain(rng, enterprise, feb(rng.randint(20, 25)))
    if status == "resumed":
        return _resumed(rng, enterprise, *resumptions.pop(0))
    if status == "suspended":
        return _suspended(rng, enterprise, *suspensions.pop(0))
    if status == "refused":
        return _refused(rng, *refusals.pop(0))
    return _on_the_way(rng, status, stuck[status].pop(0) if stuck.get(status) else None)


# ---- shops -----------------------------------------------------------------------------------------

SHOP_PLAN = {  # category: (shops, open, staff weight of an open shop)
    "supermarket": (62, 22, 3.0), "pharmacy": (28, 14, 2.0), "restaurant": (118, 4, 2.0),
    "hotel": (21, 2, 2.0), "grain_oil": (34, 12, 1.4), "other": (190, 4, 1.2),
}
SHOP_PREFIXES = ("家家乐 惠民 百姓 万福 利民 顺心 金桥 华联 大众 老街 东方 红星 好运 富民 兴旺 乐购 佳佳 福满 永兴 家和 "
                 "鑫鑫 友谊 诚信 新华 阳光 同心 聚福 美佳 金鼎 盛达 四季 天天 好又多 开心 老王 老张 李记 刘记 孙记 小林 "
                 "姜家 曲家 于记 衣家 宏发 众信 祥和 喜来 瑞丰 霞客").split()
PHARMACY_PREFIXES = "仁和 济民 百草 康宁 平安 益民 惠仁 德仁 康泰 济生 回春 寿康 安康 福康 同济 百姓".split()
SHOP_SUFFIXES = {
    "supermarket": ("超市", "便利店", "购物广场"),
    "pharmacy": ("大药房", "药店", "医药"),
    "restaurant": ("饭店", "酒楼", "快餐", "饺子馆", "面馆", "烧烤", "包子铺", "火锅店", "小吃店"),
    "hotel": ("宾馆", "旅馆", "快捷酒店"),
    "grain_oil": ("粮油店", "粮油批发部", "米面粮油"),
    "other": ("理发店", "五金店", "服装店", "手机店", "建材店", "农资店", "修车铺", "洗车行", "烟酒店", "文具店",
              "家电维修", "花店", "眼镜店", "照相馆", "布艺店", "鞋店", "日杂店", "装饰材料店"),
}
ZONE_SHOP_WEIGHTS = (1.4, 1.0, 0.9, 1.3, 0.8, 0.8)


def add_shops(demo: Demo) -> None:
    rng = stream("shops")
    zone_counts = split_exact(SHOPS, ZONE_SHOP_WEIGHTS, floor=40)
    zone_of = [z for z, n in zip(demo.zones, zone_counts) for _ in range(n)]
    rng.shuffle(zone_of)
    plan = []  # (category, is_open)
    for category, (count, opened, _) in SHOP_PLAN.items():
        plan += [(category, True)] * opened + [(category, False)] * (count - opened)
    rng.shuffle(plan)
    assert len(plan) == SHOPS and sum(o for _, o in plan) == SHOPS_OPEN
    open_index = [k for k, (_, o) in enumerate(plan) if o]
    staff = dict(zip(open_index, split_exact(
        OPEN_STAFF, [SHOP_PLAN[plan[k][0]][2] * rng.uniform(0.4, 1.6) for k in open_index], floor=1)))
    outside = dict(zip(open_index, split_exact(
        OPEN_STAFF_FROM_OUTSIDE, [staff[k] * rng.uniform(0.2, 1.8) for k in open_index],
        caps=[staff[k] for k in open_index])))
    used, rows = set(), []
    for k, ((category, is_open), zone) in enumerate(zip(plan, zone_of)):
        while True:
            prefixes = PHARMACY_PREFIXES if category == "pharmacy" else SHOP_PREFIXES
            name = rng.choice(prefixes) + rng.choice(SHOP_SUFFIXES[category])
            if name in used:
                name = f"{name}（{rng.choice(VILLAGE_NAMES)}店）"
            if name not in used:
                used.add(name)
                break
        if is_open:
            since = feb(rng.randint(10, 25))
        else:  # closed by the zone's order at the end of January (staff count only while open)
            since = dt.date(2020, 1, 26) + dt.timedelta(days=rng.randint(0, 6))
        rows.append(dict(name=name, zone_id=zone.id, category=category, is_open=is_open,
                         staff=staff.get(k, 0), staff_from_outside=outside.get(k, 0), status_since=since,
                         version=1, updated_at=at(since, 8), updated_by="综合执法中队"))
    demo.bulk(Shop, rows)


# ---- survey rounds (摸排) -----------------------------------------------------------------------------

def _coverages(rng: random.Random, n: int, low: Sequence[float], full: int) -> list[float]:
    values = list(low) + [1.0] * full + [rng.uniform(0.9, 0.99) for _ in range(n - len(low) - full)]
    rng.shuffle(values)
    return values


def add_surveys(demo: Demo) -> None:
    rng = stream("survey")
    rows = []
    groups = (
        (demo.villages, VILLAGE_HOUSEHOLDS, VILLAGE_PEOPLE, (150, 320), (0.3, 0.62), (0.72, 0.81), 8,
         dt.date(2020, 1, 26), (0.1, 0.4)),
        (demo.compounds, COMPOUND_HOUSEHOLDS, COMPOUND_PEOPLE, (80, 230), (1.3, 1.9), (0.78, 0.86), 3,
         dt.date(2020, 1, 28), (0.3, 0.7)),
    )
    for sites, households, people, size, extra_people, low, full, first_round, utility in groups:
        reached = split_exact(households, [rng.uniform(*size) for _ in sites])
        # every household reached holds at least one person
        persons = split_exact(people, [r * rng.uniform(*extra_people) for r in reached], floor=reached)
        coverage = _coverages(rng, len(sites), low, full)
        for site, reached2, people2, share in zip(sites, reached, persons, coverage):
            known = math.ceil(reached2 / share)
            site.households_known = known
            site.people_known = people2 + round((known - reached2) * people2 / reached2)
            reached1 = round(reached2 * rng.uniform(0.72, 0.9))
            people1 = max(reached1, round(people2 * reached1 / reached2 * rng.uniform(0.97, 1.03)))
            for round_no, day, hh, pp in (
                (1, first_round + dt.timedelta(days=rng.randint(0, 8)), reached1, people1),
                (2, feb(rng.randint(15, 24)), reached2, people2),
            ):
                unreachable = round((known - hh) * rng.uniform(0.5, 0.9))
                rows.append(dict(
                    site_id=site.id, round_no=round_no, day=day, households_known=known, households_reached=hh,
                    people=pp, people_from_outside=round(pp * rng.uniform(0.005, 0.03)), unreachable=unreachable,
                    utility_checked=min(known, round(known * rng.uniform(*utility))),
                    lit_at_night=round(unreachable * rng.uniform(0.2, 0.6)),
                    version=1, updated_at=at(day, 10), updated_by=site.lead_cadre))
    demo.bulk(SurveyRound, rows)


# ---- inspections (专题巡察) and findings ---------------------------------------------------------------

FAILURES = {  # failed check: (finding, fix note)
    "staff_at_post": ("值守人员脱岗，现场仅1人值守", "已补齐值守人员，实行双人值守"),
    "no_dereliction": ("值班人员玩手机，未认真盘查登记", "已约谈值班人员并在全区通报"),
    "travellers_screened": ("过往车辆人员未逐一测温登记", "已完善测温登记台账，逐车逐人登记"),
    "publicity_posted": ("防疫宣传材料未张贴，宣传条幅破损", "已重新张贴宣传材料、更换条幅"),
}
FAILURE_WEIGHTS = (1, 1, 2, 3)
OVERDUE_POINTS = 5  # duty points whose last visit is more than two days before DEMO_AS_OF
FINDING_PLAN = (  # (how many, earliest, latest raise day, open on DEMO_AS_OF?)
    (16, feb(4), feb(18), False),  # fixed (a few late)
    (3, feb(19), feb(21), True),  # open and past due on the as-of day
    (5, feb(24), feb(25), True),  # open, not yet due (due on or after the as-of day)
)
INSPECTION_CHECKS = ("staff_at_post", "no_dereliction", "travellers_screened", "publicity_posted")


def add_inspections(demo: Demo) -> None:
    rng = stream("inspections")
    points = demo.road_checkpoints + demo.village_checkpoints + demo.compounds
    teams = [f"{a}、{b}" for a, b in zip(demo.names.many(4), demo.names.many(4))]  # discipline committee (纪工委)
    recorder = demo.names()
    overdue = set(rng.sample(range(len(points)), OVERDUE_POINTS))
    village_lead = {v.id: v.lead_cadre for v in demo.villages}
    visits: list[tuple[int, dt.date]] = []
    for k, point in enumerate(points):
        day = feb(3) + dt.timedelta(days=rng.randint(0, 1))
        stop = feb(rng.randint(19, 22)) if k in overdue else DEMO_AS_OF
        mine = []
        while day <= stop:
            mine.append(day)
            day += dt.timedelta(days=rng.choice((2, 2, 2, 2, 1, 3)))
        if k not in overdue and mine[-1] < DEMO_AS_OF - dt.timedelta(days=2):
            mine.append(DEMO_AS_OF - dt.timedelta(days=rng.randint(0, 2)))
        visits += [(k, d) for d in mine]
    visits.sort(key=lambda v: (v[1], v[0]))
    failing: dict[int, tuple[str, bool]] = {}  # visit index → (failed check, still open)
    for count, first, last, still_open in FINDING_PLAN:
        pool = [i for i, (k, d) in enumerate(visits) if first <= d <= last and i not in failing]
        for i in rng.sample(pool, count):
            failing[i] = (rng.choices(INSPECTION_CHECKS, FAILURE_WEIGHTS)[0], still_open)
    inspections, findings = [], []
    for i, (k, day) in enumerate(visits):
        point = points[k]
        visit = dict(site_id=point.id, day=day, inspector=rng.choice(teams), recorded_by=recorder, remarks=None,
                     **{c: True for c in INSPECTION_CHECKS})
        if i in failing:
            check, still_open = failing[i]
            visit[check] = False
            description, fix = FAILURES[check]
            visit["remarks"] = f"发现问题：{description}，已当场交办"
            due = _plus(day, rng, 1, 3)
            on_time = rng.random() < 0.75  # most are fixed by the due day, some late
            fixed = None if still_open else min(_plus(day, rng, 0, (due - day).days) if on_time else _plus(due, rng, 1, 2),
                                                DEMO_AS_OF)
            findings.append(dict(
                site_id=point.id, description=description, owner=village_lead.get(point.parent_site_id) or point.lead_cadre,
                raised_on=day, due_on=due, fixed_on=fixed, fix_note=fix if fixed else None,
                version=1 if fixed is None else 2, updated_at=at(fixed or day, 12), updated_by=recorder))
        elif rng.random() < 0.15:
            visit["remarks"] = rng.choice(("人员在岗，登记规范", "测温、登记、消毒落实到位", "宣传到位，秩序良好"))
        inspections.append(visit)
    demo.bulk(Inspection, inspections)
    # a duty point is visited at most once a day: (site, day) finds the visit a finding belongs to
    visit_ids = {(site_id, day): id_ for id_, site_id, day in demo.session.execute(
        select(Inspection.id, Inspection.site_id, Inspection.day))}
    demo.bulk(Finding, [{**f, "inspection_id": visit_ids[(f["site_id"], f["raised_on"])]} for f in findings])


# ---- supplies, meals, donations (后勤保障) ------------------------------------------------------------

SUPPLY_ITEMS = (  # code, name, unit, low threshold per zone, use per zone per day, pack size
    ("masks", "口罩", "只", 300, 60, 50),
    ("disinfectant", "消毒液", "升", 40, 8, 5),
    ("thermometers", "额温枪", "支", 5, 0.4, 1),
    ("gloves", "一次性手套", "副", 200, 40, 50),
    ("protective_suits", "防护服", "套", 15, 3, 5),
)
RECEIPT_DAYS = (feb(1), feb(8), feb(15), feb(22))
LOW_STOCK = {("masks", 2), ("disinfectant", 4)}  # (item, zone index): the last delivery did not come
# Early February medical supplies were scarce: the first allocation of masks and disinfectant covered only
# a few days, an emergency purchase on 4 February a few more, and issues were rationed until the weekly
# deliveries began on 8 February.
SCARCE = ("masks", "disinfectant")
SCARCE_UNTIL = feb(8)
EMERGENCY_PURCHASE = feb(4)
STOCK_TAKES = (("gloves", 0, feb(15), -20, "月中盘点：破损20副"), ("thermometers", 1, feb(22), -1, "盘点：1支损坏报废"))


def add_supplies(demo: Demo) -> None:
    rng = stream("supplies")
    pick = stream("supply_recipients")
    short = stream("supplies_scarce")  # apart from `rng`, so the later weeks keep their figures
    items = demo.add(SupplyItem(code=c, name=n, unit=u, low_threshold=t, active=True, version=1)
                     for c, n, u, t, *_ in SUPPLY_ITEMS)
    demo.session.flush()
    keeper = demo.names()
    points = {}
    for site in demo.road_checkpoints + demo.village_checkpoints:
        points.setdefault(site.zone_id, []).append(site)
    takes = {(code, z): (day, change, note) for code, z, day, change, note in STOCK_TAKES}
    rows = []

    def movement(item, zone, day, kind, quantity, note, recipient_site=None, recipient=None):
        rows.append(dict(item_id=item.id, zone_id=zone.id, day=day, quantity=quantity, note=note, recorded_by=keeper,
                         kind=kind, site_id=None, recipient_site_id=recipient_site, recipient=recipient,
                         donation_id=None, recorded_at=at(day, 2)))

    for item, (code, name, unit, threshold, use, pack) in zip(items, SUPPLY_ITEMS):
        scarce = code in SCARCE
        for z, zone in enumerate(demo.zones):
            low = (code, z) in LOW_STOCK
            issues = {}
            for day in days(feb(2), DEMO_AS_OF)[::2]:
                amount = round(use * 2 * rng.uniform(0.7, 1.3))
                if amount > 0:
                    issues[day] = amount
            receipts = RECEIPT_DAYS[:-1] if low else RECEIPT_DAYS
            stock = 0
            floor = max(1, round(threshold * rng.uniform(0.25, 0.5)))
            for day in days(DEMO_START, DEMO_AS_OF):
                if scarce and day == DEMO_START:  # the first allocation: a few days' use, no reserve
                    amount = max(pack, math.ceil(use * short.uniform(2.2, 2.8) / pack) * pack)
                    stock += amount
                    movement(item, zone, day, "allocation", amount, "指挥部调拨（首批，物资紧缺）")
                elif scarce and day == EMERGENCY_PURCHASE:
                    amount = max(pack, math.ceil(use * short.uniform(1.8, 2.4) / pack) * pack)
                    stock += amount
                    movement(item, zone, day, "purchase", amount, "紧急采购")
                elif day in receipts:
                    until = next((r for r in receipts if r > day), DEMO_AS_OF + dt.timedelta(days=1))
                    need = sum(a for d, a in issues.items() if day <= d < until)
                    if low and until > DEMO_AS_OF:
                        need = round(need * 0.55)  # delivered short, and the next delivery is late
                    target = need + (0 if low and until > DEMO_AS_OF else threshold * rng.uniform(1.4, 2.5))
                    amount = max(pack, math.ceil(max(target - stock, 0) / pack) * pack)
                    stock += amount
                    movement(item, zone, day, "allocation", amount, "指挥部调拨")
                if day in issues:
                    if scarce and day < SCARCE_UNTIL:  # rationed: a little kept back for emergencies
                        amount = min(issues[day], stock - max(1, round(use * 0.3)))
                    else:
                        amount = min(issues[day], stock - floor) if low else min(issues[day], stock)
                    if amount > 0:
                        stock -= amount
                        site = pick.choice(points[zone.id])
                        movement(item, zone, day, "issue", -amount, "发放至村卡口及值守点", site.id,
                                 f"{site.name}值守组")
                if (code, z) in takes and takes[(code, z)][0] == day and stock + takes[(code, z)][1] >= 0:
                    _, change, note = takes[(code, z)]
                    stock += change
                    movement(item, zone, day, "stocktake", change, note)
    demo.bulk(SupplyMovement, rows)
    keep_stock(demo.session)


def keep_stock(session: Session) -> None:
    """supply_stock from the movements' sums (a bulk load's, as the migration does for a deployed database)."""
    session.flush()
    M = SupplyMovement.__table__
    session.connection().execute(SupplyStock.__table__.delete())
    session.connection().execute(insert(SupplyStock.__table__).from_select(
        ["item_id", "zone_id", "site_id", "stock"],
        select(M.c.item_id, M.c.zone_id, M.c.site_id, func.sum(M.c.quantity))
        .group_by(M.c.item_id, M.c.zone_id, M.c.site_id)))


ZONE_MEAL_WEIGHTS = (1.2, 1.0, 1.1, 1.0, 0.8, 1.0)


def add_meals(demo: Demo) -> None:
    """Meals per zone (meal_day, as before) and the same meals per duty point (meal_point_day): every
    checkpoint staffed around the clock, the road checkpoints' larger teams eating more; the meals residents
    brought (the register's meal donations) counted apart at the zone's checkpoints that day."""
    rng = stream("meals")
    cook = demo.names()
    rows = []
    for day in days(DEMO_START, DEMO_AS_OF):
        total = rng.randint(202, 216) if day < HIGHWAYS_REOPEN else rng.randint(218, 238)
        parts = split_exact(total, [w * rng.uniform(0.9, 1.1) for w in ZONE_MEAL_WEIGHTS])
        rows += [dict(zone_id=zone.id, day=day, meals=m, version=1, updated_at=at(day, 11), updated_by=cook)
                 for zone, m in zip(demo.zones, parts)]
    demo.bulk(MealDay, rows)
    share = stream("meal_points")
    points = {}
    for site in demo.road_checkpoints + demo.village_checkpoints:
        points.setdefault(site.zone_id, []).append(site)
    donated = {(d, zone.id): amount for d, _donor, kind, amount, *_rest, zone in _donation_rows(demo, dry=True)
               if kind == "meals" and zone is not None}
    point_rows = []
    for row in rows:
        sites = points[row["zone_id"]]
        weights = [(s.staff_on_duty or 2) * share.uniform(0.9, 1.1) for s in sites]
        meals = split_exact(row["meals"], weights, floor=1)
        gifts = split_exact(donated.get((row["day"], row["zone_id"]), 0), weights)
        point_rows += [dict(site_id=s.id, day=row["day"], meals=m, donated_meals=g, corrected=False,
                            correction_reason=None, version=1, updated_at=at(row["day"], 11), updated_by=cook)
                       for s, m, g in zip(sites, meals, gifts)]
    demo.bulk(MealPointDay, point_rows)


def _donation_rows(demo: Demo, dry: bool = False) -> tuple:
    """The register: (day, donor, kind, amount, description, donor kind, origin, anonymous, item code,
    estimated value, zone). Drawn from its own stream, so reading it twice gives the same rows."""
    rng = stream("donations")
    firms = [e.name for e in demo.enterprises if e.above_size]
    rng.shuffle(firms)
    people = Names(stream("donors")).many(6)
    villages = [v.name for v in demo.villages]
    z = demo.zones
    return (
        (feb(2), firms[0], "money", 50_000, "捐款用于购买防疫物资", "firm", "inside", False, None, None, None),
        (feb(3), f"{people[0]}（在外务工人员）", "money", 2_000, "寄回捐款", "person", "elsewhere", False, None, None, z[0]),
        (feb(4), firms[1], "goods", 1_000, "医用口罩1000只", "firm", "inside", False, "masks", 3_000, z[1]),
        (feb(5), f"{rng.choice(villages)}村民", "meals", 120, "饺子120份，送至村卡口", "resident_group", "inside", False,
         None, None, z[1]),
        (feb(7), firms[2], "goods", 100, "84消毒液100升", "firm", "inside", False, "disinfectant", 1_500, z[2]),
        (feb(9), people[1], "money", 1_000, "个人捐款", "person", "inside", True, None, None, z[2]),
        (feb(11), firms[3], "money", 30_000, "捐款", "firm", "inside", False, None, None, None),
        (feb(12), f"{people[2]}（在外工作）", "goods", 200, "方便面、矿泉水200箱，慰问卡口值守人员", "person", "elsewhere",
         False, None, 8_000, z[3]),
        (feb(14), f"{rng.choice(villages)}村民", "meals", 80, "热汤面80份", "resident_group", "inside", False, None, None,
         z[4]),
        (feb(16), "青岛康宁医疗器械有限公司", "goods", 20, "红外额温枪20支", "firm", "elsewhere", False, "thermometers",
         4_000, z[3]),
        (feb(18), people[3], "money", 5_000, "个人捐款", "person", "inside", True, None, None, None),
        (feb(19), firms[5], "money", 20_000, "捐款用于卡口值守补助", "firm", "inside", False, None, None, None),
        (feb(21), f"{rng.choice(villages)}村民", "meals", 150, "包子150份，送至路域卡口", "resident_group", "inside",
         False, None, None, z[5]),
        (feb(23), f"{people[4]}（在外务工人员）", "goods", 1_000, "一次性手套1000副", "person", "elsewhere", False, "gloves",
         500, z[0]),
        (feb(24), firms[6], "goods", 100, "防护服100套", "firm", "inside", False, "protective_suits", 12_000, z[5]),
    )


def add_donations(demo: Demo) -> None:
    """The register; a gift of a listed item goes into the zone's store as one movement (kind donation)."""
    clerk = demo.names()
    item_ids = dict(demo.session.execute(select(SupplyItem.code, SupplyItem.id)).all())
    gifts = _donation_rows(demo)
    demo.bulk(Donation, [dict(day=d, donor=donor, kind=kind, amount=amount, description=description,
                              donor_kind=donor_kind, donor_origin=origin, anonymous=anonymous,
                              item_id=item_ids[code] if code else None, estimated_value=value,
                              received_by=clerk, zone_id=zone.id if zone is not None else None, recorded_by=clerk)
                         for d, donor, kind, amount, description, donor_kind, origin, anonymous, code, value, zone
                         in gifts])
    ids = demo.session.execute(select(Donation.id).order_by(Donation.id)).scalars().all()
    demo.bulk(SupplyMovement, [
        dict(item_id=item_ids[code], zone_id=zone.id, day=d, quantity=amount, note=description, recorded_by=clerk,
             kind="donation", site_id=None, recipient_site_id=None, recipient=None, donation_id=donation_id,
             recorded_at=at(d, 4))
        for donation_id, (d, _donor, kind, amount, description, _k, _o, _a, code, _v, zone) in zip(ids, gifts)
        if kind == "goods" and code])
    keep_stock(demo.session)


# ---- people, units and A/B responsibility (抓好一线督导, AB角) --------------------------------------------

TASK_FORCES = CITY_DEPARTMENTS[:5]  # 党校, 财政局, 环保局, 工信局, 税务局 (the sixth, 开发区, is the zone's own staff)
TASK_FORCE_SIZES = (8, 7, 7, 7, 7)  # 36: three per road checkpoint, one on each shift's task-force place, every day
ZONE_STAFF = 6  # per work zone: three per road checkpoint (two each), on each shift's local place
DEPARTMENT_UNITS = {"econ_dev": "经济发展部", "investment": "招商部", "safety": "安全生产监督部"}  # own enterprises
POLICE, HEALTH_CENTRE = 4, 4
PHONE_PREFIX = "1700000"  # a reserved-looking range (1700000xxxx): never a real subscriber's number
ON_LEAVE = ("police", 3)  # one person on leave (请假), so the people page shows a status besides 在岗


@dataclass
class _Staff:
    """The demo's people by unit while they are built: unit code -> names (in order), and each name's unit
    code and title."""

    units: list[dict] = field(default_factory=list)
    members: dict[str, list[str]] = field(default_factory=dict)
    people: list[dict] = field(default_factory=list)

    def unit(self, code: str, name: str, kind: str, zone_id: int | None = None, site_id: int | None = None) -> str:
        self.units.append(dict(code=code, name=name, kind=kind, zone_id=zone_id, site_id=site_id, active=True,
                               version=1, updated_at=at(DEMO_START - dt.timedelta(days=3), 1), updated_by=LOADER))
        self.members[code] = []
        return code

    def join(self, code: str, name: str, title: str, zone_id: int | None) -> str:
        self.members[code].append(name)
        self.people.append(dict(name=name, unit=code, title=title, zone_id=zone_id))
        return name


def person_name(lead_cadre: str) -> tuple[str, str | None]:
    """"王建华（市委党校）" -> ("王建华", "市委党校"): a road checkpoint's lead names their department."""
    if "（" in lead_cadre:
        name, rest = lead_cadre.split("（", 1)
        return name, rest.rstrip("）")
    return lead_cadre, None


def _titled(names: list[str], first: str, rest: str) -> list[tuple[str, str]]:
    return [(n, first if k == 0 else rest) for k, n in enumerate(names)]


def add_people(demo: Demo) -> None:
    """Units and their people (the lead cadres and enterprise owners the pages name are people now), phones
    stored encrypted, and an A and a B for every line in every zone, every site and every enterprise."""
    rng = stream("people")
    staff = _Staff()
    road_leads = [person_name(s.lead_cadre) for s in demo.road_checkpoints]
    for k, zone in enumerate(demo.zones):
        code = staff.unit(f"Z{k + 1}-STAFF", f"{zone.name}工作人员", "zone_staff", zone.id)
        own = [n for (n, dept), s in zip(road_leads, demo.road_checkpoints) if dept not in TASK_FORCES and s.zone_id == zone.id]
        names = own + demo.names.many(ZONE_STAFF - len(own))
        for name, title in zip(names, ("管区书记", "管区主任") + ("工作人员",) * ZONE_STAFF):
            staff.join(code, name, title, zone.id)
    for department, unit_name in DEPARTMENT_UNITS.items():
        code = staff.unit(f"D-{department}", unit_name, "zone_staff")
        for name, title in _titled(demo.leaders[department], "部长", "科长"):
            staff.join(code, name, title, None)
    village_cp = {cp.parent_site_id: cp for cp in demo.village_checkpoints}
    for k, village in enumerate(demo.villages):
        code = staff.unit(f"V{k + 1:02d}", f"{village.name}两委", "village_cadres", village.zone_id, village.id)
        names = [village.lead_cadre, village_cp[village.id].lead_cadre, demo.names()]
        for name, title in zip(names, ("村党支部书记", "村委会主任", "村两委委员")):
            staff.join(code, name, title, village.zone_id)
    for k, compound in enumerate(demo.compounds):
        code = staff.unit(f"C{k + 1:02d}", f"{compound.name}值守组", "compound_team", compound.zone_id, compound.id)
        staff.join(code, compound.lead_cadre, "副科级干部", compound.zone_id)
        for name in demo.names.many(rng.randint(2, 3)):
            staff.join(code, name, "工作人员", compound.zone_id)
    for k, (department, size) in enumerate(zip(TASK_FORCES, TASK_FORCE_SIZES)):
        code = staff.unit(f"T{k + 1}", f"{department}工作组", "task_force")
        own = [n for n, dept in road_leads if dept == department]
        assert len(own) <= size, department
        for name, title in _titled(own + demo.names.many(size - len(own)), "组长", "队员"):
            staff.join(code, name, title, None)
    for code, name, kind, size, titles in (("POLICE", "开发区派出所", "police", POLICE, ("所长", "民警")),
                                           ("HEALTH", "开发区卫生院", "health_centre", HEALTH_CENTRE, ("院长", "医生"))):
        staff.unit(code, name, kind)
        for person, title in _titled(demo.names.many(size), *titles):
            staff.join(code, person, title, None)
    _insert_people(demo, staff)
    _insert_responsibilities(demo, staff)
    demo.teams = _rota(demo, staff, road_leads)


def _insert_people(demo: Demo, staff: _Staff) -> None:
    from . import personal

    demo.bulk(OrgUnit, staff.units)
    unit_ids = dict(demo.session.execute(select(OrgUnit.code, OrgUnit.id)).all())
    leave = staff.members[ON_LEAVE[0].upper()][ON_LEAVE[1]]
    rows = []
    for k, p in enumerate(staff.people, start=1):
        phone = f"{PHONE_PREFIX}{k:04d}"
        rows.append(dict(name=p["name"], unit_id=unit_ids[p["unit"]], zone_id=p["zone_id"], title=p["title"],
                         phone_cipher=personal.encrypt(phone), phone_hash=personal.lookup_hash(phone),
                         phone_masked=personal.mask_phone(phone), status="leave" if p["name"] == leave else "active",
                         note=None, version=1, updated_at=at(DEMO_START - dt.timedelta(days=3), 1), updated_by=LOADER))
    demo.bulk(Person, rows)
    demo.person_ids = dict(demo.session.execute(select(Person.name, Person.id)).all())
    assert len(demo.person_ids) == len(rows)  # names are unique in the demo: they find their person


def _insert_responsibilities(demo: Demo, staff: _Staff) -> None:
    from .models import RESPONSIBILITY_LINES

    ids = demo.person_ids
    blank = dict(line=None, zone_id=None, site_id=None, enterprise_id=None, version=1,
                 updated_at=at(DEMO_START - dt.timedelta(days=3), 1), updated_by=LOADER)
    rows = []
    for k, zone in enumerate(demo.zones):
        team = staff.members[f"Z{k + 1}-STAFF"]
        for i, line in enumerate(RESPONSIBILITY_LINES):  # 7 lines, 6 staff: the seventh's A has a second line, with another B
            rows.append({**blank, "line": line, "zone_id": zone.id, "a_person_id": ids[team[i % len(team)]],
                         "b_person_id": ids[team[(i + 1 + i // len(team)) % len(team)]]})
    village_cadres = {v.id: staff.members[f"V{k + 1:02d}"] for k, v in enumerate(demo.villages)}
    for k, compound in enumerate(demo.compounds):  # the 副科级干部 (A) and the first of their staff (B)
        team = staff.members[f"C{k + 1:02d}"]
        rows.append({**blank, "site_id": compound.id, "a_person_id": ids[team[0]], "b_person_id": ids[team[1]]})
    for village in demo.villages:  # the Party secretary (A), the third cadre (B)
        cadres = village_cadres[village.id]
        rows.append({**blank, "site_id": village.id, "a_person_id": ids[cadres[0]], "b_person_id": ids[cadres[2]]})
    for cp in demo.village_checkpoints:  # the checkpoint's lead (A), the village's Party secretary (B)
        cadres = village_cadres[cp.parent_site_id]
        rows.append({**blank, "site_id": cp.id, "a_person_id": ids[cadres[1]], "b_person_id": ids[cadres[0]]})
    for k, cp in enumerate(demo.road_checkpoints):  # the lead (A), the zone's Party secretary or director (B)
        lead = person_name(cp.lead_cadre)[0]
        team = staff.members[f"Z{demo.zones.index(next(z for z in demo.zones if z.id == cp.zone_id)) + 1}-STAFF"]
        backup = next(n for n in team if n != lead)
        rows.append({**blank, "site_id": cp.id, "a_person_id": ids[lead], "b_person_id": ids[backup]})
    for enterprise in demo.enterprises:  # the owner (A) and backup (B) the reopening pages showed
        rows.append({**blank, "enterprise_id": enterprise.id, "a_person_id": ids[enterprise.owner],
                     "b_person_id": ids[enterprise.owner_backup]})
    demo.bulk(Responsibility, rows)


def _rota(demo: Demo, staff: _Staff, road_leads: list[tuple[str, str | None]]) -> dict[int, list[list[str]]]:
    """Each duty point's places per shift, each place a team taking turns (a road checkpoint: a task-force
    trio and a trio of the zone's staff, its lead among them; a village checkpoint: the village's three
    cadres; a compound gate: its team of three or four)."""
    task_force = [n for k in range(len(TASK_FORCES)) for n in staff.members[f"T{k + 1}"]]
    leads = {lead for lead, _ in road_leads}
    zone_staff = {z.id: sorted(staff.members[f"Z{k + 1}-STAFF"], key=lambda n: n in leads)  # leads last: kept
                  for k, z in enumerate(demo.zones)}                                          # for their own point
    free_tf = [n for n in task_force if n not in leads]
    teams: dict[int, list[list[str]]] = {}
    for cp, (lead, department) in zip(demo.road_checkpoints, road_leads):
        local = zone_staff[cp.zone_id]
        if department in TASK_FORCES:
            trio = [lead] + [free_tf.pop(0) for _ in range(2)]
            mine = [local.pop(0) for _ in range(3)]
        else:  # the lead is the zone's own
            trio = [free_tf.pop(0) for _ in range(3)]
            local.remove(lead)
            mine = [lead] + [local.pop(0) for _ in range(2)]
        teams[cp.id] = [trio, mine]
    assert not free_tf and not any(zone_staff.values())  # everyone has a place
    village_cadres = {v.id: staff.members[f"V{k + 1:02d}"] for k, v in enumerate(demo.villages)}
    for cp in demo.village_checkpoints:
        teams[cp.id] = [village_cadres[cp.parent_site_id]]
    for k, compound in enumerate(demo.compounds):
        teams[compound.id] = [staff.members[f"C{k + 1:02d}"]]
    return teams


# ---- the duty roster (值班排班) -----------------------------------------------------------------------------

ROSTER_END = dt.date(2020, 2, 29)  # rostered through February (ahead of the demo's now, 26 February)
REQUIRED = {"road": 2, "village": 1, "compound": 1}  # people per shift at each kind of duty point
# Deliberate holes: (day, shift code, kind of point, its index in the demo's list, places left empty, of the
# places kept the ones found absent). At the demo's now (26 Feb, 09:30, the 8-16 shift) the board shows a
# village checkpoint with nobody (red), a road checkpoint short by one and another with one absent.
DUTY_GAPS = (
    (feb(20), "night", "village", 12, (0,), ()),
    (feb(24), "night", "road", 0, (1,), ()),
    (feb(26), "day", "village", 2, (0,), ()),
    (feb(26), "day", "road", 3, (1,), ()),
    (feb(26), "day", "road", 7, (), (1,)),
    (feb(26), "evening", "compound", 2, (0,), ()),
    (feb(28), "night", "road", 9, (0,), ()),
)


def _point_kind(site: Site) -> str:
    return "compound" if site.kind == "compound" else site.checkpoint_type


def _shift_ids(session: Session) -> dict[str, int]:
    """The shifts migration 0010 made (night 0-8, day 8-16, evening 16-24), by code."""
    found = dict(session.execute(select(DutyShift.code, DutyShift.id)).all())
    assert {"night", "day", "evening"} <= set(found), found
    return found


def add_duty(demo: Demo) -> None:
    """Head counts per point and shift, and the roster of every checkpoint and compound gate, every shift of
    February: each place's team takes turns (backwards: evening, day, night, so no one serves two shifts in
    a row), bar the deliberate gaps; an inspection that found the post unmanned marks one rostered absent."""
    shifts = _shift_ids(demo.session)
    codes = ("night", "day", "evening")
    points = demo.road_checkpoints + demo.village_checkpoints + demo.compounds
    demo.bulk(DutyPost, [dict(site_id=p.id, shift_id=shifts[c], required=REQUIRED[_point_kind(p)], version=1,
                              updated_at=at(DEMO_START - dt.timedelta(days=3), 1), updated_by=LOADER)
                         for p in points for c in codes])
    lists = {"road": demo.road_checkpoints, "village": demo.village_checkpoints, "compound": demo.compounds}
    holes = {(d, c, lists[kind][k].id): (set(empty), set(absent)) for d, c, kind, k, empty, absent in DUTY_GAPS}
    scheduler = demo.names()
    rows = []
    for n, day in enumerate(days(DEMO_START, ROSTER_END)):
        planned = at(day - dt.timedelta(days=day.weekday() + 2), 2)  # the Saturday before the week
        for s, code in enumerate(codes):
            for point in points:
                empty, absent = holes.get((day, code, point.id), ((), ()))
                for place, team in enumerate(demo.teams[point.id]):
                    if place in empty:
                        continue
                    rows.append(dict(site_id=point.id, day=day, shift_id=shifts[code],
                                     person_id=demo.person_ids[team[(s + n) % len(team)]], absent=place in absent,
                                     absent_inspection_id=None, recorded_by=scheduler, recorded_at=planned))
    demo.bulk(DutyAssignment, rows, copy=True)
    _inspections_on_shift(demo, shifts["day"])


def _inspections_on_shift(demo: Demo, day_shift: int) -> None:
    """The discipline committee visits by day (the 8-16 shift); a visit that found staff not at post marks
    the last rostered person of that shift absent (the finding reads "现场仅1人值守")."""
    conn = demo.session.connection()
    conn.execute(Inspection.__table__.update().values(shift_id=day_shift))
    A = DutyAssignment.__table__
    for inspection_id, site_id, day in conn.execute(
            select(Inspection.id, Inspection.site_id, Inspection.day).where(Inspection.staff_at_post.is_(False))
            .order_by(Inspection.id)).all():
        last = conn.execute(select(func.max(A.c.id)).where(A.c.site_id == site_id, A.c.day == day,
                                                             A.c.shift_id == day_shift)).scalar()
        if last is not None:
            conn.execute(A.update().where(A.c.id == last).values(absent=True, absent_inspection_id=inspection_id))


# ---- compound gate registrations (门岗登记, issue 17) ---------------------------------------------------------
#
# Synthetic people who cannot be anyone: every resident ID number starts with the area code 99xxxx, and no
# administrative division code begins with 99 (GB/T 2260's province codes are 11-65, 71, 81 and 82), so no
# identity card was ever issued with one; the birth dates are real dates and the check digit is right (GB
# 11643), so the numbers pass the form's validation like real ones. Other documents read "DM..." (no passport,
# Hong Kong/Macao or Taiwan permit is numbered so). Phones are 17000010000-17000099999: 170 is the virtual-
# operator block, and its 1700000-1700009 numbers are the demo's own (the demo's staff have 1700000xxxx,
# the people at the gates 1700001xxxx-1700009xxxx), the way the issue asks for a reserved range.

GATE_ID_AREA = "99"
GATE_PHONE_FIRST = 17_000_010_000
YANTAI = dt.timezone(dt.timedelta(hours=8))
# Residents through the gate a day, as a share of the people a compound knows of: one in ~90 while everyone
# stayed in (one shopper per household every few days), one in ~55 once work resumed on 10 February.
GATE_DAILY_SHARE = (0.011, 0.018)
GATE_POOL_SHARE = 0.09  # the compound's regulars: the people who do its errands, ~9 % of its people
GATE_OUT_HOURS = {6: 1, 7: 3, 8: 6, 9: 8, 10: 8, 11: 5, 12: 2, 13: 2, 14: 4, 15: 5, 16: 5, 17: 3, 18: 1, 19: 1}
GATE_MULTI = 5  # people registered at two or more compounds (visiting parents): the follow-up list
GATE_FEVERS = 4  # entries measured at 37.3 °C or more
GATE_OTHER_DOCS = (("passport", "DMP"), ("hk_macao", "DMH"), ("taiwan", "DMT"), ("other", "DMO"))
ORIGINS = ("武汉市", "北京市", "上海市", "天津市", "青岛市", "济南市", "潍坊市", "大连市", "沈阳市", "哈尔滨市",
           "杭州市", "温州市", "广州市", "深圳市", "郑州市", "西安市")


def resident_id(area: str, born: dt.date, sequence: int) -> str:
    """An 18-character resident ID number: area, birth date, sequence, check digit (GB 11643)."""
    from .personal import id_check_character

    body = f"{area}{born:%Y%m%d}{sequence:03d}"
    return body + id_check_character(body)


@dataclass
class _Visitor:
    """One person at the gates: their numbers encrypted once, the tokens reused by every registration (as the
    entry form's look-up reuses a returning person's)."""

    name: str
    doc_type: str
    building: str
    cipher: dict
    from_outside: bool = False
    origin: str | None = None


class _GatePeople:
    def __init__(self, rng: random.Random, names: Names):
        self.rng, self.names = rng, names
        self.ids: set[str] = set()
        self.count = 0

    def _document(self) -> tuple[str, str]:
        if self.rng.random() < 0.03:
            doc_type, prefix = self.rng.choice(GATE_OTHER_DOCS)
            return doc_type, f"{prefix}{self.count:08d}"
        while True:
            born = dt.date(1940, 1, 1) + dt.timedelta(days=self.rng.randint(0, 365 * 65))
            number = resident_id(f"{GATE_ID_AREA}{self.rng.randint(0, 9999):04d}", born, self.rng.randint(0, 999))
            if number not in self.ids:
                self.ids.add(number)
                return "resident_id", number

    def __call__(self, building: str, origin: str | None = None) -> _Visitor:
        from .gate import document_values, phone_values  # the entry form's own: cipher, keyed hash, mask

        doc_type, number = self._document()
        phone = str(GATE_PHONE_FIRST + self.count) if self.rng.random() < 0.95 else None
        self.count += 1
        cipher = {**document_values(doc_type, number), **phone_values(phone)}
        del cipher["doc_type"]
        return _Visitor(self.names(), doc_type, building, cipher, origin is not None, origin)


def _building(rng: random.Random, households: int) -> str:
    """楼盘座号: building, unit, room (six floors, two flats a landing)."""
    return (f"{rng.randint(1, max(3, households // 36))}号楼{rng.randint(1, 3)}单元"
            f"{rng.randint(1, 6)}0{rng.randint(1, 2)}")


def _gate_moment(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=YANTAI)


def add_gate(demo: Demo) -> None:
    """A few thousand registrations at the 14 compounds' gates from 1 February to the demo's now: residents out on
    errands and back (pairs), people arriving from outside the city (no more by the survey's day than the survey
    counted there), a few people visiting another compound, a few fevers; and the hourly counts kept from them."""
    from .gate import rebuild_kept  # the kept counts and stays from the rows, as every registration's write keeps them

    rng = stream("gate")
    people = _GatePeople(rng, demo.names)
    now = dt.datetime.fromisoformat(DEMO_NOW)
    surveyed = {s: (d, n) for s, d, n in demo.session.execute(
        select(SurveyRound.site_id, SurveyRound.day, SurveyRound.people_from_outside).where(SurveyRound.round_no == 2))}
    gate_days = days(DEMO_START, now.date())
    passes: list[tuple] = []  # (moment, site, direction, visitor, temperature)

    def normal() -> Decimal:
        return Decimal(rng.choice(("36.1", "36.2", "36.3", "36.4", "36.5", "36.5", "36.6", "36.6", "36.7", "36.8")))

    busy: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}  # a person is out (or away) once at a time

    def free(visitor: _Visitor, start: dt.datetime, end: dt.datetime) -> bool:
        taken = busy.setdefault(visitor.name, [])
        if any(start <= e and s <= end for s, e in taken):
            return False
        taken.append((start, end))
        return True

    pools = {}
    for compound in demo.compounds:
        size = max(12, round(compound.people_known * GATE_POOL_SHARE))
        pools[compound.id] = [people(_building(rng, compound.households_known)) for _ in range(size)]
    hours, hour_weights = list(GATE_OUT_HOURS), list(itertools.accumulate(GATE_OUT_HOURS.values()))
    for compound in demo.compounds:
        pool = pools[compound.id]
        often = list(itertools.accumulate(rng.uniform(0.3, 3.0) for _ in pool))  # some go out far more than others
        survey_day, from_outside = surveyed[compound.id]
        for day in gate_days:
            share = GATE_DAILY_SHARE[day >= HIGHWAYS_REOPEN]
            for _ in range(max(1, round(compound.people_known * share * rng.uniform(0.7, 1.3)))):
                while True:
                    visitor = rng.choices(pool, cum_weights=often)[0]
                    out = _gate_moment(day, rng.choices(hours, cum_weights=hour_weights)[0], rng.randint(0, 59))
                    back = out + dt.timedelta(minutes=rng.randint(25, 180))
                    if free(visitor, out, back):
                        break
                passes.append((out, compound.id, "out", visitor, None))
                passes.append((back, compound.id, "in", visitor, normal()))
        # arrivals from outside the city: by the survey's day no more than it counted, a few after it
        before = math.ceil(from_outside * rng.uniform(0.5, 0.9))
        after = rng.randint(0, 2)
        for n in range(before + after):
            first, last = (DEMO_START, survey_day) if n < before else (survey_day + dt.timedelta(days=1), now.date())
            day = first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))
            visitor = people(_building(rng, compound.households_known), rng.choice(ORIGINS))
            passes.append((_gate_moment(day, rng.randint(8, 21), rng.randint(0, 59)), compound.id, "in", visitor,
                           normal()))
    # people visiting parents at another compound: out of their own, in and out there, home again
    for n in range(GATE_MULTI):
        home = demo.compounds[(3 * n) % len(demo.compounds)]
        visitor = rng.choice(pools[home.id])
        elsewhere = [c for c in demo.compounds if c.id != home.id]
        visited = rng.sample(elsewhere, 2 if n == 0 else 1)  # one visits two other compounds
        for k in range(rng.randint(2, 4)):
            there = visited[k % len(visited)]
            while True:
                leave = _gate_moment(rng.choice(gate_days[:-1]), rng.randint(8, 15), rng.randint(0, 59))
                arrive = leave + dt.timedelta(minutes=rng.randint(15, 40))
                go = arrive + dt.timedelta(minutes=rng.randint(60, 150))
                home_again = go + dt.timedelta(minutes=rng.randint(15, 40))
                if free(visitor, leave, home_again):
                    break
            passes += [(leave, home.id, "out", visitor, None), (arrive, there.id, "in", visitor, normal()),
                       (go, there.id, "out", visitor, None), (home_again, home.id, "in", visitor, normal())]
    passes = sorted((p for p in passes if p[0] < now), key=lambda p: (p[0], p[1], p[2], p[3].name))
    entries = [k for k, p in enumerate(passes) if p[2] == "in" and p[0].date() < now.date()]
    for k in rng.sample(entries, GATE_FEVERS):
        passes[k] = passes[k][:4] + (Decimal(rng.choice(("37.3", "37.5", "37.8", "38.2"))),)
    rows = [dict(site_id=site_id, direction=direction, at=moment.astimezone(UTC), doc_type=visitor.doc_type,
                 **visitor.cipher, name=visitor.name, building=visitor.building,
                 from_outside=visitor.from_outside and direction == "in", origin=visitor.origin,
                 temperature=temperature, recorded_by=LOADER,
                 recorded_at=(moment + dt.timedelta(seconds=rng.randint(20, 150))).astimezone(UTC))
            for moment, site_id, direction, visitor, temperature in passes]
    demo.bulk(GateRegistration, rows, copy=True)
    rebuild_kept(demo.session.connection())  # gate_hour_count, gate_day_count, gate_person_site: as the writes keep them


# ---- accounts, the wall's key, settings ---------------------------------------------------------------

DEMO_USERS = (  # username, role, display name, zone codes
    ("admin", "admin", "系统管理员（演示）", ()),
    ("supervisor", "supervisor", "督导组（演示）", ()),
    ("clerk", "clerk", "第一工作管区填报员（演示）", ("Z1",)),
    ("viewer", "viewer", "指挥部值班室（演示）", ()),
)


# The gate account (issue 17): a clerk scoped to one compound only (a site scope), for the phone layout of 门岗登记.
GATE_USER = ("gate", "clerk", "翠湖小区门岗（演示）", "翠湖小区")


def add_accounts(demo: Demo) -> None:
    zone_ids = {z.code: z.id for z in demo.zones}
    # One scrypt hash of the demo's published password for every demo account (each hash costs ~50 ms of the
    # load; a shared salt tells nothing about a password everyone is told).
    password_hash = hash_password(DEMO_PASSWORD)
    for username, role, display_name, codes in DEMO_USERS:
        user = User(username=username, display_name=display_name, role=role, password_hash=password_hash,
                    active=True, is_demo=True)
        user.scopes.extend(UserScope(zone_id=zone_ids[c]) for c in codes)
        demo.session.add(user)
    username, role, display_name, compound = GATE_USER
    site = next(c for c in demo.compounds if c.name == compound)
    user = User(username=username, display_name=display_name, role=role, password_hash=password_hash, active=True,
                is_demo=True)
    user.scopes.append(UserScope(site_id=site.id))
    demo.session.add(user)
    demo.session.add(DisplayKey(key_hash=hash_display_key(DEMO_DISPLAY_KEY), label="指挥部大屏", zone_id=None,
                                created_by=LOADER, is_demo=True))


def _set(session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


COUNTED = (WorkZone, Site, CheckpointDay, Enterprise, ReopeningStep, Shop, SurveyRound, Inspection, Finding,
           SupplyItem, SupplyMovement, SupplyStock, MealDay, MealPointDay, Donation, User, UserScope, DisplayKey,
           OrgUnit, Person, Responsibility, DutyPost, DutyAssignment, GateRegistration, GateHourCount,
           GateDayCount, GatePersonSite)


def build_demo(session: Session) -> dict[str, int]:
    """Insert the whole demo data set into an open session (flushed, not committed); returns row counts."""
    demo = Demo(session=session, names=Names(stream("names")))
    add_territory(demo)
    add_traffic(demo)
    add_enterprises(demo)
    add_shops(demo)
    add_surveys(demo)
    add_inspections(demo)
    add_supplies(demo)
    add_meals(demo)
    add_donations(demo)
    add_accounts(demo)
    add_people(demo)
    add_duty(demo)
    add_gate(demo)
    _set(session, DATASET_KEY, "demo")
    _set(session, "stuck_after_days", str(STUCK_AFTER_DAYS))
    _set(session, SEASON_START_KEY, DEMO_SEASON_START.isoformat())
    _set(session, DEMO_NOW_KEY, DEMO_NOW)
    session.flush()
    return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in COUNTED}


# ---- loading ---------------------------------------------------------------------------------------

REAL_DATA_TABLES = (WorkZone, Site, CheckpointDay, Enterprise, Shop)


class _AlreadyLoaded(Exception):
    """Raised inside the write transaction to leave without writing (nor bumping the data version)."""


def _state(session: Session) -> str:
    """'demo' (loaded already), 'real' (someone's data: hands off) or 'empty'."""
    if session.scalar(select(Setting.value).where(Setting.key == DATASET_KEY)) == "demo":
        return "demo"
    for model in REAL_DATA_TABLES:
        if session.scalar(select(model.id).limit(1)) is not None:
            return "real"
    if session.scalar(select(User.id).where(User.is_demo.is_(False)).limit(1)) is not None:
        return "real"
    return "empty"


def load_demo(engine=None) -> str:
    """Fill an empty database with the demo data set: "loaded", or "already" (nothing changed).

    Raises RealDataPresent (nothing changed) when the database holds real data.
    """
    engine = engine or get_engine()
    if is_demo(engine):
        return "already"
    try:
        with write_session(engine) as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": DEMO_LOCK_ID})
            state = _state(session)
            if state == "demo":
                raise _AlreadyLoaded
            if state == "real":
                raise RealDataPresent()
            counts = build_demo(session)
            audit(session, LOADER, "load_demo", "setting", None, None, {"rows": counts})
    except _AlreadyLoaded:
        return "already"
    from .schema import refresh_statistics

    refresh_statistics(engine)  # a bulk load: the planner's statistics are stale now
    return "loaded"


def is_demo(engine=None) -> bool:
    """Is the demo data set loaded here?"""
    with read_connection(engine) as conn:
        return conn.execute(select(Setting.value).where(Setting.key == DATASET_KEY)).scalar() == "demo"
