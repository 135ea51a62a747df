"""The reopening procedure's pure rules (data_access.reopening_rules): no database, no Streamlit."""
from __future__ import annotations

import datetime as dt

import pytest

from data_access import reopening_rules as rules
from data_access.models import REOPENING_STEPS

D = lambda n: dt.date(2020, 2, n)  # noqa: E731  (a day in February 2020)


def _steps(*names, passed=None):
    """Step dicts on consecutive days; `passed` maps a position to the check's outcome."""
    passed = passed or {}
    return [{"id": i + 1, "step": s, "day": D(10 + i), "passed": passed.get(i, True if s in rules.CHECKS else None)}
            for i, s in enumerate(names)]


@pytest.mark.parametrize("names, passed, expected", [
    ((), {}, "not_applied"),
    (("applied",), {}, "applied"),
    (("applied", "inspected_before"), {}, "inspected_before"),
    (("applied", "inspected_before", "refused"), {1: False}, "refused"),
    (("applied", "inspected_before", "letters_signed", "approved"), {}, "approved"),
    (("applied", "inspected_before", "letters_signed", "approved", "inspected_after", "phone_verified"), {},
     "phone_verified"),
    (("applied", "inspected_before", "letters_signed", "approved", "inspected_after", "suspended"), {4: False},
     "suspended"),
    (("applied", "inspected_before", "letters_signed", "approved", "suspended", "inspected_after"), {5: False},
     "suspended"),
    (("applied", "inspected_before", "letters_signed", "approved", "suspended", "inspected_after"), {}, "reinspected"),
    (("applied", "inspected_before", "letters_signed", "approved", "suspended", "inspected_after", "resumed"), {},
     "resumed"),
    (("applied", "inspected_before", "refused", "applied"), {1: False}, "applied"),
])
def test_derive_status(names, passed, expected):
    status, since = rules.derive_status(_steps(*names, passed=passed))
    assert status == expected
    counted = [s for s in _steps(*names, passed=passed) if s["passed"] is not False]
    assert since == (counted[-1]["day"] if counted else None)


def test_derive_status_reads_objects_and_orders_by_day_then_id():
    class Step:
        def __init__(self, id, step, day, passed=None):
            self.id, self.step, self.day, self.passed = id, step, day, passed

    shuffled = [Step(3, "inspected_before", D(11), True), Step(1, "applied", D(10)), Step(2, "refused", D(11))]
    assert rules.derive_status(shuffled) == ("inspected_before", D(11))


@pytest.mark.parametrize("last, open_suspensions, expected", [
    (None, 0, "not_applied"), (None, 1, "not_applied"), ("approved", 0, "approved"), ("suspended", 1, "suspended"),
    ("inspected_after", 1, "reinspected"), ("inspected_after", 0, "inspected_after"), ("resumed", 0, "resumed"),
    ("phone_verified", 2, "suspended"),
])
def test_status_after(last, open_suspensions, expected):
    assert rules.status_after(last, open_suspensions) == expected


def test_steps_and_transitions_are_closed():
    assert rules.STEPS == REOPENING_STEPS  # what the database accepts is what the rules know
    assert set(rules.NEXT_STEPS) == set(rules.STATUSES)
    for status, steps in rules.NEXT_STEPS.items():
        assert steps and set(steps) <= set(rules.STEPS), status
    assert rules.next_steps("letters_signed") == ("approved", "refused")
    assert "approved" not in rules.next_steps("applied")
    assert rules.next_steps("suspended") == ("inspected_after",)  # resumption needs a re-inspection first
    assert rules.next_steps("no_such_status") == ()


def test_failed_checks_bring_refusal_or_suspension():
    assert rules.consequence("applied", "inspected_before", False) == "refused"
    assert rules.consequence("approved", "inspected_after", False) == "suspended"
    assert rules.consequence("inspected_after", "phone_verified", False) == "suspended"
    assert rules.consequence("suspended", "inspected_after", False) is None  # stays suspended
    assert rules.consequence("applied", "inspected_before", True) is None
    assert rules.consequence("applied", "refused", False) is None  # not a check


def test_approval_missing_looks_only_at_the_latest_application():
    first = _steps("applied", "inspected_before", "letters_signed", "refused", "applied")
    assert rules.approval_missing(first) == ["inspected_before", "letters_signed"]
    assert rules.approval_missing(_steps("applied", "inspected_before", "letters_signed")) == []
    assert rules.approval_missing(_steps("applied", "inspected_before", passed={1: False})) == [
        "inspected_before", "letters_signed"]


def test_every_status_has_one_group_in_the_charts_order():
    assert set(rules.STATUS_GROUP) == set(rules.STATUSES)
    assert set(rules.STATUS_GROUP.values()) == set(rules.GROUPS)
    assert rules.STATUS_GROUP["resumed"] == "working" and rules.STATUS_GROUP["letters_signed"] == "in_progress"
    assert rules.STATUS_GROUP["reinspected"] == "suspended" and rules.STATUS_GROUP["refused"] == "refused"


def test_what_a_case_waits_for():
    assert rules.expected_next("applied") == "inspected_before"
    assert rules.expected_next("suspended") == "inspected_after"
    assert rules.expected_next("phone_verified") is None and rules.expected_next("refused") is None
    assert rules.is_reinspection("suspended", "inspected_after")
    assert not rules.is_reinspection("approved", "inspected_after")
    assert set(rules.UNFINISHED) == set(rules.STATUSES) - set(rules.DONE)


def test_counts_that_steps_move():
    assert sum(rules.SUSPENSION_CHANGE.get(s, 0) for s in ("suspended", "resumed", "suspended")) == 1
    assert sum(rules.WORKFORCE_CHANGE.get(s, 0) for s in ("approved", "suspended", "resumed")) == 1
