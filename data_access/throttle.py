"""Throttling and lockout of sign-in attempts, per account name and per client address.

Counted from the sign_in_attempt table, so every app server sees the same counts. Only failures count
(a wrong password, an unknown or a disabled name), never attempts refused for being too early.

- Per name (as typed): after FREE failures since its last success, each attempt waits 1 s, 2 s, 4 s, ...
  (at most MAX_DELAY) after the previous failure; after LOCK failures the name is locked for LOCK_MINUTES
  after its last failure (and one more failure then locks it again).
- Per client address: the same with larger numbers (many people can share one address), and successes
  from that address do not reset it.

Unknown names are counted exactly like real ones, so a lock says nothing about whether a name exists.
"""
from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

FAILURES = ("wrong_password", "unknown_user", "disabled")


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, "") or default))
    except ValueError:
        return default


@dataclass(frozen=True)
class Limits:
    free: int
    lock: int


def account_limits() -> Limits:
    free = _env_int("DASHBOARD_SIGNIN_FREE_FAILURES", 5)
    return Limits(free, max(free, _env_int("DASHBOARD_SIGNIN_LOCK_FAILURES", 10)))


def client_limits() -> Limits:
    free = _env_int("DASHBOARD_SIGNIN_CLIENT_FREE_FAILURES", 20)
    return Limits(free, max(free, _env_int("DASHBOARD_SIGNIN_CLIENT_LOCK_FAILURES", 50)))


def lock_minutes() -> int:
    return _env_int("DASHBOARD_SIGNIN_LOCK_MINUTES", 15)


MAX_DELAY_SECONDS = 60


def first_delay() -> float:
    try:
        return min(max(float(os.environ.get("DASHBOARD_SIGNIN_FIRST_DELAY_SECONDS", "") or 1), 0.1), MAX_DELAY_SECONDS)
    except ValueError:
        return 1.0


def window() -> dt.timedelta:
    """How far back failures count: an hour, or the lock time if longer."""
    return dt.timedelta(minutes=max(60, lock_minutes()))


def delay_after(failures: int, limits: Limits) -> float:
    """Seconds an attempt must wait after the last of `failures` failures (0: none)."""
    if failures < limits.free:
        return 0.0
    return float(min(first_delay() * 2 ** (failures - limits.free), MAX_DELAY_SECONDS))


@dataclass(frozen=True)
class Verdict:
    outcome: str | None  # None: go ahead; "throttled" (wait) or "locked"
    retry_after: int = 0  # seconds


def _judge(failures: int, last: dt.datetime | None, limits: Limits, now: dt.datetime) -> Verdict:
    if not failures or last is None:
        return Verdict(None)
    if failures >= limits.lock:
        until = last + dt.timedelta(minutes=lock_minutes())
        if now < until:
            return Verdict("locked", math.ceil((until - now).total_seconds()))
    wait = delay_after(failures, limits)
    if wait and now < last + dt.timedelta(seconds=wait):
        return Verdict("throttled", max(1, math.ceil((last + dt.timedelta(seconds=wait) - now).total_seconds())))
    return Verdict(None)


def _failures(session: Session, where, since: dt.datetime):
    from .models import SignInAttempt
    from .sessions import aware

    count, last = session.execute(
        select(func.count(), func.max(SignInAttempt.at))
        .where(where, SignInAttempt.at > since, SignInAttempt.outcome.in_(FAILURES))).one()
    return int(count or 0), aware(last)


def serialise(session: Session, name: str) -> None:
    """Attempts for one name take turns (until their transaction ends), so a burst of parallel guesses
    cannot all pass the count before any of them is recorded. SQLite's write transactions take turns
    anyway; on PostgreSQL a transaction-scoped advisory lock keyed on the name does it."""
    if session.get_bind().dialect.name != "postgresql":
        return
    import hashlib

    from sqlalchemy import text

    key = int.from_bytes(hashlib.sha256(("sign-in:" + name).encode("utf-8", "surrogatepass")).digest()[:8], "big",
                         signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def verdict(session: Session, name: str, client: str, now: dt.datetime) -> Verdict:
    """May this attempt go ahead? The stricter of the name's and the address's verdicts."""
    from .models import SignInAttempt
    from .sessions import aware

    floor = now - window()
    last_success = aware(session.scalar(select(func.max(SignInAttempt.at)).where(
        SignInAttempt.username == name, SignInAttempt.outcome == "success", SignInAttempt.at > floor)))
    by_name = _judge(*_failures(session, SignInAttempt.username == name, max(floor, last_success or floor)),
                     account_limits(), now)
    by_client = _judge(*_failures(session, SignInAttempt.client == client, floor), client_limits(), now)
    verdicts = [v for v in (by_name, by_client) if v.outcome]
    if not verdicts:
        return Verdict(None)
    locked = [v for v in verdicts if v.outcome == "locked"]
    return max(locked or verdicts, key=lambda v: v.retry_after)


def record(session: Session, name: str, client: str, outcome: str, now: dt.datetime) -> None:
    from .models import SignInAttempt

    session.add(SignInAttempt(at=now, username=name[:64], client=client[:64], outcome=outcome))


def prune(session: Session, now: dt.datetime) -> None:
    """Attempts are kept 90 days for the accounts page (the audit log keeps every one for good)."""
    from .models import SignInAttempt

    session.execute(SignInAttempt.__table__.delete().where(SignInAttempt.at < now - dt.timedelta(days=90)))


# ---- for the accounts page --------------------------------------------------------------------------

def recent_failures(limit: int = 50, days: int = 7, engine=None):
    """The newest failed or refused sign-in attempts: at, username (as typed), client, outcome."""
    from .db import read_frame
    from .models import SignInAttempt
    from .sessions import now_utc

    query = (select(SignInAttempt.at, SignInAttempt.username, SignInAttempt.client, SignInAttempt.outcome)
             .where(SignInAttempt.outcome != "success", SignInAttempt.at > now_utc() - dt.timedelta(days=days))
             .order_by(SignInAttempt.id.desc()).limit(limit))
    return read_frame(query, engine)


def locked_now(engine=None) -> list[dict]:
    """Names and addresses locked right now: [{"kind": "username"|"client", "who": ..., "until": datetime}]."""
    from .db import get_engine
    from .models import SignInAttempt
    from .sessions import aware, now_utc

    now = now_utc()
    found = []
    with Session(engine or get_engine()) as session:
        rows = session.execute(select(SignInAttempt.username, SignInAttempt.client, SignInAttempt.at, SignInAttempt.outcome)
                               .where(SignInAttempt.at > now - window()).order_by(SignInAttempt.at)).all()
    for kind, limits in (("username", account_limits()), ("client", client_limits())):
        counts: dict[str, tuple[int, dt.datetime | None]] = {}
        for username, client, at, outcome in rows:
            who = username if kind == "username" else client
            n, last = counts.get(who, (0, None))
            if outcome == "success" and kind == "username":
                counts[who] = (0, None)
            elif outcome in FAILURES:
                counts[who] = (n + 1, aware(at))
        for who, (n, last) in counts.items():
            v = _judge(n, last, limits, now)
            if v.outcome == "locked":
                found.append({"kind": kind, "who": who, "until": now + dt.timedelta(seconds=v.retry_after)})
    return found
