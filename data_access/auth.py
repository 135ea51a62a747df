"""Accounts, rights and display keys.

Passwords are hashed with scrypt (salted, memory-hard, in the standard library). Display keys are
long random tokens, so a fast hash (SHA-256) is enough to keep them out of the database in clear.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session, lazyload

from .db import get_engine, write_session
from .errors import FieldError, NotFound, PermissionDenied, ValidationError
from .models import ROLES, DisplayKey, User, UserScope, WorkZone
from .scope import WRITER_ROLES
from .validate import Checker, column_length, has_bad_characters

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def _bytes(password: str) -> bytes:
    # surrogatepass: a lone surrogate typed into a form hashes like any character instead of crashing
    return password.encode("utf-8", "surrogatepass")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(_bytes(password), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode()
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt)}${b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        _bytes(password), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def hash_display_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who is acting, with the zones and sites they may write for (clerks only)."""

    username: str
    display_name: str
    role: str
    zone_ids: frozenset[int] = field(default_factory=frozenset)
    site_ids: frozenset[int] = field(default_factory=frozenset)
    # What these reach is data_access.scope's rule.

    @property
    def writes(self) -> bool:
        return self.role in WRITER_ROLES

    @property
    def home_zone_id(self) -> int | None:
        return min(self.zone_ids) if self.zone_ids else None


def _actor_from(user: User) -> Actor:
    return Actor(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        zone_ids=frozenset(s.zone_id for s in user.scopes if s.zone_id is not None),
        site_ids=frozenset(s.site_id for s in user.scopes if s.site_id is not None),
    )


_DUMMY_HASH: str | None = None
MAX_PASSWORD = 1024  # a longer "password" is not hashed at all (scrypt over megabytes is a cheap denial of service)


