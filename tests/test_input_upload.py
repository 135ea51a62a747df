"""Issue 9, item 8: reading an uploaded checkpoint file is the data layer's job, and every problem
with the file is a field message (row = spreadsheet line), never a traceback."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import sqlalchemy as sa

from data_access import auth
from data_access.errors import ValidationError
from data_access.models import CheckpointDay, Site
from data_access.traffic_entry import (
    MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS, UPLOAD_COLUMNS, UPLOAD_HEADERS_ZH, check_upload, read_upload, save_upload,
    upload_template)

TODAY = dt.date(2020, 3, 1)
HEADER_EN = ",".join(UPLOAD_COLUMNS)
HEADER_ZH = "日期,卡口,车辆,人员,外地人员,劝返,体温异常"


def refusal(filename: str, data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        read_upload(filename, data)
    return refused.value


def road_names(engine, zone_code="Z1") -> list[str]:
    with engine.connect() as conn:
        return conn.execute(sa.select(Site.name).where(Site.checkpoint_type == "road", Site.zone.has(code=zone_code))
                            .order_by(Site.name)).scalars().all()


def saved(engine, day) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(Site.name, CheckpointDay.vehicles).join(Site, Site.id == CheckpointDay.site_id)
                                 .where(CheckpointDay.day == day)).all())


# ---- headers and encodings -------------------------------------------------------------------------

def test_chinese_headers_are_the_entry_pages_own_labels():
    from ui.text.traffic import TEXT as TRAFFIC
    from ui.text.traffic_entry import TEXT as ENTRY

    labels = {**TRAFFIC, **ENTRY}
    assert UPLOAD_HEADERS_ZH == {name: labels[f"col.{name}"][0] for name in UPLOAD_COLUMNS}


def test_template_in_chinese_and_english():
    assert list(upload_template("zh").columns) == HEADER_ZH.split(",")
    assert list(upload_template("en").columns) == list(UPLOAD_COLUMNS)


def test_a_gb18030_file_with_chinese_headers_is_saved_and_read_back(demo_engine):
    """What Excel on Chinese Windows writes when the clerk saves the Chinese template as CSV."""
    names = road_names(demo_engine)
    template = upload_template("zh")
    lines = [",".join(template.columns)] + [f"2020/2/26,{name},{100 + i},200,3,1,0" for i, name in enumerate(names)]
    data = ("\r\n".join(lines) + "\r\n").encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really not UTF-8
    frame = read_upload("卡口日报.csv", data)
    assert list(frame.columns) == list(UPLOAD_COLUMNS) and list(frame.index) == list(range(2, len(names) + 2))
    clerk = auth.authenticate("clerk", "demo", demo_engine)
    rows = check_upload(frame, clerk, today=TODAY, engine=demo_engine)
    assert save_upload("clerk", rows, today=TODAY, engine=demo_engine)["inserted"] == len(names)
    assert saved(demo_engine, dt.date(2020, 2, 26)) == {name: 100 + i for i, name in enumerate(names)}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8"])
def test_utf8_with_or_without_bom(encoding):
    frame = read_upload("x.csv", f"{HEADER_ZH}\n2020-02-26,东卡口,1,2,0,0,0\n".encode(encoding))
    assert frame.loc[2, "checkpoint"] == "东卡口" and frame.loc[2, "day"] == "2020-02-26"


def test_english_headers_any_case_and_extra_columns_ignored():
    frame = read_upload("x.csv", b"Day,Checkpoint,Vehicles,Persons,Persons_From_Outside,Turned_Back,"
                                 b"Abnormal_Temperature,note\n2020-02-26,A,1,2,0,0,0,whatever\n")
    assert list(frame.columns) == list(UPLOAD_COLUMNS) and frame.loc[2, "vehicles"] == "1"


# ---- what is wrong with a file, by line --------------------------------------------------------------

def test_a_row_with_more_fields_than_the_header_is_named_by_line():
    data = (f"{HEADER_ZH}\n2020-02-26,东卡口,1,2,0,0,0\n2020-02-26,西卡口,1,2,0,0,0\n"
            "2020-02-26,南卡口,1,2,0,0,0\n2020-02-26,北卡口,1,234,20,0,0,0\n").encode()
    error = refusal("x.csv", data)
    assert [(e.field, e.row) for e in error.errors] == [("file", 5)]
    assert "第 5 行比表头多出字段" in error.errors[0].zh and "line 5 has more fields" in error.errors[0].en


def test_empty_trailing_cells_are_not_extra_fields():
    frame = read_upload("x.csv", f"{HEADER_EN},,\n2020-02-26,东卡口,1,2,0,0,0,,\n".encode())
    assert len(frame) == 1


def test_blank_lines_keep_the_spreadsheet_line_numbers(demo_engine):
    name = road_names(demo_engine)[0]
    data = f"{HEADER_EN}\n2020-02-26,{name},1,2,0,0,0\n\n2020-02-27,{name},-1,2,0,0,0\n".encode()
    frame = read_upload("x.csv", data)
    assert list(frame.index) == [2, 4]
    with pytest.raises(ValidationError) as refused:
        check_upload(frame, auth.authenticate("clerk", "demo", demo_engine), today=TODAY, engine=demo_engine)
    assert refused.value.fields() == {(4, "vehicles")}


def test_a_header_without_rows_says_the_file_has_no_data_rows():
    error = refusal("x.csv", f"{HEADER_ZH}\r\n".encode("gb18030"))
    assert [(e.field, e.en) for e in error.errors] == [("file", "the file has no data rows (only a header)")]
    assert error.errors[0].zh == "文件中没有数据行（只有表头）"


def test_check_upload_of_an_empty_frame_says_no_data_rows(demo_engine):
    import pandas as pd

    with pytest.raises(ValidationError) as refused:
        check_upload(pd.DataFrame(columns=list(UPLOAD_COLUMNS)), auth.authenticate("clerk", "demo", demo_engine),
                     today=TODAY, engine=demo_engine)
    assert refused.value.errors[0].en == "the file has no data rows (only a header)"


def test_missing_and_doubled_columns_are_named():
    error = refusal("x.csv", "日期,卡口,车辆,vehicles,人员\n2020-02-26,东卡口,1,1,2\n".encode())
    assert (1, "vehicles") in error.fields() and any("appears twice" in e.en for e in error.errors)
    assert {f for _, f in error.fields()} >= {"persons_from_outside", "turned_back", "abnormal_temperature"}


def test_a_file_over_the_size_limit_is_refused_before_parsing(monkeypatch):
    import data_access.traffic_entry as entry

    monkeypatch.setattr(entry, "_decode", lambda data: pytest.fail("parsed a file over the limit"))
    error = refusal("big.csv", b"x" * (MAX_UPLOAD_BYTES + 1))
    assert error.errors[0].field == "file" and "2 MB" in error.errors[0].en and "2 MB" in error.errors[0].zh


def test_a_file_over_the_row_limit_is_refused_before_parsing(monkeypatch):
    import data_access.traffic_entry as entry

    monkeypatch.setattr(entry, "_decode", lambda data: pytest.fail("parsed a file over the limit"))
    data = (HEADER_EN + "\n" + "2020-02-26,A,1,1,0,0,0\n" * (MAX_UPLOAD_ROWS + 1)).encode()
    assert len(data) < MAX_UPLOAD_BYTES
    error = refusal("long.csv", data)
    assert f"{MAX_UPLOAD_ROWS:,}" in error.errors[0].en and f"{MAX_UPLOAD_ROWS:,}" in error.errors[0].zh


def test_exactly_the_row_limit_is_read():
    data = (HEADER_EN + "\n" + "2020-02-26,A,1,1,0,0,0\n" * MAX_UPLOAD_ROWS).encode()
    assert len(read_upload("long.csv", data)) == MAX_UPLOAD_ROWS


@pytest.mark.parametrize("name, data, expected_en", [
    ("x.csv", bytes(range(256)) * 40, "neither UTF-8 nor GB18030"),
    ("x.csv", (HEADER_EN + "\n\x00\x01\x02 binary\n").encode(), "is not a CSV text file"),
    ("x.csv", b"\xff\xfe\xfa\xfb" * 300, "neither UTF-8 nor GB18030"),
    ("x.csv", b"", "the file is empty"),
    ("x.csv", b"\n\n\n", "the file holds nothing"),
    ("x.csv", (HEADER_EN + '\n2020-02-26,A,1,1,0,0,0\n2020-02-26,"unterminated,1,1,0,0,0\n2020-02-26,B,1,1,0,0,0\n').encode(),
     "line 3 cannot be read: unexpected end of data"),
    ("x.xlsx", b"PK\x03\x04 this is not really a zip", "this Excel file cannot be read"),
    ("x.xlsx", b"not a zip at all", "this Excel file cannot be read"),
    ("x.xls", b"\xd0\xcf\x11\xe0 old excel", "old Excel files (.xls) cannot be read"),
])
def test_a_broken_file_gets_a_readable_message(name, data, expected_en):
    error = refusal(name, data)
    assert error.errors[0].field == "file" and expected_en in error.errors[0].en, error.errors
    assert error.errors[0].zh and "Traceback" not in error.errors[0].en


# ---- Excel -----------------------------------------------------------------------------------------

def xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_with_chinese_headers_and_date_cells_is_saved(demo_engine):
    names = road_names(demo_engine)
    data = xlsx([HEADER_ZH.split(","),
                 *[[dt.datetime(2020, 2, 27), name, 50 + i, 80, 2, 0, 0] for i, name in enumerate(names)]])
    frame = read_upload("报表.xlsx", data)
    assert list(frame.index) == list(range(2, len(names) + 2))
    clerk = auth.authenticate("clerk", "demo", demo_engine)
    rows = check_upload(frame, clerk, today=TODAY, engine=demo_engine)
    save_upload("clerk", rows, today=TODAY, engine=demo_engine)
    assert saved(demo_engine, dt.date(2020, 2, 27)) == {name: 50 + i for i, name in enumerate(names)}


def test_an_xlsx_row_with_extra_fields_and_a_huge_number(demo_engine):
    name = road_names(demo_engine)[0]
    error = refusal("x.xlsx", xlsx([list(UPLOAD_COLUMNS), ["2020-02-26", name, 1, 2, 0, 0, 0, "extra"]]))
    assert error.fields() == {(2, "file")}
    frame = read_upload("x.xlsx", xlsx([list(UPLOAD_COLUMNS), ["2020-02-26", name, 1e12, 2, 0, 0, 0]]))
    with pytest.raises(ValidationError) as refused:
        check_upload(frame, auth.authenticate("clerk", "demo", demo_engine), today=TODAY, engine=demo_engine)
    assert refused.value.fields() == {(2, "vehicles")} and "too large" in refused.value.errors[0].en


def test_an_xlsx_over_the_row_limit_is_refused():
    data = xlsx([list(UPLOAD_COLUMNS)] + [["2020-02-26", "A", 1, 1, 0, 0, 0]] * (MAX_UPLOAD_ROWS + 1))
    error = refusal("x.xlsx", data)
    assert f"{MAX_UPLOAD_ROWS:,}" in error.errors[0].en


def test_a_header_only_xlsx_has_no_data_rows():
    error = refusal("x.xlsx", xlsx([list(UPLOAD_COLUMNS)]))
    assert error.errors[0].en == "the file has no data rows (only a header)"


def test_check_upload_refuses_a_frame_over_the_row_limit(demo_engine):
    import pandas as pd

    frame = pd.DataFrame([["2020-02-26", "A", "1", "1", "0", "0", "0"]] * (MAX_UPLOAD_ROWS + 1), columns=list(UPLOAD_COLUMNS))
    with pytest.raises(ValidationError) as refused:
        check_upload(frame, auth.authenticate("clerk", "demo", demo_engine), today=TODAY, engine=demo_engine)
    assert [e.field for e in refused.value.errors] == ["file"] and f"{MAX_UPLOAD_ROWS:,}" in refused.value.errors[0].en
