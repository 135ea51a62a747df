"""What every page is filtered by: the shared filter bar's state, as plain values."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Filters:
    zone_id: int | None = None  # None: the whole development zone
    site_id: int | None = None  # None: every site in the zone
    start: dt.date | None = None  # first day of the range
    end: dt.date | None = None  # the "as of" day: today for live data, a chosen day otherwise

    def days(self) -> int | None:
        if self.start and self.end:
            return (self.end - self.start).days + 1
        return None
