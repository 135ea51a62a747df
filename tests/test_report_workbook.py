"""The daily report's Excel workbook (issue 18), read back with openpyxl: each sheet's total row equals the figures
the pages show, a zone's workbook holds its own rows and the zones add up to the whole, every sheet has a frozen
header, an autofilter, number formats and an A4 landscape page, a stored name is never a formula, English too.
On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile

import openpyxl
import pytest
import sqlalchemy as sa

from data_access import clock, db, logistics, shops, territory, traffic, traffic_totals
from data_access.filters import Filters
from data_access.models import CheckpointDay, Site, SupplyItem, WorkZone
from reports import daily, workbook

DAY = dt.date(2020, 2, 25)
NEXT_MORNING = dt.datetime(2020, 2, 26, 9, 30, tzinfo=clock.zone())
ZH_SHEETS = ["汇总", "路域卡口", "企业复工", "商铺", "摸排", "专题巡察", "后勤保障"]
EN_SHEETS = ["Summary", "Road checkpoints", "Reopening", "Shops", "Survey", "Inspections", "Logistics"]
HEADER_COLOUR, TOTAL_COLOUR = "DDEBF7", "F2F2F2"
CJK = re.compile(r"[\u4e00-\u9fff]")


def build(engine, zone_id=None, lang="zh", now=NEXT_MORNING):
    figures = daily.daily_figures(DAY, zone_id, now=now, engine=engine)
    content = workbook.daily_workbook(figures, lang, engine)
    return figures, content, openpyxl.load_workbook(io.BytesIO(content))


def filled(cell, colour: str) -> bool:
    return (cell.fill.fgColor.rgb or "").endswith(colour)


def tables(sheet) -> list[dict]:
    """The sheet's tables as written: each header (its fill), its records and its total rows (their fill),
    every row a {header: value} dict; total rows keyed by their label; the total row's number formats."""
    found, current = [], None
    for row in sheet.iter_rows():
        first = row[0]
        if filled(first, HEADER_COLOUR):
            current = {"header_row": first.row, "headers": [c.value for c in row if c.value is not None],
                       "records": [], "totals": {}}
            found.append(current)
        elif current is not None and first.value is not None:
            values = dict(zip(current["headers"], (c.value for c in row)))
            if filled(first, TOTAL_COLOUR):
                current["totals"][first.value] = values
                current["formats"] = dict(zip(current["headers"], (c.number_format for c in row)))
            else:
                current["records"].append(values)
        elif current is not None and first.value is None:
            current = None  # a blank row ends a table
    return found


def only(sheet) -> dict:
    return tables(sheet)[0]


