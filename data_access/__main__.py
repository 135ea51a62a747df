"""Command line: first set-up, accounts, settings, due times, and imports from automated feeds.

    python -m data_access init [--demo]
    python -m data_access user add NAME --role clerk [--zone Z1 ...] [--name 显示名]
    python -m data_access user passwd NAME
    python -m data_access user disable NAME | enable NAME
    python -m data_access user role NAME --role supervisor
    python -m data_access user list
    python -m data_access key add LABEL [--zone Z1] [--expires 2020-03-31]   (prints the new key once;
                                                          --expires: its last valid day)
    python -m data_access key list                        (ids for revoke, last day, last use)
    python -m data_access key revoke ID
    python -m data_access setting get season_start
    python -m data_access setting set season_start 2020-01-23
    python -m data_access import checkpoint-days FILE --as USERNAME [--reason TEXT]
                                                          (CSV or .xlsx, the upload's template)
    python -m data_access due list
    python -m data_access due set --zone Z1 10:00+1      (10:00 the next day; 18:00+0 the same day)
    python -m data_access due set --site 中古线西关卡口 09:00+1 | due clear --site 中古线西关卡口
    python -m data_access purge-registrations [--days N]
                                                          (gate registrations older than the retention days,
                                                          setting gate_retention_days, default 28; counts kept)
    python -m data_access report --day 2020-02-25 [--zone Z1] [--lang zh|en] [--kind daily|circular]
                                 --format xlsx|pdf|txt --out FILE [--issue --as USERNAME]
                                                          (the daily report or the weekly circular; --issue:
                                                          stored in the archive as issued by that account)

Passwords are read from the terminal (or from $DASHBOARD_PASSWORD for scripts), never from argv.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
import datetime as dt
import unicodedata
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import auth, db, schema, scope, territory
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


class UsageError(Exception):
    """A command given wrongly: its message is printed and the exit code is 2."""


def _table(frame, columns: list[str]) -> str:
    """A plain text table: missing values blank, dates as written in the database."""
    if frame.empty:
        return "(none)"
    cells = [[("" if _blank(v) else str(v)) for v in row] for row in frame[columns].itertuples(index=False)]
    widths = [max(_width(c), *(_width(r[i]) for r in cells)) for i, c in enumerate(columns)]
    pad = lambda text, width: text + " " * (width - _width(text))  # noqa: E731
    lines = ["  ".join(pad(c, w) for c, w in zip(columns, widths)).rstrip()]
    lines += ["  ".join(pad(v, w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns a text takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _blank(value) -> bool:
    try:
        return value is None or bool(value != value)  # None, NaN, NaT
    except Exception:
        return False


def _need(value, what: str) -> str:
    if not value:
        raise UsageError(f"give the {what}")
    return value


def cmd_user(args) -> str:
    if args.action == "list":
        return _table(auth.list_users(), ["username", "display_name", "role", "active", "zones"])
    _need(args.username, "user name")
    if args.action == "add":
        auth.add_user(args.username, _password(), args.role or "viewer", args.name, args.zone)
        return f"user {args.username} added"
    if args.action == "passwd":
        auth.set_password(args.username, _password())
        return f"password of {args.username} changed"
    if args.action == "role":
        auth.set_role(args.username, _need(args.role, "--role"))
        return f"user {args.username} is now {args.role}"
    auth.set_active(args.username, args.action == "enable")
    return f"user {args.username} {args.action}d"


def cmd_key(args) -> str:
    if args.action == "list":
        keys = auth.list_display_keys().rename(columns={"created_at": "created", "revoked_at": "revoked",
                                                        "last_used_at": "last_used"})
        keys["valid_through"] = [auth.key_last_day(value) for value in keys["expires_at"]]
        return _table(keys, ["id", "label", "zone", "created", "valid_through", "last_used", "revoked"])
    _need(args.label, "label" if args.action == "add" else "key id")
    if args.action == "add":
        zone_id = None
        if args.zone:
            from .models import WorkZone

            with Session(db.get_engine()) as session:
                zone_id = session.scalar(select(WorkZone.id).where(WorkZone.code == args.zone))
            if zone_id is None:
                raise SystemExit(f"no work zone {args.zone}")
        valid_through = None
        if args.expires:
            try:
                valid_through = dt.date.fromisoformat(args.expires)
            except ValueError:
                raise UsageError(f"--expires {args.expires}: give the key's last valid day as YYYY-MM-DD") from None
        key = auth.create_display_key(args.label, None, zone_id, valid_through=valid_through)
        return f"display key (shown once): {key}\nopen: /wall?key={key}"
    if not args.label.isdigit():
        raise UsageError(f"{args.label} is not a key id: see `key list`")
    auth.revoke_display_key(int(args.label))
    return f"display key {args.label} revoked"


SETTABLE = {"season_start": territory.set_season_start}


def cmd_setting(args) -> str:
    if args.action == "get":
        if args.key == territory.SEASON_START_KEY:
            stored = territory.setting(args.key)
            return f"{territory.season_start().isoformat()}" + ("" if stored else " (default: not set)")
        value = territory.setting(args.key)
        return "(not set)" if value is None else value
    if args.key not in SETTABLE:
        raise UsageError(f"{args.key} cannot be set here; settable: {', '.join(SETTABLE)}")
    value = SETTABLE[args.key](_need(args.value, "value"))
    from .traffic_entry import out_of_season_days

    outside = len(out_of_season_days())
    note = f"\n{outside} checkpoint-day rows are dated outside the season: a supervisor can delete them" if outside else ""
    return f"{args.key} = {value.isoformat()}{note}"


def cmd_import(args) -> str:
    """An automated feed's file, with exactly the upload page's checks, rights and audit, as that user."""
    from . import traffic_entry

    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"no such file: {args.file}")
    with Session(db.get_engine()) as session:
        actor = auth.load_actor(session, args.username)  # unknown or disabled: refused
    scope.require_writer(actor)
    today = dt.date.today()  # as the upload page: no day after today
    frame = traffic_entry.read_upload(path.name, path.read_bytes())
    rows = traffic_entry.check_upload(frame, actor, today=today)
    summary = traffic_entry.save_upload(actor.username, rows, reason=args.reason, today=today)
    schema.refresh_statistics()  # an import may be a season's worth of rows: the planner should know
    days = sorted({row["day"] for row in rows})
    span = days[0].isoformat() + ("" if len(days) == 1 else f" to {days[-1].isoformat()}")
    return (f"{path.name}: {len(rows)} rows for {span} saved as {actor.username}: {summary['inserted']} new, "
            f"{summary['updated']} changed, {summary['unchanged']} unchanged")


def _site_id(name: str) -> int:
    from .completeness import site_due_times

    sites = site_due_times()
    found = sites.loc[sites["name"] == name, "site_id"]
    if len(found) != 1:
        raise UsageError(f"no daily-reporting site named {name}" if found.empty else f"{len(found)} sites are named {name}")
    return int(found.iloc[0])


def cmd_due(args) -> str:
    from . import completeness

    if args.action == "list":
        zones = completeness.zone_due_times().assign(
            due=lambda f: [completeness.format_due(m) or f"{completeness.format_due(d)} (default)"
                           for m, d in zip(f["due_minutes"], f["effective_minutes"])])
        sites = completeness.site_due_times()
        sites = sites[sites["due_minutes"].notna()].assign(due=lambda f: f["due_minutes"].map(completeness.format_due))
        return (_table(zones, ["code", "name", "due", "overrides"]) + "\n\nsite overrides:\n"
                + _table(sites, ["zone_code", "name", "due"]))
    if bool(args.zone) == bool(args.site):
        raise UsageError("give --zone CODE or --site NAME")
    due = None if args.action == "clear" else args.due
    if args.zone:
        result = completeness.set_zone_due(args.zone, due, reason=args.reason)
        what = f"work zone {args.zone}"
    else:
        result = completeness.set_site_due(_site_id(args.site), due, reason=args.reason)
        what = f"site {args.site}"
    if not result["changed"]:
        return f"{what}: due time unchanged"
    shown = lambda m: completeness.format_due(m) or "(not set)"  # noqa: E731
    return f"{what}: due time {shown(result['before'])} -> {shown(result['after'])}"


def cmd_purge(args) -> str:
    from . import gate

    if args.days is not None and args.days < 1:
        raise UsageError("--days must be at least 1")
    result = gate.purge("system", days=args.days)
    oldest = result["oldest_kept"]
    kept = f"oldest kept {oldest:%Y-%m-%d %H:%M}" if oldest is not None else "none kept"
    return (f"{result['deleted']} gate registration(s) before {result['cutoff']:%Y-%m-%d %H:%M} deleted "
            f"(per-hour counts kept); {kept}")


def cmd_report(args) -> str:
    """A report (the daily report or the weekly circular) for a day and a work zone written to a file, and
    with --issue --as USERNAME stored in the archive as issued by that account (its right to issue applies)."""
    import reports

    try:
        day = dt.date.fromisoformat(args.day)
    except ValueError:
        raise UsageError(f"--day {args.day}: give the day as YYYY-MM-DD") from None
    if args.format not in reports.KINDS[args.kind]:
        raise UsageError(f"--format {args.format}: a {args.kind} report is made as {', '.join(reports.KINDS[args.kind])}")
    if args.issue and not args.username:
        raise UsageError("--issue needs --as USERNAME: the account the report is issued by")
    if args.format != "txt" and (not args.out or args.out == "-"):
        raise UsageError(f"--format {args.format} is a file: give --out FILE")
    zone_id = None
    if args.zone:
        zones = territory.zones()
        found = zones.loc[zones["code"] == args.zone, "id"]
        if found.empty:
            raise UsageError(f"no work zone {args.zone}; zones: {', '.join(zones['code'])}")
        zone_id = int(found.iloc[0])
    actor = None
    if args.issue:
        with Session(db.get_engine()) as session:
            actor = auth.load_actor(session, args.username)  # unknown or disabled: refused before any work
    issued = ""
    if actor is None:
        document = reports.render(args.kind, args.format, day, zone_id, lang=args.lang)
    else:
        document, archive_id = reports.make_and_issue(actor, args.kind, args.format, day, zone_id, lang=args.lang)
        issued = f"; issued as {actor.username}, archive number {archive_id}"
    if not args.out or args.out == "-":
        return document.content.decode("utf-8").rstrip("\n") + (f"\n({issued[2:]})" if issued else "")
    Path(args.out).write_bytes(document.content)
    return (f"{args.kind} report for {day.isoformat()} ({args.zone or 'whole zone'}, {args.lang}, {args.format}) "
            f"written to {args.out}{issued}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m data_access")
    sub = p.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="create or upgrade the schema")
    init.add_argument("--demo", action="store_true", help="and load the demo data set")
    init.set_defaults(run=cmd_init)
    user = sub.add_parser("user", help="manage accounts")
    user.add_argument("action", choices=["add", "passwd", "disable", "enable", "role", "list"])
    user.add_argument("username", nargs="?")
    user.add_argument("--role", help="admin, supervisor, clerk or viewer (add: default viewer)")
    user.add_argument("--name", help="display name")
    user.add_argument("--zone", action="append", help="work zone code a clerk may write for")
    user.set_defaults(run=cmd_user)
    key = sub.add_parser("key", help="manage wall display keys")
    key.add_argument("action", choices=["add", "revoke", "list"])
    key.add_argument("label", nargs="?", help="a name for the display (add) or the key's id (revoke)")
    key.add_argument("--zone", help="work zone code the display shows")
    key.add_argument("--expires", help="the key's last valid day, YYYY-MM-DD (default: until revoked)")
    key.set_defaults(run=cmd_key)
    setting = sub.add_parser("setting", help="read or change a setting (season_start)")
    setting.add_argument("action", choices=["get", "set"])
    setting.add_argument("key")
    setting.add_argument("value", nargs="?")
    setting.set_defaults(run=cmd_setting)
    imports = sub.add_parser("import", help="import a file of daily figures (an automated feed)")
    imports.add_argument("kind", choices=["checkpoint-days"])
    imports.add_argument("file", help="CSV or .xlsx with the upload template's columns (Chinese or English headings)")
    imports.add_argument("--as", dest="username", required=True, help="the account the rows are saved as")
    imports.add_argument("--reason", help="why saved figures are changed (required for corrections)")
    imports.set_defaults(run=cmd_import)
    due = sub.add_parser("due", help="when a day's figures are due: per work zone, or one site's own")
    due_actions = due.add_subparsers(dest="action", required=True)
    due_actions.add_parser("list", help="every zone's due time and the sites' own").set_defaults(run=cmd_due)
    for action in ("set", "clear"):
        one = due_actions.add_parser(action, help=f"{action} a zone's or a site's due time")
        if action == "set":  # a required positional may follow the options (an optional one may not)
            one.add_argument("due", help="HH:MM+DAYS, e.g. 10:00+1 (10:00 the next day), or minutes")
        one.add_argument("--zone", help="work zone code")
        one.add_argument("--site", help="daily-reporting site (road checkpoint) name")
        one.add_argument("--reason")
        one.set_defaults(run=cmd_due, due=None)
    purge = sub.add_parser("purge-registrations",
                           help="delete gate registrations older than the retention days (counts are kept)")
    purge.add_argument("--days", type=int, help="keep this many days (default: the setting gate_retention_days, 28)")
    purge.set_defaults(run=cmd_purge)
    daily = sub.add_parser("report", help="the daily report (日报) or the weekly circular (通报) for a day")
    daily.add_argument("--day", required=True, help="the day reported on, YYYY-MM-DD (each line as of its own "
                                                    "last day on or before it)")
    daily.add_argument("--zone", help="work zone code (default: the whole development zone)")
    daily.add_argument("--kind", choices=["daily", "circular"], default="daily",
                       help="daily: the daily report; circular: the inspections' weekly circular")
    daily.add_argument("--lang", choices=["zh", "en"], default="zh")
    daily.add_argument("--format", choices=["txt", "xlsx", "pdf"], default="txt",
                       help="txt (UTF-8), xlsx (the workbook; daily only) or pdf (A4)")
    daily.add_argument("--out", help="the file to write; without it, or -, a txt report is printed")
    daily.add_argument("--issue", action="store_true", help="store it in the archive of issued reports")
    daily.add_argument("--as", dest="username", help="the account it is issued by (with --issue)")
    daily.set_defaults(run=cmd_report)
    return p


def error_lines(error: ValidationError) -> list[str]:
    """One line per problem: where (a file's line and column, or the field) and what, in both languages."""
    from .traffic_entry import UPLOAD_HEADERS_ZH

    lines = []
    for e in error.errors:
        column = f"{e.field} ({UPLOAD_HEADERS_ZH[e.field]})" if e.field in UPLOAD_HEADERS_ZH else e.field
        where = f"line {e.row}, column {column}" if e.row is not None and e.field != "file" else \
            (f"line {e.row}" if e.row is not None else column)
        lines.append(f"{where}: {e.en} / {e.zh}")
    return lines


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        print(args.run(args))
    except ValidationError as error:
        for line in error_lines(error):
            print(line, file=sys.stderr)
        print(f"{len(error.errors)} problem(s); nothing was saved / 未保存任何内容", file=sys.stderr)
        return 2
    except DataError as error:
        print(f"{error.en} / {error.zh}", file=sys.stderr)
        return 2
    except UsageError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
