"""One data version per line of work, so a save invalidates only the caches that read what it wrote.

A write transaction notes the tables its statements write (INSERT, UPDATE, DELETE) and, just before
it commits, bumps the version of each of their lines: a shop save moves "shops" and nothing else, so
the traffic pages keep their caches, and on PostgreSQL two clerks saving different lines never wait
for the same version row.

A cached read is keyed on the versions of the lines it has been seen to read. Which tables a read
touches is learned, not declared: the first run of a read records the tables its SQL names, and the
set only grows. A lookup made while the set is still smaller than a read's real needs stores its
entry under a key no later lookup asks for (the key names the lines it covers), so a learned set can
cost an extra run but never serve a stale figure. (A read's first run in a process is stored under
the key its own run learned, so learning costs nothing.) A statement naming no known table (raw SQL) counts
as reading, or writing, every line.
"""
from __future__ import annotations

import contextlib
import contextvars
import re
import threading
from typing import Iterable, Iterator

from sqlalchemy import Connection, Engine, bindparam, event, select, update
from sqlalchemy.orm import Session

from .models import LineVersion

LINE_OF_TABLE = {
    "work_zone": "territory", "site": "territory",
    "checkpoint_day": "traffic", "checkpoint_day_total": "traffic",
    "enterprise": "reopening", "reopening_step": "reopening",
    "shop": "shops",
    "survey_round": "survey",
    "inspection": "inspections", "finding": "inspections",
    "supply_item": "logistics", "supply_movement": "logistics", "meal_day": "logistics", "donation": "logistics",
    "supply_stock": "logistics", "meal_point_day": "logistics",
    "org_unit": "people", "person": "people", "responsibility": "people",
    "duty_shift": "duty", "duty_post": "duty", "duty_assignment": "duty",
    "gate_registration": "gate", "gate_hour_count": "gate", "gate_person_site": "gate",
    "gate_day_count": "gate",
    "app_user": "accounts", "user_scope": "accounts", "display_key": "accounts", "personal_data_grant": "accounts",
    "user_session": "sessions", "sign_in_attempt": "sessions",
    "setting": "settings",
    "report_archive": "reports",  # issue 18: an issued report moves no line of data, only its own
}
# Written by every save, or bookkeeping: no line of their own. A read of the audit log depends on
# every line instead (each audited save moves the line it wrote), which is what makes it fresh.
UNVERSIONED = {"audit_log", "line_version", "alembic_version"}
LINES = tuple(sorted(set(LINE_OF_TABLE.values())))
ALL = frozenset(LINES)

_TABLE_NAMES = re.compile(r'\b(' + "|".join(sorted(LINE_OF_TABLE, key=len, reverse=True)
                                            + sorted(UNVERSIONED)) + r')\b')
_WRITE_TARGET = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_CHANGES = re.compile(r'\bINSERT\s+INTO\b|\bDELETE\s+FROM\b|\bUPDATE\s+"?\w+"?\s+SET\b', re.IGNORECASE)
# Statements that read no table and change none: transaction control and connection settings.
_NO_DATA = ("pragma", "savepoint", "release", "rollback", "begin", "commit", "show", "set ")

_reading: contextvars.ContextVar[set | None] = contextvars.ContextVar("lines_read", default=None)
_WRITTEN = "lines_written"


def lines_of(statement: str) -> set[str]:
    """The lines whose tables a statement names; every line for SQL that names no table we know."""
    tables = set(_TABLE_NAMES.findall(statement))
    if not tables:
        return set() if statement.lstrip()[:10].lower().startswith(_NO_DATA) else set(ALL)
    if "audit_log" in tables:  # every audited save writes it: it changes with every line
        return set(ALL)
    return {LINE_OF_TABLE[name] for name in tables if name in LINE_OF_TABLE}


def lines_written(statement: str) -> set[str]:
    """The line a data-changing statement writes; none for a read; every line if the target is unknown."""
    head = statement.lstrip()[:10].lower()
    if head.startswith(_NO_DATA + ("select",)) or (head.startswith("with") and not _CHANGES.search(statement)):
        return set()
    if head.startswith("with"):  # a data-changing CTE: whatever it names
        return lines_of(statement)
    target = _WRITE_TARGET.match(statement)
    if target is None:
        return set(ALL)
    name = target.group(1).lower()
    if name in UNVERSIONED:
        return set()
    line = LINE_OF_TABLE.get(name)
    return {line} if line else set(ALL)


def watch(engine: Engine) -> None:
    """Note, per statement, the lines read (inside `recording`) and written (inside a write session)."""
    @event.listens_for(engine, "before_cursor_execute")
    def _note(conn, _cursor, statement, _parameters, _context, _executemany):
        reading = _reading.get()
        if reading is not None:
            reading |= lines_of(statement)
        written = conn.info.get(_WRITTEN)
        if written is not None:
            written |= lines_written(statement)


@contextlib.contextmanager
def recording() -> Iterator[set[str]]:
    """Collect the lines every statement run inside reads (nested recordings all collect)."""
    outer = _reading.get()
    lines: set[str] = set()
    token = _reading.set(lines)
    try:
        yield lines
    finally:
        _reading.reset(token)
        if outer is not None:
            outer |= lines