def test_each_sheets_total_is_the_pages_figure(demo_engine):
    started = time.perf_counter()
    figures, _, book = build(demo_engine)
    elapsed = time.perf_counter() - started
    assert book.sheetnames == ZH_SHEETS
    filters = {line: daily.line_filters(figures, line) for line in daily.LINES}

    road = only(book["路域卡口"])
    total = road["totals"]["合计"]
    assert total["区间车辆"] == figures["traffic"]["totals"]["vehicles"] == 15_294
    assert total["区间人员"] == figures["traffic"]["totals"]["persons"] == 28_225
    assert total["当日车辆"] == figures["traffic"]["today"]["vehicles"]
    assert total["当日人员"] == figures["traffic"]["today"]["persons"]
    assert total["前一日车辆"] == figures["traffic"]["yesterday"]["vehicles"]
    assert total["当日已上报"] == figures["traffic"]["completeness"]["reported"] == len(road["records"]) == 12
    assert [r["卡口"] for r in road["records"]] == traffic.by_checkpoint(filters["traffic"], demo_engine)["name"].tolist()

    reopen = only(book["企业复工"])["totals"]["合计"]
    assert (reopen["已批复复工"], reopen["复工员工"], reopen["外地返烟人员"]) == (69, 4892, 164)
    for header, key in (("企业数", "enterprises"), ("已批复复工", "approved"), ("审批中", "in_progress"),
                        ("停产整顿", "suspended"), ("不予批复", "refused"), ("未申请", "not_applied"),
                        ("复工员工", "employees"), ("外地返烟人员", "employees_from_outside")):
        assert reopen[header] == figures["reopening"][key], header
    assert reopen["复工比例"] == pytest.approx(69 / 119)

    shop = only(book["商铺"])
    assert (shop["totals"]["合计"]["营业"], shop["totals"]["合计"]["员工"]) == (58, 123)
    for header, key in (("商铺数", "shops"), ("营业", "open"), ("未营业", "closed"), ("员工", "staff"),
                        ("外地返烟人员", "staff_from_outside")):
        assert shop["totals"]["合计"][header] == figures["shops"][key] == shops.summary(filters["shops"], demo_engine)[key]
    assert len(shop["records"]) == 6

    survey = only(book["摸排"])["totals"]
    assert (survey["合计（农村）"]["已摸排户数"], survey["合计（农村）"]["人数"]) == (7718, 11222)
    assert (survey["合计（居民小区）"]["已摸排户数"], survey["合计（居民小区）"]["人数"]) == (2015, 5276)
    for label, kind in (("合计（农村）", "village"), ("合计（居民小区）", "compound")):
        for header, key in (("应摸排户数", "households_known"), ("已摸排户数", "households_reached"), ("人数", "people"),
                            ("外地人员", "people_from_outside"), ("联系不上", "unreachable")):
            assert survey[label][header] == figures["survey"][kind][key], (label, header)
        assert survey[label]["覆盖率"] == pytest.approx(figures["survey"][kind]["coverage"])
    assert survey["合计"]["已摸排户数"] == 7718 + 2015 and survey["合计（居民小区）"]["有物业"] == 7  # 7 of 14 have none

    duty = only(book["专题巡察"])
    board = figures["inspections"]
    assert len(duty["records"]) == board["duty_points"] == 60
    total = duty["totals"]["合计"]
    assert (total["区间巡察次数"], total["未整改问题"], total["逾期问题"], total["超两天未巡察"]) == (
        board["visits"], board["open_findings"], board["past_due"], board["overdue"]) == (691, 8, 3, 5)
    assert [r["超两天未巡察"] for r in duty["records"][:5]] == ["是"] * 5  # the overdue ones first

    stock_table, meals_table = tables(book["后勤保障"])
    stock = logistics.stock(Filters(end=filters["logistics"].end), demo_engine)
    for name, of_item in stock.groupby("item"):
        assert stock_table["totals"][f"合计（{name}）"]["库存"] == of_item["stock"].sum(), name
    assert sum(t["库存不足"] for t in stock_table["totals"].values()) == len(figures["logistics"]["short"]) == 2
    assert "合计" not in stock_table["totals"]  # masks and litres are never added up
    days = {r["日期"].date(): r for r in meals_table["records"]}
    assert days[DAY]["配餐（份）"] == figures["logistics"]["meals"] == 228
    meals = logistics.meals_daily(filters["logistics"], demo_engine)
    assert meals_table["totals"]["合计"]["配餐（份）"] == meals["meals"].sum()

    summary = book["汇总"]
    assert summary["A1"].value == "栖霞经济开发区疫情防控日报（2020年2月25日）"
    assert summary["A3"].value == daily.opening_paragraph(figures).strip()
    assert "A3:E3" in {str(r) for r in summary.merged_cells.ranges} and summary["A3"].alignment.wrap_text
    key = {r["指标"]: r for r in only(summary)["records"]}
    assert key["盘查车辆（自2020-02-01）"]["数值"] == 15_294 and key["日最高车辆（2020-02-17）"]["数值"] == 1656
    assert key["已批复开复工企业"]["数值"] == 69 and key["农村已摸排户数"]["数值"] == 7718
    assert key["农村已摸排户数"]["截至日"].date() == dt.date(2020, 2, 24)  # the survey's own day
    assert key["当日配餐（份）"]["状态"] == "已完整" and key["盘查车辆（自2020-02-01）"]["状态"] == "已完整"
    assert elapsed < 10  # figures and workbook; measured ~0.2 s on either database


