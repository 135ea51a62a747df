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
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import get_engine, write_session
from .errors import FieldError, NotFound, PermissionDenied, ValidationError
from .models import ROLES, DisplayKey, Site, User, UserScope, WorkZone
from .validate import Checker, column_length, has_bad_characters

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
WRITER_ROLES = ("admin", "supervisor", "clerk")


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
    # Sites reachable through a zone scope are resolved by may_write_site.

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


def authenticate(username: str, password: str, engine=None) -> Actor | None:
    """The signed-in actor, or None for a wrong name, wrong password or disabled account."""
    name = (username or "").strip()
    if has_bad_characters(name) or len(name) > column_length(User.username):
        # No such account can exist (and PostgreSQL refuses NUL in a query): fail at the same cost.
        verify_password(password or "", hash_password("timing-equaliser"))
        return None
    with Session(engine or get_engine()) as session:
        user = session.scalar(select(User).where(User.username == name))
        if user is None:
            verify_password(password, hash_password("timing-equaliser"))  # same cost either way
            return None
        if not user.active or not verify_password(password, user.password_hash):
            return None
        return _actor_from(user)


def load_actor(session: Session, username: str) -> Actor:
    """Re-read inside the write transaction: a disabled account cannot keep writing."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise PermissionDenied("账号不存在或已停用", "This account does not exist or is disabled")
    return _actor_from(user)


def require_writer(actor: Actor) -> None:
    if not actor.writes:
        raise PermissionDenied("只读账号不能修改数据", "A read-only account cannot change data")


def require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise PermissionDenied("仅管理员可以执行此操作", "Only an administrator can do this")


def may_write_zone(actor: Actor, zone_id: int | None) -> bool:
    if actor.role in ("admin", "supervisor"):
        return True
    return actor.role == "clerk" and zone_id in actor.zone_ids


def may_write_site(actor: Actor, site_id: int, site_zone_id: int) -> bool:
    if actor.role in ("admin", "supervisor"):
        return True
    return actor.role == "clerk" and (site_zone_id in actor.zone_ids or site_id in actor.site_ids)


def check_sites(session: Session, actor: Actor, site_ids) -> dict[int, Site]:
    """Load the sites a write touches and refuse the whole write if any is out of scope."""
    require_writer(actor)
    ids = set(site_ids)
    sites = {s.id: s for s in session.scalars(select(Site).where(Site.id.in_(ids)))} if ids else {}
    missing = ids - sites.keys()
    if missing:
        raise NotFound(f"site {sorted(missing)}")
    outside = [s.name for s in sites.values() if not may_write_site(actor, s.id, s.zone_id)]
    if outside:
        names = "、".join(outside[:5])
        raise PermissionDenied(f"您无权填报这些站点：{names}", f"You may not write for these sites: {', '.join(outside[:5])}")
    return sites


def check_zone(actor: Actor, zone_id: int) -> None:
    require_writer(actor)
    if not may_write_zone(actor, zone_id):
        raise PermissionDenied("您无权填报该工作管区", "You may not write for this work zone")


# ---- account administration (CLI and admin page) -------------------------------------------

def _admin_in(session: Session, actor: Actor | None, by: str) -> str:
    """Inside the write transaction: the acting admin's name (re-checked), or the CLI's."""
    if actor is None:
        return by
    require_admin(load_actor(session, actor.username))
    return actor.username


def _validate_account(username: str, password: str | None, role: str | None) -> None:
    errors = []
    longest = column_length(User.username)
    if not isinstance(username, str) or not username.strip() or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        errors.append(FieldError("username", "用户名只能包含字母、数字和 _ - .", "username may only hold letters, digits and _ - ."))
    elif len(username) > longest:
        errors.append(FieldError("username", f"用户名过长（最多 {longest} 字）", f"username too long (at most {longest} characters)"))
    if password is not None and len(password) < 4:
        errors.append(FieldError("password", "密码至少 4 位", "password needs at least 4 characters"))
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
    from .audit import audit

    _validate_account(username, password, None)
    with write_session(engine) as session:
        by = _admin_in(session, actor, by)
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(username)
        user.password_hash = hash_password(password)
        audit(session, by, "passwd", "app_user", user.id, None, None)


def set_active(username: str, active: bool, by: str = "cli", engine=None, actor: Actor | None = None) -> None:
    from .audit import audit

    _validate_account(username, None, None)
    with write_session(engine) as session:
        by = _admin_in(session, actor, by)
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(username)
        before = {"active": user.active}
        user.active = active
        audit(session, by, "enable" if active else "disable", "app_user", user.id, before, {"active": active})


def create_display_key(label: str, actor: Actor | None = None, zone_id: int | None = None, key: str | None = None,
                       is_demo: bool = False, engine=None) -> str:
    """Returns the key in clear once; only its hash is kept. actor None: the (trusted) command line."""
    from .audit import audit

    check = Checker()
    label_clean = check.text("label", label, required=True, column=DisplayKey.label)
    check.raise_if_any()
    key = key or secrets.token_urlsafe(24)
    with write_session(engine) as session:
        by = _admin_in(session, actor, "cli")
        row = DisplayKey(key_hash=hash_display_key(key), label=label_clean, zone_id=zone_id,
                         created_by=by, is_demo=is_demo)
        session.add(row)
        session.flush()
        audit(session, by, "insert", "display_key", row.id, None, {"label": label_clean, "zone_id": zone_id})
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


def check_display_key(key: str | None, engine=None) -> Display | None:
    """The display a key opens, or None for a missing, unknown or revoked key."""
    if not key or not isinstance(key, str):
        return None
    try:
        key_hash = hash_display_key(key)
    except UnicodeEncodeError:  # a lone surrogate from a mangled URL: no key looks like that
        return None
    with Session(engine or get_engine()) as session:
        row = session.scalar(select(DisplayKey).where(DisplayKey.key_hash == key_hash))
        if row is None or row.revoked_at is not None:
            return None
        return Display(label=row.label, zone_id=row.zone_id)


# ---- reads for the administration page ---------------------------------------------------------

def list_users(engine=None):
    import pandas as pd

    from .db import read_connection

    query = (
        select(User.id, User.username, User.display_name, User.role, User.active, User.is_demo,
               WorkZone.code.label("zone"))
        .outerjoin(UserScope, UserScope.user_id == User.id)
        .outerjoin(WorkZone, WorkZone.id == UserScope.zone_id)
        .order_by(User.username)
    )
    with read_connection(engine) as conn:
        frame = pd.DataFrame(conn.execute(query).all(),
                             columns=["id", "username", "display_name", "role", "active", "is_demo", "zone"])
    # A user without a zone has one row with a missing zone (NaN under pandas, not None): "" for them.
    zones = frame.groupby("id")["zone"].apply(lambda z: ", ".join(sorted(v for v in z if isinstance(v, str) and v)))
    return (frame.drop(columns="zone").drop_duplicates("id")
            .assign(zones=lambda f: f["id"].map(zones).fillna("")).reset_index(drop=True))


def list_display_keys(engine=None):
    import pandas as pd

    from .db import read_connection

    query = (
        select(DisplayKey.id, DisplayKey.label, WorkZone.name.label("zone"), DisplayKey.created_by,
               DisplayKey.created_at, DisplayKey.revoked_at)
        .outerjoin(WorkZone, WorkZone.id == DisplayKey.zone_id)
        .order_by(DisplayKey.id)
    )
    with read_connection(engine) as conn:
        return pd.DataFrame(conn.execute(query).all(),
                            columns=["id", "label", "zone", "created_by", "created_at", "revoked_at"])