def _dummy_hash() -> str:
    """A hash nobody's password matches, with the same scrypt cost as a real one: checked for unknown
    names so that they cost what a real name costs."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASH


def _typed(value) -> str:
    """A typed name made safe to store and look up: control characters and lone surrogates replaced."""
    text = value if isinstance(value, str) else ""
    return "".join("\ufffd" if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text)


@dataclass(frozen=True)
class SignInResult:
    actor: Actor | None
    outcome: str  # success / wrong_password / unknown_user / disabled / throttled / locked
    retry_after: int = 0  # seconds, for throttled and locked
    session_id: int | None = None
    handoff: str | None = None  # one-time code the browser swaps for its session cookie

    @property
    def refused_for_now(self) -> bool:
        return self.outcome in ("throttled", "locked")


def sign_in(username: str, password: str, client: str | None = None, remember: bool = False, engine=None,
            start_session: bool = True, now: dt.datetime | None = None) -> SignInResult:
    """One sign-in attempt, throttled per name and per client address, and audited whatever its outcome.

    Every attempt that is not refused for being too early does the same work whether the name is
    unknown, disabled or real: the same queries, exactly one scrypt check (against a dummy hash for an
    unknown name), and the same two rows written (the attempt and its audit row). Only a success
    also opens a session (`start_session`)."""
    from . import sessions, throttle
    from .audit import audit

    now = now or sessions.now_utc()
    typed = _typed(username)
    name = typed.strip()[: column_length(User.username)]
    client = _typed(client or "local").strip()[:64] or "local"
    password = password if isinstance(password, str) else ""
    actor, user_id, started = None, None, None
    with write_session(engine) as session:
        throttle.serialise(session, name)
        verdict = throttle.verdict(session, name, client, now)
        if verdict.outcome:
            outcome = verdict.outcome
        else:
            # the same query for every name (a real one's zones are read only on success)
            user = session.scalar(select(User).options(lazyload(User.scopes)).where(User.username == name)) if name else None
            usable = len(password) <= MAX_PASSWORD
            matches = verify_password(password if usable else "", user.password_hash if user else _dummy_hash())
            if user is None:
                outcome = "unknown_user"
            elif not (matches and usable):
                outcome, user_id = "wrong_password", user.id
            elif not user.active:
                outcome, user_id = "disabled", user.id
            else:
                outcome, user_id, actor = "success", user.id, _actor_from(user)
        throttle.record(session, name, client, outcome, now)
        audit(session, name or "-", "sign_in", "sign_in", user_id, None,
              {"name": typed[:200], "client": client, "outcome": outcome})
        if actor is not None:
            throttle.prune(session, now)
            if start_session:
                started = sessions.create(session, user_id, remember, client, now)
    return SignInResult(actor, outcome, verdict.retry_after,
                        started.session_id if started else None, started.handoff if started else None)


def authenticate(username: str, password: str, engine=None, client: str | None = None) -> Actor | None:
    """The signed-in actor, or None for a wrong name, wrong password, disabled account or too many
    failures (no browser session is opened: for scripts and tests)."""
    return sign_in(username, password, client=client, engine=engine, start_session=False).actor


def sign_out(session_id: int | None = None, token: str | None = None, client: str | None = None, engine=None) -> None:
    """End one browser session (and write who signed out to the audit log)."""
    from . import sessions
    from .audit import audit

    username = sessions.revoke(session_id=session_id, token=token, engine=engine)
    if username:
        with write_session(engine) as session:
            audit(session, username, "sign_out", "sign_in", None, None, {"client": _typed(client or "local")[:64]})


def reload_actor(username: str, engine=None) -> Actor | None:
    """The account as it is now, or None if it is gone or disabled."""
    with Session(engine or get_engine()) as session:
        user = session.scalar(select(User).where(User.username == username))
        return _actor_from(user) if user is not None and user.active else None


# The account and its scopes in one Core statement, built once: every save re-reads them, and the ORM
# (a User and its scopes loaded by a second query) cost ~1.6 ms of a 50-row grid save.
_USERS, _SCOPES = User.__table__, UserScope.__table__
_ACCOUNT_ROWS = (select(_USERS.c.username, _USERS.c.display_name, _USERS.c.role, _USERS.c.active, _SCOPES.c.zone_id, _SCOPES.c.site_id)
                 .select_from(_USERS.outerjoin(_SCOPES, _SCOPES.c.user_id == _USERS.c.id))
                 .where(_USERS.c.username == bindparam("username")))


def load_actor(session: Session | Connection, username: str) -> Actor:
    """Re-read inside the write transaction: a disabled account cannot keep writing."""
    if isinstance(session, Session):
        session.flush()  # as the ORM query did (autoflush): what the transaction changed counts
        session = session.connection()
    rows = session.execute(_ACCOUNT_ROWS, {"username": username}).all()
    if not rows or not rows[0].active:
        raise PermissionDenied("账号不存在或已停用", "This account does not exist or is disabled")
    first = rows[0]
    return Actor(username=first.username, display_name=first.display_name, role=first.role,
                 zone_ids=frozenset(r.zone_id for r in rows if r.zone_id is not None),
                 site_ids=frozenset(r.site_id for r in rows if r.site_id is not None))


def require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise PermissionDenied("仅管理员可以执行此操作", "Only an administrator can do this")


# ---- account administration (CLI and admin page) -------------------------------------------

def _admin_in(session: Session, actor: Actor | None, by: str) -> str:
    """Inside the write transaction: the acting admin's name (re-checked), or the CLI's."""
    if actor is None:
        return by
    require_admin(load_actor(session, actor.username))
    return actor.username


def _account_to_change(session: Session, actor: Actor | None, by: str, username: str) -> tuple[str, User]:
    """Inside the write transaction: who changes an account (as _admin_in) and the account itself."""
    by = _admin_in(session, actor, by)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(username)
    return by, user


MIN_PASSWORD = 8


def password_problems(password, username=None) -> list[FieldError]:
    """The password policy (command line and accounts page alike): at least 8 characters, not only
    spaces, not the user name, and short enough to hash."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        return [FieldError("password", f"密码至少 {MIN_PASSWORD} 个字符", f"the password needs at least {MIN_PASSWORD} characters")]
    if not password.strip():
        return [FieldError("password", "密码不能全是空格", "the password cannot be only spaces")]
    if isinstance(username, str) and password.strip().casefold() == username.strip().casefold():
        return [FieldError("password", "密码不能与用户名相同", "the password cannot be the user name")]
    if len(password) > MAX_PASSWORD or has_bad_characters(password):
        return [FieldError("password", f"密码最多 {MAX_PASSWORD} 个字符，且不能含控制字符",
                           f"the password may hold at most {MAX_PASSWORD} characters and no control characters")]
    return []


def _other_active_admins(session: Session, user: User) -> int:
    """Active administrators besides `user`, counted with their rows locked (PostgreSQL), so two admins
    cannot disable each other at the same moment (SQLite write transactions are serialised anyway)."""
    ids = session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True), User.id != user.id)
                          .with_for_update()).all()
    return len(ids)


LAST_ADMIN = FieldError("username", "这是最后一个启用的管理员账号，不能停用或改为其他角色",
                        "this is the last active administrator: it cannot be disabled or given another role")