def test_formats_frozen_header_filter_and_print_setup(demo_engine):
    _, content, book = build(demo_engine)
    for sheet in book:
        first = tables(sheet)[0]
        header = first["header_row"]
        assert sheet.freeze_panes == f"A{header + 1}", sheet.title
        last_record = header + len(first["records"])
        assert re.fullmatch(rf"A{header}:[A-Z]+{last_record}", sheet.auto_filter.ref), sheet.title  # not the totals
        cell = sheet.cell(header, 1)
        assert cell.font.bold and filled(cell, HEADER_COLOUR)
        assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9  # A4
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == f"${header}:${header}"  # the header on every printed page
    survey = book["摸排"]
    header = tables(survey)[0]["header_row"]
    columns = {survey.cell(header, c).value: c for c in range(1, survey.max_column + 1)}
    row = header + 1
    assert survey.cell(row, columns["已摸排户数"]).number_format == "#,##0"
    assert survey.cell(row, columns["覆盖率"]).number_format == "0.0%"
    assert survey.cell(row, columns["摸排日期"]).number_format == "yyyy-mm-dd"
    assert isinstance(survey.cell(row, columns["摸排日期"]).value, dt.datetime)
    # a name column is wide enough for Chinese names (two units a character), a count column is not as wide
    assert survey.column_dimensions["A"].width >= 2 * 4 and survey.column_dimensions["O"].width > 2 * 7
    # totals are numbers, never formulas: no <f> anywhere in the file
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    assert len(sheets) == 7 and not any(b"<f>" in xml or b"<f " in xml for xml in sheets)
    total = tables(book["路域卡口"])[0]
    assert all(isinstance(v, int) for k, v in total["totals"]["合计"].items() if k in ("区间车辆", "当日车辆"))


NOT_ADDITIVE = {"已报齐"}  # days on which every duty point reported: a day complete in each zone is one day


def counted(table: dict, header: str, value) -> bool:
    """A count or a sum (a whole number), not a share, an average or days of cover (their zones do not add up)."""
    return (isinstance(value, int) and table["formats"][header] == "#,##0" and header != table["headers"][0]
            and header not in NOT_ADDITIVE)


def test_zone_workbooks_add_up_to_the_whole(demo_engine):
    _, _, whole = build(demo_engine)
    zones = territory.zones(demo_engine)
    sums: dict = {}
    for zone_id, name in zip(zones["id"], zones["name"]):
        figures, _, book = build(demo_engine, int(zone_id))
        assert book["汇总"]["A1"].value == f"{name}疫情防控日报（2020年2月25日）"
        for sheet in book.sheetnames[1:]:
            for index, table in enumerate(tables(book[sheet])):
                if "管区" in table["headers"]:  # a zone's workbook: that zone's rows only
                    assert {r["管区"] for r in table["records"]} <= {name}, sheet
                for label, row in table["totals"].items():
                    for header, value in row.items():
                        if counted(table, header, value):
                            sums[sheet, index, label, header] = sums.get((sheet, index, label, header), 0) + value
    checked = 0
    for sheet in whole.sheetnames[1:]:
        for index, table in enumerate(tables(whole[sheet])):
            for label, row in table["totals"].items():
                for header, value in row.items():
                    if counted(table, header, value):
                        assert sums[sheet, index, label, header] == value, (sheet, label, header)
                        checked += 1
    assert checked > 60
    assert sums["路域卡口", 0, "合计", "区间车辆"] == 15_294 and sums["企业复工", 0, "合计", "复工员工"] == 4892


