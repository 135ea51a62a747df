"""What needs attention, most urgent first: the wall's alert column.

Built only from the read functions the dashboard pages use, so the wall can never disagree with them.
Urgency: 1 = act now (no report today, finding past due), 2 = overdue (inspection, stuck case,
suspension), 3 = watch (supplies below threshold).
"""
from __future__ import annotations

import pandas as pd

from . import logistics, reopening, traffic
from .filters import Filters

COLUMNS = ["urgency", "kind", "subject", "detail", "days"]


def alerts(filters: Filters, engine=None) -> pd.DataFrame:
    zone_ids = (filters.zone_id,) if filters.zone_id is not None else None
    parts = []
    missing = traffic.missing_reports(filters.end, zone_ids, engine)
    parts += [(1, "missing_report", row.name, row.zone, 0) for row in missing.itertuples()]
    for row in reopening.suspended(filters, engine).itertuples():
        parts.append((2, "suspended", row.name, row.reason or "", int(row.days or 0)))
    for row in reopening.stuck(filters, engine=engine).itertuples():
        if row.status not in reopening.IN_SUSPENSION:
            parts.append((2, "stuck", row.name, row.status, int(row.days or 0)))
    for row in logistics.low_stock(filters, engine).itertuples():
        parts.append((3, "low_stock", f"{row.zone} {row.item}", f"{row.stock}/{row.threshold} {row.unit}", 0))
    frame = pd.DataFrame(parts, columns=COLUMNS)
    return frame.sort_values(["urgency", "days"], ascending=[True, False], kind="stable").reset_index(drop=True)
