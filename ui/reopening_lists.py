"""The reopening page's lists (stuck, suspended, every enterprise) in words, made once per data version
and language through ui.data.read (issue 14): labelling them cost ~45 ms of every rerun at city scale."""
from __future__ import annotations

import pandas as pd

from data_access import reopening
from data_access import reopening_rules as rules
from data_access.models import DEPARTMENTS
from ui.i18n import text_in

READS = {"stuck": reopening.stuck, "suspended": reopening.suspended, "enterprises": reopening.enterprises}


def labels(language: str) -> dict[str, dict[str, str]]:
    """Codes to words, looked up once: a lookup per table row would be too slow."""
    return {"status": {s: text_in(language, f"reopen.status.{s}") for s in rules.STATUSES},
            "step": {s: text_in(language, f"reopen.step.{s}") for s in rules.STEPS},
            "department": {d: text_in(language, f"reopen.dept.{d}") for d in DEPARTMENTS}}


def shown(read_name: str, args: tuple, language: str) -> pd.DataFrame:
    """READS[read_name](*args) in words."""
    return labelled(READS[read_name](*args), labels(language), language)


def labelled(frame: pd.DataFrame, text: dict, language: str) -> pd.DataFrame:
    """Codes to words for display (a copy: cached frames are never changed in place), column by column."""
    shown = frame.copy()
    shown["department"] = shown["department"].map(text["department"])
    shown["status"] = shown["status"].map(text["status"])
    again = frame["status"].eq(rules.OPEN_SUSPENSION_STATUS) & frame["next_step"].eq(rules.REINSPECTION)
    shown["next_step"] = frame["next_step"].map(text["step"]).fillna("—").where(
        ~again, text_in(language, "reopen.entry.reinspection"))
    # Dates as text, so a missing one reads "—" rather than Streamlit's grey "None"
    for name in ("since", "suspended_on"):
        if name in shown:
            days = pd.to_datetime(shown[name], errors="coerce")
            shown[name] = days.dt.strftime("%Y-%m-%d").where(days.notna(), "—")
    shown["days"] = shown["days"].astype("Int64")
    for name in ("owner", "owner_backup", "reason"):
        if name in shown:
            shown[name] = shown[name].fillna("—")
    if "owner" in shown:  # the A/B pair (AB角) in one column: "鞠连生 / 王凤英"
        backup = shown["owner_backup"] if "owner_backup" in shown else pd.Series("—", index=shown.index)
        shown["owners"] = (shown["owner"].astype(str) + " / " + backup.astype(str)).where(
            ~backup.isin(["—"]) & backup.notna(), shown["owner"])
    return shown
