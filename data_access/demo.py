"""The demo data set: February 2020 in the Qixia Economic Development Zone, reproducing the report.

Deterministic (a fixed seed, no dependence on today's date). Every figure the report states is
exact by construction, counted straight from the tables: totals are split into parts with a
largest-remainder split, never drawn at random and hoped for. Place names are invented.
"""
from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .audit import audit
from .auth import hash_display_key, hash_password
from .db import read_connection, write_session
from .errors import DataError
from .models import (
    CheckpointDay, DisplayKey, Donation, Enterprise, Finding, Inspection, MealDay, ReopeningStep, Setting, Shop,
    Site, SupplyItem, SupplyMovement, SurveyRound, User, UserScope, WorkZone,
)

SEED = 20200226
DEMO_START = dt.date(2020, 2, 1)
DEMO_AS_OF = dt.date(2020, 2, 25)
REOPENING_DAY = dt.date(2020, 2, 10)
LOADER = "demo-loader"

# The report's figures (DOMAIN.md, "demo: exact").
VILLAGES_PER_ZONE = (6, 5, 7, 4, 6, 6)  # 4–7 each, 34 in all
COMPOUNDS_PER_ZONE = (2, 3, 2, 3, 2, 2)  # 14 in all
COMPOUNDS_WITHOUT_MANAGEMENT = 7
ENTERPRISES, ABOVE_SIZE = 119, 24
APPROVED, APPROVED_ABOVE_SIZE, APPROVED_EMPLOYEES, APPROVED_FROM_OUTSIDE = 69, 22, 4_892, 164
SHOPS, SHOPS_OPEN, OPEN_STAFF, OPEN_STAFF_FROM_OUTSIDE = 453, 58, 123, 17
VILLAGE_HOUSEHOLDS, VILLAGE_PEOPLE = 7_718, 11_222
COMPOUND_HOUSEHOLDS, COMPOUND_PEOPLE = 2_015, 5_276
VEHICLES, PERSONS, BUSIEST_DAY_VEHICLES = 15_294, 28_225, 1_656
BUSIEST_DAY = REOPENING_DAY  # the first morning of work: everyone on the road at once

# Zone bounding box: east of Qixia city, towards Penglai and Fushan.
WEST, EAST, SOUTH, NORTH = 120.86, 120.99, 37.29, 37.37

ZONE_NAMES = ("第一工作管区", "第二工作管区", "第三工作管区", "第四工作管区", "第五工作管区", "第六工作管区")
VILLAGE_NAMES = (
    "东庄村", "西河村", "南岚村", "北埠村", "前寨村", "后疃村", "杨家庄", "李家沟", "王家店", "张家泊",
    "赵格庄", "孙家埠", "大柳家", "小观村", "松山村", "桃园村", "杏花村", "石门村", "龙泉村", "凤凰村",
    "上夼村", "下夼村", "河南村", "河北村", "官道村", "新立村", "庙后村", "花园村", "东林村", "西林村",
    "泉水村", "马家沟", "郭家店", "韩家庄",
)
COMPOUND_NAMES = (
    "阳光花园", "锦绣家园", "翠湖小区", "金苹果小区", "东方名苑", "霞光里", "幸福小区", "和平小区",
    "盛世华庭", "滨河湾", "御景园", "紫荆苑", "丽景花园", "开发区职工小区",
)
CADRES = ("刘建国", "王志强", "陈晓东", "李海涛", "张伟", "赵立新", "孙明", "周涛", "吴刚", "郑凯",
          "冯军", "褚红", "卫东", "蒋峰")
LEADERS = ("曲书记", "王主任", "林副主任", "杜部长", "宋部长", "姜部长", "邹部长", "于主任")
INSPECTORS = ("纪工委 于洋", "纪工委 邢磊", "纪工委 牟丽")
ROADS = ("中古线", "802省道", "中古线", "802省道", "霞光路", "桃村线")
FIRM_PARTS = (("鑫源", "恒通", "福瑞", "华泰", "金岭", "宏达", "瑞丰", "东海", "昌盛", "永兴", "兴业", "万和"),
              ("机械", "食品", "果业", "包装", "建材", "电子", "化工", "纺织", "物流", "塑业"))
