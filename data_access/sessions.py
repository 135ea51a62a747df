"""Signed-in browsers that outlast a reload, a new tab and a server: sessions kept in the database.

How a browser gets its session (see ui/cookie_routes.py and README, "Lasting sign-in"):

1. A good password creates a row here holding only the SHA-256 hash of a one-time *hand-off code*
   (valid for HANDOFF_SECONDS). The Streamlit session that signed in keeps the row's id.
2. The page hands the code to the browser, which posts it to the app server's own route
   (`POST /account/session`, same origin). `exchange` swaps the code for a fresh random token, stores
   only the token's hash, and the route sets the token in an HttpOnly cookie. Scripts in the page
   never see the token, so an injected script cannot carry it away.
3. Any later connection (reload, new tab, bookmark, pasted link, another app server after a
   failover) brings the cookie; `resolve` finds the row by the token's hash.

Every rerun re-checks the row (`check`): sign-out, disabling the account or changing its password
revoke it, so every tab on every server is signed out at its next rerun. A session ends after
`idle_seconds` without use (8 h by default, or the "remember me" span) and never outlives
`expires_at`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .db import get_engine, is_sqlite

log = logging.getLogger("dashboard")

HANDOFF_SECONDS = 120
TOUCH_SECONDS = 60  # last use is written at most this often per session (and never bumps the data version)
MAX_REMEMBER_DAYS = 7


def _env_float(name: str, default: float, low: float, high: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        log.warning("%s is not a number; using %s", name, default)
        return default
    return min(max(value, low), high)


def idle_seconds() -> int:
    """How long a session lasts without use: DASHBOARD_SESSION_IDLE_HOURS (default 8)."""
    return int(_env_float("DASHBOARD_SESSION_IDLE_HOURS", 8, 0.01, 24 * MAX_REMEMBER_DAYS) * 3600)


def remember_seconds() -> int:
    """How long "remember me" keeps a browser signed in: DASHBOARD_REMEMBER_DAYS (default and most 7)."""
    return int(_env_float("DASHBOARD_REMEMBER_DAYS", MAX_REMEMBER_DAYS, 0.01, MAX_REMEMBER_DAYS) * 86400)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; everything here is stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.timezone.utc)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Started:
    session_id: int
    handoff: str
    cookie_max_age: int | None  # None: a browser-session cookie (no "remember me")


@dataclass(frozen=True)
class Exchanged:
    token: str
    cookie_max_age: int | None


def create(session: Session, user_id: int, remember: bool, client: str | None, now: dt.datetime | None = None) -> Started:
    """Inside the sign-in's write transaction: the session row and its one-time hand-off code."""
    from .models import UserSession

    now = now or now_utc()
    idle = remember_seconds() if remember else idle_seconds()
    lifetime = remember_seconds() if remember else max(idle_seconds(), remember_seconds())
    handoff = secrets.token_urlsafe(32)
    row = UserSession(user_id=user_id, handoff_hash=digest(handoff),
                      handoff_expires_at=now + dt.timedelta(seconds=HANDOFF_SECONDS), created_at=now,
                      last_used_at=now, idle_seconds=idle, expires_at=now + dt.timedelta(seconds=lifetime),
                      remember=bool(remember), client=(client or None) and client[:64])
    session.add(row)
    session.flush()
    _prune(session, now)
    return Started(row.id, handoff, idle if remember else None)


def _prune(session: Session, now: dt.datetime) -> None:
    """Sessions that ended more than a month ago are of no use to anyone."""
    from .models import UserSession

    cutoff = now - dt.timedelta(days=30)
    session.execute(UserSession.__table__.delete().where(UserSession.expires_at < cutoff))
    session.execute(UserSession.__table__.delete().where(UserSession.revoked_at < cutoff))


