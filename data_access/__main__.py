"""Command line for first set-up.

    python -m data_access init [--demo]
    python -m data_access user add NAME --role clerk [--zone Z1 ...] [--name 显示名]
    python -m data_access user passwd NAME
    python -m data_access user disable NAME | enable NAME
    python -m data_access key add LABEL [--zone Z1]       (prints the new display key once)
    python -m data_access key revoke ID

Passwords are read from the terminal (or from $DASHBOARD_PASSWORD for scripts), never from argv.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import auth, db, schema
from .errors import DataError, ValidationError


def _password() -> str:
    if os.environ.get("DASHBOARD_PASSWORD"):
        return os.environ["DASHBOARD_PASSWORD"]
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("Passwords differ; nothing changed.")
    return first


def cmd_init(args) -> str:
    from . import demo

    schema.upgrade()
    lines = [f"schema at revision {schema.current_revision()} on {db.get_engine().url.render_as_string(hide_password=True)}"]
    if args.demo:
        lines.append("demo data " + ("loaded" if demo.load_demo() == "loaded" else "already present, nothing changed"))
    return "\n".join(lines)


def cmd_user(args) -> str:
    if args.action == "add":
        auth.add_user(args.username, _password(), args.role, args.name, args.zone)
        return f"user {args.username} added"
    if args.action == "passwd":
        auth.set_password(args.username, _password())
        return f"password of {args.username} changed"
    auth.set_active(args.username, args.action == "enable")
    return f"user {args.username} {args.action}d"


def cmd_key(args) -> str:
    if args.action == "add":
        zone_id = None
        if args.zone:
            from .models import WorkZone

            with Session(db.get_engine()) as session:
                zone_id = session.scalar(select(WorkZone.id).where(WorkZone.code == args.zone))
            if zone_id is None:
                raise SystemExit(f"no work zone {args.zone}")
        key = auth.create_display_key(args.label, None, zone_id)
        return f"display key (shown once): {key}\nopen: /wall?key={key}"
    auth.revoke_display_key(int(args.label))
    return f"display key {args.label} revoked"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m data_access")
    sub = p.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="create or upgrade the schema")
    init.add_argument("--demo", action="store_true", help="and load the demo data set")
    init.set_defaults(run=cmd_init)
    user = sub.add_parser("user", help="manage accounts")
    user.add_argument("action", choices=["add", "passwd", "disable", "enable"])
    user.add_argument("username")
    user.add_argument("--role", default="viewer")
    user.add_argument("--name", help="display name")
    user.add_argument("--zone", action="append", help="work zone code a clerk may write for")
    user.set_defaults(run=cmd_user)
    key = sub.add_parser("key", help="manage wall display keys")
    key.add_argument("action", choices=["add", "revoke"])
    key.add_argument("label", help="a name for the display (add) or the key's id (revoke)")
    key.add_argument("--zone", help="work zone code the display shows")
    key.set_defaults(run=cmd_key)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        print(args.run(args))
    except ValidationError as error:
        for e in error.errors:
            print(f"{e.field}: {e.en} / {e.zh}", file=sys.stderr)
        return 2
    except DataError as error:
        print(f"{error.en} / {error.zh}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
