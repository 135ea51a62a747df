"""`python -m data_access import checkpoint-days FILE --as USER`: an automated feed through exactly the
upload's checks, rights and audit; and `due` for due times. On SQLite and PostgreSQL (issue 10)."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import sqlalchemy as sa

from data_access.__main__ import main
from data_access.models import AuditLog, CheckpointDay, Site, WorkZone

NEXT = "2020-02-26"
ZH_HEADER = "日期,卡口,车辆,人员,外地人员,劝返,体温异常"
EN_HEADER = "day,checkpoint,vehicles,persons,persons_from_outside,turned_back,abnormal_temperature"


def z1_names(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(Site.name).join(WorkZone).where(
            WorkZone.code == "Z1", Site.checkpoint_type == "road").order_by(Site.name)).scalars())


def rows_on(engine, day: str) -> dict[str, tuple]:
    with engine.connect() as conn:
        found = conn.execute(sa.select(Site.name, CheckpointDay.vehicles, CheckpointDay.persons, CheckpointDay.updated_by)
                             .join(Site, Site.id == CheckpointDay.site_id)
                             .where(CheckpointDay.day == dt.date.fromisoformat(day))).all()
    return {name: tuple(rest) for name, *rest in found}


def audits(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar_one()


def csv_file(tmp_path, header: str, lines: list[str], name="feed.csv", encoding="utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(("\n".join([header, *lines]) + "\n").encode(encoding))
    return str(path)


def test_a_good_csv_with_chinese_headings_is_saved_and_audited(demo_engine, tmp_path, capsys):
    first, second = z1_names(demo_engine)
    path = csv_file(tmp_path, ZH_HEADER, [f"{NEXT},{first},120,200,5,1,0", f"{NEXT},{second},95,150,2,0,0"],
                    encoding="gb18030")  # as Excel on Chinese Windows saves it
    before = audits(demo_engine)
    assert main(["import", "checkpoint-days", path, "--as", "clerk"]) == 0
    out = capsys.readouterr().out
    assert "2 rows for 2020-02-26 saved as clerk: 2 new, 0 changed, 0 unchanged" in out
    assert rows_on(demo_engine, NEXT) == {first: (120, 200, "clerk"), second: (95, 150, "clerk")}
    assert audits(demo_engine) == before + 2
    # the same file again saves nothing twice
    assert main(["import", "checkpoint-days", path, "--as", "clerk"]) == 0
    assert "0 new, 0 changed, 2 unchanged" in capsys.readouterr().out
    assert audits(demo_engine) == before + 2


def test_an_excel_file_with_english_headings_is_saved(demo_engine, tmp_path, capsys):
    first, _ = z1_names(demo_engine)
    book = openpyxl.Workbook()
    book.active.append(EN_HEADER.split(","))
    book.active.append([dt.date(2020, 2, 26), first, 88, 140, 3, 0, 0])
    buffer = io.BytesIO()
    book.save(buffer)
    path = tmp_path / "feed.xlsx"
    path.write_bytes(buffer.getvalue())
    assert main(["import", "checkpoint-days", str(path), "--as", "supervisor"]) == 0
    assert rows_on(demo_engine, NEXT) == {first: (88, 140, "supervisor")}


def test_a_bad_file_prints_every_error_by_line_and_column_and_saves_nothing(demo_engine, tmp_path, capsys):
    first, second = z1_names(demo_engine)
    path = csv_file(tmp_path, EN_HEADER, [
        f"{NEXT},{first},120,200,5,1,0",  # good, but not saved: the file is all or nothing
        f"{NEXT},{second},-5,abc,0,0,0",
        f"{NEXT},不存在的卡口,1,1,0,0,0",
        f"2099-01-01,{first},1,1,0,0,0",
    ])
    before = audits(demo_engine)
    assert main(["import", "checkpoint-days", path, "--as", "clerk"]) != 0
    captured = capsys.readouterr()
    errors = captured.err.strip().splitlines()
    assert "line 3, column vehicles (车辆): cannot be negative / 不能为负数" in errors
    assert any(e.startswith("line 3, column persons (人员): must be a whole number") for e in errors)
    assert any(e.startswith("line 4, column checkpoint (卡口): no checkpoint you may write for") for e in errors)
    assert any(e.startswith("line 5, column day (日期): date cannot be in the future") for e in errors)
    assert errors[-1].startswith("4 problem(s); nothing was saved")
    assert captured.out == ""
    assert rows_on(demo_engine, NEXT) == {} and audits(demo_engine) == before


def test_a_clerk_cannot_import_another_zones_checkpoint(demo_engine, tmp_path, capsys):
    with demo_engine.connect() as conn:
        z2 = conn.execute(sa.select(Site.name).join(WorkZone).where(
            WorkZone.code == "Z2", Site.checkpoint_type == "road").limit(1)).scalar_one()
    path = csv_file(tmp_path, EN_HEADER, [f"{NEXT},{z2},1,1,0,0,0"])
    assert main(["import", "checkpoint-days", path, "--as", "clerk"]) != 0
    assert "line 2, column checkpoint" in capsys.readouterr().err
    assert rows_on(demo_engine, NEXT) == {}


def test_a_file_missing_columns_is_refused(demo_engine, tmp_path, capsys):
    path = csv_file(tmp_path, "day,checkpoint,vehicles", [f"{NEXT},x,1"])
    assert main(["import", "checkpoint-days", path, "--as", "clerk"]) != 0
    err = capsys.readouterr().err
    assert "column persons (人员): the file lacks this column" in err and "nothing was saved" in err


@pytest.mark.parametrize("username, message", [("nobody", "does not exist"), ("viewer", "read-only")])
def test_an_unknown_or_read_only_user_is_refused(demo_engine, tmp_path, capsys, username, message):
    first, _ = z1_names(demo_engine)
    path = csv_file(tmp_path, EN_HEADER, [f"{NEXT},{first},1,1,0,0,0"])
    assert main(["import", "checkpoint-days", path, "--as", username]) != 0
    assert message in capsys.readouterr().err
    assert rows_on(demo_engine, NEXT) == {}


def test_changing_saved_figures_needs_a_reason_and_is_marked_corrected(demo_engine, tmp_path, capsys):
    first, _ = z1_names(demo_engine)
    path = csv_file(tmp_path, EN_HEADER, [f"2020-02-25,{first},1,2,0,0,0"])
    assert main(["import", "checkpoint-days", path, "--as", "clerk"]) != 0
    assert "reason: changing saved figures needs a reason" in capsys.readouterr().err
    assert main(["import", "checkpoint-days", path, "--as", "clerk", "--reason", "台账核对"]) == 0
    assert "0 new, 1 changed" in capsys.readouterr().out
    with demo_engine.connect() as conn:
        corrected, reason = conn.execute(sa.select(CheckpointDay.corrected, CheckpointDay.correction_reason)
                                         .join(Site, Site.id == CheckpointDay.site_id)
                                         .where(Site.name == first, CheckpointDay.day == dt.date(2020, 2, 25))).one()
        logged = conn.execute(sa.select(AuditLog.action, AuditLog.username, AuditLog.reason)
                              .order_by(AuditLog.id.desc()).limit(1)).one()
    assert corrected and reason == "台账核对"
    assert tuple(logged) == ("correct", "clerk", "台账核对")


def test_a_missing_file_is_a_usage_error(demo_engine, tmp_path, capsys):
    assert main(["import", "checkpoint-days", str(tmp_path / "nope.csv"), "--as", "clerk"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_due_times_from_the_command_line(demo_engine, capsys):
    assert main(["due", "set", "--zone", "Z1", "09:00+1", "--reason", "早会"]) == 0
    assert "work zone Z1: due time 10:00+1 -> 09:00+1" in capsys.readouterr().out
    first, _ = z1_names(demo_engine)
    assert main(["due", "set", "18:00", "--site", first]) == 0
    assert main(["due", "list"]) == 0
    listing = capsys.readouterr().out
    assert "09:00+1" in listing and f"{first}  18:00+0" in listing
    assert main(["due", "clear", "--site", first]) == 0
    assert "18:00+0 -> (not set)" in capsys.readouterr().out
    assert main(["due", "set", "--zone", "Z1", "25:00"]) == 2
    assert "not a time of day" in capsys.readouterr().err
    assert main(["due", "set", "10:00+1"]) == 2  # neither a zone nor a site
    with demo_engine.connect() as conn:
        users = set(conn.execute(sa.select(AuditLog.username).where(AuditLog.action == "set_due_time")).scalars())
    assert users == {"cli"}