def _validate_account(username: str, password: str | None, role: str | None) -> None:
    errors = []
    longest = column_length(User.username)
    if not isinstance(username, str) or not username.strip() or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        errors.append(FieldError("username", "用户名只能包含字母、数字和 _ - .", "username may only hold letters, digits and _ - ."))
    elif len(username) > longest:
        errors.append(FieldError("username", f"用户名过长（最多 {longest} 字）", f"username too long (at most {longest} characters)"))
    if password is not None:
        errors.extend(password_problems(password, username))
    if role is not None and role not in ROLES:
        errors.append(FieldError("role", f"角色应为 {', '.join(ROLES)}", f"role must be one of {', '.join(ROLES)}"))
    if errors:
        raise ValidationError(errors)


def add_user(
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    zone_codes: list[str] | None = None,
    by: str = "cli",
    is_demo: bool = False,
    engine=None,
    actor: Actor | None = None,
) -> None:
    """Add an account. From the admin page pass `actor` (must be an active admin); the CLI is trusted."""
    from .audit import audit

    _validate_account(username, password, role)
    check = Checker()
    display_name = check.text("display_name", display_name, column=User.display_name)
    zone_codes = [check.text("zone", code, required=True, column=WorkZone.code) for code in zone_codes or []]
    check.raise_if_any()
    with write_session(engine) as session:
        by = _admin_in(session, actor, by)
        if session.scalar(select(User.id).where(User.username == username)):
            raise ValidationError([FieldError("username", "用户名已存在", "username already exists")])
        user = User(
            username=username,
            display_name=display_name or username,
            role=role,
            password_hash=hash_password(password),
            is_demo=is_demo,
        )
        for code in zone_codes or []:
            zone = session.scalar(select(WorkZone).where(WorkZone.code == code))
            if zone is None:
                raise ValidationError([FieldError("zone", f"没有工作管区 {code}", f"no work zone {code}")])
            user.scopes.append(UserScope(zone_id=zone.id))
        session.add(user)
        session.flush()
        audit(session, by, "insert", "app_user", user.id, None,
              {"username": username, "role": role, "zones": zone_codes or []})


def set_password(username: str, password: str, by: str = "cli", engine=None, actor: Actor | None = None) -> None:
    """A new password; every open session of the account ends at its next rerun."""
    from . import sessions
    from .audit import audit

    _validate_account(username, password, None)
    with write_session(engine) as session:
        by, user = _account_to_change(session, actor, by, username)
        user.password_hash = hash_password(password)
        ended = sessions.revoke_user(session, user.id, "password")
        audit(session, by, "passwd", "app_user", user.id, None, {"sessions_ended": ended})


def set_active(username: str, active: bool, by: str = "cli", engine=None, actor: Actor | None = None) -> None:
    """Disable (every open session ends at its next rerun) or enable an account. The last active
    administrator cannot be disabled."""
    from . import sessions
    from .audit import audit

    _validate_account(username, None, None)
    with write_session(engine) as session:
        by, user = _account_to_change(session, actor, by, username)
        if not active and user.active and user.role == "admin" and not _other_active_admins(session, user):
            raise ValidationError([LAST_ADMIN])
        before = {"active": user.active}
        user.active = active
        after = {"active": active}
        if not active:
            after["sessions_ended"] = sessions.revoke_user(session, user.id, "disabled")
        audit(session, by, "enable" if active else "disable", "app_user", user.id, before, after)


def set_role(username: str, role: str, by: str = "cli", engine=None, actor: Actor | None = None) -> None:
    """Give an account another role (it applies at the account's next rerun). The last active
    administrator cannot be given another role."""
    from .audit import audit

    _validate_account(username, None, role)
    with write_session(engine) as session:
        by, user = _account_to_change(session, actor, by, username)
        if user.role == role:
            return
        if user.role == "admin" and user.active and not _other_active_admins(session, user):
            raise ValidationError([LAST_ADMIN])
        before = {"role": user.role}
        user.role = role
        audit(session, by, "update", "app_user", user.id, before, {"role": role})


def key_expiry(last_day: dt.date | None) -> dt.datetime | None:
    """A key valid through `last_day` stops at the end of that day, server time (stored in UTC)."""
    if last_day is None:
        return None
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0)).astimezone()
    return end.astimezone(dt.timezone.utc)


def key_last_day(expires_at) -> dt.date | None:
    """The last day a key works (the day before its expiry instant, server time), or None."""
    if expires_at is None or expires_at != expires_at:  # None, NaN, NaT
        return None
    if hasattr(expires_at, "to_pydatetime"):
        expires_at = expires_at.to_pydatetime()
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=dt.timezone.utc)
    return (expires_at.astimezone() - dt.timedelta(microseconds=1)).date()


