"""What a daily figure says about a day that is only partly reported (issue 10).

Built on data_access.completeness (due times, statuses): a day's report with how many expected sites
are in and its change from the day before on the same sites only; the day a wall shows (the last
complete one while a newer day is coming in); the sites past their due time without a report (the
only ones that are late); and the calm count of sites not yet due.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from . import clock, completeness, territory
from .filters import Filters
from .traffic import METRICS

WINDOW_DAYS = 7  # how far back a missing report still raises an alert (older gaps: the completeness page)
ONE_DAY = dt.timedelta(days=1)


def day_report(day: dt.date, filters: Filters, now: dt.datetime | None = None, engine=None) -> dict:
    """The day's completeness and its change from the day before.

    `partial`: some expected site has not reported the day. `like_for_like`: the change is counted
    on the `sites` that reported both days only (unless both days are complete on the same sites,
    when it is simply the change); `change` is None when no site reported both days."""
    now = now or clock.now(engine)
    counts = completeness.day_counts([day - ONE_DAY, day], filters, now, engine)  # both days in one read
    return _report_of(day, counts, filters, engine)


def _report_of(day: dt.date, counts: dict, filters: Filters, engine) -> dict:
    """day_report from day_counts' counts of the day and the day before."""
    status, before = (completeness.summary_of(d, counts.get(d)) for d in (day, day - ONE_DAY))
    same = completeness.comparable_change(day, filters, engine)
    whole = status["complete"] and before["complete"] and same["sites"] == status["expected"] == before["expected"]
    return {
        "day": day, "expected": status["expected"], "reported": status["reported"],
        "partial": status["expected"] > 0 and not status["complete"],
        "like_for_like": not whole, "sites": same["sites"],
        "change": {m: same["today"][m] - same["yesterday"][m] for m in METRICS} if same["sites"] else None,
    }


def wall_day(filters: Filters, today: dt.date, now: dt.datetime | None = None, engine=None) -> dict:
    """The traffic day a wall shows: the latest day with data when it is complete, else the last
    complete day before it, with the newer day's `reported`/`expected` as `newer` (None when the
    shown day is the latest). With no complete day in reach the latest day is shown as it is."""
    now = now or clock.now(engine)
    latest = territory.as_of("traffic", today, engine)
    return _shown_day(latest, completeness.summary(latest, filters, now, engine), filters, engine)


def _shown_day(latest: dt.date, status: dict, filters: Filters, engine) -> dict:
    """wall_day from the latest day and its completeness summary."""
    shown = None
    if status["expected"] and not status["complete"]:
        shown = completeness.latest_complete_day(filters, latest, engine)
    if shown is None or shown == latest:
        return {"day": latest, "newer": None}
    return {"day": shown, "newer": {"day": latest, "reported": status["reported"], "expected": status["expected"]}}


def wall_traffic(filters: Filters, now: dt.datetime | None = None, engine=None) -> dict:
    """The wall's reports in one read: {"day", "newer"} as wall_day(filters, now's date, now), "report"
    as day_report of that day and "pending" as pending(filters, now). The window's days are counted
    once (pending counts them anyway); the latest day, the shown day and the day before are nearly
    always among them, so they are not counted again (two reads of ~10 ms each at city scale)."""
    now, days = _window(now, engine)
    counts = completeness.day_counts(days, filters, now, engine)
    waiting = _pending_of(counts, now)
    latest = territory.as_of("traffic", now.date(), engine)
    day = _shown_day(latest, completeness.summary_of(latest, _counted(counts, [latest], filters, now, engine)[latest]),
                     filters, engine)
    shown = day["day"]
    report = _report_of(shown, _counted(counts, [shown - ONE_DAY, shown], filters, now, engine), filters, engine)
    return {**day, "report": report, "pending": waiting}


def _counted(counts: dict, days: list[dt.date], filters: Filters, now: dt.datetime, engine) -> dict:
    """day_counts of `days`, taken from `counts` (of the window's days) where it has them: each day is
    counted alone, so a day's counts do not depend on which other days were counted with it."""
    window = set(_window_of(now))  # a day of the window missing from `counts` is before the season
    missing = [d for d in days if d not in window]
    found = completeness.day_counts(missing, filters, now, engine) if missing else {}
    return {d: counts.get(d, found.get(d)) for d in days}


def window_status(filters: Filters, now: dt.datetime | None = None, engine=None) -> pd.DataFrame:
    """completeness.day_status for each of the last WINDOW_DAYS days up to now's date, with the day."""
    now = now or clock.now(engine)
    today = now.date()
    frames = [completeness.day_status(day, filters, now, engine).assign(day=day)
              for day in (today - dt.timedelta(days=k) for k in range(WINDOW_DAYS - 1, -1, -1))]
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return pd.DataFrame(columns=["day", "site_id", "name", "zone_id", "zone", "due_at", "reported_at", "status",
                                     "late_minutes", "responsible"])
    return pd.concat(frames, ignore_index=True)


def _window(now: dt.datetime | None, engine) -> tuple[dt.datetime, list[dt.date]]:
    now = now or clock.now(engine)
    return now, _window_of(now)


def _window_of(now: dt.datetime) -> list[dt.date]:
    today = now.date()
    return [today - dt.timedelta(days=k) for k in range(WINDOW_DAYS - 1, -1, -1)]


OVERDUE_COLUMNS = ["site_id", "name", "zone", "day", "due_at", "late_minutes", "responsible", "missed_days"]


def overdue(filters: Filters, now: dt.datetime | None = None, engine=None) -> pd.DataFrame:
    """Sites past their due time without a report: one row per site, for its oldest missed day in
    the window (its due time and how late), with how many days it has missed; latest first.
    (window_status's overdue rows, read without a row for every site that did report.)"""
    return first_overdue(filters, now, None, engine)[1]


def first_overdue(filters: Filters, now: dt.datetime | None = None, limit: int | None = None,
                  engine=None) -> tuple[int, pd.DataFrame]:
    """How many rows overdue() has, and its `limit` first rows (all when None): the wall needs a few and the count."""
    now, days = _window(now, engine)
    total, rows = completeness.overdue_sites(days, filters, now, limit, engine)
    frame = pd.DataFrame(rows, columns=[*completeness.STATUS_COLUMNS, "day", "missed_days"])
    return total, frame[OVERDUE_COLUMNS].reset_index(drop=True)


def pending(filters: Filters, now: dt.datetime | None = None, engine=None) -> list[dict]:
    """Per day, the sites not yet due and not yet reported: nobody is late for these. A day counts
    once it is over or once any site has reported it (nobody reports a day that has just begun)."""
    now, days = _window(now, engine)
    return _pending_of(completeness.day_counts(days, filters, now, engine), now)


def _pending_of(counts: dict, now: dt.datetime) -> list[dict]:
    """pending() from day_counts' counts of the window's days."""
    today = now.date()
    return [{"day": day, "count": c["pending"], "due_at": pd.Timestamp(c["pending_due"]), "reported": c["reported"],
             "expected": c["expected"]}
            for day, c in sorted(counts.items())
            if c["expected"] and c["pending"] and (day < today or c["reported"])]
