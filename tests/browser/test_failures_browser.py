"""What a clerk and a supervisor see when the database goes away, is held by someone else, or runs
out of disk, and what the database holds afterwards (issue 9, items 3-6).

PostgreSQL: the test's own database is made unreachable (ALLOW_CONNECTIONS false and its backends
terminated), never the shared server. SQLite: the app's database file lives on a small tmpfs the
test can fill, and the test holds the write lock from its own connection.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from data_access.models import CheckpointDay, Site, WorkZone
from tests.browser.conftest import Server, go, own_postgres_database, screenshot, sign_in, wait_ready
from tests.browser.test_traffic_browser import type_into_cell
from tests.conftest import _pg_admin

pytestmark = pytest.mark.browser
RETRY = 2  # seconds between the outage screen's retries on the test servers
NEW_DAY, LAST_DAY = "2020-02-26", "2020-02-25"
TRACEBACK_SIGNS = ("Traceback", 'File "', "sqlalchemy", "psycopg", "OperationalError", "127.0.0.1:", "sqlite3")


@contextmanager
def _retry_every(seconds: float):
    os.environ["DASHBOARD_RETRY_SECONDS"] = str(seconds)
    try:
        yield
    finally:
        os.environ.pop("DASHBOARD_RETRY_SECONDS", None)


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory):
    """The app on its own PostgreSQL database, filled with the demo data on first start."""
    with own_postgres_database("dash_fail") as (url, name), _retry_every(RETRY):
        server = Server(url, tmp_path_factory.mktemp("pg_fail") / "server.log")
        server.database, server.engine = name, sa.create_engine(url, poolclass=sa.pool.NullPool)
        yield server
        server.stop()
        server.engine.dispose()


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory):
    """The app on an SQLite file on a 64 MB tmpfs (a disk the test can fill)."""
    disk = tmp_path_factory.mktemp("small_disk")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(disk)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs for the full-disk test (run the tests as root): {mounted.stderr}")
    with _retry_every(RETRY):
        server = Server(f"sqlite:///{disk / 'dashboard.db'}", tmp_path_factory.mktemp("sqlite_fail") / "server.log")
    server.disk, server.engine = disk, sa.create_engine(f"sqlite:///{disk / 'dashboard.db'}", poolclass=sa.pool.NullPool)
    yield server
    server.stop()
    server.engine.dispose()
    subprocess.run(["umount", "-l", str(disk)], check=False)


@contextmanager
def unreachable(server):
    """Connections to the server's database are refused, and open ones are cut."""
    with _pg_admin().connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{server.database}" ALLOW_CONNECTIONS false'))
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                     {"n": server.database})
    try:
        yield
    finally:
        with _pg_admin().connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{server.database}" ALLOW_CONNECTIONS true'))


def page_text(page) -> str:
    return page.locator("[data-testid='stApp']").inner_text()


def assert_no_traceback(page) -> None:
    text = page_text(page)
    assert page.locator("[data-testid='stException']").count() == 0, text[:2000]
    for sign in TRACEBACK_SIGNS:
        assert sign not in text, f"{sign!r} shown to the user:\n{text[:2000]}"


def open_entry(browser, server, user="clerk", query=""):
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, server.url, user, query=query)
    go(page, "卡口日报填报")
    return context, page


def open_entry_on(browser, server, day: str, user="clerk"):
    """The entry page opens on the filter's last day, so a link ending on `day` opens that day's grid."""
    context, page = open_entry(browser, server, user, query=f"?from=2020-02-01&to={day}")
    page.locator(f"[class*='st-key-entry_grid_{day}']").first.wait_for(timeout=30_000)
    return context, page


def grid(page, day: str):
    return page.locator(f"[class*='st-key-entry_grid_{day}']").first


def click_save(page) -> None:
    page.wait_for_timeout(400)
    wait_ready(page)
    page.locator(".st-key-entry_save button").click()


def stored(engine, day: str, zone: str = "Z1") -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(Site.name, CheckpointDay.vehicles, CheckpointDay.persons, CheckpointDay.version)
            .join(Site, Site.id == CheckpointDay.site_id).join(WorkZone, WorkZone.id == Site.zone_id)
            .where(CheckpointDay.day == dt.date.fromisoformat(day), WorkZone.code == zone)
            .order_by(Site.name)).all()
    return {name: (vehicles, persons, version) for name, vehicles, persons, version in rows}


