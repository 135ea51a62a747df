"""What needs attention, most urgent first: the wall's alert column.

Built only from the read functions the dashboard pages use, so the wall can never disagree with
them. Urgency: 1 = act now (a report past its due time, a finding past its due day), 2 = late (duty
point not inspected within two days, a reopening case stuck or suspended), 3 = watch (supplies low).
A duty point short of people on a shift of today (now's or a later one) is 1 when nobody is there
("no one rostered is red"), else 2.
A report not yet due is no alert at all (reporting.pending counts those, calmly); a late one leads.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pandas as pd

from . import clock, inspections, logistics, reopening, reopening_rules, reporting, roster, territory
from .filters import Filters

COLUMNS = ["urgency", "kind", "subject", "detail", "days", "due_at", "late_minutes", "missed_days"]


def line_filters(filters: Filters, line: str, engine=None) -> Filters:
    """The filters as of the line's own day (on or before filters.end): a new traffic day must not
    make reopening cases look stuck a day longer."""
    return dataclasses.replace(filters, end=territory.as_of(line, filters.end, engine))


def alerts(filters: Filters, now: dt.datetime | None = None, engine=None) -> pd.DataFrame:
    """Every alert for the zone in `filters`, each line of work as of its own day up to filters.end;
    late reports as of `now` (the clock)."""
    now = now or clock.now(engine)
    rows = [(1, "overdue_report", r.name, r.responsible, r.late_minutes // (24 * 60), r.due_at, r.late_minutes,
             r.missed_days) for r in reporting.overdue(filters, now, engine).itertuples()]
    checks = line_filters(filters, "inspections", engine)
    findings = inspections.open_findings(checks, engine)
    rows += [_row(1, "finding_past_due", r.site, r.description, int(r.age_days))
             for r in findings[findings["past_due"]].itertuples()]
    points = inspections.duty_points(checks, engine)
    rows += [_row(2, "inspection_overdue", r.name, r.zone, int(r.days_since) if pd.notna(r.days_since) else inspections.NEVER_INSPECTED_DAYS)
             for r in points[points["overdue"]].itertuples()]
    cases = line_filters(filters, "reopening", engine)
    rows += [_row(2, "suspended", r.name, r.reason or "", int(r.days or 0)) for r in reopening.suspended(cases, engine=engine).itertuples()]
    rows += [_row(2, "stuck", r.name, r.status, int(r.days or 0)) for r in reopening.stuck(cases, engine=engine).itertuples()
             if r.status not in reopening_rules.IN_SUSPENSION]
    rows += _stock_rows(logistics.low_stock(filters, engine))
    rows += _gap_rows(roster.gaps(filters, now, engine=engine))
    return _ordered(rows)


def _gap_rows(gaps: pd.DataFrame) -> list[tuple]:
    """A point-shift short of people: its point, "<shift> <present>/<required>"; red (1) when nobody is there.
    Gaps are of now, not waiting days: 0 days, so within an urgency they follow what has waited."""
    return [_row(1 if r.empty else 2, "duty_gap", r.site, f"{r.shift} {r.present}/{r.required}", 0)
            for r in gaps.itertuples()]


def _stock_rows(stock: pd.DataFrame) -> list[tuple]:
    """An item running out within COVER_ALERT_DAYS at the last week's issue rate says so ("口罩 不足 2 天",
    urgency 2: it needs a delivery now); one merely under its threshold is a calm reminder (urgency 3)."""
    rows = []
    for r in stock.itertuples():
        subject = f"{r.zone} {r.item}"
        if r.cover_days is not None and pd.notna(r.cover_days) and r.cover_days < logistics.COVER_ALERT_DAYS:
            rows.append(_row(2, "short_cover", subject, f"{r.stock} {r.unit}", max(1, math.ceil(r.cover_days))))
        else:
            rows.append(_row(3, "low_stock", subject, f"{r.stock}/{r.threshold} {r.unit}", 0))
    return rows


def _row(urgency: int, kind: str, subject: str, detail: str, days: int) -> tuple:
    return urgency, kind, subject, detail, days, None, 0, 0


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def _ordered(rows: list[tuple]) -> pd.DataFrame:
    """Most urgent first; within an urgency late reports lead ("who has not reported?" is the morning's
    first question, and each is one phone call), then longest waiting, then latest. A stable sort of the
    tuples: pandas' sort on four columns cost ~4 ms of every wall rerun."""
    return _frame(sorted(rows, key=_urgency_order))


RUNS_OUT_FIRST = -10 ** 6  # below any waiting time


