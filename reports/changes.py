"""What a report stated, kept as JSON beside the archived file, and what has changed in the data since.

The figures are flattened to dotted paths ("traffic.totals.vehicles"); a later reading of the same day and
zone is compared path by path. Moments (when the report was read) always differ and say nothing about the
data, so they are left out of the comparison.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from typing import Any

MOMENTS = ("now", "traffic.completeness.at", "duty.at")


def _plain(value: Any):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy and pandas scalars
        return value.item()
    raise TypeError(f"{type(value).__name__} is not a figure")


def to_json(figures: dict) -> str:
    """The figures as JSON text: dates as ISO strings, NaN as null (JSON has no NaN)."""
    return json.dumps(_no_nan(json.loads(json.dumps(figures, default=_plain))), ensure_ascii=False,
                      sort_keys=True)


def _no_nan(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    return value


def flatten(value, prefix: str = "") -> dict[str, Any]:
    """{"traffic": {"totals": {"vehicles": 1}}} -> {"traffic.totals.vehicles": 1}; a list by position."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in items:
        flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    if not flat and prefix:
        flat[prefix] = value  # an empty list or dict is a value too ("no items short")
    return flat


def changes(stated: str | dict, figures: dict) -> list[dict]:
    """Each figure whose value differs now from what the report stated: [{path, stated, now}], in path order."""
    before = flatten(json.loads(stated) if isinstance(stated, str) else stated)
    after = flatten(json.loads(to_json(figures)))
    differ = []
    for path in sorted(before.keys() | after.keys()):
        if any(path == m or path.startswith(m + ".") for m in MOMENTS):
            continue
        if before.get(path) != after.get(path):
            differ.append({"path": path, "stated": before.get(path), "now": after.get(path)})
    return differ