def audit_count(engine, action: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = :a AND table_name = 'checkpoint_day'"),
                            {"a": action}).scalar_one()


# ---- items 3 and 5: an outage of any length loses nothing --------------------------------------------

def test_typed_grid_survives_an_outage_and_is_saved_once_after(browser, pg_server):
    context, page = open_entry_on(browser, pg_server, NEW_DAY)
    fields = ["vehicles", "persons", "persons_from_outside", "turned_back", "abnormal_temperature"]
    typed = {0: ["131", "217", "5", "1", "0"], 1: ["97", "151", "2", "0", "0"]}
    for row, values in typed.items():
        for field, value in zip(fields, values):
            type_into_cell(page, grid(page, NEW_DAY), row, field, value)
    page.locator(f".st-key-entry_reason_{NEW_DAY} input").fill("断网前录入")
    page.keyboard.press("Enter")
    wait_ready(page)
    before = stored(pg_server.engine, NEW_DAY)

    with unreachable(pg_server):
        click_save(page)
        page.get_by_text("暂时连不上数据库").first.wait_for(timeout=30_000)
        page.wait_for_timeout(RETRY * 3 * 1000)  # several failed retries: every widget is off the page meanwhile
        assert "已保留" in page_text(page)
        assert_no_traceback(page)
        screenshot(page, "failure_clerk_outage")
    page.locator("[class*='st-key-entry_grid_']").first.wait_for(timeout=(RETRY * 4 + 20) * 1000)
    wait_ready(page)
    assert stored(pg_server.engine, NEW_DAY) == before == {}  # nothing was saved during the outage
    assert page.locator(f".st-key-entry_reason_{NEW_DAY} input").input_value() == "断网前录入"
    assert page.locator(".st-key-entry_day input").input_value() == NEW_DAY
    assert page.locator(f".st-key-entry_grid_{NEW_DAY}_r1").count() == 1  # the grid was rebuilt from what was typed
    screenshot(page, "failure_clerk_back")

    click_save(page)
    page.get_by_text("新增 2 行").first.wait_for(timeout=30_000)  # exactly what was typed, once
    after = stored(pg_server.engine, NEW_DAY)
    assert sorted((v, p) for v, p, _ in after.values()) == [(97, 151), (131, 217)]
    assert all(version == 1 for *_, version in after.values())
    click_save(page)  # a second press saves nothing twice
    page.wait_for_timeout(1500)
    assert stored(pg_server.engine, NEW_DAY) == after
    assert_no_traceback(page)
    context.close()


def test_supervisor_filters_survive_an_outage(browser, pg_server):
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, pg_server.url, "supervisor", query="?zone=Z2&from=2020-02-10&to=2020-02-20")
    go(page, "卡口通行")
    assert "zone=Z2" in page.url and "from=2020-02-10" in page.url
    zone_label = page.locator(".st-key-f_zone").inner_text()
    with unreachable(pg_server):
        page.locator("[data-testid='stSidebarNavLink']", has_text="企业复工").first.click()  # the next click meets it
        page.get_by_text("暂时连不上数据库").first.wait_for(timeout=(RETRY * 3 + 20) * 1000)
        page.wait_for_timeout(RETRY * 3 * 1000)
        assert_no_traceback(page)
    page.locator(".st-key-f_zone").wait_for(timeout=(RETRY * 4 + 20) * 1000)
    wait_ready(page)
    assert page.locator(".st-key-f_zone").inner_text() == zone_label
    assert [page.locator(".st-key-f_range input").nth(i).input_value() for i in (0, 1)] == ["2020-02-10", "2020-02-20"]
    assert re.search(r"zone=Z2", page.url) and "from=2020-02-10" in page.url and "to=2020-02-20" in page.url
    context.close()


