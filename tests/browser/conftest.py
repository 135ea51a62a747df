"""A real `streamlit run app.py` on a loopback port, driven by Debian's headless Chromium."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, process: subprocess.Popen | None, seconds: float = 60) -> bool:
    """True once `url` answers; False if the process died or the time ran out."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return True
        except Exception:
            if process is not None and process.poll() is not None:
                return False
            time.sleep(0.3)
    return False


class Server:
    """One app server on a loopback port: `streamlit run app.py` by default, or `entry="serve.py"` (the
    shipped entry point, with the cookie routes). `env` adds settings; several servers behind a balancer
    share a `cookie_secret`."""

    def __init__(self, database_url: str, log_path: Path, env: dict | None = None, entry: str = "app.py",
                 cookie_secret: str | None = None, root: Path = ROOT):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.log_path = log_path
        environment = {**os.environ, "DATABASE_URL": database_url, "DASHBOARD_DEMO": "1",
                       "DASHBOARD_LOG": str(log_path.with_suffix(".app.log")), **(env or {})}
        if cookie_secret:
            environment["STREAMLIT_SERVER_COOKIE_SECRET"] = cookie_secret
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(root / entry), "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=root, env=environment, stdout=self.log, stderr=subprocess.STDOUT,
        )
        if not wait_http(self.url + "/_stcore/health", self.process):
            self.stop()
            raise RuntimeError(f"streamlit did not start; see {log_path}")

    def kill(self) -> None:
        """As a crash would: no goodbye to the browsers."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if not self.log.closed:
            self.log.close()


def query(server, sql: str, **values) -> list[tuple]:
    """What the server's database holds now, read on a connection of the test's own (closed after)."""
    engine = sa.create_engine(server.database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), values).all()]
    finally:
        engine.dispose()


@contextmanager
def own_postgres_database(prefix: str):
    """A PostgreSQL database of the test's own (so it can be cut off or have its clock moved, never the
    shared server), dropped afterwards; yields its URL and name."""
    from tests.conftest import PG_ADMIN_URL, PG_AVAILABLE, _pg_admin, _pg_url

    if not PG_AVAILABLE:
        pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with _pg_admin().connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_url(name), name
    finally:
        from data_access import db

        db.dispose_engines()
        with _pg_admin().connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium (the README's test command does)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                  "--no-first-run", "--disable-component-update", "--disable-sync"],
        )
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The app on a fresh SQLite file that it fills with the demo data on first start."""
    folder = tmp_path_factory.mktemp("server")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = Server(f"sqlite:///{folder / 'demo.db'}", folder / "server.log")
    yield server
    server.stop()


def wait_ready(page, timeout: float = 30_000) -> None:
    """Streamlit has finished running the script (and so has drawn the page)."""
    page.wait_for_selector(READY, timeout=timeout)
    page.wait_for_timeout(300)  # let the last deltas paint
    page.wait_for_selector(READY, timeout=timeout)


def sign_in(page, base_url: str, username: str, password: str = "demo", query: str = "") -> None:
    page.goto(base_url + "/" + query)
    wait_ready(page)
    page.locator(".st-key-signin_username input").fill(username)
    page.locator(".st-key-signin_password input").fill(password)
    page.locator(".st-key-signin_submit button").click()
    page.wait_for_selector(".st-key-sign_out", timeout=30_000)
    wait_ready(page)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def go(page, title: str) -> None:
    """Move to another page through the sidebar, as a person would (a reload would end the session)."""
    page.locator("[data-testid='stSidebarNavLink']", has_text=title).first.click()
    page.wait_for_timeout(300)
    wait_ready(page)


@pytest.fixture(scope="module")
def monkeypatch_module():
    """monkeypatch for a module's server fixture: environment for the server, undone afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        yield patch