def _urgency_order(row: tuple) -> tuple:
    """An item running out leads its urgency, soonest first: it is the one alert that gets worse on a known
    day, and behind a dozen long-waiting cases and the roster's gaps it fell off the wall's column (issue 16)."""
    days = RUNS_OUT_FIRST + row[4] if row[1] == "short_cover" else -row[4]
    return row[0], row[1] != "overdue_report", days, -row[6]


def top(filters: Filters, now: dt.datetime | None = None, limit: int = 40, engine=None) -> dict:
    """What the wall's alert column shows: {"total": len(alerts(filters, now)), "rows": alerts(filters,
    now).head(limit)}, the same rows, without building the thousands of alerts a city can have.

    The late reports (the traffic line, and `now`) and the other kinds (inspections, reopening,
    supplies) are read apart and put together by `first_of`: the wall caches each under its own
    lines, so a traffic save, all day long, reads the late reports again and nothing else."""
    return first_of(late_reports(filters, now, limit, engine), other_alerts(filters, limit, engine, now=now), limit)


def first_of(late: dict, others: dict, limit: int) -> dict:
    """top()'s answer from late_reports' and other_alerts' (each read with at least `limit`)."""
    rows = [*late["rows"].itertuples(index=False, name=None), *others["rows"].itertuples(index=False, name=None)]
    return {"total": late["total"] + others["total"], "rows": _ordered(rows).head(limit)}


def late_reports(filters: Filters, now: dt.datetime | None = None, limit: int = 40, engine=None) -> dict:
    """The first `limit` late-report alerts (they lead the column, whatever their age) and how many there are."""
    now = now or clock.now(engine)
    count, late = reporting.first_overdue(filters, now, limit, engine)
    rows = [(1, "overdue_report", r.name, r.responsible, r.late_minutes // (24 * 60), r.due_at, r.late_minutes,
             r.missed_days) for r in late.itertuples()]
    return {"total": count, "rows": _frame(rows)}


def other_alerts(filters: Filters, limit: int = 40, engine=None, now: dt.datetime | None = None) -> dict:
    """Every alert but the late reports, counted whole in SQL, and enough of their first rows for
    `limit`: alerts() puts findings past due first (urgency 1), then urgency 2, then 3, each kind
    longest waiting first, so each kind's first `limit` rows are all the column can need of it, and
    none of urgency 2 or 3 once the findings fill `limit`. Duty gaps are of `now` (the clock's when None;
    they change only at a shift's start, roster.shift_moment: a cache may key on that): the first `limit`
    of roster.gaps, empty ones first, are all the column can need of them."""
    now = now or clock.now(engine)
    checks = line_filters(filters, "inspections", engine)
    board = inspections.alert_counts(checks, engine)
    cases = line_filters(filters, "reopening", engine)
    threshold = reopening.stuck_after_days(engine)
    waiting = tuple(s for s in reopening_rules.WAITING if s not in reopening_rules.IN_SUSPENSION)
    suspended = reopening.count_enterprises(cases, reopening_rules.IN_SUSPENSION, engine=engine)
    stock = logistics.low_stock(filters, engine)
    duty = roster.count_gaps(filters, now, engine)
    total = (board["past_due"] + board["overdue"] + suspended
             + reopening.count_stuck(cases, threshold, waiting, engine) + len(stock) + duty["total"])
    rows, room = [], limit
    if room > 0 and board["past_due"]:
        findings = inspections.open_findings(checks, engine, past_due=True, limit=room)
        rows += [_row(1, "finding_past_due", r.site, r.description, int(r.age_days)) for r in findings.itertuples()]
        room -= len(findings)
    if room > 0:  # urgency 2: each kind's first `room`, sorted together by first_of
        points = inspections.overdue_points(checks, room, engine)
        rows += [_row(2, "inspection_overdue", r.name, r.zone,
                      int(r.days_since) if pd.notna(r.days_since) else inspections.NEVER_INSPECTED_DAYS)
                 for r in points.itertuples()]
        if suspended:
            rows += [_row(2, "suspended", r.name, r.reason or "", int(r.days or 0))
                     for r in reopening.suspended(cases, engine=engine).itertuples()]
        rows += [_row(2, "stuck", r.name, r.status, int(r.days or 0))
                 for r in reopening.stuck(cases, threshold, room, engine, statuses=waiting).itertuples()]
        rows += _stock_rows(stock)
    if limit > 0 and duty["total"]:  # after the others, as in alerts(): ties keep that order
        rows += _gap_rows(roster.gaps(filters, now, limit, engine))
    return {"total": total, "rows": _frame(rows)}
