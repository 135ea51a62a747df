"""Shared fixtures: every data-access test runs on SQLite and on PostgreSQL.

Each test gets a fresh database copied from a template built once per run (an SQLite file copy,
or PostgreSQL's CREATE DATABASE ... TEMPLATE), so tests stay independent and fast. A PostgreSQL test
fails, never skips, when no server answers at TEST_POSTGRES_URL: the README's test command
(scripts/test.sh) installs and starts one.
"""
from __future__ import annotations

import itertools
import os
import shutil
import uuid

import pytest
import sqlalchemy as sa

from data_access import db, schema

# One personal-data key for the whole run (data_access/personal.py): a test database is a copy of a template
# made elsewhere, so a key file beside each SQLite file would not be the key its phones were encrypted with,
# and PostgreSQL runs would write one into the project's data/.
os.environ.setdefault("DASHBOARD_PERSONAL_KEY", "dGVzdC1ydW4tcGVyc29uYWwtZGF0YS1rZXktMzJieXQ=")

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
_RUN = uuid.uuid4().hex[:8]
_counter = itertools.count()


def _pg_admin():
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _pg_reachable() -> bool:
    try:
        with _pg_admin().connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except Exception:
        return False


PG_AVAILABLE = _pg_reachable()


def _build_template(kind: str, backend: str, tmp_root) -> str:
    """A migrated database (kind 'empty') or one holding the demo data set (kind 'demo')."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_root / f'template_{kind}.db'}"
    else:
        name = f"dash_tpl_{kind}_{_RUN}"
        with _pg_admin().connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = _pg_url(name)
    engine = db.get_engine(url)
    schema.upgrade(engine)
    if kind == "demo":
        from data_access import demo

        demo.load_demo(engine)
    db.dispose_engines()
    return url


@pytest.fixture(scope="session")
def _templates(tmp_path_factory):
    root = tmp_path_factory.mktemp("db_templates")
    built: dict[tuple[str, str], str] = {}

    def get(kind: str, backend: str) -> str:
        if (kind, backend) not in built:
            built[(kind, backend)] = _build_template(kind, backend, root)
        return built[(kind, backend)]

    yield get
    db.dispose_engines()
    if PG_AVAILABLE:
        with _pg_admin().connect() as conn:
            for (kind, backend), url in built.items():
                if backend == "postgresql":
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


def _fresh_database(templates, kind: str, backend: str, tmp_path, monkeypatch):
    if backend == "postgresql" and not PG_AVAILABLE:
        pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_URL}: run bash scripts/postgres_for_tests.sh (the README's "
                    "test command installs and starts one)", pytrace=False)
    template = templates(kind, backend)
    if backend == "sqlite":
        path = tmp_path / f"{kind}.db"
        shutil.copyfile(template.split("///", 1)[1], path)
        url = f"sqlite:///{path}"
        name = None
    else:
        name = f"dash_t_{_RUN}_{next(_counter)}"
        with _pg_admin().connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template.rsplit("/", 1)[1]}"'))
        url = _pg_url(name)
    monkeypatch.setenv("DATABASE_URL", url)
    return url, name


def _drop(name):
    db.dispose_engines()
    if name:
        with _pg_admin().connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture
def engine(_templates, backend, tmp_path, monkeypatch):
    """An empty, migrated database on each backend; DATABASE_URL points at it."""
    url, name = _fresh_database(_templates, "empty", backend, tmp_path, monkeypatch)
    yield db.get_engine(url)
    _drop(name)


@pytest.fixture
def demo_engine(_templates, backend, tmp_path, monkeypatch):
    """A database holding the demo data set, on each backend; DATABASE_URL points at it."""
    url, name = _fresh_database(_templates, "demo", backend, tmp_path, monkeypatch)
    yield db.get_engine(url)
    _drop(name)


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """Cached values are module globals: clear them so tests do not leak into each other."""
    yield
    try:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()
    except Exception:
        pass


def pytest_report_header(config):
    state = "reachable" if PG_AVAILABLE else "NOT reachable: PostgreSQL runs will fail"
    return f"PostgreSQL for tests: {PG_ADMIN_URL} ({state})"


# ---- how many PostgreSQL runs there were, in the summary ------------------------------------------

_PG_TESTS: set[str] = set()
_PG_OUTCOMES: dict[str, str] = {}


def pytest_collection_modifyitems(config, items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgresql":
            _PG_TESTS.add(item.nodeid)


def pytest_runtest_logreport(report):
    if report.nodeid not in _PG_TESTS:
        return
    if report.failed:
        _PG_OUTCOMES[report.nodeid] = "failed"
    elif report.skipped and _PG_OUTCOMES.get(report.nodeid) != "failed":
        _PG_OUTCOMES[report.nodeid] = "skipped"
    elif report.when == "call" and report.passed:
        _PG_OUTCOMES.setdefault(report.nodeid, "passed")


def pytest_terminal_summary(terminalreporter):
    if not _PG_TESTS:
        return
    counts = {kind: sum(1 for v in _PG_OUTCOMES.values() if v == kind) for kind in ("passed", "failed", "skipped")}
    ran = counts["passed"] + counts["failed"]
    line = f"PostgreSQL: {ran} tests ran on {PG_ADMIN_URL} ({counts['passed']} passed, {counts['failed']} failed)"
    if counts["skipped"]:
        line += f", {counts['skipped']} skipped" + ("" if PG_AVAILABLE else ": no server answered")
    terminalreporter.write_sep("=", line, red=bool(counts["failed"] or (counts["skipped"] and not PG_AVAILABLE)),
                               green=not counts["failed"] and not counts["skipped"], bold=True)


# ---- a page test's language ---------------------------------------------------------------------

def _session_language(monkeypatch, request) -> str:
    """The test's language (indirect parametrisation), also where AppTest calls a widget's
    format_func between runs, outside the script, where ui.i18n cannot read the session's language
    and would answer Chinese (and then not find the English label it is looking for)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    from ui import i18n

    in_session = i18n.lang
    monkeypatch.setattr(i18n, "lang", lambda: in_session() if get_script_run_ctx() else request.param)
    return request.param


@pytest.fixture
def language(monkeypatch, request):
    return _session_language(monkeypatch, request)


@pytest.fixture(name="lang")
def page_lang(monkeypatch, request):
    return _session_language(monkeypatch, request)
