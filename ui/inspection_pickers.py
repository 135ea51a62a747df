"""The inspection entry page's two pickers, labelled once per data version and language (issue 14).

A city gives a clerk with every zone ~3,000 duty points and hundreds of open findings. Labelling them
on every rerun (a dict over every row, the findings turned into records) cost ~30 ms of each rerun;
through ui.data.read they are labelled once, until the next write to a line they read.
"""
from __future__ import annotations

import datetime as dt

from data_access import inspections, territory
from ui.i18n import text_in


def point_names(actor, zone_id: int | None, language: str) -> dict[int, str]:
    """{site id: "name（kind · zone）"} of the duty points `actor` may record visits for."""
    points = inspections.writable_points(actor, zone_id)
    kinds = {("checkpoint", c): text_in(language, f"inspect.kind.checkpoint.{c}") for c in ("road", "village", None)}
    kinds[("compound", None)] = text_in(language, "kind.compound")
    return {int(i): f"{n}（{kinds.get((k, c if k == 'checkpoint' else None), k)} · {z}）"
            for i, n, k, c, z in zip(points["site_id"], points["name"], points["kind"], points["checkpoint_type"],
                                     points["zone"])}


def closable(actor, today: dt.date, zone_id: int | None, language: str) -> tuple[dict[int, dict], dict[int, str]]:
    """The open findings `actor` may close (in `zone_id`, when given) as {finding id: row}, and their labels."""
    found = inspections.closable_findings(actor, today)
    if zone_id is not None:
        zones = territory.zones()
        found = found[found["zone"] == dict(zip(zones["id"], zones["name"])).get(zone_id)]
    details = {int(r["finding_id"]): r for r in found.to_dict("records")}
    return details, {i: label(d, language) for i, d in details.items()}


def label(row: dict, language: str) -> str:
    due = text_in(language, "inspect.col.due_on")
    return f"{row['site']} · {row['owner']} · {due} {row['due_on']}: {row['description'][:40]}"
