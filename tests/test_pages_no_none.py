"""AppTest: no table cell a person reads says "None", "nan" or "NaT" (issue 12). Every table and grid on
the dashboards, entry pages and administration pages, for an administrator and a clerk, in both
languages, on SQLite and PostgreSQL: a shown column that holds a missing value must have a placeholder
("—" or blank) to show instead, and no cell may hold those words as text. Also the enterprise step
history (shown when a row of the enterprise list is picked) and the accounts page's key list."""
from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from data_access import auth
from tests.apptest_helpers import app, signed_in

TOGGLES = {"map_all_sites", "inspect_show_visits"}
WORDS = {"None", "none", "nan", "NaN", "NaT", "null", "<NA>"}
PAGES = ["pages/traffic.py", "pages/reopening.py", "pages/shops.py", "pages/coverage_map.py", "pages/inspections.py",
         "pages/completeness.py", "pages/traffic_entry.py", "pages/reopening_entry.py", "pages/shop_entry.py",
         "pages/survey_entry.py", "pages/inspection_entry.py", "pages/admin.py", "pages/audit_log.py"]


def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, dict, set)) else False
    except (TypeError, ValueError):
        return False


def table_problems(at, where: str) -> list[str]:
    found = []
    for element in at.dataframe:
        frame, proto = element.value, element.proto
        if frame is None:
            continue
        order = list(proto.column_order) or [c for c in frame.columns]
        config = json.loads(proto.columns) if proto.columns else {}
        hidden = {name for name, column in config.items() if isinstance(column, dict) and column.get("hidden")}
        shown = [c for c in order if c in frame.columns and c not in hidden]
        placeholder = proto.placeholder if proto.HasField("placeholder") else None
        name = element.key or ",".join(map(str, shown[:3]))
        for column in shown:
            values = list(frame[column])
            if any(_missing(v) for v in values) and placeholder is None:
                found.append(f"{where} [{name}] column {column!r}: a missing value shows as 'None' (no placeholder)")
            words = {str(v).strip() for v in values if isinstance(v, str) and str(v).strip() in WORDS}
            if words:
                found.append(f"{where} [{name}] column {column!r}: cells read {sorted(words)}")
        if placeholder is not None and placeholder.strip() in WORDS:
            found.append(f"{where} [{name}]: placeholder {placeholder!r}")
    return found


@pytest.mark.parametrize("language", ["zh", "en"], indirect=True)
@pytest.mark.parametrize("role", ["admin", "clerk"])
def test_no_table_says_none(demo_engine, role, language):
    user = auth.authenticate(role, "demo")
    at = app({"lang": language} if language == "en" else None)
    at.session_state["actor"] = user
    at.run()
    failures = []
    for path in PAGES:
        if role == "clerk" and path in ("pages/admin.py", "pages/audit_log.py"):
            continue
        at.session_state["lang"] = language
        at.switch_page(path).run()
        assert not at.exception, (path, at.exception)
        for toggle in at.toggle:  # tables built only when asked for (every site, the recent visits)
            if toggle.key in TOGGLES:
                toggle.set_value(True)
        at.run()
        failures += table_problems(at, f"{role}/{language} {path}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("language", ["zh"], indirect=True)
def test_an_enterprise_not_applied_and_its_step_history_say_no_none(demo_engine, language):
    """已停留天数 of an enterprise that has not applied, and the step history under the list."""
    at = signed_in("supervisor", "pages/reopening.py")
    table = next(d for d in at.dataframe if d.key == "reopen_table")
    not_applied = table.value.index[table.value["status"] == "未申请"].tolist()
    assert not_applied, "the demo has enterprises that have not applied"
    failures = table_problems(at, "reopening list")
    for row in (not_applied[0], 0):  # one with no steps, one with a history
        at.session_state["reopen_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
        at.run()
        assert not at.exception
        failures += table_problems(at, f"reopening, row {row} picked")
    assert not failures, "\n".join(failures)