@contextlib.contextmanager
def tracking_writes(conn: Connection) -> Iterator[set[str]]:
    """Collect the lines the statements run on this connection write."""
    conn.info[_WRITTEN] = written = set()
    try:
        yield written
    finally:
        conn.info.pop(_WRITTEN, None)


VERSIONS = LineVersion.__table__
# Built once, run through Core: every write runs them (the ORM's bulk-update path cost ~0.5 ms a save).
_BUMP = update(VERSIONS).where(VERSIONS.c.line == bindparam("at_line")).values(version=VERSIONS.c.version + 1)


def _first_statement(dialect: str):
    """A line's first row, or the next version if another writer made it meanwhile: two clerks saving on a
    new line at once must not meet a duplicate key (PostgreSQL makes the second wait, then updates)."""
    from sqlalchemy.dialects import postgresql, sqlite

    first = (postgresql if dialect == "postgresql" else sqlite).insert(VERSIONS).values(
        line=bindparam("at_line"), version=1)
    return first.on_conflict_do_update(index_elements=[VERSIONS.c.line], set_={"version": VERSIONS.c.version + 1})


_FIRST = {dialect: _first_statement(dialect) for dialect in ("postgresql", "sqlite")}


def bump(target: Session | Connection, lines: Iterable[str]) -> None:
    """Move each line's version on, in one order (two writers never wait for each other crosswise)."""
    conn = target.connection() if isinstance(target, Session) else target  # the caller flushed what it wrote
    for line in sorted(set(lines)):
        done = conn.execute(_BUMP, {"at_line": line})
        if done.rowcount == 0:  # a line newer than the database's migrations
            conn.execute(_FIRST[conn.dialect.name], {"at_line": line})


_AT_COMMIT = "sql_at_commit"


@contextlib.contextmanager
def committing_in_one_message(conn: Connection) -> Iterator[None]:
    """PostgreSQL: inside, at_commit holds statements back to the message that commits (bump_and_commit)."""
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.info[_AT_COMMIT] = []
    try:
        yield
    finally:
        conn.info.pop(_AT_COMMIT, None)


def at_commit(conn: Connection, sql: str) -> bool:
    """Send `sql` (SQL with its values written in: a message of more than one statement takes no
    parameters) in the message that bumps the versions and commits, if this transaction commits that way;
    False (nothing done) if not, and the caller runs its statement itself. For a statement that locks rows
    every writer waits for (a zone's day totals): they are then locked only while the server runs the end of
    the transaction. The lines it writes count as written."""
    waiting = conn.info.get(_AT_COMMIT)
    if waiting is None:
        return False
    waiting.append(sql)
    written = conn.info.get(_WRITTEN)
    if written is not None:
        written |= lines_written(sql)
    return True


def bump_and_commit(conn: Connection, lines: Iterable[str]) -> bool:
    """PostgreSQL, inside committing_in_one_message: the statements held back (at_commit), the bump of the
    lines and COMMIT in one message, so the rows every writer of a line waits for (its version row, a zone's
    totals) are locked only while the server runs them, not through round trips and the wait of the writer's
    thread for its turn to run (8 clerks of one app server share one interpreter). False (nothing done) where
    that does not apply: the caller bumps and commits as usual.

    The lines are our own names (LINES), written in as literals. After it the transaction is over; the
    caller's commit finds nothing to commit (psycopg skips a COMMIT outside a transaction)."""
    waiting = conn.info.get(_AT_COMMIT)
    if waiting is None:
        return False
    conn.info[_AT_COMMIT] = None  # nothing more is held back
    names = sorted(set(lines))
    if not set(names) <= ALL:  # not a name of ours (cannot happen: lines_written gives LINES): as usual
        for sql in waiting:
            conn.exec_driver_sql(sql)
        return False
    statements = list(waiting)
    if names:  # in one order, as bump's
        statements.append("INSERT INTO line_version (line, version) VALUES "
                          + ", ".join(f"('{line}', 1)" for line in names)
                          + " ON CONFLICT (line) DO UPDATE SET version = line_version.version + 1")
    conn.exec_driver_sql("; ".join([*statements, "COMMIT"]))
    return True


def current(conn: Connection) -> dict[str, int]:
    """Every line's version: one small table, read once per page run."""
    found = dict(conn.execute(select(LineVersion.line, LineVersion.version)).all())
    return {line: int(found.get(line, 0)) for line in LINES}


class Learned:
    """Which lines each cached read has been seen to read, per process; grows, never shrinks."""

    def __init__(self) -> None:
        self._lines: dict[tuple[str, str], frozenset[str]] = {}
        self._lock = threading.Lock()

    def lines(self, key: tuple[str, str]) -> frozenset[str] | None:
        """None for a read not yet run in this process."""
        return self._lines.get(key)

    def add(self, key: tuple[str, str], lines: set[str]) -> None:
        with self._lock:
            known = self._lines.get(key)
            self._lines[key] = frozenset(lines) if known is None else known | lines


def key_of(lines: frozenset[str], versions: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """A cache key that names the lines it covers and their versions."""
    return tuple((line, versions.get(line, 0)) for line in sorted(lines))