SHOP_CATEGORY_COUNTS = {"supermarket": 62, "pharmacy": 21, "restaurant": 148, "hotel": 27, "grain_oil": 36, "other": 159}
SHOP_WORDS = {"supermarket": "超市", "pharmacy": "大药房", "restaurant": "饭店", "hotel": "宾馆",
              "grain_oil": "粮油店", "other": "商行"}
SUPPLIES = (  # code, name, unit, low threshold per zone
    ("masks", "医用口罩", "只", 500),
    ("disinfectant", "消毒液", "升", 40),
    ("thermometers", "体温枪", "把", 4),
    ("gloves", "一次性手套", "副", 300),
    ("protective_suits", "防护服", "套", 10),
)


class RealDataPresent(DataError):
    zh = "数据库中已有真实数据，拒绝载入演示数据（以免混淆真实与演示数字）"
    en = "This database holds real data; the demo data set is not loaded over it (real and demo figures must never mix)"

    def __init__(self):
        super().__init__(self.en)


# ---- helpers -----------------------------------------------------------------------------------

def split(total: int, weights: list[float]) -> list[int]:
    """Whole parts of `total` in proportion to `weights`, summing to it exactly (largest remainder)."""
    scale = sum(weights)
    raw = [total * w / scale for w in weights]
    parts = [int(x) for x in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (raw[i] - parts[i], -i), reverse=True)
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def polygon(rng: random.Random, west: float, south: float, east: float, north: float, margin: float = 0.12) -> str:
    """An irregular polygon inside a cell: its corners and edge midpoints, nudged a little."""
    dx, dy = (east - west), (north - south)
    w, e = west + dx * margin, east - dx * margin
    s, n = south + dy * margin, north - dy * margin
    jitter = lambda: rng.uniform(-0.06, 0.06)
    points = [(w, s), ((w + e) / 2, s + dy * jitter()), (e, s), (e + dx * jitter(), (s + n) / 2), (e, n),
              ((w + e) / 2, n + dy * jitter()), (w, n), (w + dx * jitter(), (s + n) / 2)]
    ring = [[round(x, 5), round(y, 5)] for x, y in points]
    return json.dumps({"type": "Polygon", "coordinates": [ring + [ring[0]]]})


def rectangle(west: float, south: float, east: float, north: float) -> str:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [[[round(x, 5), round(y, 5)] for x, y in ring]]})


# ---- the territory -----------------------------------------------------------------------------

