"""The engine and the two kinds of transaction every other module uses.

`DATABASE_URL` picks the database; unset, an SQLite file under `data/`. On SQLite every write
transaction starts with BEGIN IMMEDIATE, so a writer waits for the write lock up front (bounded by
the busy timeout) instead of failing half-way with "database is locked".
"""
from __future__ import annotations

import logging
import os
import threading
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd
from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.orm import Session

from . import versions
from .errors import SaveFailed

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "dashboard.db"
# How long a save may wait for another writer's lock before it gives up and says so. A clerk
# waiting longer than this thinks the page hung; every real save holds its lock for milliseconds.
LOCK_WAIT_SECONDS = float(os.environ.get("DASHBOARD_LOCK_WAIT_SECONDS", "8"))
LOCK_WAIT_MS = int(LOCK_WAIT_SECONDS * 1000)
# PostgreSQL: a statement that runs this long is stuck, not slow (the slowest page query takes
# well under a second at city scale), and a session left idle inside a transaction holds locks.
PG_STATEMENT_TIMEOUT_MS = 30_000
PG_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000
APPLICATION_NAME = "zone-dashboard"
log = logging.getLogger("dashboard")

_engines: dict[str, Engine] = {}
_lock = threading.Lock()
_sqlite_writers: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        # Accept the bare scheme most hosting platforms hand out.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def is_embedded_default() -> bool:
    return not os.environ.get("DATABASE_URL", "").strip()


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process (engines are thread-safe and pool their connections)."""
    url = url or database_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _make_engine(url)
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a driver error logged for the administrator never carries the row's values
        # (personal data is encrypted before it is bound, but names and free text are not)
        engine = create_engine(url, connect_args={"timeout": LOCK_WAIT_SECONDS}, hide_parameters=True)
        _tune_sqlite(engine)
        _sqlite_writers[engine] = threading.RLock()
        versions.watch(engine)
        return engine
    options = (f"-c lock_timeout={LOCK_WAIT_MS} -c statement_timeout={PG_STATEMENT_TIMEOUT_MS} "
               f"-c idle_in_transaction_session_timeout={PG_IDLE_IN_TRANSACTION_TIMEOUT_MS}")
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True,
                           connect_args={"connect_timeout": 5, "application_name": APPLICATION_NAME,
                                         "options": options})
    versions.watch(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def read_connection(engine: Engine | None = None) -> Iterator:
    engine = engine or get_engine()
    with engine.connect() as conn:
        yield conn


def frame_of(result, dtype=None) -> pd.DataFrame:
    """A result's rows as a frame, its columns named by the select's labels (result.keys()).
    dtype=object keeps None and Python ints as they are (no NaN, no floats)."""
    # Plain tuples: pandas probes each SQLAlchemy Row as a sequence, which costs more than the query
    # (a 2,000-row frame: 28 ms from rows, 4 ms from tuples).
    return pd.DataFrame([tuple(row) for row in result.all()], columns=list(result.keys()), dtype=dtype)


def read_frame(query, engine: Engine | None = None, dtype=None) -> pd.DataFrame:
    """Run a labelled select and return its rows as a frame."""
    with read_connection(engine) as conn:
        return frame_of(conn.execute(query), dtype)


@contextmanager
def write_session(engine: Engine | None = None) -> Iterator[Session]:
    """One write transaction: everything inside commits together or not at all.

    Just before it commits it bumps the version of each line whose tables it wrote, so every app
    server's read caches of those lines (and only those) see the write at once. A write the database does not commit (busy, disk full, out of reach) raises SaveFailed.
    """
    engine = engine or get_engine()
    with _failed_saves(), _writer_turn(engine), engine.connect().execution_options(sqlite_immediate=True) as conn, \
            versions.tracking_writes(conn) as written:
        with Session(bind=conn, expire_on_commit=False) as session:
            with session.begin():
                yield session
                session.flush()
                versions.bump(session, written)


@contextmanager
def write_connection(engine: Engine | None = None) -> Iterator[Connection]:
    """write_session for a write made through Core alone: the same one transaction, the same line
    versions bumped before the commit and the same SaveFailed, without an ORM Session (whose
    set-up, flush and commit cost ~1 ms of a 50-row grid save)."""
    engine = engine or get_engine()
    with _failed_saves(), _writer_turn(engine), engine.connect().execution_options(sqlite_immediate=True) as conn, \
            versions.tracking_writes(conn) as written, versions.committing_in_one_message(conn):
        with conn.begin():
            yield conn
            # PostgreSQL: what was held back to the end, the bump and COMMIT in one message
            if not versions.bump_and_commit(conn, written):
                versions.bump(conn, written)


@contextmanager
def _writer_turn(engine: Engine) -> Iterator[None]:
    """SQLite: the writers of this process (an app server's sessions are its threads) take turns on a lock
    before BEGIN IMMEDIATE. SQLite's own busy wait polls with growing sleeps (1, 2, 5, 10 ... ms), so
    8 clerks saving at once each slept far longer than the saves ahead of them took; a lock hands the
    turn on at once. Other processes still wait through the busy timeout. Reentrant: a write opened
    inside another (in the same thread) behaves as before, waiting on SQLite's lock."""
    turn = _sqlite_writers.get(engine)
    if turn is None:
        yield
        return
    if not turn.acquire(timeout=LOCK_WAIT_SECONDS):
        log.warning("write not committed (busy): another write of this process held the database for %s s",
                    LOCK_WAIT_SECONDS)
        raise SaveFailed("busy")
    try:
        yield
    finally:
        turn.release()


@contextmanager
def _failed_saves() -> Iterator[None]:
    """A driver error of a write becomes SaveFailed of one kind (an integrity error stays as it is)."""
    try:
        yield
    except exc.IntegrityError:
        raise  # a constraint the caller turns into a refusal of its own (a conflict, a duplicate)
    except (exc.OperationalError, exc.InterfaceError, exc.DataError, exc.DBAPIError) as error:
        kind = failure_kind(error)
        log.warning("write not committed (%s): %s", kind, error)
        raise SaveFailed(kind) from error


# SQLite result codes and PostgreSQL SQLSTATEs, by what they mean to the person saving.
_SQLITE_KINDS = {"SQLITE_BUSY": "busy", "SQLITE_LOCKED": "busy", "SQLITE_FULL": "full", "SQLITE_READONLY": "read_only",
                 "SQLITE_CANTOPEN": "unreachable", "SQLITE_IOERR": "full", "SQLITE_NOTADB": "unreachable"}
_PG_KINDS = {"55P03": "busy", "57014": "busy", "40001": "busy", "40P01": "busy", "53100": "full", "53200": "full",
             "53300": "unreachable", "25006": "read_only", "57P01": "unreachable", "57P02": "unreachable",
             "57P03": "unreachable"}


def failure_kind(error: BaseException) -> str:
    """'busy', 'full', 'read_only', 'unreachable' or 'rejected', from a driver error."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return "unreachable"
    original = getattr(error, "orig", None)
    sqlite_name = getattr(original, "sqlite_errorname", None)
    if sqlite_name:  # extended codes (SQLITE_IOERR_WRITE) share their primary code's meaning
        return _SQLITE_KINDS.get("_".join(sqlite_name.split("_")[:2]), "rejected")
    state = getattr(original, "sqlstate", None)
    if state:
        return _PG_KINDS.get(state, "unreachable" if state.startswith("08") else "rejected")
    text = str(original or error).lower()
    if "locked" in text or "timeout" in text:
        return "busy"
    if "full" in text:
        return "full"
    # No SQLSTATE and no SQLite code: the driver never got an answer (refused, reset, closed).
    return "unreachable" if isinstance(error, (exc.OperationalError, exc.InterfaceError)) else "rejected"


def bump_all_lines(session_or_connection) -> None:
    """After a bulk load that bypassed write_session (benchmarks, restores): every cache is stale."""
    versions.bump(session_or_connection, versions.LINES)


def line_versions(engine: Engine | None = None) -> dict[str, int]:
    """Every line's version (one small table): read once per page run to key the caches."""
    with read_connection(engine) as conn:
        return versions.current(conn)


def data_version(engine: Engine | None = None) -> int:
    """The sum of the line versions: it grows with every committed write to any line."""
    return sum(line_versions(engine).values())
