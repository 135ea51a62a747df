"""What needs attention, most urgent first: the wall's alert column.

Built only from the read functions the dashboard pages use, so the wall can never disagree with
them. Urgency: 1 = act now (no report today, a finding past its due day), 2 = late (duty point
not inspected within two days, a reopening case stuck or suspended), 3 = watch (supplies low).
"""
from __future__ import annotations

import pandas as pd

from . import inspections, logistics, reopening, traffic
from .filters import Filters

COLUMNS = ["urgency", "kind", "subject", "detail", "days"]


def alerts(filters: Filters, engine=None) -> pd.DataFrame:
    zone_ids = (filters.zone_id,) if filters.zone_id is not None else None
    rows = [(1, "missing_report", r.name, r.zone, 0) for r in traffic.missing_reports(filters.end, zone_ids, engine).itertuples()]
    findings = inspections.open_findings(filters, engine)
    rows += [(1, "finding_past_due", r.site, r.description, int(r.age_days))
             for r in findings[findings["past_due"]].itertuples()]
    points = inspections.duty_points(filters, engine)
    rows += [(2, "inspection_overdue", r.name, r.zone, int(r.days_since) if pd.notna(r.days_since) else 99)
             for r in points[points["overdue"]].itertuples()]
    rows += [(2, "suspended", r.name, r.reason or "", int(r.days or 0)) for r in reopening.suspended(filters, engine).itertuples()]
    rows += [(2, "stuck", r.name, r.status, int(r.days or 0)) for r in reopening.stuck(filters, engine=engine).itertuples()
             if r.status not in reopening.IN_SUSPENSION]
    rows += [(3, "low_stock", f"{r.zone} {r.item}", f"{r.stock}/{r.threshold} {r.unit}", 0)
             for r in logistics.low_stock(filters, engine).itertuples()]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.sort_values(["urgency", "days"], ascending=[True, False], kind="stable").reset_index(drop=True)