@contextmanager
def _bookkeeping(engine, busy_ms: int = 2000):
    """A short transaction for session bookkeeping: it changes nothing a page shows, so it does not bump
    the data version (which would empty every server's read cache), and on SQLite it waits for another
    writer only briefly."""
    from .db import LOCK_WAIT_MS

    engine = engine or get_engine()
    with engine.connect().execution_options(sqlite_immediate=True) as conn:
        # set on the driver's connection, outside any transaction (SQLAlchemy would begin one)
        raw = conn.connection.driver_connection if is_sqlite(engine) else None
        if raw is not None:
            raw.execute(f"PRAGMA busy_timeout={busy_ms}")
        try:
            with Session(bind=conn) as session:
                with session.begin():
                    yield session
        finally:
            if raw is not None:
                raw.execute(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")


def exchange(handoff: str, engine=None) -> Exchanged | None:
    """The browser's one call with the hand-off code: a new token (returned once), or None for an unknown,
    used, expired or revoked code."""
    from .models import UserSession

    if not isinstance(handoff, str) or not handoff or len(handoff) > 200:
        return None
    now = now_utc()
    token = secrets.token_urlsafe(32)
    with _bookkeeping(engine) as session:
        row = session.scalar(select(UserSession).where(UserSession.handoff_hash == digest(handoff))
                             .with_for_update())
        if (row is None or row.token_hash is not None or row.revoked_at is not None
                or aware(row.handoff_expires_at) <= now or aware(row.expires_at) <= now):
            return None
        row.handoff_hash, row.handoff_expires_at = None, None
        row.token_hash = digest(token)
        remember, idle = row.remember, row.idle_seconds
    return Exchanged(token, idle if remember else None)


def _valid(row, user, now: dt.datetime) -> bool:
    return (row is not None and user is not None and user.active and row.revoked_at is None
            and aware(row.expires_at) > now and aware(row.last_used_at) + dt.timedelta(seconds=row.idle_seconds) > now)


def _load(where, engine):
    from .models import User, UserSession

    with Session(engine or get_engine()) as session:
        found = session.execute(select(UserSession, User).join(User, User.id == UserSession.user_id).where(where)).first()
        if found is None:
            return None, None, None
        row, user = found
        from .auth import _actor_from

        return row, user, _actor_from(user)


def check(session_id: int, engine=None, now: dt.datetime | None = None):
    """Run on every rerun: the actor (re-read, so a new role or zone applies at once) while the session
    holds, else None (signed out elsewhere, revoked, idle too long, expired, or the account disabled)."""
    from .models import UserSession

    now = now or now_utc()
    row, user, actor = _load(UserSession.id == session_id, engine)
    if not _valid(row, user, now):
        return None
    _touch(row, now, engine)
    return actor


def resolve(token: str, engine=None, now: dt.datetime | None = None):
    """The (session id, actor) a cookie's token stands for, or None."""
    from .models import UserSession

    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    now = now or now_utc()
    row, user, actor = _load(UserSession.token_hash == digest(token), engine)
    if not _valid(row, user, now):
        return None
    _touch(row, now, engine)
    return row.id, actor


def _touch(row, now: dt.datetime, engine) -> None:
    from .models import UserSession

    if now - aware(row.last_used_at) < dt.timedelta(seconds=TOUCH_SECONDS):
        return
    try:
        with _bookkeeping(engine, busy_ms=250) as session:
            session.execute(update(UserSession).where(UserSession.id == row.id).values(last_used_at=now))
    except Exception as error:  # best effort: a busy database must not sign anyone out or stall a page
        log.info("session %s: last use not written (%s)", row.id, type(error).__name__)


def revoke(session_id: int | None = None, token: str | None = None, reason: str = "sign_out", engine=None) -> str | None:
    """End one session (sign-out), by id or by the cookie's token. Returns the account's name, if any."""
    from .models import User, UserSession

    if session_id is None and not token:
        return None
    where = UserSession.id == session_id if session_id is not None else UserSession.token_hash == digest(token)
    with _bookkeeping(engine) as session:
        found = session.execute(select(UserSession, User.username).join(User, User.id == UserSession.user_id)
                                .where(where)).first()
        if found is None:
            return None
        row, username = found
        if row.revoked_at is None:
            row.revoked_at, row.revoked_reason = now_utc(), reason
        return username


def revoke_user(session: Session, user_id: int, reason: str) -> int:
    """Inside an account change's transaction: end every open session of that account."""
    from .models import UserSession

    result = session.execute(update(UserSession)
                             .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
                             .values(revoked_at=now_utc(), revoked_reason=reason))
    return result.rowcount or 0


def open_sessions(username: str, engine=None) -> int:
    """How many sessions of an account are still open (for tests and the accounts page)."""
    from .models import User, UserSession

    now = now_utc()
    with Session(engine or get_engine()) as session:
        rows = session.execute(select(UserSession, User).join(User, User.id == UserSession.user_id)
                               .where(User.username == username, UserSession.revoked_at.is_(None))).all()
        return sum(1 for row, user in rows if _valid(row, user, now))


def touch_display_key(key_hash: str, now: dt.datetime, engine=None) -> None:
    """A wall's last use, for the key list (best effort, no data-version bump)."""
    from .models import DisplayKey

    try:
        with _bookkeeping(engine, busy_ms=250) as session:
            session.execute(update(DisplayKey).where(DisplayKey.key_hash == key_hash).values(last_used_at=now))
    except Exception as error:
        log.info("display key: last use not written (%s)", type(error).__name__)