def test_logistics_pages_meet_an_outage_calmly(browser, pg_server):
    """Issue 15's pages: the database refusing connections on the way to 爱心捐赠 and 送餐登记 says so in
    words, never a traceback, and each page comes back by itself."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, pg_server.url, "supervisor")
    go(page, "物资保障")
    for link, back in (("爱心捐赠", "登记捐赠"), ("送餐登记", "每个值守点一行")):  # texts of the page itself
        with unreachable(pg_server):
            page.locator("[data-testid='stSidebarNavLink']", has_text=link).first.click()
            page.get_by_text("暂时连不上数据库").first.wait_for(timeout=(RETRY * 3 + 20) * 1000)
            assert_no_traceback(page)
        page.get_by_text(back).first.wait_for(timeout=(RETRY * 4 + 20) * 1000)
        wait_ready(page)
        assert_no_traceback(page)
    context.close()


# ---- items 4 and 6: the database answers, but will not take the save -----------------------------------

def _correct_first_row(page, vehicles: str, reason: str) -> None:
    type_into_cell(page, grid(page, LAST_DAY), 0, "vehicles", vehicles)
    page.locator(f".st-key-entry_reason_{LAST_DAY} input").fill(reason)
    page.keyboard.press("Enter")
    wait_ready(page)
    confirm = page.locator(f".st-key-entry_confirm_{LAST_DAY}")
    if confirm.count():
        confirm.locator("label").click()
        wait_ready(page)


def test_postgres_row_held_by_another_session_answers_within_seconds(browser, pg_server):
    context, page = open_entry_on(browser, pg_server, LAST_DAY)
    before = stored(pg_server.engine, LAST_DAY)
    _correct_first_row(page, "321", "锁等待测试")
    holder = pg_server.engine.connect()
    holder.execute(sa.select(CheckpointDay.id).where(CheckpointDay.day == dt.date.fromisoformat(LAST_DAY))
                   .with_for_update())  # an abandoned session holding the day's rows
    try:
        started = time.monotonic()
        click_save(page)
        page.get_by_text("数据库正忙").first.wait_for(timeout=15_000)
        assert time.monotonic() - started < 12
        assert "上次保存没有成功" in page_text(page) or "未保存" in page_text(page)
        assert_no_traceback(page)
        screenshot(page, "failure_row_lock")
    finally:
        holder.rollback()
        holder.close()
    assert stored(pg_server.engine, LAST_DAY) == before
    assert page.locator(f".st-key-entry_reason_{LAST_DAY} input").input_value() == "锁等待测试"
    click_save(page)
    page.get_by_text("修改 1 行").first.wait_for(timeout=30_000)
    assert 321 in [v for v, _, _ in stored(pg_server.engine, LAST_DAY).values()]
    context.close()


def test_sqlite_busy_then_full_disk_each_say_so_and_keep_the_input(browser, sqlite_server):
    context, page = open_entry_on(browser, sqlite_server, LAST_DAY)
    before = stored(sqlite_server.engine, LAST_DAY)
    corrections = audit_count(sqlite_server.engine, "correct")
    _correct_first_row(page, "432", "锁与磁盘测试")

    holder = sqlite_server.engine.connect()
    holder.exec_driver_sql("BEGIN IMMEDIATE")  # another writer holds the database
    try:
        started = time.monotonic()
        click_save(page)
        page.get_by_text("数据库正忙").first.wait_for(timeout=20_000)
        assert time.monotonic() - started < 12
        assert_no_traceback(page)
        screenshot(page, "failure_sqlite_busy")
    finally:
        holder.rollback()
        holder.close()
    assert stored(sqlite_server.engine, LAST_DAY) == before

    # the write-ahead log keeps its size after a checkpoint, and the demo's bulk load leaves it large: a
    # save would then fit in the room the log already has on disk, and a full disk would not show. Empty
    # it first, so the next save needs new space, as on a disk that filled up while the log was small.
    with sqlite_server.engine.connect() as conn:
        busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    assert busy == 0 and os.path.getsize(f"{sqlite_server.disk / 'dashboard.db'}-wal") == 0
    filler = sqlite_server.disk / "filler"
    with open(filler, "wb", buffering=0) as out:  # the disk fills up (unbuffered: closing flushes nothing)
        try:
            while True:
                out.write(b"\0" * (1 << 16))
                out.flush()
        except OSError:
            pass
    try:
        click_save(page)
        page.get_by_text("存储空间已满").first.wait_for(timeout=20_000)
        assert_no_traceback(page)
        screenshot(page, "failure_sqlite_full")
    finally:
        os.remove(filler)
    assert stored(sqlite_server.engine, LAST_DAY) == before
    assert audit_count(sqlite_server.engine, "correct") == corrections
    assert page.locator(f".st-key-entry_reason_{LAST_DAY} input").input_value() == "锁与磁盘测试"

    click_save(page)  # space again: the same input is saved, once
    page.get_by_text("修改 1 行").first.wait_for(timeout=30_000)
    assert 432 in [v for v, _, _ in stored(sqlite_server.engine, LAST_DAY).values()]
    assert audit_count(sqlite_server.engine, "correct") == corrections + 1
    context.close()
