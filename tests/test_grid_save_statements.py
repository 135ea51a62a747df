"""The grid save's and the upload's writes in few statements (issue 14): on PostgreSQL the changed rows, their
audit rows and the totals each go in one statement (values as one JSON parameter), and the line versions are
bumped in the message that commits. They must write exactly what the row-by-row statements wrote."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from data_access import audit, db, traffic_entry, traffic_totals
from data_access.demo import DEMO_AS_OF
from data_access.errors import ConflictError
from data_access.models import AuditLog, CheckpointDay, Site
from tests.helpers import day_row

TODAY = DEMO_AS_OF + dt.timedelta(days=1)
FIGURES = traffic_entry.COUNT_FIELDS
REASON = "抄错了 \"引号\" \\ 和 emoji 😀"


def _in_step(engine) -> bool:
    with engine.connect() as conn:
        kept = set(conn.execute(select(*[traffic_totals.TOTAL.c[name] for name in ("day", "zone_id", *traffic_totals.COLUMNS)])))
        return bool(kept) and kept == set(conn.execute(traffic_totals._aggregate()))


def _road_checkpoints(engine, count: int) -> list[int]:
    """Road checkpoints of more than one zone, when the demo has them."""
    with engine.connect() as conn:
        rows = conn.execute(select(Site.id, Site.zone_id).where(*traffic_totals.ROAD_CHECKPOINT).order_by(Site.zone_id, Site.id)).all()
    by_zone: dict[int, list[int]] = {}
    for site_id, zone_id in rows:
        by_zone.setdefault(zone_id, []).append(site_id)
    picked = [site for sites in zip(*by_zone.values()) for site in sites] or [r[0] for r in rows]
    return sorted(picked[:count])


def _stored(engine, day) -> dict[int, CheckpointDay]:
    with engine.connect() as conn:
        return {row.site_id: row for row in conn.execute(select(CheckpointDay.__table__).where(CheckpointDay.day == day))}


def _audits_after(engine, last_id: int) -> list:
    with engine.connect() as conn:
        return conn.execute(select(AuditLog.__table__).where(AuditLog.id > last_id).order_by(AuditLog.id)).all()


def _last_audit(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(AuditLog.id), 0))).scalar_one()


def test_a_grid_save_updates_and_corrects_exactly_and_audits_each_row(demo_engine):
    sites = _road_checkpoints(demo_engine, 4)
    first = [day_row(site, vehicles=10 + k, persons=50) for k, site in enumerate(sites)]
    assert traffic_entry.save_checkpoint_days("supervisor", TODAY, first, today=TODAY)["inserted"] == len(sites)
    saved = _stored(demo_engine, TODAY)
    before_versions = db.line_versions(demo_engine)
    mark = _last_audit(demo_engine)
    # the same day again: three rows changed, one as it was
    rows = [{**day_row(site, vehicles=100 + k, persons=200, outside=3, turned_back=2, abnormal=1), "version": saved[site].version}
            for k, site in enumerate(sites[:3])]
    rows.append({**day_row(sites[3], vehicles=13, persons=50), "version": saved[sites[3]].version})
    assert traffic_entry.save_checkpoint_days("supervisor", TODAY, rows, today=TODAY) == {"inserted": 0, "updated": 3, "unchanged": 1}
    now = _stored(demo_engine, TODAY)
    for k, site in enumerate(sites[:3]):
        row = now[site]
        assert tuple(getattr(row, f) for f in FIGURES) == (100 + k, 200, 3, 2, 1)
        assert (row.version, row.corrected, row.correction_reason, row.updated_by) == (saved[site].version + 1, False, None, "supervisor")
    assert now[sites[3]] == saved[sites[3]]
    audits = _audits_after(demo_engine, mark)
    assert [(a.action, a.row_id, a.table_name, a.username, a.reason) for a in audits] == \
        [("update", saved[site].id, "checkpoint_day", "supervisor", None) for site in sites[:3]]
    for a, site in zip(audits, sites[:3]):
        assert a.before == audit._json({f: getattr(saved[site], f) for f in FIGURES})
        assert a.after == audit._json({f: getattr(now[site], f) for f in FIGURES})
        assert a.at is not None and a.at == audits[0].at
    assert db.line_versions(demo_engine)["traffic"] == before_versions["traffic"] + 1
    assert _in_step(demo_engine)

    # an earlier day: a correction, marked, with its reason as typed
    earlier = _stored(demo_engine, DEMO_AS_OF)
    fixed = [site for site in sites if site in earlier][:2]
    assert fixed, "the demo has reports on its last day"
    mark = _last_audit(demo_engine)
    rows = [{**day_row(site, vehicles=earlier[site].vehicles + 7, persons=earlier[site].persons + 7), "version": earlier[site].version}
            for site in fixed]
    assert traffic_entry.save_checkpoint_days("supervisor", DEMO_AS_OF, rows, reason=REASON, today=TODAY)["updated"] == len(fixed)
    after = _stored(demo_engine, DEMO_AS_OF)
    for site in fixed:
        assert (after[site].vehicles, after[site].version) == (earlier[site].vehicles + 7, earlier[site].version + 1)
        assert (after[site].corrected, after[site].correction_reason) == (True, REASON)
    audits = _audits_after(demo_engine, mark)
    assert [(a.action, a.row_id, a.reason) for a in audits] == [("correct", earlier[site].id, REASON) for site in fixed]
    assert json.loads(audits[0].after)["vehicles"] == earlier[fixed[0]].vehicles + 7
    assert db.line_versions(demo_engine)["traffic"] == before_versions["traffic"] + 2
    assert _in_step(demo_engine)


def test_an_upload_of_new_changed_and_corrected_rows_writes_each_as_before(demo_engine):
    sites = _road_checkpoints(demo_engine, 3)
    traffic_entry.save_checkpoint_days("supervisor", TODAY, [day_row(sites[0], vehicles=5, persons=9)], today=TODAY)
    earlier = _stored(demo_engine, DEMO_AS_OF)
    corrected = next(site for site in sites if site in earlier)
    mark = _last_audit(demo_engine)
    rows = [{**day_row(sites[0], vehicles=6, persons=9), "day": TODAY},  # changed, today
            {**day_row(sites[1], vehicles=8, persons=9), "day": TODAY},  # new
            {**day_row(corrected, vehicles=earlier[corrected].vehicles + 1, persons=earlier[corrected].persons + 1),
             "day": DEMO_AS_OF}]  # an earlier day: a correction
    assert traffic_entry.save_upload("supervisor", rows, reason="台账核对", today=TODAY) == \
        {"inserted": 1, "updated": 2, "unchanged": 0}
    audits = _audits_after(demo_engine, mark)
    assert [(a.action, a.reason) for a in audits] == [("insert", None), ("update", "台账核对"), ("correct", "台账核对")]
    today_rows, earlier_rows = _stored(demo_engine, TODAY), _stored(demo_engine, DEMO_AS_OF)
    assert (today_rows[sites[0]].vehicles, today_rows[sites[0]].corrected, today_rows[sites[0]].correction_reason) == (6, False, None)
    assert (earlier_rows[corrected].corrected, earlier_rows[corrected].correction_reason) == (True, "台账核对")
    assert _in_step(demo_engine)


def test_a_refused_save_leaves_rows_audit_and_versions_as_they_were(demo_engine):
    site = _road_checkpoints(demo_engine, 1)[0]
    traffic_entry.save_checkpoint_days("supervisor", TODAY, [day_row(site, vehicles=5, persons=9)], today=TODAY)
    versions, mark, stored = db.line_versions(demo_engine), _last_audit(demo_engine), _stored(demo_engine, TODAY)
    with pytest.raises(ConflictError):  # the version the form loaded moved on
        traffic_entry.save_checkpoint_days("supervisor", TODAY, [{**day_row(site, vehicles=6, persons=9), "version": 99}],
                                           today=TODAY)
    assert (db.line_versions(demo_engine), _last_audit(demo_engine), _stored(demo_engine, TODAY)) == (versions, mark, stored)
    # and the pooled connection the refused save used saves the next one
    row = {**day_row(site, vehicles=6, persons=9), "version": stored[site].version}
    assert traffic_entry.save_checkpoint_days("supervisor", TODAY, [row], today=TODAY)["updated"] == 1
    assert db.line_versions(demo_engine)["traffic"] == versions["traffic"] + 1
    assert _in_step(demo_engine)


def test_a_core_write_of_a_line_without_a_version_row_starts_it_at_one(demo_engine):
    with db.write_connection(demo_engine) as conn:
        conn.execute(traffic_entry.SETTING.delete().where(traffic_entry.SETTING.c.key == "no such key"))
        conn.execute(db.versions.VERSIONS.delete().where(db.versions.VERSIONS.c.line == "shops"))
    with db.write_connection(demo_engine) as conn:
        conn.exec_driver_sql("UPDATE shop SET name = name WHERE 1 = 0")
    assert db.line_versions(demo_engine)["shops"] == 1


def test_clerks_saving_at_once_lose_no_total_and_no_version(demo_engine):
    """The totals rows and the version row every save writes, held back to the message that commits:
    saves at once of one day in the same zones wait for each other there and lose nothing."""
    import threading

    sites = _road_checkpoints(demo_engine, 8)
    traffic_entry.save_checkpoint_days("supervisor", TODAY, [day_row(site, vehicles=1, persons=2) for site in sites], today=TODAY)
    stored = _stored(demo_engine, TODAY)
    before = db.line_versions(demo_engine)["traffic"]
    errors, barrier = [], threading.Barrier(len(sites))

    def save(site):
        barrier.wait()
        try:
            row = {**day_row(site, vehicles=30 + site % 7, persons=40), "version": stored[site].version}
            traffic_entry.save_checkpoint_days("supervisor", TODAY, [row], today=TODAY)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=save, args=(site,)) for site in sites]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert db.line_versions(demo_engine)["traffic"] == before + len(sites)
    assert {site: row.vehicles for site, row in _stored(demo_engine, TODAY).items() if site in sites} == \
        {site: 30 + site % 7 for site in sites}
    assert _in_step(demo_engine)