def test_a_stored_name_stays_text(demo_engine):
    """Formula injection: names starting with = + - @ are stored as text (and marked so); markup stays as typed."""
    names = {"checkpoint": '=HYPERLINK("http://example.invalid","点此")', "village": "<b>东柳村</b><script>x</script>",
             "item": "@SUM(A1:A9)", "zone": "+1第一工作管区", "compound": "-2+3小区"}
    with db.write_session(demo_engine) as session:
        road = session.scalars(sa.select(CheckpointDay.site_id).where(CheckpointDay.day == DAY)
                               .join(Site, Site.id == CheckpointDay.site_id)
                               .where(*traffic_totals.ROAD_CHECKPOINT).limit(1)).one()
        session.execute(sa.update(Site).where(Site.id == road).values(name=names["checkpoint"]))
        village = session.scalars(sa.select(Site.id).where(Site.kind == "village").limit(1)).one()
        session.execute(sa.update(Site).where(Site.id == village).values(name=names["village"]))
        compound = session.scalars(sa.select(Site.id).where(Site.kind == "compound").limit(1)).one()
        session.execute(sa.update(Site).where(Site.id == compound).values(name=names["compound"]))
        session.execute(sa.update(SupplyItem).where(SupplyItem.code == "masks").values(name=names["item"]))
        session.execute(sa.update(WorkZone).where(WorkZone.code == "Z1").values(name=names["zone"]))
    _, content, book = build(demo_engine)
    cells = {cell.value: cell for sheet in book for row in sheet.iter_rows() for cell in row
             if isinstance(cell.value, str)}
    for kind, name in names.items():
        assert name in cells, kind
        assert cells[name].data_type == "s", kind
        if name[0] in "=+-@":
            assert cells[name].quotePrefix, kind
    assert f"合计（{names['item']}）" in cells  # the item's total row names it as text too
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
    assert b"<f>" not in xml and b"<f " not in xml
    assert b"&lt;script&gt;" in xml  # escaped XML text, read back as the literal markup


def test_english_labels(demo_engine):
    _, _, book = build(demo_engine, lang="en")
    assert book.sheetnames == EN_SHEETS
    assert book["Summary"]["A1"].value == "Daily epidemic-control report of the Qixia Economic Development Zone (25 February 2020)"
    for sheet in book:
        for table in tables(sheet):
            assert not any(CJK.search(h) for h in table["headers"]), (sheet.title, table["headers"])
    road = only(book["Road checkpoints"])
    assert road["headers"][:4] == ["Checkpoint", "Road", "Work zone", "Vehicles (range)"]
    assert road["totals"]["Total"]["Vehicles (range)"] == 15_294
    survey = only(book["Survey"])["totals"]
    assert survey["Total (Villages)"]["Households reached"] == 7718 and survey["Total (Compounds)"]["People"] == 5276
    key = {r["Figure"]: r for r in only(book["Summary"])["records"]}
    assert key["Enterprises approved to reopen"]["Value"] == 69 and key["Meals on the day"]["Status"] == "final"
    with pytest.raises(ValueError):
        workbook.daily_workbook(daily.daily_figures(DAY, now=NEXT_MORNING, engine=demo_engine), "fr", demo_engine)


def test_an_incomplete_day_is_marked_so(demo_engine):
    """Three checkpoints have not reported the day yet: the summary says the traffic figures are not final, the
    checkpoint sheet shows them as not reported and its day total is the nine that did."""
    with db.write_session(demo_engine) as session:
        rows = session.scalars(sa.select(CheckpointDay.id).join(Site, Site.id == CheckpointDay.site_id)
                               .where(CheckpointDay.day == DAY, *traffic_totals.ROAD_CHECKPOINT)
                               .order_by(CheckpointDay.id).limit(3)).all()
        session.execute(sa.delete(CheckpointDay).where(CheckpointDay.id.in_(rows)))
        traffic_totals.rebuild(session)
    figures, _, book = build(demo_engine)
    key = {r["指标"]: r for r in only(book["汇总"])["records"]}
    assert key["当日车辆"]["状态"] == "未完整：9/12已上报" and key["当日配餐（份）"]["状态"] == "已完整"
    road = only(book["路域卡口"])
    assert [r["当日已上报"] for r in road["records"]].count("否") == 3 and road["totals"]["合计"]["当日已上报"] == 9
    assert road["totals"]["合计"]["当日车辆"] == figures["traffic"]["today"]["vehicles"]
    assert road["totals"]["合计"]["区间车辆"] == figures["traffic"]["totals"]["vehicles"] < 15_294
    missing = [r for r in road["records"] if r["当日已上报"] == "否"]
    assert all(r["当日车辆"] is None for r in missing)  # no figure, not a 0