def build_territory(session: Session, rng: random.Random) -> dict:
    """6 zones in a 3 x 2 grid; each zone a 3 x 3 grid of cells holding its villages, then compounds."""
    zone_w, zone_h = (EAST - WEST) / 3, (NORTH - SOUTH) / 2
    village_names, compound_names, cadres = iter(VILLAGE_NAMES), iter(COMPOUND_NAMES), iter(CADRES)
    without_management = set(rng.sample(range(sum(COMPOUNDS_PER_ZONE)), COMPOUNDS_WITHOUT_MANAGEMENT))
    zones, villages, compounds, checkpoints = [], [], [], []
    compound_number = 0
    for index, name in enumerate(ZONE_NAMES):
        west, south = WEST + (index % 3) * zone_w, SOUTH + (index // 3) * zone_h
        zone = WorkZone(code=f"Z{index + 1}", name=name, geometry=rectangle(west, south, west + zone_w, south + zone_h))
        session.add(zone)
        session.flush()
        zones.append(zone)
        cells = [(west + (c % 3) * zone_w / 3, south + (c // 3) * zone_h / 3) for c in range(9)]
        rng.shuffle(cells)
        for n in range(VILLAGES_PER_ZONE[index]):
            x, y = cells.pop()
            villages.append(Site(kind="village", zone_id=zone.id, name=next(village_names),
                                 geometry=polygon(rng, x, y, x + zone_w / 3, y + zone_h / 3),
                                 lon=round(x + zone_w / 6, 5), lat=round(y + zone_h / 6, 5),
                                 lead_cadre=f"驻村干部 {rng.choice(LEADERS)}", staff_on_duty=rng.randint(2, 4)))
        for n in range(COMPOUNDS_PER_ZONE[index]):
            x, y = cells.pop()
            compounds.append(Site(kind="compound", zone_id=zone.id, name=next(compound_names),
                                  geometry=polygon(rng, x, y, x + zone_w / 3, y + zone_h / 3, margin=0.28),
                                  lon=round(x + zone_w / 6, 5), lat=round(y + zone_h / 6, 5),
                                  has_property_management=compound_number not in without_management,
                                  lead_cadre=f"{next(cadres)}（副科级）", staff_on_duty=rng.randint(1, 3)))
            compound_number += 1
        # Two road checkpoints on the zone's outer edges, where the roads leave it.
        for n in range(2):
            lon = west + (0.15 if n == 0 else 0.85) * zone_w
            lat = south + (0.05 if index < 3 else 0.95) * zone_h
            checkpoints.append(Site(kind="checkpoint", checkpoint_type="road", zone_id=zone.id,
                                    road=ROADS[(index + n) % len(ROADS)],
                                    name=f"{ROADS[(index + n) % len(ROADS)]}{name[1]}区{'东' if n else '西'}卡口",
                                    lon=round(lon, 5), lat=round(lat, 5)))
    session.add_all(villages + compounds + checkpoints)
    session.flush()
    village_checkpoints = [
        Site(kind="checkpoint", checkpoint_type="village", zone_id=v.zone_id, name=f"{v.name}卡口",
             parent_site_id=v.id, road="村道", lon=v.lon, lat=round(v.lat - 0.002, 5))
        for v in villages
    ]
    session.add_all(village_checkpoints)
    session.flush()
    return {"zones": zones, "villages": villages, "compounds": compounds, "road": checkpoints,
            "village_checkpoints": village_checkpoints}


# ---- checkpoint traffic ------------------------------------------------------------------------

def daily_vehicle_totals(rng: random.Random) -> dict[dt.date, int]:
    """Low while highways were closed (Feb 1–9), a rush on reopening day, then about 900 a day."""
    closed = days(DEMO_START, REOPENING_DAY - dt.timedelta(days=1))
    after = days(REOPENING_DAY + dt.timedelta(days=1), DEMO_AS_OF)
    closed_total = 900
    closed_parts = split(closed_total, [rng.uniform(0.8, 1.2) for _ in closed])
    rest = VEHICLES - closed_total - BUSIEST_DAY_VEHICLES
    after_parts = split(rest, [rng.uniform(0.85, 1.15) * (1 + 0.01 * n) for n, _ in enumerate(after)])
    totals = dict(zip(closed, closed_parts)) | {REOPENING_DAY: BUSIEST_DAY_VEHICLES} | dict(zip(after, after_parts))
    assert max(v for d, v in totals.items() if d != BUSIEST_DAY) < BUSIEST_DAY_VEHICLES
    return totals


def build_traffic(session: Session, rng: random.Random, road: list[Site]) -> None:
    vehicles_by_day = daily_vehicle_totals(rng)
    all_days = sorted(vehicles_by_day)
    persons_by_day = dict(zip(all_days, split(PERSONS, [vehicles_by_day[d] * rng.uniform(1.7, 2.0) for d in all_days])))
    busy = [1.6 if s.road in ("中古线", "802省道") else 0.7 for s in road]  # the two main roads carry most
    rows = []
    for day in all_days:
        weights = [b * rng.uniform(0.8, 1.2) for b in busy]
        vehicles = split(vehicles_by_day[day], weights)
        persons = split(persons_by_day[day], [w * rng.uniform(0.9, 1.1) for w in weights])
        outside_share = 0.09 if day < REOPENING_DAY else 0.05
        for site, v, p in zip(road, vehicles, persons):
            rows.append(CheckpointDay(
                site_id=site.id, day=day, vehicles=v, persons=p,
                persons_from_outside=min(p, round(p * outside_share * rng.uniform(0.6, 1.4))),
                turned_back=min(p, round(p * rng.uniform(0.005, 0.03))),
                abnormal_temperature=1 if p and rng.random() < 0.02 else 0,
                version=1, updated_at=dt.datetime.combine(day, dt.time(20, 0), dt.timezone.utc),
                updated_by="卡口值班员",
            ))
    session.add_all(rows)


# ---- enterprises and reopening ------------------------------------------------------------------

# Final states of the 119 (how many, of which above size). Working ones (69) count as approved.
PLAN = (
    ("phone_verified", 40, 13), ("inspected_after", 15, 5), ("approved", 12, 3), ("resumed", 2, 1),
    ("suspended", 3, 1), ("refused", 3, 0),
    ("letters_signed", 5, 1), ("inspected_before", 5, 0), ("applied", 6, 0),
    ("not_applied", 28, 0),
)
WORKING_FINAL = ("phone_verified", "inspected_after", "approved", "resumed")


def _step(enterprise: Enterprise, step: str, day: dt.date, rng: random.Random, **extra) -> ReopeningStep:
    return ReopeningStep(enterprise_id=enterprise.id, step=step, day=day, recorded_by=enterprise.owner or LOADER,
                         recorded_at=dt.datetime.combine(day, dt.time(17, 0), dt.timezone.utc), **extra)


def _path(final: str, enterprise: Enterprise, rng: random.Random) -> list[ReopeningStep]:
    """The dated steps that lead an enterprise to its final state, in the report's order."""
    stuck = final in ("applied", "letters_signed") and rng.random() < 0.6
    start = (dt.date(2020, 2, 12) + dt.timedelta(days=rng.randint(0, 3)) if stuck
             else dt.date(2020, 2, 20) + dt.timedelta(days=rng.randint(0, 3)) if final in ("applied", "inspected_before", "letters_signed")
             else dt.date(2020, 2, 7) + dt.timedelta(days=rng.randint(0, 6)))
    when = [start]
    later = lambda low=1, high=2: when.append(when[-1] + dt.timedelta(days=rng.randint(low, high))) or when[-1]
    steps = [_step(enterprise, "applied", start, rng, note="提交复工申请及防控方案")]
    if final == "applied":
        return steps
    if final == "refused":
        steps.append(_step(enterprise, "inspected_before", later(), rng, passed=False, note="防控物资不足"))
        steps.append(_step(enterprise, "refused", when[-1], rng, reason="审批前实地检查未通过：无隔离观察室、测温登记缺失"))
        return steps
    steps.append(_step(enterprise, "inspected_before", later(), rng, passed=True, note="防控措施到位"))
    if final == "inspected_before":
        return steps
    steps.append(_step(enterprise, "letters_signed", later(0, 1), rng, note="防控、安全、健康三个承诺书已签"))
    if final == "letters_signed":
        return steps
    approved_on = max(REOPENING_DAY, later(1, 2))
    when[-1] = approved_on
    steps.append(_step(enterprise, "approved", approved_on, rng))
    if final == "approved":
        return steps
    steps.append(_step(enterprise, "inspected_after", later(1, 3), rng, passed=True, note="复工后防控措施落实"))
    if final == "inspected_after":
        return steps
    if final in ("suspended", "resumed"):
        steps.append(_step(enterprise, "phone_verified", later(1, 2), rng, passed=False,
                           employees_called=rng.randint(8, 15), problems_found=rng.randint(2, 4),
                           note="电话核实发现未落实每日两次测温"))
        steps.append(_step(enterprise, "suspended", when[-1], rng, reason="未落实每日两次体温检测，外地返烟人员未隔离"))
        if final == "suspended":
            return steps
        steps.append(_step(enterprise, "inspected_after", later(2, 3), rng, passed=True, note="整改复查通过"))
        steps.append(_step(enterprise, "resumed", later(0, 1), rng))
        return steps
    steps.append(_step(enterprise, "phone_verified", later(1, 3), rng, passed=True,
                       employees_called=rng.randint(5, 20), problems_found=0))
    return steps


def build_enterprises(session: Session, rng: random.Random, zones: list[WorkZone]) -> None:
    finals = [(final, n < above) for final, count, above in PLAN for n in range(count)]
    assert len(finals) == ENTERPRISES and sum(a for _, a in finals) == APPROVED_ABOVE_SIZE + 2
    extra_above = [i for i, (final, above) in enumerate(finals) if final == "not_applied"][:ABOVE_SIZE - sum(a for _, a in finals)]
    finals = [(final, above or i in extra_above) for i, (final, above) in enumerate(finals)]
    rng.shuffle(finals)
    working = [i for i, (final, _) in enumerate(finals) if final in WORKING_FINAL]
    weights = [rng.uniform(9, 16) if finals[i][1] else rng.uniform(1, 3) for i in working]
    employees = dict(zip(working, split(APPROVED_EMPLOYEES, weights)))
    outside = dict(zip(working, split(APPROVED_FROM_OUTSIDE, [employees[i] * rng.uniform(0.5, 1.5) for i in working])))
    departments = ["econ_dev"] * 40 + ["investment"] * 40 + ["safety"] * 39
    rng.shuffle(departments)
    names = set()
    enterprises = []
    for i, (final, above) in enumerate(finals):
        while True:
            name = f"栖霞{rng.choice(FIRM_PARTS[0])}{rng.choice(FIRM_PARTS[1])}有限公司"
            if name not in names:
                names.add(name)
                break
        staff = employees.get(i) or (rng.randint(80, 260) if above else rng.randint(6, 60))
        from_outside = outside.get(i, min(staff, rng.randint(0, 6)))
        owner, backup = rng.sample(LEADERS, 2)
        enterprises.append(Enterprise(name=name, zone_id=zones[i % len(zones)].id, department=departments[i],
                                      above_size=above, employees=staff, employees_from_outside=min(staff, from_outside),
                                      owner=owner, owner_backup=backup, version=1))
    session.add_all(enterprises)
    session.flush()
    from .reopening import derive_status  # the write path's own rule keeps the stored status honest

    for enterprise, (final, _) in zip(enterprises, finals):
        if final == "not_applied":
            continue
        steps = _path(final, enterprise, rng)
        session.add_all(steps)
        session.flush()
        enterprise.status, enterprise.status_since = derive_status(steps)


# ---- shops -------------------------------------------------------------------------------------

def build_shops(session: Session, rng: random.Random, zones: list[WorkZone]) -> None:
    categories = [c for c, n in SHOP_CATEGORY_COUNTS.items() for _ in range(n)]
    assert len(categories) == SHOPS
    rng.shuffle(categories)
    # Supermarkets, pharmacies and grain shops opened first: they keep people fed and treated.
    essential = [i for i, c in enumerate(categories) if c in ("supermarket", "pharmacy", "grain_oil")]
    others = [i for i, c in enumerate(categories) if c not in ("supermarket", "pharmacy", "grain_oil")]
    open_ids = set(rng.sample(essential, 44) + rng.sample(others, SHOPS_OPEN - 44))
    opened = sorted(open_ids)
    staff = dict(zip(opened, [1 + s for s in split(OPEN_STAFF - SHOPS_OPEN, [rng.uniform(0.3, 2.0) for _ in opened])]))
    from_outside = dict.fromkeys(opened, 0)
    for i in rng.sample([i for i in opened if staff[i] >= 2], OPEN_STAFF_FROM_OUTSIDE):
        from_outside[i] = 1
    counter = Counter()
    shops = []
    for i, category in enumerate(categories):
        zone = zones[rng.randrange(len(zones))]
        counter[(zone.id, category)] += 1
        name = f"{rng.choice(VILLAGE_NAMES)[:2]}{SHOP_WORDS[category]}{counter[(zone.id, category)]}号店"
        is_open = i in open_ids
        shops.append(Shop(
            name=name, zone_id=zone.id, category=category, is_open=is_open,
            staff=staff.get(i, 0), staff_from_outside=from_outside.get(i, 0), version=1,
            status_since=(REOPENING_DAY + dt.timedelta(days=rng.randint(0, 15))) if is_open else dt.date(2020, 1, 26),
        ))
    session.add_all(shops)


# ---- household surveys -------------------------------------------------------------------------

def build_surveys(session: Session, rng: random.Random, villages: list[Site], compounds: list[Site]) -> None:
    for sites, households, people in ((villages, VILLAGE_HOUSEHOLDS, VILLAGE_PEOPLE),
                                      (compounds, COMPOUND_HOUSEHOLDS, COMPOUND_PEOPLE)):
        reached = split(households, [rng.uniform(0.6, 1.4) for _ in sites])
        persons = split(people, [r * rng.uniform(0.85, 1.15) for r in reached])
        low = set(rng.sample(range(len(sites)), 2))  # a couple of sites well behind the rest
        for n, (site, hh, pp) in enumerate(zip(sites, reached, persons)):
            coverage = rng.uniform(0.70, 0.85) if n in low else rng.uniform(0.90, 1.0)
            known = max(hh, round(hh / coverage))
            site.households_known, site.people_known = known, max(pp, round(pp * known / max(hh, 1)))
            first_reach = round(hh * rng.uniform(0.55, 0.8))
            unreachable_2 = known - hh
            session.add_all([
                SurveyRound(site_id=site.id, round_no=1, day=dt.date(2020, 1, 24) + dt.timedelta(days=rng.randint(0, 10)),
                            households_known=known, households_reached=first_reach,
                            people=round(pp * first_reach / max(hh, 1)), people_from_outside=rng.randint(0, max(1, hh // 40)),
                            unreachable=known - first_reach, utility_checked=round(first_reach * 0.3), lit_at_night=0,
                            version=1, updated_by="摸排组"),
                SurveyRound(site_id=site.id, round_no=2, day=dt.date(2020, 2, 15) + dt.timedelta(days=rng.randint(0, 9)),
                            households_known=known, households_reached=hh, people=pp,
                            people_from_outside=rng.randint(0, max(1, hh // 30)), unreachable=unreachable_2,
                            utility_checked=round(hh * rng.uniform(0.6, 0.9)),
                            lit_at_night=round(unreachable_2 * rng.uniform(0.3, 0.7)), version=1, updated_by="摸排组"),
            ])


# ---- inspections -------------------------------------------------------------------------------

FINDING_TEXTS = ("值守人员未全部到岗", "来往人员登记不全", "宣传标语未张贴到位", "消毒记录缺失", "测温枪电量不足未及时更换",
                 "夜间值守人员脱岗", "外来车辆未逐一登记")


def build_inspections(session: Session, rng: random.Random, duty_points: list[Site]) -> None:
    """Every duty point visited about every two days; some are overdue on the last day."""
    overdue = set(rng.sample(range(len(duty_points)), 6))
    findings_left = 26
    for n, site in enumerate(duty_points):
        day = dt.date(2020, 2, 3) + dt.timedelta(days=rng.randint(0, 1))
        last_allowed = DEMO_AS_OF - dt.timedelta(days=rng.randint(3, 5) if n in overdue else 0)
        while day <= last_allowed:
            checks = [rng.random() > 0.04 for _ in range(4)]
            inspection = Inspection(site_id=site.id, day=day, inspector=rng.choice(INSPECTORS),
                                    staff_at_post=checks[0], no_dereliction=checks[1], travellers_screened=checks[2],
                                    publicity_posted=checks[3], recorded_by=LOADER,
                                    remarks="各项防控措施落实" if all(checks) else "发现问题，已当场交办")
            session.add(inspection)
            if (not all(checks) or rng.random() < 0.03) and findings_left > 0:
                session.flush()
                findings_left -= 1
                due = day + dt.timedelta(days=rng.randint(1, 3))
                fixed = None
                if rng.random() < 0.67 and due <= DEMO_AS_OF:
                    fixed = min(DEMO_AS_OF, due + dt.timedelta(days=rng.choice((-1, 0, 0, 1, 2))))
                session.add(Finding(inspection_id=inspection.id, site_id=site.id, description=rng.choice(FINDING_TEXTS),
                                    owner=rng.choice(LEADERS), raised_on=day, due_on=due, fixed_on=fixed,
                                    fix_note="已整改并复查" if fixed else None, version=1))
            day += dt.timedelta(days=2)
    session.flush()
    # Two findings past due and still open on the last day, whatever the dice said.
    for site, raised in ((duty_points[1], dt.date(2020, 2, 19)), (duty_points[5], dt.date(2020, 2, 21))):
        inspection = Inspection(site_id=site.id, day=raised, inspector=INSPECTORS[0], staff_at_post=False,
                                no_dereliction=True, travellers_screened=True, publicity_posted=True,
                                recorded_by=LOADER, remarks="值守人员未到岗")
        session.add(inspection)
        session.flush()
        session.add(Finding(inspection_id=inspection.id, site_id=site.id, description="值守人员未全部到岗",
                            owner=LEADERS[1], raised_on=raised, due_on=raised + dt.timedelta(days=2), version=1))


# ---- logistics ---------------------------------------------------------------------------------

def build_logistics(session: Session, rng: random.Random, zones: list[WorkZone]) -> None:
    items = [SupplyItem(code=c, name=n, unit=u, low_threshold=t) for c, n, u, t in SUPPLIES]
    session.add_all(items)
    session.flush()
    running_low = {(items[0].id, zones[3].id), (items[1].id, zones[5].id)}  # masks in Z4, disinfectant in Z6
    for item in items:
        for zone in zones:
            stock = 0
            for day in days(DEMO_START, DEMO_AS_OF):
                if day.weekday() in (0, 3) or day == DEMO_START:  # deliveries twice a week
                    quantity = item.low_threshold * rng.randint(2, 4)
                    session.add(SupplyMovement(item_id=item.id, zone_id=zone.id, day=day, quantity=quantity,
                                               note="区里配发", recorded_by=LOADER))
                    stock += quantity
                use = round(item.low_threshold * rng.uniform(0.3, 0.6))
                if (item.id, zone.id) in running_low and day >= dt.date(2020, 2, 20):
                    use = stock - round(item.low_threshold * 0.3) if day == DEMO_AS_OF else round(use * 1.5)
                use = min(use, stock)
                if use > 0:
                    session.add(SupplyMovement(item_id=item.id, zone_id=zone.id, day=day, quantity=-use,
                                               note="发放至村、卡口", recorded_by=LOADER))
                    stock -= use
    for day in days(DEMO_START, DEMO_AS_OF):
        total = rng.randint(200, 240)  # "200+ meals a day" for checkpoint staff
        for zone, meals in zip(zones, split(total, [rng.uniform(0.8, 1.2) for _ in zones])):
            session.add(MealDay(zone_id=zone.id, day=day, meals=meals, version=1, updated_by="后勤组"))
    donors = (("栖霞鑫源机械有限公司", "money", 50_000), ("个体户 王先生", "goods", 200), ("东庄村村民", "meals", 60),
              ("在外游子 李女士", "goods", 500), ("栖霞华泰食品有限公司", "goods", 300), ("金岭建材", "money", 20_000),
              ("西河村群众", "meals", 45), ("在京务工人员", "money", 8_600), ("恒通物流", "goods", 1_000),
              ("霞光里业主", "meals", 30), ("福瑞果业", "money", 10_000), ("瑞丰包装", "goods", 400),
              ("杏花村村民", "meals", 40), ("宏达电子", "money", 15_000), ("个体户 张先生", "goods", 120))
    for n, (donor, kind, amount) in enumerate(donors):
        session.add(Donation(day=DEMO_START + dt.timedelta(days=(n * 5) % 25), donor=donor, kind=kind, amount=amount,
                             description={"money": "捐款", "goods": "口罩、消毒液等物资", "meals": "爱心餐"}[kind],
                             zone_id=zones[n % len(zones)].id, recorded_by=LOADER))


# ---- accounts ----------------------------------------------------------------------------------

def build_accounts(session: Session, zones: list[WorkZone]) -> None:
    password = hash_password("demo")  # one hash for all four: they share the demo password anyway
    people = (("admin", "系统管理员", "admin"), ("supervisor", "王督导", "supervisor"),
              ("clerk", "李填报（第一管区）", "clerk"), ("viewer", "只读用户", "viewer"))
    for username, display_name, role in people:
        user = User(username=username, display_name=display_name, role=role, password_hash=password, is_demo=True)
        if role == "clerk":
            user.scopes.append(UserScope(zone_id=zones[0].id))
        session.add(user)
    session.add(DisplayKey(key_hash=hash_display_key("demo-wall"), label="指挥部大屏", created_by=LOADER, is_demo=True))
    session.add_all([Setting(key="dataset", value="demo"), Setting(key="stuck_after_days", value="5")])


# ---- loading -----------------------------------------------------------------------------------

def build_demo(session: Session) -> None:
    """Insert the whole demo data set into an open session (the caller commits)."""
    rng = random.Random(SEED)
    territory = build_territory(session, rng)
    build_traffic(session, rng, territory["road"])
    build_enterprises(session, rng, territory["zones"])
    build_shops(session, rng, territory["zones"])
    build_surveys(session, rng, territory["villages"], territory["compounds"])
    build_inspections(session, rng, territory["road"] + territory["village_checkpoints"] + territory["compounds"])
    build_logistics(session, rng, territory["zones"])
    build_accounts(session, territory["zones"])
    session.flush()


def is_demo(engine=None) -> bool:
    with read_connection(engine) as conn:
        return conn.execute(select(Setting.value).where(Setting.key == "dataset")).scalar() == "demo"


def _holds_real_data(session: Session) -> bool:
    for model in (WorkZone, Site, CheckpointDay, Enterprise, Shop):
        if session.scalar(select(func.count()).select_from(model)):
            return True
    return bool(session.scalar(select(func.count()).select_from(User).where(User.is_demo.is_(False))))


def load_demo(engine=None) -> str:
    """Load the demo data set into an empty database: 'loaded', or 'already' if it is there.

    Refuses (RealDataPresent) when the database holds anything else, and then changes nothing.
    """
    if is_demo(engine):
        return "already"
    with write_session(engine) as session:
        if session.scalar(select(Setting.value).where(Setting.key == "dataset")) == "demo":
            return "already"  # another process loaded it while we waited for the write lock
        if _holds_real_data(session):
            raise RealDataPresent()
        build_demo(session)
        rows = {m.__tablename__: session.scalar(select(func.count()).select_from(m))
                for m in (Site, CheckpointDay, Enterprise, ReopeningStep, Shop, SurveyRound, Inspection, Finding)}
        audit(session, LOADER, "load_demo", "setting", None, None, {"rows": rows})
    return "loaded"
