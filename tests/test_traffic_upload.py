"""Uploading a file of daily checkpoint figures: every row checked, all or nothing."""
from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import auth
from data_access.errors import ValidationError
from data_access.models import AuditLog, CheckpointDay, Site
from data_access.traffic_entry import check_upload, save_upload, upload_template

TODAY = dt.date(2020, 3, 1)


def frame(rows: list[dict]) -> pd.DataFrame:
    """What the page hands over: a CSV read as text, exactly as a clerk's file would arrive."""
    text = pd.DataFrame(rows).to_csv(index=False)
    return pd.read_csv(io.StringIO(text), dtype=str)


def road_names(engine, zone_code="Z1") -> list[str]:
    with engine.connect() as conn:
        return conn.execute(sa.select(Site.name).where(Site.checkpoint_type == "road", Site.zone.has(code=zone_code))
                            .order_by(Site.name)).scalars().all()


def row(day, name, vehicles=10, persons=20, outside=1, turned_back=0, abnormal=0) -> dict:
    return {"day": day, "checkpoint": name, "vehicles": vehicles, "persons": persons, "persons_from_outside": outside,
            "turned_back": turned_back, "abnormal_temperature": abnormal}


def count_on(engine, day) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).where(CheckpointDay.day == day)).scalar_one()


def test_template_has_every_column():
    assert list(upload_template().columns) == ["day", "checkpoint", "vehicles", "persons", "persons_from_outside",
                                               "turned_back", "abnormal_temperature"]


def test_a_good_file_saves_every_row_in_one_go(demo_engine):
    clerk = auth.authenticate("clerk", "demo", demo_engine)
    names = road_names(demo_engine)
    rows = check_upload(frame([row("2020-02-26", n) for n in names] + [row("2020-02-27", n) for n in names]),
                        clerk, today=TODAY, engine=demo_engine)
    assert save_upload("clerk", rows, today=TODAY, engine=demo_engine)["inserted"] == 2 * len(names)
    assert count_on(demo_engine, dt.date(2020, 2, 26)) == len(names)


def test_every_bad_cell_is_listed_by_row_and_column_and_nothing_is_saved(demo_engine):
    clerk = auth.authenticate("clerk", "demo", demo_engine)
    name = road_names(demo_engine)[0]
    other_zone = road_names(demo_engine, "Z2")[0]
    bad = frame([
        row("2020-02-26", name),                              # line 2: fine
        row("2020-02-26", name, vehicles=-3),                 # line 3: negative, and a duplicate
        row("2020-02-26", name, persons="many"),               # line 4: text (and duplicate)
        row("2030-01-01", name),                              # line 5: future
        row("26/02/2020", name),                              # line 6: ambiguous date format
        row("2020-02-26", "<b>新卡口</b>"),                    # line 7: unknown name, HTML kept as text
        row("2020-02-26", other_zone),                        # line 8: another zone's checkpoint
    ])
    with pytest.raises(ValidationError) as error:
        check_upload(bad, clerk, today=TODAY, engine=demo_engine)
    found = error.value.fields()
    assert (3, "vehicles") in found and (4, "persons") in found and (3, "checkpoint") in found
    assert (5, "day") in found and (6, "day") in found
    assert (7, "checkpoint") in found and (8, "checkpoint") in found
    assert (2, "vehicles") not in found
    assert "<b>新卡口</b>" in error.value.for_field("checkpoint", 7)[0].zh  # named as typed, escaped on display
    assert count_on(demo_engine, dt.date(2020, 2, 26)) == 0


def test_missing_columns_are_named(demo_engine):
    clerk = auth.authenticate("clerk", "demo", demo_engine)
    with pytest.raises(ValidationError) as error:
        check_upload(pd.DataFrame({"day": ["2020-02-26"], "vehicles": ["1"]}), clerk, today=TODAY, engine=demo_engine)
    assert {f for _, f in error.value.fields()} == {"checkpoint", "persons", "persons_from_outside", "turned_back",
                                                   "abnormal_temperature"}


def test_a_file_that_changes_saved_figures_needs_a_reason(demo_engine):
    clerk = auth.authenticate("clerk", "demo", demo_engine)
    name = road_names(demo_engine)[0]
    rows = check_upload(frame([row("2020-02-25", name, vehicles=999, persons=999)]), clerk, today=TODAY, engine=demo_engine)
    with pytest.raises(ValidationError) as error:
        save_upload("clerk", rows, today=TODAY, engine=demo_engine)
    assert error.value.for_field("reason")
    assert save_upload("clerk", rows, reason="补录纸质台账", today=TODAY, engine=demo_engine)["updated"] == 1
    with demo_engine.connect() as conn:
        audit_row = conn.execute(sa.select(AuditLog).where(AuditLog.action == "correct")).one()
    assert audit_row.reason == "补录纸质台账" and '"vehicles": 999' in audit_row.after


def test_progress_is_reported_on_large_files(demo_engine):
    clerk = auth.authenticate("clerk", "demo", demo_engine)
    names = road_names(demo_engine)
    days = [dt.date(2020, 3, 1) - dt.timedelta(days=n) for n in range(1, 4)]
    big = frame([row(d.isoformat(), n) for d in days for n in names] * 1)
    seen = []
    check_upload(big, clerk, today=TODAY, engine=demo_engine, progress=seen.append)
    assert seen and seen[-1] == 1.0
