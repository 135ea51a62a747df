"""The enterprise reopening procedure (企业复工) as rules: steps, transitions, status derivation and the
consequences of a failed check. Pure: no database, no Streamlit. data_access.reopening builds its SQL
from these tables, the pages ask them what to offer; the words for each code are in ui/text.

    not_applied → applied → inspected_before → letters_signed → approved → inspected_after → phone_verified
                     └──────────┴──── refused ───┘                  └──── suspended ──┘         │
    refused → applied (a new application)         suspended → inspected_after (passed) = reinspected → resumed

A failed inspection or phone check is recorded as that check (passed = false) followed, in the same
transaction, by a refusal (before approval) or a suspension (after), both carrying the reason. While
suspended, a re-inspection that fails leaves the enterprise suspended; one that passes makes it
`reinspected`, and only then may it resume.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

# The steps a clerk records, in the order the form and the database list them.
STEPS = ("applied", "inspected_before", "letters_signed", "approved", "refused", "inspected_after",
         "phone_verified", "suspended", "resumed")
STATUSES = ("not_applied", "applied", "inspected_before", "letters_signed", "approved", "inspected_after",
            "phone_verified", "refused", "suspended", "reinspected", "resumed")
FUNNEL = ("applied", "inspected_before", "letters_signed", "approved", "inspected_after", "phone_verified")
CHECKS = ("inspected_before", "inspected_after", "phone_verified")  # steps that pass or fail
NEEDS_REASON = ("refused", "suspended")
LETTERS = ("prevention", "safety", "health")  # the three commitment letters (三个承诺书)

NEXT_STEPS: dict[str, tuple[str, ...]] = {
    "not_applied": ("applied",),
    "applied": ("inspected_before", "refused"),
    "inspected_before": ("letters_signed", "refused"),
    "letters_signed": ("approved", "refused"),
    "approved": ("inspected_after", "suspended"),
    "inspected_after": ("phone_verified", "suspended"),
    "phone_verified": ("suspended",),
    "refused": ("applied",),
    "suspended": ("inspected_after",),  # the re-inspection after rectification
    "reinspected": ("resumed",),
    "resumed": ("suspended",),
}
BEFORE_APPROVAL = ("applied", "inspected_before", "letters_signed")
WORKING = ("approved", "inspected_after", "phone_verified", "resumed")  # "approved" in the report's count
IN_SUSPENSION = ("suspended", "reinspected")
DONE = ("phone_verified", "resumed")
UNFINISHED = tuple(s for s in STATUSES if s not in DONE)
# Statuses where the next move is the zone's, so time spent there can mean the case is stuck.
WAITING = ("applied", "inspected_before", "letters_signed", "approved", "inspected_after", "suspended", "reinspected")

# The groups the department chart counts; a status outside the three named groups is its own group.
GROUPS = ("working", "in_progress", "suspended", "refused", "not_applied")
GROUP_MEMBERS = {"working": WORKING, "in_progress": BEFORE_APPROVAL, "suspended": IN_SUSPENSION}
STATUS_GROUP = {status: next((g for g, members in GROUP_MEMBERS.items() if status in members), status)
                for status in STATUSES}

# How the status follows from the steps: steps that open and close a suspension, and the step that,
# taken while one is open, is the re-inspection.
SUSPENSION_CHANGE = {"suspended": 1, "resumed": -1}
REINSPECTION = "inspected_after"
# Approval and resumption bring an enterprise's employees back, suspension takes them away.
WORKFORCE_CHANGE = {"approved": 1, "resumed": 1, "suspended": -1}
NO_STEP_STATUS = "not_applied"
OPEN_SUSPENSION_STATUS = "suspended"
REINSPECTED_STATUS = "reinspected"


def next_steps(status: str) -> tuple[str, ...]:
    return NEXT_STEPS.get(status, ())


def expected_next(status: str) -> str | None:
    """The step a waiting case waits for (the first it may take); None when nobody waits on the zone."""
    return next(iter(next_steps(status)), None) if status in WAITING else None


def is_reinspection(status: str, step: str | None) -> bool:
    """Is this step, taken from this status, the re-inspection after rectification?"""
    return status == OPEN_SUSPENSION_STATUS and step == REINSPECTION


def consequence(status: str, step: str, passed: bool | None) -> str | None:
    """The step a failed check brings with it: refusal before approval, suspension after.
    A failed re-inspection of a suspended enterprise brings nothing: it simply stays suspended."""
    if step not in CHECKS or passed is not False or status in IN_SUSPENSION:
        return None
    return "refused" if status in BEFORE_APPROVAL else "suspended"


def status_after(last_counted_step: str | None, open_suspensions: int) -> str:
    """The status, from the latest step that counts (failed checks do not) and the suspensions still open.
    data_access.reopening._status_as_of is this in SQL."""
    if last_counted_step is None:
        return NO_STEP_STATUS
    if open_suspensions > 0:
        return REINSPECTED_STATUS if last_counted_step == REINSPECTION else OPEN_SUSPENSION_STATUS
    return last_counted_step


def _getter(steps: Sequence):
    return (lambda s, k: s[k]) if steps and isinstance(steps[0], dict) else getattr


def _in_order(steps: Sequence) -> list:
    get = _getter(steps)
    return sorted(steps, key=lambda s: (get(s, "day"), get(s, "id") or 0))


def derive_status(steps: Sequence) -> tuple[str, dt.date | None]:
    """(status, since) from an enterprise's steps (objects or dicts with step, day, passed, id).

    Steps are dated no later than today and never before the previous one, so (day, id) is the
    order in which things happened."""
    get = _getter(steps)
    ordered = _in_order(steps)
    counted = [s for s in ordered if get(s, "passed") is not False]
    open_suspensions = sum(SUSPENSION_CHANGE.get(get(s, "step"), 0) for s in ordered)
    last = counted[-1] if counted else None
    status = status_after(get(last, "step") if last else None, open_suspensions)
    return status, get(last, "day") if last else None


def approval_missing(steps: Sequence) -> list[str]:
    """What approval still needs since the latest application: a passed pre-approval inspection, the letters."""
    get = _getter(steps)
    ordered = _in_order(steps)
    applications = [i for i, s in enumerate(ordered) if get(s, "step") == "applied"]
    since = ordered[applications[-1]:] if applications else []
    missing = []
    if not any(get(s, "step") == "inspected_before" and get(s, "passed") is True for s in since):
        missing.append("inspected_before")
    if not any(get(s, "step") == "letters_signed" for s in since):
        missing.append("letters_signed")
    return missing