def create_display_key(label: str, actor: Actor | None = None, zone_id: int | None = None, key: str | None = None,
                       is_demo: bool = False, engine=None, valid_through: dt.date | None = None) -> str:
    """Returns the key in clear once; only its hash is kept. actor None: the (trusted) command line.
    `valid_through`: the last day the key works (None: until revoked)."""
    from .audit import audit

    check = Checker()
    label_clean = check.text("label", label, required=True, column=DisplayKey.label)
    if valid_through is not None:
        if not isinstance(valid_through, dt.date) or isinstance(valid_through, dt.datetime):
            check.fail("expires", "有效期应为日期", "the last valid day must be a date")
        elif key_expiry(valid_through) <= dt.datetime.now(dt.timezone.utc):
            check.fail("expires", "有效期已过", "that day is already over")
    check.raise_if_any()
    key = key or secrets.token_urlsafe(24)
    expires_at = key_expiry(valid_through)
    with write_session(engine) as session:
        by = _admin_in(session, actor, "cli")
        row = DisplayKey(key_hash=hash_display_key(key), label=label_clean, zone_id=zone_id,
                         created_by=by, is_demo=is_demo, expires_at=expires_at)
        session.add(row)
        session.flush()
        audit(session, by, "insert", "display_key", row.id, None,
              {"label": label_clean, "zone_id": zone_id, "valid_through": valid_through})
    return key


def revoke_display_key(key_id: int, actor: Actor | None = None, engine=None) -> None:
    from .audit import audit

    with write_session(engine) as session:
        by = _admin_in(session, actor, "cli")
        row = session.get(DisplayKey, key_id)
        if row is None:
            raise NotFound(f"display key {key_id}")
        row.revoked_at = dt.datetime.now(dt.timezone.utc)
        audit(session, by, "revoke", "display_key", row.id, None, {"label": row.label})


@dataclass(frozen=True)
class Display:
    label: str
    zone_id: int | None
    expires_at: dt.datetime | None = None


KEY_USE_MINUTES = 5  # a wall's last use is written at most this often


def check_display_key(key: str | None, engine=None) -> Display | None:
    """The display a key opens, or None for a missing, unknown, revoked or expired key."""
    from .sessions import aware, now_utc, touch_display_key

    if not key or not isinstance(key, str) or len(key) > 200:
        return None
    try:
        key_hash = hash_display_key(key)
    except UnicodeEncodeError:  # a lone surrogate from a mangled URL: no key looks like that
        return None
    now = now_utc()
    with Session(engine or get_engine()) as session:
        row = session.scalar(select(DisplayKey).where(DisplayKey.key_hash == key_hash))
        if row is None or row.revoked_at is not None:
            return None
        if row.expires_at is not None and aware(row.expires_at) <= now:
            return None
        last = aware(row.last_used_at)
        display = Display(label=row.label, zone_id=row.zone_id, expires_at=aware(row.expires_at))
    if last is None or now - last >= dt.timedelta(minutes=KEY_USE_MINUTES):
        touch_display_key(key_hash, now, engine)
    return display


# ---- reads for the administration page ---------------------------------------------------------

def list_users(engine=None):
    from .db import read_frame

    query = (
        select(User.id, User.username, User.display_name, User.role, User.active, User.is_demo,
               WorkZone.code.label("zone"))
        .outerjoin(UserScope, UserScope.user_id == User.id)
        .outerjoin(WorkZone, WorkZone.id == UserScope.zone_id)
        .order_by(User.username)
    )
    frame = read_frame(query, engine)
    # A user without a zone has one row with a missing zone (NaN under pandas, not None): "" for them.
    zones = frame.groupby("id")["zone"].apply(lambda z: ", ".join(sorted(v for v in z if isinstance(v, str) and v)))
    return (frame.drop(columns="zone").drop_duplicates("id")
            .assign(zones=lambda f: f["id"].map(zones).fillna("")).reset_index(drop=True))


def list_display_keys(engine=None):
    from .db import read_frame

    query = (
        select(DisplayKey.id, DisplayKey.label, WorkZone.name.label("zone"), DisplayKey.created_by,
               DisplayKey.created_at, DisplayKey.expires_at, DisplayKey.last_used_at, DisplayKey.revoked_at)
        .outerjoin(WorkZone, WorkZone.id == DisplayKey.zone_id)
        .order_by(DisplayKey.id)
    )
    return read_frame(query, engine)
